//! YKOATH persistent state: device salt, access key and credentials
//! (protocols.md §1.3–1.9). Byte strings are stored as hex in the state file.

use serde::{Deserialize, Serialize};

use crate::otp::Algorithm;

/// Credential type, the high nibble of the type|algorithm byte (§1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// `1x`: HOTP.
    Hotp,
    /// `2x`: TOTP.
    Totp,
}

/// Decodes a type|algorithm byte (§1.2): `None` for unknown nibbles.
pub fn decode_type(byte: u8) -> Option<(Kind, Algorithm)> {
    let kind = match byte >> 4 {
        1 => Kind::Hotp,
        2 => Kind::Totp,
        _ => return None,
    };
    Some((kind, decode_algorithm(byte)?))
}

/// The algorithm of the low nibble: 1 SHA-1, 2 SHA-256, 3 SHA-512.
pub fn decode_algorithm(byte: u8) -> Option<Algorithm> {
    match byte & 0x0F {
        1 => Some(Algorithm::Sha1),
        2 => Some(Algorithm::Sha256),
        3 => Some(Algorithm::Sha512),
        _ => None,
    }
}

/// The low-nibble code of `algorithm`.
pub fn algorithm_code(algorithm: Algorithm) -> u8 {
    match algorithm {
        Algorithm::Sha1 => 1,
        Algorithm::Sha256 => 2,
        Algorithm::Sha512 => 3,
    }
}

/// One OATH credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    /// Credential id (§1.10), 1–64 bytes.
    #[serde(with = "hex_bytes")]
    pub name: Vec<u8>,
    /// HOTP or TOTP.
    pub kind: Kind,
    /// HMAC algorithm.
    pub algorithm: Algorithm,
    /// Digits (6–8).
    pub digits: u8,
    /// Secret.
    #[serde(with = "hex_bytes")]
    pub key: Vec<u8>,
    /// Property `02`: require touch.
    pub touch: bool,
    /// Property `01`: only-increasing challenge (stored, not enforced).
    pub increasing: bool,
    /// HOTP counter.
    pub counter: u64,
}

impl Credential {
    /// The type|algorithm byte.
    pub fn type_byte(&self) -> u8 {
        let kind = match self.kind {
            Kind::Hotp => 0x10,
            Kind::Totp => 0x20,
        };
        kind | algorithm_code(self.algorithm)
    }
}

/// The access key set by SET CODE (§1.9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    /// HMAC algorithm (SHA-1 or SHA-256).
    pub algorithm: Algorithm,
    /// The derived key.
    #[serde(with = "hex_bytes")]
    pub key: Vec<u8>,
}

/// Everything YKOATH keeps across power cycles.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Persistent {
    /// SELECT `71` device salt; empty until first generated.
    #[serde(with = "hex_bytes")]
    pub salt: Vec<u8>,
    /// Access key, when a password is set.
    pub access_key: Option<AccessKey>,
    /// Credentials in insertion order.
    pub credentials: Vec<Credential>,
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode_upper(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        hex::decode(s).map_err(serde::de::Error::custom)
    }
}
