//! Admin (XAUTH) keys on the host side: AES-128 or TDES, ECB responses to the
//! card's challenge (crescendo-apdu.md §3.5–3.6; MiniDriver unblock pages).

use aes::cipher::{generic_array::GenericArray, BlockEncrypt, KeyInit};
use zeroize::Zeroizing;

/// An admin key.
#[derive(Clone)]
pub enum AdminKey {
    /// AES-128 (algorithm ID 08h).
    Aes128(Zeroizing<[u8; 16]>),
    /// TDES, 24 bytes (algorithm ID 03h).
    Tdes(Zeroizing<[u8; 24]>),
}

impl std::fmt::Debug for AdminKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AdminKey({}, ***)", self.name())
    }
}

impl AdminKey {
    /// An AES-128 key.
    pub fn aes128(key: [u8; 16]) -> AdminKey {
        AdminKey::Aes128(Zeroizing::new(key))
    }

    /// A TDES key.
    pub fn tdes(key: [u8; 24]) -> AdminKey {
        AdminKey::Tdes(Zeroizing::new(key))
    }

    /// "AES-128" or "TDES".
    pub fn name(&self) -> &'static str {
        match self {
            AdminKey::Aes128(_) => "AES-128",
            AdminKey::Tdes(_) => "TDES",
        }
    }

    /// ECB(key, challenge); `None` if the challenge is not one cipher block.
    pub fn respond(&self, challenge: &[u8]) -> Option<Vec<u8>> {
        match self {
            AdminKey::Aes128(k) if challenge.len() == 16 => {
                let mut b = GenericArray::clone_from_slice(challenge);
                aes::Aes128::new_from_slice(&k[..])
                    .ok()?
                    .encrypt_block(&mut b);
                Some(b.to_vec())
            }
            AdminKey::Tdes(k) if challenge.len() == 8 => {
                let mut b = GenericArray::clone_from_slice(challenge);
                des::TdesEde3::new_from_slice(&k[..])
                    .ok()?
                    .encrypt_block(&mut b);
                Some(b.to_vec())
            }
            _ => None,
        }
    }

    /// PUT XAUTH KEY data: `00 | alg | L+1 | L | key | 00` (§3.6).
    pub fn put_data(&self) -> Zeroizing<Vec<u8>> {
        let (alg, key): (u8, &[u8]) = match self {
            AdminKey::Aes128(k) => (0x08, &k[..]),
            AdminKey::Tdes(k) => (0x03, &k[..]),
        };
        let mut v = Zeroizing::new(vec![0x00, alg, key.len() as u8 + 1, key.len() as u8]);
        v.extend_from_slice(key);
        v.push(0x00);
        v
    }
}
