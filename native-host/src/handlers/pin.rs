//! `pin.status`, `pin.verify`, `pin.change`, `pin.unblock.challenge`,
//! `pin.unblock` (crescendo-apdu.md §3.2–3.7; SP 800-73-4 Pt2 §3.2).
//! On a Crescendo Key the ACA owns the PIN; elsewhere PIV does.

use tessera_core::pin_policy::ChallengeType;
use tessera_core::protocol::{
    DeviceParams, DevicePinParams, ErrorBody, ErrorCode, Feature, PinChangeParams, PinStatus,
    PinUnblockParams, UnblockChallenge, UnblockMethod,
};
use tessera_core::secret::Secret;

use crate::connection::SmartCardConnection;
use crate::handlers::token::{pin, Ctx, Found};
use crate::sessions::aca::{AcaSession, AdminKey};
use crate::sessions::piv::{PinStatus as PivPinStatus, PivSession};
use crate::sessions::{Pin, SessionError};

/// The lock state inside an open transaction: SELECT PIV + one empty VERIFY
/// (never a PIN). Tokens without PIV report `locked` without a count (the ACA
/// has no documented probe).
pub fn status_in(
    c: &mut dyn SmartCardConnection,
    found: &Found,
) -> Result<PinStatus, SessionError> {
    if !found.info.applets.piv {
        return Ok(PinStatus::Locked { tries_left: None });
    }
    Ok(from_piv(PivSession::open(c)?.pin_status()?))
}

fn from_piv(s: PivPinStatus) -> PinStatus {
    match s {
        PivPinStatus::Verified => PinStatus::Verified,
        PivPinStatus::TriesLeft(n) => PinStatus::Locked {
            tries_left: Some(n),
        },
        PivPinStatus::Blocked => PinStatus::Blocked,
    }
}

/// The lock state, in its own transaction.
pub fn status(ctx: &Ctx, found: &Found) -> Result<PinStatus, ErrorBody> {
    ctx.run(found, |c| status_in(c, found))
}

/// `pin.status`.
pub fn pin_status(ctx: &Ctx, p: &DeviceParams) -> Result<PinStatus, ErrorBody> {
    let found = ctx.find(&p.device)?;
    status(ctx, &found)
}

/// Verifies the PIN once, on the applet that owns it (inside a transaction).
pub fn verify_in(
    c: &mut dyn SmartCardConnection,
    found: &Found,
    p: &Pin,
) -> Result<(), SessionError> {
    if found.info.applets.aca {
        AcaSession::open(c)?.verify_pin(p)
    } else {
        PivSession::open(c)?.verify_pin(p)
    }
}

/// Verifies the PIN once, in its own transaction.
pub fn verify_on(ctx: &Ctx, found: &Found, secret: &Secret) -> Result<(), ErrorBody> {
    let p = pin(secret);
    ctx.run(found, |c| verify_in(c, found, &p))
}

/// `pin.verify`.
pub fn verify(ctx: &Ctx, p: &DevicePinParams) -> Result<PinStatus, ErrorBody> {
    let found = ctx.find(&p.device)?;
    ctx.require(&found, Feature::Authenticate)?;
    let secret = p
        .pin
        .as_ref()
        .ok_or_else(|| ErrorBody::new(ErrorCode::BadInput, "enter the PIN").with("field", "pin"))?;
    let p = pin(secret);
    // A VERIFY that succeeded is the status: no second probe (the Crescendo
    // security status is card-wide, crescendo-apdu.md §4).
    ctx.run(&found, |c| verify_in(c, &found, &p))?;
    tracing::info!(device = %found.info.id, "PIN verified");
    Ok(PinStatus::Verified)
}

/// `pin.lock`: VERIFY with P1 = FF clears the verified state (SP 800-73-4 Pt2
/// §3.2.1); on a Crescendo Key the PIN is card-wide, so the ACA locks too.
pub fn lock(ctx: &Ctx, p: &DeviceParams) -> Result<PinStatus, ErrorBody> {
    let found = ctx.find(&p.device)?;
    ctx.require(&found, Feature::Authenticate)?;
    if !found.info.applets.piv {
        return Ok(PinStatus::Locked { tries_left: None });
    }
    ctx.run(&found, |c| {
        let mut piv = PivSession::open(c)?;
        piv.reset_pin_status()?;
        Ok(from_piv(piv.pin_status()?))
    })
}

/// `pin.change`: the policy is enforced before anything is sent.
pub fn change(ctx: &Ctx, p: &PinChangeParams) -> Result<PinStatus, ErrorBody> {
    let found = ctx.find(&p.device)?;
    ctx.require(&found, Feature::ChangePin)?;
    ctx.check_new_pin(&found, &p.new, Some(&p.old))?;
    let (old, new) = (pin(&p.old), pin(&p.new));
    let s = ctx.run(&found, |c| {
        if found.info.applets.aca {
            AcaSession::open(c)?.change_pin(&old, &new)?;
        } else {
            PivSession::open(c)?.change_pin(&old, &new)?;
        }
        status_in(c, &found)
    })?;
    tracing::info!(device = %found.info.id, "PIN changed");
    let _ = ctx.policies.set_must_change(&found.info.id, false);
    if found.info.applets.fido && ctx.policy(&found).is_ok_and(|(_, p)| p.fido_shared) {
        crate::handlers::fido::follow_shared_pin(ctx, &found.info.id, &p.old, &p.new)?;
        tracing::info!(device = %found.info.id, "shared FIDO PIN follows");
    }
    Ok(s)
}

/// `pin.unblock.challenge`: the ACA's challenge for the helpdesk, who answers
/// with ECB(admin key, challenge) (crescendo-apdu.md §3.5, §3.7).
pub fn challenge(ctx: &Ctx, p: &DeviceParams) -> Result<UnblockChallenge, ErrorBody> {
    let found = ctx.find(&p.device)?;
    ctx.require(&found, Feature::UnblockChallenge)?;
    // Static (policy): the challenge the card already holds is shown again, so
    // the helpdesk's answer stays valid across popups; it lives until it is
    // answered or the card leaves. Dynamic: a fresh one every time.
    let (_, policy) = ctx.policy(&found)?;
    if policy.challenge == ChallengeType::Static {
        if let Some(c) = ctx.cache.challenge(&found.reader) {
            return Ok(UnblockChallenge {
                challenge: hex::encode_upper(c),
            });
        }
    }
    let c = ctx.run(&found, |c| AcaSession::open(c)?.get_challenge())?;
    ctx.cache.set_challenge(&found.reader, Some(c.clone()));
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

/// The admin key from hex: 32 digits = AES-128, 48 = TDES.
fn admin_key(key: &Secret) -> Result<AdminKey, ErrorBody> {
    let bytes = hex_secret(key, "admin key")?;
    if let Ok(k) = <[u8; 16]>::try_from(bytes.as_slice()) {
        return Ok(AdminKey::aes128(k));
    }
    if let Ok(k) = <[u8; 24]>::try_from(bytes.as_slice()) {
        return Ok(AdminKey::tdes(k));
    }
    Err(ErrorBody::new(
        ErrorCode::BadInput,
        "the admin key is 32 hex digits (AES-128) or 48 (TDES)",
    )
    .with("field", "admin key"))
}

/// One unblock, as the instructions it needs.
type UnblockOp = Box<dyn FnOnce(&mut dyn SmartCardConnection) -> Result<(), SessionError>>;

/// `pin.unblock`: admin key (GET CHALLENGE + EXTERNAL AUTHENTICATE + UNLOCK PIN),
/// helpdesk response (EXTERNAL AUTHENTICATE + UNLOCK PIN), or PUK (RESET RETRY
/// COUNTER); then the lock state, all in one transaction.
pub fn unblock(ctx: &Ctx, p: &PinUnblockParams) -> Result<PinStatus, ErrorBody> {
    let found = ctx.find(&p.device)?;
    ctx.check_new_pin(&found, &p.new, None)?;
    let new = pin(&p.new);
    let op: UnblockOp = match &p.method {
        UnblockMethod::AdminKey { key } => {
            ctx.require(&found, Feature::UnblockAdminKey)?;
            let key = admin_key(key)?;
            Box::new(move |c| {
                let mut aca = AcaSession::open(c)?;
                aca.authenticate_admin(&key)?;
                aca.unlock_pin(&new)
            })
        }
        UnblockMethod::Response { response } => {
            ctx.require(&found, Feature::UnblockChallenge)?;
            let cryptogram = hex_secret(response, "response")?;
            // The card's challenge is single-use (crescendo-apdu.md §3.5).
            ctx.cache.set_challenge(&found.reader, None);
            Box::new(move |c| {
                let mut aca = AcaSession::open(c)?;
                aca.external_authenticate(&cryptogram)?;
                aca.unlock_pin(&new)
            })
        }
        UnblockMethod::Puk { puk } => {
            ctx.require(&found, Feature::UnblockPuk)?;
            let puk = pin(puk);
            Box::new(move |c| PivSession::open(c)?.unblock_pin(&puk, &new))
        }
    };
    let s = ctx.run(&found, |c| {
        op(c)?;
        status_in(c, &found)
    })?;
    tracing::info!(device = %found.info.id, "PIN unblocked");
    Ok(s)
}
