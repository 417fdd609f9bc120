//! tessera-virtual-token: a software HID Crescendo Key.
//!
//! Written from HID's published low-level API (../shared/docs/crescendo-apdu.md) and
//! the public specs (ISO 7816-4, NIST SP 800-73-4, YKOATH, CTAP 2.1), independently
//! of the host's drivers: both sides are checked against the published transcripts.
//!
//! - [`apdu`]: command parsing and status words (ISO 7816-4 §5).
//! - [`applet`]: the `Applet` trait — each applet is a pure state machine.
//! - [`platform`]: injected clock, rng and the key's button.
//! - [`card`]: `VirtualCard` — SELECT routing, GET RESPONSE, chaining, power.

pub mod apdu;
pub mod applet;
pub mod applets;
pub mod card;
pub mod control;
pub mod ctaphid;
pub mod otp;
pub mod platform;
pub mod profile;
pub mod state_file;
pub mod vpcd;
