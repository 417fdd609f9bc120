//! Button handlers (`button.*`): what a Crescendo Key's button types on a
//! single and a double press (crescendo-apdu.md §5.1: slot 1's HOTP by
//! default; the configuration is emulator-defined, docs/VIRTUAL_TOKEN.md "The
//! button"). A static password's keys are a secret: they are checked, sent
//! once and never logged; the token gives back only their count. A configured
//! static password is replaced only when `replace` names its press.

use tessera_core::keyboard;
use tessera_core::protocol::{
    ButtonActionInfo, ButtonActionKind, ButtonConfigInfo, ButtonGetParams, ButtonPress,
    ButtonSetParams, ErrorBody, ErrorCode,
};
use zeroize::Zeroizing;

use crate::handlers::token::{pin, Ctx, Found};
use crate::sessions::aca::AcaSession;
use crate::sessions::crescendo_oath::{
    ActionState, ButtonAction, ButtonState, CrescendoOathSession, OathSlot, Press,
};

fn bad(field: &str, message: impl Into<String>) -> ErrorBody {
    ErrorBody::new(ErrorCode::BadInput, message).with("field", field)
}

/// Only a Crescendo Key (OATH slot 1) has the configurable button.
fn require_button(found: &Found) -> Result<(), ErrorBody> {
    if found.info.applets.oath_slots > 0 {
        Ok(())
    } else {
        Err(ErrorBody::new(
            ErrorCode::NotSupported,
            "this token has no configurable button (no Crescendo OATH slot 1)",
        )
        .with("feature", "button"))
    }
}

fn info_of(a: ActionState) -> ButtonActionInfo {
    match a {
        ActionState::Nothing => ButtonActionInfo {
            kind: ButtonActionKind::None,
            length: None,
        },
        ActionState::Hotp => ButtonActionInfo {
            kind: ButtonActionKind::Hotp,
            length: None,
        },
        ActionState::Static { length } => ButtonActionInfo {
            kind: ButtonActionKind::Static,
            length: Some(length),
        },
    }
}

fn config_of(s: ButtonState) -> ButtonConfigInfo {
    ButtonConfigInfo {
        single: info_of(s.single),
        double: info_of(s.double),
    }
}

fn press_of(p: ButtonPress) -> Press {
    match p {
        ButtonPress::Single => Press::Single,
        ButtonPress::Double => Press::Double,
    }
}

/// The action to write, checked before anything is sent.
fn action_of(p: &ButtonSetParams) -> Result<ButtonAction, ErrorBody> {
    match (p.action.kind, &p.action.keys) {
        (ButtonActionKind::Static, Some(keys)) => {
            keyboard::check(keys.expose()).map_err(|e| bad("action.keys", e.to_string()))?;
            Ok(ButtonAction::Static(Zeroizing::new(keys.expose().to_vec())))
        }
        (ButtonActionKind::Static, None) => {
            Err(bad("action.keys", "a static password needs its keys"))
        }
        (_, Some(_)) => Err(bad("action.keys", "only a static password has keys")),
        (ButtonActionKind::Hotp, None) => Ok(ButtonAction::Hotp),
        (ButtonActionKind::None, None) => Ok(ButtonAction::Nothing),
    }
}

fn would_overwrite(press: ButtonPress, length: u8) -> ErrorBody {
    ErrorBody::new(
        ErrorCode::WouldOverwrite,
        format!(
            "the {} press types a static password ({length} keys); writing would erase it. \
             Confirm by naming the press in replace",
            press.as_str()
        ),
    )
    .with("press", press.as_str())
}

/// `button.get`: both presses' actions (a static password's length only).
pub fn get(ctx: &Ctx, p: &ButtonGetParams) -> Result<ButtonConfigInfo, ErrorBody> {
    let found = ctx.find(&p.device)?;
    require_button(&found)?;
    let state = ctx.run(&found, |c| {
        CrescendoOathSession::open(c, OathSlot::One)?.button_config()
    })?;
    Ok(config_of(state))
}

/// `button.set`: one press's action, after re-reading the configuration in
/// the same transaction; the PIN is verified once when given. Answers the
/// configuration read back after the write.
pub fn set(ctx: &Ctx, p: &ButtonSetParams) -> Result<ButtonConfigInfo, ErrorBody> {
    let action = action_of(p)?;
    let found = ctx.find(&p.device)?;
    require_button(&found)?;
    let press = press_of(p.press);
    let outcome = ctx.run(&found, |c| {
        if let Some(s) = &p.pin {
            AcaSession::open(c)?.verify_pin(&pin(s))?;
        }
        let mut s = CrescendoOathSession::open(c, OathSlot::One)?;
        if let ActionState::Static { length } = s.button_config()?.of(press) {
            if p.replace != Some(p.press) {
                return Ok(Err(would_overwrite(p.press, length)));
            }
        }
        s.put_button(press, &action)?;
        Ok(Ok(s.button_config()?))
    })?;
    tracing::info!(press = p.press.as_str(), kind = ?p.action.kind, "button action set");
    outcome.map(config_of)
}
