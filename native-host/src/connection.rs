//! The transport seam every smart-card session is written against
//! (the yubikit `SmartCardConnection` pattern): one APDU in, one response out.

use thiserror::Error;

/// A transport failure below the APDU layer.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The smart-card service is not running.
    #[error("the smart-card service is not available: {0}")]
    NoService(String),
    /// The reader is gone or has no card.
    #[error("no card in reader {0}")]
    NoCard(String),
    /// The card was removed or reset during the operation.
    #[error("the card was removed or reset")]
    Removed,
    /// Any other PC/SC error.
    #[error("PC/SC error: {0}")]
    Pcsc(String),
}

/// An open channel to one card, inside an exclusive transaction.
pub trait SmartCardConnection {
    /// Sends one command APDU and returns the response APDU (data + SW1 SW2).
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError>;
}

/// A card that can run operations, each inside one transaction.
pub trait SmartCardDevice {
    /// The card's ATR.
    fn atr(&self) -> &[u8];
    /// Runs `op` inside one transaction: no other application's APDUs interleave.
    fn transaction<R>(
        &mut self,
        op: impl FnOnce(&mut dyn SmartCardConnection) -> R,
    ) -> Result<R, TransportError>;
}
