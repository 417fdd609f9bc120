//! Static passwords as physical key presses. A Crescendo Key types USB HID
//! keyboard usages (HID Usage Tables, Keyboard/Keypad page 07h) and the
//! computer's layout decides which characters appear, so a password is
//! recorded as the keys pressed (`KeyboardEvent.code`, UI Events KeyboardEvent
//! code values) with Shift and AltGr, and shown back through the layout the
//! browser reports (`navigator.keyboard.getLayoutMap()`, else US).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use zeroize::Zeroize;

/// Longest static password, in keystrokes (the token's limit, docs/VIRTUAL_TOKEN.md).
pub const MAX_KEYS: usize = 38;

/// One key press: a page-07h usage and its modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Key {
    /// Usage ID on the Keyboard/Keypad page.
    pub usage: u8,
    /// Shift held.
    #[serde(default)]
    pub shift: bool,
    /// AltGr (right Alt) held.
    #[serde(default)]
    pub altgr: bool,
}

impl Zeroize for Key {
    fn zeroize(&mut self) {
        self.usage.zeroize();
        self.shift.zeroize();
        self.altgr.zeroize();
    }
}

/// Why a key cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyboardError {
    /// A key a static password cannot hold (function keys, arrows, keypad…).
    #[error("the {code} key cannot be part of a static password")]
    UnsupportedKey {
        /// Its `KeyboardEvent.code`.
        code: String,
    },
    /// A usage outside the supported set.
    #[error("keyboard usage {usage:#04x} cannot be part of a static password")]
    UnsupportedUsage {
        /// The usage.
        usage: u8,
    },
    /// More keys than the token stores.
    #[error("a static password is at most {max} keys")]
    TooLong {
        /// [`MAX_KEYS`].
        max: usize,
    },
    /// No keys.
    #[error("a static password needs at least one key")]
    Empty,
}

/// `KeyboardEvent.code` ↔ usage, with the US layout's characters (unshifted,
/// shifted). `\n` and `\t` stand for Enter and Tab.
const KEYS: &[(&str, u8, char, char)] = &[
    ("KeyA", 0x04, 'a', 'A'),
    ("KeyB", 0x05, 'b', 'B'),
    ("KeyC", 0x06, 'c', 'C'),
    ("KeyD", 0x07, 'd', 'D'),
    ("KeyE", 0x08, 'e', 'E'),
    ("KeyF", 0x09, 'f', 'F'),
    ("KeyG", 0x0A, 'g', 'G'),
    ("KeyH", 0x0B, 'h', 'H'),
    ("KeyI", 0x0C, 'i', 'I'),
    ("KeyJ", 0x0D, 'j', 'J'),
    ("KeyK", 0x0E, 'k', 'K'),
    ("KeyL", 0x0F, 'l', 'L'),
    ("KeyM", 0x10, 'm', 'M'),
    ("KeyN", 0x11, 'n', 'N'),
    ("KeyO", 0x12, 'o', 'O'),
    ("KeyP", 0x13, 'p', 'P'),
    ("KeyQ", 0x14, 'q', 'Q'),
    ("KeyR", 0x15, 'r', 'R'),
    ("KeyS", 0x16, 's', 'S'),
    ("KeyT", 0x17, 't', 'T'),
    ("KeyU", 0x18, 'u', 'U'),
    ("KeyV", 0x19, 'v', 'V'),
    ("KeyW", 0x1A, 'w', 'W'),
    ("KeyX", 0x1B, 'x', 'X'),
    ("KeyY", 0x1C, 'y', 'Y'),
    ("KeyZ", 0x1D, 'z', 'Z'),
    ("Digit1", 0x1E, '1', '!'),
    ("Digit2", 0x1F, '2', '@'),
    ("Digit3", 0x20, '3', '#'),
    ("Digit4", 0x21, '4', '$'),
    ("Digit5", 0x22, '5', '%'),
    ("Digit6", 0x23, '6', '^'),
    ("Digit7", 0x24, '7', '&'),
    ("Digit8", 0x25, '8', '*'),
    ("Digit9", 0x26, '9', '('),
    ("Digit0", 0x27, '0', ')'),
    ("Enter", 0x28, '\n', '\n'),
    ("Tab", 0x2B, '\t', '\t'),
    ("Space", 0x2C, ' ', ' '),
    ("Minus", 0x2D, '-', '_'),
    ("Equal", 0x2E, '=', '+'),
    ("BracketLeft", 0x2F, '[', '{'),
    ("BracketRight", 0x30, ']', '}'),
    ("Backslash", 0x31, '\\', '|'),
    // 32h "Non-US # and ~": browsers report that key as "Backslash" too.
    ("Backslash", 0x32, '\\', '|'),
    ("Semicolon", 0x33, ';', ':'),
    ("Quote", 0x34, '\'', '"'),
    ("Backquote", 0x35, '`', '~'),
    ("Comma", 0x36, ',', '<'),
    ("Period", 0x37, '.', '>'),
    ("Slash", 0x38, '/', '?'),
    // 64h "Non-US \ and |": absent on US keyboards (US X11 maps it to < >).
    ("IntlBackslash", 0x64, '<', '>'),
];

/// Keys whose character no layout changes.
fn layout_independent(usage: u8) -> bool {
    matches!(usage, 0x28 | 0x2B | 0x2C)
}

/// The usage of a `KeyboardEvent.code`.
pub fn usage_of(code: &str) -> Result<u8, KeyboardError> {
    KEYS.iter()
        .find(|k| k.0 == code)
        .map(|k| k.1)
        .ok_or_else(|| KeyboardError::UnsupportedKey {
            code: code.chars().take(32).collect(),
        })
}

/// The `KeyboardEvent.code` of a usage.
pub fn code_of(usage: u8) -> Option<&'static str> {
    KEYS.iter().find(|k| k.1 == usage).map(|k| k.0)
}

/// One recorded key from a `keydown` event: its `code`, `shiftKey` and
/// `getModifierState("AltGraph")`.
pub fn key_from_event(code: &str, shift: bool, altgr: bool) -> Result<Key, KeyboardError> {
    Ok(Key {
        usage: usage_of(code)?,
        shift,
        altgr,
    })
}

/// Checks a whole static password (length, every usage supported).
pub fn check(keys: &[Key]) -> Result<(), KeyboardError> {
    if keys.is_empty() {
        return Err(KeyboardError::Empty);
    }
    if keys.len() > MAX_KEYS {
        return Err(KeyboardError::TooLong { max: MAX_KEYS });
    }
    match keys.iter().find(|k| code_of(k.usage).is_none()) {
        Some(k) => Err(KeyboardError::UnsupportedUsage { usage: k.usage }),
        None => Ok(()),
    }
}

/// Characters as the US layout types them (`\n` Enter, `\t` Tab; other
/// characters have no key). The CLI's conversion of a typed password.
pub fn keys_from_us_text(text: &str) -> Result<Vec<Key>, KeyboardError> {
    let keys = text
        .chars()
        .map(|c| {
            KEYS.iter()
                .filter(|k| k.1 != 0x32 && k.1 != 0x64)
                .find_map(|k| match (k.2 == c, k.3 == c) {
                    (true, _) => Some(Key {
                        usage: k.1,
                        shift: false,
                        altgr: false,
                    }),
                    (false, true) => Some(Key {
                        usage: k.1,
                        shift: true,
                        altgr: false,
                    }),
                    _ => None,
                })
                .ok_or_else(|| KeyboardError::UnsupportedKey {
                    code: format!("{:?} (no key types it on a US layout)", c),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    check(&keys)?;
    Ok(keys)
}

/// The browser's layout map: `KeyboardEvent.code` → the character the key
/// types without modifiers (what `getLayoutMap()` returns).
pub type LayoutMap = BTreeMap<String, String>;

/// What one key types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Typed {
    /// A character (or several, for a dead-key sequence the map reports).
    Text {
        /// The characters.
        text: String,
    },
    /// Enter.
    Enter,
    /// Tab.
    Tab,
    /// The layout map cannot tell (Shift on a non-letter, AltGr, or a key
    /// the map lacks): the UI shows the key's name.
    Unknown {
        /// `KeyboardEvent.code`.
        code: String,
        /// Shift held.
        shift: bool,
        /// AltGr held.
        altgr: bool,
    },
}

/// A static password shown through a layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rendering {
    /// Key by key.
    pub keys: Vec<Typed>,
    /// Some key types another character on another layout: show "on another
    /// keyboard layout this key types other characters".
    pub layout_dependent: bool,
    /// Every key's character is known.
    pub complete: bool,
}

/// What `keys` type on `layout` (`None`: US). Unshifted keys come from the
/// map; Shift on a letter is its upper case; other Shift and AltGr
/// combinations are known only on US (no AltGr there) and shown as unknown.
pub fn render(keys: &[Key], layout: Option<&LayoutMap>) -> Rendering {
    let mut out = Vec::with_capacity(keys.len());
    let mut layout_dependent = false;
    for k in keys {
        layout_dependent |= !layout_independent(k.usage);
        let entry = KEYS.iter().find(|e| e.1 == k.usage);
        let unknown = || Typed::Unknown {
            code: entry.map_or_else(|| format!("0x{:02X}", k.usage), |e| e.0.to_owned()),
            shift: k.shift,
            altgr: k.altgr,
        };
        let Some(&(code, usage, base, shifted)) = entry else {
            out.push(unknown());
            continue;
        };
        let typed = match usage {
            0x28 => Typed::Enter,
            0x2B => Typed::Tab,
            0x2C => Typed::Text { text: " ".into() },
            _ if k.altgr => match layout {
                None => Typed::Text {
                    text: if k.shift { shifted } else { base }.to_string(),
                },
                Some(_) => unknown(),
            },
            _ => match layout {
                None => Typed::Text {
                    text: if k.shift { shifted } else { base }.to_string(),
                },
                Some(map) => match map.get(code) {
                    Some(c) if !k.shift => Typed::Text { text: c.clone() },
                    Some(c) if c.chars().all(char::is_alphabetic) && !c.is_empty() => Typed::Text {
                        text: c.to_uppercase(),
                    },
                    _ => unknown(),
                },
            },
        };
        out.push(typed);
    }
    let complete = out.iter().all(|t| !matches!(t, Typed::Unknown { .. }));
    Rendering {
        keys: out,
        layout_dependent,
        complete,
    }
}

impl Rendering {
    /// Plain text, `⏎` for Enter, `⇥` for Tab, `[code]` for unknown keys.
    pub fn text(&self) -> String {
        self.keys
            .iter()
            .map(|t| match t {
                Typed::Text { text } => text.clone(),
                Typed::Enter => "⏎".into(),
                Typed::Tab => "⇥".into(),
                Typed::Unknown { code, shift, altgr } => {
                    let mut s = String::from("[");
                    if *shift {
                        s.push_str("Shift+");
                    }
                    if *altgr {
                        s.push_str("AltGr+");
                    }
                    s.push_str(code);
                    s.push(']');
                    s
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(usage: u8, shift: bool, altgr: bool) -> Key {
        Key {
            usage,
            shift,
            altgr,
        }
    }

    #[test]
    fn codes_map_to_page_07_usages() {
        assert_eq!(usage_of("KeyA"), Ok(0x04));
        assert_eq!(usage_of("KeyZ"), Ok(0x1D));
        assert_eq!(usage_of("Digit1"), Ok(0x1E));
        assert_eq!(usage_of("Digit0"), Ok(0x27));
        assert_eq!(usage_of("Enter"), Ok(0x28));
        assert_eq!(usage_of("Tab"), Ok(0x2B));
        assert_eq!(usage_of("Space"), Ok(0x2C));
        assert_eq!(usage_of("Slash"), Ok(0x38));
        assert_eq!(usage_of("IntlBackslash"), Ok(0x64));
        assert_eq!(code_of(0x32), Some("Backslash"));
        for code in ["F1", "ArrowUp", "Numpad1", "Escape", "ShiftLeft", ""] {
            assert_eq!(
                key_from_event(code, false, false),
                Err(KeyboardError::UnsupportedKey { code: code.into() })
            );
        }
        let e = usage_of("F1").expect_err("F1");
        assert_eq!(
            e.to_string(),
            "the F1 key cannot be part of a static password"
        );
        assert_eq!(key_from_event("KeyQ", true, true), Ok(k(0x14, true, true)));
    }

    #[test]
    fn us_text_round_trips_through_the_us_rendering() {
        let keys = keys_from_us_text("Tr0ub4dor&3 x\t!\n").expect("keys");
        assert_eq!(keys[0], k(0x17, true, false));
        assert_eq!(keys[9], k(0x24, true, false), "& is Shift+7");
        let r = render(&keys, None);
        assert_eq!(r.text(), "Tr0ub4dor&3 x⇥!⏎");
        assert!(r.complete && r.layout_dependent);
        assert!(keys_from_us_text("é").is_err());
        assert_eq!(keys_from_us_text(""), Err(KeyboardError::Empty));
        assert_eq!(
            keys_from_us_text(&"a".repeat(39)),
            Err(KeyboardError::TooLong { max: 38 })
        );
        assert!(keys_from_us_text(&"a".repeat(38)).is_ok());
    }

    #[test]
    fn a_german_layout_shows_other_characters() {
        let de: LayoutMap = [
            ("KeyY", "z"),
            ("KeyZ", "y"),
            ("Digit2", "2"),
            ("Minus", "ß"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
        let keys = [
            k(0x1C, false, false),
            k(0x1D, true, false),
            k(0x2D, false, false),
            k(0x1F, true, false),
            k(0x14, false, true),
            k(0x2C, false, false),
        ];
        let r = render(&keys, Some(&de));
        assert_eq!(r.text(), "zYß[Shift+Digit2][AltGr+KeyQ] ");
        assert!(!r.complete && r.layout_dependent);
        // Only space, Enter and Tab type the same everywhere.
        let r = render(&[k(0x2C, false, false), k(0x28, false, false)], Some(&de));
        assert!(!r.layout_dependent && r.complete);
        assert_eq!(r.text(), " ⏎");
    }

    #[test]
    fn check_refuses_unknown_usages() {
        assert_eq!(
            check(&[k(0x29, false, false)]),
            Err(KeyboardError::UnsupportedUsage { usage: 0x29 })
        );
        assert_eq!(check(&[k(0x64, true, true)]), Ok(()));
        let r = render(&[k(0x29, false, false)], None);
        assert_eq!(r.text(), "[0x29]");
    }
}
