//! Device-management handlers (the ActivClient Devices view): find the token,
//! run one operation in one transaction, map session errors to protocol errors.
//! The host verifies a PIN at most once per request and never retries it.

use tessera_core::pin_policy::{CardLimits, PinPolicy};
use tessera_core::protocol::{ErrorBody, ErrorCode, TokenInfo};
use tessera_core::secret::Secret;

use crate::admin_policy::AdminPolicy;
use crate::apdu::ApduError;
use crate::backend::{Backend, Listing};
use crate::connection::{SmartCardConnection, TransportError};
use crate::devices::DeviceCache;
use crate::held::{HeldConnections, HeldError};
use crate::policy_store::PolicyStore;
use crate::sessions::aca::AcaSession;
use crate::sessions::{Pin, SessionError};

/// What handlers need.
pub struct Ctx<'a> {
    /// Token source.
    pub backend: &'a dyn Backend,
    /// Probe cache.
    pub cache: &'a DeviceCache,
    /// Stored PIN policies.
    pub policies: &'a PolicyStore,
    /// One connection held per token.
    pub held: &'a HeldConnections,
    /// Which tokens the organisation manages.
    pub admin: &'a AdminPolicy,
}

/// A token found by id or reader name.
pub struct Found {
    /// Its reader.
    pub reader: String,
    /// What the probe learned.
    pub info: TokenInfo,
}

/// Maps a session error to the protocol's error.
pub fn error(e: SessionError) -> ErrorBody {
    match e {
        SessionError::WrongPin { tries } => ErrorBody::new(
            ErrorCode::WrongPin,
            format!("wrong PIN: {tries} tries left"),
        )
        .with("tries_left", tries),
        SessionError::Blocked => ErrorBody::new(ErrorCode::PinBlocked, "the PIN is blocked"),
        SessionError::WrongAdminKey => ErrorBody::new(
            ErrorCode::WrongAdminKey,
            "the admin key or response is wrong",
        ),
        // YKOATH VALIDATE refused (6984): the OATH password is wrong. The
        // applet keeps no retry counter (protocols.md §1.9), so no `tries_left`.
        SessionError::WrongAccessCode => ErrorBody::new(
            ErrorCode::WrongPin,
            "wrong OATH password: check it and type it again",
        ),
        SessionError::SecurityNotSatisfied => {
            ErrorBody::new(ErrorCode::PinRequired, "enter the PIN first")
        }
        SessionError::BadPinFormat => ErrorBody::new(
            ErrorCode::PinPolicy,
            "the token refused the new PIN's format",
        ),
        SessionError::TouchTimeout => ErrorBody::new(
            ErrorCode::TouchTimeout,
            "the key was not touched in time; try again and touch it when it blinks",
        ),
        SessionError::TouchRequired => {
            ErrorBody::new(ErrorCode::TouchTimeout, "the key is waiting for a touch")
        }
        SessionError::NotFound => ErrorBody::new(
            ErrorCode::BadInput,
            "the token has no such entry (or no key in it)",
        )
        .with("field", "entry"),
        SessionError::InvalidArgument(m) => ErrorBody::new(ErrorCode::BadInput, m),
        SessionError::AppletNotFound | SessionError::NotSupported => {
            ErrorBody::new(ErrorCode::NotSupported, "this token does not support that")
        }
        SessionError::Apdu(ApduError::Transport(
            TransportError::NoCard(_) | TransportError::Removed,
        )) => ErrorBody::new(
            ErrorCode::DeviceNotFound,
            "the token was removed; insert it and try again",
        ),
        SessionError::Apdu(ApduError::Transport(TransportError::NoService(m))) => {
            ErrorBody::new(ErrorCode::PcscUnavailable, m)
        }
        other => ErrorBody::new(ErrorCode::TransportError, other.to_string()),
    }
}

fn not_supported(feature: &str) -> ErrorBody {
    ErrorBody::new(
        ErrorCode::NotSupported,
        format!("this token does not support {feature}"),
    )
    .with("feature", feature)
}

impl Ctx<'_> {
    /// The token named by `device` (id or reader name).
    pub fn find(&self, device: &str) -> Result<Found, ErrorBody> {
        let readers = match self.backend.list() {
            Listing::Readers(r) => r,
            Listing::NoService(m) => return Err(ErrorBody::new(ErrorCode::PcscUnavailable, m)),
            Listing::Error(m) => return Err(ErrorBody::new(ErrorCode::TransportError, m)),
        };
        self.cache.retain_present(&readers);
        self.held.retain_present(&readers);
        for r in &readers {
            if r.atr.is_none() {
                continue;
            }
            if let Some(mut info) = self.cache.token(self.backend, r) {
                if info.id == device || r.name == device {
                    self.admin.apply(&mut info);
                    return Ok(Found {
                        reader: r.name.clone(),
                        info,
                    });
                }
            }
        }
        Err(ErrorBody::new(
            ErrorCode::DeviceNotFound,
            format!("no token {device:?} is connected; insert it and try again"),
        )
        .with("device", device))
    }

    /// Runs `op` on the token in one transaction, over its held connection.
    /// If the card was removed or reset since the last operation, the token
    /// now in the reader is identified again first (probe, stable id) and `op`
    /// runs only if it is the same token.
    pub fn run<R>(
        &self,
        found: &Found,
        op: impl FnOnce(&mut dyn SmartCardConnection) -> Result<R, SessionError>,
    ) -> Result<R, ErrorBody> {
        let same_card = || {
            self.cache.forget_reader(&found.reader);
            self.find(&found.info.id)
                .is_ok_and(|now| now.reader == found.reader)
        };
        let result = match self.held.run(self.backend, &found.reader, same_card, op) {
            Ok(r) => r.map_err(error),
            Err(HeldError::Transport(e)) => Err(error(SessionError::Apdu(e.into()))),
            Err(HeldError::Replaced) => Err(ErrorBody::new(
                ErrorCode::DeviceNotFound,
                "another token is in the reader now; choose it again",
            )
            .with("device", found.info.id.as_str())),
        };
        if let Err(e) = &result {
            if matches!(
                e.code,
                ErrorCode::DeviceNotFound | ErrorCode::TransportError
            ) {
                // Pulled or reset mid-operation: never act on what we knew.
                self.cache.forget_reader(&found.reader);
                self.held.release(&found.reader);
            }
        }
        result
    }

    /// The card's PIN limits: ACA GET PIN PROPERTIES on Crescendo, the PIV
    /// defaults (6–8 characters, SP 800-73-4 Pt2 §2.4.3) otherwise.
    pub fn limits(&self, found: &Found) -> Result<CardLimits, ErrorBody> {
        if !found.info.applets.aca {
            return Ok(CardLimits {
                min_len: 6,
                max_len: 8,
                numeric_only: false,
            });
        }
        if let Some(limits) = self.cache.limits(&found.reader) {
            return Ok(limits);
        }
        let p = self.run(found, |c| AcaSession::open(c)?.pin_properties())?;
        let limits = CardLimits {
            min_len: p.min_len,
            max_len: p.max_len,
            numeric_only: p.numeric_only,
        };
        self.cache.set_limits(&found.reader, limits);
        Ok(limits)
    }

    /// The policy in force for `found` (stored, narrowed by the card).
    pub fn policy(&self, found: &Found) -> Result<(CardLimits, PinPolicy), ErrorBody> {
        let limits = self.limits(found)?;
        let policy = self
            .policies
            .get(&found.info.id)
            .unwrap_or_else(|| PinPolicy::from_limits(limits))
            .effective(limits);
        Ok((limits, policy))
    }

    /// Refuses a new PIN that breaks the policy, before anything is sent.
    pub fn check_new_pin(
        &self,
        found: &Found,
        new: &Secret,
        current: Option<&Secret>,
    ) -> Result<(), ErrorBody> {
        let (_, policy) = self.policy(found)?;
        let violations = policy.check(new.expose(), current.map(Secret::expose));
        if violations.is_empty() {
            Ok(())
        } else {
            Err(ErrorBody::new(
                ErrorCode::PinPolicy,
                "the new PIN does not meet the PIN policy",
            )
            .with(
                "violations",
                serde_json::to_value(&violations).unwrap_or_default(),
            ))
        }
    }

    /// Requires a feature of the token.
    pub fn require(
        &self,
        found: &Found,
        feature: tessera_core::protocol::Feature,
    ) -> Result<(), ErrorBody> {
        if found.info.managed && feature.admin_only() {
            return Err(ErrorBody::new(
                ErrorCode::Managed,
                "your organisation manages this token; ask your helpdesk",
            ));
        }
        if found.info.features.contains(&feature) {
            Ok(())
        } else {
            let name = serde_json::to_value(feature)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            Err(not_supported(&name))
        }
    }
}

/// A protocol secret as a session PIN.
pub fn pin(s: &Secret) -> Pin {
    Pin::new(s.expose())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_oath_password_is_wrong_pin_without_tries() {
        let e = error(SessionError::WrongAccessCode);
        assert_eq!(e.code, ErrorCode::WrongPin);
        assert!(e.details.get("tries_left").is_none());
    }
}
