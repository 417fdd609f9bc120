//! The applet contract: a pure state machine, command in → reply + status out
//! (piv-authenticator / trussed style). Card-global state reaches an applet only
//! through [`Env`].

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::apdu::{Command, Status};
use crate::platform::{KeyStroke, Platform, Press};

/// The card PIN, shared by the ACA and PIV on a Crescendo Key (crescendo-apdu.md
/// §4: "PIN or PIV PIN"; HID's sequences VERIFY on the ACA, then use OATH).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinState {
    /// PIN bytes, right-padded with FFh to 8 bytes (§3).
    pub value: Vec<u8>,
    /// Tries left before the PIN blocks.
    pub tries_left: u8,
    /// Retry limit (reset value of `tries_left`).
    pub max_tries: u8,
    /// Minimum PIN length (GET PIN PROPERTIES).
    pub min_len: u8,
    /// Maximum PIN length.
    pub max_len: u8,
    /// Only digits 30h–39h allowed.
    pub numeric_only: bool,
}

impl PinState {
    /// Pads an ASCII PIN with FFh to 8 bytes (§3: "123456" → 313233343536FFFF).
    pub fn pad(pin: &[u8]) -> Vec<u8> {
        let mut v = pin.to_vec();
        v.resize(8, 0xFF);
        v
    }

    /// The PIN without its FFh padding.
    pub fn unpadded(padded: &[u8]) -> &[u8] {
        let end = padded
            .iter()
            .position(|&b| b == 0xFF)
            .unwrap_or(padded.len());
        &padded[..end]
    }

    /// Whether a padded new PIN meets the length and charset policy.
    pub fn acceptable(&self, padded: &[u8]) -> bool {
        if padded.len() != 8 {
            return false;
        }
        let pin = PinState::unpadded(padded);
        // Padding must be contiguous: nothing but FF after the first FF.
        let tail_ok = padded[pin.len()..].iter().all(|&b| b == 0xFF);
        let len = pin.len() as u8;
        let charset_ok = if self.numeric_only {
            pin.iter().all(u8::is_ascii_digit)
        } else {
            pin.iter().all(|&b| b != 0xFF)
        };
        tail_ok && charset_ok && (self.min_len..=self.max_len).contains(&len)
    }

    /// Checks a candidate; updates the counter. `Ok` on match.
    pub fn check(&mut self, candidate: &[u8]) -> Result<(), Status> {
        if self.tries_left == 0 {
            return Err(Status::AUTH_BLOCKED);
        }
        let matches = candidate.len() == self.value.len()
            && candidate
                .iter()
                .zip(&self.value)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if matches {
            self.tries_left = self.max_tries;
            Ok(())
        } else {
            self.tries_left -= 1;
            Err(if self.tries_left == 0 {
                Status::AUTH_BLOCKED
            } else {
                Status::tries_left(self.tries_left)
            })
        }
    }
}

/// Card-global security status (volatile: cleared by power off / reset).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Security {
    /// The card PIN was verified in this session.
    pub pin_verified: bool,
    /// XAUTH key 1 (admin) was authenticated in this session.
    pub xauth: bool,
}

/// The physical interface a command arrived on (OATH access conditions differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interface {
    /// USB CCID / contact reader.
    Contact,
    /// NFC.
    Contactless,
}

/// Requests an applet makes of the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardRequest {
    /// RESET CARD: every applet that [`Applet::erased_by_card_reset`] returns to factory state.
    FactoryReset,
}

/// What an applet sees of the card while it handles a command.
pub struct Env<'a> {
    /// Clock, rng, button.
    pub platform: &'a mut Platform,
    /// Card-global security status.
    pub security: &'a mut Security,
    /// The card PIN.
    pub pin: &'a mut PinState,
    /// Interface of this session.
    pub interface: Interface,
    /// Time since power-on.
    pub powered_for: Duration,
    pub(crate) dirty: bool,
    pub(crate) requests: Vec<CardRequest>,
}

impl Env<'_> {
    /// Marks persistent state as changed: the card saves it after this command.
    pub fn mark_dirty(&mut self) {
        self.dirty = true;
    }

    /// Asks the card to do something after this command.
    pub fn request(&mut self, r: CardRequest) {
        self.requests.push(r);
    }
}

/// One applet instance.
pub trait Applet: Send {
    /// Stable name, the key of its state in the state file (e.g. `oath-slot-1`).
    fn name(&self) -> &'static str;

    /// Full AID; SELECT by name matches a prefix of at least 5 bytes.
    fn aid(&self) -> &[u8];

    /// SELECT response data (FCI / application property template).
    fn select(&mut self, env: &mut Env, reply: &mut Vec<u8>) -> Result<(), Status>;

    /// Handles one (de-chained) command while selected. Data written to `reply`
    /// is sent before the status word, also with an error status (e.g. `9100`).
    fn call(&mut self, cmd: &Command, env: &mut Env, reply: &mut Vec<u8>) -> Result<(), Status>;

    /// INS that fetches the rest of a long response: GET RESPONSE `C0`
    /// (ISO 7816-4); YKOATH uses SEND REMAINING `A5`.
    fn response_ins(&self) -> u8 {
        0xC0
    }

    /// Whether the card should join CLA-chained blocks before calling
    /// [`Applet::call`] (true) or pass each block through (false).
    fn card_joins_chains(&self) -> bool {
        true
    }

    /// Another applet was selected.
    fn deselect(&mut self) {}

    /// Power off or reset: drop volatile state.
    fn power_off(&mut self) {}

    /// The device was unplugged (not just an ICC power-off: a USB key keeps
    /// its FIDO authenticator powered across CCID power cycles).
    fn unplug(&mut self) {
        self.power_off();
    }

    /// Whether ACA RESET CARD erases this applet (§3.8).
    fn erased_by_card_reset(&self) -> bool {
        false
    }

    /// Back to factory state.
    fn factory_reset(&mut self) {}

    /// The key's button was pressed while no operation waited for it. The
    /// applet that owns the button's actions returns the keys to type (maybe
    /// none); every other applet returns `None`.
    fn button_press(&mut self, _press: Press, _env: &mut Env) -> Option<Vec<KeyStroke>> {
        None
    }

    /// Persistent state, for the state file.
    fn save(&self) -> Value;

    /// Restores persistent state saved by [`Applet::save`].
    fn load(&mut self, state: Value) -> Result<(), String>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin() -> PinState {
        PinState {
            value: PinState::pad(b"00000000"),
            tries_left: 3,
            max_tries: 3,
            min_len: 4,
            max_len: 8,
            numeric_only: true,
        }
    }

    #[test]
    fn padding_matches_hid_examples() {
        assert_eq!(
            hex::encode_upper(PinState::pad(b"123456")),
            "313233343536FFFF"
        );
        assert_eq!(PinState::unpadded(&PinState::pad(b"123456")), b"123456");
    }

    #[test]
    fn counter_and_block() {
        let mut p = pin();
        assert_eq!(p.check(&PinState::pad(b"1111")), Err(Status(0x63C2)));
        assert_eq!(p.check(&PinState::pad(b"00000000")), Ok(()));
        assert_eq!(p.tries_left, 3);
        for _ in 0..2 {
            let _ = p.check(&PinState::pad(b"1111"));
        }
        assert_eq!(p.check(&PinState::pad(b"1111")), Err(Status::AUTH_BLOCKED));
        assert_eq!(
            p.check(&PinState::pad(b"00000000")),
            Err(Status::AUTH_BLOCKED)
        );
    }

    #[test]
    fn policy() {
        let p = pin();
        assert!(p.acceptable(&PinState::pad(b"1234")));
        assert!(!p.acceptable(&PinState::pad(b"123")));
        assert!(!p.acceptable(&PinState::pad(b"12a4")));
        assert!(!p.acceptable(b"12\xFF45678"));
    }
}
