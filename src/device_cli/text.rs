//! What people read: results as short lines, errors as a sentence that says
//! what to do next. Never a PIN (the PUK and the pairing code are printed by
//! their own verbs, on purpose).

use tessera_core::pin_policy::{ChallengeType, Charset, PinPolicy, Violation};
use tessera_core::protocol::{DevicesList, ErrorBody, ErrorCode, Feature, PcscState, PinStatus};

use super::host::Failure;

/// What the secret sent with a call was, for the wording of its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ctx {
    /// The PIN (or no secret).
    Pin,
    /// The PUK (PIV unblock).
    Puk,
    /// The admin key.
    AdminKey,
    /// The helpdesk's response.
    Response,
}

/// The lock state as one phrase: "open", "closed, 6 tries left", "blocked".
pub fn lock(status: &PinStatus) -> String {
    match status {
        PinStatus::Verified => "open".to_owned(),
        PinStatus::Locked {
            tries_left: Some(1),
        } => "closed, 1 try left".to_owned(),
        PinStatus::Locked {
            tries_left: Some(n),
        } => format!("closed, {n} tries left"),
        PinStatus::Locked { tries_left: None } => "closed".to_owned(),
        PinStatus::Blocked => "blocked".to_owned(),
    }
}

/// "Lock: open." and, when blocked, what to do.
pub fn lock_line(status: &PinStatus) -> String {
    match status {
        PinStatus::Blocked => {
            "Lock: blocked. Unblock the PIN with `tessera pin unblock`.".to_owned()
        }
        s => format!("Lock: {}.", lock(s)),
    }
}

/// A feature's name for people.
pub fn feature(f: Feature) -> &'static str {
    match f {
        Feature::Authenticate => "authenticate",
        Feature::ChangePin => "change PIN",
        Feature::UnblockAdminKey => "unblock with the admin key",
        Feature::UnblockChallenge => "unblock by helpdesk challenge",
        Feature::UnblockPuk => "unblock with the PUK",
        Feature::ViewPuk => "view PUK",
        Feature::PairingCode => "pairing code",
        Feature::PinPolicy => "PIN policy",
        Feature::Recycle => "recycle",
        Feature::Personalize => "personalize",
        Feature::Unknown => "(a feature of a newer Tessera)",
    }
}

fn violation(v: Violation) -> &'static str {
    match v {
        Violation::TooShort => "it is too short",
        Violation::TooLong => "it is too long",
        Violation::NotNumeric => "only digits are allowed",
        Violation::BadCharacters => "it has characters other than printable ASCII",
        Violation::Weak => {
            "it is a weak PIN (its characters step by a constant, like 1111 or 1234)"
        }
        Violation::Unchanged => "it is the same as the current PIN",
    }
}

/// The rules of a policy in one phrase, for the new-PIN prompt.
pub fn rules(p: &PinPolicy) -> String {
    let chars = match p.charset {
        Charset::Numeric => "digits",
        Charset::Alphanumeric => "characters",
    };
    let mut s = if p.min_len == p.max_len {
        format!("{} {chars}", p.min_len)
    } else {
        format!("{}–{} {chars}", p.min_len, p.max_len)
    };
    if p.refuse_weak {
        s.push_str(", not a weak PIN like 1234");
    }
    s
}

fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

/// A policy as lines.
pub fn policy_lines(p: &PinPolicy) -> Vec<String> {
    vec![
        format!("  Length: {}–{} characters", p.min_len, p.max_len),
        format!(
            "  Characters: {}",
            match p.charset {
                Charset::Numeric => "digits only",
                Charset::Alphanumeric => "letters, digits and symbols",
            }
        ),
        format!(
            "  Refuse weak PINs (1111, 1234, 4321, ABCD…): {}",
            on_off(p.refuse_weak)
        ),
        format!("  Force a PIN change: {}", on_off(p.force_change)),
        format!(
            "  Unblock challenge: {}",
            match p.challenge {
                ChallengeType::Dynamic => "dynamic",
                ChallengeType::Static => "static",
            }
        ),
        format!("  FIDO shares the PIN: {}", on_off(p.fido_shared)),
    ]
}

fn detail_u64(e: &ErrorBody, key: &str) -> Option<u64> {
    e.details.get(key).and_then(serde_json::Value::as_u64)
}

fn detail_str<'a>(e: &'a ErrorBody, key: &str) -> Option<&'a str> {
    e.details.get(key).and_then(serde_json::Value::as_str)
}

/// Consequence and next step of a wrong PIN or PUK.
fn wrong_secret(ctx: Ctx, tries: Option<u64>) -> String {
    const UNBLOCK: &str = "`tessera pin unblock`";
    match (ctx, tries) {
        (Ctx::Puk, Some(0)) => "wrong PUK: the PUK is now blocked too. Only a factory reset \
                                of the token can recover it."
            .to_owned(),
        (Ctx::Puk, Some(n)) => format!(
            "wrong PUK: {n} {} left. Check the PUK and try again with {UNBLOCK}.",
            tries_word(n)
        ),
        (Ctx::Puk, None) => format!("wrong PUK. Check the PUK and try again with {UNBLOCK}."),
        (_, Some(0)) => format!("wrong PIN: the PIN is now blocked. Unblock it with {UNBLOCK}."),
        (_, Some(n)) => format!(
            "wrong PIN: {n} {} left. Try again, or unblock it with {UNBLOCK}.",
            tries_word(n)
        ),
        (_, None) => format!("wrong PIN. Try again, or unblock it with {UNBLOCK}."),
    }
}

fn blocked(ctx: Ctx) -> String {
    match ctx {
        Ctx::Puk => "the PUK is blocked. Only a factory reset of the token can recover it.",
        Ctx::AdminKey | Ctx::Response => {
            "the token refuses to unblock: its unblock counter is used up. Recycle it with \
             `tessera recycle` (this erases it)."
        }
        Ctx::Pin => "the PIN is blocked. Unblock it with `tessera pin unblock`.",
    }
    .to_owned()
}

fn policy_refusal(e: &ErrorBody) -> String {
    let reasons: Vec<&str> = e
        .details
        .get("violations")
        .and_then(|v| serde_json::from_value::<Vec<Violation>>(v.clone()).ok())
        .unwrap_or_default()
        .into_iter()
        .map(violation)
        .collect();
    let next = "Pick another PIN; `tessera pin policy` shows the rules.";
    if reasons.is_empty() {
        format!("{}. {next}", e.message)
    } else {
        format!(
            "the new PIN does not meet the PIN policy: {}. Nothing was sent to the token. {next}",
            reasons.join("; ")
        )
    }
}

/// The sentence for a protocol error: what happened and what to do next.
pub fn explain(e: &ErrorBody, ctx: Ctx) -> String {
    let m = &e.message;
    match e.code {
        ErrorCode::WrongPin => wrong_secret(ctx, detail_u64(e, "tries_left")),
        ErrorCode::PinBlocked => blocked(ctx),
        ErrorCode::PinPolicy => policy_refusal(e),
        ErrorCode::PinRequired => format!(
            "the token wants the {} first. Run the command again and enter it.",
            if ctx == Ctx::Puk { "PUK" } else { "PIN" }
        ),
        ErrorCode::WrongAdminKey if ctx == Ctx::Response => {
            "the helpdesk response is wrong. Run `tessera pin unblock --method response` again: \
             the challenge changes each time, so ask for a response to the new one."
                .to_owned()
        }
        ErrorCode::WrongAdminKey => {
            "the admin key is wrong. Check it with your administrator and try again.".to_owned()
        }
        ErrorCode::ConfirmationMismatch => format!(
            "the confirmation does not match; nothing was changed. Run the command again and \
             type the device id {} to confirm.",
            detail_str(e, "expected").unwrap_or("shown in the prompt")
        ),
        ErrorCode::NotSupported => {
            format!("{m}. `tessera device list` shows what this token can do.")
        }
        ErrorCode::DeviceNotFound => format!(
            "{}. `tessera device list` shows the connected tokens.",
            m.trim_end_matches('.')
        ),
        ErrorCode::PcscUnavailable => format!(
            "the smart-card service is not available ({m}). Start it (on Linux: `sudo systemctl \
             start pcscd`) and try again, or use the virtual token with --virtual."
        ),
        ErrorCode::TransportError => {
            format!("talking to the token failed ({m}). Check that it is inserted, then try again.")
        }
        ErrorCode::BadInput => format!("{m}. Run the command again with a valid value."),
        ErrorCode::Managed => "your organisation manages this token, so this action is \
             theirs. Ask your helpdesk (to unblock: `tessera pin unblock --method response`)."
            .to_owned(),
        ErrorCode::Internal => format!("{m}. This is a bug in Tessera; please report it."),
        _ => format!("{m}."),
    }
}

fn tries_word(n: u64) -> &'static str {
    if n == 1 {
        "try"
    } else {
        "tries"
    }
}

/// A protocol error as a failure, explained.
pub fn failure(e: ErrorBody, ctx: Ctx) -> Failure {
    let human = explain(&e, ctx);
    Failure::error(e, human)
}

/// The smart-card service is down or failing.
pub fn no_service(list: &DevicesList) -> Failure {
    let message = list.pcsc.message.clone().unwrap_or_default();
    let code = match list.pcsc.state {
        PcscState::NoService => ErrorCode::PcscUnavailable,
        _ => ErrorCode::TransportError,
    };
    failure(ErrorBody::new(code, message), Ctx::Pin)
}
