//! Passkeys on the key: after the FIDO PIN, `fido.credentials.list` (with
//! getCredsMetadata: stored and room left), shown per site (rpId) with the
//! user name; one can be deleted after a confirmation naming the site and the
//! user. The PIN typed for the list stays in the form (zeroized) while the
//! list is shown, for the delete; going back to the panel wipes it.

use serde_json::{json, Value};

use crate::protocol::{ErrorBody, ErrorCode};

use super::super::super::view::{Block, RowButton, RowView, Text, Tone};
use super::super::form::pin_field;
use super::super::{button, Body, Out, Token};
use super::{pin_failure, wrong_pin_text, Fido, FidoInfo, PinFailure, Screen};

/// getCredsMetadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metadata {
    /// Passkeys stored.
    pub existing: u64,
    /// Room for this many more.
    pub remaining: u64,
}

/// One discoverable credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// The site.
    pub rp_id: String,
    /// Hex, what delete takes.
    pub credential_id: String,
    /// user.name.
    pub user_name: Option<String>,
    /// user.displayName.
    pub display_name: Option<String>,
}

impl Credential {
    /// The name to show for its user.
    pub fn user(&self) -> String {
        self.user_name
            .clone()
            .filter(|s| !s.is_empty())
            .or_else(|| self.display_name.clone().filter(|s| !s.is_empty()))
            .unwrap_or_else(|| "—".into())
    }
}

/// `fido.credentials.list`'s result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredList {
    /// Counts.
    pub metadata: Metadata,
    /// Every passkey.
    pub credentials: Vec<Credential>,
}

impl CredList {
    /// Reads `fido.credentials.list`'s result (by hand, as `FidoInfo::parse`).
    pub fn parse(v: &Value) -> Option<CredList> {
        let m = v.get("metadata")?;
        let text = |c: &Value, name: &str| c.get(name).and_then(Value::as_str).map(str::to_owned);
        let mut credentials = vec![];
        for c in v.get("credentials")?.as_array()? {
            credentials.push(Credential {
                rp_id: text(c, "rpId")?,
                credential_id: text(c, "credentialId")?,
                user_name: text(c, "userName"),
                display_name: text(c, "displayName"),
            });
        }
        Some(CredList {
            metadata: Metadata {
                existing: m.get("existing")?.as_u64()?,
                remaining: m.get("remaining")?.as_u64()?,
            },
            credentials,
        })
    }
}

impl Fido {
    pub(super) fn creds_body(&self, info: &FidoInfo) -> Body {
        let mut blocks = vec![];
        if let Some(f) = &self.flash {
            blocks.push(Block::Text {
                text: f.clone(),
                tone: Tone::Ok,
            });
        }
        match (&self.screen, &self.creds) {
            (Screen::Delete(i), Some(list)) if *i < list.credentials.len() => {
                let c = &list.credentials[*i];
                blocks.push(Block::Text {
                    text: Text::with("fido_delete_warning", [c.user(), c.rp_id.clone()]),
                    tone: Tone::Danger,
                });
                let mut del = button("delete", "fido_btn_delete", true);
                del.danger = true;
                return Body {
                    step: "delete",
                    blocks,
                    error: self.error.clone(),
                    actions: vec![del, button("back", "btn_back", false)],
                };
            }
            (Screen::Creds, Some(list)) => {
                blocks.push(Block::Text {
                    text: Text::with(
                        "fido_passkeys_count",
                        [
                            list.metadata.existing.to_string(),
                            list.metadata.remaining.to_string(),
                        ],
                    ),
                    tone: Tone::Info,
                });
                if list.metadata.remaining == 0 {
                    blocks.push(Block::Text {
                        text: Text::key("fido_full_hint"),
                        tone: Tone::Warning,
                    });
                }
                if list.credentials.is_empty() {
                    blocks.push(Block::Text {
                        text: Text::key("fido_no_passkeys"),
                        tone: Tone::Info,
                    });
                }
                let mut sites: Vec<&str> =
                    list.credentials.iter().map(|c| c.rp_id.as_str()).collect();
                sites.sort_unstable();
                sites.dedup();
                for site in sites {
                    let mut here: Vec<(usize, &Credential)> = list
                        .credentials
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| c.rp_id == site)
                        .collect();
                    here.sort_by_key(|(_, c)| c.user().to_ascii_lowercase());
                    let items = here
                        .into_iter()
                        .map(|(i, c)| RowView {
                            title: Text::literal(c.user()),
                            detail: c
                                .display_name
                                .clone()
                                .filter(|d| Some(d) != c.user_name.as_ref() && !d.is_empty())
                                .map(Text::literal),
                            tone: Tone::Info,
                            button: Some(RowButton {
                                id: format!("del:{i}"),
                                label: Text::key("fido_btn_delete_short"),
                                aria: Text::with("fido_delete_aria", [c.user(), site.to_owned()]),
                                danger: true,
                            }),
                        })
                        .collect();
                    blocks.push(Block::Rows {
                        label: Some(Text::literal(site)),
                        items,
                    });
                }
                return Body {
                    step: "passkeys",
                    blocks,
                    error: self.error.clone(),
                    actions: vec![button("back", "btn_back", false)],
                };
            }
            _ => {}
        }
        // The PIN first.
        blocks.push(Block::Text {
            text: Text::key("fido_creds_intro"),
            tone: Tone::Info,
        });
        let mut f = pin_field(&self.form, "pin", "fido_field_pin", false);
        if let Some(n) = info.tries().filter(|&n| n > 1) {
            f.hint = Some(Text::with("hint_tries_left", [n.to_string()]));
        }
        blocks.push(Block::Field(f));
        if info.tries() == Some(1) {
            blocks.push(Block::Text {
                text: Text::key("fido_last_try"),
                tone: Tone::Warning,
            });
            blocks.push(Block::Field(
                self.form.checkbox("last_try", "last_try_confirm"),
            ));
        }
        Body {
            step: "passkeys_pin",
            blocks,
            error: self.error.clone(),
            actions: vec![
                button("submit", "fido_btn_show", true),
                button("back", "btn_back", false),
            ],
        }
    }

    fn list_call(&self, t: &Token) -> Out {
        Out::call(
            "fido.credentials.list",
            json!({"device": t.id, "pin": self.form.get("pin")}),
        )
    }

    pub(super) fn creds_action(&mut self, t: &Token, id: &str) -> Out {
        self.error = None;
        match (&self.screen, id) {
            (Screen::CredsPin, "submit") => {
                self.form.clear_errors();
                let mut ok = true;
                if self.form.get("pin").is_empty() {
                    self.form.error("pin", Text::key("err_pin_empty"));
                    ok = false;
                }
                let last = self.info.as_ref().and_then(FidoInfo::tries) == Some(1);
                if last && !self.form.flag("last_try") {
                    self.form.error("last_try", Text::key("err_last_try"));
                    ok = false;
                }
                if ok {
                    self.list_call(t)
                } else {
                    Out::none()
                }
            }
            (Screen::Creds, id) => {
                let n = id
                    .strip_prefix("del:")
                    .and_then(|n| n.parse::<usize>().ok())
                    .filter(|&n| self.creds.as_ref().is_some_and(|c| n < c.credentials.len()));
                if let Some(n) = n {
                    self.screen = Screen::Delete(n);
                }
                Out::none()
            }
            (Screen::Delete(n), "delete") => {
                let Some(c) = self.creds.as_ref().and_then(|l| l.credentials.get(*n)) else {
                    return Out::none();
                };
                Out::call(
                    "fido.credentials.delete",
                    json!({"device": t.id, "pin": self.form.get("pin"), "credential_id": c.credential_id}),
                )
            }
            _ => Out::none(),
        }
    }

    pub(super) fn creds_reply(
        &mut self,
        t: &Token,
        method: &str,
        result: Result<Value, ErrorBody>,
    ) -> Out {
        let deleting = method == "fido.credentials.delete";
        match result {
            Ok(_) if deleting => {
                if let (Screen::Delete(n), Some(list)) = (&self.screen, &self.creds) {
                    if let Some(c) = list.credentials.get(*n) {
                        self.flash = Some(Text::with("fido_deleted", [c.user(), c.rp_id.clone()]));
                    }
                }
                self.screen = Screen::Creds;
                self.list_call(t)
            }
            Ok(v) => match CredList::parse(&v) {
                Some(list) => {
                    self.creds = Some(list);
                    self.screen = Screen::Creds;
                    Out::none()
                }
                None => {
                    self.error = Some(Text::with("err_unexpected", [v.to_string()]));
                    Out::none()
                }
            },
            Err(e) if deleting && e.code == ErrorCode::BadInput => {
                self.error = Some(Text::key("fido_err_no_such_credential"));
                self.screen = Screen::Creds;
                self.list_call(t)
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
                        self.screen = Screen::CredsPin;
                        self.form.error("pin", wrong_pin_text(n));
                    }
                    PinFailure::PowerCycle => {
                        self.form.reset();
                        self.power_cycle = true;
                        self.screen = Screen::CredsPin;
                        self.error = Some(Text::key("fido_power_cycle"));
                    }
                    PinFailure::Blocked => {
                        self.form.reset();
                        return self.load_info(t);
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
    use super::super::tests::{info_set, keys, opened, row_buttons};
    use super::*;
    use crate::popup::dialogs::Dialog;
    use crate::secret::Secret;

    fn list() -> Value {
        json!({"metadata": {"existing": 3, "remaining": 22}, "credentials": [
            {"rpId": "example.com", "credentialId": "c1", "userId": "01", "userName": "alice", "displayName": "Alice A."},
            {"rpId": "acme.test", "credentialId": "c2", "userId": "02", "userName": "bob"},
            {"rpId": "example.com", "credentialId": "c3", "userId": "03", "displayName": "Carol"}
        ]})
    }

    fn listed() -> (Fido, Token) {
        let (mut d, t) = opened(info_set(8));
        let mut t2 = t.clone();
        d.action(&t, "passkeys");
        assert_eq!(d.body(&t).step, "passkeys_pin");
        assert_eq!(d.action(&t, "submit"), Out::none(), "empty PIN not sent");
        assert_eq!(
            field_errors(&d.body(&t), "pin"),
            vec![Text::key("err_pin_empty")]
        );
        d.input(&t, "pin", Secret::new("24680"));
        assert_eq!(
            d.action(&t, "submit").call,
            Some((
                "fido.credentials.list",
                json!({"device": "ID1", "pin": "24680"})
            ))
        );
        d.reply(&mut t2, "fido.credentials.list", Ok(list()));
        (d, t)
    }

    #[test]
    fn list_groups_by_site_with_user_names() {
        let (d, t) = listed();
        let b = d.body(&t);
        assert_eq!(b.step, "passkeys");
        let groups: Vec<(Text, Vec<Text>)> = b
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Rows { label, items } => Some((
                    label.clone().expect("site"),
                    items.iter().map(|r| r.title.clone()).collect(),
                )),
                _ => None,
            })
            .collect();
        assert_eq!(
            groups,
            vec![
                (Text::literal("acme.test"), vec![Text::literal("bob")]),
                (
                    Text::literal("example.com"),
                    vec![Text::literal("alice"), Text::literal("Carol")]
                ),
            ]
        );
        assert_eq!(row_buttons(&b), vec!["del:1", "del:0", "del:2"]);
        assert!(keys(&b).contains(&"fido_passkeys_count"));
    }

    #[test]
    fn delete_confirms_naming_site_and_user_then_relists() {
        let (mut d, t) = listed();
        let mut t2 = t.clone();
        assert_eq!(d.action(&t, "del:0"), Out::none());
        let b = d.body(&t);
        assert_eq!(b.step, "delete");
        assert_eq!(
            b.blocks[0],
            Block::Text {
                text: Text::with(
                    "fido_delete_warning",
                    ["alice".to_string(), "example.com".to_string()]
                ),
                tone: Tone::Danger
            }
        );
        d.action(&t, "back");
        assert_eq!(d.body(&t).step, "passkeys");
        d.action(&t, "del:0");
        assert_eq!(
            d.action(&t, "delete").call,
            Some((
                "fido.credentials.delete",
                json!({"device": "ID1", "pin": "24680", "credential_id": "c1"})
            ))
        );
        let out = d.reply(&mut t2, "fido.credentials.delete", Ok(json!({})));
        assert_eq!(out.call.map(|c| c.0), Some("fido.credentials.list"));
        let b = d.body(&t);
        assert_eq!(
            b.blocks[0],
            Block::Text {
                text: Text::with(
                    "fido_deleted",
                    ["alice".to_string(), "example.com".to_string()]
                ),
                tone: Tone::Ok
            }
        );
        // Already gone (another client deleted it): say so and list again.
        d.action(&t, "del:1");
        d.action(&t, "delete");
        let out = d.reply(
            &mut t2,
            "fido.credentials.delete",
            Err(ErrorBody::new(ErrorCode::BadInput, "no such")),
        );
        assert_eq!(out.call.map(|c| c.0), Some("fido.credentials.list"));
        assert_eq!(
            d.body(&t).error,
            Some(Text::key("fido_err_no_such_credential"))
        );
        assert!(d.action(&t, "del:99") == Out::none());
        d.action(&t, "back");
        assert_eq!(d.form.get("pin"), "", "PIN wiped on leaving");
        let b = d.body(&t);
        assert_eq!(b.step, "panel");
        assert!(
            keys(&b).contains(&"fido_passkeys_count"),
            "panel shows the counts"
        );
    }

    #[test]
    fn wrong_pin_for_the_list_and_full_key() {
        let (mut d, t) = opened(info_set(3));
        let mut t2 = t.clone();
        d.action(&t, "passkeys");
        d.input(&t, "pin", Secret::new("9999"));
        d.action(&t, "submit");
        d.reply(
            &mut t2,
            "fido.credentials.list",
            Err(ErrorBody::new(ErrorCode::WrongPin, "x").with("tries_left", 2)),
        );
        let b = d.body(&t);
        assert_eq!(b.step, "passkeys_pin");
        assert_eq!(
            field_errors(&b, "pin"),
            vec![Text::with("fido_err_wrong_pin", ["2".to_string()])]
        );
        d.input(&t, "pin", Secret::new("24680"));
        d.action(&t, "submit");
        d.reply(
            &mut t2,
            "fido.credentials.list",
            Ok(json!({"metadata": {"existing": 25, "remaining": 0}, "credentials": []})),
        );
        let k = keys(&d.body(&t));
        assert!(k.contains(&"fido_full_hint") && k.contains(&"fido_no_passkeys"));
        d.action(&t, "back");
        assert!(keys(&d.body(&t)).contains(&"fido_passkeys_full"));
    }
}
