//! Device-management methods (the ActivClient Devices view): parameters and
//! results (docs/PROTOCOL.md "Device management"). PINs, PUKs and admin keys
//! travel as [`Secret`]s: never logged, never stored by the extension.

use serde::{Deserialize, Serialize};

use crate::pin_policy::{CardLimits, PinPolicy};
use crate::secret::Secret;

/// Which token: its device id, or its reader name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceParams {
    /// Device id (`devices.list` → `token.id`) or reader name.
    pub device: String,
}

/// A device and, when the operation needs it and the token is locked, the PIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevicePinParams {
    /// Device id or reader name.
    pub device: String,
    /// The PIN (verified once, never retried by the host).
    #[serde(default)]
    pub pin: Option<Secret>,
}

/// `pin.change`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinChangeParams {
    /// Device id or reader name.
    pub device: String,
    /// Current PIN.
    pub old: Secret,
    /// New PIN (checked against the policy before anything is sent).
    pub new: Secret,
}

/// How to unblock a PIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum UnblockMethod {
    /// Crescendo: the admin (XAUTH) key, hex (32 digits AES-128, 48 TDES).
    AdminKey {
        /// Key in hex.
        key: Secret,
    },
    /// Helpdesk: the response to the challenge from `pin.unblock.challenge`, hex.
    Response {
        /// Response in hex.
        response: Secret,
    },
    /// PIV: RESET RETRY COUNTER with the PUK.
    Puk {
        /// The PUK.
        puk: Secret,
    },
}

/// `pin.unblock`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinUnblockParams {
    /// Device id or reader name.
    pub device: String,
    /// How.
    pub method: UnblockMethod,
    /// The new PIN.
    pub new: Secret,
}

/// `pin.policy.set`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinPolicySetParams {
    /// Device id or reader name.
    pub device: String,
    /// The policy to store (narrowed by the card's limits).
    pub policy: PinPolicy,
}

/// `device.recycle`: a typed confirmation must equal the device id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecycleParams {
    /// Device id or reader name.
    pub device: String,
    /// The user typed this; it must be the device id.
    pub confirm: String,
    /// The PIN, if the token is locked.
    #[serde(default)]
    pub pin: Option<Secret>,
}

/// `device.personalize`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonalizeParams {
    /// Device id or reader name.
    pub device: String,
    /// Recycle first (then `confirm` must equal the device id).
    #[serde(default)]
    pub recycle: bool,
    /// Typed confirmation when recycling.
    #[serde(default)]
    pub confirm: Option<String>,
    /// The current PIN (needed when not recycling).
    #[serde(default)]
    pub pin: Option<Secret>,
    /// Policy to store.
    pub policy: PinPolicy,
    /// The new PIN.
    pub new_pin: Secret,
}

/// PIN state of a token, as the lock icon shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PinStatus {
    /// Verified in this card session (lock open).
    Verified,
    /// Not verified; `tries_left` when the card tells.
    Locked {
        /// Tries left.
        tries_left: Option<u8>,
    },
    /// Blocked: unblock needed.
    Blocked,
}

/// `pin.policy.get` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyInfo {
    /// What the card itself allows.
    pub limits: CardLimits,
    /// The stored policy, already narrowed by the limits.
    pub policy: PinPolicy,
}

/// `pin.unblock.challenge` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnblockChallenge {
    /// Challenge in hex (8 bytes for a TDES admin key, 16 for AES).
    pub challenge: String,
}

/// `puk.show` / `device.personalize` result carrying a PUK.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PukResult {
    /// The PUK.
    pub puk: Secret,
    /// Personalize with a shared FIDO PIN: why the FIDO PIN could not follow
    /// (the rest of the personalisation stands and the PUK is still shown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fido_pin_error: Option<String>,
}

/// `pairing_code.get` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairingCode {
    /// The 8-digit VCI pairing code.
    pub code: Secret,
}

/// What a token supports, from its applets (shown as available or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// Verify the PIN.
    Authenticate,
    /// Change the PIN.
    ChangePin,
    /// Unblock with the admin key (Crescendo ACA).
    UnblockAdminKey,
    /// Unblock by helpdesk challenge-response (Crescendo ACA).
    UnblockChallenge,
    /// Unblock with the PUK (PIV).
    UnblockPuk,
    /// Show the stored PUK.
    ViewPuk,
    /// Read the VCI pairing code.
    PairingCode,
    /// Read and store PIN policies.
    PinPolicy,
    /// Factory reset.
    Recycle,
    /// Recycle + policy + PIN + PUK.
    Personalize,
    /// A feature this build does not know (a newer host).
    #[serde(other)]
    Unknown,
}

impl Feature {
    /// Reserved to the organisation on a managed token: its PUK, admin key,
    /// policies and life cycle belong to the card management system, so the
    /// user unblocks through the helpdesk challenge instead.
    pub fn admin_only(self) -> bool {
        matches!(
            self,
            Feature::UnblockAdminKey
                | Feature::UnblockPuk
                | Feature::ViewPuk
                | Feature::PinPolicy
                | Feature::Recycle
                | Feature::Personalize
        )
    }
}
