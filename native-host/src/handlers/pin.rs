//! `pin.status`, `pin.verify`, `pin.change`, `pin.unblock.challenge`,
//! `pin.unblock` (crescendo-apdu.md §3.2–3.7; SP 800-73-4 Pt2 §3.2).
//! On a Crescendo Key the ACA owns the PIN; elsewhere PIV does.

use tessera_core::protocol::{
    DeviceParams, DevicePinParams, ErrorBody, ErrorCode, Feature, PinChangeParams, PinStatus,
    PinUnblockParams, UnblockChallenge, UnblockMethod,
};
use tessera_core::secret::Secret;

use crate::handlers::token::{pin, Ctx, Found};
use crate::sessions::aca::{AcaSession, AdminKey};
use crate::sessions::piv::{PinStatus as PivPinStatus, PivSession};
use crate::sessions::SessionError;

/// The lock state: one empty VERIFY on PIV (never a PIN). Tokens without PIV
/// report `locked` without a count (the ACA has no documented probe).
pub fn status(ctx: &Ctx, found: &Found) -> Result<PinStatus, ErrorBody> {
    if !found.info.applets.piv {
        return Ok(PinStatus::Locked { tries_left: None });
    }
    let s = ctx.run(found, |c| PivSession::open(c)?.pin_status())?;
    Ok(match s {
        PivPinStatus::Verified => PinStatus::Verified,
        PivPinStatus::TriesLeft(n) => PinStatus::Locked {
            tries_left: Some(n),
        },
        PivPinStatus::Blocked => PinStatus::Blocked,
    })
}

/// `pin.status`.
pub fn pin_status(ctx: &Ctx, p: &DeviceParams) -> Result<PinStatus, ErrorBody> {
    let found = ctx.find(&p.device)?;
    status(ctx, &found)
}

/// Verifies the PIN once, on the applet that owns it.
pub fn verify_on(ctx: &Ctx, found: &Found, secret: &Secret) -> Result<(), ErrorBody> {
    let p = pin(secret);
    if found.info.applets.aca {
        ctx.run(found, |c| AcaSession::open(c)?.verify_pin(&p))
    } else {
        ctx.run(found, |c| PivSession::open(c)?.verify_pin(&p))
    }
}

/// `pin.verify`.
pub fn verify(ctx: &Ctx, p: &DevicePinParams) -> Result<PinStatus, ErrorBody> {
    let found = ctx.find(&p.device)?;
    ctx.require(&found, Feature::Authenticate)?;
    let secret = p
        .pin
        .as_ref()
        .ok_or_else(|| ErrorBody::new(ErrorCode::BadInput, "enter the PIN").with("field", "pin"))?;
    verify_on(ctx, &found, secret)?;
    tracing::info!(device = %found.info.id, "PIN verified");
    status(ctx, &found)
}

/// `pin.lock`: VERIFY with P1 = FF clears the verified state (SP 800-73-4 Pt2
/// §3.2.1); on a Crescendo Key the PIN is card-wide, so the ACA locks too.
pub fn lock(ctx: &Ctx, p: &DeviceParams) -> Result<PinStatus, ErrorBody> {
    let found = ctx.find(&p.device)?;
    ctx.require(&found, Feature::Authenticate)?;
    if found.info.applets.piv {
        ctx.run(&found, |c| PivSession::open(c)?.reset_pin_status())?;
    }
    status(ctx, &found)
}

/// `pin.change`: the policy is enforced before anything is sent.
pub fn change(ctx: &Ctx, p: &PinChangeParams) -> Result<PinStatus, ErrorBody> {
    let found = ctx.find(&p.device)?;
    ctx.require(&found, Feature::ChangePin)?;
    ctx.check_new_pin(&found, &p.new, Some(&p.old))?;
    let (old, new) = (pin(&p.old), pin(&p.new));
    if found.info.applets.aca {
        ctx.run(&found, |c| AcaSession::open(c)?.change_pin(&old, &new))?;
    } else {
        ctx.run(&found, |c| PivSession::open(c)?.change_pin(&old, &new))?;
    }
    tracing::info!(device = %found.info.id, "PIN changed");
    let _ = ctx.policies.set_must_change(&found.info.id, false);
    status(ctx, &found)
}

/// `pin.unblock.challenge`: the ACA's challenge for the helpdesk, who answers
/// with ECB(admin key, challenge) (crescendo-apdu.md §3.5, §3.7).
pub fn challenge(ctx: &Ctx, p: &DeviceParams) -> Result<UnblockChallenge, ErrorBody> {
    let found = ctx.find(&p.device)?;
    ctx.require(&found, Feature::UnblockChallenge)?;
    let c = ctx.run(&found, |c| AcaSession::open(c)?.get_challenge())?;
    Ok(UnblockChallenge {
        challenge: hex::encode_upper(c),
    })
}

fn hex_secret(s: &Secret, field: &str) -> Result<Vec<u8>, ErrorBody> {
    let clean: String = s.expose().chars().filter(|c| !c.is_whitespace()).collect();
    hex::decode(&clean).map_err(|_| {
        ErrorBody::new(
            ErrorCode::BadInput,
            format!("the {field} must be hexadecimal"),
        )
        .with("field", field)
    })
}

/// `pin.unblock`: admin key (GET CHALLENGE + EXTERNAL AUTHENTICATE + UNLOCK PIN),
/// helpdesk response (EXTERNAL AUTHENTICATE + UNLOCK PIN), or PUK (RESET RETRY COUNTER).
pub fn unblock(ctx: &Ctx, p: &PinUnblockParams) -> Result<PinStatus, ErrorBody> {
    let found = ctx.find(&p.device)?;
    ctx.check_new_pin(&found, &p.new, None)?;
    let new = pin(&p.new);
    match &p.method {
        UnblockMethod::AdminKey { key } => {
            ctx.require(&found, Feature::UnblockAdminKey)?;
            let bytes = hex_secret(key, "admin key")?;
            let key = match bytes.len() {
                16 => AdminKey::aes128(bytes.try_into().unwrap_or([0; 16])),
                24 => AdminKey::tdes(bytes.try_into().unwrap_or([0; 24])),
                _ => {
                    return Err(ErrorBody::new(
                        ErrorCode::BadInput,
                        "the admin key is 32 hex digits (AES-128) or 48 (TDES)",
                    )
                    .with("field", "admin key"))
                }
            };
            ctx.run(&found, |c| {
                let mut aca = AcaSession::open(c)?;
                aca.authenticate_admin(&key)?;
                aca.unlock_pin(&new)
            })?;
        }
        UnblockMethod::Response { response } => {
            ctx.require(&found, Feature::UnblockChallenge)?;
            let cryptogram = hex_secret(response, "response")?;
            ctx.run(&found, |c| {
                let mut aca = AcaSession::open(c)?;
                aca.external_authenticate(&cryptogram)?;
                aca.unlock_pin(&new)
            })?;
        }
        UnblockMethod::Puk { puk } => {
            ctx.require(&found, Feature::UnblockPuk)?;
            let puk = pin(puk);
            ctx.run(&found, |c| PivSession::open(c)?.unblock_pin(&puk, &new))?;
        }
    }
    tracing::info!(device = %found.info.id, "PIN unblocked");
    status(ctx, &found)
}

/// Maps "no challenge pending" on a response unblock to a clear message.
pub fn is_missing_challenge(e: &SessionError) -> bool {
    matches!(e, SessionError::Unexpected { ins: 0x82, .. })
}
