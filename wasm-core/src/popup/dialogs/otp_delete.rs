//! Delete an OTP account: confirmed by typing its entry id (the host checks
//! `confirm == entry`); the PIN only when the host asks for it.

use serde_json::{json, Value};

use crate::protocol::OtpEntry;
use crate::protocol::{ErrorBody, ErrorCode, PinStatus};
use crate::secret::Secret;

use super::super::otp_view::kind_upper;
use super::super::view::{Action, Block, InputKind, Text, Tone};
use super::form::{check_pin_entry, pin_entry, Form};
use super::{blocked_body, button, cancel, pin_failure, Body, Dialog, Failure, Out, Token};

/// The Delete dialog of one entry.
#[derive(Debug)]
pub struct OtpDelete {
    entry: OtpEntry,
    title: Text,
    form: Form,
    need_pin: bool,
    error: Option<Text>,
}

impl OtpDelete {
    /// A dialog for `entry`, named `title`.
    pub fn new(entry: OtpEntry, title: Text) -> OtpDelete {
        OtpDelete {
            entry,
            title,
            form: Form::default(),
            need_pin: false,
            error: None,
        }
    }
}

impl Dialog for OtpDelete {
    fn kind(&self) -> Action {
        Action::OtpDelete
    }

    fn body(&self, t: &Token) -> Body {
        if self.need_pin && t.pin == Some(PinStatus::Blocked) {
            return blocked_body(t);
        }
        let mut blocks = vec![
            Block::Output {
                name: "entry",
                label: self.title.clone(),
                value: match self.entry.kind {
                    Some(k) => format!("{} · {}", self.entry.id, kind_upper(k)),
                    None => self.entry.id.clone(),
                },
                copy: false,
            },
            Block::Text {
                text: Text::key("dlg_otp_delete_warning"),
                tone: Tone::Danger,
            },
        ];
        if self.need_pin {
            blocks.extend(pin_entry(&self.form, t, "pin", "field_pin"));
        }
        let mut f = self.form.field(
            "confirm",
            InputKind::Text,
            Text::with("field_confirm_entry", [self.entry.id.clone()]),
        );
        f.mono = true;
        blocks.push(Block::Field(f));
        let mut submit = button("submit", "btn_delete", true);
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
            "submit" => {
                self.form.clear_errors();
                self.error = None;
                let mut ok = true;
                if self.form.get("confirm").trim() != self.entry.id {
                    self.form.error(
                        "confirm",
                        Text::with("err_confirmation_entry", [self.entry.id.clone()]),
                    );
                    ok = false;
                }
                if self.need_pin && !check_pin_entry(&mut self.form, t, "pin") {
                    ok = false;
                }
                if !ok {
                    return Out::none();
                }
                let mut params = json!({"device": t.id, "entry": self.entry.id,
                    "confirm": self.form.get("confirm").trim()});
                if self.need_pin {
                    params["pin"] = json!(self.form.get("pin"));
                }
                Out::call("otp.delete", params)
            }
            _ => Out::none(),
        }
    }

    fn reply(&mut self, t: &mut Token, _method: &str, result: Result<Value, ErrorBody>) -> Out {
        match result {
            Ok(_) => Out {
                store: Some((self.entry.id.clone(), None)),
                ..Out::done(Text::key("notice_otp_deleted"))
            },
            Err(e) if e.code == ErrorCode::ConfirmationMismatch => {
                self.form.error(
                    "confirm",
                    Text::with("err_confirmation_entry", [self.entry.id.clone()]),
                );
                Out::none()
            }
            Err(e) => {
                if e.code == ErrorCode::PinRequired {
                    self.need_pin = true;
                }
                if let Failure::Other(text) = pin_failure(t, &mut self.form, "pin", &e) {
                    self.error = Some(text);
                }
                Out::none()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{crescendo, field_errors, has_field};
    use super::*;

    fn entry() -> OtpEntry {
        serde_json::from_value(
            json!({"id": "slot-3", "slot": 3, "configured": true, "kind": "ocra", "touch": false}),
        )
        .expect("entry")
    }

    #[test]
    fn typed_confirmation_names_the_entry() {
        let mut t = crescendo(Some(6));
        let mut d = OtpDelete::new(entry(), Text::key("otp_slot_n"));
        d.input(&t, "confirm", Secret::new("slot-2"));
        assert_eq!(d.action(&t, "submit").call, None);
        assert_eq!(
            field_errors(&d.body(&t), "confirm"),
            vec![Text::with("err_confirmation_entry", ["slot-3".to_string()])]
        );
        d.input(&t, "confirm", Secret::new(" slot-3 "));
        let out = d.action(&t, "submit");
        assert_eq!(
            out.call,
            Some((
                "otp.delete",
                json!({"device": "ID1", "entry": "slot-3", "confirm": "slot-3"})
            ))
        );
        let out = d.reply(&mut t, "otp.delete", Ok(json!({})));
        assert!(out.close && out.relist);
        assert_eq!(out.store, Some(("slot-3".to_string(), None)));
    }

    #[test]
    fn pin_required_shows_the_pin_field() {
        let mut t = crescendo(Some(6));
        let mut d = OtpDelete::new(entry(), Text::key("otp_slot_n"));
        d.input(&t, "confirm", Secret::new("slot-3"));
        d.action(&t, "submit");
        let out = d.reply(
            &mut t,
            "otp.delete",
            Err(ErrorBody::new(ErrorCode::PinRequired, "x")),
        );
        assert_eq!(out.call, None);
        assert!(has_field(&d.body(&t), "pin"));
        d.input(&t, "pin", Secret::new("00000000"));
        let call = d.action(&t, "submit").call.expect("call");
        assert_eq!(call.1["pin"], json!("00000000"));
    }
}
