//! PIN policy: reads the stored policy and the card's limits, edits them
//! within those limits, stores with `pin.policy.set`. The FIDO shared-PIN
//! switch is editable only in Personalize.

use serde_json::{json, Value};

use crate::pin_policy::{CardLimits, ChallengeType, Charset, PinPolicy};
use crate::protocol::{ErrorBody, PolicyInfo};
use crate::secret::Secret;

use super::super::view::{Action, Block, Choice, InputKind, Text, Tone};
use super::errors::host_error_text;
use super::form::Form;
use super::{button, cancel, loading, para_with, Body, Dialog, Out, Token};

/// Puts `policy` into the form's fields.
pub fn fill(form: &mut Form, policy: &PinPolicy) {
    form.set_plain("min_len", policy.min_len.to_string());
    form.set_plain("max_len", policy.max_len.to_string());
    form.set_plain(
        "charset",
        match policy.charset {
            Charset::Numeric => "numeric",
            Charset::Alphanumeric => "alphanumeric",
        },
    );
    form.set_plain("refuse_weak", policy.refuse_weak.to_string());
    form.set_plain("force_change", policy.force_change.to_string());
    form.set_plain(
        "challenge",
        match policy.challenge {
            ChallengeType::Dynamic => "dynamic",
            ChallengeType::Static => "static",
        },
    );
    form.set_plain("fido_shared", policy.fido_shared.to_string());
}

fn choice(value: &'static str, label: &'static str) -> Choice {
    Choice::new(value, Text::key(label))
}

/// The policy fields (`fido_editable` only in Personalize).
pub fn fields(form: &Form, limits: CardLimits, fido_editable: bool) -> Vec<Block> {
    let mut blocks = vec![para_with(
        if limits.numeric_only {
            "policy_limits_digits"
        } else {
            "policy_limits_chars"
        },
        [limits.min_len.to_string(), limits.max_len.to_string()],
        Tone::Info,
    )];
    for (name, label) in [("min_len", "field_min_len"), ("max_len", "field_max_len")] {
        let mut f = form.field(name, InputKind::Number, Text::key(label));
        f.min = Some(limits.min_len);
        f.max = Some(limits.max_len);
        f.inputmode = Some("numeric");
        blocks.push(Block::Field(f));
    }
    let mut charset = form.field("charset", InputKind::Select, Text::key("field_charset"));
    charset.options = vec![
        choice("numeric", "charset_numeric"),
        choice("alphanumeric", "charset_alphanumeric"),
    ];
    if limits.numeric_only {
        charset.disabled = true;
        charset.hint = Some(Text::key("hint_charset_card"));
    }
    blocks.push(Block::Field(charset));
    let mut weak = form.checkbox("refuse_weak", "field_refuse_weak");
    weak.hint = Some(Text::key("hint_refuse_weak"));
    blocks.push(Block::Field(weak));
    let mut force = form.checkbox("force_change", "field_force_change");
    force.hint = Some(Text::key("hint_force_change"));
    blocks.push(Block::Field(force));
    let mut challenge = form.field("challenge", InputKind::Select, Text::key("field_challenge"));
    challenge.options = vec![
        choice("dynamic", "challenge_dynamic"),
        choice("static", "challenge_static"),
    ];
    blocks.push(Block::Field(challenge));
    let mut fido = form.checkbox("fido_shared", "field_fido_shared");
    fido.disabled = !fido_editable;
    fido.hint = Some(Text::key(if fido_editable {
        "hint_fido_shared"
    } else {
        "hint_fido_shared_locked"
    }));
    blocks.push(Block::Field(fido));
    blocks
}

/// Reads the policy from the form, checking it against the card's limits.
pub fn read(form: &mut Form, limits: CardLimits, base: &PinPolicy) -> Option<PinPolicy> {
    let mut len = |name: &'static str| -> Option<u8> {
        match form.get(name).trim().parse::<u8>() {
            Ok(n) if (limits.min_len..=limits.max_len).contains(&n) => Some(n),
            _ => {
                form.error(
                    name,
                    Text::with(
                        "err_len_range",
                        [limits.min_len.to_string(), limits.max_len.to_string()],
                    ),
                );
                None
            }
        }
    };
    let (min, max) = (len("min_len"), len("max_len"));
    let (min, max) = (min?, max?);
    if min > max {
        form.error("max_len", Text::key("err_len_order"));
        return None;
    }
    Some(PinPolicy {
        min_len: min,
        max_len: max,
        charset: if limits.numeric_only || form.get("charset") == "numeric" {
            Charset::Numeric
        } else {
            Charset::Alphanumeric
        },
        force_change: form.flag("force_change"),
        challenge: if form.get("challenge") == "static" {
            ChallengeType::Static
        } else {
            ChallengeType::Dynamic
        },
        refuse_weak: form.flag("refuse_weak"),
        fido_shared: if form.get("fido_shared").is_empty() {
            base.fido_shared
        } else {
            form.flag("fido_shared")
        },
    })
}

/// The PIN policy dialog.
#[derive(Debug, Default)]
pub struct PolicyDialog {
    info: Option<PolicyInfo>,
    form: Form,
    error: Option<Text>,
}

impl PolicyDialog {
    /// A fresh dialog (the policy is read on start).
    pub fn new() -> PolicyDialog {
        PolicyDialog::default()
    }
}

impl Dialog for PolicyDialog {
    fn kind(&self) -> Action {
        Action::PinPolicy
    }

    fn start(&mut self, t: &Token) -> Out {
        Out::call("pin.policy.get", json!({"device": t.id}))
    }

    fn body(&self, _t: &Token) -> Body {
        let Some(info) = &self.info else {
            if let Some(e) = &self.error {
                return Body {
                    step: "unavailable",
                    blocks: vec![],
                    error: Some(e.clone()),
                    actions: vec![button("cancel", "btn_close", true)],
                };
            }
            return loading("progress_policy");
        };
        Body {
            step: "form",
            blocks: fields(&self.form, info.limits, false),
            error: self.error.clone(),
            actions: vec![button("submit", "btn_save_policy", true), cancel()],
        }
    }

    fn form_gen(&self) -> u32 {
        self.form.gen()
    }

    fn input(&mut self, _t: &Token, name: &str, value: Secret) -> Out {
        if name != "fido_shared" {
            self.form.set(name, value);
        }
        Out::none()
    }

    fn action(&mut self, t: &Token, id: &str) -> Out {
        let Some(info) = &self.info else {
            return Out::none();
        };
        if id != "submit" {
            return Out::none();
        }
        self.form.clear_errors();
        self.error = None;
        match read(&mut self.form, info.limits, &info.policy) {
            Some(policy) => Out::call("pin.policy.set", json!({"device": t.id, "policy": policy})),
            None => Out::none(),
        }
    }

    fn reply(&mut self, _t: &mut Token, method: &str, result: Result<Value, ErrorBody>) -> Out {
        let info = result.and_then(|v| {
            serde_json::from_value::<PolicyInfo>(v)
                .map_err(|e| ErrorBody::new(crate::protocol::ErrorCode::Internal, e.to_string()))
        });
        match (method, info) {
            ("pin.policy.get", Ok(info)) => {
                fill(&mut self.form, &info.policy);
                self.info = Some(info);
                Out::none()
            }
            (_, Ok(_)) => Out::done(Text::key("notice_policy_saved")),
            (_, Err(e)) => {
                self.error = Some(host_error_text(&e));
                Out::none()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{crescendo, field_errors, policy_info};
    use super::*;

    #[test]
    fn edits_within_the_card_limits() {
        let mut t = crescendo(Some(6));
        let mut d = PolicyDialog::new();
        assert_eq!(d.start(&t).call.map(|c| c.0), Some("pin.policy.get"));
        d.reply(
            &mut t,
            "pin.policy.get",
            Ok(serde_json::to_value(policy_info()).expect("json")),
        );
        let body = d.body(&t);
        assert_eq!(body.step, "form");
        let charset = body
            .blocks
            .iter()
            .find_map(|b| match b {
                Block::Field(f) if f.name == "charset" => Some(f.clone()),
                _ => None,
            })
            .expect("charset");
        assert!(charset.disabled, "the card takes digits only");
        d.input(&t, "min_len", Secret::new("2"));
        assert_eq!(d.action(&t, "submit"), Out::none());
        assert_eq!(
            field_errors(&d.body(&t), "min_len"),
            vec![Text::with(
                "err_len_range",
                ["4".to_string(), "8".to_string()]
            )]
        );
        d.input(&t, "min_len", Secret::new("6"));
        d.input(&t, "refuse_weak", Secret::new("true"));
        d.input(&t, "fido_shared", Secret::new("true"));
        let (m, p) = d.action(&t, "submit").call.expect("call");
        assert_eq!(m, "pin.policy.set");
        assert_eq!(p["policy"]["min_len"], json!(6));
        assert_eq!(p["policy"]["refuse_weak"], json!(true));
        assert_eq!(p["policy"]["fido_shared"], json!(false), "Personalize only");
        let out = d.reply(
            &mut t,
            "pin.policy.set",
            Ok(serde_json::to_value(policy_info()).expect("json")),
        );
        assert!(out.close && out.relist);
    }
}
