//! ACA, HID's Access Control Applet (crescendo-apdu.md §3): the card PIN,
//! PIN properties, the XAUTH admin key (challenge/response), admin PIN unblock
//! and RESET CARD.

mod xauth;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use xauth::{XauthAlgorithm, XauthKey};

use crate::apdu::{Command, Status};
use crate::applet::{Applet, CardRequest, Env, PinState};

/// ACA instance AID (§2.1).
pub const ACA_AID: &[u8] = &[0xA0, 0x00, 0x00, 0x00, 0x79, 0x10, 0x00];

/// Applet family 10h, version 3.0.3 build 1 (§2.2).
const VERSION_BLOCK: [u8; 5] = [0x10, 0x03, 0x00, 0x03, 0x01];

/// Unlock tries after which UNLOCK PIN answers 6983 (§3.7 mentions the counter,
/// not its limit): **emulator-defined**.
pub const UNLOCK_TRIES: u8 = 10;

/// Tag of the PIN-properties TLV (§3.4).
const PIN_PROPERTIES_TAG: u8 = 0x31;
/// Numeric-only byte of GET PIN PROPERTIES: the page leaves the encoding blank;
/// **emulator-defined**: 01 = digits only, 00 = any byte.
const NUMERIC_ONLY: u8 = 0x01;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Persistent {
    xauth: Option<XauthKey>,
    unlock_tries_left: u8,
}

/// The ACA.
pub struct AcaApplet {
    factory_key: Option<XauthKey>,
    state: Persistent,
    challenge: Option<Vec<u8>>,
}

impl AcaApplet {
    /// An ACA whose XAUTH key 1 is `key` (factory: AES-128 zeros, §4).
    pub fn new(key: Option<XauthKey>) -> AcaApplet {
        AcaApplet {
            factory_key: key.clone(),
            state: Persistent {
                xauth: key,
                unlock_tries_left: UNLOCK_TRIES,
            },
            challenge: None,
        }
    }

    /// §3.2 VERIFY PIN. An empty VERIFY is a retry probe (not documented for the
    /// ACA; the PIV idiom, **emulator-defined**): 9000 when verified, else 63CX.
    fn verify(&mut self, cmd: &Command, env: &mut Env) -> Result<(), Status> {
        if cmd.p1 != 0 || cmd.p2 != 0 {
            return Err(Status::WRONG_P1P2);
        }
        if cmd.data.is_empty() {
            return match (env.security.pin_verified, env.pin.tries_left) {
                (true, _) => Ok(()),
                (false, 0) => Err(Status::AUTH_BLOCKED),
                (false, n) => Err(Status::tries_left(n)),
            };
        }
        if cmd.data.len() > 8 {
            return Err(Status::WRONG_LENGTH);
        }
        let candidate = PinState::pad(&cmd.data);
        let result = env.pin.check(&candidate);
        env.security.pin_verified = result.is_ok();
        env.mark_dirty();
        result
    }

    /// §3.3 CHANGE PIN: old and new PIN, 8 bytes each.
    fn change(&mut self, cmd: &Command, env: &mut Env) -> Result<(), Status> {
        if cmd.p1 != 0x01 || cmd.p2 != 0 {
            return Err(Status::WRONG_P1P2);
        }
        let (old, new) = match cmd.data.len() {
            16 => cmd.data.split_at(8),
            _ => return Err(Status::WRONG_LENGTH),
        };
        let result = env.pin.check(old);
        env.mark_dirty();
        if let Err(sw) = result {
            env.security.pin_verified = false;
            return Err(sw);
        }
        if !env.pin.acceptable(new) {
            return Err(Status::WRONG_DATA);
        }
        env.pin.value = new.to_vec();
        env.security.pin_verified = true;
        Ok(())
    }

    /// §3.4 GET PIN PROPERTIES.
    fn pin_properties(cmd: &Command, env: &Env, reply: &mut Vec<u8>) -> Result<(), Status> {
        if cmd.p1 != 0x02 {
            return Err(Status::WRONG_P1P2);
        }
        if cmd.data != [PIN_PROPERTIES_TAG] {
            return Err(Status::WRONG_DATA);
        }
        let numeric = if env.pin.numeric_only {
            NUMERIC_ONLY
        } else {
            0
        };
        reply.extend_from_slice(&[
            PIN_PROPERTIES_TAG,
            0x05,
            env.pin.min_len,
            env.pin.max_len,
            0x00,
            0x00,
            numeric,
        ]);
        Ok(())
    }

    /// §3.5 GET CHALLENGE: 8 bytes for a TDES key, 16 for AES-128.
    fn get_challenge(
        &mut self,
        cmd: &Command,
        env: &mut Env,
        reply: &mut Vec<u8>,
    ) -> Result<(), Status> {
        if cmd.p1 != 0 || cmd.p2 > 1 {
            return Err(Status::WRONG_P1P2);
        }
        let key = self.state.xauth.as_ref().ok_or(Status::REF_NOT_FOUND)?;
        let mut challenge = vec![0u8; key.algorithm.block_len()];
        env.platform.rng.fill_bytes(&mut challenge);
        reply.extend_from_slice(&challenge);
        self.challenge = Some(challenge);
        Ok(())
    }

    /// §3.5 EXTERNAL AUTHENTICATE with XAUTH key 1: data = ECB(key, challenge).
    /// The challenge is single-use; a wrong cryptogram costs an unlock try.
    fn external_authenticate(&mut self, cmd: &Command, env: &mut Env) -> Result<(), Status> {
        if cmd.p1 != 0 || cmd.p2 != 0x01 {
            return Err(Status::WRONG_P1P2);
        }
        let key = self.state.xauth.as_ref().ok_or(Status::REF_NOT_FOUND)?;
        let challenge = self
            .challenge
            .take()
            .ok_or(Status::CONDITIONS_NOT_SATISFIED)?;
        if self.state.unlock_tries_left == 0 {
            return Err(Status::AUTH_BLOCKED);
        }
        if key.matches(&challenge, &cmd.data) {
            env.security.xauth = true;
            if self.state.unlock_tries_left != UNLOCK_TRIES {
                self.state.unlock_tries_left = UNLOCK_TRIES;
                env.mark_dirty();
            }
            Ok(())
        } else {
            env.security.xauth = false;
            self.state.unlock_tries_left -= 1;
            env.mark_dirty();
            Err(Status::VERIFY_FAILED)
        }
    }

    /// §3.6 PUT XAUTH KEY (P1 = key index 1). Access: PIN or XAUTH1.
    fn put_xauth_key(&mut self, cmd: &Command, env: &mut Env) -> Result<(), Status> {
        if !(env.security.pin_verified || env.security.xauth) {
            return Err(Status::SECURITY_NOT_SATISFIED);
        }
        if cmd.p1 != 0x01 || cmd.p2 != 0 {
            return Err(Status::WRONG_P1P2);
        }
        self.state.xauth = XauthKey::parse_put(&cmd.data)?;
        self.challenge = None;
        env.mark_dirty();
        Ok(())
    }

    /// §3.7 UNLOCK PIN: a new PIN after XAUTH1; resets the PIN retry counter.
    fn unlock(&mut self, cmd: &Command, env: &mut Env) -> Result<(), Status> {
        if cmd.p1 != 0x02 || cmd.p2 != 0 {
            return Err(Status::WRONG_P1P2);
        }
        if !env.security.xauth {
            return Err(match self.state.unlock_tries_left {
                0 => Status::AUTH_BLOCKED,
                n => Status::tries_left(n),
            });
        }
        if cmd.data.len() > 8 {
            return Err(Status::WRONG_LENGTH);
        }
        let new = PinState::pad(&cmd.data);
        if !env.pin.acceptable(&new) {
            return Err(Status::WRONG_DATA);
        }
        env.pin.value = new;
        env.pin.tries_left = env.pin.max_tries;
        env.mark_dirty();
        Ok(())
    }

    /// §3.8 RESET CARD. Access: PIN or XAUTH1.
    fn reset_card(cmd: &Command, env: &mut Env) -> Result<(), Status> {
        if !cmd.data.is_empty() {
            return Err(Status::WRONG_LENGTH);
        }
        if !(env.security.pin_verified || env.security.xauth) {
            return Err(Status::SECURITY_NOT_SATISFIED);
        }
        env.request(CardRequest::FactoryReset);
        Ok(())
    }
}

impl Applet for AcaApplet {
    fn name(&self) -> &'static str {
        "aca"
    }

    fn aid(&self) -> &[u8] {
        ACA_AID
    }

    /// §2.2: `6F 12 84 07 <AID> A5 07 01 05 <family, version>`.
    fn select(&mut self, _env: &mut Env, reply: &mut Vec<u8>) -> Result<(), Status> {
        let mut proprietary = vec![0x01, VERSION_BLOCK.len() as u8];
        proprietary.extend_from_slice(&VERSION_BLOCK);
        let mut fci = vec![0x84, ACA_AID.len() as u8];
        fci.extend_from_slice(ACA_AID);
        fci.push(0xA5);
        fci.push(proprietary.len() as u8);
        fci.extend_from_slice(&proprietary);
        reply.push(0x6F);
        reply.push(fci.len() as u8);
        reply.extend_from_slice(&fci);
        Ok(())
    }

    fn call(&mut self, cmd: &Command, env: &mut Env, reply: &mut Vec<u8>) -> Result<(), Status> {
        match (cmd.cla & !0x80, cmd.ins) {
            (0x00, 0x20) => self.verify(cmd, env),
            (0x00, 0x24) => self.change(cmd, env),
            (0x00, 0x56) => Self::pin_properties(cmd, env, reply),
            (0x00, 0x84) => self.get_challenge(cmd, env, reply),
            (0x00, 0x82) => self.external_authenticate(cmd, env),
            (0x00, 0xD8) => self.put_xauth_key(cmd, env),
            (0x00, 0x2C) => self.unlock(cmd, env),
            // The 3rd-party WebCard script sends RESET CARD with CLA 80 (§3.8).
            (0x00, 0x38) => Self::reset_card(cmd, env),
            (0x00, _) => Err(Status::INS_NOT_SUPPORTED),
            _ => Err(Status::CLA_NOT_SUPPORTED),
        }
    }

    fn power_off(&mut self) {
        self.challenge = None;
    }

    fn erased_by_card_reset(&self) -> bool {
        true
    }

    /// RESET CARD "clears XAUTH key 1" (§3.8): the admin key is gone until a
    /// PUT XAUTH KEY after VERIFY with the default PIN.
    fn factory_reset(&mut self) {
        self.state = Persistent {
            xauth: None,
            unlock_tries_left: UNLOCK_TRIES,
        };
        self.challenge = None;
    }

    fn save(&self) -> Value {
        serde_json::to_value(&self.state).unwrap_or(Value::Null)
    }

    fn load(&mut self, state: Value) -> Result<(), String> {
        self.state = serde_json::from_value(state).map_err(|e| e.to_string())?;
        Ok(())
    }
}

impl AcaApplet {
    /// The factory admin key this ACA was built with.
    pub fn factory_key(&self) -> Option<&XauthKey> {
        self.factory_key.as_ref()
    }
}
