//! What the card gets from its surroundings: a clock, randomness and the key's
//! button. Injected so tests run on a manual clock, a fixed seed and a scripted button.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};

/// A monotonic clock.
pub trait Clock: Send + Sync {
    /// Time since an arbitrary fixed origin.
    fn now(&self) -> Duration;
}

/// The system's monotonic clock.
#[derive(Debug)]
pub struct SystemClock(Instant);

impl SystemClock {
    /// A clock whose origin is now.
    pub fn new() -> SystemClock {
        SystemClock(Instant::now())
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.0.elapsed()
    }
}

/// A clock that moves only when told (tests).
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<Mutex<Duration>>);

impl ManualClock {
    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        *lock(&self.0) += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        *lock(&self.0)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How the simulated button behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ButtonMode {
    /// Pressed by itself this long after the card starts waiting.
    Auto(Duration),
    /// Pressed only through [`Button::press`] (control socket, tests).
    Manual,
    /// Never pressed (timeout tests).
    Never,
}

#[derive(Debug)]
struct ButtonState {
    mode: ButtonMode,
    waiting_since: Option<Duration>,
    pressed: bool,
}

/// The key's button, shared between the card and whoever presses it.
///
/// An applet that needs a press calls [`Button::wait`] each time it is asked
/// (the first call starts the wait, the LED "blinks"); it gets `true` once a press
/// arrived, which consumes the press (crescendo-apdu.md §5.8 rule 3).
#[derive(Debug, Clone)]
pub struct Button(Arc<Mutex<ButtonState>>);

impl Button {
    /// A button in the given mode.
    pub fn new(mode: ButtonMode) -> Button {
        Button(Arc::new(Mutex::new(ButtonState {
            mode,
            waiting_since: None,
            pressed: false,
        })))
    }

    /// Current mode.
    pub fn mode(&self) -> ButtonMode {
        lock(&self.0).mode
    }

    /// Changes the mode (control socket).
    pub fn set_mode(&self, mode: ButtonMode) {
        lock(&self.0).mode = mode;
    }

    /// Presses the button. A press while nothing waits is remembered until the
    /// next wait begins and then discarded, as a real key types its OTP instead.
    pub fn press(&self) {
        let mut s = lock(&self.0);
        if s.waiting_since.is_some() {
            s.pressed = true;
        }
    }

    /// Whether the card is waiting for a press (the LED blinks).
    pub fn is_waiting(&self) -> bool {
        lock(&self.0).waiting_since.is_some()
    }

    /// Called while an operation needs presence: starts the wait on first call;
    /// returns `true` (and ends the wait) once the button was pressed.
    pub fn wait(&self, now: Duration) -> bool {
        let mut s = lock(&self.0);
        let since = *s.waiting_since.get_or_insert(now);
        let auto = matches!(s.mode, ButtonMode::Auto(delay) if now.saturating_sub(since) >= delay);
        if s.pressed || auto {
            s.pressed = false;
            s.waiting_since = None;
            true
        } else {
            false
        }
    }

    /// Abandons a wait (cancel, power off, another command).
    pub fn cancel(&self) {
        let mut s = lock(&self.0);
        s.waiting_since = None;
        s.pressed = false;
    }
}

/// A press of the key's button, as the control socket gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Press {
    /// One short press.
    Single,
    /// Two presses in quick succession.
    Double,
}

/// One key the card types as a USB HID keyboard: a usage ID of the Keyboard/Keypad
/// page (07h) with the modifier byte of the boot keyboard report (HID Usage
/// Tables §10; HID 1.11 Appendix B: bit 1 = Left Shift, bit 6 = Right Alt).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyStroke {
    /// Modifier bits (`02` Shift, `40` AltGr).
    pub modifiers: u8,
    /// Usage ID on page 07h.
    pub usage: u8,
}

/// What the key typed, for tests (a real key sends it to the computer's HID
/// keyboard driver). Shared between the card and the control socket.
#[derive(Debug, Clone, Default)]
pub struct Keyboard(Arc<Mutex<Vec<KeyStroke>>>);

impl Keyboard {
    /// Records typed keys.
    pub fn type_keys(&self, keys: &[KeyStroke]) {
        lock(&self.0).extend_from_slice(keys);
    }

    /// The keys typed since the last call, oldest first.
    pub fn take(&self) -> Vec<KeyStroke> {
        std::mem::take(&mut *lock(&self.0))
    }

    /// How many keys wait to be taken.
    pub fn pending(&self) -> usize {
        lock(&self.0).len()
    }
}

/// The headers (CLA INS P1 P2) of the command APDUs the card received, for
/// tests that must show an operation never reached the card (no data: a
/// header carries no secret). Keeps the newest [`ApduLog::CAPACITY`].
#[derive(Debug, Clone, Default)]
pub struct ApduLog(Arc<Mutex<std::collections::VecDeque<[u8; 4]>>>);

impl ApduLog {
    /// Headers kept before the oldest are dropped.
    pub const CAPACITY: usize = 4096;

    /// Records one command's header.
    pub fn record(&self, header: [u8; 4]) {
        let mut log = lock(&self.0);
        if log.len() == Self::CAPACITY {
            log.pop_front();
        }
        log.push_back(header);
    }

    /// The headers received since the last call, oldest first.
    pub fn take(&self) -> Vec<[u8; 4]> {
        lock(&self.0).drain(..).collect()
    }
}

/// Clock, randomness and button for one card.
pub struct Platform {
    /// Monotonic time.
    pub clock: Arc<dyn Clock>,
    /// Randomness (challenges, keys, nonces).
    pub rng: Box<dyn RngCore + Send>,
    /// The key's button.
    pub button: Button,
    /// Where button presses type their keys.
    pub keyboard: Keyboard,
    /// The command headers received.
    pub apdus: ApduLog,
}

impl Platform {
    /// System clock, OS-seeded rng.
    pub fn system(button: ButtonMode) -> Platform {
        Platform {
            clock: Arc::new(SystemClock::new()),
            rng: Box::new(StdRng::from_entropy()),
            button: Button::new(button),
            keyboard: Keyboard::default(),
            apdus: ApduLog::default(),
        }
    }

    /// Manual clock and a fixed seed: fully repeatable (tests).
    pub fn deterministic(seed: u64, button: ButtonMode) -> (Platform, ManualClock) {
        let clock = ManualClock::default();
        let platform = Platform {
            clock: Arc::new(clock.clone()),
            rng: Box::new(StdRng::seed_from_u64(seed)),
            button: Button::new(button),
            keyboard: Keyboard::default(),
            apdus: ApduLog::default(),
        };
        (platform, clock)
    }

    /// Now, on the platform clock.
    pub fn now(&self) -> Duration {
        self.clock.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apdu_log_hands_out_headers_once_and_keeps_the_newest() {
        let log = ApduLog::default();
        for i in 0..=ApduLog::CAPACITY {
            log.record([0x80, 0x88, (i >> 8) as u8, i as u8]);
        }
        let got = log.take();
        assert_eq!(got.len(), ApduLog::CAPACITY);
        assert_eq!(got[0], [0x80, 0x88, 0x00, 0x01], "the oldest dropped");
        assert!(log.take().is_empty(), "taken once");
    }

    #[test]
    fn manual_press_is_consumed_once() {
        let b = Button::new(ButtonMode::Manual);
        b.press(); // nothing waits: discarded
        assert!(!b.wait(Duration::ZERO));
        assert!(b.is_waiting());
        b.press();
        assert!(b.wait(Duration::from_secs(1)));
        assert!(!b.is_waiting());
        assert!(
            !b.wait(Duration::from_secs(2)),
            "a new wait needs a new press"
        );
    }

    #[test]
    fn auto_presses_after_the_delay_and_never_never_does() {
        let b = Button::new(ButtonMode::Auto(Duration::from_millis(300)));
        assert!(!b.wait(Duration::from_millis(1000)));
        assert!(!b.wait(Duration::from_millis(1200)));
        assert!(b.wait(Duration::from_millis(1300)));
        let n = Button::new(ButtonMode::Never);
        assert!(!n.wait(Duration::ZERO));
        assert!(!n.wait(Duration::from_secs(3600)));
    }
}
