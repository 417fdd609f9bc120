//! Methods, their parameters and results (docs/PROTOCOL.md "Methods").

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::device::{
    DeviceParams, DevicePinParams, Feature, PersonalizeParams, PinChangeParams, PinPolicySetParams,
    PinStatus, PinUnblockParams, RecycleParams,
};
use super::{ErrorBody, ErrorCode};

/// A request's method with its typed parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    /// `hello`: version handshake; the first call on every connection.
    Hello(HelloParams),
    /// `devices.list`: the readers and tokens the host sees.
    DevicesList,
    /// `pin.status`: the lock state (one empty VERIFY, never a PIN).
    PinStatus(DeviceParams),
    /// `pin.verify`: authenticate once with the PIN.
    PinVerify(DevicePinParams),
    /// `pin.lock`: drop the verified state (close the lock).
    PinLock(DeviceParams),
    /// `pin.change`.
    PinChange(PinChangeParams),
    /// `pin.unblock.challenge`: the challenge for the helpdesk path.
    PinUnblockChallenge(DeviceParams),
    /// `pin.unblock`.
    PinUnblock(PinUnblockParams),
    /// `pin.policy.get`.
    PinPolicyGet(DeviceParams),
    /// `pin.policy.set`.
    PinPolicySet(PinPolicySetParams),
    /// `puk.show`: the stored PUK (standalone devices), after the PIN.
    PukShow(DevicePinParams),
    /// `pairing_code.get`: the VCI pairing code, after the PIN, over contact.
    PairingCode(DevicePinParams),
    /// `cache.clear`: forget what the host knows about the token(s).
    CacheClear,
    /// `device.recycle`: factory reset.
    DeviceRecycle(RecycleParams),
    /// `device.personalize`.
    DevicePersonalize(PersonalizeParams),
}

/// FIDO2 method names (docs/PROTOCOL.md "FIDO"). Their parameters are typed by
/// the host (`tessera-host` handlers/fido.rs), so [`Call::parse`] does not know them.
pub mod fido_methods {
    /// `fido.info`: getInfo and the PIN state.
    pub const INFO: &str = "fido.info";
    /// `fido.pin.set`.
    pub const PIN_SET: &str = "fido.pin.set";
    /// `fido.pin.change`.
    pub const PIN_CHANGE: &str = "fido.pin.change";
    /// `fido.credentials.list`: discoverable credentials (needs the PIN).
    pub const CREDENTIALS_LIST: &str = "fido.credentials.list";
    /// `fido.credentials.delete`.
    pub const CREDENTIALS_DELETE: &str = "fido.credentials.delete";
    /// `fido.reset`: the replug flow; streams `fido.reset` events.
    pub const RESET: &str = "fido.reset";
    /// Every FIDO method.
    pub const ALL: &[&str] = &[
        INFO,
        PIN_SET,
        PIN_CHANGE,
        CREDENTIALS_LIST,
        CREDENTIALS_DELETE,
        RESET,
    ];
}

impl Call {
    /// Every method name this build knows, in the order docs/PROTOCOL.md lists them.
    pub const METHODS: &'static [&'static str] = &[
        "hello",
        "devices.list",
        "pin.status",
        "pin.verify",
        "pin.lock",
        "pin.change",
        "pin.unblock.challenge",
        "pin.unblock",
        "pin.policy.get",
        "pin.policy.set",
        "puk.show",
        "pairing_code.get",
        "cache.clear",
        "device.recycle",
        "device.personalize",
    ];

    /// Types a request's method and parameters.
    pub fn parse(method: &str, params: Value) -> Result<Call, ErrorBody> {
        match method {
            "hello" => Ok(Call::Hello(typed(method, params)?)),
            "devices.list" => {
                typed::<NoParams>(method, params)?;
                Ok(Call::DevicesList)
            }
            "pin.status" => Ok(Call::PinStatus(typed(method, params)?)),
            "pin.verify" => Ok(Call::PinVerify(typed(method, params)?)),
            "pin.lock" => Ok(Call::PinLock(typed(method, params)?)),
            "pin.change" => Ok(Call::PinChange(typed(method, params)?)),
            "pin.unblock.challenge" => Ok(Call::PinUnblockChallenge(typed(method, params)?)),
            "pin.unblock" => Ok(Call::PinUnblock(typed(method, params)?)),
            "pin.policy.get" => Ok(Call::PinPolicyGet(typed(method, params)?)),
            "pin.policy.set" => Ok(Call::PinPolicySet(typed(method, params)?)),
            "puk.show" => Ok(Call::PukShow(typed(method, params)?)),
            "pairing_code.get" => Ok(Call::PairingCode(typed(method, params)?)),
            "cache.clear" => {
                typed::<NoParams>(method, params)?;
                Ok(Call::CacheClear)
            }
            "device.recycle" => Ok(Call::DeviceRecycle(typed(method, params)?)),
            "device.personalize" => Ok(Call::DevicePersonalize(typed(method, params)?)),
            other => Err(ErrorBody::new(
                ErrorCode::UnknownMethod,
                format!("unknown method {other:?}"),
            )
            .with("method", other)),
        }
    }
}

fn typed<T: DeserializeOwned>(method: &str, params: Value) -> Result<T, ErrorBody> {
    serde_json::from_value(params).map_err(|e| {
        ErrorBody::new(
            ErrorCode::InvalidParams,
            format!("invalid params for {method}: {e}"),
        )
        .with("method", method)
    })
}

/// Parameters of a method that takes none: `{}` (unknown fields are refused).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoParams {}

/// `hello` parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HelloParams {
    /// Protocol version the extension speaks.
    pub protocol: u32,
    /// Extension version, for the host's log.
    #[serde(default)]
    pub extension_version: Option<String>,
}

/// `hello` result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HelloResult {
    /// Protocol version the host speaks.
    pub protocol: u32,
    /// Oldest protocol version the host accepts.
    pub min_protocol: u32,
    /// Product name.
    pub product: String,
    /// Host (product) version.
    pub version: String,
    /// Methods the host serves.
    pub methods: Vec<String>,
}

/// `devices.list` result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DevicesList {
    /// Whether the smart-card service could be asked at all.
    pub pcsc: PcscStatus,
    /// Every PC/SC reader, with the card in it if any.
    pub readers: Vec<Reader>,
}

/// State of the smart-card service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PcscStatus {
    /// Summary.
    pub state: PcscState,
    /// Why, when not `ok` (English, for logs and details).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Summary of the smart-card service's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PcscState {
    /// The service answered.
    Ok,
    /// The service is not running (pcscd stopped, WinSCard service off).
    NoService,
    /// The service answered with an error.
    Error,
}

/// One PC/SC reader.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reader {
    /// Reader name as PC/SC reports it (stable while plugged in).
    pub name: String,
    /// The card in the reader, if one is present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<CardInfo>,
}

/// A card present in a reader.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardInfo {
    /// ATR, upper-case hex without spaces.
    pub atr: String,
    /// Model guessed from the ATR, refined by the applets found.
    pub model: TokenModel,
    /// What the host learned by probing the token's applets (absent until
    /// probed, or when probing failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenInfo>,
}

/// A probed token: its stable id and what it can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// Stable device id (from the PIV CHUID GUID, the YKOATH device id, …),
    /// shown in the tile as ActivClient does.
    pub id: String,
    /// Applets found.
    pub applets: Applets,
    /// What the token supports (derived from the applets).
    #[serde(default)]
    pub features: Vec<Feature>,
    /// Lock state, when the token reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<PinStatus>,
    /// The PIN policy demands a PIN change before anything else.
    #[serde(default)]
    pub must_change_pin: bool,
    /// Managed by an administrator (host admin policy): the admin-only
    /// features ([`Feature::admin_only`]) are withheld.
    #[serde(default)]
    pub managed: bool,
}

/// Applets a token answered SELECT for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applets {
    /// HID ACA (PIN, admin key, reset card).
    pub aca: bool,
    /// HID Crescendo OATH slot instances found (0–3).
    pub oath_slots: u8,
    /// PIV.
    pub piv: bool,
    /// YKOATH.
    pub ykoath: bool,
    /// FIDO (CTAP over ISO 7816).
    pub fido: bool,
}

impl Applets {
    /// The features these applets give (Crescendo: ACA admin key and
    /// challenge-response unblock, stored PUK; generic PIV: PUK unblock).
    pub fn features(&self) -> Vec<Feature> {
        let mut f = vec![];
        if self.aca || self.piv {
            f.extend([Feature::Authenticate, Feature::ChangePin]);
        }
        if self.aca {
            f.extend([Feature::UnblockAdminKey, Feature::UnblockChallenge]);
        } else if self.piv {
            f.push(Feature::UnblockPuk);
        }
        // The stored PUK and the pairing code are Crescendo objects (a generic
        // PIV card or a YubiKey has neither).
        if self.aca && self.piv {
            f.extend([Feature::ViewPuk, Feature::PairingCode]);
        }
        if self.aca {
            f.extend([Feature::PinPolicy, Feature::Recycle, Feature::Personalize]);
        }
        f
    }
}

/// A token model as recognised from its ATR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenModel {
    /// Stable model key, e.g. `crescendo-key-v3`, `yubikey-5`, `unknown`.
    pub key: String,
    /// Display name, e.g. `HID Crescendo Key V3`.
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types_known_methods() {
        assert_eq!(
            Call::parse("hello", json!({"protocol":1})).expect("ok"),
            Call::Hello(HelloParams {
                protocol: 1,
                extension_version: None
            })
        );
        assert_eq!(
            Call::parse("devices.list", json!({})).expect("ok"),
            Call::DevicesList
        );
    }

    #[test]
    fn refuses_unknown_methods_and_wrong_types() {
        let e = Call::parse("devices.format", json!({})).expect_err("unknown");
        assert_eq!(e.code, ErrorCode::UnknownMethod);
        let e = Call::parse("hello", json!({"protocol":"one"})).expect_err("type");
        assert_eq!(e.code, ErrorCode::InvalidParams);
        let e = Call::parse("hello", json!([])).expect_err("not an object");
        assert_eq!(e.code, ErrorCode::InvalidParams);
        let e = Call::parse("devices.list", json!({"x":1})).expect_err("unknown field");
        assert_eq!(e.code, ErrorCode::InvalidParams);
    }

    #[test]
    fn every_listed_method_is_known() {
        for m in Call::METHODS {
            let e = Call::parse(m, json!({"bogus": 1})).expect_err("bogus params");
            assert_eq!(e.code, ErrorCode::InvalidParams, "{m} is routed");
        }
    }

    #[test]
    fn device_methods_parse_with_secrets() {
        let c = Call::parse(
            "pin.change",
            json!({"device":"X","old":"0000","new":"2580"}),
        )
        .expect("pin.change");
        let Call::PinChange(p) = c else {
            panic!("wrong call")
        };
        assert_eq!(p.new.expose(), "2580");
        assert!(!format!("{p:?}").contains("2580"), "Debug hides PINs");
        let c = Call::parse(
            "pin.unblock",
            json!({"device":"X","method":{"kind":"admin_key","key":"00"},"new":"2580"}),
        );
        assert!(matches!(c, Ok(Call::PinUnblock(_))));
    }
}
