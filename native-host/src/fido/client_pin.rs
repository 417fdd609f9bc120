//! authenticatorClientPIN (CTAP 2.1 §6.5.5; protocols.md §4.5): retries, key
//! agreement, setPIN, changePIN, getPinToken and
//! getPinUvAuthTokenUsingPinWithPermissions.

use ciborium::value::Value;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::cbor::{self, Map};
use super::connection::Quiet;
use super::error::{CtapError, CtapResult};
use super::pin_protocol::{PinProtocol, SharedSecret};
use super::{command, Ctap2};

/// pinUvAuthToken permissions (§6.5.5.7).
pub mod permission {
    /// makeCredential.
    pub const MC: u8 = 0x01;
    /// getAssertion.
    pub const GA: u8 = 0x02;
    /// credential management.
    pub const CM: u8 = 0x04;
    /// bio enrollment.
    pub const BE: u8 = 0x08;
    /// large blob write.
    pub const LBW: u8 = 0x10;
    /// authenticator configuration.
    pub const ACFG: u8 = 0x20;
}

mod sub {
    pub const GET_PIN_RETRIES: u8 = 0x01;
    pub const GET_KEY_AGREEMENT: u8 = 0x02;
    pub const SET_PIN: u8 = 0x03;
    pub const CHANGE_PIN: u8 = 0x04;
    pub const GET_PIN_TOKEN: u8 = 0x05;
    pub const GET_TOKEN_WITH_PERMISSIONS: u8 = 0x09;
}

/// getPINRetries' answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PinRetries {
    /// Tries left before the PIN blocks (max 8).
    pub retries: u64,
    /// `true`: PIN use is blocked until the key is power-cycled (§6.5.5.2).
    pub power_cycle_state: Option<bool>,
}

/// A pinUvAuthToken (zeroized on drop).
pub struct PinToken {
    protocol: PinProtocol,
    token: Zeroizing<Vec<u8>>,
}

impl PinToken {
    /// The protocol the token belongs to.
    pub fn protocol(&self) -> PinProtocol {
        self.protocol
    }

    /// authenticate(pinUvAuthToken, message).
    pub fn authenticate(&self, message: &[u8]) -> Vec<u8> {
        self.protocol.authenticate(&self.token, message)
    }
}

/// The PIN as the authenticator wants it (§6.5.5.5): at least `min_len` code
/// points, at most 63 UTF-8 bytes, padded with zeros to 64.
///
/// Not done: Unicode NFC normalisation (a PIN typed as decomposed characters
/// gets a different hash on another platform); ASCII PINs are unaffected.
pub fn padded_pin(pin: &str, min_len: usize) -> CtapResult<Zeroizing<Vec<u8>>> {
    let chars = pin.chars().count();
    if chars < min_len {
        return Err(CtapError::InvalidInput(format!(
            "the PIN needs at least {min_len} characters"
        )));
    }
    if pin.len() > 63 {
        return Err(CtapError::InvalidInput(
            "the PIN is longer than 63 bytes".into(),
        ));
    }
    let mut out = Zeroizing::new(vec![0u8; 64]);
    out[..pin.len()].copy_from_slice(pin.as_bytes());
    Ok(out)
}

fn pin_hash(pin: &str) -> Zeroizing<Vec<u8>> {
    let digest = Sha256::digest(pin.as_bytes());
    Zeroizing::new(digest.get(..16).unwrap_or_default().to_vec())
}

impl Ctap2<'_> {
    fn client_pin(&mut self, entries: Vec<(i64, Value)>) -> CtapResult<Map> {
        let params = cbor::int_map(entries);
        Ok(self
            .call(command::CLIENT_PIN, Some(&params), &mut Quiet)?
            .unwrap_or_default())
    }

    fn protocol_entries(&self, sub: u8) -> CtapResult<Vec<(i64, Value)>> {
        let p = self.pin_protocol()?;
        Ok(vec![
            (1, cbor::int_value(p.number() as i64)),
            (2, cbor::int_value(i64::from(sub))),
        ])
    }

    /// getPINRetries (§6.5.5.2).
    pub fn pin_retries(&mut self) -> CtapResult<PinRetries> {
        let entries = self.protocol_entries(sub::GET_PIN_RETRIES)?;
        let m = self.client_pin(entries)?;
        Ok(PinRetries {
            retries: cbor::uint(m.need(3, "pinRetries")?, "pinRetries")?,
            power_cycle_state: m
                .int(4)
                .map(|v| cbor::boolean(v, "powerCycleState"))
                .transpose()?,
        })
    }

    /// getKeyAgreement (§6.5.5.3) + encapsulate: our COSE key and the secret.
    pub fn key_agreement(&mut self) -> CtapResult<(Value, SharedSecret)> {
        let protocol = self.pin_protocol()?;
        let entries = self.protocol_entries(sub::GET_KEY_AGREEMENT)?;
        let m = self.client_pin(entries)?;
        protocol.encapsulate(m.need(1, "keyAgreement")?)
    }

    /// setPIN (§6.5.5.4).
    pub fn set_pin(&mut self, pin: &str) -> CtapResult<()> {
        let padded = padded_pin(pin, self.info.min_pin_len())?;
        let (key, shared) = self.key_agreement()?;
        let new_pin_enc = shared.encrypt(&padded)?;
        let mut entries = self.protocol_entries(sub::SET_PIN)?;
        entries.push((3, key));
        entries.push((4, Value::Bytes(shared.authenticate(&new_pin_enc))));
        entries.push((5, Value::Bytes(new_pin_enc)));
        self.client_pin(entries)?;
        Ok(())
    }

    /// changePIN (§6.5.5.5).
    pub fn change_pin(&mut self, old: &str, new: &str) -> CtapResult<()> {
        let padded = padded_pin(new, self.info.min_pin_len())?;
        let (key, shared) = self.key_agreement()?;
        let new_pin_enc = shared.encrypt(&padded)?;
        let pin_hash_enc = shared.encrypt(&pin_hash(old))?;
        let mut message = new_pin_enc.clone();
        message.extend_from_slice(&pin_hash_enc);
        let mut entries = self.protocol_entries(sub::CHANGE_PIN)?;
        entries.push((3, key));
        entries.push((4, Value::Bytes(shared.authenticate(&message))));
        entries.push((5, Value::Bytes(new_pin_enc)));
        entries.push((6, Value::Bytes(pin_hash_enc)));
        self.client_pin(entries)?;
        Ok(())
    }

    /// A pinUvAuthToken from the PIN: getPinUvAuthTokenUsingPinWithPermissions
    /// (§6.5.5.7.2) when the key has `pinUvAuthToken`, else the legacy
    /// getPinToken (§6.5.5.7.1), whose token carries every permission.
    pub fn pin_token(
        &mut self,
        pin: &str,
        permissions: u8,
        rp_id: Option<&str>,
    ) -> CtapResult<PinToken> {
        let protocol = self.pin_protocol()?;
        let (key, shared) = self.key_agreement()?;
        let pin_hash_enc = shared.encrypt(&pin_hash(pin))?;
        let with_permissions = self.info.supports_permissions();
        let sub = if with_permissions {
            sub::GET_TOKEN_WITH_PERMISSIONS
        } else {
            sub::GET_PIN_TOKEN
        };
        let mut entries = self.protocol_entries(sub)?;
        entries.push((3, key));
        entries.push((6, Value::Bytes(pin_hash_enc)));
        if with_permissions {
            entries.push((9, cbor::int_value(i64::from(permissions))));
            if let Some(rp) = rp_id {
                entries.push((0x0A, Value::Text(rp.to_owned())));
            }
        }
        let m = self.client_pin(entries)?;
        let encrypted = cbor::bytes(m.need(2, "pinUvAuthToken")?, "pinUvAuthToken")?;
        let token = shared.decrypt(encrypted)?;
        let ok = match protocol {
            PinProtocol::V1 => matches!(token.len(), 16 | 32),
            PinProtocol::V2 => token.len() == 32,
        };
        if !ok {
            return Err(CtapError::malformed(format!(
                "pinUvAuthToken of {} bytes",
                token.len()
            )));
        }
        Ok(PinToken { protocol, token })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_padding_and_limits() {
        let p = padded_pin("1234", 4).expect("ok");
        assert_eq!(p.len(), 64);
        assert_eq!(&p[..5], b"1234\0");
        assert!(padded_pin("123", 4).is_err());
        assert!(padded_pin("ééé", 4).is_err(), "code points, not bytes");
        assert!(padded_pin(&"x".repeat(63), 4).is_ok());
        assert!(padded_pin(&"x".repeat(64), 4).is_err());
        assert_eq!(
            hex::encode(&*pin_hash("1234")),
            "03ac674216f3e15c761ee1a5e255f067"
        );
    }
}
