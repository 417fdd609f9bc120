//! YKOATH TLVs (protocols.md §1.2): one-byte tags, BER lengths, and the PROPERTY
//! tag `78` that carries its value byte with no length byte.

/// `71` credential name (and the SELECT salt).
pub const NAME: u8 = 0x71;
/// `72` LIST entry.
pub const NAME_LIST: u8 = 0x72;
/// `73` key: type|algorithm, digits, secret.
pub const KEY: u8 = 0x73;
/// `74` challenge.
pub const CHALLENGE: u8 = 0x74;
/// `75` full response.
pub const RESPONSE: u8 = 0x75;
/// `76` truncated response.
pub const TRUNCATED: u8 = 0x76;
/// `77` HOTP credential, not calculated (CALCULATE ALL).
pub const HOTP: u8 = 0x77;
/// `78` property byte, no length.
pub const PROPERTY: u8 = 0x78;
/// `79` version.
pub const VERSION: u8 = 0x79;
/// `7A` HOTP initial moving factor.
pub const IMF: u8 = 0x7A;
/// `7B` access-key algorithm.
pub const ALGORITHM: u8 = 0x7B;
/// `7C` touch-required credential, not calculated (CALCULATE ALL).
pub const TOUCH: u8 = 0x7C;

/// Splits `data` into `(tag, value)` pairs; `None` if malformed.
///
/// `78 pp` is read without a length byte (protocols.md §1.4, ykneo-oath). A
/// lenient `78 01 pp` is accepted too when the byte after `01` is not a YKOATH
/// tag (properties are 01–03, tags 71–7C, so the two forms cannot be confused).
pub fn parse(mut data: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut out = vec![];
    while let [tag, rest @ ..] = data {
        if *tag == PROPERTY {
            let (value, rest) = match rest {
                [0x01, v, rest @ ..] if !(NAME..=TOUCH).contains(v) => {
                    (std::slice::from_ref(v), rest)
                }
                [v, rest @ ..] => (std::slice::from_ref(v), rest),
                [] => return None,
            };
            out.push((PROPERTY, value));
            data = rest;
            continue;
        }
        let (len, rest) = match rest {
            [n @ 0x00..=0x7F, rest @ ..] => (usize::from(*n), rest),
            [0x81, n, rest @ ..] => (usize::from(*n), rest),
            [0x82, hi, lo, rest @ ..] => (usize::from(u16::from_be_bytes([*hi, *lo])), rest),
            _ => return None,
        };
        if rest.len() < len {
            return None;
        }
        let (value, rest) = rest.split_at(len);
        out.push((*tag, value));
        data = rest;
    }
    Some(out)
}

/// The value of the first `tag`.
pub fn find<'a>(tlvs: &[(u8, &'a [u8])], tag: u8) -> Option<&'a [u8]> {
    tlvs.iter().find(|(t, _)| *t == tag).map(|(_, v)| *v)
}

/// Appends `tag len value` (BER length).
pub fn push(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    match value.len() {
        n @ 0..=0x7F => out.push(n as u8),
        n @ 0x80..=0xFF => out.extend_from_slice(&[0x81, n as u8]),
        n => {
            out.push(0x82);
            out.extend_from_slice(&(n.min(0xFFFF) as u16).to_be_bytes());
        }
    }
    out.extend_from_slice(value);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).expect("hex")
    }

    #[test]
    fn property_without_length() {
        // protocols.md §1.4: `78 02` = require touch, then `7A 04 <imf>`.
        let d = h("7102 4142 7303 210601 7802 7A04 00000005");
        let t = parse(&d).expect("parse");
        assert_eq!(find(&t, PROPERTY), Some(&[0x02][..]));
        assert_eq!(find(&t, IMF), Some(&[0, 0, 0, 5][..]));
        // Lenient length form, and 78 01 followed by a tag (no-length form).
        let lenient = h("7801 02");
        assert_eq!(
            find(&parse(&lenient).expect("p"), PROPERTY),
            Some(&[0x02][..])
        );
        let then_imf = h("7801 7A0400000001");
        let t = parse(&then_imf).expect("p");
        assert_eq!(find(&t, PROPERTY), Some(&[0x01][..]));
        assert_eq!(find(&t, IMF), Some(&[0, 0, 0, 1][..]));
        assert_eq!(parse(&h("78")), None);
        assert_eq!(parse(&h("7105 4142")), None);
        assert_eq!(parse(&h("7181")), None);
    }

    #[test]
    fn push_lengths() {
        let mut v = vec![];
        push(&mut v, NAME, &[0xAA; 0x80]);
        assert_eq!(v[..3], [0x71, 0x81, 0x80]);
        assert_eq!(parse(&v).expect("p"), vec![(NAME, &[0xAA; 0x80][..])]);
    }
}
