//! Waiting for a touch: re-send the same command while the token answers
//! [`SessionError::TouchRequired`] (Crescendo OATH `6985`, crescendo-apdu.md
//! §5.3/§5.7: "the host must keep re-sending the same command until 9000").
//!
//! The loop never sends anything but the command it was given (no VERIFY, no
//! SELECT: on the virtual token a SELECT cancels the pending button wait).

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use crate::sessions::SessionError;

/// Shortest pause between two polls.
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);
/// Longest pause between two polls.
pub const MAX_INTERVAL: Duration = Duration::from_millis(250);

/// How to poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollPolicy {
    /// Pause between polls, clamped to [`MIN_INTERVAL`]..=[`MAX_INTERVAL`].
    pub interval: Duration,
    /// Give up ([`SessionError::TouchTimeout`]) after this long.
    pub timeout: Duration,
}

impl Default for PollPolicy {
    /// 200 ms, 30 s (HID does not publish how long the LED blinks).
    fn default() -> PollPolicy {
        PollPolicy {
            interval: Duration::from_millis(200),
            timeout: Duration::from_secs(30),
        }
    }
}

/// What the callback is told on every `TouchRequired` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TouchWait {
    /// 1 on the first `TouchRequired` (emit "touch your key" then).
    pub attempt: u32,
    /// Time spent waiting so far.
    pub elapsed: Duration,
    /// Time left before the timeout.
    pub remaining: Duration,
}

/// Runs `send` (which must send the same command each time) until it answers
/// something other than [`SessionError::TouchRequired`]. On each
/// `TouchRequired`, calls `on_touch` (`Break` cancels with
/// [`SessionError::Cancelled`]) and then `sleep`s one interval. Time is the
/// larger of the wall clock and the total slept, so an injected `sleep` makes
/// the loop deterministic in tests.
pub fn poll<T>(
    policy: &PollPolicy,
    mut on_touch: impl FnMut(&TouchWait) -> ControlFlow<()>,
    mut sleep: impl FnMut(Duration),
    mut send: impl FnMut() -> Result<T, SessionError>,
) -> Result<T, SessionError> {
    let interval = policy.interval.clamp(MIN_INTERVAL, MAX_INTERVAL);
    let start = Instant::now();
    let mut slept = Duration::ZERO;
    let mut attempt = 0u32;
    loop {
        match send() {
            Err(SessionError::TouchRequired) => {}
            other => return other,
        }
        let elapsed = start.elapsed().max(slept);
        if elapsed >= policy.timeout {
            return Err(SessionError::TouchTimeout);
        }
        attempt = attempt.saturating_add(1);
        let wait = TouchWait {
            attempt,
            elapsed,
            remaining: policy.timeout.saturating_sub(elapsed),
        };
        if on_touch(&wait).is_break() {
            return Err(SessionError::Cancelled);
        }
        let pause = interval.min(wait.remaining);
        sleep(pause);
        slept += pause;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_until_an_answer_and_reports_each_wait() {
        let mut answers = vec![Ok(7), Err(SessionError::TouchRequired)];
        let mut waits = vec![];
        let mut sleeps = vec![];
        let r = poll(
            &PollPolicy::default(),
            |w| {
                waits.push(w.attempt);
                ControlFlow::Continue(())
            },
            |d| sleeps.push(d),
            || answers.pop().unwrap_or(Err(SessionError::NotFound)),
        );
        assert_eq!(r.ok(), Some(7));
        assert_eq!(waits, [1]);
        assert_eq!(sleeps, [Duration::from_millis(200)]);
    }

    #[test]
    fn other_errors_stop_at_once_and_intervals_are_clamped() {
        let mut sleeps = vec![];
        let policy = PollPolicy {
            interval: Duration::from_millis(5),
            timeout: Duration::from_millis(250),
        };
        let r: Result<(), _> = poll(
            &policy,
            |_| ControlFlow::Continue(()),
            |d| sleeps.push(d),
            || Err(SessionError::TouchRequired),
        );
        assert!(matches!(r, Err(SessionError::TouchTimeout)));
        assert_eq!(
            sleeps,
            [100, 100, 50].map(Duration::from_millis),
            "the last pause ends at the timeout"
        );
        let r: Result<(), _> = poll(
            &policy,
            |_| ControlFlow::Continue(()),
            |_| panic!("no sleep after a final answer"),
            || Err(SessionError::SecurityNotSatisfied),
        );
        assert!(matches!(r, Err(SessionError::SecurityNotSatisfied)));
        let r: Result<(), _> = poll(
            &policy,
            |_| ControlFlow::Break(()),
            |_| {},
            || Err(SessionError::TouchRequired),
        );
        assert!(matches!(r, Err(SessionError::Cancelled)));
    }
}
