//! Button methods (`button.*`, docs/PROTOCOL.md "Button"): what a Crescendo
//! Key's button types on a single and a double press. A static password's keys
//! are a secret: [`StaticKeys`] is zeroized, `Debug` shows only its length, and
//! the token never gives them back (only their count).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use crate::keyboard::Key;
use crate::secret::Secret;

/// Method names.
pub mod button_methods {
    /// `button.get`: both presses' actions.
    pub const GET: &str = "button.get";
    /// `button.set`: one press's action.
    pub const SET: &str = "button.set";
}

/// Which press.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ButtonPress {
    /// One press.
    Single,
    /// Two quick presses.
    Double,
}

impl ButtonPress {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ButtonPress::Single => "single",
            ButtonPress::Double => "double",
        }
    }
}

/// What a press types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ButtonActionKind {
    /// The HOTP code of OATH slot 1 (crescendo-apdu.md §5.1).
    Hotp,
    /// A static password.
    Static,
    /// Nothing.
    None,
}

/// One press's action as the token reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ButtonActionInfo {
    /// The action.
    pub kind: ButtonActionKind,
    /// Static password length in keys (its keys are never read back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u8>,
}

/// `button.get` / `button.set` result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ButtonConfigInfo {
    /// Single press.
    pub single: ButtonActionInfo,
    /// Double press.
    pub double: ButtonActionInfo,
}

impl ButtonConfigInfo {
    /// The action of `press`.
    pub fn of(&self, press: ButtonPress) -> ButtonActionInfo {
        match press {
            ButtonPress::Single => self.single,
            ButtonPress::Double => self.double,
        }
    }
}

/// A static password's keys: zeroized on drop, hidden from `Debug`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct StaticKeys(Zeroizing<Vec<Key>>);

impl StaticKeys {
    /// Wraps keys.
    pub fn new(keys: Vec<Key>) -> StaticKeys {
        StaticKeys(Zeroizing::new(keys))
    }

    /// The keys.
    pub fn expose(&self) -> &[Key] {
        &self.0
    }
}

impl fmt::Debug for StaticKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StaticKeys(*** {} keys)", self.0.len())
    }
}

impl Serialize for StaticKeys {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.as_slice().serialize(s)
    }
}

impl<'de> Deserialize<'de> for StaticKeys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<StaticKeys, D::Error> {
        Vec::<Key>::deserialize(d).map(StaticKeys::new)
    }
}

/// The action to set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ButtonAction {
    /// The action.
    pub kind: ButtonActionKind,
    /// `static` only: the keys (1–38, [`crate::keyboard::check`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<StaticKeys>,
}

/// `button.get` params.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ButtonGetParams {
    /// Device id or reader name.
    pub device: String,
}

/// `button.set` params.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ButtonSetParams {
    /// Device id or reader name.
    pub device: String,
    /// Which press.
    pub press: ButtonPress,
    /// What it should type.
    pub action: ButtonAction,
    /// The token PIN, verified first when given.
    #[serde(default)]
    pub pin: Option<Secret>,
    /// Names the press whose static password may be replaced (else
    /// `would_overwrite` with detail `press`).
    #[serde(default)]
    pub replace: Option<ButtonPress>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_params_parse_and_hide_the_keys() {
        let p: ButtonSetParams = serde_json::from_value(json!({
            "device": "d", "press": "double",
            "action": {"kind": "static", "keys": [{"usage": 4, "shift": true}, {"usage": 30}]},
            "replace": "double"
        }))
        .expect("params");
        assert_eq!(p.press, ButtonPress::Double);
        let keys = p.action.keys.as_ref().expect("keys");
        assert_eq!(keys.expose()[0].usage, 4);
        assert!(keys.expose()[0].shift && !keys.expose()[1].altgr);
        assert_eq!(format!("{p:?}").matches("usage").count(), 0);
        assert!(format!("{keys:?}").contains("2 keys"));
        assert!(serde_json::from_value::<ButtonSetParams>(
            json!({"device": "d", "press": "triple", "action": {"kind": "none"}})
        )
        .is_err());
        assert!(serde_json::from_value::<ButtonGetParams>(json!({"device": "d", "x": 1})).is_err());
    }

    #[test]
    fn config_serialises_without_absent_lengths() {
        let c = ButtonConfigInfo {
            single: ButtonActionInfo {
                kind: ButtonActionKind::Hotp,
                length: None,
            },
            double: ButtonActionInfo {
                kind: ButtonActionKind::Static,
                length: Some(8),
            },
        };
        assert_eq!(
            serde_json::to_value(c).expect("json"),
            json!({"single": {"kind": "hotp"}, "double": {"kind": "static", "length": 8}})
        );
        assert_eq!(c.of(ButtonPress::Double).length, Some(8));
    }
}
