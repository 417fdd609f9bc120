//! A dialog's typed values and field errors, and the fields every dialog
//! shares: the current PIN (with the last-try confirmation) and a new PIN
//! checked against the PIN policy before anything is sent.

use crate::pin_policy::{Charset, PinPolicy, Violation};
use crate::secret::Secret;

use super::super::view::{Block, FieldView, InputKind, RuleView, Text, Tone};
use super::errors::violation_text;
use super::Token;

/// Fields that hold secrets: wiped by [`Form::reset`], never echoed in a view.
const SECRET_FIELDS: [&str; 9] = [
    "pin",
    "old",
    "new",
    "confirm_new",
    "key",
    "response",
    "puk",
    "uri",
    "secret",
];

/// Values and errors of a dialog's fields.
#[derive(Debug, Default)]
pub struct Form {
    values: Vec<(String, Secret)>,
    errors: Vec<(&'static str, Vec<Text>)>,
    gen: u32,
}

impl Form {
    /// The value of `name` ("" if never set).
    pub fn get(&self, name: &str) -> &str {
        self.values
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.expose())
    }

    /// A checkbox's state.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name) == "true"
    }

    /// Sets a value; the field's error goes (the user is fixing it).
    pub fn set(&mut self, name: &str, value: Secret) {
        self.errors.retain(|(n, _)| *n != name);
        match self.values.iter_mut().find(|(n, _)| n == name) {
            Some((_, v)) => *v = value,
            None => self.values.push((name.to_owned(), value)),
        }
    }

    /// Sets a non-secret value.
    pub fn set_plain(&mut self, name: &str, value: impl Into<String>) {
        self.set(name, Secret::new(value));
    }

    /// Adds an error to a field.
    pub fn error(&mut self, name: &'static str, text: Text) {
        match self.errors.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => v.push(text),
            None => self.errors.push((name, vec![text])),
        }
    }

    /// The errors of a field.
    pub fn errors(&self, name: &str) -> Vec<Text> {
        self.errors
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Forgets every error (before a new check).
    pub fn clear_errors(&mut self) {
        self.errors.clear();
    }

    /// Wipes every secret and the last-try confirmation, and starts a new form
    /// generation so the glue empties its inputs too.
    pub fn reset(&mut self) {
        self.values
            .retain(|(n, _)| !SECRET_FIELDS.contains(&n.as_str()) && n != "last_try");
        self.errors.clear();
        self.gen += 1;
    }

    /// Form generation.
    pub fn gen(&self) -> u32 {
        self.gen
    }

    /// A field view of `name` with its current errors (and value, unless secret).
    pub fn field(&self, name: &'static str, input: InputKind, label: Text) -> FieldView {
        let secret = SECRET_FIELDS.contains(&name);
        FieldView {
            name,
            input,
            label,
            hint: None,
            errors: self.errors(name),
            value: (!secret).then(|| self.get(name).to_owned()),
            options: vec![],
            disabled: false,
            autocomplete: "off",
            inputmode: None,
            min: None,
            max: None,
            mono: false,
        }
    }

    /// A checkbox.
    pub fn checkbox(&self, name: &'static str, label: &'static str) -> FieldView {
        let mut f = self.field(name, InputKind::Checkbox, Text::key(label));
        f.value = Some(self.flag(name).to_string());
        f
    }
}

/// A PIN input (blind; numeric keypad when the policy says digits).
pub fn pin_field(form: &Form, name: &'static str, label: &'static str, numeric: bool) -> FieldView {
    let mut f = form.field(name, InputKind::Password, Text::key(label));
    f.autocomplete = if name == "pin" || name == "old" {
        "current-password"
    } else {
        "new-password"
    };
    f.inputmode = numeric.then_some("numeric");
    f
}

/// The current-PIN field and, when one try is left, a warning and a box the
/// user must tick to spend it.
pub fn pin_entry(form: &Form, t: &Token, name: &'static str, label: &'static str) -> Vec<Block> {
    let mut blocks = vec![];
    if let Some(n) = t.tries_left().filter(|&n| n > 1) {
        let mut f = pin_field(form, name, label, false);
        f.hint = Some(Text::with("hint_tries_left", [n.to_string()]));
        blocks.push(Block::Field(f));
    } else {
        blocks.push(Block::Field(pin_field(form, name, label, false)));
    }
    if t.tries_left() == Some(1) {
        blocks.push(Block::Text {
            text: Text::key("last_try_warning"),
            tone: Tone::Warning,
        });
        blocks.push(Block::Field(form.checkbox("last_try", "last_try_confirm")));
    }
    blocks
}

/// Checks the current PIN was typed (and the last try confirmed).
pub fn check_pin_entry(form: &mut Form, t: &Token, name: &'static str) -> bool {
    let mut ok = true;
    if form.get(name).is_empty() {
        form.error(name, Text::key("err_pin_empty"));
        ok = false;
    }
    if t.tries_left() == Some(1) && !form.flag("last_try") {
        form.error("last_try", Text::key("err_last_try"));
        ok = false;
    }
    ok
}

/// The policy's rules, ticked against what is typed in `new`.
pub fn rules(policy: &PinPolicy, new: &str, current: Option<&str>) -> Block {
    let v = policy.check(new, current);
    let met = |bad: &[Violation]| (!new.is_empty()).then(|| !v.iter().any(|x| bad.contains(x)));
    let mut items = vec![RuleView {
        text: Text::with(
            match (policy.charset, policy.min_len == policy.max_len) {
                (Charset::Numeric, false) => "rule_len_digits",
                (Charset::Numeric, true) => "rule_len_digits_exact",
                (Charset::Alphanumeric, false) => "rule_len_chars",
                (Charset::Alphanumeric, true) => "rule_len_chars_exact",
            },
            [policy.min_len.to_string(), policy.max_len.to_string()],
        ),
        met: met(&[
            Violation::TooShort,
            Violation::TooLong,
            Violation::NotNumeric,
            Violation::BadCharacters,
        ]),
    }];
    if policy.refuse_weak {
        items.push(RuleView {
            text: Text::key("rule_not_weak"),
            met: met(&[Violation::Weak]),
        });
    }
    if current.is_some() {
        items.push(RuleView {
            text: Text::key("rule_changed"),
            met: met(&[Violation::Unchanged]),
        });
    }
    Block::Rules {
        label: Text::key("rules_label"),
        items,
    }
}

/// The policy (when known) above the new-PIN field and its confirmation.
pub fn new_pin(form: &Form, policy: Option<&PinPolicy>, current: Option<&str>) -> Vec<Block> {
    let numeric = policy.is_some_and(|p| p.charset == Charset::Numeric);
    let mut blocks = vec![];
    if let Some(p) = policy {
        blocks.push(rules(p, form.get("new"), current));
    }
    blocks.push(Block::Field(pin_field(
        form,
        "new",
        "field_new_pin",
        numeric,
    )));
    blocks.push(Block::Field(pin_field(
        form,
        "confirm_new",
        "field_confirm_pin",
        numeric,
    )));
    blocks
}

/// Checks the new PIN against the policy and its confirmation, before sending.
pub fn check_new_pin(form: &mut Form, policy: Option<&PinPolicy>, current: Option<&str>) -> bool {
    let new = form.get("new").to_owned();
    let mut ok = true;
    if new.is_empty() {
        form.error("new", Text::key("err_new_pin_empty"));
        ok = false;
    } else if let Some(p) = policy {
        for v in p.check(&new, current) {
            form.error("new", violation_text(v, Some(p)));
            ok = false;
        }
    }
    if form.get("confirm_new") != new {
        form.error("confirm_new", Text::key("err_pin_mismatch"));
        ok = false;
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pin_policy::CardLimits;

    #[test]
    fn reset_wipes_secrets_only_and_bumps_the_generation() {
        let mut f = Form::default();
        f.set_plain("pin", "1234");
        f.set_plain("recycle", "true");
        f.set_plain("last_try", "true");
        f.error("pin", Text::key("x"));
        f.reset();
        assert_eq!(f.get("pin"), "");
        assert_eq!(f.get("last_try"), "");
        assert!(f.flag("recycle"));
        assert!(f.errors("pin").is_empty());
        assert_eq!(f.gen(), 1);
        assert_eq!(
            f.field("pin", InputKind::Password, Text::key("x")).value,
            None
        );
        assert_eq!(
            f.field("recycle", InputKind::Checkbox, Text::key("x"))
                .value,
            Some("true".into())
        );
    }

    #[test]
    fn rules_tick_as_the_user_types() {
        let mut p = PinPolicy::from_limits(CardLimits {
            min_len: 4,
            max_len: 8,
            numeric_only: true,
        });
        p.refuse_weak = true;
        let Block::Rules { items, .. } = rules(&p, "", Some("0000")) else {
            panic!("rules")
        };
        assert!(items.iter().all(|r| r.met.is_none()));
        let Block::Rules { items, .. } = rules(&p, "1234", Some("0000")) else {
            panic!("rules")
        };
        assert_eq!(
            items.iter().map(|r| r.met).collect::<Vec<_>>(),
            vec![Some(true), Some(false), Some(true)]
        );
    }

    #[test]
    fn new_pin_is_checked_before_sending() {
        let p = PinPolicy {
            refuse_weak: true,
            ..PinPolicy::from_limits(CardLimits {
                min_len: 6,
                max_len: 8,
                numeric_only: true,
            })
        };
        let mut f = Form::default();
        f.set_plain("new", "1234");
        f.set_plain("confirm_new", "1243");
        assert!(!check_new_pin(&mut f, Some(&p), Some("00000000")));
        assert_eq!(f.errors("new").len(), 2, "too short and weak");
        assert_eq!(f.errors("confirm_new"), vec![Text::key("err_pin_mismatch")]);
        f.clear_errors();
        f.set_plain("new", "258013");
        f.set_plain("confirm_new", "258013");
        assert!(check_new_pin(&mut f, Some(&p), Some("00000000")));
    }
}
