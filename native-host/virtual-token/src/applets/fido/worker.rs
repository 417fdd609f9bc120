//! The authenticator thread: opensk's `CtapState` (+ HID framing) fed by a queue,
//! because opensk blocks inside a command while it waits for the button
//! (environment.md, "opensk …": run it on its own thread). The ISO 7816 applet and
//! the CTAPHID device are two doors to the same authenticator, as on a real key.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Duration;

use opensk::api::persist::{Attestation, AttestationId, Persist};
use opensk::ctap::hid::{CtapHid, CtapHidCommand, HidPacket, HidPacketIterator, Message};
use opensk::ctap::main_hid::MainHid;
use opensk::ctap::{Channel, CtapState};
use opensk::env::Env;
use rand::RngCore;
use serde_json::Value;

use super::attestation;
use super::cbor;
use super::env::{AuthEnv, Boot};
use super::storage::{SharedStore, Store};
use crate::platform::{Button, Clock, Platform};

/// Channel id the NFC / ISO 7816 door uses inside opensk (`Channel::MainHid`).
/// opensk allocates HID channels upwards from 1, so it never hands this one out
/// in practice. **Emulator-defined** (internal only; never on the wire).
pub const NFC_CID: [u8; 4] = [0xFF, 0xFF, 0xFF, 0xFE];

/// CTAP status byte opensk returns when nobody touched the key in time.
const USER_ACTION_TIMEOUT: u8 = 0x2F;

/// Behaviour that differs between real keys (protocols.md §4.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FidoOptions {
    /// How long after power-on authenticatorReset is allowed (CTAP 2.1 §6.6:
    /// 10 s; YubiKeys: 5 s).
    pub reset_window: Duration,
    /// Status byte for "no touch in time": `0x2F` USER_ACTION_TIMEOUT (spec,
    /// OpenSK) or `0x3A` ACTION_TIMEOUT (YubiKey).
    pub up_timeout_status: u8,
    /// AAGUID (getInfo 03, attested credential data). All zeros: opensk's default.
    pub aaguid: [u8; 16],
}

impl Default for FidoOptions {
    fn default() -> Self {
        FidoOptions {
            reset_window: Duration::from_secs(10),
            up_timeout_status: USER_ACTION_TIMEOUT,
            aaguid: [0; 16],
        }
    }
}

/// Work for the authenticator thread.
pub enum Request {
    /// Power on at this platform time (no-op when already on).
    PowerOn { at: Duration },
    /// Power off: all volatile state is lost.
    PowerOff,
    /// The store was replaced: boot again (same power-on time).
    Reboot,
    /// A CTAP2 command (command byte ‖ CBOR) from the NFC door.
    Cbor {
        data: Vec<u8>,
        reply: Sender<Vec<u8>>,
    },
    /// A U2F (CTAP1) APDU from the NFC door; the reply is data ‖ SW1 SW2.
    U2f {
        apdu: Vec<u8>,
        reply: Sender<Vec<u8>>,
    },
    /// A 64-byte CTAPHID report from the host.
    Hid(HidPacket),
    /// NFCCTAP_GETRESPONSE with P1 = 11h: cancel the NFC command in progress.
    NfcCancel,
}

/// State both doors and the thread see.
pub struct Shared {
    pub(super) store: SharedStore,
    hid_out: Mutex<Option<Sender<HidPacket>>>,
    up_needed: AtomicBool,
    nfc_busy: AtomicBool,
    powered: Mutex<bool>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub(super) fn set_up_needed(&self, on: bool) {
        self.up_needed.store(on, Ordering::SeqCst);
    }

    pub(super) fn send_hid(&self, packet: HidPacket) {
        if let Some(tx) = lock(&self.hid_out).as_ref() {
            let _ = tx.send(packet);
        }
    }
}

/// Status of a command in progress: the 9100 byte over ISO 7816, the KEEPALIVE
/// byte over HID (protocols.md §4.1, §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// `01` PROCESSING.
    Processing = 0x01,
    /// `02` UPNEEDED: waiting for the button.
    UpNeeded = 0x02,
}

/// A handle on one authenticator (cheap to clone). The thread ends when the
/// last handle is dropped.
#[derive(Clone)]
pub struct Authenticator {
    tx: Sender<Request>,
    shared: Arc<Shared>,
    clock: Arc<dyn Clock>,
}

impl Authenticator {
    /// Starts an authenticator on the platform's clock and button, with its rng
    /// seeded from `seed`. It is powered off until [`Authenticator::power_on`]
    /// (or its first command, which powers it on at that time).
    pub fn new(
        clock: Arc<dyn Clock>,
        button: Button,
        seed: u64,
        options: FidoOptions,
    ) -> Authenticator {
        let (tx, rx) = mpsc::channel();
        let shared = Arc::new(Shared {
            store: SharedStore::default(),
            hid_out: Mutex::new(None),
            up_needed: AtomicBool::new(false),
            nfc_busy: AtomicBool::new(false),
            powered: Mutex::new(false),
        });
        let env = AuthEnv::new(clock.clone(), button, seed, rx, shared.clone());
        let worker = Worker {
            env,
            booted: None,
            boot_at: None,
            options,
            shared: shared.clone(),
        };
        // If the thread cannot start, requests go nowhere and the doors answer
        // "no reply" (ISO: 6F00, HID: nothing) instead of panicking.
        let spawned = thread::Builder::new()
            .name("fido-authenticator".to_owned())
            .spawn(move || worker.run());
        if let Err(e) = spawned {
            tracing::error!("cannot start the FIDO authenticator thread: {e}");
        }
        Authenticator { tx, shared, clock }
    }

    /// An authenticator on `platform`'s clock and button, seeded from its rng.
    pub fn from_platform(platform: &mut Platform, options: FidoOptions) -> Authenticator {
        let seed = platform.rng.next_u64();
        Authenticator::new(
            platform.clock.clone(),
            platform.button.clone(),
            seed,
            options,
        )
    }

    /// Now, on the platform clock.
    pub fn now(&self) -> Duration {
        self.clock.now()
    }

    /// Powers on (at platform time `at`, possibly in the past) unless already on:
    /// a new `CtapState`, whose reset window counts from `at`.
    pub fn power_on(&self, at: Duration) {
        let mut powered = lock(&self.shared.powered);
        if !*powered {
            *powered = true;
            self.send(Request::PowerOn { at });
        }
    }

    /// Powers off (unplug, field off): volatile state (PIN tokens, channels,
    /// the reset window, a command in progress) is lost.
    pub fn power_off(&self) {
        *lock(&self.shared.powered) = false;
        self.send(Request::PowerOff);
    }

    /// Whether the authenticator is powered.
    pub fn is_powered(&self) -> bool {
        *lock(&self.shared.powered)
    }

    /// Counts changes to the persistent store: save the state when it moved.
    pub fn generation(&self) -> u64 {
        self.shared.store.lock().generation()
    }

    /// The persistent store, in the form [`Authenticator::load`] reads.
    pub fn save(&self) -> Value {
        self.shared.store.lock().to_value()
    }

    /// Replaces the persistent store (validated first) and boots again.
    pub fn load(&self, value: &Value) -> Result<(), String> {
        let store = Store::from_value(value)?;
        self.replace_store(store);
        Ok(())
    }

    /// Erases everything, including the attestation key (a new one is made).
    pub fn factory_reset(&self) {
        self.replace_store(Store::default());
    }

    /// Swaps the store (its change counter keeps counting up) and boots again.
    fn replace_store(&self, mut store: Store) {
        {
            let mut current = self.shared.store.lock();
            store.set_generation(current.generation() + 1);
            *current = store;
        }
        self.send(Request::Reboot);
    }

    /// What a command in progress on the NFC door waits for.
    pub fn nfc_progress(&self) -> Progress {
        let nfc = self.shared.nfc_busy.load(Ordering::SeqCst);
        if nfc && self.shared.up_needed.load(Ordering::SeqCst) {
            Progress::UpNeeded
        } else {
            Progress::Processing
        }
    }

    pub(crate) fn send(&self, request: Request) {
        // Fails only when the thread is gone; the caller then sees no reply.
        let _ = self.tx.send(request);
    }

    /// Routes outgoing CTAPHID reports to a new receiver (the previous one, if
    /// any, stops receiving).
    pub(crate) fn hid_output(&self) -> Receiver<HidPacket> {
        let (tx, rx) = mpsc::channel();
        *lock(&self.shared.hid_out) = Some(tx);
        rx
    }
}

struct Booted {
    state: CtapState<AuthEnv>,
    hid: CtapHid<AuthEnv>,
    main: MainHid<AuthEnv>,
}

struct Worker {
    env: AuthEnv,
    booted: Option<Booted>,
    boot_at: Option<Duration>,
    options: FidoOptions,
    shared: Arc<Shared>,
}

impl Worker {
    fn run(mut self) {
        while let Some(request) = self.env.presence.queue.next() {
            // A panic inside opensk must not take the key down for good: the
            // request's reply is dropped (the door answers 6F00) and the
            // authenticator boots again on the next command.
            let handled = panic::catch_unwind(AssertUnwindSafe(|| self.handle(request)));
            if handled.is_err() {
                tracing::error!("FIDO: the authenticator panicked; it restarts");
                self.booted = None;
                self.shared.nfc_busy.store(false, Ordering::SeqCst);
                self.shared.set_up_needed(false);
            }
        }
    }

    fn handle(&mut self, request: Request) {
        match request {
            Request::PowerOn { at } => {
                if self.booted.is_none() {
                    self.boot(at);
                }
            }
            Request::PowerOff => {
                self.booted = None;
                self.boot_at = None;
            }
            Request::Reboot => {
                if let Some(at) = self.boot_at {
                    self.boot(at);
                }
            }
            Request::NfcCancel => {}
            Request::Cbor { data, reply } => {
                self.shared.nfc_busy.store(true, Ordering::SeqCst);
                let response = self.cbor(&data);
                self.shared.nfc_busy.store(false, Ordering::SeqCst);
                let _ = reply.send(response);
            }
            Request::U2f { apdu, reply } => {
                self.shared.nfc_busy.store(true, Ordering::SeqCst);
                let response = self.u2f(apdu);
                self.shared.nfc_busy.store(false, Ordering::SeqCst);
                let _ = reply.send(response);
            }
            Request::Hid(packet) => {
                for p in self.hid(&packet) {
                    self.shared.send_hid(p);
                }
            }
        }
    }

    /// Power-up = a new `CtapState` (environment.md: there is no other way).
    fn boot(&mut self, at: Duration) {
        self.boot_at = Some(at);
        self.env.clock.boot = Some(Boot {
            power_on_at: at,
            reset_window: self.options.reset_window,
        });
        let state = CtapState::new(&mut self.env);
        self.env.clock.boot = None;
        self.provision();
        let capabilities =
            CtapHid::<AuthEnv>::CAPABILITY_WINK | CtapHid::<AuthEnv>::CAPABILITY_CBOR;
        self.booted = Some(Booted {
            state,
            hid: CtapHid::new(capabilities),
            main: MainHid::default(),
        });
    }

    /// First boot: the AAGUID and a batch attestation for U2F REGISTER (opensk
    /// answers 6F00 without one). Both survive authenticatorReset (opensk keeps
    /// keys below `NUM_PERSISTENT_KEYS`).
    fn provision(&mut self) {
        let aaguid = self.options.aaguid;
        if self.env.persist().aaguid().ok() != Some(aaguid) {
            let _ = self.env.persist().set_aaguid(&aaguid);
        }
        if let Ok(None) = self.env.persist().get_attestation(AttestationId::Batch) {
            if let Some((wrapped_private_key, certificate)) = attestation::generate(&mut self.env) {
                let batch = Attestation {
                    wrapped_private_key,
                    certificate,
                };
                let stored = self
                    .env
                    .persist()
                    .set_attestation(AttestationId::Batch, Some(&batch));
                if let Err(e) = stored {
                    tracing::warn!("FIDO: cannot store the U2F attestation: {e:?}");
                }
            }
        }
    }

    /// A command on an unpowered authenticator powers it on now.
    fn ensure_booted(&mut self) {
        if self.booted.is_none() {
            let now = self.env.clock.now();
            self.boot(now);
            *lock(&self.shared.powered) = true;
        }
    }

    fn cbor(&mut self, data: &[u8]) -> Vec<u8> {
        self.ensure_booted();
        let Worker {
            env,
            booted,
            options,
            ..
        } = self;
        let Some(b) = booted.as_mut() else {
            return vec![];
        };
        let response = b
            .state
            .process_command(env, data, Channel::MainHid(NFC_CID));
        finish_cbor(data, response, options)
    }

    /// U2F goes through `MainHid::process_message` (opensk's CTAP1 module is
    /// private), as a CTAPHID MSG on the NFC pseudo-channel.
    fn u2f(&mut self, apdu: Vec<u8>) -> Vec<u8> {
        self.ensure_booted();
        self.grant_u2f_presence();
        let Worker { env, booted, .. } = self;
        let Some(b) = booted.as_mut() else {
            return vec![];
        };
        let message = Message {
            cid: NFC_CID,
            cmd: CtapHidCommand::Msg,
            payload: apdu,
        };
        let response = b.main.process_message(env, message, &mut b.state).payload;
        self.grant_u2f_presence();
        response
    }

    /// One CTAPHID report: opensk's framing (`CtapHid`: INIT, channels, PING,
    /// LOCK, CANCEL, errors) and dispatch (`MainHid`: CBOR, MSG, WINK).
    fn hid(&mut self, packet: &HidPacket) -> HidPacketIterator {
        self.ensure_booted();
        self.grant_u2f_presence();
        let Worker {
            env,
            booted,
            options,
            ..
        } = self;
        let Some(b) = booted.as_mut() else {
            return HidPacketIterator::none();
        };
        let Some(message) = b.hid.parse_packet(env, packet, false) else {
            return HidPacketIterator::none();
        };
        let cbor_command = (message.cmd == CtapHidCommand::Cbor).then(|| {
            message
                .payload
                .first()
                .copied()
                .into_iter()
                .collect::<Vec<u8>>()
        });
        let mut response = b.main.process_message(env, message, &mut b.state);
        if let Some(command) = cbor_command {
            let payload = std::mem::take(&mut response.payload);
            response.payload = finish_cbor(&command, payload, options);
        }
        self.grant_u2f_presence();
        CtapHid::<AuthEnv>::split_message(response)
    }

    /// U2F asks for presence by failing with 6985 until it is granted (opensk's
    /// `u2f_grant_user_presence`): while it needs presence, the button waits, and
    /// a press grants it to the client's next retry.
    fn grant_u2f_presence(&mut self) {
        let Worker { env, booted, .. } = self;
        let Some(b) = booted.as_mut() else {
            return;
        };
        if b.state.u2f_needs_user_presence(env) {
            let now = env.clock.now();
            if env.presence.button.wait(now) {
                b.state.u2f_grant_user_presence(env);
            }
        }
    }
}

/// Our finishing touches on a CTAP2 response: the timeout status byte, and
/// getInfo's transports (opensk says only "usb"; the key also speaks NFC).
fn finish_cbor(request: &[u8], mut response: Vec<u8>, options: &FidoOptions) -> Vec<u8> {
    if response == [USER_ACTION_TIMEOUT] {
        response = vec![options.up_timeout_status];
    }
    if request.first() == Some(&cbor::GET_INFO) && response.first() == Some(&0) {
        if let Some(patched) = cbor::set_transports(&response[1..], &["nfc", "usb"]) {
            response.truncate(1);
            response.extend(patched);
        }
    }
    response
}
