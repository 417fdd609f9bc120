//! authenticatorMakeCredential (CTAP 2.1 §6.1), ES256, optionally discoverable
//! (`rk`), with a pinUvAuthToken when the key has a PIN.

use ciborium::value::Value;
use serde::Serialize;

use super::cbor;
use super::client_pin::PinToken;
use super::connection::Keepalive;
use super::error::{CtapError, CtapResult};
use super::{command, Ctap2};

/// What to create.
#[derive(Debug, Clone)]
pub struct NewCredential<'a> {
    /// SHA-256 of the client data.
    pub client_data_hash: [u8; 32],
    /// rp.id.
    pub rp_id: &'a str,
    /// rp.name.
    pub rp_name: &'a str,
    /// user.id (≤ 64 bytes).
    pub user_id: &'a [u8],
    /// user.name.
    pub user_name: &'a str,
    /// user.displayName.
    pub display_name: &'a str,
    /// Discoverable (resident) credential.
    pub resident: bool,
}

/// The attestation object's parts the host uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attestation {
    /// fmt.
    pub fmt: String,
    /// AAGUID from the attested credential data.
    pub aaguid: Vec<u8>,
    /// The new credential's id.
    pub credential_id: Vec<u8>,
    /// authData flags.
    pub flags: u8,
}

/// Reads authenticator data (WebAuthn §6.1): rpIdHash(32) flags(1) signCount(4)
/// then, with AT (0x40), aaguid(16) L(2) credentialId(L).
pub fn parse_auth_data(auth_data: &[u8]) -> CtapResult<(u8, Vec<u8>, Vec<u8>)> {
    let flags = *auth_data
        .get(32)
        .ok_or_else(|| CtapError::malformed("authData shorter than 37 bytes"))?;
    if auth_data.len() < 37 {
        return Err(CtapError::malformed("authData shorter than 37 bytes"));
    }
    if flags & 0x40 == 0 {
        return Err(CtapError::malformed(
            "authData without attested credential data",
        ));
    }
    let aaguid = auth_data
        .get(37..53)
        .ok_or_else(|| CtapError::malformed("authData: AAGUID truncated"))?;
    let len = match auth_data.get(53..55) {
        Some(&[hi, lo]) => usize::from(u16::from_be_bytes([hi, lo])),
        _ => {
            return Err(CtapError::malformed(
                "authData: credential id length truncated",
            ))
        }
    };
    let id = auth_data
        .get(55..55 + len)
        .ok_or_else(|| CtapError::malformed("authData: credential id truncated"))?;
    Ok((flags, aaguid.to_vec(), id.to_vec()))
}

impl Ctap2<'_> {
    /// makeCredential. With `token` (permission `mc` for this rp), pinUvAuthParam
    /// = authenticate(token, clientDataHash). Needs a touch.
    pub fn make_credential(
        &mut self,
        new: &NewCredential<'_>,
        token: Option<&PinToken>,
        keepalive: &mut dyn Keepalive,
    ) -> CtapResult<Attestation> {
        let mut entries = vec![
            (1, Value::Bytes(new.client_data_hash.to_vec())),
            (
                2,
                cbor::text_map(vec![
                    ("id", Value::Text(new.rp_id.to_owned())),
                    ("name", Value::Text(new.rp_name.to_owned())),
                ]),
            ),
            (
                3,
                cbor::text_map(vec![
                    ("id", Value::Bytes(new.user_id.to_vec())),
                    ("name", Value::Text(new.user_name.to_owned())),
                    ("displayName", Value::Text(new.display_name.to_owned())),
                ]),
            ),
            (
                4,
                Value::Array(vec![cbor::text_map(vec![
                    ("alg", cbor::int_value(-7)),
                    ("type", Value::Text("public-key".into())),
                ])]),
            ),
        ];
        if new.resident {
            entries.push((7, cbor::text_map(vec![("rk", Value::Bool(true))])));
        }
        if let Some(t) = token {
            entries.push((8, Value::Bytes(t.authenticate(&new.client_data_hash))));
            entries.push((9, cbor::int_value(t.protocol().number() as i64)));
        }
        let params = cbor::int_map(entries);
        let m = self
            .call(command::MAKE_CREDENTIAL, Some(&params), keepalive)?
            .ok_or_else(|| CtapError::malformed("empty makeCredential response"))?;
        let fmt = cbor::text(m.need(1, "fmt")?, "fmt")?.to_owned();
        let auth_data = cbor::bytes(m.need(2, "authData")?, "authData")?;
        let (flags, aaguid, credential_id) = parse_auth_data(auth_data)?;
        Ok(Attestation {
            fmt,
            aaguid,
            credential_id,
            flags,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_data_bounds_are_checked() {
        let mut a = vec![0u8; 32];
        a.push(0x45);
        a.extend([0, 0, 0, 1]);
        a.extend([9u8; 16]);
        a.extend([0, 3, 1, 2, 3]);
        let (flags, aaguid, id) = parse_auth_data(&a).expect("parse");
        assert_eq!((flags, aaguid, id), (0x45, vec![9; 16], vec![1, 2, 3]));
        for n in 0..a.len() {
            assert!(parse_auth_data(&a[..n]).is_err(), "truncated at {n}");
        }
        a[32] = 0x01;
        assert!(parse_auth_data(&a).is_err(), "no AT flag");
    }
}
