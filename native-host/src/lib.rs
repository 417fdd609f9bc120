//! tessera-host: all of Tessera's I/O.
//!
//! Native messaging ([`framing`], [`server`]), the caller check ([`origin`]), the
//! method router and its handlers, and the token transports ([`connection`],
//! [`pcsc_transport`]). Protocol types come from tessera-core.

pub mod admin_policy;
pub mod apdu;
pub mod atr;
pub mod backend;
pub mod connection;
pub mod devices;
pub mod fido;
pub mod framing;
pub mod handlers;
pub mod held;
pub mod logging;
pub mod origin;
pub mod pcsc_transport;
pub mod policy_store;
pub mod router;
pub mod scripted;
pub mod server;
pub mod sessions;
pub mod tlv;
pub mod virtual_backend;
pub mod workers;
