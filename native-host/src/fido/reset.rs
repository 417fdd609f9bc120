//! authenticatorReset (CTAP 2.1 §6.6; protocols.md §4.7) and the replug flow
//! around it: the key accepts a reset only shortly after power-up (10 s in the
//! spec and OpenSK, 5 s on YubiKeys) and only with a touch.
//!
//! Flow: where the transport can power-cycle the key in place (a contactless
//! PC/SC reader, reconnect with UNPOWER), try that first; a key that still says
//! NOT_ALLOWED (a USB key stays powered by USB) falls back to: UnplugNow → wait
//! for removal → PlugBackIn → wait for insertion → getInfo (allowed in the
//! window) to check it is the same key → reset at once → TouchKey{deadline}
//! when the key asks for presence → Done.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::connection::{FidoConnection, Keepalive, KeepaliveStatus};
use super::error::{CtapError, CtapResult, StatusCode};
use super::{call, command, get_info};

/// What the user must do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "camelCase")]
pub enum ResetEvent {
    /// Unplug the key now.
    UnplugNow,
    /// Plug it back in.
    PlugBackIn,
    /// Touch the key before `deadline_ms` from now.
    #[serde(rename_all = "camelCase")]
    TouchKey {
        /// Milliseconds the user has left.
        deadline_ms: u64,
    },
    /// The key was reset.
    Done,
}

/// How the reset ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ResetOutcome {
    /// Every credential and the PIN are gone.
    Done,
    /// The reset window had closed (`30` NOT_ALLOWED; ykman also reads `34` so).
    TooLate,
    /// Nobody touched the key (`2F` USER_ACTION_TIMEOUT, YubiKey `3A` ACTION_TIMEOUT).
    NoTouch,
    /// The user declined, or the transport forbids reset (`27` OPERATION_DENIED).
    Denied,
    /// A different key came back (AAGUID or device id differ).
    WrongKey,
    /// The key was not unplugged / plugged back in time.
    ReplugTimeout,
    /// Cancelled (`2D` KEEPALIVE_CANCEL, or the caller's flag).
    Cancelled,
}

/// Maps reset's answer to an outcome (the errors reset may legitimately end with).
pub fn outcome_of(result: CtapResult<()>) -> CtapResult<ResetOutcome> {
    match result {
        Ok(()) => Ok(ResetOutcome::Done),
        Err(CtapError::Status(s)) => Ok(match s {
            StatusCode::NotAllowed | StatusCode::PinAuthBlocked => ResetOutcome::TooLate,
            StatusCode::UserActionTimeout | StatusCode::ActionTimeout => ResetOutcome::NoTouch,
            StatusCode::OperationDenied => ResetOutcome::Denied,
            StatusCode::KeepaliveCancel => ResetOutcome::Cancelled,
            other => return Err(CtapError::Status(other)),
        }),
        Err(CtapError::Cancelled) => Ok(ResetOutcome::Cancelled),
        Err(e) => Err(e),
    }
}

/// authenticatorReset on a bare connection.
pub fn reset(conn: &mut dyn FidoConnection, keepalive: &mut dyn Keepalive) -> CtapResult<()> {
    call(conn, command::RESET, None, keepalive).map(drop)
}

/// Where the key is: removal and insertion, and a fresh connection to it.
pub trait PresenceWatcher {
    /// Waits until the key is removed; `false` on timeout.
    fn wait_removed(&mut self, timeout: Duration) -> CtapResult<bool>;
    /// Waits until a key is inserted; its device id (reader / HID path + serial
    /// when known) or `None` on timeout.
    fn wait_inserted(&mut self, timeout: Duration) -> CtapResult<Option<String>>;
    /// Runs `op` on a fresh connection to the (re-inserted) key.
    fn with_key(
        &mut self,
        op: &mut dyn FnMut(&mut dyn FidoConnection) -> CtapResult<ResetOutcome>,
    ) -> CtapResult<ResetOutcome>;
    /// Power-cycles the key in place and runs `op` on it; `None` when the
    /// transport cannot (USB HID).
    fn with_power_cycled_key(
        &mut self,
        _op: &mut dyn FnMut(&mut dyn FidoConnection) -> CtapResult<ResetOutcome>,
    ) -> CtapResult<Option<ResetOutcome>> {
        Ok(None)
    }
}

/// The key being reset and the limits of the flow.
#[derive(Debug, Clone)]
pub struct ResetPlan {
    /// AAGUID from the getInfo read before the flow.
    pub aaguid: Vec<u8>,
    /// Device id of the key before the flow, when known.
    pub device_id: Option<String>,
    /// How long the user has to unplug, and to plug back in.
    pub replug_timeout: Duration,
    /// How long the key waits for a touch (30 s in OpenSK; shown to the user).
    pub touch_timeout: Duration,
}

struct ResetKeepalive<'a> {
    events: &'a mut dyn FnMut(ResetEvent),
    touch_timeout: Duration,
    asked: bool,
    cancel: &'a dyn Fn() -> bool,
}

impl Keepalive for ResetKeepalive<'_> {
    fn status(&mut self, status: KeepaliveStatus) {
        if status == KeepaliveStatus::UpNeeded && !self.asked {
            self.asked = true;
            (self.events)(ResetEvent::TouchKey {
                deadline_ms: u64::try_from(self.touch_timeout.as_millis()).unwrap_or(u64::MAX),
            });
        }
    }
    fn cancelled(&self) -> bool {
        (self.cancel)()
    }
}

/// Runs the whole flow. `events` tells the user what to do; `cancel` is polled.
pub fn reset_flow(
    watcher: &mut dyn PresenceWatcher,
    plan: &ResetPlan,
    events: &mut dyn FnMut(ResetEvent),
    cancel: &dyn Fn() -> bool,
) -> CtapResult<ResetOutcome> {
    let attempt = |conn: &mut dyn FidoConnection, events: &mut dyn FnMut(ResetEvent)| {
        let info = get_info(conn)?;
        if info.aaguid != plan.aaguid {
            return Ok(ResetOutcome::WrongKey);
        }
        let mut ka = ResetKeepalive {
            events,
            touch_timeout: plan.touch_timeout,
            asked: false,
            cancel,
        };
        outcome_of(reset(conn, &mut ka))
    };
    // 1. In place, where the transport can power-cycle.
    let in_place = watcher.with_power_cycled_key(&mut |conn| attempt(conn, &mut *events))?;
    match in_place {
        Some(ResetOutcome::Done) => {
            events(ResetEvent::Done);
            return Ok(ResetOutcome::Done);
        }
        Some(ResetOutcome::TooLate) | None => {}
        Some(other) => return Ok(other),
    }
    // 2. Replug.
    events(ResetEvent::UnplugNow);
    if !wait(cancel, plan.replug_timeout, |t| watcher.wait_removed(t))? {
        return Ok(ResetOutcome::ReplugTimeout);
    }
    events(ResetEvent::PlugBackIn);
    let started = Instant::now();
    let inserted = loop {
        if cancel() {
            return Ok(ResetOutcome::Cancelled);
        }
        let left = plan.replug_timeout.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Ok(ResetOutcome::ReplugTimeout);
        }
        if let Some(id) = watcher.wait_inserted(left.min(Duration::from_millis(250)))? {
            break id;
        }
    };
    if let (Some(before), false) = (&plan.device_id, inserted.is_empty()) {
        if *before != inserted {
            return Ok(ResetOutcome::WrongKey);
        }
    }
    let outcome = watcher.with_key(&mut |conn| attempt(conn, events))?;
    if outcome == ResetOutcome::Done {
        events(ResetEvent::Done);
    }
    Ok(outcome)
}

fn wait(
    cancel: &dyn Fn() -> bool,
    timeout: Duration,
    mut step: impl FnMut(Duration) -> CtapResult<bool>,
) -> CtapResult<bool> {
    let started = Instant::now();
    loop {
        if cancel() {
            return Ok(false);
        }
        let left = timeout.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Ok(false);
        }
        if step(left.min(Duration::from_millis(250)))? {
            return Ok(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_map_to_outcomes() {
        let s = |c| outcome_of(Err(CtapError::Status(c))).expect("outcome");
        assert_eq!(s(StatusCode::NotAllowed), ResetOutcome::TooLate);
        assert_eq!(s(StatusCode::PinAuthBlocked), ResetOutcome::TooLate);
        assert_eq!(s(StatusCode::UserActionTimeout), ResetOutcome::NoTouch);
        assert_eq!(s(StatusCode::ActionTimeout), ResetOutcome::NoTouch);
        assert_eq!(s(StatusCode::OperationDenied), ResetOutcome::Denied);
        assert_eq!(s(StatusCode::KeepaliveCancel), ResetOutcome::Cancelled);
        assert!(outcome_of(Err(CtapError::Status(StatusCode::InvalidCbor))).is_err());
        assert_eq!(outcome_of(Ok(())).expect("ok"), ResetOutcome::Done);
    }
}
