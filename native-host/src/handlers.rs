//! One handler per method; each takes typed params and returns a typed result
//! or an [`ErrorBody`](tessera_core::protocol::ErrorBody).

pub mod admin;
pub mod button;
pub mod devices;
pub mod fido;
pub mod hello;
pub mod otp;
pub mod pin;
pub mod site;
pub mod token;
