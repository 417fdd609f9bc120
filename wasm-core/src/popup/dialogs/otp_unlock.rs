//! Unlock a YKOATH key whose OATH applet has a password (access code,
//! YKOATH VALIDATE, protocols.md §1.9): the password is typed blind, sent once
//! as `pin` of `otp.list` (the host derives the key with PBKDF2 and the
//! applet's salt and VALIDATEs), never retried on its own. On success the
//! popup keeps it (a zeroized [`Secret`], this popup only) for the key's later
//! `otp.*` calls.

use serde_json::{json, Value};

use crate::protocol::{ErrorBody, ErrorCode, OtpList};
use crate::secret::Secret;

use super::super::view::{Action, Block, InputKind, Text, Tone};
use super::form::Form;
use super::{button, cancel, host_error_text, para, Body, Dialog, Out, Token};

/// The field the password is typed in (a secret field of [`Form`]: never in
/// the view, wiped by `reset`).
const FIELD: &str = "pin";

/// The Unlock dialog.
#[derive(Debug, Default)]
pub struct OtpUnlock {
    form: Form,
    /// The password sent with the pending `otp.list` (moved out of the form).
    sent: Option<Secret>,
    error: Option<Text>,
}

impl OtpUnlock {
    /// An empty Unlock dialog.
    pub fn new() -> OtpUnlock {
        OtpUnlock::default()
    }
}

impl Dialog for OtpUnlock {
    fn kind(&self) -> Action {
        Action::OtpUnlock
    }

    fn body(&self, _t: &Token) -> Body {
        let mut f = self
            .form
            .field(FIELD, InputKind::Password, Text::key("field_oath_password"));
        f.hint = Some(Text::key("hint_oath_password"));
        Body {
            step: "form",
            blocks: vec![para("dlg_otp_unlock_intro", Tone::Info), Block::Field(f)],
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
        if id != "submit" {
            return Out::none();
        }
        self.form.clear_errors();
        self.error = None;
        let password = Secret::new(self.form.get(FIELD));
        if password.expose().is_empty() {
            self.form.error(FIELD, Text::key("err_oath_password_empty"));
            return Out::none();
        }
        let out = Out::call(
            "otp.list",
            json!({"device": t.id, "pin": password.expose()}),
        );
        self.form.reset();
        self.sent = Some(password);
        out
    }

    fn reply(&mut self, _t: &mut Token, _method: &str, result: Result<Value, ErrorBody>) -> Out {
        let sent = self.sent.take();
        match result {
            Ok(v) => match (serde_json::from_value::<OtpList>(v), sent) {
                (Ok(list), Some(password)) => Out {
                    close: true,
                    unlocked: Some((password, list)),
                    ..Out::none()
                },
                (Err(e), _) => {
                    self.error = Some(Text::with("err_unexpected", [e.to_string()]));
                    Out::none()
                }
                (Ok(_), None) => Out::none(),
            },
            // Wrong password: the field says so; nothing is retried.
            Err(e) if matches!(e.code, ErrorCode::WrongPin | ErrorCode::PinRequired) => {
                self.form.reset();
                self.form.error(FIELD, Text::key("err_oath_password_wrong"));
                Out::none()
            }
            Err(e) => {
                self.error = Some(host_error_text(&e));
                Out::none()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::field_errors;
    use super::*;
    use crate::protocol::{Applets, TokenInfo};

    /// A YubiKey-like token "Y1" with a YKOATH applet.
    pub fn ykoath() -> Token {
        let applets = Applets {
            aca: false,
            oath_slots: 0,
            piv: false,
            ykoath: true,
            fido: false,
        };
        Token::new(
            "YubiKey".into(),
            TokenInfo {
                id: "Y1".into(),
                features: applets.features(),
                applets,
                pin: None,
                must_change_pin: false,
                managed: false,
            },
        )
    }

    fn typed(d: &mut OtpUnlock, t: &Token, pw: &str) -> Out {
        d.input(t, FIELD, Secret::new(pw));
        d.action(t, "submit")
    }

    #[test]
    fn empty_password_is_not_sent() {
        let t = ykoath();
        let mut d = OtpUnlock::new();
        assert_eq!(typed(&mut d, &t, ""), Out::none());
        assert_eq!(
            field_errors(&d.body(&t), FIELD),
            vec![Text::key("err_oath_password_empty")]
        );
    }

    #[test]
    fn wrong_password_says_so_and_is_not_retried() {
        let mut t = ykoath();
        let mut d = OtpUnlock::new();
        let out = typed(&mut d, &t, "hunter2");
        assert_eq!(
            out.call,
            Some(("otp.list", json!({"device": "Y1", "pin": "hunter2"})))
        );
        let out = d.reply(
            &mut t,
            "otp.list",
            Err(ErrorBody::new(ErrorCode::WrongPin, "wrong OATH password")),
        );
        assert_eq!(out, Out::none(), "no retry, no close");
        let body = d.body(&t);
        assert_eq!(
            field_errors(&body, FIELD),
            vec![Text::key("err_oath_password_wrong")]
        );
        assert!(!format!("{body:?}").contains("hunter2"), "wiped");
        assert!(d.sent.is_none());
    }

    #[test]
    fn accepted_password_goes_to_the_popup_with_the_list() {
        let mut t = ykoath();
        let mut d = OtpUnlock::new();
        typed(&mut d, &t, "hunter2");
        let list = json!({"family": "ykoath", "capacity": 32,
            "support": {"kinds": ["hotp", "totp"], "algorithms": ["sha1"], "digits": [6],
                        "access": [], "touch": true, "names_on_token": true},
            "entries": []});
        let out = d.reply(&mut t, "otp.list", Ok(list));
        assert!(out.close);
        let (pw, l) = out.unlocked.expect("unlocked");
        assert_eq!(pw.expose(), "hunter2");
        assert!(l.entries.is_empty());
    }
}
