//! The PIV applet (NIST SP 800-73-4 Part 2; protocols.md §2), in two flavours
//! chosen by [`PivApplet::new`]:
//!
//! - [`PivFlavour::Crescendo`]: the PIV applet of a C2300-platform Crescendo Key
//!   (crescendo-apdu.md §2.3, §4, §6). Its PIN is the card PIN shared with the ACA
//!   (`Env::pin`; "PIN or PIV PIN"), and the card-global security status counts:
//!   a PIN verified on the ACA satisfies PIV, and PIV VERIFY sets the same flag.
//!   There is no PUK and no 9B management key: admin rights (PUT DATA) come from
//!   the ACA PIN or XAUTH1 (§4, §6.3). GENERAL AUTHENTICATE on 9B and the Yubico
//!   INS (FD, F8, F9, F7, …) answer `6D00` (§6.3). GET PIV PROPERTIES (§6.1) is
//!   answered. INJECT PKI KEY (`80 D8`, §6.2) is **not implemented** (`6D00`), so no
//!   slot ever holds a key. RESET CARD erases the applet (§3.8).
//! - [`PivFlavour::Yubico`]: standard PIV as a YubiKey 5 speaks it, for the YKOATH
//!   key profile: PIN `123456` / PUK `12345678` (3 tries each), 9B management
//!   key `0102…08` (3DES) with GENERAL AUTHENTICATE, and the Yubico extensions
//!   GET VERSION, GET SERIAL, GET METADATA (80/81/9B), SET MANAGEMENT KEY (no
//!   touch), SET PIN RETRIES and RESET (protocols.md §2.10). Key generation,
//!   import, attestation and private-key operations are not implemented.
//!
//! Both flavours: SELECT by the full or truncated AID, GET DATA / PUT DATA of the
//! data objects ([`objects`]), the Discovery object with PIN usage policy
//! `40 00`, Printed Information behind the PIN, the pairing code behind the PIN
//! over contact only, the emulator-defined stored PUK ([`emulator_defined`]), and
//! the empty-VERIFY retry probe.

pub mod emulator_defined;
mod mgmt;
pub mod objects;
mod properties;
mod state;
mod tlv;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::apdu::{Command, Status};
use crate::applet::{Applet, Env, Interface, PinState};
use state::{Credentials, Persistent, Volatile};

/// Which card the applet imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PivFlavour {
    /// HID Crescendo Key, C2300 platform (crescendo-apdu.md §6).
    Crescendo,
    /// YubiKey 5-style PIV with Yubico's extensions (protocols.md §2).
    Yubico,
}

/// Application label of a live C2300 PIV applet (crescendo-apdu.md §2.3, 3rd-party).
pub const CRESCENDO_LABEL: &[u8] = b"HID Global ActivID Applet 3.0.3";

/// The PIV applet.
pub struct PivApplet {
    flavour: PivFlavour,
    state: Persistent,
    volatile: Volatile,
}

impl PivApplet {
    /// A PIV applet in factory state. Its random per-card values (CHUID GUID,
    /// CCC card id, serial, pairing code) are drawn from the platform rng on
    /// first use and then persisted.
    pub fn new(flavour: PivFlavour) -> PivApplet {
        PivApplet {
            flavour,
            state: Persistent::new(flavour),
            volatile: Volatile::default(),
        }
    }

    /// The flavour.
    pub fn flavour(&self) -> PivFlavour {
        self.flavour
    }

    fn ensure_identity(&mut self, env: &mut Env) {
        if self.state.ensure_identity(env.platform.rng.as_mut()) {
            env.mark_dirty();
        }
    }

    /// SELECT response: the Application Property Template (SP 800-73-4 Part 2
    /// §3.1.1). Crescendo: the full AID, the RID authority and HID's label, with
    /// lengths computed from the label (§2.3). Yubico: the PIX only, as a real
    /// YubiKey answers (protocols.md §2.1).
    fn select_response(&self) -> Vec<u8> {
        let mut apt = match self.flavour {
            PivFlavour::Crescendo => tlv::encode(0x4F, &objects::PIV_AID),
            PivFlavour::Yubico => tlv::encode(0x4F, objects::PIV_AID.get(5..).unwrap_or(&[])),
        };
        let rid = objects::PIV_AID.get(..5).unwrap_or(&[]);
        tlv::push(&mut apt, 0x79, &tlv::encode(0x4F, rid));
        if self.flavour == PivFlavour::Crescendo {
            tlv::push(&mut apt, 0x50, CRESCENDO_LABEL);
        }
        tlv::encode(0x61, &apt)
    }

    fn credentials(&mut self) -> Result<&mut Credentials, Status> {
        self.state.credentials.as_mut().ok_or(Status::UNKNOWN)
    }

    /// The PIV PIN is verified (Crescendo: the card-global flag the ACA sets too).
    fn pin_ok(&self, env: &Env) -> bool {
        match self.flavour {
            PivFlavour::Crescendo => env.security.pin_verified,
            PivFlavour::Yubico => self.volatile.pin_verified,
        }
    }

    fn set_pin_verified(&mut self, env: &mut Env, verified: bool) {
        match self.flavour {
            PivFlavour::Crescendo => env.security.pin_verified = verified,
            PivFlavour::Yubico => self.volatile.pin_verified = verified,
        }
    }

    /// Admin rights for PUT DATA. Crescendo: PIN or XAUTH1 (crescendo-apdu.md §4,
    /// §6.3). Yubico: the 9B management key (protocols.md §2.6).
    fn admin_ok(&self, env: &Env) -> bool {
        match self.flavour {
            PivFlavour::Crescendo => env.security.xauth || env.security.pin_verified,
            PivFlavour::Yubico => self.volatile.admin,
        }
    }

    /// Whether the key reference names a PIN or PUK of this flavour.
    fn has_secret(&self, reference: u8) -> bool {
        matches!(
            (self.flavour, reference),
            (_, 0x80) | (PivFlavour::Yubico, 0x81)
        )
    }

    /// Runs `f` on the PIN (reference 80) or, Yubico only, the PUK (81); marks
    /// the state dirty when the counter or the value changed.
    fn with_secret<R>(
        &mut self,
        env: &mut Env,
        reference: u8,
        f: impl FnOnce(&mut PinState) -> R,
    ) -> Result<R, Status> {
        let secret = match (self.flavour, reference) {
            (PivFlavour::Crescendo, 0x80) => &mut *env.pin,
            (PivFlavour::Yubico, 0x80) => &mut self.credentials()?.pin,
            (PivFlavour::Yubico, 0x81) => &mut self.credentials()?.puk,
            _ => return Err(Status::REF_NOT_FOUND),
        };
        let before = secret.clone();
        let r = f(secret);
        if *secret != before {
            env.mark_dirty();
        }
        Ok(r)
    }

    /// VERIFY (SP 800-73-4 Part 2 §3.2.1; protocols.md §2.4).
    fn verify(&mut self, cmd: &Command, env: &mut Env) -> Result<(), Status> {
        if cmd.p1 != 0x00 && cmd.p1 != 0xFF {
            return Err(Status::WRONG_P1P2);
        }
        // Only the PIV PIN: no Global PIN, OCC or pairing code (Discovery 40 00).
        if cmd.p2 != 0x80 {
            return Err(Status::REF_NOT_FOUND);
        }
        if cmd.p1 == 0xFF {
            // Reset the security status of the PIN.
            if !cmd.data.is_empty() {
                return Err(Status::WRONG_DATA);
            }
            self.set_pin_verified(env, false);
            return Ok(());
        }
        if cmd.data.is_empty() {
            // Retry probe.
            if self.pin_ok(env) {
                return Ok(());
            }
            let tries = self.with_secret(env, 0x80, |p| p.tries_left)?;
            return Err(if tries == 0 {
                Status::AUTH_BLOCKED
            } else {
                Status::tries_left(tries)
            });
        }
        if !well_formed(&cmd.data) {
            return Err(Status::WRONG_DATA);
        }
        let flavour = self.flavour;
        let result = self.with_secret(env, 0x80, |p| check(flavour, p, &cmd.data))?;
        self.set_pin_verified(env, result.is_ok());
        result
    }

    /// CHANGE REFERENCE DATA for the PIN (80) or, Yubico only, the PUK (81)
    /// (SP 800-73-4 Part 2 §3.2.2; protocols.md §2.5). The new value must meet the
    /// policy (Crescendo: the card PIN's length and charset, as on the ACA;
    /// Yubico: 6–8 bytes), else `6A80` with no try counted.
    fn change_reference(&mut self, cmd: &Command, env: &mut Env) -> Result<(), Status> {
        if cmd.p1 != 0x00 {
            return Err(Status::WRONG_P1P2);
        }
        if !self.has_secret(cmd.p2) {
            return Err(Status::REF_NOT_FOUND);
        }
        let (old, new) = split_pair(&cmd.data)?;
        let flavour = self.flavour;
        self.with_secret(env, cmd.p2, |p| {
            if !well_formed(old) || !p.acceptable(new) {
                return Err(Status::WRONG_DATA);
            }
            check(flavour, p, old)?;
            p.value = new.to_vec();
            Ok(())
        })?
    }

    /// RESET RETRY COUNTER with the PUK (SP 800-73-4 Part 2 §3.2.3), Yubico only:
    /// the Crescendo Key has no PUK (unblocking is the ACA's UNLOCK PIN, §3.7).
    /// The PIN is left unverified.
    fn reset_retry_counter(&mut self, cmd: &Command, env: &mut Env) -> Result<(), Status> {
        if cmd.p1 != 0x00 {
            return Err(Status::WRONG_P1P2);
        }
        if cmd.p2 != 0x80 {
            return Err(Status::REF_NOT_FOUND);
        }
        let (puk, new_pin) = split_pair(&cmd.data)?;
        let acceptable = self.credentials()?.pin.acceptable(new_pin);
        if !well_formed(puk) || !acceptable {
            return Err(Status::WRONG_DATA);
        }
        let flavour = self.flavour;
        self.with_secret(env, 0x81, |p| check(flavour, p, puk))??;
        self.with_secret(env, 0x80, |p| {
            p.value = new_pin.to_vec();
            p.tries_left = p.max_tries;
        })?;
        self.volatile.pin_verified = false;
        Ok(())
    }

    /// GET DATA (SP 800-73-4 Part 2 §3.1.2): `00 CB 3F FF Lc 5C L <tag>`.
    fn get_data(&mut self, cmd: &Command, env: &Env, reply: &mut Vec<u8>) -> Result<(), Status> {
        if (cmd.p1, cmd.p2) != (0x3F, 0xFF) {
            return Err(Status::WRONG_P1P2);
        }
        let tag = tag_list(&cmd.data)?;
        if tag == objects::PIV_PROPERTIES && self.flavour == PivFlavour::Crescendo {
            reply.extend(properties::response());
            return Ok(());
        }
        if tag == objects::DISCOVERY {
            reply.extend(objects::discovery());
            return Ok(());
        }
        let access = objects::read_access(tag).ok_or(Status::NOT_FOUND)?;
        let allowed = match access {
            objects::ReadAccess::Always => true,
            objects::ReadAccess::Pin => self.pin_ok(env),
            objects::ReadAccess::PinContact => {
                self.pin_ok(env) && env.interface == Interface::Contact
            }
        };
        if !allowed {
            return Err(Status::SECURITY_NOT_SATISFIED);
        }
        let contents = self.state.objects.get(&tag).ok_or(Status::NOT_FOUND)?;
        let outer = if tag == objects::BIT_GROUP { tag } else { 0x53 };
        tlv::push(reply, outer, contents);
        Ok(())
    }

    /// PUT DATA (SP 800-73-4 Part 2 §3.3.2): `00 DB 3F FF Lc 5C L <tag> 53 L
    /// <contents>`; `53 00` deletes. Needs admin rights; Discovery is fixed.
    fn put_data(&mut self, cmd: &Command, env: &mut Env) -> Result<(), Status> {
        /// Largest object (the facial image of SP 800-73-4 Appendix A fits).
        const MAX_OBJECT: usize = 16 * 1024;
        /// Largest sum of all objects.
        const MAX_TOTAL: usize = 256 * 1024;
        if (cmd.p1, cmd.p2) != (0x3F, 0xFF) {
            return Err(Status::WRONG_P1P2);
        }
        if !self.admin_ok(env) {
            return Err(Status::SECURITY_NOT_SATISFIED);
        }
        let (list, rest) = tlv::read(&cmd.data).ok_or(Status::WRONG_DATA)?;
        let tag = tag_value(list)?;
        let object = tlv::read_single(rest).ok_or(Status::WRONG_DATA)?;
        if tag == objects::DISCOVERY || tag == objects::PIV_PROPERTIES {
            return Err(Status::SECURITY_NOT_SATISFIED);
        }
        let outer_ok = object.tag == 0x53 || (tag == objects::BIT_GROUP && object.tag == tag);
        if !objects::writable(tag) || !outer_ok {
            return Err(Status::WRONG_DATA);
        }
        let contents = object.value;
        if contents.is_empty() {
            self.state.objects.remove(&tag);
        } else {
            if tag == emulator_defined::STORED_PUK_TAG && !objects::stored_puk_is_valid(contents) {
                return Err(Status::WRONG_DATA);
            }
            let others: usize = self
                .state
                .objects
                .iter()
                .filter(|(t, _)| **t != tag)
                .map(|(_, v)| v.len())
                .sum();
            if contents.len() > MAX_OBJECT || others + contents.len() > MAX_TOTAL {
                return Err(Status::NO_SPACE);
            }
            self.state.objects.insert(tag, contents.to_vec());
        }
        env.mark_dirty();
        Ok(())
    }

    /// GENERAL AUTHENTICATE (SP 800-73-4 Part 2 §3.2.4). Only the Yubico 9B
    /// management key exists; the asymmetric slots never hold a key here (`6A88`).
    /// Crescendo: 9B answers `6D00` (crescendo-apdu.md §3.5, §6.3).
    fn general_authenticate(
        &mut self,
        cmd: &Command,
        env: &mut Env,
        reply: &mut Vec<u8>,
    ) -> Result<(), Status> {
        if cmd.p2 != 0x9B {
            return Err(Status::REF_NOT_FOUND);
        }
        if self.flavour == PivFlavour::Crescendo {
            return Err(Status::INS_NOT_SUPPORTED);
        }
        let key = self.credentials()?.management.clone();
        // P1 = the key's algorithm; a YubiKey also takes 00 for a 3DES key (Yubico
        // .NET SDK, "Authenticate: management key" transcripts send 00 87 00 9B).
        if cmd.p1 != key.algorithm && !(cmd.p1 == 0x00 && key.algorithm == mgmt::alg::TDES) {
            return Err(Status::WRONG_P1P2);
        }
        let template = mgmt::Template::parse(&cmd.data)?;
        let step = mgmt::authenticate(
            &key,
            &template,
            &mut self.volatile.pending,
            env.platform.rng.as_mut(),
        );
        match step {
            Ok(step) => {
                if step.authenticated {
                    self.volatile.admin = true;
                }
                reply.extend(step.reply);
                Ok(())
            }
            Err(sw) => {
                self.volatile.admin = false;
                Err(sw)
            }
        }
    }

    /// GET METADATA `00 F7 00 <ref>` (protocols.md §2.10; Yubico .NET SDK
    /// "Get metadata"): PIN/PUK `01 01 FF 05 01 <default> 06 02 <max> <left>`,
    /// 9B `01 01 <alg> 02 02 00 01 05 01 <default>`. No key slot holds a key.
    fn get_metadata(&mut self, cmd: &Command, reply: &mut Vec<u8>) -> Result<(), Status> {
        if cmd.p1 != 0x00 {
            return Err(Status::WRONG_P1P2);
        }
        let c = self.credentials()?;
        let secret = |p: &PinState, default: &[u8]| {
            let mut v = tlv::encode(0x01, &[0xFF]);
            tlv::push(&mut v, 0x05, &[u8::from(p.value == PinState::pad(default))]);
            tlv::push(&mut v, 0x06, &[p.max_tries, p.tries_left]);
            v
        };
        let data = match cmd.p2 {
            0x80 => secret(&c.pin, state::DEFAULT_PIN),
            0x81 => secret(&c.puk, state::DEFAULT_PUK),
            0x9B => {
                let mut v = tlv::encode(0x01, &[c.management.algorithm]);
                // PIN policy default, touch policy never.
                tlv::push(&mut v, 0x02, &[0x00, 0x01]);
                tlv::push(&mut v, 0x05, &[u8::from(c.management.is_default())]);
                v
            }
            _ => return Err(Status::REF_NOT_FOUND),
        };
        reply.extend(data);
        Ok(())
    }

    /// SET MANAGEMENT KEY `00 FF FF FF Lc <alg> 9B <len> <key>` (protocols.md
    /// §2.10). Needs the management key. Touch policies (P2 FE/FD) are not
    /// emulated and answer `6A86`.
    fn set_management_key(&mut self, cmd: &Command, env: &mut Env) -> Result<(), Status> {
        if !self.volatile.admin {
            return Err(Status::SECURITY_NOT_SATISFIED);
        }
        if (cmd.p1, cmd.p2) != (0xFF, 0xFF) {
            return Err(Status::WRONG_P1P2);
        }
        let [algorithm, 0x9B, len, key @ ..] = cmd.data.as_slice() else {
            return Err(Status::WRONG_DATA);
        };
        if usize::from(*len) != key.len() {
            return Err(Status::WRONG_DATA);
        }
        let key = mgmt::ManagementKey::new(*algorithm, key).ok_or(Status::WRONG_DATA)?;
        self.credentials()?.management = key;
        env.mark_dirty();
        Ok(())
    }

    /// SET PIN RETRIES `00 FA <pin tries> <puk tries>` (protocols.md §2.10):
    /// needs the management key and the PIN; resets PIN and PUK to the defaults.
    fn set_pin_retries(&mut self, cmd: &Command, env: &mut Env) -> Result<(), Status> {
        if !(self.volatile.admin && self.volatile.pin_verified) {
            return Err(Status::SECURITY_NOT_SATISFIED);
        }
        if cmd.p1 == 0 || cmd.p2 == 0 {
            return Err(Status::WRONG_P1P2);
        }
        let management = self.credentials()?.management.clone();
        let mut fresh = Credentials::with_tries(cmd.p1, cmd.p2);
        fresh.management = management;
        self.state.credentials = Some(fresh);
        self.volatile.pin_verified = false;
        env.mark_dirty();
        Ok(())
    }

    /// RESET `00 FB 00 00` (protocols.md §2.10): only once PIN and PUK are both
    /// blocked, else `6985`. Everything back to factory values.
    fn reset(&mut self, env: &mut Env) -> Result<(), Status> {
        let c = self.credentials()?;
        if c.pin.tries_left != 0 || c.puk.tries_left != 0 {
            return Err(Status::CONDITIONS_NOT_SATISFIED);
        }
        self.state.reset_to_factory();
        self.volatile = Volatile::default();
        env.mark_dirty();
        Ok(())
    }

    fn serial(&self) -> u32 {
        self.state.identity.as_ref().map_or(0, |i| i.serial)
    }
}

impl Applet for PivApplet {
    fn name(&self) -> &'static str {
        "piv"
    }

    fn aid(&self) -> &[u8] {
        &objects::PIV_AID
    }

    fn select(&mut self, env: &mut Env, reply: &mut Vec<u8>) -> Result<(), Status> {
        self.ensure_identity(env);
        self.volatile.pending = None;
        reply.extend(self.select_response());
        Ok(())
    }

    fn call(&mut self, cmd: &Command, env: &mut Env, reply: &mut Vec<u8>) -> Result<(), Status> {
        self.ensure_identity(env);
        if cmd.ins != 0x87 {
            // A challenge is good for the next command only.
            self.volatile.pending = None;
        }
        match cmd.cla {
            0x00 => {}
            // Proprietary class: INJECT PKI KEY `80 D8` is documented for the
            // Crescendo Key (§6.2) but not implemented; nothing else uses it.
            0x80 => return Err(Status::INS_NOT_SUPPORTED),
            _ => return Err(Status::CLA_NOT_SUPPORTED),
        }
        let yubico = self.flavour == PivFlavour::Yubico;
        match cmd.ins {
            0x20 => self.verify(cmd, env),
            0x24 => self.change_reference(cmd, env),
            0x2C if yubico => self.reset_retry_counter(cmd, env),
            0xCB => self.get_data(cmd, env, reply),
            0xDB => self.put_data(cmd, env),
            0x87 => self.general_authenticate(cmd, env, reply),
            0xFD if yubico => {
                reply.extend(emulator_defined::YUBICO_VERSION);
                Ok(())
            }
            0xF8 if yubico => {
                reply.extend(self.serial().to_be_bytes());
                Ok(())
            }
            0xF7 if yubico => self.get_metadata(cmd, reply),
            0xFF if yubico => self.set_management_key(cmd, env),
            0xFA if yubico => self.set_pin_retries(cmd, env),
            0xFB if yubico => self.reset(env),
            _ => Err(Status::INS_NOT_SUPPORTED),
        }
    }

    fn deselect(&mut self) {
        // SP 800-73-4: leaving the PIV application drops its security status. On
        // the Crescendo Key that status is card-global and survives (§4).
        self.volatile = Volatile::default();
    }

    fn power_off(&mut self) {
        self.volatile = Volatile::default();
    }

    fn erased_by_card_reset(&self) -> bool {
        // RESET CARD "clears all PKI keys and all PIV data containers" (§3.8).
        self.flavour == PivFlavour::Crescendo
    }

    fn factory_reset(&mut self) {
        self.state.reset_to_factory();
        self.volatile = Volatile::default();
    }

    fn save(&self) -> Value {
        serde_json::to_value(&self.state).unwrap_or(Value::Null)
    }

    fn load(&mut self, state: Value) -> Result<(), String> {
        let state: Persistent = serde_json::from_value(state).map_err(|e| e.to_string())?;
        state.validate(self.flavour)?;
        self.state = state;
        self.volatile = Volatile::default();
        Ok(())
    }
}

/// Checks a candidate against the counter. Crescendo: the ACA's rule
/// (`PinState::check`: the try that exhausts the counter answers `6983`).
/// Yubico: SP 800-73-4 Part 2 §3.2.1 (`63C0` for that try, `6983` after).
fn check(flavour: PivFlavour, secret: &mut PinState, candidate: &[u8]) -> Result<(), Status> {
    match flavour {
        PivFlavour::Crescendo => secret.check(candidate),
        PivFlavour::Yubico => {
            if secret.tries_left == 0 {
                return Err(Status::AUTH_BLOCKED);
            }
            if mgmt::constant_time_eq(candidate, &secret.value) {
                secret.tries_left = secret.max_tries;
                Ok(())
            } else {
                secret.tries_left -= 1;
                Err(Status::tries_left(secret.tries_left))
            }
        }
    }
}

/// A PIN/PUK block: 8 bytes, non-empty, with nothing but FFh after the first
/// FFh (SP 800-73-4 Part 2 §2.4.3; the ACA's coding, crescendo-apdu.md §3).
fn well_formed(block: &[u8]) -> bool {
    let value = PinState::unpadded(block);
    block.len() == 8
        && !value.is_empty()
        && block
            .get(value.len()..)
            .is_some_and(|t| t.iter().all(|&b| b == 0xFF))
}

/// Splits the 16-byte data of CHANGE REFERENCE DATA / RESET RETRY COUNTER.
fn split_pair(data: &[u8]) -> Result<(&[u8], &[u8]), Status> {
    if data.len() != 16 {
        return Err(Status::WRONG_DATA);
    }
    Ok(data.split_at(8))
}

/// The tag named by a tag list `5C L <tag>` (one to three bytes).
fn tag_value(list: tlv::Tlv) -> Result<u32, Status> {
    if list.tag != 0x5C || list.value.is_empty() || list.value.len() > 3 {
        return Err(Status::WRONG_DATA);
    }
    Ok(list
        .value
        .iter()
        .fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
}

/// GET DATA's data field: exactly one tag list.
fn tag_list(data: &[u8]) -> Result<u32, Status> {
    tag_value(tlv::read_single(data).ok_or(Status::WRONG_DATA)?)
}
