//! authenticatorCredentialManagement (CTAP 2.1 §6.8; protocols.md §4.6), with
//! command byte `0A` or the FIDO_2_1_PRE preview `41` as getInfo says.
//! pinUvAuthParam = authenticate(token, subCommand ‖ CBOR(subCommandParams)).

use ciborium::value::Value;
use serde::Serialize;

use super::cbor::{self, Map};
use super::client_pin::PinToken;
use super::connection::Quiet;
use super::error::{CtapError, CtapResult, StatusCode};
use super::Ctap2;

mod sub {
    pub const GET_CREDS_METADATA: u8 = 0x01;
    pub const ENUMERATE_RPS_BEGIN: u8 = 0x02;
    pub const ENUMERATE_RPS_NEXT: u8 = 0x03;
    pub const ENUMERATE_CREDENTIALS_BEGIN: u8 = 0x04;
    pub const ENUMERATE_CREDENTIALS_NEXT: u8 = 0x05;
    pub const DELETE_CREDENTIAL: u8 = 0x06;
}

/// Upper bound on enumerations, whatever totals the key claims.
const MAX_ITEMS: u64 = 1000;

/// getCredsMetadata (§6.8.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// existingResidentCredentialsCount.
    pub existing: u64,
    /// maxPossibleRemainingResidentCredentialsCount.
    pub remaining: u64,
}

/// A relying party with discoverable credentials (§6.8.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RelyingParty {
    /// rp.id.
    pub id: String,
    /// rp.name, when stored.
    pub name: Option<String>,
    /// SHA-256(rp.id), hex.
    pub id_hash: String,
}

/// A discoverable credential (§6.8.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Credential {
    /// The relying party.
    pub rp_id: String,
    /// credentialID, hex.
    pub credential_id: String,
    /// user.id, hex.
    pub user_id: String,
    /// user.name.
    pub user_name: Option<String>,
    /// user.displayName.
    pub display_name: Option<String>,
    /// credProtect level.
    pub cred_protect: Option<u64>,
}

/// Credential management with one pinUvAuthToken (permission `cm`).
pub struct CredMgmt<'a, 'c> {
    ctap: &'a mut Ctap2<'c>,
    token: &'a PinToken,
    command: u8,
}

impl<'c> Ctap2<'c> {
    /// Credential management with `token` (needs permission `cm`).
    pub fn cred_mgmt<'a>(&'a mut self, token: &'a PinToken) -> CtapResult<CredMgmt<'a, 'c>> {
        let command = self
            .info()
            .cred_mgmt_command()
            .ok_or_else(|| CtapError::Unsupported("credential management".into()))?;
        Ok(CredMgmt {
            ctap: self,
            token,
            command,
        })
    }
}

impl CredMgmt<'_, '_> {
    fn send(&mut self, sub: u8, params: Option<Value>, auth: bool) -> CtapResult<Map> {
        let mut entries = vec![(1, cbor::int_value(i64::from(sub)))];
        if auth {
            let mut message = vec![sub];
            if let Some(p) = &params {
                message.extend(cbor::encode(p));
            }
            if let Some(p) = params {
                entries.push((2, p));
            }
            entries.push((3, cbor::int_value(self.token.protocol().number() as i64)));
            entries.push((4, Value::Bytes(self.token.authenticate(&message))));
        }
        let request = cbor::int_map(entries);
        Ok(self
            .ctap
            .call(self.command, Some(&request), &mut Quiet)?
            .unwrap_or_default())
    }

    /// getCredsMetadata.
    pub fn metadata(&mut self) -> CtapResult<Metadata> {
        let m = self.send(sub::GET_CREDS_METADATA, None, true)?;
        Ok(Metadata {
            existing: cbor::uint(m.need(1, "existingResidentCredentialsCount")?, "count")?,
            remaining: cbor::uint(
                m.need(2, "maxPossibleRemainingResidentCredentialsCount")?,
                "count",
            )?,
        })
    }

    /// enumerateRPsBegin + GetNextRP: every relying party (none: empty).
    pub fn relying_parties(&mut self) -> CtapResult<Vec<RelyingParty>> {
        let first = match self.send(sub::ENUMERATE_RPS_BEGIN, None, true) {
            Ok(m) => m,
            Err(CtapError::Status(StatusCode::NoCredentials)) => return Ok(vec![]),
            Err(e) => return Err(e),
        };
        let total = cbor::uint(first.need(5, "totalRPs")?, "totalRPs")?.min(MAX_ITEMS);
        let mut out = vec![parse_rp(&first)?];
        for _ in 1..total {
            let m = self.send(sub::ENUMERATE_RPS_NEXT, None, false)?;
            out.push(parse_rp(&m)?);
        }
        Ok(out)
    }

    /// enumerateCredentialsBegin + GetNextCredential for one relying party.
    pub fn credentials(&mut self, rp: &RelyingParty) -> CtapResult<Vec<Credential>> {
        let hash = hex::decode(&rp.id_hash).map_err(|e| CtapError::InvalidInput(e.to_string()))?;
        let params = cbor::int_map(vec![(1, Value::Bytes(hash))]);
        let first = match self.send(sub::ENUMERATE_CREDENTIALS_BEGIN, Some(params), true) {
            Ok(m) => m,
            Err(CtapError::Status(StatusCode::NoCredentials)) => return Ok(vec![]),
            Err(e) => return Err(e),
        };
        let total =
            cbor::uint(first.need(9, "totalCredentials")?, "totalCredentials")?.min(MAX_ITEMS);
        let mut out = vec![parse_credential(&first, &rp.id)?];
        for _ in 1..total {
            let m = self.send(sub::ENUMERATE_CREDENTIALS_NEXT, None, false)?;
            out.push(parse_credential(&m, &rp.id)?);
        }
        Ok(out)
    }

    /// Every discoverable credential of every relying party.
    pub fn all_credentials(&mut self) -> CtapResult<Vec<Credential>> {
        let mut out = vec![];
        for rp in self.relying_parties()? {
            out.extend(self.credentials(&rp)?);
        }
        Ok(out)
    }

    /// deleteCredential (§6.8.5).
    pub fn delete(&mut self, credential_id: &[u8]) -> CtapResult<()> {
        let descriptor = cbor::text_map(vec![
            ("id", Value::Bytes(credential_id.to_vec())),
            ("type", Value::Text("public-key".into())),
        ]);
        let params = cbor::int_map(vec![(2, descriptor)]);
        self.send(sub::DELETE_CREDENTIAL, Some(params), true)?;
        Ok(())
    }
}

fn opt_text(m: &Map, key: &str, what: &str) -> CtapResult<Option<String>> {
    m.text(key)
        .map(|v| cbor::text(v, what).map(str::to_owned))
        .transpose()
}

fn parse_rp(m: &Map) -> CtapResult<RelyingParty> {
    let rp = Map::from_value(m.need(3, "rp")?.clone(), "rp")?;
    let id = cbor::text(
        rp.text("id")
            .ok_or_else(|| CtapError::Cbor("rp.id missing".into()))?,
        "rp.id",
    )?
    .to_owned();
    let hash = cbor::bytes(m.need(4, "rpIDHash")?, "rpIDHash")?;
    if hash.len() != 32 {
        return Err(CtapError::Cbor("rpIDHash not 32 bytes".into()));
    }
    Ok(RelyingParty {
        id,
        name: opt_text(&rp, "name", "rp.name")?,
        id_hash: hex::encode(hash),
    })
}

fn parse_credential(m: &Map, rp_id: &str) -> CtapResult<Credential> {
    let user = Map::from_value(m.need(6, "user")?.clone(), "user")?;
    let descriptor = Map::from_value(m.need(7, "credentialID")?.clone(), "credentialID")?;
    let id = descriptor
        .text("id")
        .ok_or_else(|| CtapError::Cbor("credentialID.id missing".into()))?;
    let user_id = user
        .text("id")
        .ok_or_else(|| CtapError::Cbor("user.id missing".into()))?;
    Ok(Credential {
        rp_id: rp_id.to_owned(),
        credential_id: hex::encode(cbor::bytes(id, "credentialID.id")?),
        user_id: hex::encode(cbor::bytes(user_id, "user.id")?),
        user_name: opt_text(&user, "name", "user.name")?,
        display_name: opt_text(&user, "displayName", "user.displayName")?,
        cred_protect: m
            .int(0x0A)
            .map(|v| cbor::uint(v, "credProtect"))
            .transpose()?,
    })
}
