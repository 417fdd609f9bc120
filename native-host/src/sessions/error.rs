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
    /// The token waits for a button press or touch (Crescendo OATH `6985`,
    /// crescendo-apdu.md §5.3; YKOATH touch credentials). Re-send the same
    /// command, e.g. with [`touch::poll`](crate::sessions::touch::poll).
    #[error("touch the key's button")]
    TouchRequired,
    /// No touch came before the polling timeout.
    #[error("the key was not touched in time")]
    TouchTimeout,
    /// The caller cancelled the operation (e.g. while waiting for a touch).
    #[error("cancelled")]
    Cancelled,
    /// The object or credential is not on the token.
    #[error("not found on the token")]
    NotFound,
    /// Wrong YKOATH access code (password).
    #[error("wrong OATH password")]
    WrongAccessCode,
    /// The token failed the mutual authentication (its answer did not match).
    #[error("the token's authentication response is wrong")]
    CardAuthenticationFailed,
    /// The system's random generator failed (host challenges).
    #[error("the system's random generator failed: {0}")]
    Random(String),
    /// The caller's request is invalid; nothing was sent.
    #[error("invalid request: {0}")]
    InvalidArgument(String),
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
