//! The seam every CTAP2 command goes through: one request (command byte ‖ CBOR)
//! in, one response (status byte ‖ CBOR) out, whatever the transport
//! (CTAPHID §11.2, ISO 7816 §11.3).

use std::sync::atomic::{AtomicBool, Ordering};

use super::error::CtapResult;

/// What the authenticator says while it works (CTAPHID KEEPALIVE §11.2.9.1.5;
/// ISO 7816 `9100` status update §11.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepaliveStatus {
    /// `01` PROCESSING.
    Processing,
    /// `02` UPNEEDED: touch the key.
    UpNeeded,
    /// Any other byte (reserved).
    Other(u8),
}

impl KeepaliveStatus {
    /// Types a status byte.
    pub fn from_byte(b: u8) -> KeepaliveStatus {
        match b {
            1 => KeepaliveStatus::Processing,
            2 => KeepaliveStatus::UpNeeded,
            other => KeepaliveStatus::Other(other),
        }
    }
}

/// Receives keepalive statuses and decides whether to cancel.
pub trait Keepalive {
    /// A status arrived (forward UPNEEDED to the user).
    fn status(&mut self, status: KeepaliveStatus);
    /// Whether the caller wants the command cancelled (polled while waiting).
    fn cancelled(&self) -> bool;
}

/// Ignores statuses, never cancels.
#[derive(Debug, Default)]
pub struct Quiet;

impl Keepalive for Quiet {
    fn status(&mut self, _status: KeepaliveStatus) {}
    fn cancelled(&self) -> bool {
        false
    }
}

/// Calls a closure on each status and cancels when a flag is set.
pub struct Watch<'a, F: FnMut(KeepaliveStatus)> {
    on_status: F,
    cancel: Option<&'a AtomicBool>,
}

impl<'a, F: FnMut(KeepaliveStatus)> Watch<'a, F> {
    /// `on_status` for every status; cancel once `cancel` is set.
    pub fn new(on_status: F, cancel: Option<&'a AtomicBool>) -> Self {
        Watch { on_status, cancel }
    }
}

impl<F: FnMut(KeepaliveStatus)> Keepalive for Watch<'_, F> {
    fn status(&mut self, status: KeepaliveStatus) {
        (self.on_status)(status)
    }
    fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|c| c.load(Ordering::SeqCst))
    }
}

/// Which door the authenticator is reached through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// USB HID (CTAPHID).
    Hid,
    /// PC/SC: CCID over USB or NFC (CTAP over ISO 7816).
    SmartCard,
}

/// A connection to one authenticator.
pub trait FidoConnection {
    /// The transport.
    fn transport(&self) -> Transport;
    /// Sends `request` = CTAP command byte ‖ CBOR parameters and returns the raw
    /// response = status byte ‖ CBOR. Keepalives go to `keepalive`, which may cancel.
    fn cbor(&mut self, request: &[u8], keepalive: &mut dyn Keepalive) -> CtapResult<Vec<u8>>;
    /// Sends a raw CTAP1/U2F APDU (extended encoding) and returns data ‖ SW1 SW2.
    fn ctap1(&mut self, apdu: &[u8]) -> CtapResult<Vec<u8>>;
    /// Makes the key blink (CTAPHID WINK); `Ok(false)` when the transport cannot.
    fn wink(&mut self) -> CtapResult<bool> {
        Ok(false)
    }
}
