//! OTP methods (`otp.*`, docs/PROTOCOL.md "OTP"): the token's OATH slots or
//! accounts, codes computed on the token, enrollment and removal. Secrets and
//! codes travel as [`Secret`]s: never logged, never stored by the extension.

use serde::{Deserialize, Serialize};

pub use crate::otp::{Algorithm as OtpAlgorithm, OtpKind};
use crate::secret::Secret;

/// Method names.
pub mod otp_methods {
    /// `otp.list`: the slots (Crescendo) or accounts (YKOATH) of a token.
    pub const LIST: &str = "otp.list";
    /// `otp.code`: compute one code on the token.
    pub const CODE: &str = "otp.code";
    /// `otp.add`: write an account, then verify it by computing a code.
    pub const ADD: &str = "otp.add";
    /// `otp.delete`: remove an account (typed confirmation).
    pub const DELETE: &str = "otp.delete";
    /// `otp.codes`: every code the token computes without a touch, at once.
    pub const CODES: &str = "otp.codes";
    /// Every `otp.*` method.
    pub const ALL: &[&str] = &[LIST, CODES, CODE, ADD, DELETE];
    /// Event while the token waits for a touch: `{entry, remaining_ms}`.
    pub const TOUCH_EVENT: &str = "otp.touch";
}

/// Who may compute a code (Crescendo Manager's Access Control Configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OtpAccess {
    /// No authentication (HOTP still needs the button on a Crescendo Key).
    Always,
    /// Generation refused.
    Never,
    /// The PIN first.
    Pin,
    /// The PIN and a touch.
    PinTouch,
}

/// Which applet holds the accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OtpFamily {
    /// HID Crescendo OATH slots (3; slot 1 is the button's HOTP).
    Crescendo,
    /// YKOATH accounts (many, named).
    Ykoath,
}

/// What a token can hold, for the enrollment form (unsupported choices are
/// greyed with the reason).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtpSupport {
    /// Kinds.
    pub kinds: Vec<OtpKind>,
    /// Hashes.
    pub algorithms: Vec<OtpAlgorithm>,
    /// Code lengths.
    pub digits: Vec<u8>,
    /// Access controls (empty: only a touch flag, as YKOATH).
    pub access: Vec<OtpAccess>,
    /// A per-account touch flag.
    pub touch: bool,
    /// Issuer and name are stored on the token (YKOATH); Crescendo slots keep
    /// only a friendly name the card does not give back.
    pub names_on_token: bool,
}

/// One slot or account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtpEntry {
    /// Stable within the token: `slot-1`…`slot-3`, or the YKOATH credential id.
    pub id: String,
    /// Crescendo slot number (1–3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot: Option<u8>,
    /// The token reports this slot as configured. `false` on a Crescendo slot
    /// means it shows the factory settings: empty, or a key written by another
    /// tool with exactly those settings (the card cannot tell).
    pub configured: bool,
    /// Kind, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<OtpKind>,
    /// Hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<OtpAlgorithm>,
    /// Code length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digits: Option<u8>,
    /// TOTP period in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<u32>,
    /// Issuer, when the token stores it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Account name, when the token stores it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Access control over this interface, when the token has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<OtpAccess>,
    /// A touch is needed for every code.
    pub touch: bool,
}

/// `otp.list` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtpList {
    /// The applet.
    pub family: OtpFamily,
    /// How many accounts fit (Crescendo: 3 slots; YKOATH: the token's limit).
    pub capacity: u32,
    /// What an account may be.
    pub support: OtpSupport,
    /// Slots or accounts.
    pub entries: Vec<OtpEntry>,
}

/// `otp.list` params.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtpListParams {
    /// Device id or reader name.
    pub device: String,
    /// The YKOATH password, when the applet is protected.
    #[serde(default)]
    pub pin: Option<Secret>,
}

/// `otp.codes` params.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtpCodesParams {
    /// Device id or reader name.
    pub device: String,
    /// The PIN (Crescendo ACA, for slots whose access is `pin`) or the OATH
    /// password (YKOATH).
    #[serde(default)]
    pub pin: Option<Secret>,
    /// Unix time to use instead of the host's clock (tests).
    #[serde(default)]
    pub time: Option<u64>,
}

/// One entry of `otp.codes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtpCodeEntry {
    /// [`OtpEntry::id`].
    pub entry: String,
    /// Kind, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<OtpKind>,
    /// The code, for TOTP entries that need no touch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Secret>,
    /// TOTP: Unix time the code stops being valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<u64>,
    /// Not computed because it needs a touch (ask with `otp.code`).
    pub touch: bool,
}

/// `otp.codes` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtpCodes {
    /// Per entry; HOTP and OCRA entries are listed without a code (computing
    /// would move their counter or needs a challenge).
    pub codes: Vec<OtpCodeEntry>,
}

/// `otp.code` params.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtpCodeParams {
    /// Device id or reader name.
    pub device: String,
    /// [`OtpEntry::id`].
    pub entry: String,
    /// The PIN (Crescendo ACA) or OATH password (YKOATH), when needed.
    #[serde(default)]
    pub pin: Option<Secret>,
    /// OCRA challenge: decimal digits (QN), hex (QH) or text (QA) per the suite.
    #[serde(default)]
    pub challenge: Option<String>,
    /// How `challenge` is written (RFC 6287 §6.3 `QN`/`QA`/`QH`); numeric by
    /// default.
    #[serde(default)]
    pub challenge_format: Option<OcraChallengeFormat>,
    /// Unix time to use instead of the host's clock (tests, OCRA `T`).
    #[serde(default)]
    pub time: Option<u64>,
}

/// An OCRA challenge's format (RFC 6287 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OcraChallengeFormat {
    /// `QN`: decimal digits.
    Numeric,
    /// `QA`: ASCII text.
    Alphanumeric,
    /// `QH`: hexadecimal.
    Hex,
}

/// `otp.code` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtpCode {
    /// The code.
    pub code: Secret,
    /// TOTP: Unix time the code stops being valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<u64>,
    /// TOTP period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<u32>,
}

/// An account to write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOtpAccount {
    /// Kind.
    pub kind: OtpKind,
    /// Hash.
    pub algorithm: OtpAlgorithm,
    /// Code length.
    pub digits: u8,
    /// TOTP period in seconds (default 30).
    #[serde(default)]
    pub period: Option<u32>,
    /// HOTP initial counter.
    #[serde(default)]
    pub counter: Option<u64>,
    /// OCRA suite (RFC 6287 §6).
    #[serde(default)]
    pub ocra_suite: Option<String>,
    /// Issuer.
    #[serde(default)]
    pub issuer: Option<String>,
    /// Account name (friendly name on a Crescendo slot).
    pub name: String,
    /// The shared secret, hex.
    pub secret: Secret,
    /// Access control (Crescendo).
    #[serde(default)]
    pub access: Option<OtpAccess>,
    /// Touch for every code (YKOATH).
    #[serde(default)]
    pub touch: bool,
}

/// `otp.add` params.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtpAddParams {
    /// Device id or reader name.
    pub device: String,
    /// Crescendo slot (1–3); without it the first free slot that suits.
    #[serde(default)]
    pub slot: Option<u8>,
    /// The account.
    pub account: NewOtpAccount,
    /// To write over a configured slot or an existing account: its entry id,
    /// as the confirmation the user gave.
    #[serde(default)]
    pub replace: Option<String>,
    /// PIN (Crescendo) or OATH password (YKOATH).
    #[serde(default)]
    pub pin: Option<Secret>,
    /// Unix time for the verification code (tests).
    #[serde(default)]
    pub time: Option<u64>,
}

/// `otp.add` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtpAdded {
    /// The entry as the token now reports it.
    pub entry: OtpEntry,
    /// How the write was checked: `computed` (a code from the token equals the
    /// host's RFC computation), or `not_checked` with the reason.
    pub verified: Verification,
}

/// How an enrollment was checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Verification {
    /// A code computed on the token matched the host's RFC computation.
    Computed,
    /// Not checked (detail says why, e.g. access `never`).
    NotChecked {
        /// Why.
        reason: String,
    },
}

/// `otp.delete` params.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtpDeleteParams {
    /// Device id or reader name.
    pub device: String,
    /// [`OtpEntry::id`].
    pub entry: String,
    /// Typed confirmation: must equal `entry`.
    pub confirm: String,
    /// PIN (Crescendo) or OATH password (YKOATH).
    #[serde(default)]
    pub pin: Option<Secret>,
}

impl NewOtpAccount {
    /// A decoded secret as the protocol carries it (hex, in a [`Secret`]).
    pub fn hex_secret(secret: &crate::otp::OtpSecret) -> Secret {
        // By hand: data-encoding's generic engine is ~20 KB of the popup's wasm.
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let mut s = String::with_capacity(secret.len() * 2);
        for b in secret.expose() {
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 15)]));
        }
        Secret::new(s)
    }

    /// The protocol form of a parsed account (otpauth URI, Google export, or
    /// the manual form): the secret as hex, still a [`Secret`].
    pub fn from_account(
        a: &crate::otp::Account,
        access: Option<OtpAccess>,
        touch: bool,
    ) -> NewOtpAccount {
        NewOtpAccount {
            kind: a.kind,
            algorithm: a.algorithm,
            digits: a.digits,
            period: (a.kind == OtpKind::Totp).then_some(a.period),
            counter: (a.kind != OtpKind::Totp).then_some(a.counter),
            ocra_suite: a.ocra_suite.as_ref().map(ToString::to_string),
            issuer: a.issuer.clone(),
            name: a.name.clone(),
            secret: NewOtpAccount::hex_secret(&a.secret),
            access,
            touch,
        }
    }
}
