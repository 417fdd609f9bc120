//! HID-documented framing of the OATH commands: the PUT KEY / PUT CONFIGURATION
//! value (crescendo-apdu.md §5.2) and the OCRA `7C` template (§5.5).

use crate::apdu::Status;

/// Reads a BER length (`00`–`7F`, `81 xx`, `82 xx xx`) from the front of `data`.
fn ber_length(data: &[u8]) -> Option<(usize, &[u8])> {
    match data {
        [n @ 0x00..=0x7F, rest @ ..] => Some((usize::from(*n), rest)),
        [0x81, n, rest @ ..] => Some((usize::from(*n), rest)),
        [0x82, hi, lo, rest @ ..] => Some((usize::from(u16::from_be_bytes([*hi, *lo])), rest)),
        _ => None,
    }
}

/// Appends a BER length.
pub fn push_ber_length(out: &mut Vec<u8>, n: usize) {
    match n {
        0..=0x7F => out.push(n as u8),
        0x80..=0xFF => out.extend_from_slice(&[0x81, n as u8]),
        _ => {
            out.push(0x82);
            out.extend_from_slice(&(n.min(0xFFFF) as u16).to_be_bytes());
        }
    }
}

/// Parses a PUT value `00 00 L1 L2 <value> <trailer>` (§5.2): `L1` = `L2` + 1.
/// The trailer byte is ignored: §5.2 infers 00 (a key-check-value length), and
/// HID's own PUT KEY sample (§5.7) has `30` there, `…3930 30` then Le `00`, which
/// the card must accept as published. `L1` = 0 removes: `Ok(None)`.
pub fn put_value(data: &[u8]) -> Result<Option<&[u8]>, Status> {
    let [0x00, 0x00, rest @ ..] = data else {
        return Err(Status::WRONG_DATA);
    };
    let (l1, rest) = ber_length(rest).ok_or(Status::WRONG_DATA)?;
    if l1 == 0 {
        // "0 = remove (nothing follows)"; tolerate a trailing 00 as PUT XAUTH KEY has.
        return match rest {
            [] | [0x00] => Ok(None),
            _ => Err(Status::WRONG_DATA),
        };
    }
    let (l2, rest) = ber_length(rest).ok_or(Status::WRONG_DATA)?;
    if l1 != l2 + 1 || rest.len() != l1 {
        return Err(Status::WRONG_DATA);
    }
    match rest.split_last() {
        Some((_trailer, value)) if !value.is_empty() => Ok(Some(value)),
        _ => Err(Status::WRONG_DATA),
    }
}

/// The data objects of an OCRA AUTHENTICATE (§5.5), in their mandatory order
/// `82 81 [84] [80] [83]` inside `7C`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct OcraRequest<'a> {
    /// `81` challenge Q, pre-formatted by the client.
    pub challenge: &'a [u8],
    /// `84` PIN/password hash.
    pub pin_hash: Option<&'a [u8]>,
    /// `80` session information.
    pub session: Option<&'a [u8]>,
    /// `83` 32-bit Unix time.
    pub time: Option<u32>,
}

/// Splits `tag len value` objects.
fn objects(mut data: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut out = vec![];
    while let [tag, rest @ ..] = data {
        let (len, rest) = ber_length(rest)?;
        if rest.len() < len {
            return None;
        }
        let (value, rest) = rest.split_at(len);
        out.push((*tag, value));
        data = rest;
    }
    Some(out)
}

/// Parses `7C L { 82 00, 81 L Q, [84 L P], [80 L S], [83 04 T] }`; `6A80` on
/// any deviation (wrong order, unknown or repeated tag, trailing bytes).
pub fn ocra_request(data: &[u8]) -> Result<OcraRequest<'_>, Status> {
    let bad = Status::WRONG_DATA;
    let outer = objects(data).ok_or(bad)?;
    let [(0x7C, inner)] = outer.as_slice() else {
        return Err(bad);
    };
    let mut dos = objects(inner).ok_or(bad)?.into_iter().peekable();
    // 82 (response) comes first and is sent empty (§5.5); its content is ignored.
    dos.next_if(|(tag, _)| *tag == 0x82).ok_or(bad)?;
    let (_, challenge) = dos.next_if(|(tag, _)| *tag == 0x81).ok_or(bad)?;
    let mut request = OcraRequest {
        challenge,
        ..OcraRequest::default()
    };
    request.pin_hash = dos.next_if(|(t, _)| *t == 0x84).map(|(_, v)| v);
    request.session = dos.next_if(|(t, _)| *t == 0x80).map(|(_, v)| v);
    if let Some((_, t)) = dos.next_if(|(t, _)| *t == 0x83) {
        let t: [u8; 4] = t.try_into().map_err(|_| bad)?;
        request.time = Some(u32::from_be_bytes(t));
    }
    if dos.next().is_some() {
        return Err(bad);
    }
    Ok(request)
}

/// The OCRA reply `7C L 82 L <BCD>`.
pub fn ocra_response(bcd: &[u8]) -> Vec<u8> {
    let mut inner = vec![0x82];
    push_ber_length(&mut inner, bcd.len());
    inner.extend_from_slice(bcd);
    let mut out = vec![0x7C];
    push_ber_length(&mut out, inner.len());
    out.extend_from_slice(&inner);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).expect("hex")
    }

    #[test]
    fn put_value_forms() {
        // §5.7 inject key as published: 00 00 15 14 <20 bytes> 30 (Le 00 follows).
        let key = h("0000 15 14 3132333435363738393031323334353637383930 30");
        assert_eq!(put_value(&key), Ok(Some(&key[4..24])));
        let key = h("0000 15 14 3132333435363738393031323334353637383930 00");
        assert_eq!(put_value(&key), Ok(Some(&key[4..24])));
        assert_eq!(put_value(&h("000000")), Ok(None));
        // 128-byte key with 81-form lengths.
        let mut long = h("0000 8181 8180");
        long.extend_from_slice(&[0xAB; 128]);
        long.push(0);
        assert_eq!(put_value(&long).map(|v| v.map(<[u8]>::len)), Ok(Some(128)));
        for bad in [
            "",
            "0100 15 14",
            "0000 15 14 3132 00",
            "0000 01 00 00",
            "000000 31",
        ] {
            assert_eq!(put_value(&h(bad)), Err(Status::WRONG_DATA), "{bad}");
        }
    }

    #[test]
    fn ocra_request_in_order() {
        let mut data = h("7C 81 85 8200 818180 2A62B1C0");
        data.resize(3 + 0x85, 0);
        let r = ocra_request(&data).expect("parse");
        assert_eq!(r.challenge.len(), 128);
        assert_eq!(r.challenge[..4], [0x2A, 0x62, 0xB1, 0xC0]);
        let all = h("7C 12 8200 8102 1234 8401 AA 8001 BB 8304 5E84A802");
        let r = ocra_request(&all).expect("all");
        assert_eq!(r.pin_hash, Some(&[0xAA][..]));
        assert_eq!(r.session, Some(&[0xBB][..]));
        assert_eq!(r.time, Some(0x5E84A802));
        for bad in [
            "7C 04 8102 1234",              // no 82
            "7C 06 8102 1234 8200",         // wrong order
            "7C 08 8200 8102 1234 8000 00", // inner length mismatch
            "7C 09 8200 8102 1234 8301 00", // time not 4 bytes
            "7C 08 8200 8102 1234 9900",    // unknown tag
            "7C 06 8200 8102 1234 00",      // trailing byte
            "7D 04 8200 8100",              // not 7C
        ] {
            assert_eq!(ocra_request(&h(bad)), Err(Status::WRONG_DATA), "{bad}");
        }
    }

    #[test]
    fn ocra_response_form() {
        // §5.5: 7C 05 82 03 60 89 93.
        assert_eq!(ocra_response(&[0x60, 0x89, 0x93]), h("7C05820360 8993"));
    }
}
