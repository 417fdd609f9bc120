//! **Emulator-defined: the button's actions** (docs/VIRTUAL_TOKEN.md "The
//! button"). HID documents only that a press types slot 1's HOTP
//! (crescendo-apdu.md §5.1); single/double press configuration, static
//! passwords and scan codes are "not found" (§11). Written from that table,
//! in this one file, so it can be replaced when HID's encoding turns up:
//!
//! - GET BUTTON CONFIGURATION `80 CA 06 00 00` on the slot-1 instance →
//!   `A1 N1 A2 N2` (single, double): action `00` nothing, `01` HOTP, `02`
//!   static password of `N` keystrokes (the keys are never read back).
//! - PUT BUTTON CONFIGURATION `80 D8 06 P2 Lc <action>`, P2 `01` single / `02`
//!   double, PIN first: `00` | `01` | `02 n (M U)×n`, n ≤ 38, `M` = `02` Shift
//!   and/or `40` AltGr, `U` a Keyboard/Keypad page usage.

use tessera_core::keyboard::Key;
use zeroize::Zeroizing;

use crate::sessions::SessionError;

/// P1 of GET and PUT BUTTON CONFIGURATION.
pub const BUTTON_P1: u8 = 0x06;
/// GET BUTTON CONFIGURATION's instruction.
pub const BUTTON_GET_INS: u8 = 0xCA;
/// Longest static password, in keystrokes.
pub const MAX_STATIC_KEYS: usize = 38;
/// Modifier bit: Left Shift (boot keyboard report).
pub const MODIFIER_SHIFT: u8 = 0x02;
/// Modifier bit: Right Alt = AltGr.
pub const MODIFIER_ALTGR: u8 = 0x40;

const ACTION_NOTHING: u8 = 0x00;
const ACTION_HOTP: u8 = 0x01;
const ACTION_STATIC: u8 = 0x02;

/// Which press (PUT's P2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Press {
    /// `01`.
    Single,
    /// `02`.
    Double,
}

impl Press {
    /// P2 of PUT BUTTON CONFIGURATION.
    pub fn p2(self) -> u8 {
        match self {
            Press::Single => 0x01,
            Press::Double => 0x02,
        }
    }
}

/// One press's action as GET reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionState {
    /// Types nothing.
    Nothing,
    /// Types slot 1's HOTP.
    Hotp,
    /// Types a static password of this many keys.
    Static {
        /// Keystrokes.
        length: u8,
    },
}

impl ActionState {
    fn decode(action: u8, length: u8) -> Result<ActionState, SessionError> {
        match (action, length) {
            (ACTION_NOTHING, 0) => Ok(ActionState::Nothing),
            (ACTION_HOTP, 0) => Ok(ActionState::Hotp),
            (ACTION_STATIC, 1..) => Ok(ActionState::Static { length }),
            _ => Err(SessionError::Malformed(format!(
                "unknown button action {action:02X} (length {length})"
            ))),
        }
    }
}

/// Both presses, from GET BUTTON CONFIGURATION.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ButtonState {
    /// Single press.
    pub single: ActionState,
    /// Double press.
    pub double: ActionState,
}

impl ButtonState {
    /// Decodes `A1 N1 A2 N2`.
    pub fn decode(data: &[u8]) -> Result<ButtonState, SessionError> {
        match *data {
            [a1, n1, a2, n2] => Ok(ButtonState {
                single: ActionState::decode(a1, n1)?,
                double: ActionState::decode(a2, n2)?,
            }),
            _ => Err(SessionError::Malformed(format!(
                "a button configuration is 4 bytes, not {}",
                data.len()
            ))),
        }
    }

    /// The action of `press`.
    pub fn of(&self, press: Press) -> ActionState {
        match press {
            Press::Single => self.single,
            Press::Double => self.double,
        }
    }
}

/// An action to write.
#[derive(Clone, PartialEq, Eq)]
pub enum ButtonAction {
    /// Type nothing.
    Nothing,
    /// Type slot 1's HOTP.
    Hotp,
    /// Type these keys (a secret).
    Static(Zeroizing<Vec<Key>>),
}

impl std::fmt::Debug for ButtonAction {
    /// Never the keys.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ButtonAction::Nothing => f.write_str("Nothing"),
            ButtonAction::Hotp => f.write_str("Hotp"),
            ButtonAction::Static(k) => write!(f, "Static(*** {} keys)", k.len()),
        }
    }
}

impl ButtonAction {
    /// PUT BUTTON CONFIGURATION data. Refuses 0 or more than 38 keys and
    /// usage 00 (nothing is sent).
    pub fn encode(&self) -> Result<Zeroizing<Vec<u8>>, SessionError> {
        Ok(Zeroizing::new(match self {
            ButtonAction::Nothing => vec![ACTION_NOTHING],
            ButtonAction::Hotp => vec![ACTION_HOTP],
            ButtonAction::Static(keys) => {
                if keys.is_empty() || keys.len() > MAX_STATIC_KEYS {
                    return Err(SessionError::InvalidArgument(format!(
                        "a static password is 1–{MAX_STATIC_KEYS} keys"
                    )));
                }
                let mut v = Vec::with_capacity(2 + 2 * keys.len());
                v.extend_from_slice(&[ACTION_STATIC, keys.len() as u8]);
                for k in keys.iter() {
                    if k.usage == 0 {
                        return Err(SessionError::InvalidArgument(
                            "keyboard usage 00 is no key".into(),
                        ));
                    }
                    let m = if k.shift { MODIFIER_SHIFT } else { 0 }
                        | if k.altgr { MODIFIER_ALTGR } else { 0 };
                    v.extend_from_slice(&[m, k.usage]);
                }
                v
            }
        }))
    }
}
