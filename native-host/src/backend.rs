//! Where tokens come from: PC/SC readers ([`PcscBackend`]) or the in-process
//! virtual token ([`crate::virtual_backend::VirtualBackend`]). Device code above
//! this trait does not know which.

use std::sync::atomic::AtomicBool;

use crate::connection::{SmartCardDevice, TransportError};

/// A reader and the card in it, as last seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderSnapshot {
    /// Reader name (stable while plugged in).
    pub name: String,
    /// The card's ATR, when a card is present.
    pub atr: Option<Vec<u8>>,
}

/// The result of listing readers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// The service answered.
    Readers(Vec<ReaderSnapshot>),
    /// The smart-card service is not running.
    NoService(String),
    /// The service answered with an error.
    Error(String),
}

/// A source of smart-card tokens.
pub trait Backend: Send + Sync {
    /// Readers and cards now.
    fn list(&self) -> Listing;
    /// Connects to the card in `reader` (shared mode).
    fn connect(&self, reader: &str) -> Result<Box<dyn SmartCardDevice>, TransportError>;
    /// Calls `on_change` after every reader or card change until `stop` is set.
    fn watch(&self, stop: &AtomicBool, on_change: &mut dyn FnMut());
}

/// The system's PC/SC service.
#[derive(Debug, Default)]
pub struct PcscBackend;

impl Backend for PcscBackend {
    fn list(&self) -> Listing {
        crate::pcsc_transport::listing()
    }

    fn connect(&self, reader: &str) -> Result<Box<dyn SmartCardDevice>, TransportError> {
        let ctx = crate::pcsc_transport::context()?;
        Ok(Box::new(crate::pcsc_transport::PcscDevice::connect(
            &ctx, reader,
        )?))
    }

    fn watch(&self, stop: &AtomicBool, on_change: &mut dyn FnMut()) {
        crate::pcsc_transport::watch(stop, on_change)
    }
}
