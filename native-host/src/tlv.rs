//! BER-TLV reading (ISO/IEC 7816-4 §5.2; protocols.md §0.1 lengths): enough for
//! SELECT answers, PIV objects and YKOATH responses.

/// One TLV: tag bytes and value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// Tag (1–3 bytes, as on the wire).
    pub tag: &'a [u8],
    /// Value.
    pub value: &'a [u8],
}

/// Iterates the TLVs in `data`; stops (yielding `Err`) at the first malformed one.
pub fn parse(data: &[u8]) -> impl Iterator<Item = Result<Tlv<'_>, String>> {
    let mut rest = data;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let result = next(rest);
        match result {
            Ok((tlv, tail)) => {
                rest = tail;
                Some(Ok(tlv))
            }
            Err(e) => {
                rest = &[];
                Some(Err(e))
            }
        }
    })
}

fn next(data: &[u8]) -> Result<(Tlv<'_>, &[u8]), String> {
    let first = *data.first().ok_or("empty TLV")?;
    // Multi-byte tag when the low 5 bits are all set; more bytes while b8 is set.
    let mut tag_len = 1;
    if first & 0x1F == 0x1F {
        while data.get(tag_len).ok_or("tag runs past the end")? & 0x80 != 0 {
            tag_len += 1;
        }
        tag_len += 1;
    }
    let rest = &data[tag_len..];
    let (len, header) = match rest.first().ok_or("missing length")? {
        n @ 0..=0x7F => (usize::from(*n), 1),
        0x81 => (usize::from(*rest.get(1).ok_or("short length")?), 2),
        0x82 => {
            let hi = *rest.get(1).ok_or("short length")?;
            let lo = *rest.get(2).ok_or("short length")?;
            (usize::from(u16::from_be_bytes([hi, lo])), 3)
        }
        other => return Err(format!("unsupported length byte {other:02X}")),
    };
    let value = rest
        .get(header..header + len)
        .ok_or_else(|| format!("value of {len} bytes runs past the end"))?;
    Ok((
        Tlv {
            tag: &data[..tag_len],
            value,
        },
        &rest[header + len..],
    ))
}

/// The value of the first TLV with `tag` at this level.
pub fn find<'a>(data: &'a [u8], tag: &[u8]) -> Option<&'a [u8]> {
    parse(data)
        .map_while(Result::ok)
        .find(|t| t.tag == tag)
        .map(|t| t.value)
}

/// Encodes a BER length.
pub fn encode_len(len: usize, out: &mut Vec<u8>) {
    match len {
        0..=0x7F => out.push(len as u8),
        0x80..=0xFF => out.extend_from_slice(&[0x81, len as u8]),
        _ => out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_select_answer() {
        let aca = hex::decode("6F128407A0000000791000A50701051003000301").expect("hex");
        let fci = find(&aca, &[0x6F]).expect("6F");
        assert_eq!(
            find(fci, &[0x84]),
            Some(&hex::decode("A0000000791000").expect("hex")[..])
        );
        let a5 = find(fci, &[0xA5]).expect("A5");
        assert_eq!(find(a5, &[0x01]), Some(&[0x10, 0x03, 0x00, 0x03, 0x01][..]));
    }

    #[test]
    fn long_forms_multibyte_tags_and_garbage() {
        let mut v = vec![0x5F, 0x2F];
        encode_len(2, &mut v);
        v.extend_from_slice(&[0x40, 0x00]);
        assert_eq!(find(&v, &[0x5F, 0x2F]), Some(&[0x40, 0x00][..]));
        let mut long = vec![0x53];
        encode_len(300, &mut long);
        long.extend(std::iter::repeat_n(7u8, 300));
        assert_eq!(find(&long, &[0x53]).map(<[u8]>::len), Some(300));
        for bad in [
            &[0x53, 0x05, 1][..],
            &[0x5F][..],
            &[0x53, 0x83, 0, 0, 0][..],
        ] {
            assert!(parse(bad).any(|r| r.is_err()), "{bad:?}");
        }
    }
}
