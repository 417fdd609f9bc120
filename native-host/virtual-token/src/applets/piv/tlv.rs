//! BER-TLV as PIV uses it (ISO/IEC 7816-4 §5.2, NIST SP 800-73-4 Part 2 §2.3):
//! tags of one to three bytes, lengths `LL`, `81 LL` or `82 HH LL`.
//!
//! Tags are carried as `u32` holding their bytes big-endian without leading zero
//! bytes: `0x53`, `0x7F61`, `0x5FC102`.

/// One data object inside a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag bytes, big-endian (`0x5FC102`).
    pub tag: u32,
    /// The value.
    pub value: &'a [u8],
}

/// Appends a BER length (up to 65535; longer values never occur on this card).
pub fn push_len(out: &mut Vec<u8>, len: usize) {
    match len {
        0..=0x7F => out.push(len as u8),
        0x80..=0xFF => out.extend_from_slice(&[0x81, len as u8]),
        _ => {
            let len = u16::try_from(len).unwrap_or(u16::MAX);
            out.push(0x82);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
}

/// Appends the tag bytes of `tag` (no leading zero bytes).
pub fn push_tag(out: &mut Vec<u8>, tag: u32) {
    let bytes = tag.to_be_bytes();
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(3);
    out.extend_from_slice(&bytes[first..]);
}

/// Appends `tag len value`.
pub fn push(out: &mut Vec<u8>, tag: u32, value: &[u8]) {
    push_tag(out, tag);
    push_len(out, value.len());
    out.extend_from_slice(value);
}

/// `tag len value` as a new buffer.
pub fn encode(tag: u32, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 6);
    push(&mut out, tag, value);
    out
}

/// Reads one data object from the front of `buf`; `None` if it is malformed or
/// runs past the end. Returns the object and what follows it.
pub fn read(buf: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (&first, mut rest) = buf.split_first()?;
    let mut tag = u32::from(first);
    if first & 0x1F == 0x1F {
        // Multi-byte tag: subsequent bytes while b8 is set, three bytes at most.
        loop {
            let (&b, r) = rest.split_first()?;
            rest = r;
            tag = (tag << 8) | u32::from(b);
            if b & 0x80 == 0 {
                break;
            }
            if tag > 0xFFFF {
                return None;
            }
        }
    }
    let (&l, r) = rest.split_first()?;
    rest = r;
    let len = match l {
        0..=0x7F => usize::from(l),
        0x81 => {
            let (&n, r) = rest.split_first()?;
            rest = r;
            usize::from(n)
        }
        0x82 => {
            let (hl, r) = rest.split_at_checked(2)?;
            rest = r;
            usize::from(u16::from_be_bytes([hl[0], hl[1]]))
        }
        _ => return None,
    };
    let (value, rest) = rest.split_at_checked(len)?;
    Some((Tlv { tag, value }, rest))
}

/// Reads a buffer that must consist of whole data objects only.
pub fn read_all(mut buf: &[u8]) -> Option<Vec<Tlv<'_>>> {
    let mut out = vec![];
    while !buf.is_empty() {
        let (tlv, rest) = read(buf)?;
        out.push(tlv);
        buf = rest;
    }
    Some(out)
}

/// Reads a buffer that must be exactly one data object.
pub fn read_single(buf: &[u8]) -> Option<Tlv<'_>> {
    match read(buf)? {
        (tlv, []) => Some(tlv),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_tags_round_trip() {
        for len in [0usize, 1, 0x7F, 0x80, 0xFF, 0x100, 0x2EC] {
            let value = vec![0xAB; len];
            for tag in [0x53u32, 0x7F61, 0x5FC102] {
                let enc = encode(tag, &value);
                let t = read_single(&enc).expect("round trip");
                assert_eq!((t.tag, t.value.len()), (tag, len));
            }
        }
        assert_eq!(encode(0x53, &[0; 0x80])[..3], [0x53, 0x81, 0x80]);
        assert_eq!(encode(0x53, &[0; 0x2EC])[..4], [0x53, 0x82, 0x02, 0xEC]);
    }

    #[test]
    fn malformed_input_is_refused_without_panicking() {
        for bad in [
            &[][..],
            &[0x53],
            &[0x53, 0x02, 0x00],
            &[0x5F],
            &[0x5F, 0xC1],
            &[0x5F, 0xC1, 0x82, 0x81, 0x00],
            &[0x53, 0x83, 0, 0, 1, 0],
            &[0x53, 0x82, 0x01],
        ] {
            assert!(read_single(bad).is_none(), "{bad:02X?}");
        }
        for n in 0..600u32 {
            let buf: Vec<u8> = (0..(n % 13)).map(|i| (n * 31 + i * 7) as u8).collect();
            let _ = read_all(&buf);
        }
    }
}
