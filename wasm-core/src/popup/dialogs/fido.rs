//! The FIDO panel of a token with a FIDO applet, driven by `fido.info`:
//! FIDO2 or U2F only, the FIDO PIN (set / not set / tries left / blocked),
//! passkeys stored and room left; from it the FIDO PIN (`fido/pin.rs`), the
//! passkeys per site (`fido/creds.rs`), the reset wizard (`fido/reset.rs`)
//! and troubleshooting (`fido/help.rs`). One dialog with screens, so what
//! `fido.info` said is shared by all of them.
//!
//! The FIDO PIN is the key's own (CTAP clientPin), not the smart-card PIN: its
//! state is shown here, never on the tile's lock.

mod creds;
mod help;
mod pin;
mod reset;

use serde_json::{json, Value};

use crate::protocol::{ErrorBody, ErrorCode};
use crate::secret::Secret;

use super::super::view::{Action, Block, RowButton, RowView, Text, Tone};
use super::{button, host_error_text, loading, para, Body, Dialog, Form, Out, Token};

/// CTAP's default minimum PIN length (§6.4) when getInfo has no minPINLength.
pub const DEFAULT_MIN_PIN: usize = 4;
/// Longest PIN CTAP accepts, in UTF-8 bytes (§6.5.5.1 "at most 63 bytes").
pub const MAX_PIN_BYTES: usize = 63;

/// The part of getInfo the popup uses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CtapInfo {
    /// `FIDO_2_1`, `FIDO_2_0`, `U2F_V2`, …
    pub versions: Vec<String>,
    /// The key wants a new PIN before anything else.
    pub force_pin_change: bool,
    /// minPINLength, in code points.
    pub min_pin_length: Option<u64>,
    /// Room for this many more passkeys (without the PIN; not every key says).
    pub remaining_discoverable_credentials: Option<u64>,
    /// No CTAP2: U2F only.
    pub u2f_only: bool,
}

/// The FIDO PIN's existence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinState {
    /// A PIN is set.
    Set,
    /// No PIN yet.
    NotSet,
    /// The key has no clientPin.
    Unsupported,
}

/// getPINRetries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retries {
    /// Tries left (0 = blocked).
    pub retries: u64,
    /// Three wrong PINs in a row: the key wants a power cycle first.
    pub power_cycle_state: Option<bool>,
}

/// `fido.info`'s result.
#[derive(Debug, Clone, PartialEq)]
pub struct FidoInfo {
    /// getInfo.
    pub info: CtapInfo,
    /// PIN state.
    pub pin: PinState,
    /// Tries left, when a PIN is set.
    pub retries: Option<Retries>,
}

impl FidoInfo {
    /// Reads `fido.info`'s result (by hand: serde derives cost the popup's wasm
    /// budget); `None` when it is not one.
    pub fn parse(v: &Value) -> Option<FidoInfo> {
        let i = v.get("info").filter(|i| i.is_object())?;
        let flag = |name: &str| i.get(name).and_then(Value::as_bool).unwrap_or(false);
        let num = |name: &str| i.get(name).and_then(Value::as_u64);
        Some(FidoInfo {
            info: CtapInfo {
                versions: i
                    .get("versions")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
                force_pin_change: flag("forcePinChange"),
                min_pin_length: num("minPinLength"),
                remaining_discoverable_credentials: num("remainingDiscoverableCredentials"),
                u2f_only: flag("u2fOnly"),
            },
            pin: match v.get("pin")?.as_str()? {
                "set" => PinState::Set,
                "notSet" => PinState::NotSet,
                _ => PinState::Unsupported,
            },
            retries: v.get("retries").and_then(|r| {
                Some(Retries {
                    retries: r.get("retries")?.as_u64()?,
                    power_cycle_state: r.get("powerCycleState").and_then(Value::as_bool),
                })
            }),
        })
    }

    /// The minimum PIN length the key enforces.
    pub fn min_pin(&self) -> usize {
        self.info
            .min_pin_length
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(DEFAULT_MIN_PIN)
            .max(DEFAULT_MIN_PIN)
    }

    /// Tries left before the FIDO PIN blocks.
    pub fn tries(&self) -> Option<u64> {
        self.retries.map(|r| r.retries)
    }

    /// The FIDO PIN is blocked (only a reset recovers).
    pub fn blocked(&self) -> bool {
        self.pin == PinState::Set && self.tries() == Some(0)
    }
}

/// Where the dialog is.
#[derive(Debug, Clone, PartialEq)]
pub enum Screen {
    /// Waiting for `fido.info`.
    Loading,
    /// `fido.info` failed: why, and the way to troubleshooting.
    Unavailable(Text),
    /// The overview.
    Panel,
    /// Set the first PIN.
    SetPin,
    /// Change the PIN.
    ChangePin,
    /// The PIN, to list passkeys.
    CredsPin,
    /// Passkeys per site.
    Creds,
    /// Confirm deleting passkey `n` of the list.
    Delete(usize),
    /// Reset: what is erased, typed confirmation.
    ResetConfirm,
    /// Reset running: the host's last step.
    Resetting(reset::Phase),
    /// Reset ended.
    ResetEnded(reset::Ended),
    /// Troubleshooting.
    Help,
}

/// The FIDO dialog.
#[derive(Debug)]
pub struct Fido {
    screen: Screen,
    info: Option<FidoInfo>,
    /// Why the last `fido.info` failed (troubleshooting shows it).
    info_error: Option<ErrorCode>,
    creds: Option<creds::CredList>,
    form: Form,
    error: Option<Text>,
    /// What just worked (shown on the next screen).
    flash: Option<Text>,
    /// PIN_AUTH_BLOCKED seen: replug before the next try.
    power_cycle: bool,
}

impl Default for Fido {
    fn default() -> Self {
        Fido::new()
    }
}

impl Fido {
    /// A fresh dialog (it asks `fido.info` on start).
    pub fn new() -> Fido {
        Fido {
            screen: Screen::Loading,
            info: None,
            info_error: None,
            creds: None,
            form: Form::default(),
            error: None,
            flash: None,
            power_cycle: false,
        }
    }

    fn load_info(&mut self, t: &Token) -> Out {
        self.screen = Screen::Loading;
        Out::call("fido.info", json!({"device": t.id}))
    }

    /// Back to the overview; typed secrets go.
    fn show_panel(&mut self) {
        self.form.reset();
        self.error = None;
        self.screen = Screen::Panel;
    }

    fn on_info(&mut self, result: Result<Value, ErrorBody>) -> Out {
        let parsed = result.and_then(|v| {
            FidoInfo::parse(&v)
                .ok_or_else(|| ErrorBody::new(ErrorCode::Internal, "unreadable fido.info"))
        });
        match parsed {
            Ok(info) => {
                self.power_cycle = info
                    .retries
                    .and_then(|r| r.power_cycle_state)
                    .unwrap_or(false);
                self.info = Some(info);
                self.info_error = None;
                self.screen = Screen::Panel;
            }
            Err(e) => {
                self.info_error = Some(e.code);
                self.screen = Screen::Unavailable(info_error_text(&e));
            }
        }
        Out::none()
    }

    fn panel_body(&self, info: &FidoInfo) -> Body {
        let mut blocks = vec![];
        if let Some(f) = &self.flash {
            blocks.push(Block::Text {
                text: f.clone(),
                tone: Tone::Ok,
            });
        }
        let mut rows = vec![];
        if info.info.u2f_only {
            blocks.push(para("fido_u2f_only", Tone::Warning));
            rows.push(row(
                "fido_row_help",
                None,
                Tone::Info,
                Some(("help", "fido_btn_help")),
            ));
            blocks.push(Block::Rows {
                label: None,
                items: rows,
            });
            return Body {
                step: "panel",
                blocks,
                error: self.error.clone(),
                actions: vec![button("cancel", "btn_close", false)],
            };
        }
        blocks.push(Block::Text {
            text: Text::with("fido_kind_fido2", [versions(&info.info.versions)]),
            tone: Tone::Info,
        });
        if info.info.force_pin_change && info.pin == PinState::Set {
            blocks.push(para("fido_force_change", Tone::Warning));
        }
        // The FIDO PIN.
        rows.push(match (info.pin, info.tries()) {
            (PinState::NotSet, _) => row(
                "fido_pin_not_set",
                Some("fido_pin_not_set_detail"),
                Tone::Warning,
                Some(("set_pin", "fido_btn_set_pin")),
            ),
            (PinState::Unsupported, _) => row("fido_pin_unsupported", None, Tone::Info, None),
            (PinState::Set, Some(0)) => row(
                "fido_pin_blocked",
                Some("fido_pin_blocked_detail"),
                Tone::Danger,
                None,
            ),
            (PinState::Set, tries) => RowView {
                title: Text::key("fido_pin_set"),
                detail: Some(if self.power_cycle {
                    Text::key("fido_power_cycle")
                } else {
                    match tries {
                        Some(n) => Text::with("fido_pin_tries", [n.to_string()]),
                        None => Text::key("fido_pin_set_detail"),
                    }
                }),
                tone: if self.power_cycle || tries == Some(1) {
                    Tone::Warning
                } else {
                    Tone::Info
                },
                button: Some(row_button(
                    "change_pin",
                    "fido_btn_change_pin",
                    "fido_pin_set",
                )),
            },
        });
        // Passkeys.
        let meta = self.creds.as_ref().map(|c| c.metadata);
        let remaining = meta
            .map(|m| m.remaining)
            .or(info.info.remaining_discoverable_credentials);
        let passkeys_detail = match (meta, remaining) {
            (Some(m), _) => Text::with(
                "fido_passkeys_count",
                [m.existing.to_string(), m.remaining.to_string()],
            ),
            (None, Some(n)) => Text::with("fido_passkeys_room", [n.to_string()]),
            (None, None) => Text::key("fido_passkeys_unknown"),
        };
        // forcePINChange: the key refuses a PIN token until the PIN changes.
        let can_list = info.pin == PinState::Set && !info.blocked() && !info.info.force_pin_change;
        rows.push(RowView {
            title: Text::key(if remaining == Some(0) {
                "fido_passkeys_full"
            } else {
                "fido_passkeys"
            }),
            detail: Some(if info.pin == PinState::NotSet {
                Text::key("fido_passkeys_need_pin")
            } else {
                passkeys_detail
            }),
            tone: if remaining == Some(0) {
                Tone::Warning
            } else {
                Tone::Info
            },
            button: can_list.then(|| row_button("passkeys", "fido_btn_passkeys", "fido_passkeys")),
        });
        rows.push(RowView {
            title: Text::key("fido_reset_row"),
            detail: Some(Text::key("fido_reset_row_detail")),
            tone: if info.blocked() {
                Tone::Danger
            } else {
                Tone::Info
            },
            button: Some(RowButton {
                id: "reset".into(),
                label: Text::key("fido_btn_reset"),
                aria: Text::key("fido_reset_row"),
                danger: true,
            }),
        });
        rows.push(row(
            "fido_row_help",
            None,
            Tone::Info,
            Some(("help", "fido_btn_help")),
        ));
        blocks.push(Block::Rows {
            label: None,
            items: rows,
        });
        Body {
            step: "panel",
            blocks,
            error: self.error.clone(),
            actions: vec![button("cancel", "btn_close", false)],
        }
    }
}

/// A row with an optional button `(id, label)`; its accessible name is the row's title.
fn row(
    title: &'static str,
    detail: Option<&'static str>,
    tone: Tone,
    btn: Option<(&'static str, &'static str)>,
) -> RowView {
    RowView {
        title: Text::key(title),
        detail: detail.map(Text::key),
        tone,
        button: btn.map(|(id, label)| row_button(id, label, title)),
    }
}

fn row_button(id: &str, label: &'static str, about: &'static str) -> RowButton {
    RowButton {
        id: id.into(),
        label: Text::key(label),
        aria: Text::key(about),
        danger: false,
    }
}

/// "FIDO_2_1, U2F_V2" → shown as is (the standard names are not translated).
fn versions(v: &[String]) -> String {
    v.join(", ")
}

/// Why `fido.info` failed, said so the user knows what to do.
fn info_error_text(e: &ErrorBody) -> Text {
    match e.code {
        ErrorCode::NotSupported | ErrorCode::TransportError => Text::key("fido_err_no_app"),
        ErrorCode::PcscUnavailable => Text::key("fido_err_service"),
        ErrorCode::DeviceNotFound => Text::key("fido_err_gone"),
        _ => host_error_text(e),
    }
}

/// A failure of a call that carried the FIDO PIN: what it means here.
#[derive(Debug, Clone, PartialEq)]
enum PinFailure {
    /// Wrong PIN, `n` tries left (the form is wiped, the field says so).
    Wrong(Option<u64>),
    /// Blocked for good: only a reset helps.
    Blocked,
    /// Three wrong in a row: replug first.
    PowerCycle,
    /// Anything else.
    Other(Text),
}

/// Maps an error of a PIN-carrying FIDO call; never retries.
fn pin_failure(e: &ErrorBody) -> PinFailure {
    match e.code {
        ErrorCode::WrongPin => {
            let n = e.details.get("tries_left").and_then(Value::as_u64);
            if n == Some(0) {
                PinFailure::Blocked
            } else {
                PinFailure::Wrong(n)
            }
        }
        ErrorCode::PinBlocked
            if e.details.get("power_cycle").and_then(Value::as_bool) == Some(true) =>
        {
            PinFailure::PowerCycle
        }
        ErrorCode::PinBlocked => PinFailure::Blocked,
        ErrorCode::PinRequired => PinFailure::Other(Text::key("fido_err_pin_required")),
        ErrorCode::PinPolicy => PinFailure::Other(Text::key("fido_err_key_refused_pin")),
        ErrorCode::DeviceNotFound => PinFailure::Other(Text::key("fido_err_gone")),
        ErrorCode::Timeout => PinFailure::Other(Text::key("fido_err_timeout")),
        _ => PinFailure::Other(host_error_text(e)),
    }
}

/// "Wrong FIDO PIN. N tries left."
fn wrong_pin_text(n: Option<u64>) -> Text {
    match n {
        Some(1) => Text::key("fido_err_wrong_pin_last"),
        Some(n) => Text::with("fido_err_wrong_pin", [n.to_string()]),
        None => Text::key("fido_err_wrong_pin_unknown"),
    }
}

impl Dialog for Fido {
    fn kind(&self) -> Action {
        Action::Fido
    }

    fn title(&self) -> Text {
        Text::key(match self.screen {
            Screen::SetPin => "fido_title_set_pin",
            Screen::ChangePin => "fido_title_change_pin",
            Screen::CredsPin | Screen::Creds => "fido_title_passkeys",
            Screen::Delete(_) => "fido_title_delete",
            Screen::ResetConfirm | Screen::Resetting(_) | Screen::ResetEnded(_) => {
                "fido_title_reset"
            }
            Screen::Help => "fido_title_help",
            _ => "fido_title",
        })
    }

    fn start(&mut self, t: &Token) -> Out {
        self.load_info(t)
    }

    fn body(&self, t: &Token) -> Body {
        match (&self.screen, &self.info) {
            (Screen::Loading, _) => loading("fido_loading"),
            (Screen::Unavailable(text), _) => Body {
                step: "unavailable",
                blocks: vec![Block::Text {
                    text: text.clone(),
                    tone: Tone::Danger,
                }],
                error: None,
                actions: vec![
                    button("retry", "fido_btn_retry", true),
                    button("help", "fido_btn_help", false),
                    button("cancel", "btn_close", false),
                ],
            },
            (Screen::Help, _) => self.help_body(t),
            (_, None) => loading("fido_loading"),
            (Screen::Panel, Some(info)) => self.panel_body(info),
            (Screen::SetPin | Screen::ChangePin, Some(info)) => self.pin_body(info),
            (Screen::CredsPin | Screen::Creds | Screen::Delete(_), Some(info)) => {
                self.creds_body(info)
            }
            (Screen::ResetConfirm | Screen::Resetting(_) | Screen::ResetEnded(_), Some(_)) => {
                self.reset_body(t)
            }
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
        self.flash = None;
        match (id, &self.screen) {
            ("retry", Screen::Unavailable(_)) => self.load_info(t),
            ("help", _) => {
                self.form.reset();
                self.error = None;
                self.screen = Screen::Help;
                Out::none()
            }
            ("back", Screen::Help) if self.info.is_none() => self.load_info(t),
            ("back", Screen::ResetEnded(_)) => {
                self.show_panel();
                self.load_info(t)
            }
            ("back", Screen::Delete(_)) => {
                self.error = None;
                self.screen = Screen::Creds;
                Out::none()
            }
            ("back", _) => {
                self.show_panel();
                Out::none()
            }
            ("set_pin", _) => {
                self.form.reset();
                self.error = None;
                self.screen = Screen::SetPin;
                Out::none()
            }
            ("change_pin", _) => {
                self.form.reset();
                self.error = None;
                self.screen = Screen::ChangePin;
                Out::none()
            }
            ("passkeys", _) => {
                self.form.reset();
                self.error = None;
                self.screen = Screen::CredsPin;
                Out::none()
            }
            ("reset", _) => {
                self.form.reset();
                self.error = None;
                self.screen = Screen::ResetConfirm;
                Out::none()
            }
            (_, Screen::SetPin | Screen::ChangePin) => self.pin_action(t, id),
            (_, Screen::CredsPin | Screen::Creds | Screen::Delete(_)) => self.creds_action(t, id),
            (_, Screen::ResetConfirm | Screen::ResetEnded(_)) => self.reset_action(t, id),
            _ => Out::none(),
        }
    }

    fn reply(&mut self, t: &mut Token, method: &str, result: Result<Value, ErrorBody>) -> Out {
        match method {
            "fido.info" => self.on_info(result),
            "fido.pin.set" | "fido.pin.change" => self.pin_reply(t, result),
            "fido.credentials.list" | "fido.credentials.delete" => {
                self.creds_reply(t, method, result)
            }
            "fido.reset" => self.reset_reply(t, result),
            _ => Out::none(),
        }
    }

    fn event(&mut self, _t: &Token, event: &str, data: &Value) -> Out {
        if event == "fido.reset" {
            self.reset_event(data);
        }
        Out::none()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::tests::crescendo;
    use super::*;

    /// A FIDO2 key's `fido.info` with the PIN set and `tries` left.
    pub fn info_set(tries: u64) -> Value {
        json!({"transport": "iso7816", "pin": "set", "retries": {"retries": tries},
               "info": {"versions": ["U2F_V2", "FIDO_2_0", "FIDO_2_1"], "extensions": [], "aaguid": "00",
                        "options": {"clientPin": true}, "pinUvAuthProtocols": [2, 1], "transports": ["nfc", "usb"],
                        "forcePinChange": false, "minPinLength": 4, "remainingDiscoverableCredentials": 25,
                        "longTouchForReset": false, "u2fOnly": false}})
    }

    /// A FIDO2 key without a PIN.
    pub fn info_not_set() -> Value {
        json!({"transport": "iso7816", "pin": "notSet",
               "info": {"versions": ["FIDO_2_1"], "options": {"clientPin": false}, "forcePinChange": false,
                        "minPinLength": 6, "longTouchForReset": false, "u2fOnly": false}})
    }

    /// A dialog showing the panel of `info`.
    pub fn opened(info: Value) -> (Fido, Token) {
        let t = crescendo(Some(6));
        let mut d = Fido::new();
        assert_eq!(
            d.start(&t).call,
            Some(("fido.info", json!({"device": "ID1"})))
        );
        assert_eq!(d.body(&t).step, "loading");
        let mut t2 = t.clone();
        d.reply(&mut t2, "fido.info", Ok(info));
        (d, t)
    }

    /// The ids of the row buttons of a body.
    pub fn row_buttons(b: &Body) -> Vec<String> {
        b.blocks
            .iter()
            .flat_map(|b| match b {
                Block::Rows { items, .. } => items
                    .iter()
                    .filter_map(|r| r.button.as_ref().map(|b| b.id.clone()))
                    .collect(),
                _ => vec![],
            })
            .collect()
    }

    /// Every text key of a body (blocks, rows, error).
    pub fn keys(b: &Body) -> Vec<&'static str> {
        let mut out = vec![];
        for block in &b.blocks {
            match block {
                Block::Text { text, .. } | Block::Progress { text } => out.push(text.key),
                Block::Countdown { text, .. } => out.push(text.key),
                Block::Rows { items, .. } => {
                    for r in items {
                        out.push(r.title.key);
                        if let Some(d) = &r.detail {
                            out.push(d.key);
                        }
                    }
                }
                Block::Field(f) => out.extend(f.errors.iter().map(|e| e.key)),
                _ => {}
            }
        }
        if let Some(e) = &b.error {
            out.push(e.key);
        }
        out
    }

    #[test]
    fn panel_shows_fido2_pin_tries_and_room() {
        let (d, t) = opened(info_set(8));
        let b = d.body(&t);
        assert_eq!(b.step, "panel");
        assert_eq!(d.title(), Text::key("fido_title"));
        let k = keys(&b);
        assert!(k.contains(&"fido_kind_fido2"));
        assert!(k.contains(&"fido_pin_set") && k.contains(&"fido_pin_tries"));
        assert!(k.contains(&"fido_passkeys_room"));
        assert_eq!(
            row_buttons(&b),
            vec!["change_pin", "passkeys", "reset", "help"]
        );
    }

    #[test]
    fn panel_without_pin_offers_set_and_no_list() {
        let (d, t) = opened(info_not_set());
        let b = d.body(&t);
        assert!(keys(&b).contains(&"fido_pin_not_set"));
        assert!(keys(&b).contains(&"fido_passkeys_need_pin"));
        assert_eq!(row_buttons(&b), vec!["set_pin", "reset", "help"]);
    }

    #[test]
    fn blocked_pin_guides_to_reset() {
        let (d, t) = opened(info_set(0));
        let b = d.body(&t);
        assert!(keys(&b).contains(&"fido_pin_blocked"));
        assert_eq!(row_buttons(&b), vec!["reset", "help"]);
    }

    #[test]
    fn power_cycle_state_says_replug() {
        let mut v = info_set(5);
        v["retries"]["powerCycleState"] = json!(true);
        let (d, t) = opened(v);
        assert!(keys(&d.body(&t)).contains(&"fido_power_cycle"));
    }

    #[test]
    fn u2f_only_key_says_so() {
        let v = json!({"transport": "iso7816", "pin": "unsupported",
                       "info": {"versions": ["U2F_V2"], "u2fOnly": true}});
        let (d, t) = opened(v);
        let b = d.body(&t);
        assert!(keys(&b).contains(&"fido_u2f_only"));
        assert_eq!(row_buttons(&b), vec!["help"]);
    }

    #[test]
    fn force_pin_change_is_shown() {
        let mut v = info_set(8);
        v["info"]["forcePinChange"] = json!(true);
        let (d, t) = opened(v);
        let b = d.body(&t);
        assert!(keys(&b).contains(&"fido_force_change"));
        assert_eq!(
            row_buttons(&b),
            vec!["change_pin", "reset", "help"],
            "no passkeys before the new PIN"
        );
    }

    #[test]
    fn info_failure_explains_and_retries() {
        let mut t = crescendo(Some(6));
        let mut d = Fido::new();
        d.start(&t);
        d.reply(
            &mut t,
            "fido.info",
            Err(ErrorBody::new(ErrorCode::NotSupported, "no FIDO applet")),
        );
        let b = d.body(&t);
        assert_eq!(b.step, "unavailable");
        assert!(keys(&b).contains(&"fido_err_no_app"));
        assert_eq!(d.action(&t, "retry").call.map(|c| c.0), Some("fido.info"));
        d.reply(
            &mut t,
            "fido.info",
            Err(ErrorBody::new(ErrorCode::PcscUnavailable, "down")),
        );
        assert!(keys(&d.body(&t)).contains(&"fido_err_service"));
        d.action(&t, "help");
        assert_eq!(d.body(&t).step, "help");
        assert_eq!(d.action(&t, "back").call.map(|c| c.0), Some("fido.info"));
    }

    #[test]
    fn unreadable_info_is_an_error_not_a_panic() {
        let mut t = crescendo(Some(6));
        let mut d = Fido::new();
        d.start(&t);
        d.reply(&mut t, "fido.info", Ok(json!({"pin": 3})));
        assert_eq!(d.body(&t).step, "unavailable");
    }

    /// Through the whole popup: the tile's FIDO entry, the calls with their
    /// ids, the streamed `fido.reset` events reaching the dialog whose call
    /// runs (the background does not translate the host's request ids).
    #[test]
    fn popup_routes_reset_events_to_the_waiting_dialog() {
        use crate::browser::Browser;
        use crate::popup::{Action, Popup, PopupInput, PortState};
        use crate::protocol::{Event, HelloResult, Response};
        let mut p = Popup::new(Browser::Chromium);
        let list = p
            .apply(PopupInput::Status {
                state: PortState::Connected,
                hello: Some(HelloResult {
                    protocol: 1,
                    min_protocol: 1,
                    product: "tessera".into(),
                    version: "1".into(),
                    methods: vec![],
                }),
                error: None,
            })
            .calls[0]
            .id;
        let devices = json!({"pcsc": {"state": "ok"}, "readers": [{"name": "R", "card": {"atr": "3B",
            "model": {"key": "crescendo-key", "name": "HID Crescendo Key"},
            "token": {"id": "ID1", "applets": {"aca": true, "oath_slots": 3, "piv": true, "ykoath": false, "fido": true},
                      "features": [], "pin": {"state": "blocked"}, "must_change_pin": false}}}]});
        let step = p.apply(PopupInput::Reply {
            method: "devices.list".into(),
            response: Response::ok(list, devices),
        });
        let fido = step.view.tokens.items[0]
            .menu
            .iter()
            .find(|m| m.action == Action::Fido)
            .expect("FIDO entry");
        assert!(fido.enabled, "a blocked smart-card PIN does not block FIDO");
        // The background hands the popup its events under the popup's call id.
        let ev_for = |id: u64, step: &str| {
            PopupInput::Event(Event {
                event: "fido.reset".into(),
                id: Some(id),
                data: json!({"step": step}),
            })
        };
        assert!(
            p.apply(ev_for(999, "unplugNow")).view.dialog.is_none(),
            "no dialog: ignored"
        );
        let step = p.apply(PopupInput::Open {
            device: "ID1".into(),
            action: Action::Fido,
            entry: None,
        });
        let info = step.calls[0].clone();
        assert_eq!(info.method, "fido.info");
        p.apply(PopupInput::Reply {
            method: "fido.info".into(),
            response: Response::ok(info.id, info_set(8)),
        });
        p.apply(PopupInput::Press { id: "reset".into() });
        p.apply(PopupInput::Field {
            name: "confirm".into(),
            value: Secret::new("ID1"),
        });
        let step = p.apply(PopupInput::Press {
            id: "submit".into(),
        });
        let reset = step.calls[0].clone();
        assert_eq!(reset.method, "fido.reset");
        assert!(
            p.apply(ev_for(reset.id + 1000, "unplugNow"))
                .view
                .dialog
                .is_some_and(|d| d.step != "reset_unplug"),
            "another call's events are not this dialog's"
        );
        let ev = |step: &str| ev_for(reset.id, step);
        let step = p.apply(ev("unplugNow"));
        let dlg = step.view.dialog.expect("dialog");
        assert_eq!((dlg.step, dlg.busy), ("reset_unplug", true));
        assert_eq!(dlg.title, Text::key("fido_title_reset"));
        assert!(step.calls.is_empty());
        assert!(
            p.apply(PopupInput::Close).view.dialog.is_some(),
            "no closing while the key is being reset"
        );
        let step = p.apply(PopupInput::Reply {
            method: "fido.reset".into(),
            response: Response::ok(reset.id, json!({"outcome": "done"})),
        });
        assert_eq!(step.view.dialog.expect("dialog").step, "reset_done");
        assert_eq!(
            step.calls.iter().map(|c| c.method).collect::<Vec<_>>(),
            vec!["devices.list"]
        );
        assert_eq!(
            p.apply(ev("plugBackIn")).view.dialog.expect("d").step,
            "reset_done"
        );
    }

    #[test]
    fn min_pin_defaults_to_four() {
        let i = FidoInfo::parse(&info_not_set()).expect("info");
        assert_eq!(i.min_pin(), 6);
        let i = FidoInfo::parse(&json!({"pin": "notSet", "info": {}})).expect("info");
        assert_eq!(i.min_pin(), DEFAULT_MIN_PIN);
    }
}
