//! Change PIN: reads the PIN policy (`pin.policy.get`), shows it above the
//! new-PIN field, ticks it while the user types and refuses a breaking PIN
//! before anything is sent; then one `pin.change`.

use serde_json::{json, Value};

use crate::pin_policy::PinPolicy;
use crate::protocol::{ErrorBody, ErrorCode, Feature, PinStatus, PolicyInfo};
use crate::secret::Secret;

use super::super::view::{Action, Text, Tone};
use super::errors::{violation_text, violations};
use super::form::{check_new_pin, check_pin_entry, new_pin, pin_entry, Form};
use super::{
    blocked_body, button, cancel, loading, para, pin_failure, Body, Dialog, Failure, Out, Token,
};

/// Whether the policy is known yet.
#[derive(Debug, Clone, PartialEq)]
pub enum PolicyState {
    /// `pin.policy.get` is on its way.
    Loading,
    /// Known: checked before sending.
    Known(PinPolicy),
    /// The token keeps no policy (generic PIV): the host checks the card's limits.
    None,
}

impl PolicyState {
    /// Starts reading the policy if the token keeps one.
    pub fn start(t: &Token) -> (PolicyState, Out) {
        if t.has(Feature::PinPolicy) {
            (
                PolicyState::Loading,
                Out::call("pin.policy.get", json!({"device": t.id})),
            )
        } else {
            (PolicyState::None, Out::none())
        }
    }

    /// Takes the `pin.policy.get` answer (without one, the host still checks).
    pub fn answer(result: Result<Value, ErrorBody>) -> PolicyState {
        result
            .ok()
            .and_then(|v| serde_json::from_value::<PolicyInfo>(v).ok())
            .map_or(PolicyState::None, |i| PolicyState::Known(i.policy))
    }

    /// The policy, when known.
    pub fn policy(&self) -> Option<&PinPolicy> {
        match self {
            PolicyState::Known(p) => Some(p),
            _ => None,
        }
    }
}

/// The Change PIN dialog.
#[derive(Debug)]
pub struct ChangePin {
    form: Form,
    policy: PolicyState,
    error: Option<Text>,
}

impl ChangePin {
    /// A fresh dialog (the policy is read on start).
    pub fn new(_t: &Token) -> ChangePin {
        ChangePin {
            form: Form::default(),
            policy: PolicyState::None,
            error: None,
        }
    }
}

/// Puts a `pin_policy` refusal from the host on the new-PIN field.
pub fn policy_refused(form: &mut Form, policy: Option<&PinPolicy>, e: &ErrorBody) {
    let v = violations(e);
    if v.is_empty() {
        form.error("new", Text::key("err_pin_policy"));
    }
    for v in v {
        form.error("new", violation_text(v, policy));
    }
}

impl Dialog for ChangePin {
    fn kind(&self) -> Action {
        Action::ChangePin
    }

    fn start(&mut self, t: &Token) -> Out {
        let (policy, out) = PolicyState::start(t);
        self.policy = policy;
        out
    }

    fn body(&self, t: &Token) -> Body {
        if t.pin == Some(PinStatus::Blocked) {
            return blocked_body(t);
        }
        if self.policy == PolicyState::Loading {
            return loading("progress_policy");
        }
        let mut blocks = vec![];
        if t.info.must_change_pin {
            blocks.push(para("dlg_change_pin_forced", Tone::Warning));
        }
        blocks.extend(pin_entry(&self.form, t, "old", "field_current_pin"));
        blocks.extend(new_pin(
            &self.form,
            self.policy.policy(),
            Some(self.form.get("old")),
        ));
        Body {
            step: "form",
            blocks,
            error: self.error.clone(),
            actions: vec![button("submit", "btn_change_pin", true), cancel()],
        }
    }

    fn form_gen(&self) -> u32 {
        self.form.gen()
    }

    fn input(&mut self, _t: &Token, name: &str, value: Secret) -> Out {
        self.form.set(name, value);
        Out::none()
    }

    fn action(&mut self, t: &Token, id: &str) -> Out {
        match id {
            "unblock" => Out::open(Action::Unblock),
            "submit"
                if t.pin != Some(PinStatus::Blocked) && self.policy != PolicyState::Loading =>
            {
                self.form.clear_errors();
                self.error = None;
                let old = self.form.get("old").to_owned();
                let pin_ok = check_pin_entry(&mut self.form, t, "old");
                let new_ok = check_new_pin(&mut self.form, self.policy.policy(), Some(&old));
                if !(pin_ok && new_ok) {
                    return Out::none();
                }
                Out::call(
                    "pin.change",
                    json!({"device": t.id, "old": old, "new": self.form.get("new")}),
                )
            }
            _ => Out::none(),
        }
    }

    fn reply(&mut self, t: &mut Token, method: &str, result: Result<Value, ErrorBody>) -> Out {
        if method == "pin.policy.get" {
            self.policy = PolicyState::answer(result);
            return Out::none();
        }
        match result {
            Ok(v) => {
                t.pin = serde_json::from_value(v).ok();
                Out::done(Text::with("notice_pin_changed", [t.name.clone()]))
            }
            Err(e) if e.code == ErrorCode::PinPolicy => {
                policy_refused(&mut self.form, self.policy.policy(), &e);
                Out::none()
            }
            Err(e) => {
                if let Failure::Other(text) = pin_failure(t, &mut self.form, "old", &e) {
                    self.error = Some(text);
                }
                Out {
                    relist: true,
                    ..Out::none()
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{crescendo, field_errors, policy_info};
    use super::*;

    fn opened(t: &Token) -> ChangePin {
        let mut d = ChangePin::new(t);
        let out = d.start(t);
        assert_eq!(out.call.map(|c| c.0), Some("pin.policy.get"));
        assert_eq!(d.body(t).step, "loading");
        let mut info = policy_info();
        info.policy.refuse_weak = true;
        info.policy.min_len = 6;
        d.reply(
            &mut t.clone(),
            "pin.policy.get",
            Ok(serde_json::to_value(info).expect("json")),
        );
        d
    }

    #[test]
    fn weak_pin_refused_before_anything_is_sent() {
        let t = crescendo(Some(6));
        let mut d = opened(&t);
        assert_eq!(d.body(&t).step, "form");
        d.input(&t, "old", Secret::new("00000000"));
        d.input(&t, "new", Secret::new("1234"));
        d.input(&t, "confirm_new", Secret::new("1234"));
        assert_eq!(d.action(&t, "submit"), Out::none(), "nothing sent");
        assert_eq!(
            field_errors(&d.body(&t), "new"),
            vec![
                Text::with("viol_too_short_digits", ["6".to_string()]),
                Text::key("viol_weak")
            ]
        );
        d.input(&t, "new", Secret::new("258013"));
        assert_eq!(d.action(&t, "submit"), Out::none(), "confirmation differs");
        d.input(&t, "confirm_new", Secret::new("258013"));
        assert_eq!(
            d.action(&t, "submit").call,
            Some((
                "pin.change",
                json!({"device": "ID1", "old": "00000000", "new": "258013"})
            ))
        );
    }

    #[test]
    fn wrong_current_pin_and_host_policy_refusal() {
        let mut t = crescendo(Some(6));
        let mut d = opened(&t);
        let out = d.reply(
            &mut t,
            "pin.change",
            Err(ErrorBody::new(ErrorCode::WrongPin, "x").with("tries_left", 5)),
        );
        assert!(out.relist && !out.close);
        assert_eq!(
            field_errors(&d.body(&t), "old"),
            vec![Text::with("err_wrong_pin_tries", ["5".to_string()])]
        );
        d.reply(
            &mut t,
            "pin.change",
            Err(ErrorBody::new(ErrorCode::PinPolicy, "x").with("violations", json!(["unchanged"]))),
        );
        assert_eq!(
            field_errors(&d.body(&t), "new"),
            vec![Text::key("viol_unchanged")]
        );
        let out = d.reply(&mut t, "pin.change", Ok(json!({"state": "verified"})));
        assert!(out.close && out.relist);
    }

    #[test]
    fn generic_piv_has_no_policy_to_read() {
        let mut t = crescendo(Some(3));
        t.info.features.retain(|f| *f != Feature::PinPolicy);
        let mut d = ChangePin::new(&t);
        assert_eq!(d.start(&t), Out::none());
        assert_eq!(d.body(&t).step, "form");
    }
}
