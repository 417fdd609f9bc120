//! One OTP code: OCRA asks for the challenge first; then `otp.code`, a "touch
//! your key" state while the host streams `otp.touch`, the code (copied to the
//! clipboard) with its validity. A PIN the host asks for is typed here and
//! sent once with the next request, never retried on its own.

use serde_json::{json, Value};

use crate::protocol::{ErrorBody, ErrorCode, PinStatus};
use crate::protocol::{OtpCode, OtpEntry, OtpKind};
use crate::secret::Secret;

use super::super::view::{Action, Block, Choice, InputKind, Text, Tone};
use super::form::{check_pin_entry, pin_entry, Form};
use super::{
    blocked_body, button, host_error_text, para, pin_failure, touch_block, touch_seconds, Body,
    Dialog, Failure, Out, Token,
};

/// `otp.code`'s challenge format parameter (spelled so the locale test does
/// not take it for a message key).
const FORMAT_PARAM: &str = concat!("challenge", "_format");

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Challenge,
    Pin,
    Waiting,
    Code(OtpCodeShown),
    Timeout,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct OtpCodeShown {
    value: Secret,
    valid_until: Option<u64>,
    period: Option<u32>,
}

/// The code dialog of one entry.
#[derive(Debug)]
pub struct OtpCodeDialog {
    entry: OtpEntry,
    title: Text,
    form: Form,
    step: Step,
    /// The step to go back to on Retry (challenge or PIN entry).
    back: Step,
    touch: Option<u64>,
    error: Option<Text>,
}

impl OtpCodeDialog {
    /// A dialog for `entry`, named `title`.
    pub fn new(entry: OtpEntry, title: Text) -> OtpCodeDialog {
        let mut form = Form::default();
        form.set_plain("ocra_format", "numeric");
        OtpCodeDialog {
            entry,
            title,
            form,
            step: Step::Waiting,
            back: Step::Waiting,
            touch: None,
            error: None,
        }
    }

    fn ocra(&self) -> bool {
        self.entry.kind == Some(OtpKind::Ocra)
    }

    fn request(&mut self, t: &Token, pin: bool) -> Out {
        let mut params = json!({"device": t.id, "entry": self.entry.id});
        if self.ocra() {
            params["challenge"] = json!(self.form.get("challenge").trim());
            params[FORMAT_PARAM] = json!(self.form.get("ocra_format"));
        }
        if pin {
            params["pin"] = json!(self.form.get("pin"));
        }
        self.step = Step::Waiting;
        self.touch = None;
        self.error = None;
        Out::call("otp.code", params)
    }

    fn challenge_blocks(&self) -> Vec<Block> {
        let mut q = self.form.field(
            "challenge",
            InputKind::Text,
            Text::key("field_otp_challenge"),
        );
        q.mono = true;
        q.hint = Some(Text::key("hint_otp_challenge"));
        q.inputmode = (self.form.get("ocra_format") == "numeric").then_some("numeric");
        let mut f = self.form.field(
            "ocra_format",
            InputKind::Select,
            Text::key("field_otp_challenge_format"),
        );
        f.options = vec![
            Choice::new("numeric", Text::key("otp_challenge_numeric")),
            Choice::new("alphanumeric", Text::key("otp_challenge_alphanumeric")),
            Choice::new("hex", Text::key("otp_challenge_hex")),
        ];
        vec![Block::Field(q), Block::Field(f)]
    }
}

impl Dialog for OtpCodeDialog {
    fn kind(&self) -> Action {
        Action::OtpCode
    }

    fn start(&mut self, t: &Token) -> Out {
        if self.ocra() {
            self.step = Step::Challenge;
            self.back = Step::Challenge;
            return Out::none();
        }
        self.request(t, false)
    }

    fn body(&self, t: &Token) -> Body {
        let close = button("cancel", "btn_close", false);
        match &self.step {
            Step::Challenge => {
                let mut blocks = vec![para("dlg_otp_challenge_intro", Tone::Info)];
                blocks.extend(self.challenge_blocks());
                Body {
                    step: "challenge",
                    blocks,
                    error: self.error.clone(),
                    actions: vec![button("submit", "btn_get_code", true), close],
                }
            }
            Step::Pin if t.pin == Some(PinStatus::Blocked) => blocked_body(t),
            Step::Pin => {
                let mut blocks = vec![para("dlg_otp_pin_intro", Tone::Info)];
                blocks.extend(pin_entry(&self.form, t, "pin", "field_pin"));
                Body {
                    step: "pin",
                    blocks,
                    error: self.error.clone(),
                    actions: vec![button("submit", "btn_get_code", true), close],
                }
            }
            Step::Waiting => Body {
                step: if self.touch.is_some() {
                    "touch"
                } else {
                    "waiting"
                },
                blocks: vec![match self.touch {
                    Some(s) => touch_block("otp_touch_key", s),
                    None => Block::Progress {
                        text: Text::key("progress_otp_code"),
                    },
                }],
                error: None,
                actions: vec![close],
            },
            Step::Code(c) => {
                let mut actions = vec![];
                if c.valid_until.is_some() || self.entry.kind == Some(OtpKind::Hotp) {
                    actions.push(button("again", "btn_new_code", false));
                } else if self.ocra() {
                    actions.push(button("again", "btn_new_challenge", false));
                }
                actions.insert(0, button("cancel", "btn_close", true));
                Body {
                    step: "code",
                    blocks: vec![
                        Block::Code {
                            label: self.title.clone(),
                            value: c.value.expose().to_owned(),
                            valid_until: c.valid_until,
                            period: c.period,
                        },
                        para("otp_copied_hint", Tone::Info),
                    ],
                    error: None,
                    actions,
                }
            }
            Step::Timeout => Body {
                step: "timeout",
                blocks: vec![para("err_touch_timeout", Tone::Warning)],
                error: None,
                actions: vec![button("retry", "btn_retry", true), close],
            },
            Step::Failed => Body {
                step: "error",
                blocks: vec![],
                error: self.error.clone(),
                actions: vec![button("retry", "btn_retry", true), close],
            },
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
        match (id, &self.step) {
            ("unblock", _) => Out::open(Action::Unblock),
            ("submit", Step::Challenge) => {
                self.form.clear_errors();
                if self.form.get("challenge").trim().is_empty() {
                    self.form
                        .error("challenge", Text::key("err_otp_challenge_empty"));
                    return Out::none();
                }
                self.back = Step::Challenge;
                self.request(t, false)
            }
            ("submit", Step::Pin) if t.pin != Some(PinStatus::Blocked) => {
                self.form.clear_errors();
                self.error = None;
                if !check_pin_entry(&mut self.form, t, "pin") {
                    return Out::none();
                }
                let out = self.request(t, true);
                self.form.reset();
                out
            }
            ("again", Step::Code(_)) if self.ocra() => {
                self.step = Step::Challenge;
                Out::none()
            }
            ("again", Step::Code(_)) | ("retry", Step::Timeout | Step::Failed) => {
                if self.back == Step::Challenge {
                    self.step = Step::Challenge;
                    return Out::none();
                }
                self.request(t, false)
            }
            _ => Out::none(),
        }
    }

    fn reply(&mut self, t: &mut Token, _method: &str, result: Result<Value, ErrorBody>) -> Out {
        self.touch = None;
        match result {
            Ok(v) => match serde_json::from_value::<OtpCode>(v) {
                Ok(code) => {
                    let copy = code.code.clone();
                    self.step = Step::Code(OtpCodeShown {
                        value: code.code,
                        valid_until: code.valid_until,
                        period: code.period,
                    });
                    Out {
                        copy: Some(copy),
                        ..Out::none()
                    }
                }
                Err(e) => {
                    self.step = Step::Failed;
                    self.error = Some(Text::with("err_unexpected", [e.to_string()]));
                    Out::none()
                }
            },
            Err(e) if e.code == ErrorCode::TouchTimeout => {
                self.step = Step::Timeout;
                Out::none()
            }
            Err(e) if e.code == ErrorCode::BadInput && self.ocra() => {
                self.step = Step::Challenge;
                self.form.error("challenge", Text::key("err_otp_challenge"));
                Out::none()
            }
            Err(e)
                if matches!(
                    e.code,
                    ErrorCode::PinRequired | ErrorCode::WrongPin | ErrorCode::PinBlocked
                ) =>
            {
                self.step = Step::Pin;
                let failure = pin_failure(t, &mut self.form, "pin", &e);
                if let Failure::Other(text) = failure {
                    self.error = Some(text);
                }
                Out {
                    relist: e.code != ErrorCode::PinRequired,
                    ..Out::none()
                }
            }
            Err(e) => {
                self.step = Step::Failed;
                self.error = Some(host_error_text(&e));
                Out::none()
            }
        }
    }

    fn event(&mut self, _t: &Token, name: &str, data: &Value) -> Out {
        if name == "otp.touch" && self.step == Step::Waiting {
            self.touch = Some(touch_seconds(data));
        }
        Out::none()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{crescendo, field_errors};
    use super::*;
    use serde_json::json;

    fn entry(kind: &str) -> OtpEntry {
        serde_json::from_value(
            json!({"id": "slot-2", "slot": 2, "configured": true, "kind": kind,
            "algorithm": "sha1", "digits": 6, "access": "always", "touch": false}),
        )
        .expect("entry")
    }

    #[test]
    fn totp_code_is_copied_with_its_validity() {
        let mut t = crescendo(Some(6));
        let mut d = OtpCodeDialog::new(entry("totp"), Text::literal("Example: alice"));
        let out = d.start(&t);
        assert_eq!(
            out.call,
            Some(("otp.code", json!({"device": "ID1", "entry": "slot-2"})))
        );
        assert_eq!(d.body(&t).step, "waiting");
        let out = d.reply(
            &mut t,
            "otp.code",
            Ok(json!({"code": "123456", "valid_until": 1_700_000_010u64, "period": 30})),
        );
        assert_eq!(out.copy, Some(Secret::new("123456")));
        let body = d.body(&t);
        assert_eq!(body.step, "code");
        assert!(
            matches!(&body.blocks[0], Block::Code { value, valid_until: Some(1_700_000_010), period: Some(30), .. } if value == "123456")
        );
        assert_eq!(d.action(&t, "again").call.map(|c| c.0), Some("otp.code"));
    }

    #[test]
    fn touch_events_show_the_seconds_left_and_timeout_offers_retry() {
        let mut t = crescendo(Some(6));
        let mut d = OtpCodeDialog::new(entry("hotp"), Text::key("otp_slot_n"));
        d.start(&t);
        d.event(
            &t,
            "otp.touch",
            &json!({"entry": "slot-2", "attempt": 1, "remaining_ms": 29_500}),
        );
        let body = d.body(&t);
        assert_eq!(body.step, "touch");
        assert_eq!(body.blocks, vec![touch_block("otp_touch_key", 30)]);
        d.reply(
            &mut t,
            "otp.code",
            Err(ErrorBody::new(ErrorCode::TouchTimeout, "x")),
        );
        let body = d.body(&t);
        assert_eq!(body.step, "timeout");
        assert_eq!(body.actions[0].id, "retry");
        assert!(d.action(&t, "retry").call.is_some());
    }

    #[test]
    fn pin_required_asks_once_and_never_retries() {
        let mut t = crescendo(Some(6));
        let mut d = OtpCodeDialog::new(entry("totp"), Text::key("otp_slot_n"));
        d.start(&t);
        let out = d.reply(
            &mut t,
            "otp.code",
            Err(ErrorBody::new(ErrorCode::PinRequired, "x")),
        );
        assert_eq!(out.call, None, "no automatic retry");
        assert_eq!(d.body(&t).step, "pin");
        assert_eq!(d.action(&t, "submit").call, None, "empty PIN not sent");
        d.input(&t, "pin", Secret::new("00000000"));
        let out = d.action(&t, "submit");
        assert_eq!(
            out.call,
            Some((
                "otp.code",
                json!({"device": "ID1", "entry": "slot-2", "pin": "00000000"})
            ))
        );
        assert_eq!(d.form.get("pin"), "", "the PIN leaves the form once sent");
        d.reply(
            &mut t,
            "otp.code",
            Err(ErrorBody::new(ErrorCode::WrongPin, "x").with("tries_left", 5)),
        );
        assert_eq!(
            field_errors(&d.body(&t), "pin"),
            vec![Text::with("err_wrong_pin_tries", ["5".to_string()])]
        );
    }

    #[test]
    fn ocra_asks_for_the_challenge_first() {
        let mut t = crescendo(Some(6));
        let mut d = OtpCodeDialog::new(entry("ocra"), Text::key("otp_slot_n"));
        assert_eq!(d.start(&t), Out::none());
        assert_eq!(d.body(&t).step, "challenge");
        assert_eq!(d.action(&t, "submit").call, None);
        assert_eq!(
            field_errors(&d.body(&t), "challenge"),
            vec![Text::key("err_otp_challenge_empty")]
        );
        d.input(&t, "challenge", Secret::new("12345678"));
        let out = d.action(&t, "submit");
        let (_, p) = out.call.expect("call");
        assert_eq!(p["challenge"], json!("12345678"));
        assert_eq!(p[FORMAT_PARAM], json!("numeric"));
        d.reply(&mut t, "otp.code", Ok(json!({"code": "87654321"})));
        assert_eq!(d.body(&t).step, "code");
        assert_eq!(d.action(&t, "again"), Out::none());
        assert_eq!(d.body(&t).step, "challenge");
    }
}
