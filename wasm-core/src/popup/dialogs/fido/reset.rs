//! The FIDO reset wizard: what is erased (every FIDO2 passkey and U2F
//! registration and the FIDO PIN; not the smart-card PIN, certificates or OTP
//! accounts), a typed confirmation (the device id, as Recycle asks), then one
//! `fido.reset` whose streamed `fido.reset` events are the steps shown:
//! unplug, plug back in, touch (with the key's deadline counted down), done.
//! The host decides the steps: when its in-place power cycle works, the
//! replug steps never come. Every outcome but `done` says what happened and
//! offers Retry.

use serde_json::{json, Value};

use crate::protocol::{ErrorBody, ErrorCode};

use super::super::super::view::{Block, Text, Tone};
use super::super::recycle::{confirm_field, confirmed};
use super::super::{button, host_error_text, Body, Out, Token};
use super::{Fido, Screen};

/// The running reset's last step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Asked, no step yet (the host tries the in-place power cycle).
    Starting,
    /// Unplug the key now.
    Unplug,
    /// Plug it back in.
    Plug,
    /// Touch the key within `ms`.
    Touch(u64),
    /// The key said done (the answer follows).
    Done,
}

/// How the reset ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// Erased.
    Done,
    /// Not erased: why and what to do (Retry).
    Failed(Text),
}

/// The text of an outcome other than `done`.
fn outcome_text(outcome: &str) -> Text {
    Text::key(match outcome {
        "tooLate" => "fido_reset_too_late",
        "noTouch" => "fido_reset_no_touch",
        "denied" => "fido_reset_denied",
        "wrongKey" => "fido_reset_wrong_key",
        "replugTimeout" => "fido_reset_replug_timeout",
        "cancelled" => "fido_reset_cancelled",
        other => return Text::with("err_unexpected", [other.to_owned()]),
    })
}

impl Fido {
    pub(super) fn reset_body(&self, t: &Token) -> Body {
        match &self.screen {
            Screen::Resetting(phase) => {
                let (step, text, detail) = match phase {
                    Phase::Starting => ("reset_starting", "fido_reset_starting", None),
                    Phase::Unplug => (
                        "reset_unplug",
                        "fido_reset_unplug",
                        Some("fido_reset_unplug_detail"),
                    ),
                    Phase::Plug => (
                        "reset_plug",
                        "fido_reset_plug",
                        Some("fido_reset_plug_detail"),
                    ),
                    Phase::Touch(_) => (
                        "reset_touch",
                        "fido_reset_touch",
                        Some("fido_reset_touch_detail"),
                    ),
                    Phase::Done => ("reset_finishing", "fido_reset_finishing", None),
                };
                let mut blocks = vec![Block::Progress {
                    text: Text::key(text),
                }];
                if let Phase::Touch(ms) = phase {
                    blocks.push(Block::Countdown {
                        text: Text::key("fido_reset_touch_left"),
                        ms: *ms,
                    });
                }
                if let Some(d) = detail {
                    blocks.push(Block::Text {
                        text: Text::key(d),
                        tone: Tone::Info,
                    });
                }
                Body {
                    step,
                    blocks,
                    error: None,
                    actions: vec![],
                }
            }
            Screen::ResetEnded(Ended::Done) => Body {
                step: "reset_done",
                blocks: vec![
                    Block::Text {
                        text: Text::key("fido_reset_done"),
                        tone: Tone::Ok,
                    },
                    Block::Text {
                        text: Text::key("fido_reset_done_next"),
                        tone: Tone::Info,
                    },
                ],
                error: None,
                actions: vec![
                    button("back", "fido_btn_back_to_fido", true),
                    button("cancel", "btn_close", false),
                ],
            },
            Screen::ResetEnded(Ended::Failed(text)) => Body {
                step: "reset_failed",
                blocks: vec![Block::Text {
                    text: text.clone(),
                    tone: Tone::Danger,
                }],
                error: None,
                actions: vec![
                    button("retry", "fido_btn_retry", true),
                    button("cancel", "btn_close", false),
                ],
            },
            _ => {
                let mut submit = button("submit", "fido_btn_reset_now", true);
                submit.danger = true;
                Body {
                    step: "reset_confirm",
                    blocks: vec![
                        Block::Text {
                            text: Text::key("fido_reset_erases"),
                            tone: Tone::Danger,
                        },
                        Block::Text {
                            text: Text::key("fido_reset_keeps"),
                            tone: Tone::Info,
                        },
                        Block::Text {
                            text: Text::key("fido_reset_how"),
                            tone: Tone::Info,
                        },
                        confirm_field(&self.form, t),
                    ],
                    error: self.error.clone(),
                    actions: vec![submit, button("back", "btn_back", false)],
                }
            }
        }
    }

    fn reset_call(&mut self, t: &Token) -> Out {
        self.screen = Screen::Resetting(Phase::Starting);
        Out::call("fido.reset", json!({"device": t.id}))
    }

    pub(super) fn reset_action(&mut self, t: &Token, id: &str) -> Out {
        match (&self.screen, id) {
            (Screen::ResetConfirm, "submit") => {
                self.form.clear_errors();
                if !confirmed(&mut self.form, t) {
                    return Out::none();
                }
                self.reset_call(t)
            }
            (Screen::ResetEnded(Ended::Failed(_)), "retry") => self.reset_call(t),
            _ => Out::none(),
        }
    }

    pub(super) fn reset_event(&mut self, data: &Value) {
        if !matches!(self.screen, Screen::Resetting(_)) {
            return;
        }
        let phase = match data.get("step").and_then(Value::as_str) {
            Some("unplugNow") => Phase::Unplug,
            Some("plugBackIn") => Phase::Plug,
            Some("touchKey") => Phase::Touch(
                data.get("deadlineMs")
                    .and_then(Value::as_u64)
                    .unwrap_or(30_000),
            ),
            Some("done") => Phase::Done,
            _ => return,
        };
        self.screen = Screen::Resetting(phase);
    }

    pub(super) fn reset_reply(&mut self, _t: &Token, result: Result<Value, ErrorBody>) -> Out {
        let ended = match result {
            Ok(v) => match v.get("outcome").and_then(Value::as_str) {
                Some("done") => Ended::Done,
                Some(other) => Ended::Failed(outcome_text(other)),
                None => Ended::Failed(Text::with("err_unexpected", [v.to_string()])),
            },
            Err(e) => Ended::Failed(match e.code {
                ErrorCode::NotSupported => Text::key("fido_reset_unsupported"),
                ErrorCode::DeviceNotFound => Text::key("fido_err_gone"),
                ErrorCode::PcscUnavailable => Text::key("fido_err_service"),
                _ => host_error_text(&e),
            }),
        };
        let done = ended == Ended::Done;
        if done {
            // The PIN and the passkeys are gone.
            self.creds = None;
            self.power_cycle = false;
            self.form.reset();
        }
        self.screen = Screen::ResetEnded(ended);
        Out {
            relist: done,
            ..Out::none()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::tests::field_errors;
    use super::super::tests::{info_set, keys, opened};
    use super::*;
    use crate::popup::dialogs::Dialog;
    use crate::secret::Secret;

    fn confirmed_reset() -> (Fido, Token) {
        let (mut d, t) = opened(info_set(8));
        d.action(&t, "reset");
        let b = d.body(&t);
        assert_eq!(b.step, "reset_confirm");
        assert_eq!(d.title(), Text::key("fido_title_reset"));
        let k = keys(&b);
        assert!(k.contains(&"fido_reset_erases") && k.contains(&"fido_reset_keeps"));
        d.input(&t, "confirm", Secret::new("reset"));
        assert_eq!(d.action(&t, "submit"), Out::none(), "wrong confirmation");
        assert_eq!(
            field_errors(&d.body(&t), "confirm"),
            vec![Text::with("err_confirmation_id", ["ID1".to_string()])]
        );
        d.input(&t, "confirm", Secret::new("id1"));
        assert_eq!(
            d.action(&t, "submit").call,
            Some(("fido.reset", json!({"device": "ID1"})))
        );
        assert_eq!(d.body(&t).step, "reset_starting");
        (d, t)
    }

    #[test]
    fn events_drive_the_steps_then_done() {
        let (mut d, t) = confirmed_reset();
        let mut t2 = t.clone();
        let step = |d: &mut Fido, data: Value| {
            d.event(&t, "fido.reset", &data);
            d.body(&t).step
        };
        assert_eq!(step(&mut d, json!({"step": "unplugNow"})), "reset_unplug");
        assert_eq!(step(&mut d, json!({"step": "plugBackIn"})), "reset_plug");
        assert_eq!(
            step(&mut d, json!({"step": "touchKey", "deadlineMs": 29000})),
            "reset_touch"
        );
        assert!(d.body(&t).blocks.contains(&Block::Countdown {
            text: Text::key("fido_reset_touch_left"),
            ms: 29000
        }));
        assert!(
            d.body(&t).actions.is_empty(),
            "nothing to press while it runs"
        );
        d.event(&t, "devices.changed", &json!({}));
        assert_eq!(d.body(&t).step, "reset_touch", "other events ignored");
        assert_eq!(step(&mut d, json!({"step": "done"})), "reset_finishing");
        let out = d.reply(&mut t2, "fido.reset", Ok(json!({"outcome": "done"})));
        assert!(out.relist);
        assert_eq!(d.body(&t).step, "reset_done");
        assert_eq!(d.action(&t, "back").call.map(|c| c.0), Some("fido.info"));
    }

    #[test]
    fn in_place_power_cycle_goes_straight_to_touch() {
        let (mut d, t) = confirmed_reset();
        d.event(
            &t,
            "fido.reset",
            &json!({"step": "touchKey", "deadlineMs": 30000}),
        );
        assert_eq!(d.body(&t).step, "reset_touch");
    }

    #[test]
    fn every_failed_outcome_explains_and_retries() {
        for (outcome, key) in [
            ("tooLate", "fido_reset_too_late"),
            ("noTouch", "fido_reset_no_touch"),
            ("denied", "fido_reset_denied"),
            ("wrongKey", "fido_reset_wrong_key"),
            ("replugTimeout", "fido_reset_replug_timeout"),
            ("cancelled", "fido_reset_cancelled"),
        ] {
            let (mut d, t) = confirmed_reset();
            let mut t2 = t.clone();
            d.event(&t, "fido.reset", &json!({"step": "unplugNow"}));
            let out = d.reply(&mut t2, "fido.reset", Ok(json!({"outcome": outcome})));
            assert!(!out.relist);
            let b = d.body(&t);
            assert_eq!(b.step, "reset_failed");
            assert_eq!(keys(&b), vec![key], "{outcome}");
            assert_eq!(b.actions[0].id, "retry");
            assert_eq!(
                d.action(&t, "retry").call,
                Some(("fido.reset", json!({"device": "ID1"})))
            );
            assert_eq!(d.body(&t).step, "reset_starting");
            // Late events of a finished reset do not move a new one's steps backwards.
        }
    }

    #[test]
    fn errors_and_unknown_outcomes() {
        let (mut d, t) = confirmed_reset();
        let mut t2 = t.clone();
        d.reply(
            &mut t2,
            "fido.reset",
            Err(ErrorBody::new(ErrorCode::NotSupported, "u2f")),
        );
        assert_eq!(keys(&d.body(&t)), vec!["fido_reset_unsupported"]);
        d.action(&t, "retry");
        d.reply(&mut t2, "fido.reset", Ok(json!({"outcome": "exploded"})));
        assert_eq!(keys(&d.body(&t)), vec!["err_unexpected"]);
        d.event(&t, "fido.reset", &json!({"step": "unplugNow"}));
        assert_eq!(d.body(&t).step, "reset_failed", "no step after the end");
    }
}
