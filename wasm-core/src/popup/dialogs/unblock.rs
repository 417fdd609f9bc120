//! Unblock PIN: with the admin key (Crescendo), by helpdesk challenge-response
//! (the challenge is shown, the helpdesk's answer typed), or with the PUK
//! (generic PIV); then a new PIN under the policy. One `pin.unblock`.

use serde_json::{json, Value};

use crate::pin_policy::ChallengeType;
use crate::protocol::{ErrorBody, ErrorCode, Feature, UnblockChallenge};
use crate::secret::Secret;

use super::super::view::{Action, Block, Choice, InputKind, Text, Tone};
use super::change_pin::{policy_refused, PolicyState};
use super::errors::host_error_text;
use super::form::{check_new_pin, new_pin, pin_field, Form};
use super::{button, cancel, loading, para, Body, Dialog, Out, Token};

/// How to unblock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The admin key, typed in hex.
    AdminKey,
    /// The helpdesk's response to the shown challenge.
    Challenge,
    /// The PUK.
    Puk,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Method::AdminKey => "admin_key",
            Method::Challenge => "challenge",
            Method::Puk => "puk",
        }
    }

    fn feature(self) -> Feature {
        match self {
            Method::AdminKey => Feature::UnblockAdminKey,
            Method::Challenge => Feature::UnblockChallenge,
            Method::Puk => Feature::UnblockPuk,
        }
    }
}

/// The challenge for the helpdesk path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Challenge {
    None,
    Loading,
    Known(String),
}

/// The Unblock dialog.
#[derive(Debug)]
pub struct Unblock {
    methods: Vec<Method>,
    method: Method,
    challenge: Challenge,
    policy: PolicyState,
    form: Form,
    error: Option<Text>,
}

/// Hex digits of `s`, spaces ignored; `None` if anything else is in it.
fn hex_digits(s: &str) -> Option<String> {
    let clean: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    clean
        .chars()
        .all(|c| c.is_ascii_hexdigit())
        .then(|| clean.to_ascii_uppercase())
}

/// "0123 4567 89AB …": easier to read out over the phone.
fn grouped(hex: &str) -> String {
    hex.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Unblock {
    /// A fresh dialog with the methods the token supports.
    pub fn new(t: &Token) -> Unblock {
        let methods: Vec<Method> = [Method::AdminKey, Method::Challenge, Method::Puk]
            .into_iter()
            .filter(|m| t.has(m.feature()))
            .collect();
        let method = methods.first().copied().unwrap_or(Method::Puk);
        let mut form = Form::default();
        form.set_plain("method", method.name());
        Unblock {
            methods,
            method,
            challenge: Challenge::None,
            policy: PolicyState::None,
            form,
            error: None,
        }
    }

    fn fetch_challenge(&mut self, t: &Token) -> Out {
        self.challenge = Challenge::Loading;
        Out::call("pin.unblock.challenge", json!({"device": t.id}))
    }

    fn method_blocks(&self) -> Vec<Block> {
        let mut blocks = vec![];
        match self.method {
            Method::AdminKey => {
                let mut f = self
                    .form
                    .field("key", InputKind::Text, Text::key("field_admin_key"));
                f.hint = Some(Text::key("hint_admin_key"));
                f.mono = true;
                blocks.push(Block::Field(f));
            }
            Method::Challenge => match &self.challenge {
                Challenge::Known(c) => {
                    blocks.push(Block::Output {
                        name: "challenge",
                        label: Text::key("out_challenge"),
                        value: grouped(c),
                        copy: true,
                    });
                    let static_challenge = self
                        .policy
                        .policy()
                        .is_some_and(|p| p.challenge == ChallengeType::Static);
                    blocks.push(para(
                        if static_challenge {
                            "hint_challenge_static"
                        } else {
                            "hint_challenge_dynamic"
                        },
                        Tone::Info,
                    ));
                    let mut f =
                        self.form
                            .field("response", InputKind::Text, Text::key("field_response"));
                    f.hint = Some(Text::with("hint_response", [c.len().to_string()]));
                    f.mono = true;
                    blocks.push(Block::Field(f));
                }
                _ => blocks.push(Block::Progress {
                    text: Text::key("progress_challenge"),
                }),
            },
            Method::Puk => blocks.push(Block::Field(pin_field(
                &self.form,
                "puk",
                "field_puk",
                false,
            ))),
        }
        blocks
    }

    /// Checks the unblock secret; returns the `method` parameter.
    fn unblock_method(&mut self) -> Option<Value> {
        match self.method {
            Method::AdminKey => match hex_digits(self.form.get("key")) {
                Some(k) if k.len() == 32 || k.len() == 48 => {
                    Some(json!({"kind": "admin_key", "key": k}))
                }
                _ => {
                    self.form.error("key", Text::key("err_admin_key_format"));
                    None
                }
            },
            Method::Challenge => {
                let Challenge::Known(c) = &self.challenge else {
                    return None;
                };
                let want = c.len();
                match hex_digits(self.form.get("response")) {
                    Some(r) if r.len() == want => Some(json!({"kind": "response", "response": r})),
                    _ => {
                        self.form.error(
                            "response",
                            Text::with("err_response_format", [want.to_string()]),
                        );
                        None
                    }
                }
            }
            Method::Puk => {
                if self.form.get("puk").is_empty() {
                    self.form.error("puk", Text::key("err_puk_empty"));
                    None
                } else {
                    Some(json!({"kind": "puk", "puk": self.form.get("puk")}))
                }
            }
        }
    }

    fn on_unblock_error(&mut self, t: &Token, e: &ErrorBody) -> Out {
        match (e.code, self.method) {
            (ErrorCode::PinPolicy, _) => policy_refused(&mut self.form, self.policy.policy(), e),
            (ErrorCode::WrongAdminKey, Method::AdminKey) => {
                self.form.reset();
                self.form.error("key", Text::key("err_wrong_admin_key"));
            }
            (ErrorCode::WrongAdminKey, Method::Challenge) => {
                // The card spent that challenge: the helpdesk answers a new one.
                self.form.reset();
                self.error = Some(Text::key("err_wrong_response"));
                return self.fetch_challenge(t);
            }
            (ErrorCode::WrongPin, Method::Puk) => {
                self.form.reset();
                let tries = e.details.get("tries_left").and_then(Value::as_u64);
                self.form.error(
                    "puk",
                    Text::with(
                        "err_wrong_puk",
                        [tries.map(|n| n.to_string()).unwrap_or_default()],
                    ),
                );
            }
            (ErrorCode::PinBlocked, _) => {
                self.form.reset();
                self.error = Some(Text::key(if self.method == Method::Puk {
                    "err_puk_blocked"
                } else {
                    "err_unblock_blocked"
                }));
            }
            (ErrorCode::BadInput, _) => {
                let field = match self.method {
                    Method::AdminKey => "key",
                    Method::Challenge => "response",
                    Method::Puk => "puk",
                };
                self.form.error(field, host_error_text(e));
            }
            _ => self.error = Some(host_error_text(e)),
        }
        Out {
            relist: true,
            ..Out::none()
        }
    }
}

impl Dialog for Unblock {
    fn kind(&self) -> Action {
        Action::Unblock
    }

    fn start(&mut self, t: &Token) -> Out {
        let (policy, out) = PolicyState::start(t);
        self.policy = policy;
        if out.call.is_none() && self.method == Method::Challenge {
            return self.fetch_challenge(t);
        }
        out
    }

    fn body(&self, t: &Token) -> Body {
        if self.policy == PolicyState::Loading {
            return loading("progress_policy");
        }
        let intro = if t.pin == Some(crate::protocol::PinStatus::Blocked) {
            "dlg_unblock_intro_blocked"
        } else {
            match self.methods.as_slice() {
                [Method::Challenge] => "dlg_unblock_intro_helpdesk",
                [Method::Puk] => "dlg_unblock_intro_puk",
                _ => "dlg_unblock_intro",
            }
        };
        let mut blocks = vec![para(intro, Tone::Info)];
        if self.methods.len() > 1 {
            let mut f = self.form.field(
                "method",
                InputKind::Radio,
                Text::key("field_unblock_method"),
            );
            f.options = self
                .methods
                .iter()
                .map(|m| Choice {
                    value: m.name(),
                    label: Text::key(match m {
                        Method::AdminKey => "method_admin_key",
                        Method::Challenge => "method_challenge",
                        Method::Puk => "method_puk",
                    }),
                    reason: None,
                })
                .collect();
            blocks.push(Block::Field(f));
        }
        blocks.extend(self.method_blocks());
        blocks.extend(new_pin(&self.form, self.policy.policy(), None));
        let ready =
            self.method != Method::Challenge || matches!(self.challenge, Challenge::Known(_));
        let mut submit = button("submit", "btn_unblock", true);
        submit.enabled = ready;
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

    fn input(&mut self, t: &Token, name: &str, value: Secret) -> Out {
        if name == "method" {
            let Some(&m) = self.methods.iter().find(|m| m.name() == value.expose()) else {
                return Out::none();
            };
            self.method = m;
            self.error = None;
            self.form.set(name, value);
            if m == Method::Challenge && self.challenge == Challenge::None {
                return self.fetch_challenge(t);
            }
            return Out::none();
        }
        self.form.set(name, value);
        Out::none()
    }

    fn action(&mut self, t: &Token, id: &str) -> Out {
        if id != "submit" || self.policy == PolicyState::Loading {
            return Out::none();
        }
        self.form.clear_errors();
        self.error = None;
        let method = self.unblock_method();
        let new_ok = check_new_pin(&mut self.form, self.policy.policy(), None);
        match method {
            Some(method) if new_ok => Out::call(
                "pin.unblock",
                json!({"device": t.id, "method": method, "new": self.form.get("new")}),
            ),
            _ => Out::none(),
        }
    }

    fn reply(&mut self, t: &mut Token, method: &str, result: Result<Value, ErrorBody>) -> Out {
        match method {
            "pin.policy.get" => {
                self.policy = PolicyState::answer(result);
                if self.method == Method::Challenge && self.challenge == Challenge::None {
                    return self.fetch_challenge(t);
                }
                Out::none()
            }
            "pin.unblock.challenge" => {
                match result.and_then(|v| {
                    serde_json::from_value::<UnblockChallenge>(v)
                        .map_err(|e| ErrorBody::new(ErrorCode::Internal, e.to_string()))
                }) {
                    Ok(c) => self.challenge = Challenge::Known(c.challenge.to_ascii_uppercase()),
                    Err(e) => {
                        self.challenge = Challenge::None;
                        self.error = Some(host_error_text(&e));
                    }
                }
                Out::none()
            }
            _ => match result {
                Ok(v) => {
                    t.pin = serde_json::from_value(v).ok();
                    Out::done(Text::with("notice_unblocked", [t.name.clone()]))
                }
                Err(e) => self.on_unblock_error(t, &e),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{crescendo, field_errors, policy_info};
    use super::*;

    fn opened(t: &Token) -> Unblock {
        let mut d = Unblock::new(t);
        assert_eq!(d.start(t).call.map(|c| c.0), Some("pin.policy.get"));
        d.reply(
            &mut t.clone(),
            "pin.policy.get",
            Ok(serde_json::to_value(policy_info()).expect("json")),
        );
        d
    }

    #[test]
    fn admin_key_is_checked_then_sent_once() {
        let mut t = crescendo(None);
        t.pin = Some(crate::protocol::PinStatus::Blocked);
        let mut d = opened(&t);
        d.input(&t, "key", Secret::new("00 11"));
        d.input(&t, "new", Secret::new("13572468"));
        d.input(&t, "confirm_new", Secret::new("13572468"));
        assert_eq!(d.action(&t, "submit"), Out::none());
        assert_eq!(
            field_errors(&d.body(&t), "key"),
            vec![Text::key("err_admin_key_format")]
        );
        d.input(
            &t,
            "key",
            Secret::new("0000 0000 0000 0000 0000 0000 0000 0000"),
        );
        let out = d.action(&t, "submit");
        assert_eq!(
            out.call,
            Some((
                "pin.unblock",
                json!({"device": "ID1", "method": {"kind": "admin_key", "key": "0".repeat(32)}, "new": "13572468"})
            ))
        );
        let out = d.reply(
            &mut t,
            "pin.unblock",
            Err(ErrorBody::new(ErrorCode::WrongAdminKey, "x")),
        );
        assert_eq!(out.call, None);
        assert_eq!(
            field_errors(&d.body(&t), "key"),
            vec![Text::key("err_wrong_admin_key")]
        );
        assert_eq!(d.form.get("new"), "", "secrets wiped");
        let out = d.reply(
            &mut t,
            "pin.unblock",
            Ok(json!({"state": "locked", "tries_left": 6})),
        );
        assert!(out.close);
    }

    #[test]
    fn helpdesk_challenge_then_response() {
        let mut t = crescendo(None);
        let mut d = opened(&t);
        let out = d.input(&t, "method", Secret::new("challenge"));
        assert_eq!(
            out.call,
            Some(("pin.unblock.challenge", json!({"device": "ID1"})))
        );
        assert!(
            !d.body(&t).actions[0].enabled,
            "no submit before the challenge"
        );
        d.reply(
            &mut t,
            "pin.unblock.challenge",
            Ok(json!({"challenge": "00112233445566778899aabbccddeeff"})),
        );
        let body = d.body(&t);
        assert!(body.blocks.iter().any(|b| matches!(b,
            Block::Output { name: "challenge", value, .. } if value == "0011 2233 4455 6677 8899 AABB CCDD EEFF")));
        d.input(&t, "response", Secret::new("abcd"));
        d.input(&t, "new", Secret::new("24681357"));
        d.input(&t, "confirm_new", Secret::new("24681357"));
        assert_eq!(d.action(&t, "submit"), Out::none());
        assert_eq!(
            field_errors(&d.body(&t), "response"),
            vec![Text::with("err_response_format", ["32".to_string()])]
        );
        d.input(&t, "response", Secret::new("0f".repeat(16)));
        let out = d.action(&t, "submit");
        assert_eq!(
            out.call.map(|c| c.1["method"].clone()),
            Some(json!({"kind": "response", "response": "0F".repeat(16)}))
        );
        // A wrong response: the card spent the challenge, a new one is fetched.
        let out = d.reply(
            &mut t,
            "pin.unblock",
            Err(ErrorBody::new(ErrorCode::WrongAdminKey, "x")),
        );
        assert_eq!(out.call.map(|c| c.0), Some("pin.unblock.challenge"));
        assert_eq!(d.body(&t).error, Some(Text::key("err_wrong_response")));
    }

    #[test]
    fn generic_piv_unblocks_with_the_puk() {
        let mut t = crescendo(Some(0));
        t.info.features = vec![
            Feature::Authenticate,
            Feature::ChangePin,
            Feature::UnblockPuk,
        ];
        let mut d = Unblock::new(&t);
        assert_eq!(d.start(&t), Out::none());
        assert_eq!(d.methods, vec![Method::Puk], "no method choice to make");
        d.input(&t, "puk", Secret::new("12345678"));
        d.input(&t, "new", Secret::new("975310"));
        d.input(&t, "confirm_new", Secret::new("975310"));
        let out = d.action(&t, "submit");
        assert_eq!(
            out.call.map(|c| c.1["method"].clone()),
            Some(json!({"kind": "puk", "puk": "12345678"}))
        );
        d.reply(
            &mut t,
            "pin.unblock",
            Err(ErrorBody::new(ErrorCode::WrongPin, "x").with("tries_left", 2)),
        );
        assert_eq!(
            field_errors(&d.body(&t), "puk"),
            vec![Text::with("err_wrong_puk", ["2".to_string()])]
        );
    }
}
