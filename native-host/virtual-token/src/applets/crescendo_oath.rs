//! The Crescendo Key OATH slots (crescendo-apdu.md §5): one applet instance per
//! slot, AIDs `A0000000792300/01/02`. Slot 1 is the button's HOTP slot (HOTP only).
//!
//! - PUT KEY / PUT CONFIGURATION `80 D8 04|05 00` (§5.2). Access: PIN. A
//!   configuration erases the key; an empty value removes (a removed configuration
//!   is the factory one). P1 b7 set = more blocks follow (**emulator-defined**,
//!   after INJECT PKI KEY; the card also joins CLA-chained blocks).
//! - HOTP AUTHENTICATE `80 88 00 00` (§5.3), TOTP AUTHENTICATE `80 88 11 00 04
//!   <time>` (§5.4), OCRA AUTHENTICATE `80 87 22 00 7C…` (§5.5): packed-BCD results,
//!   `6985` while waiting for the button (§5.8 rule 3).
//! - The configuration bytes and access conditions HID does not publish are
//!   defined in [`encoding`].
//! - Slot 1 also holds the button's actions (single/double press: HOTP,
//!   static password, nothing) with GET/PUT BUTTON CONFIGURATION, all
//!   **emulator-defined** in [`button`].
//!
//! Status words beyond HID's (**emulator-defined**): `6A88` no key, `6986` the
//! slot's mode does not answer this AUTHENTICATE (or TOTP on slot 1), `6A80`
//! malformed data, `6A86` wrong P1/P2, `6D00` unknown INS, `6E00` unknown CLA.

pub mod button;
pub mod encoding;
mod wire;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::apdu::{Command, Status};
use crate::applet::{Applet, Env, Interface};
use crate::otp::{self, OcraInput, OCRA_QUESTION_LEN};
use crate::platform::{KeyStroke, Press};
use button::{Action, ButtonConfig};
use encoding::{Config, Operation};

/// The three OATH instance AIDs (§2.1); slot n has AID n-1.
pub const OATH_AIDS: [[u8; 7]; 3] = [
    [0xA0, 0x00, 0x00, 0x00, 0x79, 0x23, 0x00],
    [0xA0, 0x00, 0x00, 0x00, 0x79, 0x23, 0x01],
    [0xA0, 0x00, 0x00, 0x00, 0x79, 0x23, 0x02],
];

/// Applet family 23h (OATH), version 3.0.3 build 2 (§2.4).
const VERSION_BLOCK: [u8; 5] = [0x23, 0x03, 0x00, 0x03, 0x02];
/// The undocumented `26 02 01 01` object, identical in both SELECT samples (§2.4).
const OBJECT_26: [u8; 4] = [0x26, 0x02, 0x01, 0x01];
/// Keys "may be up to 128 bytes" (§5.2).
const MAX_KEY_LEN: usize = 128;
/// Bound on a P1-b7 chained PUT (a 128-byte key or a configuration fits easily).
const MAX_PUT_LEN: usize = 1024;
/// PUT P1: key (§5.2).
const P1_KEY: u8 = 0x04;
/// PUT P1: configuration (§5.2).
const P1_CONFIG: u8 = 0x05;
/// `6986` command not allowed (see the module doc).
const NOT_ALLOWED: Status = Status(0x6986);

#[derive(Serialize, Deserialize)]
struct Saved {
    /// Configuration bytes, hex.
    config: String,
    /// Key, hex.
    key: Option<String>,
    /// Slot 1: the button's actions, as PUT BUTTON CONFIGURATION data, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    button: Option<SavedButton>,
}

#[derive(Serialize, Deserialize)]
struct SavedButton {
    single: String,
    double: String,
}

fn load_action(hex_data: &str) -> Result<Action, String> {
    let bytes = hex::decode(hex_data).map_err(|e| format!("button: {e}"))?;
    Action::decode(&bytes).map_err(|sw| format!("button: invalid action ({sw:?})"))
}

/// One OATH slot of a Crescendo Key.
pub struct CrescendoOathSlot {
    slot: u8,
    config: Config,
    key: Option<Vec<u8>>,
    /// The button's actions (used on slot 1 only).
    button: ButtonConfig,
    /// A PUT whose P1 had b7 set: (P1 without b7, data so far).
    put_chain: Option<(u8, Vec<u8>)>,
}

impl CrescendoOathSlot {
    /// Slot `slot` (1–3) in factory state: factory configuration, no key.
    ///
    /// # Panics
    /// If `slot` is not 1, 2 or 3 (a profile-building error, not card input).
    pub fn new(slot: u8) -> CrescendoOathSlot {
        assert!((1..=3).contains(&slot), "Crescendo OATH slots are 1-3");
        CrescendoOathSlot {
            slot,
            config: Config::factory(),
            key: None,
            button: ButtonConfig::factory(),
            put_chain: None,
        }
    }

    /// GET BUTTON CONFIGURATION `80 CA 06 00 00` (emulator-defined, [`button`]).
    fn get_button(&self, cmd: &Command, reply: &mut Vec<u8>) -> Result<(), Status> {
        if cmd.p1 != button::P1_BUTTON || cmd.p2 != 0 {
            return Err(Status::WRONG_P1P2);
        }
        if !cmd.data.is_empty() {
            return Err(Status::WRONG_LENGTH);
        }
        reply.extend_from_slice(&self.button.get_answer());
        Ok(())
    }

    /// PUT BUTTON CONFIGURATION `80 D8 06 P2 Lc <action>` (emulator-defined,
    /// [`button`]). Access: PIN.
    fn put_button(&mut self, cmd: &Command, env: &mut Env) -> Result<(), Status> {
        env.platform.button.cancel();
        let press = button::press_of(cmd.p2).ok_or(Status::WRONG_P1P2)?;
        if !env.security.pin_verified {
            return Err(Status::SECURITY_NOT_SATISFIED);
        }
        let action = Action::decode(&cmd.data)?;
        self.button.set(press, action);
        env.mark_dirty();
        Ok(())
    }

    /// The HOTP a press types: slot 1's code, then counter + 1; `None` when
    /// the slot has no key, is not HOTP, or is Never over contact.
    fn typed_hotp(&mut self, env: &mut Env) -> Option<Vec<KeyStroke>> {
        let key = self.key.as_deref()?;
        let c = &self.config;
        if !c.allows(Operation::Hotp) || c.access(Interface::Contact).is_never() {
            return None;
        }
        let code = otp::hotp(c.algorithm, key, c.counter, c.digits).ok()?;
        self.config.counter = c.counter.checked_add(1)?;
        env.mark_dirty();
        let text = format!(
            "{:0width$}",
            code.value(),
            width = usize::from(code.digits())
        );
        Some(button::digit_keys(&text))
    }

    /// §5.2 PUT KEY / PUT CONFIGURATION.
    fn put(&mut self, cmd: &Command, env: &mut Env) -> Result<(), Status> {
        env.platform.button.cancel();
        let what = cmd.p1 & 0x7F;
        if !matches!(what, P1_KEY | P1_CONFIG) || cmd.p2 != 0 {
            return Err(Status::WRONG_P1P2);
        }
        if !env.security.pin_verified {
            return Err(Status::SECURITY_NOT_SATISFIED);
        }
        let mut data = match self.put_chain.take() {
            Some((p1, data)) if p1 == what => data,
            _ => vec![],
        };
        data.extend_from_slice(&cmd.data);
        if data.len() > MAX_PUT_LEN {
            return Err(Status::WRONG_LENGTH);
        }
        if cmd.p1 & 0x80 != 0 {
            self.put_chain = Some((what, data));
            return Ok(());
        }
        let value = wire::put_value(&data)?;
        if what == P1_KEY {
            if value.is_some_and(|k| k.len() > MAX_KEY_LEN) {
                return Err(Status::WRONG_DATA);
            }
            self.key = value.map(<[u8]>::to_vec);
        } else {
            self.config = match value {
                None => Config::factory(),
                Some(v) => Config::decode(v, self.slot).map_err(|_| Status::WRONG_DATA)?,
            };
            // "Setting a configuration clears the key" (§5.2).
            self.key = None;
        }
        env.mark_dirty();
        Ok(())
    }

    /// Mode, access condition and key checks shared by the AUTHENTICATEs.
    fn check_access(&self, op: Operation, env: &Env) -> Result<&[u8], Status> {
        if !self.config.allows(op) || (self.slot == 1 && op != Operation::Hotp) {
            return Err(NOT_ALLOWED);
        }
        let access = self.config.access(env.interface);
        if access.is_never() || (access.needs_pin() && !env.security.pin_verified) {
            return Err(Status::SECURITY_NOT_SATISFIED);
        }
        self.key.as_deref().ok_or(Status::REF_NOT_FOUND)
    }

    /// §5.8 rule 3: `6985` (the LED blinks) until the button was pressed.
    fn touch(&self, op: Operation, env: &mut Env) -> Result<(), Status> {
        let needed = self.config.access(env.interface).needs_touch(op);
        if needed && !env.platform.button.wait(env.platform.now()) {
            return Err(Status::CONDITIONS_NOT_SATISFIED);
        }
        Ok(())
    }

    /// §5.3 HOTP AUTHENTICATE: the OTP of the stored counter, then counter + 1.
    fn hotp(&mut self, cmd: &Command, env: &mut Env, reply: &mut Vec<u8>) -> Result<(), Status> {
        if !cmd.data.is_empty() {
            return Err(Status::WRONG_LENGTH);
        }
        let key = self.check_access(Operation::Hotp, env)?;
        let c = &self.config;
        let otp = otp::hotp(c.algorithm, key, c.counter, c.digits).map_err(|_| Status::UNKNOWN)?;
        let next = c.counter.checked_add(1).ok_or(NOT_ALLOWED)?;
        self.touch(Operation::Hotp, env)?;
        self.config.counter = next;
        env.mark_dirty();
        reply.extend_from_slice(&otp.bcd());
        Ok(())
    }

    /// §5.4 TOTP AUTHENTICATE: T = time / step on the host's 4-byte Unix time.
    fn totp(&mut self, cmd: &Command, env: &mut Env, reply: &mut Vec<u8>) -> Result<(), Status> {
        let time: [u8; 4] = cmd
            .data
            .as_slice()
            .try_into()
            .map_err(|_| Status::WRONG_LENGTH)?;
        let key = self.check_access(Operation::Totp, env)?;
        let c = &self.config;
        let otp = otp::totp(
            c.algorithm,
            key,
            u64::from(u32::from_be_bytes(time)),
            c.time_step_seconds(),
            c.digits,
        )
        .map_err(|_| Status::UNKNOWN)?;
        self.touch(Operation::Totp, env)?;
        reply.extend_from_slice(&otp.bcd());
        Ok(())
    }

    /// §5.5 OCRA AUTHENTICATE with the stored suite; the DOs are the suite's
    /// pre-formatted inputs, `83` is Unix time (T = time / the suite's step).
    fn ocra(&mut self, cmd: &Command, env: &mut Env, reply: &mut Vec<u8>) -> Result<(), Status> {
        let key = self.check_access(Operation::Ocra, env)?;
        let suite = self.config.suite.as_ref().ok_or(NOT_ALLOWED)?;
        let request = wire::ocra_request(&cmd.data)?;
        if request.challenge.len() > OCRA_QUESTION_LEN {
            return Err(Status::WRONG_DATA);
        }
        let time_steps = match (suite.time_step, request.time) {
            (Some(step), Some(t)) => Some(u64::from(t) / step),
            (None, None) => None,
            _ => return Err(Status::WRONG_DATA),
        };
        let input = OcraInput {
            counter: suite.counter.then_some(self.config.counter),
            question: request.challenge,
            pin_hash: request.pin_hash,
            session: request.session,
            time_steps,
        };
        let otp = suite.compute(key, &input).map_err(|_| Status::WRONG_DATA)?;
        let next = match suite.counter {
            true => Some(self.config.counter.checked_add(1).ok_or(NOT_ALLOWED)?),
            false => None,
        };
        self.touch(Operation::Ocra, env)?;
        if let Some(next) = next {
            self.config.counter = next;
            env.mark_dirty();
        }
        reply.extend_from_slice(&wire::ocra_response(&otp.bcd()));
        Ok(())
    }
}

impl Applet for CrescendoOathSlot {
    fn name(&self) -> &'static str {
        match self.slot {
            1 => "oath-slot-1",
            2 => "oath-slot-2",
            _ => "oath-slot-3",
        }
    }

    fn aid(&self) -> &[u8] {
        let index = usize::from(self.slot.clamp(1, 3) - 1);
        OATH_AIDS.get(index).map_or(&[], |aid| aid.as_slice())
    }

    /// §2.4: `6F 2F 84 07 <AID> A5 24 01 05 <version> 26 02 01 01 4A 17 <object>`.
    fn select(&mut self, _env: &mut Env, reply: &mut Vec<u8>) -> Result<(), Status> {
        self.put_chain = None;
        let object = self.config.select_object();
        let mut proprietary = vec![0x01, VERSION_BLOCK.len() as u8];
        proprietary.extend_from_slice(&VERSION_BLOCK);
        proprietary.extend_from_slice(&OBJECT_26);
        proprietary.extend_from_slice(&[0x4A, object.len() as u8]);
        proprietary.extend_from_slice(&object);
        let aid = self.aid().to_vec();
        let mut fci = vec![0x84, aid.len() as u8];
        fci.extend_from_slice(&aid);
        fci.extend_from_slice(&[0xA5, proprietary.len() as u8]);
        fci.extend_from_slice(&proprietary);
        reply.extend_from_slice(&[0x6F, fci.len() as u8]);
        reply.extend_from_slice(&fci);
        Ok(())
    }

    fn call(&mut self, cmd: &Command, env: &mut Env, reply: &mut Vec<u8>) -> Result<(), Status> {
        if cmd.cla & !0x80 != 0 {
            return Err(Status::CLA_NOT_SUPPORTED);
        }
        if cmd.ins != 0xD8 {
            self.put_chain = None;
        }
        match (cmd.ins, cmd.p1, cmd.p2) {
            (0xD8, button::P1_BUTTON, _) if self.slot == 1 => self.put_button(cmd, env),
            (button::INS_GET, _, _) if self.slot == 1 => self.get_button(cmd, reply),
            (0xD8, _, _) => self.put(cmd, env),
            (0x88, 0x00, 0x00) => self.hotp(cmd, env, reply),
            (0x88, 0x11, 0x00) => self.totp(cmd, env, reply),
            (0x87, 0x22, 0x00) => self.ocra(cmd, env, reply),
            (0x88 | 0x87, _, _) => Err(Status::WRONG_P1P2),
            _ => Err(Status::INS_NOT_SUPPORTED),
        }
    }

    fn deselect(&mut self) {
        self.put_chain = None;
    }

    fn power_off(&mut self) {
        self.put_chain = None;
    }

    /// RESET CARD clears "all OATH keys and configurations" (§3.8).
    fn erased_by_card_reset(&self) -> bool {
        true
    }

    fn factory_reset(&mut self) {
        self.config = Config::factory();
        self.key = None;
        self.button = ButtonConfig::factory();
        self.put_chain = None;
    }

    /// Slot 1 owns the button's actions (emulator-defined, [`button`]).
    fn button_press(&mut self, press: Press, env: &mut Env) -> Option<Vec<KeyStroke>> {
        if self.slot != 1 {
            return None;
        }
        Some(match self.button.action(press).clone() {
            Action::Nothing => vec![],
            Action::Static(keys) => keys,
            Action::Hotp => self.typed_hotp(env).unwrap_or_default(),
        })
    }

    fn save(&self) -> Value {
        let saved = Saved {
            config: hex::encode_upper(self.config.encode()),
            key: self.key.as_ref().map(hex::encode_upper),
            button: (self.slot == 1).then(|| SavedButton {
                single: hex::encode_upper(self.button.single.encode()),
                double: hex::encode_upper(self.button.double.encode()),
            }),
        };
        serde_json::to_value(saved).unwrap_or(Value::Null)
    }

    fn load(&mut self, state: Value) -> Result<(), String> {
        let saved: Saved = serde_json::from_value(state).map_err(|e| e.to_string())?;
        let bytes = hex::decode(&saved.config).map_err(|e| format!("config: {e}"))?;
        let config = Config::decode(&bytes, self.slot).map_err(|e| format!("config: {e}"))?;
        let key = match saved.key {
            Some(k) => Some(hex::decode(k).map_err(|e| format!("key: {e}"))?),
            None => None,
        };
        if key
            .as_ref()
            .is_some_and(|k| k.is_empty() || k.len() > MAX_KEY_LEN)
        {
            return Err("key: wrong length".into());
        }
        let button = match saved.button {
            Some(b) => ButtonConfig {
                single: load_action(&b.single)?,
                double: load_action(&b.double)?,
            },
            None => ButtonConfig::factory(),
        };
        self.config = config;
        self.key = key;
        self.button = button;
        self.put_chain = None;
        Ok(())
    }
}
