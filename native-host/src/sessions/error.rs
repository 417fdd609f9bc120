//! Session errors: what a session tells its caller, typed (never a raw SW
//! unless nothing better fits).

use thiserror::Error;

use crate::apdu::{ApduError, Sw};

/// Why a session operation failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SessionError {
    /// Wrong PIN (or PUK / cryptogram with a counter); `tries` left.
    #[error("wrong PIN: {tries} tries left")]
    WrongPin {
        /// Tries left before the PIN blocks.
        tries: u8,
    },
    /// The PIN (or the unlock counter) is blocked.
    #[error("the PIN is blocked")]
    Blocked,
    /// A wrong admin-key cryptogram (no counter reported).
    #[error("the admin key is wrong")]
    WrongAdminKey,
    /// The operation needs the PIN or the admin key first.
    #[error("authenticate first (PIN or admin key)")]
    SecurityNotSatisfied,
    /// The new PIN does not meet the card's format rules.
    #[error("the card refused the new PIN's format")]
    BadPinFormat,
    /// The applet is not on this token.
    #[error("this applet is not on the token")]
    AppletNotFound,
    /// The token does not support this.
    #[error("not supported by this token")]
    NotSupported,
    /// The card's answer could not be parsed.
    #[error("unexpected answer from the card: {0}")]
    Malformed(String),
    /// A status word the session has no meaning for.
    #[error("the card answered {sw:?} to instruction {ins:02X}")]
    Unexpected {
        /// Instruction.
        ins: u8,
        /// Status word.
        sw: Sw,
    },
    /// Transport or framing failure.
    #[error(transparent)]
    Apdu(#[from] ApduError),
}
