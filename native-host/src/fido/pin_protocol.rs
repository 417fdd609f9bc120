//! PIN/UV auth protocols 1 and 2 (CTAP 2.1 §6.5.6, §6.5.7; protocols.md §4.5):
//! ECDH P-256 key agreement, KDF, encrypt/decrypt, authenticate.

use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use ciborium::value::Value;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use p256::ecdh::EphemeralSecret;
use p256::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
use p256::{EncodedPoint, PublicKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::cbor::{self, Map};
use super::error::{CtapError, CtapResult};

type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;
type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;

/// A PIN/UV auth protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum PinProtocol {
    /// Protocol one (§6.5.6): SHA-256 KDF, zero IV, HMAC truncated to 16 bytes.
    V1,
    /// Protocol two (§6.5.7): HKDF, random IV, full HMAC.
    V2,
}

impl PinProtocol {
    /// The protocol's number on the wire.
    pub fn number(self) -> u64 {
        match self {
            PinProtocol::V1 => 1,
            PinProtocol::V2 => 2,
        }
    }

    /// From the wire number.
    pub fn from_number(n: u64) -> Option<PinProtocol> {
        match n {
            1 => Some(PinProtocol::V1),
            2 => Some(PinProtocol::V2),
            _ => None,
        }
    }

    /// Our pick from getInfo's list: 2 when listed, else 1 (protocols.md A.1).
    pub fn choose(listed: &[u64]) -> Option<PinProtocol> {
        if listed.contains(&2) {
            Some(PinProtocol::V2)
        } else if listed.contains(&1) || listed.is_empty() {
            // CTAP 2.0 keys without member 06 speak protocol one.
            Some(PinProtocol::V1)
        } else {
            None
        }
    }

    /// encapsulate(peerCoseKey) (§6.5.6): a fresh ephemeral key, our COSE key
    /// for `keyAgreement`, and the shared secret.
    pub fn encapsulate(self, peer: &Value) -> CtapResult<(Value, SharedSecret)> {
        let peer = parse_cose_key(peer)?;
        let ours = EphemeralSecret::random(&mut rand::rngs::OsRng);
        let point = ours.public_key().to_encoded_point(false);
        let (Some(x), Some(y)) = (point.x(), point.y()) else {
            return Err(CtapError::malformed("our own point is the identity"));
        };
        let cose = cbor::int_map(vec![
            (1, cbor::int_value(2)),
            (3, cbor::int_value(-25)),
            (-1, cbor::int_value(1)),
            (-2, Value::Bytes(x.to_vec())),
            (-3, Value::Bytes(y.to_vec())),
        ]);
        let z = ours.diffie_hellman(&peer);
        let z = z.raw_secret_bytes();
        Ok((cose, SharedSecret::derive(self, z.as_slice())))
    }

    /// authenticate(key, message) (§6.5.6 / §6.5.7).
    pub fn authenticate(self, key: &[u8], message: &[u8]) -> Vec<u8> {
        let key = match self {
            PinProtocol::V1 => key,
            // Protocol two: the HMAC key is the first 32 bytes (a token is 32 bytes).
            PinProtocol::V2 => key.get(..32).unwrap_or(key),
        };
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
            Ok(m) => m,
            // HMAC accepts keys of any length.
            Err(_) => return vec![],
        };
        mac.update(message);
        let full = mac.finalize().into_bytes().to_vec();
        match self {
            PinProtocol::V1 => full.get(..16).unwrap_or(&full).to_vec(),
            PinProtocol::V2 => full,
        }
    }
}

/// The authenticator's COSE_Key (§6.5.6): EC2, P-256, x and y of 32 bytes.
fn parse_cose_key(v: &Value) -> CtapResult<PublicKey> {
    let m = Map::from_value(v.clone(), "keyAgreement")?;
    let kty = cbor::int(m.need(1, "kty")?, "kty")?;
    let crv = cbor::int(m.need(-1, "crv")?, "crv")?;
    if kty != 2 || crv != 1 {
        return Err(CtapError::Cbor(format!(
            "keyAgreement is kty {kty} crv {crv}, not EC2 P-256"
        )));
    }
    let x = cbor::bytes(m.need(-2, "x")?, "x")?;
    let y = cbor::bytes(m.need(-3, "y")?, "y")?;
    let (Ok(x), Ok(y)) = (<[u8; 32]>::try_from(x), <[u8; 32]>::try_from(y)) else {
        return Err(CtapError::Cbor(
            "keyAgreement coordinates not 32 bytes".into(),
        ));
    };
    let point = EncodedPoint::from_affine_coordinates(&x.into(), &y.into(), false);
    Option::from(PublicKey::from_encoded_point(&point))
        .ok_or_else(|| CtapError::malformed("keyAgreement is not a point on P-256"))
}

/// The shared secret of one key agreement (zeroized on drop).
pub struct SharedSecret {
    protocol: PinProtocol,
    key: Zeroizing<Vec<u8>>,
}

impl SharedSecret {
    /// KDF(Z): protocol one SHA-256(Z); protocol two HKDF-SHA-256 with a zero
    /// salt, "CTAP2 HMAC key" ‖ "CTAP2 AES key".
    pub fn derive(protocol: PinProtocol, z: &[u8]) -> SharedSecret {
        let key = match protocol {
            PinProtocol::V1 => Zeroizing::new(Sha256::digest(z).to_vec()),
            PinProtocol::V2 => {
                let hk = Hkdf::<Sha256>::new(Some(&[0u8; 32]), z);
                let mut out = Zeroizing::new(vec![0u8; 64]);
                let (hmac_key, aes_key) = out.split_at_mut(32);
                // 32-byte outputs are always within HKDF's limit.
                let _ = hk.expand(b"CTAP2 HMAC key", hmac_key);
                let _ = hk.expand(b"CTAP2 AES key", aes_key);
                out
            }
        };
        SharedSecret { protocol, key }
    }

    /// The protocol.
    pub fn protocol(&self) -> PinProtocol {
        self.protocol
    }

    fn aes_key(&self) -> &[u8] {
        match self.protocol {
            PinProtocol::V1 => &self.key,
            PinProtocol::V2 => self.key.get(32..).unwrap_or_default(),
        }
    }

    /// encrypt(key, plaintext); the plaintext must be a multiple of 16 bytes.
    pub fn encrypt(&self, plaintext: &[u8]) -> CtapResult<Vec<u8>> {
        if !plaintext.len().is_multiple_of(16) {
            return Err(CtapError::InvalidInput(
                "plaintext not a multiple of 16".into(),
            ));
        }
        let iv: [u8; 16] = match self.protocol {
            PinProtocol::V1 => [0; 16],
            PinProtocol::V2 => rand::random(),
        };
        let enc = Aes256CbcEnc::new_from_slices(self.aes_key(), &iv)
            .map_err(|_| CtapError::InvalidInput("AES key length".into()))?;
        let mut buf = plaintext.to_vec();
        let len = buf.len();
        enc.encrypt_padded_mut::<NoPadding>(&mut buf, len)
            .map_err(|_| CtapError::InvalidInput("AES-CBC".into()))?;
        Ok(match self.protocol {
            PinProtocol::V1 => buf,
            PinProtocol::V2 => [&iv[..], &buf].concat(),
        })
    }

    /// decrypt(key, ciphertext); wrong sizes are [`CtapError::Malformed`].
    pub fn decrypt(&self, ciphertext: &[u8]) -> CtapResult<Zeroizing<Vec<u8>>> {
        let (iv, body) = match self.protocol {
            PinProtocol::V1 => ([0u8; 16], ciphertext),
            PinProtocol::V2 => {
                let (iv, body) = ciphertext
                    .split_first_chunk::<16>()
                    .ok_or_else(|| CtapError::malformed("ciphertext shorter than its IV"))?;
                (*iv, body)
            }
        };
        if !body.len().is_multiple_of(16) {
            return Err(CtapError::malformed("ciphertext not a multiple of 16"));
        }
        let dec = Aes256CbcDec::new_from_slices(self.aes_key(), &iv)
            .map_err(|_| CtapError::InvalidInput("AES key length".into()))?;
        let mut buf = Zeroizing::new(body.to_vec());
        dec.decrypt_padded_mut::<NoPadding>(&mut buf)
            .map_err(|_| CtapError::malformed("AES-CBC"))?;
        Ok(buf)
    }

    /// authenticate(sharedSecret, message).
    pub fn authenticate(&self, message: &[u8]) -> Vec<u8> {
        self.protocol.authenticate(&self.key, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_agree_and_round_trip() {
        for protocol in [PinProtocol::V1, PinProtocol::V2] {
            // The "authenticator" side: a static key.
            let auth = p256::SecretKey::random(&mut rand::rngs::OsRng);
            let p = auth.public_key().to_encoded_point(false);
            let cose = cbor::int_map(vec![
                (1, cbor::int_value(2)),
                (3, cbor::int_value(-25)),
                (-1, cbor::int_value(1)),
                (-2, Value::Bytes(p.x().expect("x").to_vec())),
                (-3, Value::Bytes(p.y().expect("y").to_vec())),
            ]);
            let (ours, secret) = protocol.encapsulate(&cose).expect("encapsulate");
            let ours = parse_cose_key(&ours).expect("our key");
            let z = p256::ecdh::diffie_hellman(auth.to_nonzero_scalar(), ours.as_affine());
            let theirs = SharedSecret::derive(protocol, z.raw_secret_bytes().as_slice());
            assert_eq!(*theirs.key, *secret.key);
            let ct = secret.encrypt(&[5u8; 64]).expect("encrypt");
            assert_eq!(ct.len(), if protocol == PinProtocol::V1 { 64 } else { 80 });
            assert_eq!(*theirs.decrypt(&ct).expect("decrypt"), [5u8; 64]);
            let mac = secret.authenticate(b"m");
            assert_eq!(mac.len(), if protocol == PinProtocol::V1 { 16 } else { 32 });
            assert!(secret.decrypt(&ct[..ct.len() - 1]).is_err());
            assert!(secret.encrypt(&[0; 15]).is_err());
        }
    }

    #[test]
    fn kdfs_match_independent_values() {
        // KDF of an all-zero Z, computed independently with Python's hmac/hashlib.
        let s = SharedSecret::derive(PinProtocol::V2, &[0u8; 32]);
        assert_eq!(
            hex::encode(&*s.key),
            "a7e64647558b2943927f786948a6b0c32712e9bf2e40aef9233c0b8a37d171b7\
             5d9e2fddddc85afbea9387838fc93ad65e973842ee683e90b1aac55d5920774a"
        );
        let s1 = SharedSecret::derive(PinProtocol::V1, &[0u8; 32]);
        assert_eq!(
            hex::encode(&*s1.key),
            "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"
        );
    }

    #[test]
    fn bad_peer_keys_are_errors() {
        let not_on_curve = cbor::int_map(vec![
            (1, cbor::int_value(2)),
            (3, cbor::int_value(-25)),
            (-1, cbor::int_value(1)),
            (-2, Value::Bytes(vec![1; 32])),
            (-3, Value::Bytes(vec![1; 32])),
        ]);
        assert!(PinProtocol::V2.encapsulate(&not_on_curve).is_err());
        assert!(PinProtocol::V2.encapsulate(&Value::Null).is_err());
        let short = cbor::int_map(vec![
            (1, cbor::int_value(2)),
            (-1, cbor::int_value(1)),
            (-2, Value::Bytes(vec![1; 31])),
            (-3, Value::Bytes(vec![1; 32])),
        ]);
        assert!(PinProtocol::V1.encapsulate(&short).is_err());
    }
}
