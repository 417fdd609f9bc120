//! The button's actions: **emulator-defined**, all of it, in this one module.
//!
//! HID documents only that a press types an HOTP from slot 1 (crescendo-apdu.md
//! §5.1) and that Crescendo Manager configures "button press actions"; the
//! single/double press configuration, static passwords and the keyboard codes
//! are "not found" (§11). The emulator keeps the configuration on the slot-1
//! instance (`A0000000792300`) and defines two commands:
//!
//! | Command | APDU | Access | Answer |
//! |---|---|---|---|
//! | GET BUTTON CONFIGURATION | `80 CA 06 00 00` | none | `A1 N1 A2 N2` + `9000` |
//! | PUT BUTTON CONFIGURATION | `80 D8 06 P2 Lc <action>` | PIN | `9000` |
//!
//! - `P2` / the GET pairs: `01` single press (A1 N1), `02` double press (A2 N2).
//! - Action byte: `00` nothing, `01` HOTP from slot 1, `02` static password.
//!   `N` is the static password's length in keystrokes (else `00`); its keys
//!   are never read back.
//! - PUT data: `00` | `01` | `02 n (M U)×n`, n = 1–38 keystrokes; `M` is the
//!   boot-keyboard modifier byte (only `02` Left Shift and `40` Right Alt =
//!   AltGr, alone or together), `U` a Keyboard/Keypad page (07h) usage:
//!   `04`–`28` (letters, digits, Enter), `2B` Tab, `2C`–`38` (space and
//!   punctuation), `64` (non-US `\`).
//! - Status words: `6982` PUT without the PIN, `6A86` P2 not 01/02 or GET
//!   P1/P2 wrong, `6A80` malformed data, `6700` GET with data.
//! - Factory and after RESET CARD: single = HOTP, double = nothing.
//! - A press types: HOTP → slot 1's code at its counter (then counter + 1),
//!   digits as usages `1E`–`27` without modifiers and without Enter; no PIN
//!   (the press is the presence); nothing when slot 1 has no key or its access
//!   over contact is Never. Static → its keystrokes. A PUT CONFIGURATION or
//!   PUT KEY on slot 1 leaves the button configuration as it is.

use crate::apdu::Status;
use crate::platform::{KeyStroke, Press};

/// P1 of both commands.
pub const P1_BUTTON: u8 = 0x06;
/// GET BUTTON CONFIGURATION instruction.
pub const INS_GET: u8 = 0xCA;
/// Longest static password, in keystrokes.
pub const MAX_KEYSTROKES: usize = 38;
/// Modifier bits allowed: Left Shift, Right Alt (AltGr).
pub const ALLOWED_MODIFIERS: u8 = 0x02 | 0x40;

const ACTION_NONE: u8 = 0x00;
const ACTION_HOTP: u8 = 0x01;
const ACTION_STATIC: u8 = 0x02;

/// What one kind of press does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Types nothing.
    Nothing,
    /// Types slot 1's HOTP code.
    Hotp,
    /// Types these keys.
    Static(Vec<KeyStroke>),
}

impl Action {
    /// Decodes PUT BUTTON CONFIGURATION data.
    pub fn decode(data: &[u8]) -> Result<Action, Status> {
        match data {
            [ACTION_NONE] => Ok(Action::Nothing),
            [ACTION_HOTP] => Ok(Action::Hotp),
            [ACTION_STATIC, n, keys @ ..] => {
                let n = usize::from(*n);
                if n == 0 || n > MAX_KEYSTROKES || keys.len() != 2 * n {
                    return Err(Status::WRONG_DATA);
                }
                keys.chunks_exact(2)
                    .map(|k| match *k {
                        [m, u] if m & !ALLOWED_MODIFIERS == 0 && usage_allowed(u) => {
                            Ok(KeyStroke {
                                modifiers: m,
                                usage: u,
                            })
                        }
                        _ => Err(Status::WRONG_DATA),
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Action::Static)
            }
            _ => Err(Status::WRONG_DATA),
        }
    }

    /// The PUT data for this action (also the state-file form).
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Action::Nothing => vec![ACTION_NONE],
            Action::Hotp => vec![ACTION_HOTP],
            Action::Static(keys) => {
                let mut v = vec![ACTION_STATIC, keys.len() as u8];
                for k in keys {
                    v.extend_from_slice(&[k.modifiers, k.usage]);
                }
                v
            }
        }
    }

    /// The GET pair: action code and static length (never the keys).
    fn summary(&self) -> [u8; 2] {
        match self {
            Action::Nothing => [ACTION_NONE, 0],
            Action::Hotp => [ACTION_HOTP, 0],
            Action::Static(keys) => [ACTION_STATIC, keys.len() as u8],
        }
    }
}

/// The usages a static password may hold.
pub fn usage_allowed(u: u8) -> bool {
    matches!(u, 0x04..=0x28 | 0x2B..=0x38 | 0x64)
}

/// The press a PUT's P2 names.
pub fn press_of(p2: u8) -> Option<Press> {
    match p2 {
        0x01 => Some(Press::Single),
        0x02 => Some(Press::Double),
        _ => None,
    }
}

/// Decimal digits as keyboard usages: `1`–`9` → `1E`–`26`, `0` → `27` (HID
/// Usage Tables, Keyboard/Keypad page). Other characters are skipped.
pub fn digit_keys(code: &str) -> Vec<KeyStroke> {
    code.bytes()
        .filter_map(|c| match c {
            b'0' => Some(0x27),
            b'1'..=b'9' => Some(0x1E + (c - b'1')),
            _ => None,
        })
        .map(|usage| KeyStroke {
            modifiers: 0,
            usage,
        })
        .collect()
}

/// Both presses' actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ButtonConfig {
    /// Single press.
    pub single: Action,
    /// Double press.
    pub double: Action,
}

impl ButtonConfig {
    /// Factory: a single press types slot 1's HOTP (§5.1), a double press nothing.
    pub fn factory() -> ButtonConfig {
        ButtonConfig {
            single: Action::Hotp,
            double: Action::Nothing,
        }
    }

    /// The action of a press.
    pub fn action(&self, press: Press) -> &Action {
        match press {
            Press::Single => &self.single,
            Press::Double => &self.double,
        }
    }

    /// Sets the action of a press.
    pub fn set(&mut self, press: Press, action: Action) {
        match press {
            Press::Single => self.single = action,
            Press::Double => self.double = action,
        }
    }

    /// GET BUTTON CONFIGURATION answer: `A1 N1 A2 N2`.
    pub fn get_answer(&self) -> [u8; 4] {
        let [a1, n1] = self.single.summary();
        let [a2, n2] = self.double.summary();
        [a1, n1, a2, n2]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(modifiers: u8, usage: u8) -> KeyStroke {
        KeyStroke { modifiers, usage }
    }

    #[test]
    fn actions_round_trip_and_get_hides_the_keys() {
        let a = Action::decode(&[0x02, 0x02, 0x02, 0x04, 0x40, 0x1F]).expect("static");
        assert_eq!(a, Action::Static(vec![key(0x02, 0x04), key(0x40, 0x1F)]));
        assert_eq!(a.encode(), [0x02, 0x02, 0x02, 0x04, 0x40, 0x1F]);
        let mut c = ButtonConfig::factory();
        assert_eq!(c.get_answer(), [0x01, 0x00, 0x00, 0x00]);
        c.set(Press::Double, a);
        assert_eq!(c.get_answer(), [0x01, 0x00, 0x02, 0x02]);
        assert_eq!(Action::decode(&[0x00]), Ok(Action::Nothing));
        assert_eq!(Action::decode(&[0x01]), Ok(Action::Hotp));
    }

    #[test]
    fn malformed_data_is_refused() {
        let long: Vec<u8> = [0x02, 39]
            .into_iter()
            .chain(std::iter::repeat_n([0x00, 0x04], 39).flatten())
            .collect();
        for bad in [
            &[][..],
            &[0x03],
            &[0x01, 0x00],
            &[0x02, 0x00],
            &[0x02, 0x01, 0x00],
            &[0x02, 0x01, 0x01, 0x04], // Left Ctrl
            &[0x02, 0x01, 0x00, 0x29], // Escape
            &[0x02, 0x02, 0x00, 0x04], // short
            &long[..],
        ] {
            assert_eq!(Action::decode(bad), Err(Status::WRONG_DATA), "{bad:02X?}");
        }
        let max: Vec<u8> = [0x02, 38]
            .into_iter()
            .chain(std::iter::repeat_n([0x42, 0x38], 38).flatten())
            .collect();
        assert!(Action::decode(&max).is_ok());
    }

    #[test]
    fn digits_are_the_top_row() {
        let keys: Vec<u8> = digit_keys("7552240").iter().map(|k| k.usage).collect();
        assert_eq!(keys, [0x24, 0x22, 0x22, 0x1F, 0x1F, 0x21, 0x27]);
        assert_eq!(press_of(0x01), Some(Press::Single));
        assert_eq!(press_of(0x03), None);
    }
}
