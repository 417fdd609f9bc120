//! Personalize, a wizard: recycle first? (typed confirmation) and the current
//! PIN → the PIN policy (FIDO shared PIN settable here only) → the new PIN,
//! checked against that policy → one `device.personalize` → the generated PUK,
//! shown once, with an explicit "I stored it safely" before the dialog may close.

use serde_json::{json, Value};

use crate::pin_policy::PinPolicy;
use crate::protocol::{ErrorBody, ErrorCode, PinStatus, PolicyInfo};
use crate::secret::Secret;

use super::super::view::{Action, Block, Text, Tone};
use super::change_pin::policy_refused;
use super::errors::host_error_text;
use super::form::{check_new_pin, check_pin_entry, new_pin, pin_entry, Form};
use super::recycle::{confirm_field, confirmed, FACTORY_PIN};
use super::{
    blocked_body, button, cancel, loading, para, para_with, pin_failure, policy, Body, Dialog,
    Failure, Out, Token,
};

/// Wizard steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Reading the current policy and the card's limits.
    Loading,
    /// Recycle first? Current PIN.
    Start,
    /// The PIN policy.
    Policy,
    /// The new PIN.
    Pin,
    /// The PUK, shown once.
    Puk,
}

/// The Personalize wizard.
#[derive(Debug)]
pub struct Personalize {
    step: Step,
    info: Option<PolicyInfo>,
    policy: Option<PinPolicy>,
    form: Form,
    puk: Option<Secret>,
    /// The shared FIDO PIN could not follow (the host said why).
    fido_pin_failed: bool,
    error: Option<Text>,
}

impl Personalize {
    /// A fresh wizard (the policy is read on start).
    pub fn new(_t: &Token) -> Personalize {
        Personalize {
            step: Step::Loading,
            info: None,
            policy: None,
            form: Form::default(),
            puk: None,
            fido_pin_failed: false,
            error: None,
        }
    }

    fn recycle(&self) -> bool {
        self.form.flag("recycle")
    }

    fn needs_pin(&self, t: &Token) -> bool {
        !self.recycle() || !t.verified()
    }

    /// The PIN the token will have when the new one is set.
    fn current(&self) -> String {
        if self.recycle() {
            FACTORY_PIN.to_owned()
        } else {
            self.form.get("pin").to_owned()
        }
    }

    fn next(&mut self, t: &Token) -> Out {
        self.form.clear_errors();
        self.error = None;
        match self.step {
            Step::Start => {
                let confirm_ok = !self.recycle() || confirmed(&mut self.form, t);
                let pin_ok = !self.needs_pin(t) || check_pin_entry(&mut self.form, t, "pin");
                if confirm_ok && pin_ok {
                    self.step = Step::Policy;
                }
                Out::none()
            }
            Step::Policy => {
                let Some(info) = &self.info else {
                    return Out::none();
                };
                if let Some(p) = policy::read(&mut self.form, info.limits, &info.policy) {
                    self.policy = Some(p.effective(info.limits));
                    self.step = Step::Pin;
                }
                Out::none()
            }
            Step::Pin => {
                let current = self.current();
                if !check_new_pin(&mut self.form, self.policy.as_ref(), Some(&current)) {
                    return Out::none();
                }
                let mut params = json!({
                    "device": t.id,
                    "recycle": self.recycle(),
                    "policy": self.policy,
                    "new_pin": self.form.get("new"),
                });
                if self.recycle() {
                    params["confirm"] = json!(t.id);
                }
                if self.needs_pin(t) {
                    params["pin"] = json!(self.form.get("pin"));
                }
                Out::call("device.personalize", params)
            }
            Step::Loading | Step::Puk => Out::none(),
        }
    }
}

impl Dialog for Personalize {
    fn kind(&self) -> Action {
        Action::Personalize
    }

    fn start(&mut self, t: &Token) -> Out {
        Out::call("pin.policy.get", json!({"device": t.id}))
    }

    fn body(&self, t: &Token) -> Body {
        let steps = |n: u8| para_with("wizard_step", [n.to_string(), "4".to_owned()], Tone::Info);
        let next = button("next", "btn_next", true);
        let back = button("back", "btn_back", false);
        if self.step != Step::Puk && t.pin == Some(PinStatus::Blocked) {
            return blocked_body(t);
        }
        let (step, blocks, actions) = match self.step {
            Step::Loading => {
                let mut b = loading("progress_policy");
                b.error = self.error.clone();
                return b;
            }
            Step::Start => {
                let mut blocks = vec![
                    steps(1),
                    para("dlg_personalize_intro", Tone::Info),
                    Block::Field(self.form.checkbox("recycle", "field_recycle_first")),
                ];
                if self.recycle() {
                    blocks.push(para_with(
                        "dlg_recycle_warning",
                        [FACTORY_PIN.to_owned()],
                        Tone::Danger,
                    ));
                    blocks.push(confirm_field(&self.form, t));
                }
                if self.needs_pin(t) {
                    blocks.extend(pin_entry(&self.form, t, "pin", "field_current_pin"));
                }
                ("start", blocks, vec![next, cancel()])
            }
            Step::Policy => {
                let mut blocks = vec![steps(2)];
                if let Some(info) = &self.info {
                    blocks.extend(policy::fields(&self.form, info.limits, true));
                }
                ("policy", blocks, vec![next, back, cancel()])
            }
            Step::Pin => {
                let mut blocks = vec![steps(3)];
                let current = self.current();
                blocks.extend(new_pin(&self.form, self.policy.as_ref(), Some(&current)));
                let submit = button("submit", "btn_personalize", true);
                ("pin", blocks, vec![submit, back, cancel()])
            }
            Step::Puk => {
                let mut blocks = vec![steps(4), para("puk_once_warning", Tone::Warning)];
                if self.fido_pin_failed {
                    blocks.push(para("fido_shared_failed", Tone::Warning));
                }
                if let Some(puk) = &self.puk {
                    blocks.push(Block::Output {
                        name: "puk",
                        label: Text::key("out_puk"),
                        value: puk.expose().to_owned(),
                        copy: true,
                    });
                }
                blocks.push(Block::Field(
                    self.form.checkbox("stored", "field_puk_stored"),
                ));
                let mut finish = button("finish", "btn_finish", true);
                finish.enabled = self.form.flag("stored");
                ("puk", blocks, vec![finish])
            }
        };
        Body {
            step,
            blocks,
            error: self.error.clone(),
            actions,
        }
    }

    fn form_gen(&self) -> u32 {
        self.form.gen()
    }

    fn input(&mut self, _t: &Token, name: &str, value: Secret) -> Out {
        self.form.set(name, value);
        if name == "stored" {
            self.error = None;
        }
        Out::none()
    }

    fn action(&mut self, t: &Token, id: &str) -> Out {
        match (id, self.step) {
            ("unblock", _) => Out::open(Action::Unblock),
            ("back", Step::Policy) => {
                self.step = Step::Start;
                Out::none()
            }
            ("back", Step::Pin) => {
                self.step = Step::Policy;
                Out::none()
            }
            ("finish", Step::Puk) if self.form.flag("stored") => {
                Out::done(Text::with("notice_personalized", [t.name.clone()]))
            }
            ("next" | "submit", _) => self.next(t),
            _ => Out::none(),
        }
    }

    fn reply(&mut self, t: &mut Token, method: &str, result: Result<Value, ErrorBody>) -> Out {
        if method == "pin.policy.get" {
            match result.map(serde_json::from_value::<PolicyInfo>) {
                Ok(Ok(info)) => {
                    policy::fill(&mut self.form, &info.policy);
                    self.info = Some(info);
                    self.step = Step::Start;
                }
                Ok(Err(e)) => {
                    self.error = Some(Text::with("err_unexpected", [e.to_string()]));
                }
                Err(e) => self.error = Some(host_error_text(&e)),
            }
            return Out::none();
        }
        match result {
            Ok(v) => {
                self.form.reset();
                self.puk = v.get("puk").and_then(Value::as_str).map(Secret::new);
                self.fido_pin_failed = v.get("fido_pin_error").is_some_and(|e| !e.is_null());
                self.step = Step::Puk;
                Out {
                    relist: true,
                    ..Out::none()
                }
            }
            Err(e) => {
                match e.code {
                    ErrorCode::ConfirmationMismatch => {
                        self.step = Step::Start;
                        self.form
                            .error("confirm", Text::with("err_confirmation_id", [t.id.clone()]));
                    }
                    ErrorCode::PinPolicy => {
                        policy_refused(&mut self.form, self.policy.as_ref(), &e);
                    }
                    _ => match pin_failure(t, &mut self.form, "pin", &e) {
                        Failure::Other(text) => self.error = Some(text),
                        Failure::Pin | Failure::PinRequired | Failure::Blocked => {
                            self.step = Step::Start;
                        }
                    },
                }
                Out {
                    relist: true,
                    ..Out::none()
                }
            }
        }
    }

    fn closable(&self) -> bool {
        self.step != Step::Puk || self.form.flag("stored")
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{crescendo, field_errors, has_field, policy_info};
    use super::*;

    fn started(t: &Token) -> Personalize {
        let mut d = Personalize::new(t);
        assert_eq!(d.start(t).call.map(|c| c.0), Some("pin.policy.get"));
        d.reply(
            &mut t.clone(),
            "pin.policy.get",
            Ok(serde_json::to_value(policy_info()).expect("json")),
        );
        assert_eq!(d.body(t).step, "start");
        d
    }

    #[test]
    fn recycle_policy_pin_then_puk_shown_once() {
        let mut t = crescendo(Some(6));
        let mut d = started(&t);
        d.input(&t, "recycle", Secret::new("true"));
        assert!(has_field(&d.body(&t), "confirm"));
        d.input(&t, "pin", Secret::new("00000000"));
        d.input(&t, "confirm", Secret::new("nope"));
        d.action(&t, "next");
        assert_eq!(d.body(&t).step, "start", "typed id must match");
        d.input(&t, "confirm", Secret::new("ID1"));
        d.action(&t, "next");
        assert_eq!(d.body(&t).step, "policy");
        assert!(has_field(&d.body(&t), "fido_shared"));
        d.input(&t, "fido_shared", Secret::new("true"));
        d.input(&t, "refuse_weak", Secret::new("true"));
        d.action(&t, "next");
        assert_eq!(d.body(&t).step, "pin");
        d.input(&t, "new", Secret::new("00000000"));
        d.input(&t, "confirm_new", Secret::new("00000000"));
        assert_eq!(d.action(&t, "submit"), Out::none());
        assert!(
            field_errors(&d.body(&t), "new").contains(&Text::key("viol_unchanged")),
            "the factory PIN is the current one after a recycle"
        );
        d.input(&t, "new", Secret::new("80246813"));
        d.input(&t, "confirm_new", Secret::new("80246813"));
        let (m, p) = d.action(&t, "submit").call.expect("call");
        assert_eq!(m, "device.personalize");
        assert_eq!(p["recycle"], json!(true));
        assert_eq!(p["confirm"], json!("ID1"));
        assert_eq!(p["pin"], json!("00000000"));
        assert_eq!(p["new_pin"], json!("80246813"));
        assert_eq!(p["policy"]["fido_shared"], json!(true));
        let out = d.reply(&mut t, "device.personalize", Ok(json!({"puk": "11223344"})));
        assert!(out.relist && !out.close);
        let body = d.body(&t);
        assert_eq!(body.step, "puk");
        assert!(
            !format!("{:?}", body.blocks).contains("fido_shared_failed"),
            "no FIDO warning when the FIDO PIN followed"
        );
        assert!(body
            .blocks
            .iter()
            .any(|b| matches!(b, Block::Output { value, .. } if value == "11223344")));
        assert!(
            !body.actions[0].enabled,
            "Finish waits for the 'stored' box"
        );
        assert!(!d.closable(), "Esc does not skip the PUK");
        assert_eq!(d.action(&t, "finish"), Out::none());
        d.input(&t, "stored", Secret::new("true"));
        assert!(d.closable());
        let out = d.action(&t, "finish");
        assert!(out.close && out.notice.is_some());
        assert_eq!(d.form.get("pin"), "", "no PIN kept");
    }

    #[test]
    fn without_recycle_the_current_pin_is_needed_and_errors_go_back() {
        let mut t = crescendo(Some(6));
        let mut d = started(&t);
        d.action(&t, "next");
        assert_eq!(
            field_errors(&d.body(&t), "pin"),
            vec![Text::key("err_pin_empty")]
        );
        d.input(&t, "pin", Secret::new("11111111"));
        d.action(&t, "next");
        d.action(&t, "next");
        d.input(&t, "new", Secret::new("80246813"));
        d.input(&t, "confirm_new", Secret::new("80246813"));
        let (_, p) = d.action(&t, "submit").call.expect("call");
        assert_eq!(p["recycle"], json!(false));
        assert_eq!(p.get("confirm"), None);
        d.reply(
            &mut t,
            "device.personalize",
            Err(ErrorBody::new(ErrorCode::WrongPin, "x").with("tries_left", 5)),
        );
        assert_eq!(d.body(&t).step, "start");
        assert_eq!(
            field_errors(&d.body(&t), "pin"),
            vec![Text::with("err_wrong_pin_tries", ["5".to_string()])]
        );
    }

    #[test]
    fn a_fido_pin_that_could_not_follow_is_said_next_to_the_puk() {
        let mut t = crescendo(Some(6));
        let mut d = started(&t);
        d.input(&t, "pin", Secret::new("11111111"));
        d.action(&t, "next");
        d.action(&t, "next");
        d.input(&t, "new", Secret::new("80246813"));
        d.input(&t, "confirm_new", Secret::new("80246813"));
        d.action(&t, "submit").call.expect("call");
        d.reply(
            &mut t,
            "device.personalize",
            Ok(json!({"puk": "11223344", "fido_pin_error": "wrong PIN"})),
        );
        let body = d.body(&t);
        assert_eq!(body.step, "puk", "the PUK is still shown");
        assert!(format!("{:?}", body.blocks).contains("fido_shared_failed"));
    }
}
