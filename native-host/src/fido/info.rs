//! authenticatorGetInfo (CTAP 2.1 §6.4; protocols.md §4.4) and the U2F-only
//! fallback: a key that does not know getInfo is probed with CTAP1 VERSION
//! (U2F raw message formats §7.1).

use std::collections::BTreeMap;

use serde::Serialize;

use super::cbor::{self, Map};
use super::connection::FidoConnection;
use super::error::{CtapError, CtapResult};

/// What getInfo says (the members the host uses).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Info {
    /// `01` versions, e.g. `U2F_V2`, `FIDO_2_0`, `FIDO_2_1_PRE`, `FIDO_2_1`.
    pub versions: Vec<String>,
    /// `02` extensions.
    pub extensions: Vec<String>,
    /// `03` AAGUID (16 bytes).
    #[serde(serialize_with = "hex_bytes")]
    pub aaguid: Vec<u8>,
    /// `04` options.
    pub options: BTreeMap<String, bool>,
    /// `05` maxMsgSize (default 1024).
    pub max_msg_size: Option<u64>,
    /// `06` pinUvAuthProtocols, in the authenticator's order of preference.
    pub pin_uv_auth_protocols: Vec<u64>,
    /// `09` transports.
    pub transports: Vec<String>,
    /// `0C` forcePINChange.
    pub force_pin_change: bool,
    /// `0D` minPINLength (default 4).
    pub min_pin_length: Option<u64>,
    /// `0E` firmwareVersion.
    pub firmware_version: Option<u64>,
    /// `14` remainingDiscoverableCredentials.
    pub remaining_discoverable_credentials: Option<u64>,
    /// `18` longTouchForReset (CTAP 2.2).
    pub long_touch_for_reset: bool,
    /// No CTAP2: only CTAP1/U2F answered.
    pub u2f_only: bool,
}

fn hex_bytes<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(b))
}

/// PIN state as getInfo's `clientPin` option tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PinSupport {
    /// Option absent: no PIN support.
    Unsupported,
    /// `false`: supported, not set.
    NotSet,
    /// `true`: set.
    Set,
}

impl Info {
    /// Parses getInfo's response CBOR.
    pub fn parse(bytes: &[u8]) -> CtapResult<Info> {
        let m = Map::from_value(cbor::decode(bytes)?, "getInfo")?;
        let strings = |key: i64, what: &str| -> CtapResult<Vec<String>> {
            match m.int(key) {
                None => Ok(vec![]),
                Some(v) => cbor::array(v, what)?
                    .iter()
                    .map(|s| cbor::text(s, what).map(str::to_owned))
                    .collect(),
            }
        };
        let opt_uint = |key: i64, what: &str| m.int(key).map(|v| cbor::uint(v, what)).transpose();
        let opt_bool = |key: i64, what: &str| -> CtapResult<bool> {
            Ok(m.int(key)
                .map(|v| cbor::boolean(v, what))
                .transpose()?
                .unwrap_or(false))
        };
        let mut options = BTreeMap::new();
        if let Some(v) = m.int(4) {
            for (k, v) in cbor::map(v, "options")? {
                options.insert(
                    cbor::text(k, "option name")?.to_owned(),
                    cbor::boolean(v, "option value")?,
                );
            }
        }
        let pin_uv_auth_protocols = match m.int(6) {
            None => vec![],
            Some(v) => cbor::array(v, "pinUvAuthProtocols")?
                .iter()
                .map(|p| cbor::uint(p, "pinUvAuthProtocol"))
                .collect::<CtapResult<_>>()?,
        };
        let aaguid = cbor::bytes(m.need(3, "aaguid")?, "aaguid")?.to_vec();
        if aaguid.len() != 16 {
            return Err(CtapError::Cbor(format!(
                "aaguid of {} bytes, not 16",
                aaguid.len()
            )));
        }
        Ok(Info {
            versions: {
                let v = strings(1, "versions")?;
                if v.is_empty() {
                    return Err(CtapError::Cbor("versions (key 1) missing".into()));
                }
                v
            },
            extensions: strings(2, "extensions")?,
            aaguid,
            options,
            max_msg_size: opt_uint(5, "maxMsgSize")?,
            pin_uv_auth_protocols,
            transports: strings(9, "transports")?,
            force_pin_change: opt_bool(0x0C, "forcePINChange")?,
            min_pin_length: opt_uint(0x0D, "minPINLength")?,
            firmware_version: opt_uint(0x0E, "firmwareVersion")?,
            remaining_discoverable_credentials: opt_uint(0x14, "remainingDiscoverableCredentials")?,
            long_touch_for_reset: opt_bool(0x18, "longTouchForReset")?,
            u2f_only: false,
        })
    }

    /// What a U2F-only key looks like.
    pub fn u2f_only() -> Info {
        Info {
            versions: vec!["U2F_V2".into()],
            aaguid: vec![0; 16],
            u2f_only: true,
            ..Info::default()
        }
    }

    /// An option's value (absent = `None`).
    pub fn option(&self, name: &str) -> Option<bool> {
        self.options.get(name).copied()
    }

    /// Whether a version string is listed.
    pub fn has_version(&self, v: &str) -> bool {
        self.versions.iter().any(|x| x == v)
    }

    /// The PIN state (`clientPin`).
    pub fn pin(&self) -> PinSupport {
        match self.option("clientPin") {
            None => PinSupport::Unsupported,
            Some(false) => PinSupport::NotSet,
            Some(true) => PinSupport::Set,
        }
    }

    /// Minimum PIN length in code points (§6.4: default 4).
    pub fn min_pin_len(&self) -> usize {
        self.min_pin_length
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(4)
            .max(4)
    }

    /// Whether credential management exists, and with which command byte
    /// (§6.8: `0A`; `41` for FIDO_2_1_PRE keys with credentialMgmtPreview).
    pub fn cred_mgmt_command(&self) -> Option<u8> {
        if self.option("credMgmt") == Some(true) {
            Some(super::command::CREDENTIAL_MANAGEMENT)
        } else if self.option("credentialMgmtPreview") == Some(true) {
            Some(super::command::CREDENTIAL_MANAGEMENT_PREVIEW)
        } else {
            None
        }
    }

    /// Whether getPinUvAuthTokenUsingPinWithPermissions (§6.5.5.7.2) is available.
    pub fn supports_permissions(&self) -> bool {
        self.option("pinUvAuthToken") == Some(true)
    }
}

/// CTAP1 VERSION `00 03 00 00` (extended form, as over CTAPHID MSG); `U2F_V2` expected.
pub const U2F_VERSION_APDU: [u8; 7] = [0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00];

/// Probes CTAP1: true when VERSION answers `U2F_V2` with `9000`.
pub fn probe_u2f(conn: &mut dyn FidoConnection) -> CtapResult<bool> {
    let r = conn.ctap1(&U2F_VERSION_APDU)?;
    Ok(r.ends_with(&[0x90, 0x00]) && r.starts_with(b"U2F_V2"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ciborium::value::Value;

    fn sample() -> Vec<u8> {
        let v = cbor::int_map(vec![
            (
                1,
                Value::Array(vec![
                    Value::Text("U2F_V2".into()),
                    Value::Text("FIDO_2_1".into()),
                ]),
            ),
            (3, Value::Bytes(vec![7; 16])),
            (
                4,
                cbor::text_map(vec![
                    ("clientPin", Value::Bool(false)),
                    ("credMgmt", Value::Bool(true)),
                    ("pinUvAuthToken", Value::Bool(true)),
                ]),
            ),
            (5, cbor::int_value(1200)),
            (
                6,
                Value::Array(vec![cbor::int_value(2), cbor::int_value(1)]),
            ),
            (0x0C, Value::Bool(true)),
            (0x0D, cbor::int_value(6)),
            (0x14, cbor::int_value(25)),
        ]);
        cbor::encode(&v)
    }

    #[test]
    fn parses_the_members_we_use() {
        let i = Info::parse(&sample()).expect("parse");
        assert_eq!(i.versions, ["U2F_V2", "FIDO_2_1"]);
        assert_eq!(i.pin(), PinSupport::NotSet);
        assert_eq!(i.cred_mgmt_command(), Some(0x0A));
        assert_eq!(i.pin_uv_auth_protocols, [2, 1]);
        assert_eq!(i.max_msg_size, Some(1200));
        assert!(i.force_pin_change);
        assert_eq!(i.min_pin_len(), 6);
        assert_eq!(i.remaining_discoverable_credentials, Some(25));
        assert!(i.supports_permissions());
    }

    #[test]
    fn preview_and_missing_members() {
        let v = cbor::int_map(vec![
            (1, Value::Array(vec![Value::Text("FIDO_2_1_PRE".into())])),
            (3, Value::Bytes(vec![0; 16])),
            (
                4,
                cbor::text_map(vec![("credentialMgmtPreview", Value::Bool(true))]),
            ),
        ]);
        let i = Info::parse(&cbor::encode(&v)).expect("parse");
        assert_eq!(i.cred_mgmt_command(), Some(0x41));
        assert_eq!(i.pin(), PinSupport::Unsupported);
        assert_eq!(i.min_pin_len(), 4);
        // Wrong types and truncation are errors, not panics.
        let bad = cbor::int_map(vec![
            (1, cbor::int_value(3)),
            (3, Value::Bytes(vec![0; 16])),
        ]);
        assert!(Info::parse(&cbor::encode(&bad)).is_err());
        let short = cbor::int_map(vec![
            (1, Value::Array(vec![Value::Text("FIDO_2_0".into())])),
            (3, Value::Bytes(vec![0; 3])),
        ]);
        assert!(Info::parse(&cbor::encode(&short)).is_err());
        let s = sample();
        for n in 0..s.len() {
            assert!(Info::parse(&s[..n]).is_err(), "truncated at {n}");
        }
    }
}
