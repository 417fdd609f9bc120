//! Authenticate: one PIN, one `pin.verify`, never retried. A wrong PIN says
//! how many tries are left; the last try must be confirmed; a blocked PIN
//! leads to Unblock.

use serde_json::{json, Value};

use crate::protocol::{ErrorBody, PinStatus};
use crate::secret::Secret;

use super::super::view::{Action, Tone};
use super::form::{check_pin_entry, pin_entry, Form};
use super::{blocked_body, button, cancel, para, pin_failure, Body, Dialog, Failure, Out, Token};

/// The Authenticate dialog.
#[derive(Debug, Default)]
pub struct Authenticate {
    form: Form,
    error: Option<super::super::view::Text>,
}

impl Authenticate {
    /// A fresh dialog.
    pub fn new(_t: &Token) -> Authenticate {
        Authenticate::default()
    }
}

impl Dialog for Authenticate {
    fn kind(&self) -> Action {
        Action::Authenticate
    }

    fn body(&self, t: &Token) -> Body {
        if t.pin == Some(PinStatus::Blocked) {
            return blocked_body(t);
        }
        let mut blocks = vec![para("dlg_authenticate_intro", Tone::Info)];
        blocks.extend(pin_entry(&self.form, t, "pin", "field_pin"));
        Body {
            step: "form",
            blocks,
            error: self.error.clone(),
            actions: vec![button("submit", "btn_unlock", true), cancel()],
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
            "submit" if t.pin != Some(PinStatus::Blocked) => {
                self.form.clear_errors();
                self.error = None;
                if !check_pin_entry(&mut self.form, t, "pin") {
                    return Out::none();
                }
                Out::call(
                    "pin.verify",
                    json!({"device": t.id, "pin": self.form.get("pin")}),
                )
            }
            _ => Out::none(),
        }
    }

    fn reply(&mut self, t: &mut Token, _method: &str, result: Result<Value, ErrorBody>) -> Out {
        match result {
            Ok(v) => {
                t.pin = serde_json::from_value(v).ok();
                Out::done(super::super::view::Text::with(
                    "notice_verified",
                    [t.name.clone()],
                ))
            }
            Err(e) => {
                match pin_failure(t, &mut self.form, "pin", &e) {
                    Failure::Other(text) => self.error = Some(text),
                    Failure::Pin | Failure::PinRequired | Failure::Blocked => {}
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
    use super::super::tests::{crescendo, field_errors, has_field};
    use super::*;
    use crate::popup::view::Text;
    use crate::protocol::ErrorCode;

    #[test]
    fn wrong_pin_shows_tries_left_and_is_not_retried() {
        let mut t = crescendo(Some(6));
        let mut d = Authenticate::new(&t);
        assert_eq!(d.action(&t, "submit"), Out::none(), "empty PIN not sent");
        assert_eq!(
            field_errors(&d.body(&t), "pin"),
            vec![Text::key("err_pin_empty")]
        );
        d.input(&t, "pin", Secret::new("11111111"));
        let out = d.action(&t, "submit");
        assert_eq!(
            out.call,
            Some(("pin.verify", json!({"device": "ID1", "pin": "11111111"})))
        );
        let out = d.reply(
            &mut t,
            "pin.verify",
            Err(ErrorBody::new(ErrorCode::WrongPin, "x").with("tries_left", 5)),
        );
        assert_eq!(out.call, None, "never retried");
        assert_eq!(
            field_errors(&d.body(&t), "pin"),
            vec![Text::with("err_wrong_pin_tries", ["5".to_string()])]
        );
        assert_eq!(d.form.get("pin"), "", "the wrong PIN is wiped");
        assert_eq!(d.form_gen(), 1);
        d.input(&t, "pin", Secret::new("00000000"));
        d.action(&t, "submit");
        let out = d.reply(&mut t, "pin.verify", Ok(json!({"state": "verified"})));
        assert!(out.close && out.relist);
        assert_eq!(
            out.notice,
            Some(Text::with(
                "notice_verified",
                ["HID Crescendo Key".to_string()]
            ))
        );
    }

    #[test]
    fn last_try_needs_confirmation() {
        let t = crescendo(Some(1));
        let mut d = Authenticate::new(&t);
        assert!(has_field(&d.body(&t), "last_try"));
        d.input(&t, "pin", Secret::new("12345678"));
        assert_eq!(d.action(&t, "submit").call, None);
        assert_eq!(
            field_errors(&d.body(&t), "last_try"),
            vec![Text::key("err_last_try")]
        );
        d.input(&t, "last_try", Secret::new("true"));
        assert!(d.action(&t, "submit").call.is_some());
    }

    #[test]
    fn blocked_leads_to_unblock() {
        let mut t = crescendo(Some(1));
        let mut d = Authenticate::new(&t);
        d.input(&t, "pin", Secret::new("12345678"));
        d.input(&t, "last_try", Secret::new("true"));
        d.action(&t, "submit");
        d.reply(
            &mut t,
            "pin.verify",
            Err(ErrorBody::new(ErrorCode::WrongPin, "x").with("tries_left", 0)),
        );
        let body = d.body(&t);
        assert_eq!(body.step, "blocked");
        assert_eq!(body.actions[0].id, "unblock");
        assert_eq!(d.action(&t, "unblock"), Out::open(Action::Unblock));
        assert_eq!(
            d.action(&t, "submit"),
            Out::none(),
            "no PIN sent when blocked"
        );
    }
}
