//! The FIDO PIN: set the first one, change it. The key's minPINLength (default
//! 4 code points) and CTAP's 63-byte ceiling are checked before anything is
//! sent; a wrong current PIN wipes what was typed and says how many tries are
//! left (never retried); three wrong in a row (PIN_AUTH_BLOCKED) says to
//! replug the key; blocked goes back to the panel, which offers the reset.

use serde_json::{json, Value};

use crate::protocol::ErrorBody;

use super::super::super::view::{Block, RuleView, Text, Tone};
use super::super::form::pin_field;
use super::super::{button, Body, Out, Token};
use super::{pin_failure, wrong_pin_text, Fido, FidoInfo, PinFailure, Screen, MAX_PIN_BYTES};

/// What is wrong with `new` (and its confirmation) for this key.
fn check_new(
    info: &FidoInfo,
    new: &str,
    confirm: &str,
    old: Option<&str>,
) -> Vec<(&'static str, Text)> {
    let mut out = vec![];
    let chars = new.chars().count();
    if new.is_empty() {
        out.push(("new", Text::key("err_new_pin_empty")));
        return out;
    }
    if chars < info.min_pin() {
        out.push((
            "new",
            Text::with("fido_err_too_short", [info.min_pin().to_string()]),
        ));
    }
    if new.len() > MAX_PIN_BYTES {
        out.push(("new", Text::key("fido_err_too_long")));
    }
    if old.is_some_and(|o| o == new) {
        out.push(("new", Text::key("fido_err_unchanged")));
    }
    if confirm != new {
        out.push(("confirm_new", Text::key("fido_err_mismatch")));
    }
    out
}

impl Fido {
    pub(super) fn pin_body(&self, info: &FidoInfo) -> Body {
        let change = self.screen == Screen::ChangePin;
        let mut blocks = vec![];
        if change {
            let mut old = pin_field(&self.form, "old", "fido_field_old", false);
            if let Some(n) = info.tries().filter(|&n| n > 1) {
                old.hint = Some(Text::with("hint_tries_left", [n.to_string()]));
            }
            blocks.push(Block::Field(old));
            if info.tries() == Some(1) {
                blocks.push(Block::Text {
                    text: Text::key("fido_last_try"),
                    tone: Tone::Warning,
                });
                blocks.push(Block::Field(
                    self.form.checkbox("last_try", "last_try_confirm"),
                ));
            }
        } else {
            blocks.push(Block::Text {
                text: Text::key("fido_set_pin_intro"),
                tone: Tone::Info,
            });
        }
        let new = self.form.get("new");
        let met = |ok: bool| (!new.is_empty()).then_some(ok);
        let mut items = vec![RuleView {
            text: Text::with("fido_rule_min", [info.min_pin().to_string()]),
            met: met(new.chars().count() >= info.min_pin() && new.len() <= MAX_PIN_BYTES),
        }];
        if change {
            items.push(RuleView {
                text: Text::key("rule_changed"),
                met: met(new != self.form.get("old")),
            });
        }
        blocks.push(Block::Rules {
            label: Text::key("fido_rules_label"),
            items,
        });
        let mut f = pin_field(&self.form, "new", "fido_field_new", false);
        f.hint = Some(Text::key("fido_hint_new"));
        blocks.push(Block::Field(f));
        blocks.push(Block::Field(pin_field(
            &self.form,
            "confirm_new",
            "fido_field_confirm",
            false,
        )));
        Body {
            step: if change { "change_pin" } else { "set_pin" },
            blocks,
            error: self.error.clone(),
            actions: vec![
                button(
                    "submit",
                    if change {
                        "fido_btn_change_pin"
                    } else {
                        "fido_btn_set_pin"
                    },
                    true,
                ),
                button("back", "btn_back", false),
            ],
        }
    }

    pub(super) fn pin_action(&mut self, t: &Token, id: &str) -> Out {
        let Some(info) = self.info.clone() else {
            return Out::none();
        };
        if id != "submit" {
            return Out::none();
        }
        let change = self.screen == Screen::ChangePin;
        self.form.clear_errors();
        self.error = None;
        let mut ok = true;
        if change {
            if self.form.get("old").is_empty() {
                self.form.error("old", Text::key("err_pin_empty"));
                ok = false;
            }
            if info.tries() == Some(1) && !self.form.flag("last_try") {
                self.form.error("last_try", Text::key("err_last_try"));
                ok = false;
            }
        }
        let old = change.then(|| self.form.get("old").to_owned());
        let problems = check_new(
            &info,
            self.form.get("new"),
            self.form.get("confirm_new"),
            old.as_deref(),
        );
        ok &= problems.is_empty();
        for (field, text) in problems {
            self.form.error(field, text);
        }
        if !ok {
            return Out::none();
        }
        if change {
            Out::call(
                "fido.pin.change",
                json!({"device": t.id, "old": self.form.get("old"), "new": self.form.get("new")}),
            )
        } else {
            Out::call(
                "fido.pin.set",
                json!({"device": t.id, "pin": self.form.get("new")}),
            )
        }
    }

    pub(super) fn pin_reply(&mut self, t: &Token, result: Result<Value, ErrorBody>) -> Out {
        let change = self.screen == Screen::ChangePin;
        match result {
            Ok(_) => {
                self.show_panel();
                self.flash = Some(Text::key(if change {
                    "fido_pin_changed"
                } else {
                    "fido_pin_was_set"
                }));
                self.load_info(t)
            }
            Err(e) => {
                match pin_failure(&e) {
                    PinFailure::Wrong(n) => {
                        self.form.reset();
                        if let (Some(n), Some(r)) =
                            (n, self.info.as_mut().and_then(|i| i.retries.as_mut()))
                        {
                            r.retries = n;
                        }
                        self.form.error("old", wrong_pin_text(n));
                    }
                    PinFailure::PowerCycle => {
                        self.form.reset();
                        self.power_cycle = true;
                        self.error = Some(Text::key("fido_power_cycle"));
                    }
                    PinFailure::Blocked => {
                        self.form.reset();
                        self.flash = None;
                        self.error = None;
                        return self.load_info(t);
                    }
                    PinFailure::Other(text) if e.code == crate::protocol::ErrorCode::PinPolicy => {
                        self.form.error("new", text);
                    }
                    PinFailure::Other(text) => self.error = Some(text),
                }
                Out::none()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::tests::field_errors;
    use super::super::tests::{info_not_set, info_set, opened};
    use super::*;
    use crate::popup::dialogs::Dialog;
    use crate::protocol::ErrorCode;
    use crate::secret::Secret;

    fn typed(d: &mut Fido, t: &Token, pairs: &[(&str, &str)]) {
        for (k, v) in pairs {
            d.input(t, k, Secret::new(*v));
        }
    }

    #[test]
    fn set_pin_enforces_min_length_and_match_before_sending() {
        let (mut d, t) = opened(info_not_set());
        d.action(&t, "set_pin");
        assert_eq!(d.body(&t).step, "set_pin");
        assert_eq!(d.title(), Text::key("fido_title_set_pin"));
        typed(&mut d, &t, &[("new", "12345"), ("confirm_new", "12346")]);
        assert_eq!(d.action(&t, "submit"), Out::none(), "nothing sent");
        let b = d.body(&t);
        assert_eq!(
            field_errors(&b, "new"),
            vec![Text::with("fido_err_too_short", ["6".to_string()])]
        );
        assert_eq!(
            field_errors(&b, "confirm_new"),
            vec![Text::key("fido_err_mismatch")]
        );
        let long = "é".repeat(32);
        typed(&mut d, &t, &[("new", &long), ("confirm_new", &long)]);
        d.action(&t, "submit");
        assert_eq!(
            field_errors(&d.body(&t), "new"),
            vec![Text::key("fido_err_too_long")],
            "64 bytes"
        );
        typed(&mut d, &t, &[("new", "135792"), ("confirm_new", "135792")]);
        assert_eq!(
            d.action(&t, "submit").call,
            Some(("fido.pin.set", json!({"device": "ID1", "pin": "135792"})))
        );
        let mut t2 = t.clone();
        let out = d.reply(&mut t2, "fido.pin.set", Ok(json!({})));
        assert_eq!(out.call.map(|c| c.0), Some("fido.info"), "panel refreshed");
        d.reply(&mut t2, "fido.info", Ok(info_set(8)));
        let b = d.body(&t);
        assert_eq!(b.step, "panel");
        assert_eq!(
            b.blocks[0],
            Block::Text {
                text: Text::key("fido_pin_was_set"),
                tone: Tone::Ok
            }
        );
    }

    #[test]
    fn change_pin_wrong_shows_tries_and_wipes_never_retries() {
        let (mut d, t) = opened(info_set(8));
        d.action(&t, "change_pin");
        let gen = d.form_gen();
        typed(
            &mut d,
            &t,
            &[("old", "1111"), ("new", "1111"), ("confirm_new", "1111")],
        );
        d.action(&t, "submit");
        assert_eq!(
            field_errors(&d.body(&t), "new"),
            vec![Text::key("fido_err_unchanged")]
        );
        typed(&mut d, &t, &[("new", "24680"), ("confirm_new", "24680")]);
        let call = d.action(&t, "submit").call.expect("call");
        assert_eq!(
            call,
            (
                "fido.pin.change",
                json!({"device": "ID1", "old": "1111", "new": "24680"})
            )
        );
        let mut t2 = t.clone();
        let out = d.reply(
            &mut t2,
            "fido.pin.change",
            Err(ErrorBody::new(ErrorCode::WrongPin, "x").with("tries_left", 7)),
        );
        assert!(out.call.is_none(), "never retried");
        assert!(d.form_gen() > gen, "typed PINs wiped");
        assert_eq!(d.form.get("old"), "");
        let b = d.body(&t);
        assert_eq!(
            field_errors(&b, "old"),
            vec![Text::with("fido_err_wrong_pin", ["7".to_string()])]
        );
        assert_eq!(d.info.as_ref().and_then(FidoInfo::tries), Some(7));
    }

    #[test]
    fn last_try_needs_the_box() {
        let (mut d, t) = opened(info_set(1));
        d.action(&t, "change_pin");
        assert!(super::super::tests::keys(&d.body(&t)).contains(&"fido_last_try"));
        typed(
            &mut d,
            &t,
            &[("old", "1111"), ("new", "24680"), ("confirm_new", "24680")],
        );
        assert_eq!(d.action(&t, "submit"), Out::none());
        typed(&mut d, &t, &[("last_try", "true")]);
        assert!(d.action(&t, "submit").call.is_some());
    }

    #[test]
    fn pin_auth_blocked_says_replug_and_blocked_goes_show_panel() {
        let (mut d, t) = opened(info_set(5));
        let mut t2 = t.clone();
        d.action(&t, "change_pin");
        typed(
            &mut d,
            &t,
            &[("old", "1111"), ("new", "24680"), ("confirm_new", "24680")],
        );
        d.action(&t, "submit");
        d.reply(
            &mut t2,
            "fido.pin.change",
            Err(ErrorBody::new(ErrorCode::PinBlocked, "x").with("power_cycle", true)),
        );
        assert_eq!(d.body(&t).error, Some(Text::key("fido_power_cycle")));
        typed(
            &mut d,
            &t,
            &[("old", "1111"), ("new", "24680"), ("confirm_new", "24680")],
        );
        d.action(&t, "submit");
        let out = d.reply(
            &mut t2,
            "fido.pin.change",
            Err(ErrorBody::new(ErrorCode::PinBlocked, "blocked")),
        );
        assert_eq!(out.call.map(|c| c.0), Some("fido.info"));
        d.reply(&mut t2, "fido.info", Ok(info_set(0)));
        assert!(super::super::tests::keys(&d.body(&t)).contains(&"fido_pin_blocked"));
    }

    #[test]
    fn key_refusing_the_pin_and_other_errors() {
        let (mut d, t) = opened(info_not_set());
        let mut t2 = t.clone();
        d.action(&t, "set_pin");
        typed(&mut d, &t, &[("new", "135792"), ("confirm_new", "135792")]);
        d.action(&t, "submit");
        d.reply(
            &mut t2,
            "fido.pin.set",
            Err(ErrorBody::new(ErrorCode::PinPolicy, "refused")),
        );
        assert_eq!(
            field_errors(&d.body(&t), "new"),
            vec![Text::key("fido_err_key_refused_pin")]
        );
        d.reply(
            &mut t2,
            "fido.pin.set",
            Err(ErrorBody::new(ErrorCode::DeviceNotFound, "gone")),
        );
        assert_eq!(d.body(&t).error, Some(Text::key("fido_err_gone")));
        d.action(&t, "back");
        assert_eq!(d.body(&t).step, "panel");
    }
}
