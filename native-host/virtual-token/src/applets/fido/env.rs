//! opensk's `Env` for the virtual token: our clock, a seeded rng, our button and
//! the card-state store; opensk's own software crypto, key store and default
//! customization (environment.md, "opensk … as the virtual token's FIDO applet").

use std::collections::VecDeque;
use std::fmt;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use opensk::api::clock::Clock as OpenskClock;
use opensk::api::connection::{HidConnection, RecvStatus, UsbEndpoint};
use opensk::api::crypto::software_crypto::SoftwareCrypto;
use opensk::api::customization::{CustomizationImpl, DEFAULT_CUSTOMIZATION};
use opensk::api::key_store;
use opensk::api::rng::Rng;
use opensk::api::user_presence::{UserPresence, UserPresenceError, UserPresenceWaitResult};
use opensk::ctap::status_code::CtapResult;
use opensk::env::Env;
use rand::rngs::StdRng;
use rand::{CryptoRng, RngCore, SeedableRng};

use super::storage::SharedStore;
use super::worker::{Request, Shared, NFC_CID};
use crate::platform::{Button, Clock};

/// opensk's reset window, the one timer `CtapState::new` starts
/// (`RESET_TIMEOUT_DURATION_MS` in opensk's ctap/mod.rs).
const OPENSK_RESET_TIMER_MS: usize = 10_000;
/// How often a presence wait looks at the button and the queue.
const POLL: Duration = Duration::from_millis(10);

/// Power-on facts used while opensk boots (`CtapState::new`).
#[derive(Debug, Clone, Copy)]
pub struct Boot {
    /// Power-on time on the platform clock.
    pub power_on_at: Duration,
    /// Configured reset window.
    pub reset_window: Duration,
}

/// A deadline on the platform clock; the default one has passed (opensk's rule).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timer(Duration);

/// opensk's clock over the platform clock.
///
/// While opensk boots, the reset timer is placed at power-on + the configured
/// window, so the window counts from power-on (not from the first command, when
/// the authenticator is created lazily) and its length is configurable.
pub struct AuthClock {
    clock: Arc<dyn Clock>,
    pub(super) boot: Option<Boot>,
}

impl AuthClock {
    /// Now, on the platform clock.
    pub fn now(&self) -> Duration {
        self.clock.now()
    }
}

impl OpenskClock for AuthClock {
    type Timer = Timer;

    fn make_timer(&mut self, milliseconds: usize) -> Timer {
        let length = Duration::from_millis(milliseconds as u64);
        match self.boot {
            Some(b) if milliseconds == OPENSK_RESET_TIMER_MS => {
                Timer(b.power_on_at + b.reset_window)
            }
            Some(b) => Timer(b.power_on_at + length),
            None => Timer(self.clock.now() + length),
        }
    }

    fn is_elapsed(&mut self, timer: &Timer) -> bool {
        self.clock.now() >= timer.0
    }
}

/// A seeded rng (deterministic with the deterministic platform).
pub struct AuthRng(StdRng);

impl RngCore for AuthRng {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest)
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.0.try_fill_bytes(dest)
    }
}

impl CryptoRng for AuthRng {}

impl Rng for AuthRng {}

/// The worker's request queue: requests set aside during a presence wait come first.
pub struct Queue {
    rx: Receiver<Request>,
    deferred: VecDeque<Request>,
}

impl Queue {
    /// Blocks for the next request; `None` once every handle is gone.
    pub fn next(&mut self) -> Option<Request> {
        self.deferred.pop_front().or_else(|| self.rx.recv().ok())
    }
}

/// User presence: the key's button, polled while opensk waits (it calls
/// [`UserPresence::wait_with_timeout`] in 100 ms slices for up to 30 s of *our*
/// clock). A slice also ends after 100 ms of real time, so a manual clock that
/// nobody advances waits forever instead of spinning. HID packets that arrive
/// meanwhile go to opensk (CANCEL, busy answers); an NFC cancel, power off or
/// reload ends the wait as cancelled.
pub struct Presence {
    pub(super) queue: Queue,
    clock: Arc<dyn Clock>,
    pub(super) button: Button,
    shared: Arc<Shared>,
    granted: bool,
}

impl UserPresence for Presence {
    fn check_init(&mut self) {
        self.button.cancel();
        // Start the wait (the LED blinks) before saying so, so that a press
        // prompted by the status is never discarded.
        self.granted = self.button.wait(self.clock.now());
        self.shared.set_up_needed(true);
    }

    fn wait_with_timeout(
        &mut self,
        packet: &mut [u8; 64],
        timeout_ms: usize,
    ) -> UserPresenceWaitResult {
        if std::mem::take(&mut self.granted) {
            return Ok((Ok(()), RecvStatus::Timeout));
        }
        let slice = Duration::from_millis(timeout_ms as u64);
        let (clock_start, real_start) = (self.clock.now(), Instant::now());
        loop {
            let now = self.clock.now();
            if self.button.wait(now) {
                return Ok((Ok(()), RecvStatus::Timeout));
            }
            if now.saturating_sub(clock_start) >= slice || real_start.elapsed() >= slice {
                return Ok((Err(UserPresenceError::Timeout), RecvStatus::Timeout));
            }
            match self.queue.rx.recv_timeout(POLL) {
                Ok(Request::Hid(p)) => {
                    *packet = p;
                    let up = match self.button.wait(self.clock.now()) {
                        true => Ok(()),
                        false => Err(UserPresenceError::Timeout),
                    };
                    return Ok((up, RecvStatus::Received(UsbEndpoint::MainHid)));
                }
                Ok(Request::NfcCancel) => {
                    return Ok((Err(UserPresenceError::Canceled), RecvStatus::Timeout))
                }
                Ok(r @ (Request::PowerOff | Request::Reboot)) => {
                    self.queue.deferred.push_back(r);
                    return Ok((Err(UserPresenceError::Canceled), RecvStatus::Timeout));
                }
                Ok(r) => self.queue.deferred.push_back(r),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    return Ok((Err(UserPresenceError::Canceled), RecvStatus::Timeout))
                }
            }
        }
    }

    fn check_complete(&mut self) {
        self.granted = false;
        self.button.cancel();
        self.shared.set_up_needed(false);
    }
}

/// Outgoing HID packets (KEEPALIVE, busy errors) go to the CTAPHID device;
/// those for the NFC pseudo-channel are dropped (NFC reports status by 9100).
pub struct HidOut(Arc<Shared>);

impl HidConnection for HidOut {
    fn send(&mut self, buf: &[u8; 64], _endpoint: UsbEndpoint) -> CtapResult<()> {
        if buf[..4] != NFC_CID {
            self.0.send_hid(*buf);
        }
        Ok(())
    }

    fn recv(&mut self, _buf: &mut [u8; 64], _timeout_ms: usize) -> CtapResult<RecvStatus> {
        // opensk 0.1.0 never calls it: packets reach it through the presence wait.
        Ok(RecvStatus::Timeout)
    }
}

/// opensk's debug output (only with its `debug_ctap` feature, which we keep off).
pub struct TraceWrite;

impl fmt::Write for TraceWrite {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        tracing::trace!(target: "opensk", "{s}");
        Ok(())
    }
}

/// The environment opensk runs in.
pub struct AuthEnv {
    rng: AuthRng,
    pub(super) presence: Presence,
    store: SharedStore,
    pub(super) clock: AuthClock,
    hid: HidOut,
    customization: CustomizationImpl,
}

impl AuthEnv {
    /// An environment over the platform's clock and button.
    pub fn new(
        clock: Arc<dyn Clock>,
        button: Button,
        seed: u64,
        rx: Receiver<Request>,
        shared: Arc<Shared>,
    ) -> AuthEnv {
        AuthEnv {
            rng: AuthRng(StdRng::seed_from_u64(seed)),
            presence: Presence {
                queue: Queue {
                    rx,
                    deferred: VecDeque::new(),
                },
                clock: clock.clone(),
                button,
                shared: shared.clone(),
                granted: false,
            },
            store: shared.store.clone(),
            clock: AuthClock { clock, boot: None },
            hid: HidOut(shared),
            customization: DEFAULT_CUSTOMIZATION,
        }
    }
}

impl key_store::Helper for AuthEnv {}

impl Env for AuthEnv {
    type Rng = AuthRng;
    type UserPresence = Presence;
    type Persist = SharedStore;
    type KeyStore = Self;
    type Write = TraceWrite;
    type Customization = CustomizationImpl;
    type HidConnection = HidOut;
    type Clock = AuthClock;
    type Crypto = SoftwareCrypto;

    fn rng(&mut self) -> &mut AuthRng {
        &mut self.rng
    }

    fn user_presence(&mut self) -> &mut Presence {
        &mut self.presence
    }

    fn persist(&mut self) -> &mut SharedStore {
        &mut self.store
    }

    fn key_store(&mut self) -> &mut Self {
        self
    }

    fn clock(&mut self) -> &mut AuthClock {
        &mut self.clock
    }

    fn write(&mut self) -> TraceWrite {
        TraceWrite
    }

    fn customization(&self) -> &CustomizationImpl {
        &self.customization
    }

    fn hid_connection(&mut self) -> &mut HidOut {
        &mut self.hid
    }

    fn boots_after_soft_reset(&self) -> bool {
        false
    }
}
