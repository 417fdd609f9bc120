//! Typed CTAP failures: every CTAP 2.1 status code (§8.2 "Status codes"), the
//! CTAPHID ERROR codes (§11.2.9.1.6), transport and CBOR errors.

use thiserror::Error;

use crate::connection::TransportError;

macro_rules! status_codes {
    ($($(#[$doc:meta])* $name:ident = $code:literal,)*) => {
        /// A CTAP status byte (CTAP 2.1 §8.2; protocols.md §4.8).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum StatusCode {
            $($(#[$doc])* $name,)*
            /// `E0`–`EF`: extension-specific.
            Extension(u8),
            /// `F0`–`FF`: vendor-specific.
            Vendor(u8),
            /// Any code the specification does not assign.
            Unknown(u8),
        }

        impl StatusCode {
            /// Types a status byte (`00` is success and has no variant: `None`).
            pub fn from_byte(b: u8) -> Option<StatusCode> {
                match b {
                    0x00 => None,
                    $($code => Some(StatusCode::$name),)*
                    0xE0..=0xEF => Some(StatusCode::Extension(b)),
                    0xF0..=0xFF => Some(StatusCode::Vendor(b)),
                    _ => Some(StatusCode::Unknown(b)),
                }
            }

            /// The status byte.
            pub fn byte(self) -> u8 {
                match self {
                    $(StatusCode::$name => $code,)*
                    StatusCode::Extension(b) | StatusCode::Vendor(b) | StatusCode::Unknown(b) => b,
                }
            }

            /// The specification's name (`CTAP2_ERR_…` without the prefix).
            pub fn name(self) -> &'static str {
                match self {
                    $(StatusCode::$name => stringify!($name),)*
                    StatusCode::Extension(_) => "EXTENSION",
                    StatusCode::Vendor(_) => "VENDOR",
                    StatusCode::Unknown(_) => "UNKNOWN",
                }
            }
        }
    };
}

status_codes! {
    /// `01` CTAP1_ERR_INVALID_COMMAND.
    InvalidCommand = 0x01,
    /// `02` CTAP1_ERR_INVALID_PARAMETER.
    InvalidParameter = 0x02,
    /// `03` CTAP1_ERR_INVALID_LENGTH.
    InvalidLength = 0x03,
    /// `04` CTAP1_ERR_INVALID_SEQ.
    InvalidSeq = 0x04,
    /// `05` CTAP1_ERR_TIMEOUT.
    Timeout = 0x05,
    /// `06` CTAP1_ERR_CHANNEL_BUSY.
    ChannelBusy = 0x06,
    /// `0A` CTAP1_ERR_LOCK_REQUIRED.
    LockRequired = 0x0A,
    /// `0B` CTAP1_ERR_INVALID_CHANNEL.
    InvalidChannel = 0x0B,
    /// `11` CTAP2_ERR_CBOR_UNEXPECTED_TYPE.
    CborUnexpectedType = 0x11,
    /// `12` CTAP2_ERR_INVALID_CBOR.
    InvalidCbor = 0x12,
    /// `14` CTAP2_ERR_MISSING_PARAMETER.
    MissingParameter = 0x14,
    /// `15` CTAP2_ERR_LIMIT_EXCEEDED.
    LimitExceeded = 0x15,
    /// `16` CTAP2_ERR_UNSUPPORTED_EXTENSION (CTAP 2.0).
    UnsupportedExtension = 0x16,
    /// `17` CTAP2_ERR_FP_DATABASE_FULL.
    FpDatabaseFull = 0x17,
    /// `18` CTAP2_ERR_LARGE_BLOB_STORAGE_FULL.
    LargeBlobStorageFull = 0x18,
    /// `19` CTAP2_ERR_CREDENTIAL_EXCLUDED.
    CredentialExcluded = 0x19,
    /// `21` CTAP2_ERR_PROCESSING.
    Processing = 0x21,
    /// `22` CTAP2_ERR_INVALID_CREDENTIAL.
    InvalidCredential = 0x22,
    /// `23` CTAP2_ERR_USER_ACTION_PENDING.
    UserActionPending = 0x23,
    /// `24` CTAP2_ERR_OPERATION_PENDING.
    OperationPending = 0x24,
    /// `25` CTAP2_ERR_NO_OPERATIONS.
    NoOperations = 0x25,
    /// `26` CTAP2_ERR_UNSUPPORTED_ALGORITHM.
    UnsupportedAlgorithm = 0x26,
    /// `27` CTAP2_ERR_OPERATION_DENIED.
    OperationDenied = 0x27,
    /// `28` CTAP2_ERR_KEY_STORE_FULL.
    KeyStoreFull = 0x28,
    /// `29` CTAP2_ERR_NOT_BUSY (CTAP 2.0).
    NotBusy = 0x29,
    /// `2A` CTAP2_ERR_NO_OPERATION_PENDING (CTAP 2.0).
    NoOperationPending = 0x2A,
    /// `2B` CTAP2_ERR_UNSUPPORTED_OPTION.
    UnsupportedOption = 0x2B,
    /// `2C` CTAP2_ERR_INVALID_OPTION.
    InvalidOption = 0x2C,
    /// `2D` CTAP2_ERR_KEEPALIVE_CANCEL.
    KeepaliveCancel = 0x2D,
    /// `2E` CTAP2_ERR_NO_CREDENTIALS.
    NoCredentials = 0x2E,
    /// `2F` CTAP2_ERR_USER_ACTION_TIMEOUT.
    UserActionTimeout = 0x2F,
    /// `30` CTAP2_ERR_NOT_ALLOWED.
    NotAllowed = 0x30,
    /// `31` CTAP2_ERR_PIN_INVALID.
    PinInvalid = 0x31,
    /// `32` CTAP2_ERR_PIN_BLOCKED.
    PinBlocked = 0x32,
    /// `33` CTAP2_ERR_PIN_AUTH_INVALID.
    PinAuthInvalid = 0x33,
    /// `34` CTAP2_ERR_PIN_AUTH_BLOCKED.
    PinAuthBlocked = 0x34,
    /// `35` CTAP2_ERR_PIN_NOT_SET.
    PinNotSet = 0x35,
    /// `36` CTAP2_ERR_PUAT_REQUIRED.
    PuatRequired = 0x36,
    /// `37` CTAP2_ERR_PIN_POLICY_VIOLATION.
    PinPolicyViolation = 0x37,
    /// `38` CTAP2_ERR_PIN_TOKEN_EXPIRED (reserved in 2.1).
    PinTokenExpired = 0x38,
    /// `39` CTAP2_ERR_REQUEST_TOO_LARGE.
    RequestTooLarge = 0x39,
    /// `3A` CTAP2_ERR_ACTION_TIMEOUT (YubiKeys: no touch for reset).
    ActionTimeout = 0x3A,
    /// `3B` CTAP2_ERR_UP_REQUIRED.
    UpRequired = 0x3B,
    /// `3C` CTAP2_ERR_UV_BLOCKED.
    UvBlocked = 0x3C,
    /// `3D` CTAP2_ERR_INTEGRITY_FAILURE.
    IntegrityFailure = 0x3D,
    /// `3E` CTAP2_ERR_INVALID_SUBCOMMAND.
    InvalidSubcommand = 0x3E,
    /// `3F` CTAP2_ERR_UV_INVALID.
    UvInvalid = 0x3F,
    /// `40` CTAP2_ERR_UNAUTHORIZED_PERMISSION.
    UnauthorizedPermission = 0x40,
    /// `7F` CTAP1_ERR_OTHER.
    Other = 0x7F,
    /// `DF` CTAP2_ERR_SPEC_LAST.
    SpecLast = 0xDF,
}

impl std::fmt::Display for StatusCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (0x{:02X})", self.name(), self.byte())
    }
}

/// Why a CTAP exchange failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CtapError {
    /// The authenticator answered with a status code other than success.
    #[error("the authenticator answered {0}")]
    Status(StatusCode),
    /// A CTAPHID ERROR frame (§11.2.9.1.6); the code uses [`StatusCode`]'s numbering.
    #[error("CTAPHID error {0}")]
    Hid(StatusCode),
    /// The smart-card or HID transport failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The HID device failed.
    #[error("HID error: {0}")]
    HidIo(String),
    /// No answer in time.
    #[error("the authenticator did not answer in time")]
    Timeout,
    /// The operation was cancelled by the caller.
    #[error("cancelled")]
    Cancelled,
    /// A CTAP-over-ISO 7816 exchange ended with an unexpected status word.
    #[error("unexpected status word {0:04X}")]
    StatusWord(u16),
    /// The device's bytes are not what the protocol allows.
    #[error("malformed response: {0}")]
    Malformed(String),
    /// The response's CBOR does not decode or lacks a required member.
    #[error("invalid CBOR: {0}")]
    Cbor(String),
    /// The authenticator lacks what the operation needs.
    #[error("not supported by this authenticator: {0}")]
    Unsupported(String),
    /// The caller's input is not acceptable (e.g. a PIN that is too long).
    #[error("invalid input: {0}")]
    InvalidInput(String),
}

impl CtapError {
    /// The authenticator's status code, if this is one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            CtapError::Status(s) => Some(*s),
            _ => None,
        }
    }

    /// A malformed-response error.
    pub fn malformed(what: impl Into<String>) -> CtapError {
        CtapError::Malformed(what.into())
    }
}

/// Result of a CTAP operation.
pub type CtapResult<T> = Result<T, CtapError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_round_trips() {
        assert_eq!(StatusCode::from_byte(0), None);
        for b in 1..=255u8 {
            let s = StatusCode::from_byte(b).expect("non-zero is an error");
            assert_eq!(s.byte(), b);
        }
        assert_eq!(
            StatusCode::from_byte(0x34),
            Some(StatusCode::PinAuthBlocked)
        );
        assert_eq!(StatusCode::from_byte(0x3A), Some(StatusCode::ActionTimeout));
        assert_eq!(
            StatusCode::from_byte(0xE5),
            Some(StatusCode::Extension(0xE5))
        );
        assert_eq!(StatusCode::from_byte(0x60), Some(StatusCode::Unknown(0x60)));
        assert_eq!(StatusCode::PinInvalid.to_string(), "PinInvalid (0x31)");
    }
}
