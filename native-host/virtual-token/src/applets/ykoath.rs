//! The YKOATH applet (protocols.md §1; Yubico's YKOATH protocol): multi-account
//! HOTP/TOTP credentials, an optional access code with mutual HMAC
//! authentication, and the touch property.
//!
//! - SELECT answers `79` version (5.2.4, as in §1.3's real example), `71` device
//!   salt, and while a password is set `74` a fresh 8-byte challenge and `7B`
//!   its algorithm. The host derives the access key with PBKDF2-HMAC-SHA1 over
//!   that salt (§1.9); the applet only ever sees the derived key.
//! - PUT, DELETE, RENAME, LIST, CALCULATE, CALCULATE ALL, SET CODE, VALIDATE,
//!   RESET; `6982` for every INS but VALIDATE and RESET while locked (§1.1).
//! - Long responses go out in `61xx` blocks fetched with SEND REMAINING `A5`
//!   ([`Applet::response_ins`]); an `A5` with nothing pending answers `6985`.
//!
//! Touch (property `02`), **emulator-defined** poll semantics: a YubiKey blocks
//! up to ~15 s waiting for the press and answers `6982` when none comes
//! (§1.7, checklist A.1); an applet here must not stall the card. CALCULATE of a
//! touch credential calls [`crate::platform::Button::wait`]:
//! - pressed → the code (`9000`);
//! - button `Auto(d)` with d ≤ [`TOUCH_WINDOW`]: the YubiKey would have answered
//!   after d, so the code is returned at once and the wait ends;
//! - otherwise `6982` ("touch timed out"), and the LED keeps blinking for
//!   [`TOUCH_WINDOW`] on the platform clock: a press inside the window makes
//!   the next CALCULATE of a touch credential succeed; after it, the wait
//!   starts over. A host therefore sees only `9000` or `6982`, as from a YubiKey.

mod state;
mod tlv;

use std::time::Duration;

use rand::RngCore;
use serde_json::Value;

use crate::apdu::{Command, Status};
use crate::applet::{Applet, Env};
use crate::otp::{dynamic_truncation, Algorithm};
use crate::platform::ButtonMode;
use state::{decode_algorithm, decode_type, AccessKey, Credential, Kind, Persistent};

/// YKOATH AID (protocols.md §0.1).
pub const YKOATH_AID: &[u8] = &[0xA0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01];
/// Version reported in SELECT: 5.2.4, as in the real example of §1.3.
pub const VERSION: [u8; 3] = [0x05, 0x02, 0x04];
/// How long a touch wait lasts (a YubiKey's is about 15 s).
pub const TOUCH_WINDOW: Duration = Duration::from_secs(15);
/// Credential slots (a YubiKey 5 holds 32); more answers `6A84`.
pub const MAX_CREDENTIALS: usize = 32;
/// Longest credential id (§1.10).
const MAX_NAME_LEN: usize = 64;
/// Longest secret accepted (hosts hash longer keys down to the block size, §1.4).
const MAX_KEY_LEN: usize = 128;
/// Shortest host challenge in VALIDATE (ykneo-oath, §1.9).
const MIN_HOST_CHALLENGE: usize = 8;
/// `6984` data invalid: no such credential, wrong response, no password (§0.1).
const DATA_INVALID: Status = Status(0x6984);
/// `6B00` wrong P1/P2 (ykneo-oath, §1.1).
const WRONG_P1P2: Status = Status(0x6B00);

/// The YKOATH applet.
pub struct YkOathApplet {
    state: Persistent,
    /// SELECT challenge while a password is set.
    challenge: Option<[u8; 8]>,
    /// VALIDATE succeeded (or no password) since the last SELECT.
    unlocked: bool,
    /// When the current touch wait began (platform clock).
    touch_since: Option<Duration>,
}

impl Default for YkOathApplet {
    fn default() -> Self {
        YkOathApplet::new()
    }
}

impl YkOathApplet {
    /// An empty applet; the device salt is drawn from the platform rng at the
    /// first SELECT.
    pub fn new() -> YkOathApplet {
        YkOathApplet {
            state: Persistent::default(),
            challenge: None,
            unlocked: false,
            touch_since: None,
        }
    }

    fn locked(&self) -> bool {
        self.state.access_key.is_some() && !self.unlocked
    }

    fn find(&self, name: &[u8]) -> Option<usize> {
        self.state.credentials.iter().position(|c| c.name == name)
    }

    /// §1.4 PUT.
    fn put(&mut self, cmd: &Command, env: &mut Env) -> Result<(), Status> {
        let tlvs = tlv::parse(&cmd.data).ok_or(Status::WRONG_DATA)?;
        let name = tlv::find(&tlvs, tlv::NAME).ok_or(Status::WRONG_DATA)?;
        let key = tlv::find(&tlvs, tlv::KEY).ok_or(Status::WRONG_DATA)?;
        if name.is_empty() || name.len() > MAX_NAME_LEN {
            return Err(Status::WRONG_DATA);
        }
        let [type_byte, digits, secret @ ..] = key else {
            return Err(Status::WRONG_DATA);
        };
        let (kind, algorithm) = decode_type(*type_byte).ok_or(Status::WRONG_DATA)?;
        if !(6..=8).contains(digits) || secret.len() > MAX_KEY_LEN {
            return Err(Status::WRONG_DATA);
        }
        let property = match tlv::find(&tlvs, tlv::PROPERTY) {
            Some([p]) if p & !0x03 == 0 => *p,
            Some(_) => return Err(Status::WRONG_DATA),
            None => 0,
        };
        let counter = match tlv::find(&tlvs, tlv::IMF) {
            Some(imf) => u32::from_be_bytes(imf.try_into().map_err(|_| Status::WRONG_DATA)?),
            None => 0,
        };
        let credential = Credential {
            name: name.to_vec(),
            kind,
            algorithm,
            digits: *digits,
            key: secret.to_vec(),
            touch: property & 0x02 != 0,
            increasing: property & 0x01 != 0,
            counter: u64::from(counter),
        };
        match self.find(name) {
            Some(i) => {
                if let Some(slot) = self.state.credentials.get_mut(i) {
                    *slot = credential;
                }
            }
            None if self.state.credentials.len() >= MAX_CREDENTIALS => {
                return Err(Status::NO_SPACE)
            }
            None => self.state.credentials.push(credential),
        }
        env.mark_dirty();
        Ok(())
    }

    /// §1.5 DELETE.
    fn delete(&mut self, cmd: &Command, env: &mut Env) -> Result<(), Status> {
        let tlvs = tlv::parse(&cmd.data).ok_or(Status::WRONG_DATA)?;
        let name = tlv::find(&tlvs, tlv::NAME).ok_or(Status::WRONG_DATA)?;
        let i = self.find(name).ok_or(DATA_INVALID)?;
        self.state.credentials.remove(i);
        env.mark_dirty();
        Ok(())
    }

    /// §1.5 RENAME: `71 old 71 new`.
    fn rename(&mut self, cmd: &Command, env: &mut Env) -> Result<(), Status> {
        let tlvs = tlv::parse(&cmd.data).ok_or(Status::WRONG_DATA)?;
        let [(tlv::NAME, old), (tlv::NAME, new)] = tlvs.as_slice() else {
            return Err(Status::WRONG_DATA);
        };
        if new.is_empty() || new.len() > MAX_NAME_LEN || self.find(new).is_some() {
            return Err(Status::WRONG_DATA);
        }
        let i = self.find(old).ok_or(DATA_INVALID)?;
        if let Some(c) = self.state.credentials.get_mut(i) {
            c.name = new.to_vec();
        }
        env.mark_dirty();
        Ok(())
    }

    /// §1.6 LIST: `72 <1+len> <type|algo> <name>` per credential.
    fn list(&self, reply: &mut Vec<u8>) {
        for c in &self.state.credentials {
            let mut value = vec![c.type_byte()];
            value.extend_from_slice(&c.name);
            tlv::push(reply, tlv::NAME_LIST, &value);
        }
    }

    /// Touch for a CALCULATE of a touch credential (module doc).
    fn touch(&mut self, env: &mut Env) -> Result<(), Status> {
        let button = &env.platform.button;
        let now = env.platform.now();
        if self
            .touch_since
            .is_some_and(|since| now.saturating_sub(since) > TOUCH_WINDOW)
        {
            button.cancel();
            self.touch_since = None;
        }
        let pressed = button.wait(now);
        let auto = matches!(button.mode(), ButtonMode::Auto(d) if d <= TOUCH_WINDOW);
        if pressed || auto {
            button.cancel();
            self.touch_since = None;
            Ok(())
        } else {
            self.touch_since.get_or_insert(now);
            Err(Status::SECURITY_NOT_SATISFIED)
        }
    }

    /// HMAC for a credential: HOTP over its counter (then counter + 1), TOTP
    /// over the challenge as sent.
    fn hmac(c: &mut Credential, challenge: &[u8], env: &mut Env) -> Vec<u8> {
        match c.kind {
            Kind::Hotp => {
                let mac = c.algorithm.hmac(&c.key, &[&c.counter.to_be_bytes()]);
                c.counter = c.counter.wrapping_add(1);
                env.mark_dirty();
                mac
            }
            Kind::Totp => c.algorithm.hmac(&c.key, &[challenge]),
        }
    }

    /// `76 05 <digits> <u32>` (truncated) or `75 <1+len> <digits> <HMAC>` (full).
    fn push_response(reply: &mut Vec<u8>, digits: u8, mac: &[u8], truncated: bool) {
        let mut value = vec![digits];
        if truncated {
            let code = dynamic_truncation(mac).unwrap_or(0);
            value.extend_from_slice(&code.to_be_bytes());
            tlv::push(reply, tlv::TRUNCATED, &value);
        } else {
            value.extend_from_slice(mac);
            tlv::push(reply, tlv::RESPONSE, &value);
        }
    }

    /// §1.7 CALCULATE.
    fn calculate(
        &mut self,
        cmd: &Command,
        env: &mut Env,
        reply: &mut Vec<u8>,
    ) -> Result<(), Status> {
        let truncated = match (cmd.p1, cmd.p2) {
            (0x00, 0x00) => false,
            (0x00, 0x01) => true,
            _ => return Err(WRONG_P1P2),
        };
        let tlvs = tlv::parse(&cmd.data).ok_or(Status::WRONG_DATA)?;
        let name = tlv::find(&tlvs, tlv::NAME).ok_or(Status::WRONG_DATA)?;
        let challenge = tlv::find(&tlvs, tlv::CHALLENGE).ok_or(Status::WRONG_DATA)?;
        let i = self.find(name).ok_or(DATA_INVALID)?;
        if self.state.credentials.get(i).is_some_and(|c| c.touch) {
            self.touch(env)?;
        }
        let c = self.state.credentials.get_mut(i).ok_or(DATA_INVALID)?;
        let mac = Self::hmac(c, challenge, env);
        Self::push_response(reply, c.digits, &mac, truncated);
        Ok(())
    }

    /// §1.8 CALCULATE ALL: TOTP codes; HOTP (`77`) and touch (`7C`) entries
    /// carry `01 <digits>` and are not calculated.
    fn calculate_all(&mut self, cmd: &Command, reply: &mut Vec<u8>) -> Result<(), Status> {
        let truncated = match (cmd.p1, cmd.p2) {
            (0x00, 0x00) => false,
            (0x00, 0x01) => true,
            _ => return Err(WRONG_P1P2),
        };
        let tlvs = tlv::parse(&cmd.data).ok_or(Status::WRONG_DATA)?;
        let challenge = tlv::find(&tlvs, tlv::CHALLENGE).ok_or(Status::WRONG_DATA)?;
        for c in &self.state.credentials {
            tlv::push(reply, tlv::NAME, &c.name);
            match (c.kind, c.touch) {
                (Kind::Hotp, _) => tlv::push(reply, tlv::HOTP, &[c.digits]),
                (Kind::Totp, true) => tlv::push(reply, tlv::TOUCH, &[c.digits]),
                (Kind::Totp, false) => {
                    let mac = c.algorithm.hmac(&c.key, &[challenge]);
                    Self::push_response(reply, c.digits, &mac, truncated);
                }
            }
        }
        Ok(())
    }

    /// §1.9 SET CODE: `73 <algo key> 74 <challenge> 75 <HMAC(key, challenge)>`,
    /// or `73 00` to remove the password.
    fn set_code(&mut self, cmd: &Command, env: &mut Env) -> Result<(), Status> {
        let tlvs = tlv::parse(&cmd.data).ok_or(Status::WRONG_DATA)?;
        let key = tlv::find(&tlvs, tlv::KEY).ok_or(Status::WRONG_DATA)?;
        let Some((algo, key)) = key.split_first() else {
            self.state.access_key = None;
            self.challenge = None;
            env.mark_dirty();
            return Ok(());
        };
        // ykman sends 21 (TOTP|SHA1), the .NET SDK 01: accept type 0–2, SHA-1/256.
        let algorithm = decode_algorithm(*algo)
            .filter(|a| *a != Algorithm::Sha512 && algo >> 4 <= 2)
            .ok_or(Status::WRONG_DATA)?;
        if key.is_empty() {
            return Err(Status::WRONG_DATA);
        }
        let challenge = tlv::find(&tlvs, tlv::CHALLENGE).ok_or(Status::WRONG_DATA)?;
        let response = tlv::find(&tlvs, tlv::RESPONSE).ok_or(Status::WRONG_DATA)?;
        if !constant_time_eq(&algorithm.hmac(key, &[challenge]), response) {
            return Err(DATA_INVALID);
        }
        self.state.access_key = Some(AccessKey {
            algorithm,
            key: key.to_vec(),
        });
        self.unlocked = true;
        env.mark_dirty();
        Ok(())
    }

    /// §1.9 VALIDATE: `75 <HMAC(key, SELECT challenge)> 74 <host challenge>` →
    /// `75 <HMAC(key, host challenge)>`.
    fn validate(&mut self, cmd: &Command, reply: &mut Vec<u8>) -> Result<(), Status> {
        let Some(access) = &self.state.access_key else {
            return Err(DATA_INVALID);
        };
        let tlvs = tlv::parse(&cmd.data).ok_or(Status::WRONG_DATA)?;
        let response = tlv::find(&tlvs, tlv::RESPONSE).ok_or(Status::WRONG_DATA)?;
        let host_challenge = tlv::find(&tlvs, tlv::CHALLENGE).ok_or(Status::WRONG_DATA)?;
        if host_challenge.len() < MIN_HOST_CHALLENGE {
            return Err(Status::WRONG_DATA);
        }
        let challenge = self.challenge.ok_or(DATA_INVALID)?;
        let expected = access.algorithm.hmac(&access.key, &[&challenge]);
        if !constant_time_eq(&expected, response) {
            self.unlocked = false;
            return Err(DATA_INVALID);
        }
        let answer = access.algorithm.hmac(&access.key, &[host_challenge]);
        tlv::push(reply, tlv::RESPONSE, &answer);
        self.unlocked = true;
        Ok(())
    }

    /// §1.9 RESET `00 04 DE AD`: all credentials and the password go, new salt.
    fn reset(&mut self, cmd: &Command, env: &mut Env) -> Result<(), Status> {
        if (cmd.p1, cmd.p2) != (0xDE, 0xAD) {
            return Err(WRONG_P1P2);
        }
        let mut salt = vec![0u8; 8];
        env.platform.rng.fill_bytes(&mut salt);
        self.state = Persistent {
            salt,
            ..Persistent::default()
        };
        self.challenge = None;
        self.unlocked = false;
        env.mark_dirty();
        Ok(())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Applet for YkOathApplet {
    fn name(&self) -> &'static str {
        "ykoath"
    }

    fn aid(&self) -> &[u8] {
        YKOATH_AID
    }

    /// §1.3: `79 03 <version> 71 08 <salt> [74 08 <challenge> 7B 01 <algo>]`.
    /// Selecting locks the session again.
    fn select(&mut self, env: &mut Env, reply: &mut Vec<u8>) -> Result<(), Status> {
        if self.state.salt.len() != 8 {
            let mut salt = vec![0u8; 8];
            env.platform.rng.fill_bytes(&mut salt);
            self.state.salt = salt;
            env.mark_dirty();
        }
        self.unlocked = false;
        self.touch_since = None;
        tlv::push(reply, tlv::VERSION, &VERSION);
        tlv::push(reply, tlv::NAME, &self.state.salt);
        self.challenge = match &self.state.access_key {
            Some(access) => {
                let mut challenge = [0u8; 8];
                env.platform.rng.fill_bytes(&mut challenge);
                tlv::push(reply, tlv::CHALLENGE, &challenge);
                tlv::push(
                    reply,
                    tlv::ALGORITHM,
                    &[state::algorithm_code(access.algorithm)],
                );
                Some(challenge)
            }
            None => None,
        };
        Ok(())
    }

    fn call(&mut self, cmd: &Command, env: &mut Env, reply: &mut Vec<u8>) -> Result<(), Status> {
        if cmd.cla != 0x00 {
            return Err(Status::CLA_NOT_SUPPORTED);
        }
        const KNOWN: [u8; 10] = [0x01, 0x02, 0x03, 0x04, 0x05, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5];
        if !KNOWN.contains(&cmd.ins) {
            return Err(Status::INS_NOT_SUPPORTED);
        }
        if self.locked() && !matches!(cmd.ins, 0xA3 | 0x04) {
            return Err(Status::SECURITY_NOT_SATISFIED);
        }
        match cmd.ins {
            0x01 => self.put(cmd, env),
            0x02 => self.delete(cmd, env),
            0x03 => self.set_code(cmd, env),
            0x04 => self.reset(cmd, env),
            0x05 => self.rename(cmd, env),
            0xA1 => {
                self.list(reply);
                Ok(())
            }
            0xA2 => self.calculate(cmd, env, reply),
            0xA3 => self.validate(cmd, reply),
            0xA4 => self.calculate_all(cmd, reply),
            // SEND REMAINING with nothing pending (the card serves pending data).
            _ => Err(Status::CONDITIONS_NOT_SATISFIED),
        }
    }

    /// SEND REMAINING (§0.1, §1.11).
    fn response_ins(&self) -> u8 {
        0xA5
    }

    fn deselect(&mut self) {
        self.unlocked = false;
        self.challenge = None;
        self.touch_since = None;
    }

    fn power_off(&mut self) {
        self.deselect();
    }

    fn factory_reset(&mut self) {
        self.state = Persistent::default();
        self.deselect();
    }

    fn save(&self) -> Value {
        serde_json::to_value(&self.state).unwrap_or(Value::Null)
    }

    fn load(&mut self, state: Value) -> Result<(), String> {
        let state: Persistent = serde_json::from_value(state).map_err(|e| e.to_string())?;
        if !(state.salt.is_empty() || state.salt.len() == 8) {
            return Err("salt must be 8 bytes".into());
        }
        self.state = state;
        self.deselect();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! Applet-level checks (the card-level suite is tests/ykoath.rs).

    use super::*;
    use crate::applet::{Interface, PinState, Security};
    use crate::platform::Platform;

    struct Harness {
        applet: YkOathApplet,
        platform: Platform,
        security: Security,
        pin: PinState,
    }

    impl Harness {
        fn new() -> Harness {
            Harness {
                applet: YkOathApplet::new(),
                platform: Platform::deterministic(3, ButtonMode::Manual).0,
                security: Security::default(),
                pin: PinState {
                    value: PinState::pad(b"123456"),
                    tries_left: 3,
                    max_tries: 3,
                    min_len: 6,
                    max_len: 8,
                    numeric_only: false,
                },
            }
        }

        fn env(&mut self) -> Env<'_> {
            Env {
                platform: &mut self.platform,
                security: &mut self.security,
                pin: &mut self.pin,
                interface: Interface::Contact,
                powered_for: Duration::ZERO,
                dirty: false,
                requests: vec![],
            }
        }

        fn send(&mut self, apdu: &str) -> (String, Status) {
            let cmd =
                Command::parse(&hex::decode(apdu.replace(' ', "")).expect("hex")).expect("apdu");
            let mut reply = vec![];
            let mut applet = std::mem::take(&mut self.applet);
            let result = applet.call(&cmd, &mut self.env(), &mut reply);
            self.applet = applet;
            (
                hex::encode_upper(reply),
                result.err().unwrap_or(Status::SUCCESS),
            )
        }
    }

    #[test]
    fn calculate_all_entries() {
        // protocols.md §1.8; RFC 4226 count 0 as the TOTP challenge: 4C93CF18.
        let mut t = Harness::new();
        let mut applet = YkOathApplet::new();
        applet.select(&mut t.env(), &mut vec![]).expect("select");
        t.applet = applet;
        let key = hex::encode(b"12345678901234567890");
        let put = |name: &str, typ: &str, extra: &str| {
            format!(
                "00010000 {:02X} 71{:02X}{} 7316 {typ} {key} {extra}",
                2 + name.len() + 24 + extra.replace(' ', "").len() / 2,
                name.len(),
                hex::encode(name)
            )
        };
        assert_eq!(t.send(&put("totp", "2106", "")).1, Status::SUCCESS);
        assert_eq!(t.send(&put("hotp", "1108", "")).1, Status::SUCCESS);
        assert_eq!(t.send(&put("touch", "2107", "7802")).1, Status::SUCCESS);
        let (r, sw) = t.send("00A400010A 7408 0000000000000000");
        assert_eq!(sw, Status::SUCCESS);
        assert_eq!(
            r,
            "7104746F7470 7605064C93CF18 7104686F7470 770108 7105746F756368 7C0107"
                .replace(' ', "")
        );
        assert_eq!(t.send("00A400020A 7408 0000000000000000").1, WRONG_P1P2);
    }
}
