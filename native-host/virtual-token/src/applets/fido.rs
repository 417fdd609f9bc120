//! FIDO2 / U2F applet: Google's OpenSK authenticator (the `opensk` crate, CTAP
//! 2.1) behind our clock, rng, button and state file, reached over ISO 7816
//! (CTAP 2.1 §11.3 "NFC", protocols.md §4.1) and, through [`crate::ctaphid`],
//! over in-process CTAPHID. There is no second authenticator here: everything
//! CTAP is opensk's.
//!
//! - SELECT `A0000006472F0001` → `"U2F_V2"` (U2F and CTAP2 supported).
//! - NFCCTAP_MSG `80 10 P1 00` (P1 `80`: the client polls; `00`: it waits), data
//!   = command byte ‖ CBOR, reply = status byte ‖ CBOR with `9000`. The card
//!   joins CLA-`90` chains and serves `61xx` + GET RESPONSE.
//! - A command still running after ~100 ms answers `9100` with one byte, `01`
//!   PROCESSING or `02` UPNEEDED; NFCCTAP_GETRESPONSE `80 11 00 00` polls,
//!   `80 11 11 00` cancels (the command ends with `2D` KEEPALIVE_CANCEL).
//! - U2F over ISO, CLA `00`: REGISTER `01`, AUTHENTICATE `02`, VERSION `03`,
//!   through opensk's CTAP1 code. Presence as U2F wants it: `6985` until the
//!   button is pressed, then the client's retry succeeds.
//! - Power-on = a new opensk state (PIN tokens, channels gone); authenticatorReset
//!   only within the reset window after power-on (10 s, CTAP 2.1 §6.6) and with a
//!   press, else `30` NOT_ALLOWED / `2F` USER_ACTION_TIMEOUT.
//! - What powers the authenticator depends on the interface. Contactless, the
//!   field is the power: card power off = authenticator power off. Over contact
//!   (the USB key's CCID interface) the key stays powered by USB while the reader
//!   powers the ICC down — pcscd does that whenever a client disconnects with
//!   `SCARD_UNPOWER_CARD`, pyscard's default — so only unplugging the key
//!   ([`FidoApplet::unplug`], or [`Authenticator::power_off`]) restarts it and
//!   reopens the reset window, as on a real USB key.
//! - opensk's storage lives in this applet's part of the state file
//!   ([`Applet::save`]); the card saves after every command that changed it.
//! - ACA RESET CARD does not erase FIDO on the C2300 Crescendo Key: HID's list of
//!   what it clears (crescendo-apdu.md §3.8) names no FIDO data; only the C4000 page
//!   (3rd-party) adds FIDO. Reset FIDO with authenticatorReset, as HID says (§7).
//!
//! Emulator-defined: the U2F attestation certificate (self-signed, see
//! `fido/attestation.rs`), the ~100 ms before `9100`, the AAGUID (zeros unless
//! configured), the store's capacity.

mod attestation;
mod cbor;
mod env;
mod storage;
mod worker;

use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use serde_json::Value;

pub(crate) use worker::Request;
pub use worker::{Authenticator, FidoOptions, Progress};

use crate::apdu::{Command, Status};
use crate::applet::{Applet, Env, Interface};

/// The FIDO AID (protocols.md §4.1; crescendo-apdu.md §2.1).
pub const FIDO_AID: &[u8] = &[0xA0, 0x00, 0x00, 0x06, 0x47, 0x2F, 0x00, 0x01];
/// SELECT answer of an authenticator that also speaks U2F (protocols.md §4.1).
pub const SELECT_REPLY: &[u8] = b"U2F_V2";

/// NFCCTAP_MSG (CTAP 2.1 §11.3, protocols.md §4.1).
const NFCCTAP_MSG: u8 = 0x10;
/// NFCCTAP_GETRESPONSE (CTAP 2.1 §11.3, protocols.md §4.1).
const NFCCTAP_GETRESPONSE: u8 = 0x11;
/// NFCCTAP_MSG P1: the client supports NFCCTAP_GETRESPONSE.
const P1_CLIENT_POLLS: u8 = 0x80;
/// NFCCTAP_GETRESPONSE P1: cancel.
const P1_CANCEL: u8 = 0x11;
/// `9100`: status update, one data byte (protocols.md §4.1).
pub const STATUS_UPDATE: Status = Status(0x9100);
/// How long a command may run before the card answers `9100` instead; also
/// the pace of NFCCTAP_GETRESPONSE polling (python-fido2 re-polls at once).
/// **Emulator-defined** (CTAP leaves it to the authenticator).
pub const UPDATE_AFTER: Duration = Duration::from_millis(100);
/// Longest wait for a U2F command or a cancelled CTAP2 command (neither waits
/// for the button).
const SHORT_COMMAND: Duration = Duration::from_secs(5);

/// The FIDO applet (ISO 7816 door of an [`Authenticator`]).
pub struct FidoApplet {
    auth: Authenticator,
    pending: Option<Receiver<Vec<u8>>>,
    seen_generation: u64,
    contactless: bool,
}

impl FidoApplet {
    /// The ISO 7816 door of `auth`. Share a clone of `auth` with a
    /// [`crate::ctaphid::CtapHidDevice`] for the USB side of the same key.
    pub fn new(auth: Authenticator) -> FidoApplet {
        let seen_generation = auth.generation();
        FidoApplet {
            auth,
            pending: None,
            seen_generation,
            contactless: false,
        }
    }

    /// The authenticator behind this applet.
    pub fn authenticator(&self) -> &Authenticator {
        &self.auth
    }

    /// The card is powered, so is the authenticator: its power-on time (and the
    /// reset window) is the card's.
    fn power(&mut self, env: &Env) {
        self.contactless = env.interface == Interface::Contactless;
        if !self.auth.is_powered() {
            let at = env.platform.now().saturating_sub(env.powered_for);
            self.auth.power_on(at);
        }
    }

    /// Tells the card to save when opensk's store changed (also by a command
    /// that finished in the background, or over CTAPHID).
    fn note_changes(&mut self, env: &mut Env) {
        let generation = self.auth.generation();
        if generation != self.seen_generation {
            self.seen_generation = generation;
            env.mark_dirty();
        }
    }

    /// Gives up a command the client stopped polling for.
    fn abandon(&mut self) {
        if self.pending.take().is_some() {
            self.auth.send(Request::NfcCancel);
        }
    }

    fn dispatch(&mut self, cmd: &Command, reply: &mut Vec<u8>) -> Result<(), Status> {
        match (cmd.cla, cmd.ins) {
            (0x80, NFCCTAP_MSG) => self.msg(cmd, reply),
            (0x80, NFCCTAP_GETRESPONSE) => self.get_response(cmd, reply),
            (0x00, 0x01..=0x03) => self.u2f(cmd, reply),
            (0x00 | 0x80, _) => Err(Status::INS_NOT_SUPPORTED),
            _ => Err(Status::CLA_NOT_SUPPORTED),
        }
    }

    /// NFCCTAP_MSG: one CTAP2 command.
    fn msg(&mut self, cmd: &Command, reply: &mut Vec<u8>) -> Result<(), Status> {
        if cmd.p2 != 0 || !matches!(cmd.p1, 0x00 | P1_CLIENT_POLLS) {
            return Err(Status::WRONG_P1P2);
        }
        if cmd.data.is_empty() {
            return Err(Status::WRONG_LENGTH);
        }
        self.abandon();
        let (tx, rx) = mpsc::channel();
        self.auth.send(Request::Cbor {
            data: cmd.data.clone(),
            reply: tx,
        });
        if cmd.p1 == P1_CLIENT_POLLS {
            self.pending = Some(rx);
            return self.poll(reply);
        }
        // The client cannot poll: hold the answer until the command ends.
        let response = rx.recv().map_err(|_| Status::UNKNOWN)?;
        reply.extend(response);
        Ok(())
    }

    /// NFCCTAP_GETRESPONSE: poll (P1 00) or cancel (P1 11).
    fn get_response(&mut self, cmd: &Command, reply: &mut Vec<u8>) -> Result<(), Status> {
        match (cmd.p1, cmd.p2) {
            (0x00, 0x00) => self.poll(reply),
            (P1_CANCEL, 0x00) => {
                let rx = self
                    .pending
                    .take()
                    .ok_or(Status::CONDITIONS_NOT_SATISFIED)?;
                self.auth.send(Request::NfcCancel);
                let response = rx
                    .recv_timeout(SHORT_COMMAND)
                    .map_err(|_| Status::UNKNOWN)?;
                reply.extend(response);
                Ok(())
            }
            _ => Err(Status::WRONG_P1P2),
        }
    }

    /// The result if it comes within [`UPDATE_AFTER`], else `9100` + status.
    fn poll(&mut self, reply: &mut Vec<u8>) -> Result<(), Status> {
        let rx = self
            .pending
            .take()
            .ok_or(Status::CONDITIONS_NOT_SATISFIED)?;
        match rx.recv_timeout(UPDATE_AFTER) {
            Ok(response) => {
                reply.extend(response);
                Ok(())
            }
            Err(RecvTimeoutError::Timeout) => {
                reply.push(self.auth.nfc_progress() as u8);
                self.pending = Some(rx);
                Err(STATUS_UPDATE)
            }
            // The authenticator dropped the command (power off).
            Err(RecvTimeoutError::Disconnected) => Err(Status::UNKNOWN),
        }
    }

    /// U2F over ISO 7816: the APDU goes to opensk in the extended form its
    /// parser expects; its status word becomes ours.
    fn u2f(&mut self, cmd: &Command, reply: &mut Vec<u8>) -> Result<(), Status> {
        self.abandon();
        let mut apdu = vec![cmd.cla, cmd.ins, cmd.p1, cmd.p2];
        if !cmd.data.is_empty() {
            let lc = u16::try_from(cmd.data.len()).map_err(|_| Status::WRONG_LENGTH)?;
            apdu.push(0);
            apdu.extend(lc.to_be_bytes());
            apdu.extend(&cmd.data);
        }
        let (tx, rx) = mpsc::channel();
        self.auth.send(Request::U2f { apdu, reply: tx });
        let mut response = rx
            .recv_timeout(SHORT_COMMAND)
            .map_err(|_| Status::UNKNOWN)?;
        let split = response.len().checked_sub(2).ok_or(Status::UNKNOWN)?;
        let sw = match response.split_off(split)[..] {
            [sw1, sw2] => Status(u16::from_be_bytes([sw1, sw2])),
            _ => return Err(Status::UNKNOWN),
        };
        match sw {
            Status::SUCCESS => {
                reply.extend(response);
                Ok(())
            }
            other => Err(other),
        }
    }
}

impl Applet for FidoApplet {
    /// The key was unplugged: everything loses power, the authenticator too
    /// (unlike an ICC power-off over contact, see the module docs).
    fn unplug(&mut self) {
        self.pending = None;
        self.auth.power_off();
    }

    fn name(&self) -> &'static str {
        "fido"
    }

    fn aid(&self) -> &[u8] {
        FIDO_AID
    }

    fn select(&mut self, env: &mut Env, reply: &mut Vec<u8>) -> Result<(), Status> {
        self.power(env);
        self.abandon();
        reply.extend_from_slice(SELECT_REPLY);
        self.note_changes(env);
        Ok(())
    }

    fn call(&mut self, cmd: &Command, env: &mut Env, reply: &mut Vec<u8>) -> Result<(), Status> {
        self.power(env);
        let result = self.dispatch(cmd, reply);
        self.note_changes(env);
        result
    }

    fn deselect(&mut self) {
        self.abandon();
    }

    /// ICC power off: contactless, the authenticator's power too; over contact
    /// only the command in progress is dropped (USB still powers the key).
    fn power_off(&mut self) {
        self.abandon();
        if self.contactless {
            self.auth.power_off();
        }
    }

    /// No: HID's RESET CARD list has no FIDO data (module docs).
    fn erased_by_card_reset(&self) -> bool {
        false
    }

    fn factory_reset(&mut self) {
        self.pending = None;
        self.auth.factory_reset();
    }

    fn save(&self) -> Value {
        self.auth.save()
    }

    fn load(&mut self, state: Value) -> Result<(), String> {
        self.pending = None;
        self.auth.load(&state)
    }
}
