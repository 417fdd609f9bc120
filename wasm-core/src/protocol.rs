//! Extension ↔ host protocol, version 1 (docs/PROTOCOL.md).
//!
//! Native messaging (Chrome "Native messaging" / MDN "Native manifests") carries one
//! UTF-8 JSON value per frame. Tessera's frames are requests from the extension,
//! responses from the host (echoing the request id), and host events.

mod button;
mod device;
mod error_code;
mod limits;
mod message;
mod methods;
mod otp;

pub use button::{
    button_methods, ButtonAction, ButtonActionInfo, ButtonActionKind, ButtonConfigInfo,
    ButtonGetParams, ButtonPress, ButtonSetParams, StaticKeys,
};
pub use device::{
    DeviceParams, DevicePinParams, Feature, PairingCode, PersonalizeParams, PinChangeParams,
    PinPolicySetParams, PinStatus, PinUnblockParams, PolicyInfo, PukResult, RecycleParams,
    UnblockChallenge, UnblockMethod,
};
pub use error_code::ErrorCode;
pub use limits::{MAX_DRAINABLE_FRAME, MAX_INBOUND_FRAME, MAX_OUTBOUND_FRAME};
pub use message::{ErrorBody, Event, HostMessage, Request, RequestId, Response};
pub use methods::{
    fido_methods, Applets, Call, CardInfo, DevicesList, HelloParams, HelloResult, PcscState,
    PcscStatus, Reader, TokenInfo, TokenModel,
};
pub use otp::{
    otp_methods, NewOtpAccount, OcraChallengeFormat, OtpAccess, OtpAddParams, OtpAdded,
    OtpAlgorithm, OtpCode, OtpCodeEntry, OtpCodeParams, OtpCodes, OtpCodesParams, OtpDeleteParams,
    OtpEntry, OtpFamily, OtpKind, OtpList, OtpListParams, OtpSupport, Verification,
};

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// The oldest protocol version this build still accepts from the other side.
pub const MIN_PROTOCOL_VERSION: u32 = 1;
