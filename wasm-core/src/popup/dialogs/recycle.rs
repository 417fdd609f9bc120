//! Recycle: a factory reset, confirmed by typing the device id (and the PIN
//! unless verified). One `device.recycle`.

use serde_json::{json, Value};

use crate::protocol::{ErrorBody, ErrorCode, PinStatus};
use crate::secret::Secret;

use super::super::view::{Action, Block, InputKind, Text, Tone};
use super::form::{check_pin_entry, pin_entry, Form};
use super::{blocked_body, cancel, para_with, pin_failure, Body, Dialog, Failure, Out, Token};

/// The Crescendo Key's factory PIN (crescendo-apdu.md §1.1): what Recycle leaves.
pub const FACTORY_PIN: &str = "00000000";

/// Checks the typed confirmation: the device id (case and spaces aside).
pub fn confirmed(form: &mut Form, t: &Token) -> bool {
    if form.get("confirm").trim().eq_ignore_ascii_case(&t.id) {
        true
    } else {
        form.error("confirm", Text::with("err_confirmation_id", [t.id.clone()]));
        false
    }
}

/// The typed-confirmation field.
pub fn confirm_field(form: &Form, t: &Token) -> Block {
    let mut f = form.field(
        "confirm",
        InputKind::Text,
        Text::with("field_confirm_id", [t.id.clone()]),
    );
    f.mono = true;
    Block::Field(f)
}

/// The Recycle dialog.
#[derive(Debug)]
pub struct Recycle {
    form: Form,
    need_pin: bool,
    error: Option<Text>,
}

impl Recycle {
    /// A fresh dialog.
    pub fn new(t: &Token) -> Recycle {
        Recycle {
            form: Form::default(),
            need_pin: !t.verified(),
            error: None,
        }
    }
}

impl Dialog for Recycle {
    fn kind(&self) -> Action {
        Action::Recycle
    }

    fn body(&self, t: &Token) -> Body {
        if t.pin == Some(PinStatus::Blocked) {
            return blocked_body(t);
        }
        let mut blocks = vec![para_with(
            "dlg_recycle_warning",
            [FACTORY_PIN.to_owned()],
            Tone::Danger,
        )];
        if self.need_pin {
            blocks.extend(pin_entry(&self.form, t, "pin", "field_pin"));
        }
        blocks.push(confirm_field(&self.form, t));
        let mut submit = super::button("submit", "btn_recycle", true);
        submit.danger = true;
        Body {
            step: "form",
            blocks,
            error: self.error.clone(),
            actions: vec![submit, cancel()],
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
                let pin_ok = !self.need_pin || check_pin_entry(&mut self.form, t, "pin");
                if !(confirmed(&mut self.form, t) && pin_ok) {
                    return Out::none();
                }
                let mut params = json!({"device": t.id, "confirm": t.id});
                if self.need_pin {
                    params["pin"] = json!(self.form.get("pin"));
                }
                Out::call("device.recycle", params)
            }
            _ => Out::none(),
        }
    }

    fn reply(&mut self, t: &mut Token, _method: &str, result: Result<Value, ErrorBody>) -> Out {
        match result {
            Ok(_) => Out::done(Text::with(
                "notice_recycled",
                [t.name.clone(), FACTORY_PIN.to_owned()],
            )),
            Err(e) if e.code == ErrorCode::ConfirmationMismatch => {
                self.form
                    .error("confirm", Text::with("err_confirmation_id", [t.id.clone()]));
                Out::none()
            }
            Err(e) => {
                match pin_failure(t, &mut self.form, "pin", &e) {
                    Failure::PinRequired => self.need_pin = true,
                    Failure::Other(text) => self.error = Some(text),
                    Failure::Pin | Failure::Blocked => {}
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
    use super::super::tests::{crescendo, field_errors};
    use super::*;

    #[test]
    fn typed_id_confirms() {
        let mut t = crescendo(Some(6));
        let mut d = Recycle::new(&t);
        d.input(&t, "pin", Secret::new("97531864"));
        d.input(&t, "confirm", Secret::new("ID2"));
        assert_eq!(
            d.action(&t, "submit"),
            Out::none(),
            "wrong id: nothing sent"
        );
        assert_eq!(
            field_errors(&d.body(&t), "confirm"),
            vec![Text::with("err_confirmation_id", ["ID1".to_string()])]
        );
        d.input(&t, "confirm", Secret::new(" id1 "));
        assert_eq!(
            d.action(&t, "submit").call,
            Some((
                "device.recycle",
                json!({"device": "ID1", "confirm": "ID1", "pin": "97531864"})
            ))
        );
        let out = d.reply(&mut t, "device.recycle", Ok(json!({})));
        assert!(out.close && out.relist);
    }
}
