//! Key button: what a Crescendo Key types on a single and a double press
//! (docs/PROTOCOL.md "Button"): slot 1's HOTP, a static password recorded as
//! physical key presses ([`crate::keyboard`]), or nothing. The recorder sends
//! the keys as `KeyboardEvent.code` + Shift/AltGr; they are shown back through
//! the browser's layout map with a warning that another layout types other
//! characters. A press that holds a static password is replaced only after the
//! user types the press's name (the token cannot give the password back).

use serde::Deserialize;
use serde_json::{json, Value};

use crate::keyboard::{self, KeyboardError, LayoutMap, MAX_KEYS};
use crate::protocol::{
    ButtonActionInfo, ButtonActionKind, ButtonConfigInfo, ButtonPress, ErrorBody, ErrorCode,
    PinStatus, StaticKeys,
};
use crate::secret::Secret;

use super::super::view::{Action, Block, Choice, InputKind, Text, Tone};
use super::form::{check_pin_entry, pin_entry, Form};
use super::{
    blocked_body, button, cancel, loading, pin_failure, Body, Dialog, Failure, Out, Token,
};

/// One key as the recorder reports it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordedKey {
    code: String,
    #[serde(default)]
    shift: bool,
    #[serde(default)]
    altgr: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Loading,
    Form,
    Saving,
}

/// The Key button dialog.
#[derive(Debug)]
pub struct KeyButton {
    form: Form,
    step: Step,
    config: Option<ButtonConfigInfo>,
    /// The recorded static password (zeroized on drop).
    keys: StaticKeys,
    layout: Option<LayoutMap>,
    need_pin: bool,
    /// The host refused to replace a static password without the press named.
    must_confirm: bool,
    error: Option<Text>,
}

impl KeyButton {
    /// A dialog that starts by reading the button's configuration.
    pub fn new() -> KeyButton {
        KeyButton {
            form: Form::default(),
            step: Step::Loading,
            config: None,
            keys: StaticKeys::default(),
            layout: None,
            need_pin: false,
            must_confirm: false,
            error: None,
        }
    }

    fn press(&self) -> ButtonPress {
        match self.form.get("press") {
            "double" => ButtonPress::Double,
            _ => ButtonPress::Single,
        }
    }

    fn kind(&self) -> ButtonActionKind {
        match self.form.get("kind") {
            "hotp" => ButtonActionKind::Hotp,
            "static" => ButtonActionKind::Static,
            "none" => ButtonActionKind::None,
            _ => self
                .config
                .map_or(ButtonActionKind::Hotp, |c| c.of(self.press()).kind),
        }
    }

    fn kind_value(&self) -> &'static str {
        match self.kind() {
            ButtonActionKind::Hotp => "hotp",
            ButtonActionKind::Static => "static",
            ButtonActionKind::None => "none",
        }
    }

    /// The selected press holds a static password that saving would erase.
    fn replaces_static(&self) -> Option<u8> {
        let current = self.config?.of(self.press());
        (current.kind == ButtonActionKind::Static).then(|| current.length.unwrap_or(0))
    }

    fn record(&mut self, value: &str) {
        self.form.clear_errors();
        let parsed: Result<Vec<RecordedKey>, _> = serde_json::from_str(value);
        let Ok(recorded) = parsed else {
            self.form.error("keys", Text::key("err_button_keys"));
            return;
        };
        let mut keys = Vec::with_capacity(recorded.len());
        for k in &recorded {
            match keyboard::key_from_event(&k.code, k.shift, k.altgr) {
                Ok(key) => keys.push(key),
                Err(e) => self.form.error("keys", keyboard_error(&e)),
            }
        }
        if keys.len() > MAX_KEYS {
            self.form.error(
                "keys",
                keyboard_error(&KeyboardError::TooLong { max: MAX_KEYS }),
            );
            keys.truncate(MAX_KEYS);
        }
        self.keys = StaticKeys::new(keys);
    }

    fn recorder(&self) -> Vec<Block> {
        let rendering = keyboard::render(self.keys.expose(), self.layout.as_ref());
        let mut f = self
            .form
            .field("keys", InputKind::Keys, Text::key("field_button_keys"));
        f.hint = Some(Text::with(
            "hint_button_keys",
            [self.keys.expose().len().to_string(), MAX_KEYS.to_string()],
        ));
        f.value = Some(rendering.text());
        f.mono = true;
        // Always shown with the recorder (letters move between layouts), so the
        // dialog keeps its shape while the user types.
        vec![
            Block::Field(f),
            Block::Text {
                text: Text::key("button_layout_warning"),
                tone: Tone::Warning,
            },
        ]
    }

    fn submit(&mut self, t: &Token) -> Out {
        self.form.clear_errors();
        self.error = None;
        let press = self.press();
        let kind = self.kind();
        let mut ok = true;
        if kind == ButtonActionKind::Static {
            if let Err(e) = keyboard::check(self.keys.expose()) {
                self.form.error("keys", keyboard_error(&e));
                ok = false;
            }
        }
        let replace = self.replaces_static().is_some();
        if replace && self.form.get("confirm").trim() != press.as_str() {
            self.form.error(
                "confirm",
                Text::with("err_confirmation_press", [press.as_str().to_owned()]),
            );
            ok = false;
        }
        if self.need_pin && !check_pin_entry(&mut self.form, t, "pin") {
            ok = false;
        }
        if !ok {
            return Out::none();
        }
        let mut action = json!({ "kind": self.kind_value() });
        if kind == ButtonActionKind::Static {
            action["keys"] = json!(self.keys);
        }
        let mut params = json!({"device": t.id, "press": press.as_str(), "action": action});
        if replace || self.must_confirm {
            params["replace"] = json!(press.as_str());
        }
        if self.need_pin {
            params["pin"] = json!(self.form.get("pin"));
        }
        self.step = Step::Saving;
        Out::call("button.set", params)
    }
}

impl Default for KeyButton {
    fn default() -> Self {
        KeyButton::new()
    }
}

/// The user-facing text of a recorder error.
fn keyboard_error(e: &KeyboardError) -> Text {
    match e {
        KeyboardError::UnsupportedKey { code } => {
            Text::with("err_button_key_unsupported", [code.clone()])
        }
        KeyboardError::TooLong { max } => Text::with("err_button_too_long", [max.to_string()]),
        KeyboardError::Empty => Text::key("err_button_empty"),
        _ => Text::key("err_button_keys"),
    }
}

/// "Single press: types slot 1's HOTP code" and the like.
fn describe(p: ButtonPress, a: ButtonActionInfo) -> Text {
    let length = || a.length.unwrap_or(0).to_string();
    match (p, a.kind) {
        (ButtonPress::Single, ButtonActionKind::Hotp) => Text::key("button_single_hotp"),
        (ButtonPress::Single, ButtonActionKind::Static) => {
            Text::with("button_single_static", [length()])
        }
        (ButtonPress::Single, ButtonActionKind::None) => Text::key("button_single_none"),
        (ButtonPress::Double, ButtonActionKind::Hotp) => Text::key("button_double_hotp"),
        (ButtonPress::Double, ButtonActionKind::Static) => {
            Text::with("button_double_static", [length()])
        }
        (ButtonPress::Double, ButtonActionKind::None) => Text::key("button_double_none"),
    }
}

impl Dialog for KeyButton {
    fn kind(&self) -> Action {
        Action::Button
    }

    fn start(&mut self, t: &Token) -> Out {
        Out::call("button.get", json!({"device": t.id}))
    }

    fn body(&self, t: &Token) -> Body {
        if self.need_pin && t.pin == Some(PinStatus::Blocked) {
            return blocked_body(t);
        }
        let Some(config) = self.config else {
            let mut body = loading("progress_button_read");
            if let Some(e) = &self.error {
                body.blocks.clear();
                body.error = Some(e.clone());
                body.actions = vec![button("retry", "btn_retry", true), cancel()];
            }
            return body;
        };
        let mut blocks = vec![];
        for p in [ButtonPress::Single, ButtonPress::Double] {
            blocks.push(Block::Text {
                text: describe(p, config.of(p)),
                tone: Tone::Info,
            });
        }
        let mut press = self
            .form
            .field("press", InputKind::Radio, Text::key("field_button_press"));
        press.options = vec![
            Choice::new("single", Text::key("button_single")),
            Choice::new("double", Text::key("button_double")),
        ];
        press.value = Some(self.press().as_str().to_owned());
        blocks.push(Block::Field(press));
        let mut kind = self
            .form
            .field("kind", InputKind::Radio, Text::key("field_button_kind"));
        kind.options = vec![
            Choice::new("hotp", Text::key("button_kind_hotp")),
            Choice::new("static", Text::key("button_kind_static")),
            Choice::new("none", Text::key("button_kind_none")),
        ];
        kind.value = Some(self.kind_value().to_owned());
        blocks.push(Block::Field(kind));
        if self.kind() == ButtonActionKind::Static {
            blocks.extend(self.recorder());
        }
        if let Some(length) = self.replaces_static() {
            let press = self.press().as_str().to_owned();
            blocks.push(Block::Text {
                text: Text::with(
                    "button_replace_warning",
                    [press.clone(), length.to_string()],
                ),
                tone: Tone::Danger,
            });
            let mut f = self.form.field(
                "confirm",
                InputKind::Text,
                Text::with("field_confirm_press", [press]),
            );
            f.mono = true;
            blocks.push(Block::Field(f));
        }
        if self.need_pin {
            blocks.extend(pin_entry(&self.form, t, "pin", "field_pin"));
        }
        let mut save = button("submit", "btn_save", true);
        save.busy = self.step == Step::Saving;
        save.enabled = self.step != Step::Saving;
        Body {
            step: "form",
            blocks,
            error: self.error.clone(),
            actions: vec![save, cancel()],
        }
    }

    fn form_gen(&self) -> u32 {
        self.form.gen()
    }

    fn input(&mut self, _t: &Token, name: &str, value: Secret) -> Out {
        match name {
            "keys" => self.record(value.expose()),
            "layout" => {
                self.layout = serde_json::from_str::<LayoutMap>(value.expose())
                    .ok()
                    .filter(|m| !m.is_empty());
            }
            "press" | "kind" => {
                self.must_confirm = false;
                self.form.set(name, value);
            }
            _ => self.form.set(name, value),
        }
        Out::none()
    }

    fn action(&mut self, t: &Token, id: &str) -> Out {
        match id {
            "unblock" => Out::open(Action::Unblock),
            "retry" if self.config.is_none() => {
                self.error = None;
                self.start(t)
            }
            "submit" if self.config.is_some() && self.step == Step::Form => self.submit(t),
            _ => Out::none(),
        }
    }

    fn reply(&mut self, t: &mut Token, method: &str, result: Result<Value, ErrorBody>) -> Out {
        if method == "button.get" {
            match result.map(serde_json::from_value::<ButtonConfigInfo>) {
                Ok(Ok(config)) => {
                    self.config = Some(config);
                    self.step = Step::Form;
                }
                Ok(Err(_)) => self.error = Some(Text::key("err_button_reply")),
                Err(e) => self.error = Some(super::host_error_text(&e)),
            }
            return Out::none();
        }
        self.step = Step::Form;
        match result {
            Ok(v) => {
                let Ok(config) = serde_json::from_value::<ButtonConfigInfo>(v) else {
                    self.error = Some(Text::key("err_button_reply"));
                    return Out::none();
                };
                let press = self.press();
                Out::done(describe(press, config.of(press)))
            }
            Err(e) if e.code == ErrorCode::WouldOverwrite => {
                // The token holds a static password we did not know of: ask.
                let length = e.details.get("length").and_then(Value::as_u64).unwrap_or(0);
                let press = self.press();
                if let Some(c) = self.config.as_mut() {
                    let a = ButtonActionInfo {
                        kind: ButtonActionKind::Static,
                        length: u8::try_from(length).ok(),
                    };
                    match press {
                        ButtonPress::Single => c.single = a,
                        ButtonPress::Double => c.double = a,
                    }
                }
                self.must_confirm = true;
                self.form.error(
                    "confirm",
                    Text::with("err_confirmation_press", [self.press().as_str().to_owned()]),
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

    fn closable(&self) -> bool {
        self.step != Step::Saving
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::crescendo;
    use super::*;

    /// Recorded keys for tests: `[{code, shift?, altgr?}]`.
    fn recorded(keys: &[(&str, bool)]) -> Secret {
        Secret::new(
            serde_json::to_string(
                &keys
                    .iter()
                    .map(|(c, s)| json!({"code": c, "shift": s}))
                    .collect::<Vec<_>>(),
            )
            .unwrap_or_default(),
        )
    }

    fn loaded(single: Value, double: Value) -> (KeyButton, Token) {
        let mut t = crescendo(Some(6));
        let mut d = KeyButton::new();
        let out = d.start(&t);
        assert_eq!(out.call.as_ref().map(|c| c.0), Some("button.get"));
        assert_eq!(d.body(&t).step, "loading");
        d.reply(
            &mut t,
            "button.get",
            Ok(json!({"single": single, "double": double})),
        );
        (d, t)
    }

    fn field<'a>(body: &'a Body, name: &str) -> Option<&'a super::super::super::view::FieldView> {
        body.blocks.iter().find_map(|b| match b {
            Block::Field(f) if f.name == name => Some(f),
            _ => None,
        })
    }

    #[test]
    fn records_keys_shows_them_through_the_layout_and_sends_usages() {
        let (mut d, t) = loaded(json!({"kind": "hotp"}), json!({"kind": "none"}));
        d.input(&t, "press", Secret::new("double"));
        d.input(&t, "kind", Secret::new("static"));
        // A German layout: the Y key types "z".
        d.input(
            &t,
            "layout",
            Secret::new(r#"{"KeyY":"z","KeyA":"a","Digit1":"1"}"#),
        );
        d.input(
            &t,
            "keys",
            recorded(&[
                ("KeyY", false),
                ("KeyA", true),
                ("Digit1", false),
                ("Enter", false),
            ]),
        );
        let body = d.body(&t);
        let keys = field(&body, "keys").expect("recorder");
        assert_eq!(keys.value.as_deref(), Some("zA1⏎"));
        assert!(body.blocks.iter().any(|b| matches!(b,
            Block::Text { text, .. } if text.key == "button_layout_warning")));
        assert!(field(&body, "confirm").is_none(), "nothing to replace");
        let out = d.action(&t, "submit");
        let (method, params) = out.call.expect("button.set");
        assert_eq!(method, "button.set");
        assert_eq!(params["press"], "double");
        assert_eq!(params["action"]["kind"], "static");
        // KeyboardEvent.code → HID usages (Keyboard/Keypad page): Y 0x1C, A 0x04, 1 0x1E, Enter 0x28.
        let usages: Vec<u64> = params["action"]["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .filter_map(|k| k["usage"].as_u64())
            .collect();
        assert_eq!(usages, vec![0x1C, 0x04, 0x1E, 0x28]);
        assert_eq!(params["action"]["keys"][1]["shift"], true);
        assert!(params.get("replace").is_none());
        assert!(!d.closable(), "not while writing");
        let mut t = t;
        let out = d.reply(
            &mut t,
            "button.set",
            Ok(json!({"single": {"kind": "hotp"}, "double": {"kind": "static", "length": 4}})),
        );
        assert!(out.close);
        assert_eq!(
            out.notice,
            Some(Text::with("button_double_static", ["4".to_owned()]))
        );
    }

    #[test]
    fn unsupported_keys_and_empty_passwords_are_refused_before_sending() {
        let (mut d, t) = loaded(json!({"kind": "hotp"}), json!({"kind": "none"}));
        d.input(&t, "kind", Secret::new("static"));
        assert!(d.action(&t, "submit").call.is_none());
        assert!(field(&d.body(&t), "keys")
            .is_some_and(|f| f.errors.iter().any(|e| e.key == "err_button_empty")));
        d.input(&t, "keys", recorded(&[("F1", false)]));
        assert!(field(&d.body(&t), "keys").is_some_and(|f| f
            .errors
            .iter()
            .any(|e| e.key == "err_button_key_unsupported")));
        d.input(&t, "keys", Secret::new("not json"));
        assert!(field(&d.body(&t), "keys")
            .is_some_and(|f| f.errors.iter().any(|e| e.key == "err_button_keys")));
        let many: Vec<(&str, bool)> = vec![("KeyA", false); MAX_KEYS + 1];
        d.input(&t, "keys", recorded(&many));
        assert!(field(&d.body(&t), "keys")
            .is_some_and(|f| f.errors.iter().any(|e| e.key == "err_button_too_long")));
    }

    #[test]
    fn replacing_a_static_password_needs_the_press_typed() {
        let (mut d, t) = loaded(
            json!({"kind": "hotp"}),
            json!({"kind": "static", "length": 12}),
        );
        d.input(&t, "press", Secret::new("double"));
        d.input(&t, "kind", Secret::new("hotp"));
        let body = d.body(&t);
        assert!(field(&body, "confirm").is_some());
        assert!(body.blocks.iter().any(|b| matches!(b,
            Block::Text { text, tone: Tone::Danger } if text.key == "button_replace_warning"
                && text.args == vec!["double".to_owned(), "12".to_owned()])));
        assert!(d.action(&t, "submit").call.is_none(), "not confirmed");
        d.input(&t, "confirm", Secret::new("single"));
        assert!(d.action(&t, "submit").call.is_none(), "wrong press");
        d.input(&t, "confirm", Secret::new("double"));
        let (_, params) = d.action(&t, "submit").call.expect("sent");
        assert_eq!(params["replace"], "double");
        assert_eq!(params["action"], json!({"kind": "hotp"}));
    }

    #[test]
    fn a_password_the_popup_did_not_know_of_is_not_overwritten_silently() {
        let (mut d, mut t) = loaded(json!({"kind": "hotp"}), json!({"kind": "none"}));
        d.input(&t, "kind", Secret::new("none"));
        let (_, params) = d.action(&t, "submit").call.expect("sent");
        assert!(params.get("replace").is_none());
        let e = ErrorBody::new(ErrorCode::WouldOverwrite, "static").with("press", "single");
        let out = d.reply(&mut t, "button.set", Err(e));
        assert!(!out.close);
        assert!(field(&d.body(&t), "confirm").is_some(), "asks now");
        assert!(d.action(&t, "submit").call.is_none());
    }

    #[test]
    fn pin_required_shows_the_pin_field_and_never_retries() {
        let (mut d, mut t) = loaded(json!({"kind": "hotp"}), json!({"kind": "none"}));
        d.input(&t, "kind", Secret::new("none"));
        let out = d.action(&t, "submit");
        assert!(out.call.is_some());
        let out = d.reply(
            &mut t,
            "button.set",
            Err(ErrorBody::new(ErrorCode::PinRequired, "pin")),
        );
        assert!(out.call.is_none(), "no retry by itself");
        assert!(field(&d.body(&t), "pin").is_some());
        d.input(&t, "pin", Secret::new("123456"));
        let (_, params) = d.action(&t, "submit").call.expect("sent");
        assert_eq!(params["pin"], "123456");
    }
}
