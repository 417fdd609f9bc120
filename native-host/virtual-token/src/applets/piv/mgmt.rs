//! The 9B card management key and GENERAL AUTHENTICATE with it (Yubico flavour):
//! single-block ECB under 3DES or AES (NIST SP 800-73-4 Part 2 §3.2.4 and
//! Appendix A.1; protocols.md §2.9; Yubico .NET SDK "Authenticate: management key").

use aes::cipher::generic_array::GenericArray;
use aes::cipher::{BlockEncrypt, KeyInit};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::tlv;
use crate::apdu::Status;

/// Algorithm ids (SP 800-78-4 Table 6-2, as P1 of GENERAL AUTHENTICATE).
pub mod alg {
    /// Three-key 3DES (24-byte key, 8-byte block).
    pub const TDES: u8 = 0x03;
    /// AES-128.
    pub const AES128: u8 = 0x08;
    /// AES-192.
    pub const AES192: u8 = 0x0A;
    /// AES-256.
    pub const AES256: u8 = 0x0C;
}

/// Yubico's default management key (protocols.md §2.3), 3DES before fw 5.7.
pub const DEFAULT_KEY: [u8; 24] = [
    1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8,
];

/// Key length for an algorithm id, `None` if it is no management-key algorithm.
pub fn key_len(algorithm: u8) -> Option<usize> {
    match algorithm {
        alg::TDES | alg::AES192 => Some(24),
        alg::AES128 => Some(16),
        alg::AES256 => Some(32),
        _ => None,
    }
}

/// A management key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagementKey {
    /// Algorithm id ([`alg`]).
    pub algorithm: u8,
    /// Key bytes, hex in the state file.
    #[serde(with = "super::state::hex_bytes")]
    pub key: Vec<u8>,
}

impl Default for ManagementKey {
    fn default() -> Self {
        ManagementKey {
            algorithm: alg::TDES,
            key: DEFAULT_KEY.to_vec(),
        }
    }
}

impl ManagementKey {
    /// A key, if the length fits the algorithm.
    pub fn new(algorithm: u8, key: &[u8]) -> Option<ManagementKey> {
        (key_len(algorithm)? == key.len()).then(|| ManagementKey {
            algorithm,
            key: key.to_vec(),
        })
    }

    /// Whether the key and algorithm are consistent (after loading a state file).
    pub fn is_valid(&self) -> bool {
        key_len(self.algorithm) == Some(self.key.len())
    }

    /// Whether this is the factory key.
    pub fn is_default(&self) -> bool {
        *self == ManagementKey::default()
    }

    /// Cipher block size: witness, challenge and response length.
    pub fn block_len(&self) -> usize {
        if self.algorithm == alg::TDES {
            8
        } else {
            16
        }
    }

    /// Encrypts one block; `None` if the block or the key has the wrong size.
    pub fn encrypt(&self, block: &[u8]) -> Option<Vec<u8>> {
        if block.len() != self.block_len() {
            return None;
        }
        let mut b = block.to_vec();
        match self.algorithm {
            alg::TDES => encrypt_with::<des::TdesEde3>(&self.key, &mut b)?,
            alg::AES128 => encrypt_with::<aes::Aes128>(&self.key, &mut b)?,
            alg::AES192 => encrypt_with::<aes::Aes192>(&self.key, &mut b)?,
            alg::AES256 => encrypt_with::<aes::Aes256>(&self.key, &mut b)?,
            _ => return None,
        }
        Some(b)
    }
}

fn encrypt_with<C: KeyInit + BlockEncrypt>(key: &[u8], block: &mut [u8]) -> Option<()> {
    let cipher = C::new_from_slice(key).ok()?;
    if block.len() != C::block_size() {
        return None;
    }
    cipher.encrypt_block(GenericArray::from_mut_slice(block));
    Some(())
}

/// What the card handed out in the first GENERAL AUTHENTICATE step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    /// Mutual: the clear nonce behind the witness `E_K(nonce)` sent in `80`.
    Witness(Vec<u8>),
    /// Single (external): the clear challenge sent in `81`.
    Challenge(Vec<u8>),
}

/// The dynamic authentication template `7C` of a GENERAL AUTHENTICATE.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Template<'a> {
    /// `80` witness.
    pub witness: Option<&'a [u8]>,
    /// `81` challenge.
    pub challenge: Option<&'a [u8]>,
    /// `82` response.
    pub response: Option<&'a [u8]>,
    /// `85` exponentiation (ECDH; never valid for 9B).
    pub exponentiation: Option<&'a [u8]>,
}

impl<'a> Template<'a> {
    /// Parses `7C L { 80 | 81 | 82 | 85 }`, each inner tag at most once.
    pub fn parse(data: &'a [u8]) -> Result<Template<'a>, Status> {
        let outer = tlv::read_single(data).ok_or(Status::WRONG_DATA)?;
        if outer.tag != 0x7C {
            return Err(Status::WRONG_DATA);
        }
        let mut t = Template::default();
        for inner in tlv::read_all(outer.value).ok_or(Status::WRONG_DATA)? {
            let slot = match inner.tag {
                0x80 => &mut t.witness,
                0x81 => &mut t.challenge,
                0x82 => &mut t.response,
                0x85 => &mut t.exponentiation,
                _ => return Err(Status::WRONG_DATA),
            };
            if slot.replace(inner.value).is_some() {
                return Err(Status::WRONG_DATA);
            }
        }
        Ok(t)
    }
}

/// Outcome of one GENERAL AUTHENTICATE step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Response data (`7C …`, or empty).
    pub reply: Vec<u8>,
    /// The management key is now authenticated.
    pub authenticated: bool,
}

/// Runs one step of the 9B authentication (protocols.md §2.9): mutual
/// (`80` empty → witness; `80` + `81` → response) or single (`81` empty →
/// challenge; `82` → done). `pending` holds what the previous step handed out
/// and is consumed by the second step; a wrong answer gives `6982`.
pub fn authenticate(
    key: &ManagementKey,
    t: &Template,
    pending: &mut Option<Pending>,
    rng: &mut dyn RngCore,
) -> Result<Step, Status> {
    let block = key.block_len();
    let previous = pending.take();
    let empty = |v: Option<&[u8]>| v.is_some_and(<[u8]>::is_empty);
    if t.exponentiation.is_some() {
        return Err(Status::WRONG_DATA);
    }
    match (t.witness, t.challenge, t.response) {
        // Mutual, step 1: send E_K(nonce).
        (w, None, None) if empty(w) => {
            let nonce = random_block(rng, block);
            let witness = key.encrypt(&nonce).ok_or(Status::UNKNOWN)?;
            *pending = Some(Pending::Witness(nonce));
            Ok(Step {
                reply: tlv::encode(0x7C, &tlv::encode(0x80, &witness)),
                authenticated: false,
            })
        }
        // Mutual, step 2: the host decrypted the witness and sends its challenge
        // (an empty 82 may follow, as in Yubico's documentation).
        (Some(w), Some(c), r) if !w.is_empty() && r.is_none_or(<[u8]>::is_empty) => {
            let Some(Pending::Witness(nonce)) = previous else {
                return Err(Status::SECURITY_NOT_SATISFIED);
            };
            if c.len() != block || w.len() != block {
                return Err(Status::WRONG_DATA);
            }
            if !constant_time_eq(w, &nonce) {
                return Err(Status::SECURITY_NOT_SATISFIED);
            }
            let response = key.encrypt(c).ok_or(Status::UNKNOWN)?;
            Ok(Step {
                reply: tlv::encode(0x7C, &tlv::encode(0x82, &response)),
                authenticated: true,
            })
        }
        // Single, step 1: send a clear challenge.
        (None, c, None) if empty(c) => {
            let challenge = random_block(rng, block);
            let reply = tlv::encode(0x7C, &tlv::encode(0x81, &challenge));
            *pending = Some(Pending::Challenge(challenge));
            Ok(Step {
                reply,
                authenticated: false,
            })
        }
        // Single, step 2: the host sends E_K(challenge).
        (None, None, Some(r)) if !r.is_empty() => {
            let Some(Pending::Challenge(challenge)) = previous else {
                return Err(Status::SECURITY_NOT_SATISFIED);
            };
            let expected = key.encrypt(&challenge).ok_or(Status::UNKNOWN)?;
            if !constant_time_eq(r, &expected) {
                return Err(Status::SECURITY_NOT_SATISFIED);
            }
            Ok(Step {
                reply: vec![],
                authenticated: true,
            })
        }
        _ => Err(Status::WRONG_DATA),
    }
}

fn random_block(rng: &mut dyn RngCore, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    rng.fill_bytes(&mut v);
    v
}

/// Compares secrets without an early exit.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).expect("hex")
    }

    #[test]
    fn tdes_matches_the_fips_81_style_single_des_vector() {
        // With K1 = K2 = K3, 3DES-EDE is single DES. The classic DES vector
        // (key 0123456789ABCDEF, "Now is t" → 3FA40E8A984D4815).
        let k = ManagementKey::new(alg::TDES, &h("0123456789ABCDEF").repeat(3)).expect("key");
        assert_eq!(
            k.encrypt(b"Now is t").expect("block"),
            h("3FA40E8A984D4815")
        );
    }

    #[test]
    fn aes128_matches_fips_197_appendix_c1() {
        let k =
            ManagementKey::new(alg::AES128, &h("000102030405060708090a0b0c0d0e0f")).expect("key");
        assert_eq!(
            k.encrypt(&h("00112233445566778899aabbccddeeff"))
                .expect("block"),
            h("69c4e0d86a7b0430d8cdb78070b4c55a")
        );
    }

    #[test]
    fn aes192_and_aes256_match_fips_197_appendix_c() {
        let pt = h("00112233445566778899aabbccddeeff");
        let k192 = ManagementKey::new(
            alg::AES192,
            &h("000102030405060708090a0b0c0d0e0f1011121314151617"),
        )
        .expect("key");
        assert_eq!(
            k192.encrypt(&pt).expect("block"),
            h("dda97ca4864cdfe06eaf70a0ec0d7191")
        );
        let k256 = ManagementKey::new(
            alg::AES256,
            &h("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
        )
        .expect("key");
        assert_eq!(
            k256.encrypt(&pt).expect("block"),
            h("8ea2b7ca516745bfeafc49904b496089")
        );
    }

    #[test]
    fn template_parsing() {
        let data = h("7C 16 80 08 8350D1814C72BA09 81 08 1122334455667788 82 00");
        let t = Template::parse(&data).expect("template");
        assert_eq!(t.witness, Some(&h("8350D1814C72BA09")[..]));
        assert_eq!(t.response, Some(&[][..]));
        assert_eq!(
            Template::parse(&h("7C 04 80 00 80 00")),
            Err(Status::WRONG_DATA)
        );
        assert_eq!(Template::parse(&h("7D 02 80 00")), Err(Status::WRONG_DATA));
        assert_eq!(Template::parse(&h("7C 03 80 00")), Err(Status::WRONG_DATA));
    }
}
