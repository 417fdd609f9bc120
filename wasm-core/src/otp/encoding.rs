//! Secret encodings: Base32 (RFC 4648 §6, as the Key Uri Format carries it),
//! hex and Base64 (RFC 4648 §4/§5, as HID's tools and Google's export use).
//!
//! Decoding is forgiving where people and apps differ (case, spaces, missing
//! or extra `=` padding, non-zero trailing bits) and strict on anything else:
//! a character outside the alphabet is rejected with its 1-based position in
//! the text as given, so the form can point at it.

use data_encoding::BASE32_NOPAD;
use serde::Serialize;
use thiserror::Error;

use super::account::OtpSecret;

/// Why a secret does not decode.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum EncodingError {
    /// Nothing but spaces and padding.
    #[error("empty")]
    Empty,
    /// A character outside the alphabet (or `=` before the end).
    #[error("invalid character {ch:?} at position {position}")]
    InvalidChar {
        /// 1-based character position in the input.
        position: usize,
        /// The character.
        ch: char,
    },
    /// The number of symbols cannot make whole bytes.
    #[error("{symbols} symbols do not make whole bytes")]
    Length {
        /// Significant symbols counted (spaces and padding excluded).
        symbols: usize,
    },
}

/// Which encoding a secret is typed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretEncoding {
    /// RFC 4648 Base32 (otpauth URIs, most sites).
    Base32,
    /// Hexadecimal.
    Hex,
    /// RFC 4648 Base64, standard or URL-safe.
    Base64,
}

/// Decodes `text` in `encoding`.
pub fn decode(text: &str, encoding: SecretEncoding) -> Result<OtpSecret, EncodingError> {
    match encoding {
        SecretEncoding::Base32 => decode_base32(text),
        SecretEncoding::Hex => decode_hex(text),
        SecretEncoding::Base64 => decode_base64(text),
    }
}

/// Significant symbols of `text` (mapped by `map`, `None` = invalid) with
/// their 1-based positions; whitespace is skipped and trailing `=` dropped.
fn symbols(
    text: &str,
    map: impl Fn(char) -> Option<u8>,
) -> Result<(Vec<u8>, Vec<usize>), EncodingError> {
    let mut out = Vec::with_capacity(text.len());
    let mut pos = Vec::with_capacity(text.len());
    let mut padding_at: Option<usize> = None;
    for (i, ch) in text.chars().enumerate() {
        let position = i + 1;
        if ch.is_whitespace() {
            continue;
        }
        if ch == '=' {
            padding_at.get_or_insert(position);
            continue;
        }
        if let Some(p) = padding_at {
            // Padding is only allowed at the very end.
            return Err(EncodingError::InvalidChar {
                position: p,
                ch: '=',
            });
        }
        match map(ch) {
            Some(b) => {
                out.push(b);
                pos.push(position);
            }
            None => return Err(EncodingError::InvalidChar { position, ch }),
        }
    }
    if out.is_empty() {
        return Err(EncodingError::Empty);
    }
    Ok((out, pos))
}

/// Packs `bits`-bit symbol values into bytes, big-endian, as RFC 4648 does;
/// the leftover low bits of the last symbol are returned (zero in canonical
/// text). Hand-rolled rather than `data_encoding`'s generic decoder: the
/// popup's wasm carries this, and the symbols are already checked.
fn pack(values: &[u8], bits: u32) -> (OtpSecret, u32) {
    let mut out = Vec::with_capacity(values.len() * bits as usize / 8);
    let (mut acc, mut have) = (0u32, 0u32);
    for &v in values {
        acc = (acc << bits) | u32::from(v);
        have += bits;
        if have >= 8 {
            have -= 8;
            out.push((acc >> have) as u8);
            acc &= (1 << have) - 1;
        }
    }
    (OtpSecret::new(out), acc)
}

/// Base32, any case, spaces anywhere, padding optional or excessive.
pub fn decode_base32(text: &str) -> Result<OtpSecret, EncodingError> {
    let (sym, _) = symbols(text, |c| match c.to_ascii_uppercase() {
        u @ 'A'..='Z' => Some(u as u8 - b'A'),
        u @ '2'..='7' => Some(u as u8 - b'2' + 26),
        _ => None,
    })?;
    // 8 symbols make 5 bytes; 1, 3 or 6 left over cannot end a byte.
    if matches!(sym.len() % 8, 1 | 3 | 6) {
        return Err(EncodingError::Length { symbols: sym.len() });
    }
    // Non-zero trailing bits are ignored (some issuers' secrets have them).
    Ok(pack(&sym, 5).0)
}

/// Base32 without padding, uppercase (how otpauth URIs carry a secret).
pub fn encode_base32(secret: &OtpSecret) -> String {
    BASE32_NOPAD.encode(secret.expose())
}

/// Hex, any case, spaces anywhere.
pub fn decode_hex(text: &str) -> Result<OtpSecret, EncodingError> {
    let (sym, _) = symbols(text, |c| c.to_digit(16).map(|d| d as u8))?;
    if sym.len() % 2 == 1 {
        return Err(EncodingError::Length { symbols: sym.len() });
    }
    Ok(pack(&sym, 4).0)
}

/// Base64, standard (`+/`) or URL-safe (`-_`), padding optional; whitespace
/// is skipped (a `+` turned into a space is the caller's to restore).
pub fn decode_base64(text: &str) -> Result<OtpSecret, EncodingError> {
    let (sym, pos) = symbols(text, |c| match c {
        'A'..='Z' => Some(c as u8 - b'A'),
        'a'..='z' => Some(c as u8 - b'a' + 26),
        '0'..='9' => Some(c as u8 - b'0' + 52),
        '+' | '-' => Some(62),
        '/' | '_' => Some(63),
        _ => None,
    })?;
    if sym.len() % 4 == 1 {
        return Err(EncodingError::Length { symbols: sym.len() });
    }
    let (secret, trailing) = pack(&sym, 6);
    if trailing != 0 {
        // Non-canonical: the last symbol carries bits no byte holds.
        let position = pos.last().copied().unwrap_or(0);
        let ch = text.chars().nth(position.saturating_sub(1)).unwrap_or('?');
        return Err(EncodingError::InvalidChar { position, ch });
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELLO: &[u8] = b"Hello!\xde\xad\xbe\xef";

    fn ok(r: Result<OtpSecret, EncodingError>) -> Vec<u8> {
        match r {
            Ok(s) => s.expose().to_vec(),
            Err(e) => panic!("decode failed: {e}"),
        }
    }

    #[test]
    fn base32_tolerates_case_spaces_and_padding() {
        for t in [
            "JBSWY3DPEHPK3PXP",
            "jbswy3dpehpk3pxp",
            "JBSW Y3DP EHPK 3PXP",
            "JBSWY3DPEHPK3PXP========",
            " jbsw y3dp ehpk 3pxp = ",
        ] {
            assert_eq!(ok(decode_base32(t)), HELLO, "{t}");
        }
        // 1 byte: 2 symbols, 6 padding, or missing padding.
        assert_eq!(ok(decode_base32("ME======")), b"a");
        assert_eq!(ok(decode_base32("ME")), b"a");
        // Non-zero trailing bits are ignored.
        assert_eq!(ok(decode_base32("MF")), b"a");
    }

    #[test]
    fn base32_names_the_bad_position() {
        assert_eq!(
            decode_base32("JBSW1DP"),
            Err(EncodingError::InvalidChar {
                position: 5,
                ch: '1'
            })
        );
        assert_eq!(
            decode_base32("JB SW8"),
            Err(EncodingError::InvalidChar {
                position: 6,
                ch: '8'
            })
        );
        assert_eq!(
            decode_base32("JB=SW"),
            Err(EncodingError::InvalidChar {
                position: 3,
                ch: '='
            })
        );
        assert_eq!(decode_base32("  =="), Err(EncodingError::Empty));
        assert_eq!(
            decode_base32("ABC"),
            Err(EncodingError::Length { symbols: 3 })
        );
        assert_eq!(
            decode_base32("é"),
            Err(EncodingError::InvalidChar {
                position: 1,
                ch: 'é'
            })
        );
        assert_eq!(
            encode_base32(&OtpSecret::new(HELLO.to_vec())),
            "JBSWY3DPEHPK3PXP"
        );
    }

    #[test]
    fn hex_and_base64() {
        assert_eq!(ok(decode_hex("48656C6C6F21 deadbeef")), HELLO);
        assert_eq!(decode_hex("abc"), Err(EncodingError::Length { symbols: 3 }));
        assert_eq!(
            decode_hex("zz"),
            Err(EncodingError::InvalidChar {
                position: 1,
                ch: 'z'
            })
        );
        assert_eq!(ok(decode_base64("SGVsbG8h3q2+7w==")), HELLO);
        assert_eq!(ok(decode_base64("SGVsbG8h3q2-7w")), HELLO);
        assert_eq!(
            decode_base64("SGVs*G8h"),
            Err(EncodingError::InvalidChar {
                position: 5,
                ch: '*'
            })
        );
        assert_eq!(
            decode_base64("S"),
            Err(EncodingError::Length { symbols: 1 })
        );
        assert_eq!(ok(decode("3132", SecretEncoding::Hex)), b"12");
    }
}
