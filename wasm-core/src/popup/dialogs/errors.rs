//! Error codes → what the user reads: what happened and what to do next.

use serde_json::Value;

use crate::pin_policy::{Charset, PinPolicy, Violation};
use crate::protocol::{ErrorBody, ErrorCode};

use super::super::view::Text;

/// "Wrong PIN. N tries left." (the last one says what a wrong PIN will do).
pub fn wrong_pin(tries: Option<u8>) -> Text {
    match tries {
        Some(1) => Text::key("err_wrong_pin_last"),
        Some(n) => Text::with("err_wrong_pin_tries", [n.to_string()]),
        None => Text::key("err_wrong_pin"),
    }
}

/// One broken policy rule.
pub fn violation_text(v: Violation, policy: Option<&PinPolicy>) -> Text {
    let (min, max) = policy.map_or((String::new(), String::new()), |p| {
        (p.min_len.to_string(), p.max_len.to_string())
    });
    let digits = policy.is_some_and(|p| p.charset == Charset::Numeric);
    match v {
        Violation::TooShort if digits => Text::with("viol_too_short_digits", [min]),
        Violation::TooShort => Text::with("viol_too_short", [min]),
        Violation::TooLong if digits => Text::with("viol_too_long_digits", [max]),
        Violation::TooLong => Text::with("viol_too_long", [max]),
        Violation::NotNumeric => Text::key("viol_not_numeric"),
        Violation::BadCharacters => Text::key("viol_bad_characters"),
        Violation::Weak => Text::key("viol_weak"),
        Violation::Unchanged => Text::key("viol_unchanged"),
    }
}

/// The violations a `pin_policy` error carries.
pub fn violations(e: &ErrorBody) -> Vec<Violation> {
    e.details
        .get("violations")
        .cloned()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

/// The generic text for an error no dialog handles specially.
pub fn host_error_text(e: &ErrorBody) -> Text {
    let detail = || e.message.clone();
    match e.code {
        ErrorCode::WrongPin => wrong_pin(
            e.details
                .get("tries_left")
                .and_then(Value::as_u64)
                .and_then(|n| u8::try_from(n).ok()),
        ),
        ErrorCode::PinBlocked => Text::key("dlg_blocked"),
        ErrorCode::PinRequired => Text::key("err_pin_required"),
        ErrorCode::PinPolicy => Text::key("err_pin_policy"),
        ErrorCode::WrongAdminKey => Text::key("err_wrong_admin_key"),
        ErrorCode::ConfirmationMismatch => Text::key("err_confirmation"),
        ErrorCode::NotSupported => Text::key("err_not_supported"),
        ErrorCode::Managed => Text::key("err_managed"),
        ErrorCode::DeviceNotFound => Text::key("err_device_not_found"),
        ErrorCode::PcscUnavailable => Text::key("tokens_pcsc_down"),
        ErrorCode::TransportError => Text::with("err_transport", [detail()]),
        ErrorCode::BadInput => Text::with("err_bad_input", [detail()]),
        ErrorCode::HostDisconnected | ErrorCode::Timeout => Text::key("err_host_gone"),
        _ => Text::with("err_unexpected", [detail()]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_says_what_to_do() {
        let e = ErrorBody::new(ErrorCode::WrongPin, "x").with("tries_left", 4);
        assert_eq!(
            host_error_text(&e),
            Text::with("err_wrong_pin_tries", ["4".to_string()])
        );
        let e = ErrorBody::new(ErrorCode::WrongPin, "x").with("tries_left", 1);
        assert_eq!(host_error_text(&e), Text::key("err_wrong_pin_last"));
        let e = ErrorBody::new(ErrorCode::TransportError, "card mute");
        assert_eq!(
            host_error_text(&e),
            Text::with("err_transport", ["card mute".to_string()])
        );
        let e = ErrorBody::new(ErrorCode::PinPolicy, "x")
            .with("violations", serde_json::json!(["too_short", "weak"]));
        assert_eq!(violations(&e), vec![Violation::TooShort, Violation::Weak]);
    }
}
