//! Stable symbolic error codes. They are part of the protocol: never rename one.

use serde::{Deserialize, Serialize};

/// What went wrong, as a stable string the extension maps to a translated text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// A frame was longer than [`super::MAX_INBOUND_FRAME`].
    FrameTooLarge,
    /// A frame was not valid UTF-8.
    InvalidUtf8,
    /// A frame was not valid JSON.
    InvalidJson,
    /// Valid JSON, but not a request object (`id`, `method`, `params`).
    InvalidRequest,
    /// The method name is not one this host knows.
    UnknownMethod,
    /// The parameters do not have the types the method expects.
    InvalidParams,
    /// The caller's protocol version is not supported.
    ProtocolUnsupported,
    /// The host was started by an extension it does not serve.
    ForbiddenOrigin,
    /// The result would not fit in one frame (1 MiB).
    ResponseTooLarge,
    /// The smart-card service (pcscd / WinSCard) is not running or not reachable.
    PcscUnavailable,
    /// The reader or token named in the request is not connected.
    DeviceNotFound,
    /// Talking to the token failed (removed mid-operation, transport error).
    TransportError,
    /// Wrong PIN or PUK; detail `tries_left`. Never retried by the host.
    WrongPin,
    /// The PIN (or PUK / unlock counter) is blocked.
    PinBlocked,
    /// The new PIN breaks the policy; detail `violations`.
    PinPolicy,
    /// The operation needs the PIN first.
    PinRequired,
    /// The admin key or challenge response is wrong.
    WrongAdminKey,
    /// The typed confirmation does not match the device id.
    ConfirmationMismatch,
    /// The token does not support this; detail `feature`.
    NotSupported,
    /// Bad input in a parameter (e.g. a key that is not hex); detail `field`.
    BadInput,
    /// The token is managed by an administrator and this action is theirs.
    Managed,
    /// Writing would replace a configured slot or an existing account; detail
    /// `entry` (what would be lost). Send its id as `replace` to confirm.
    WouldOverwrite,
    /// The token has no room left (detail `capacity`).
    Full,
    /// The token did not get a touch in time.
    TouchTimeout,
    /// A code computed on the token right after writing differs from the
    /// host's own computation: the account was removed again.
    VerifyFailed,
    /// A bug in the host; the message says where.
    Internal,
    // Extension-side codes (the host never sends these).
    /// The browser could not find the native host (not installed).
    HostNotFound,
    /// The browser refused the host for this extension (manifest origins).
    HostForbidden,
    /// The host exited or the port broke; the extension is reconnecting.
    HostDisconnected,
    /// No answer from the host in time.
    Timeout,
    /// A code this build does not know (sent by a newer host); the message
    /// that came with it is shown.
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::FrameTooLarge => "frame_too_large",
            ErrorCode::InvalidUtf8 => "invalid_utf8",
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::UnknownMethod => "unknown_method",
            ErrorCode::InvalidParams => "invalid_params",
            ErrorCode::ProtocolUnsupported => "protocol_unsupported",
            ErrorCode::ForbiddenOrigin => "forbidden_origin",
            ErrorCode::ResponseTooLarge => "response_too_large",
            ErrorCode::PcscUnavailable => "pcsc_unavailable",
            ErrorCode::DeviceNotFound => "device_not_found",
            ErrorCode::TransportError => "transport_error",
            ErrorCode::WrongPin => "wrong_pin",
            ErrorCode::PinBlocked => "pin_blocked",
            ErrorCode::PinPolicy => "pin_policy",
            ErrorCode::PinRequired => "pin_required",
            ErrorCode::WrongAdminKey => "wrong_admin_key",
            ErrorCode::ConfirmationMismatch => "confirmation_mismatch",
            ErrorCode::NotSupported => "not_supported",
            ErrorCode::BadInput => "bad_input",
            ErrorCode::Managed => "managed",
            ErrorCode::WouldOverwrite => "would_overwrite",
            ErrorCode::Full => "full",
            ErrorCode::TouchTimeout => "touch_timeout",
            ErrorCode::VerifyFailed => "verify_failed",
            ErrorCode::Internal => "internal",
            ErrorCode::HostNotFound => "host_not_found",
            ErrorCode::HostForbidden => "host_forbidden",
            ErrorCode::HostDisconnected => "host_disconnected",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_match_as_str() {
        for code in [
            ErrorCode::FrameTooLarge,
            ErrorCode::InvalidUtf8,
            ErrorCode::InvalidJson,
            ErrorCode::InvalidRequest,
            ErrorCode::UnknownMethod,
            ErrorCode::InvalidParams,
            ErrorCode::ProtocolUnsupported,
            ErrorCode::ForbiddenOrigin,
            ErrorCode::ResponseTooLarge,
            ErrorCode::PcscUnavailable,
            ErrorCode::DeviceNotFound,
            ErrorCode::TransportError,
            ErrorCode::WrongPin,
            ErrorCode::PinBlocked,
            ErrorCode::PinPolicy,
            ErrorCode::PinRequired,
            ErrorCode::WrongAdminKey,
            ErrorCode::ConfirmationMismatch,
            ErrorCode::NotSupported,
            ErrorCode::BadInput,
            ErrorCode::Managed,
            ErrorCode::WouldOverwrite,
            ErrorCode::Full,
            ErrorCode::TouchTimeout,
            ErrorCode::VerifyFailed,
            ErrorCode::Internal,
            ErrorCode::HostNotFound,
            ErrorCode::HostForbidden,
            ErrorCode::HostDisconnected,
            ErrorCode::Timeout,
            ErrorCode::Unknown,
        ] {
            let json = serde_json::to_string(&code).expect("serialises");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            let back: ErrorCode = serde_json::from_str(&json).expect("parses");
            assert_eq!(back, code);
        }
    }

    #[test]
    fn a_code_from_a_newer_host_parses_as_unknown() {
        let code: ErrorCode = serde_json::from_str("\"quantum_flux\"").expect("parses");
        assert_eq!(code, ErrorCode::Unknown);
    }
}
