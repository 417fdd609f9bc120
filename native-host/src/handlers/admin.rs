//! `pin.policy.get|set`, `puk.show`, `pairing_code.get`, `cache.clear`,
//! `device.recycle`, `device.personalize`.

use rand::Rng;
use tessera_core::pin_policy::PinPolicy;
use tessera_core::protocol::{
    DeviceParams, DevicePinParams, ErrorBody, ErrorCode, Feature, PairingCode, PersonalizeParams,
    PinPolicySetParams, PolicyInfo, PukResult, RecycleParams,
};
use tessera_core::secret::Secret;

use crate::handlers::token::{pin, Ctx, Found};
use crate::sessions::aca::{AcaSession, AdminKey};
use crate::sessions::piv::PivSession;
use crate::sessions::Pin;

/// `pin.policy.get`: any token whose PIN can be changed has a policy in force
/// (reading it is how Change PIN and Unblock show the rules, managed or not).
pub fn policy_get(ctx: &Ctx, p: &DeviceParams) -> Result<PolicyInfo, ErrorBody> {
    let found = ctx.find(&p.device)?;
    ctx.require(&found, Feature::ChangePin)?;
    let (limits, policy) = ctx.policy(&found)?;
    Ok(PolicyInfo { limits, policy })
}

fn store_policy(ctx: &Ctx, found: &Found, policy: &PinPolicy) -> Result<PolicyInfo, ErrorBody> {
    let limits = ctx.limits(found)?;
    let policy = policy.effective(limits);
    ctx.policies.set(&found.info.id, &policy).map_err(|e| {
        ErrorBody::new(
            ErrorCode::Internal,
            format!("cannot save the PIN policy: {e}"),
        )
    })?;
    Ok(PolicyInfo { limits, policy })
}

/// `pin.policy.set`: stored narrowed by the card's limits. The FIDO shared-PIN
/// flag is kept as it was: only Personalize sets it.
pub fn policy_set(ctx: &Ctx, p: &PinPolicySetParams) -> Result<PolicyInfo, ErrorBody> {
    let found = ctx.find(&p.device)?;
    ctx.require(&found, Feature::PinPolicy)?;
    let (_, current) = ctx.policy(&found)?;
    let policy = PinPolicy {
        fido_shared: current.fido_shared,
        ..p.policy.clone()
    };
    store_policy(ctx, &found, &policy)
}

/// `puk.show` (standalone Crescendo devices): the stored PUK, after the PIN.
pub fn puk_show(ctx: &Ctx, p: &DevicePinParams) -> Result<PukResult, ErrorBody> {
    let found = ctx.find(&p.device)?;
    ctx.require(&found, Feature::ViewPuk)?;
    let pin = p.pin.as_ref().map(pin);
    // One transaction on PIV: the Crescendo PIN is "PIN or PIV PIN" (§4).
    let puk = ctx.run(&found, |c| {
        let mut piv = PivSession::open(c)?;
        if let Some(p) = &pin {
            piv.verify_pin(p)?;
        }
        piv.stored_puk()
    })?;
    let puk = puk.ok_or_else(|| {
        ErrorBody::new(
            ErrorCode::NotSupported,
            "no PUK is stored on this token (it is managed, or was never personalised)",
        )
        .with("feature", "view_puk")
    })?;
    Ok(PukResult {
        puk: Secret::new(String::from_utf8_lossy(puk.as_bytes())),
        fido_pin_error: None,
    })
}

/// `pairing_code.get`: after the PIN, over the contact interface.
pub fn pairing_code(ctx: &Ctx, p: &DevicePinParams) -> Result<PairingCode, ErrorBody> {
    let found = ctx.find(&p.device)?;
    ctx.require(&found, Feature::PairingCode)?;
    let pin = p.pin.as_ref().map(pin);
    let code = ctx.run(&found, |c| {
        let mut piv = PivSession::open(c)?;
        if let Some(p) = &pin {
            piv.verify_pin(p)?;
        }
        piv.pairing_code()
    })?;
    let code = code.ok_or_else(|| {
        ErrorBody::new(
            ErrorCode::NotSupported,
            "this token has no VCI pairing code",
        )
        .with("feature", "pairing_code")
    })?;
    Ok(PairingCode {
        code: Secret::new(String::from_utf8_lossy(code.as_bytes())),
    })
}

/// `cache.clear`.
pub fn cache_clear(ctx: &Ctx) {
    ctx.cache.clear();
    tracing::info!("device cache cleared");
}

fn confirm(found: &Found, typed: Option<&str>) -> Result<(), ErrorBody> {
    if typed.map(str::trim) == Some(found.info.id.as_str()) {
        Ok(())
    } else {
        Err(ErrorBody::new(
            ErrorCode::ConfirmationMismatch,
            format!("type the device id {} to confirm", found.info.id),
        )
        .with("expected", found.info.id.clone()))
    }
}

/// RESET CARD after the PIN (crescendo-apdu.md §3.8): PIN back to 00000000,
/// PIV and OATH wiped, the admin key cleared, then the factory admin key put
/// back with the default PIN so the device can be managed again.
fn recycle_on(ctx: &Ctx, found: &Found, secret: Option<&Secret>) -> Result<(), ErrorBody> {
    let current = secret.map(pin);
    ctx.run(found, |c| {
        let mut aca = AcaSession::open(c)?;
        if let Some(p) = &current {
            aca.verify_pin(p)?;
        }
        aca.reset_card()?;
        aca.verify_pin(&Pin::new(FACTORY_PIN))?;
        aca.put_admin_key(&AdminKey::aes128([0; 16]))
    })?;
    ctx.policies.remove(&found.info.id).map_err(|e| {
        ErrorBody::new(
            ErrorCode::Internal,
            format!("cannot forget the PIN policy: {e}"),
        )
    })?;
    ctx.cache.clear();
    Ok(())
}

/// The Crescendo Key's factory PIN (crescendo-apdu.md §1.1).
const FACTORY_PIN: &str = "00000000";

/// `device.recycle`: typed confirmation = the device id.
pub fn recycle(ctx: &Ctx, p: &RecycleParams) -> Result<(), ErrorBody> {
    let found = ctx.find(&p.device)?;
    ctx.require(&found, Feature::Recycle)?;
    confirm(&found, Some(&p.confirm))?;
    recycle_on(ctx, &found, p.pin.as_ref())?;
    tracing::info!(device = %found.info.id, "device recycled");
    Ok(())
}

/// A fresh 8-digit PUK.
fn new_puk() -> Secret {
    let mut rng = rand::rngs::OsRng;
    Secret::new(
        (0..8)
            .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
            .collect::<String>(),
    )
}

/// `device.personalize`: optional recycle, policy, new PIN, a generated PUK
/// stored on the token and returned once.
pub fn personalize(ctx: &Ctx, p: &PersonalizeParams) -> Result<PukResult, ErrorBody> {
    let found = ctx.find(&p.device)?;
    ctx.require(&found, Feature::Personalize)?;
    if p.recycle {
        confirm(&found, p.confirm.as_deref())?;
    }
    // Refuse a bad new PIN before anything destructive happens.
    let limits = ctx.limits(&found)?;
    let planned = p.policy.effective(limits);
    let before = if p.recycle {
        Some(FACTORY_PIN)
    } else {
        p.pin.as_ref().map(Secret::expose)
    };
    let violations = planned.check(p.new_pin.expose(), before);
    if !violations.is_empty() {
        return Err(ErrorBody::new(
            ErrorCode::PinPolicy,
            "the new PIN does not meet the PIN policy",
        )
        .with(
            "violations",
            serde_json::to_value(&violations).unwrap_or_default(),
        ));
    }
    let current = if p.recycle {
        recycle_on(ctx, &found, p.pin.as_ref())?;
        Secret::new(FACTORY_PIN)
    } else {
        p.pin.clone().ok_or_else(|| {
            ErrorBody::new(ErrorCode::BadInput, "enter the current PIN").with("field", "pin")
        })?
    };
    // The id survives a recycle only if the CHUID does; look the token up again.
    let found = ctx.find(&found.reader)?;
    let policy = store_policy(ctx, &found, &p.policy)?;
    ctx.check_new_pin(&found, &p.new_pin, Some(&current))?;
    let (old, new) = (pin(&current), pin(&p.new_pin));
    let puk = new_puk();
    let puk_pin = pin(&puk);
    ctx.run(&found, |c| {
        AcaSession::open(c)?.change_pin(&old, &new)?;
        PivSession::open(c)?.store_puk(&puk_pin)
    })?;
    tracing::info!(device = %found.info.id, fido_shared = policy.policy.fido_shared, "device personalised");
    // The PUK is stored: whatever happens to the FIDO side, it must be shown.
    let fido_pin_error = (policy.policy.fido_shared && found.info.applets.fido)
        .then(|| {
            crate::handlers::fido::follow_shared_pin(ctx, &found.info.id, &current, &p.new_pin)
                .err()
                .map(|e| e.message)
        })
        .flatten();
    // Under a force-change policy the user picks their own PIN at first use.
    let _ = ctx
        .policies
        .set_must_change(&found.info.id, policy.policy.force_change);
    Ok(PukResult {
        puk,
        fido_pin_error,
    })
}
