//! XAUTH admin keys (crescendo-apdu.md §3.5–3.6): TDES (24-byte, ECB) or
//! AES-128 (ECB); the card-side check of EXTERNAL AUTHENTICATE.

use aes::cipher::{generic_array::GenericArray, BlockEncrypt, KeyInit};
use aes::Aes128;
use des::TdesEde3;
use serde::{Deserialize, Serialize};

use crate::apdu::Status;

/// Algorithm of an XAUTH key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum XauthAlgorithm {
    /// Two-/three-key TDES, 24 bytes, ECB; 8-byte challenges. Algorithm ID 03.
    Tdes,
    /// AES-128, ECB; 16-byte challenges. Algorithm ID 08.
    Aes128,
}

impl XauthAlgorithm {
    /// Cipher block = challenge length (§3.5: "the only way to tell the key type").
    pub fn block_len(self) -> usize {
        match self {
            XauthAlgorithm::Tdes => 8,
            XauthAlgorithm::Aes128 => 16,
        }
    }

    fn key_len(self) -> usize {
        match self {
            XauthAlgorithm::Tdes => 24,
            XauthAlgorithm::Aes128 => 16,
        }
    }
}

/// An XAUTH key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct XauthKey {
    /// Algorithm.
    pub algorithm: XauthAlgorithm,
    /// Key bytes (hex in the state file).
    #[serde(with = "hex_bytes")]
    pub key: Vec<u8>,
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

impl XauthKey {
    /// The standard Crescendo Key admin key: AES-128, 16 zero bytes (§1.1, §4).
    pub fn factory_aes() -> XauthKey {
        XauthKey {
            algorithm: XauthAlgorithm::Aes128,
            key: vec![0; 16],
        }
    }

    /// ECB encryption of one block.
    pub fn encrypt_block(&self, block: &[u8]) -> Option<Vec<u8>> {
        if block.len() != self.algorithm.block_len() {
            return None;
        }
        match self.algorithm {
            XauthAlgorithm::Aes128 => {
                let mut b = GenericArray::clone_from_slice(block);
                Aes128::new_from_slice(&self.key)
                    .ok()?
                    .encrypt_block(&mut b);
                Some(b.to_vec())
            }
            XauthAlgorithm::Tdes => {
                let mut b = GenericArray::clone_from_slice(block);
                TdesEde3::new_from_slice(&self.key)
                    .ok()?
                    .encrypt_block(&mut b);
                Some(b.to_vec())
            }
        }
    }

    /// Whether `cryptogram` = ECB(key, challenge), compared in constant time.
    pub fn matches(&self, challenge: &[u8], cryptogram: &[u8]) -> bool {
        let Some(expected) = self.encrypt_block(challenge) else {
            return false;
        };
        expected.len() == cryptogram.len()
            && expected
                .iter()
                .zip(cryptogram)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    /// Parses PUT XAUTH KEY data (§3.6): `00 | alg | L1 | L2 | key | 00`, or
    /// `00 | alg | 00 | 00` to remove the key (→ `None`).
    pub fn parse_put(data: &[u8]) -> Result<Option<XauthKey>, Status> {
        match data {
            [0x00, _alg, 0x00, ..] if data.len() <= 4 => Ok(None),
            [0x00, alg, l1, l2, rest @ ..] => {
                let algorithm = match alg {
                    0x03 => XauthAlgorithm::Tdes,
                    0x08 => XauthAlgorithm::Aes128,
                    _ => return Err(Status::WRONG_DATA),
                };
                let n = usize::from(*l2);
                if n != algorithm.key_len() || usize::from(*l1) != n + 1 || rest.len() != n + 1 {
                    return Err(Status::WRONG_DATA);
                }
                Ok(Some(XauthKey {
                    algorithm,
                    key: rest[..n].to_vec(),
                }))
            }
            _ => Err(Status::WRONG_DATA),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).expect("hex")
    }

    /// crescendo-apdu.md §3.5 constructed examples (all-zero default keys).
    #[test]
    fn documented_cryptograms() {
        let aes = XauthKey::factory_aes();
        assert_eq!(
            aes.encrypt_block(&h("00112233445566778899AABBCCDDEEFF")),
            Some(h("C8A331FF8EDD3DB175E1545DBEFB760B"))
        );
        let tdes = XauthKey {
            algorithm: XauthAlgorithm::Tdes,
            key: vec![0; 24],
        };
        assert_eq!(
            tdes.encrypt_block(&h("0123456789ABCDEF")),
            Some(h("617B3A0CE8F07100"))
        );
        assert!(tdes.matches(&h("0123456789ABCDEF"), &h("617B3A0CE8F07100")));
        assert!(!tdes.matches(&h("0123456789ABCDEF"), &h("617B3A0CE8F07101")));
    }

    /// §3.6 example: `00 08 11 10 <16 zero bytes> 00`.
    #[test]
    fn put_formats() {
        let aes = XauthKey::parse_put(&h(&format!("00081110{}00", "00".repeat(16)))).expect("aes");
        assert_eq!(aes, Some(XauthKey::factory_aes()));
        let mut tdes = h("0003191800");
        tdes.splice(4..4, vec![0x11; 24]);
        let k = XauthKey::parse_put(&tdes).expect("tdes").expect("key");
        assert_eq!(k.algorithm, XauthAlgorithm::Tdes);
        assert_eq!(XauthKey::parse_put(&h("00030000")), Ok(None));
        assert_eq!(
            XauthKey::parse_put(&h("0008111000")),
            Err(Status::WRONG_DATA)
        );
        assert_eq!(XauthKey::parse_put(&[]), Err(Status::WRONG_DATA));
    }
}
