//! View PUK and the VCI pairing code: the PIN first (unless verified), one
//! call, the value shown with a Copy button until the dialog closes.

use serde_json::{json, Value};

use crate::protocol::{ErrorBody, ErrorCode, PinStatus};

use super::super::view::{Action, Block, Text, Tone};
use super::form::{check_pin_entry, pin_entry, Form};
use super::{blocked_body, button, cancel, para, pin_failure, Body, Dialog, Failure, Out, Token};

/// Which value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret {
    /// The stored PUK (`puk.show`).
    Puk,
    /// The VCI pairing code (`pairing_code.get`).
    PairingCode,
}

impl Secret {
    fn method(self) -> &'static str {
        match self {
            Secret::Puk => "puk.show",
            Secret::PairingCode => "pairing_code.get",
        }
    }

    fn result_field(self) -> &'static str {
        match self {
            Secret::Puk => "puk",
            Secret::PairingCode => "code",
        }
    }

    fn key(self, puk: &'static str, code: &'static str) -> &'static str {
        match self {
            Secret::Puk => puk,
            Secret::PairingCode => code,
        }
    }
}

/// The dialog.
#[derive(Debug)]
pub struct Reveal {
    what: Secret,
    form: Form,
    need_pin: bool,
    value: Option<crate::secret::Secret>,
    error: Option<Text>,
    unavailable: bool,
}

impl Reveal {
    /// A fresh dialog.
    pub fn new(t: &Token, what: Secret) -> Reveal {
        Reveal {
            what,
            form: Form::default(),
            need_pin: !t.verified(),
            value: None,
            error: None,
            unavailable: false,
        }
    }

    fn fetch(&self, t: &Token) -> Out {
        let mut params = json!({"device": t.id});
        if self.need_pin {
            params["pin"] = json!(self.form.get("pin"));
        }
        Out::call(self.what.method(), params)
    }
}

impl Dialog for Reveal {
    fn kind(&self) -> Action {
        match self.what {
            Secret::Puk => Action::ViewPuk,
            Secret::PairingCode => Action::PairingCode,
        }
    }

    fn start(&mut self, t: &Token) -> Out {
        if self.need_pin {
            Out::none()
        } else {
            self.fetch(t)
        }
    }

    fn body(&self, t: &Token) -> Body {
        if let Some(v) = &self.value {
            return Body {
                step: "result",
                blocks: vec![
                    Block::Output {
                        name: self.what.result_field(),
                        label: Text::key(self.what.key("out_puk", "out_pairing_code")),
                        value: v.expose().to_owned(),
                        copy: true,
                    },
                    para(self.what.key("hint_puk", "hint_pairing_code"), Tone::Info),
                ],
                error: None,
                actions: vec![button("cancel", "btn_done", true)],
            };
        }
        if t.pin == Some(PinStatus::Blocked) {
            return blocked_body(t);
        }
        if self.unavailable {
            return Body {
                step: "unavailable",
                blocks: vec![],
                error: self.error.clone(),
                actions: vec![button("cancel", "btn_close", true)],
            };
        }
        let mut blocks = vec![];
        if self.need_pin {
            blocks.push(para(
                self.what
                    .key("dlg_view_puk_intro", "dlg_pairing_code_intro"),
                Tone::Info,
            ));
            blocks.extend(pin_entry(&self.form, t, "pin", "field_pin"));
        } else {
            blocks.push(Block::Progress {
                text: Text::key("progress_reading"),
            });
        }
        Body {
            step: "form",
            blocks,
            error: self.error.clone(),
            actions: vec![
                button(
                    "submit",
                    self.what.key("btn_show_puk", "btn_show_code"),
                    true,
                ),
                cancel(),
            ],
        }
    }

    fn form_gen(&self) -> u32 {
        self.form.gen()
    }

    fn input(&mut self, _t: &Token, name: &str, value: crate::secret::Secret) -> Out {
        self.form.set(name, value);
        Out::none()
    }

    fn action(&mut self, t: &Token, id: &str) -> Out {
        match id {
            "unblock" => Out::open(Action::Unblock),
            "submit" if self.value.is_none() && !self.unavailable => {
                self.form.clear_errors();
                self.error = None;
                if self.need_pin && !check_pin_entry(&mut self.form, t, "pin") {
                    return Out::none();
                }
                self.fetch(t)
            }
            _ => Out::none(),
        }
    }

    fn reply(&mut self, t: &mut Token, _method: &str, result: Result<Value, ErrorBody>) -> Out {
        let sent_pin = self.need_pin;
        match result {
            Ok(v) => {
                self.form.reset();
                self.value = v
                    .get(self.what.result_field())
                    .and_then(Value::as_str)
                    .map(crate::secret::Secret::new);
                if self.value.is_none() {
                    self.error = Some(Text::with("err_unexpected", ["no value".to_owned()]));
                }
                Out {
                    relist: sent_pin,
                    ..Out::none()
                }
            }
            Err(e) if e.code == ErrorCode::NotSupported => {
                self.unavailable = true;
                self.error = Some(Text::key(
                    self.what.key("err_no_puk", "err_no_pairing_code"),
                ));
                Out::none()
            }
            Err(e) => {
                match pin_failure(t, &mut self.form, "pin", &e) {
                    Failure::PinRequired => self.need_pin = true,
                    Failure::Other(text) => self.error = Some(text),
                    Failure::Pin | Failure::Blocked => {}
                }
                Out {
                    relist: sent_pin,
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
    fn puk_after_the_pin_with_copy() {
        let mut t = crescendo(Some(6));
        let mut d = Reveal::new(&t, Secret::Puk);
        assert_eq!(d.start(&t), Out::none(), "waits for the PIN");
        d.input(&t, "pin", crate::secret::Secret::new("80246813"));
        assert_eq!(
            d.action(&t, "submit").call,
            Some(("puk.show", json!({"device": "ID1", "pin": "80246813"})))
        );
        d.reply(&mut t, "puk.show", Ok(json!({"puk": "12345678"})));
        let body = d.body(&t);
        assert_eq!(body.step, "result");
        assert!(
            matches!(&body.blocks[0], Block::Output { value, copy: true, .. } if value == "12345678")
        );
        assert_eq!(d.form.get("pin"), "", "the PIN is gone once shown");
    }

    #[test]
    fn verified_token_reads_at_once_and_pin_required_asks() {
        let mut t = crescendo(None);
        t.pin = Some(PinStatus::Verified);
        let mut d = Reveal::new(&t, Secret::PairingCode);
        assert_eq!(
            d.start(&t).call,
            Some(("pairing_code.get", json!({"device": "ID1"})))
        );
        d.reply(
            &mut t,
            "pairing_code.get",
            Err(ErrorBody::new(ErrorCode::PinRequired, "x")),
        );
        assert!(d.need_pin);
        assert_eq!(
            field_errors(&d.body(&t), "pin"),
            vec![Text::key("err_pin_required")]
        );
    }

    #[test]
    fn no_stored_puk_says_what_to_do() {
        let mut t = crescendo(Some(6));
        let mut d = Reveal::new(&t, Secret::Puk);
        d.input(&t, "pin", crate::secret::Secret::new("00000000"));
        d.action(&t, "submit");
        d.reply(
            &mut t,
            "puk.show",
            Err(ErrorBody::new(ErrorCode::NotSupported, "x")),
        );
        let body = d.body(&t);
        assert_eq!(body.step, "unavailable");
        assert_eq!(body.error, Some(Text::key("err_no_puk")));
    }
}
