//! In-process CTAPHID device (CTAP 2.1 §11.2; protocols.md §4.2): 64-byte
//! reports in and out of the same opensk authenticator as the FIDO applet.
//!
//! The framing is opensk's: INIT (8-byte nonce, channel allocation from the
//! broadcast channel `FFFFFFFF`, resync on an allocated one), PING, MSG (U2F),
//! CBOR, WINK, LOCK, CANCEL (no reply; the pending CBOR request ends with `2D`),
//! KEEPALIVE `02` every ~100 ms while the button is awaited, ERROR (`01`
//! INVALID_CMD … `0B` INVALID_CHANNEL) and continuation sequence checks.
//! Capabilities: WINK | CBOR (U2F MSG supported, so no NMSG).
//!
//! There is no kernel HID device behind it (no /dev/uhid here, environment.md);
//! this is what the host's in-process backend and the tests talk to.

use std::sync::mpsc::Receiver;
use std::time::Duration;

use crate::applets::fido::{Authenticator, Request};

/// One CTAPHID report.
pub type Report = [u8; 64];

/// The USB HID side of a virtual key.
pub struct CtapHidDevice {
    auth: Authenticator,
    output: Receiver<Report>,
}

impl CtapHidDevice {
    /// Plugs a HID interface into `auth` (share it with the key's
    /// [`crate::applets::fido::FidoApplet`]). Reports sent to an earlier device
    /// on the same authenticator go to this one from now on.
    pub fn new(auth: Authenticator) -> CtapHidDevice {
        let output = auth.hid_output();
        CtapHidDevice { auth, output }
    }

    /// Host → key: one output report.
    pub fn write_report(&mut self, report: &Report) {
        if !self.auth.is_powered() {
            self.auth.power_on(self.auth.now());
        }
        self.auth.send(Request::Hid(*report));
    }

    /// Key → host: the next input report, if one comes within `timeout`.
    pub fn read_report(&mut self, timeout: Duration) -> Option<Report> {
        self.output.recv_timeout(timeout).ok()
    }

    /// Unplug and plug in again: channels, PIN tokens and anything in progress
    /// are lost, the reset window starts again, unread reports are dropped.
    pub fn replug(&mut self) {
        self.auth.power_off();
        while self.output.try_recv().is_ok() {}
        self.auth.power_on(self.auth.now());
    }

    /// The authenticator behind this device.
    pub fn authenticator(&self) -> &Authenticator {
        &self.auth
    }
}
