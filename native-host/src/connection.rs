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

/// A card that can run operations, each inside one transaction (object safe;
/// use [`transaction`] for a typed result).
pub trait SmartCardDevice: Send {
    /// The card's ATR.
    fn atr(&self) -> &[u8];
    /// Runs `op` inside one transaction: no other application's APDUs interleave.
    fn run(
        &mut self,
        op: &mut dyn FnMut(&mut dyn SmartCardConnection),
    ) -> Result<(), TransportError>;
    /// Powers the card down and up again in place (PC/SC reconnect with
    /// `SCARD_UNPOWER_CARD`); `Ok(false)` when this device cannot.
    fn power_cycle(&mut self) -> Result<bool, TransportError> {
        Ok(false)
    }
}

/// Runs `op` in one transaction on `device` and returns its result.
pub fn transaction<R>(
    device: &mut dyn SmartCardDevice,
    op: impl FnOnce(&mut dyn SmartCardConnection) -> R,
) -> Result<R, TransportError> {
    let mut op = Some(op);
    let mut out = None;
    device.run(&mut |conn| {
        if let Some(f) = op.take() {
            out = Some(f(conn));
        }
    })?;
    out.ok_or_else(|| TransportError::Pcsc("the transaction did not run".into()))
}
