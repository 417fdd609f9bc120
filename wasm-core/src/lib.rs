//! tessera-core: everything Tessera decides without doing I/O.
//!
//! Shared by the native host (compiled natively) and the extension (compiled to
//! wasm32). It holds the extension ↔ host protocol (docs/PROTOCOL.md), the
//! product identity (extension id, host name), the popup's state machine and
//! the OTP account model and parsers ([`otp`]).
//! The [`bindings`] module, present only on wasm32, is glue and nothing else.

pub mod binding;
pub mod browser;
pub mod capture;
pub mod fill;
pub mod identity;
pub mod keyboard;
pub mod otp;
pub mod pin_policy;
pub mod popup;
pub mod protocol;
pub mod secret;

#[cfg(target_arch = "wasm32")]
pub mod bindings;
