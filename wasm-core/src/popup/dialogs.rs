//! Dialog state machines: one per action, each deciding its fields, what it
//! checks before sending (the PIN policy among others), which host call to
//! make, and what each answer means for the user. The popup wraps the open
//! dialog with the token it acts on and the id of the call it waits for.
//!
//! Secrets typed into a dialog live in its [`Form`] (zeroized [`Secret`]s) and
//! go away with the dialog.

#[cfg(feature = "full")]
mod authenticate;
#[cfg(feature = "full")]
mod change_pin;
#[cfg(feature = "full")]
mod enroll;
mod errors;
#[cfg(feature = "full")]
mod fido;
mod form;
#[cfg(feature = "full")]
mod key_button;
mod otp_code;
#[cfg(feature = "full")]
mod otp_delete;
#[cfg(feature = "full")]
mod otp_unlock;
#[cfg(feature = "full")]
mod personalize;
#[cfg(feature = "full")]
mod policy;
#[cfg(feature = "full")]
mod recycle;
#[cfg(feature = "full")]
mod reveal;
#[cfg(feature = "full")]
mod unblock;

pub use errors::host_error_text;
pub use form::Form;

use serde_json::Value;

use crate::protocol::{ErrorBody, Feature, PinStatus, TokenInfo};
use crate::protocol::{OtpEntry, OtpList};
use crate::secret::Secret;

use super::device_menu::supports;
use super::view::{Action, Block, ButtonView, Text, Tone};

/// The token a dialog acts on, as last known (updated by the dialog's own
/// answers: a wrong PIN lowers `tries_left`).
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// Device id (what calls address).
    pub id: String,
    /// Model name.
    pub name: String,
    /// PIN state.
    pub pin: Option<PinStatus>,
    /// The probe's findings.
    pub info: TokenInfo,
    /// Its OTP slots or accounts (`otp.list`), for the OTP dialogs.
    pub otp: Option<OtpList>,
}

impl Token {
    /// A token from `devices.list`.
    pub fn new(name: String, info: TokenInfo) -> Token {
        Token {
            id: info.id.clone(),
            name,
            pin: info.pin,
            info,
            otp: None,
        }
    }

    /// Tries left before the PIN blocks, when known.
    pub fn tries_left(&self) -> Option<u8> {
        match self.pin {
            Some(PinStatus::Locked { tries_left }) => tries_left,
            _ => None,
        }
    }

    /// Whether the PIN is verified (operations may skip it).
    pub fn verified(&self) -> bool {
        self.pin == Some(PinStatus::Verified)
    }

    /// Whether the token has `f`.
    pub fn has(&self, f: Feature) -> bool {
        self.info.features.contains(&f)
    }

    fn can_unblock(&self) -> bool {
        supports(&self.info, Action::Unblock)
    }
}

/// What a dialog step asks the popup to do.
#[derive(Debug, Default, PartialEq)]
pub struct Out {
    /// A host call to make (the dialog waits for its answer).
    pub call: Option<(&'static str, Value)>,
    /// Close the dialog.
    pub close: bool,
    /// Tell the user how it went (with `close`).
    pub notice: Option<Text>,
    /// Replace this dialog by another one for the same token.
    pub open: Option<Action>,
    /// The token changed: list the devices again.
    pub relist: bool,
    /// Put this on the clipboard (a code the user asked for).
    pub copy: Option<Secret>,
    /// Account metadata to keep (`Some`) or forget (`None`) for an entry id.
    pub store: Option<(String, Option<AccountMeta>)>,
    /// Capture a QR code this way (the glue reports back with `captured`).
    pub capture: Option<super::capture::Source>,
    /// A YKOATH key's OATH password that `otp.list` accepted, with the list:
    /// the popup keeps the password (in memory, this popup only) for the
    /// key's later `otp.*` calls.
    pub unlocked: Option<(Secret, OtpList)>,
}

/// What the extension keeps about an OTP account (no secret): the names a
/// Crescendo slot cannot hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccountMeta {
    /// Issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Account name.
    #[serde(default)]
    pub name: String,
    /// The site it was enrolled for: the registrable domain of the tab the
    /// popup was opened on (`site.of`), or `None` when enrolled elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// More registrable domains the user confirmed for this account, one by
    /// one (crate::binding).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sites: Vec<String>,
}

impl AccountMeta {
    /// "Issuer: name", or the name.
    pub fn title(&self) -> String {
        match self.issuer.as_deref().filter(|i| !i.is_empty()) {
            Some(i) => format!("{i}: {}", self.name),
            None => self.name.clone(),
        }
    }
}

impl Out {
    /// Nothing to do (the view changed, maybe).
    pub fn none() -> Out {
        Out::default()
    }

    /// Call the host.
    pub fn call(method: &'static str, params: Value) -> Out {
        Out {
            call: Some((method, params)),
            ..Out::default()
        }
    }

    /// Done: close, say so, list the devices again.
    pub fn done(notice: Text) -> Out {
        Out {
            close: true,
            notice: Some(notice),
            relist: true,
            ..Out::default()
        }
    }

    /// Close without a word.
    pub fn close() -> Out {
        Out {
            close: true,
            ..Out::default()
        }
    }

    /// Switch to another dialog.
    pub fn open(action: Action) -> Out {
        Out {
            open: Some(action),
            ..Out::default()
        }
    }
}

/// A dialog's content for the current step.
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    /// Step name.
    pub step: &'static str,
    /// Content.
    pub blocks: Vec<Block>,
    /// Dialog-level error.
    pub error: Option<Text>,
    /// Buttons.
    pub actions: Vec<ButtonView>,
}

/// One dialog's state machine.
pub trait Dialog {
    /// Which dialog.
    fn kind(&self) -> Action;
    /// Calls to make when it opens (policy, challenge, …).
    fn start(&mut self, _t: &Token) -> Out {
        Out::none()
    }
    /// Current content.
    fn body(&self, t: &Token) -> Body;
    /// Form generation (bumped when secrets are wiped).
    fn form_gen(&self) -> u32;
    /// A field changed.
    fn input(&mut self, t: &Token, name: &str, value: Secret) -> Out;
    /// A button was pressed (not `cancel`: the popup closes).
    fn action(&mut self, t: &Token, id: &str) -> Out;
    /// The answer to this dialog's call.
    fn reply(&mut self, t: &mut Token, method: &str, result: Result<Value, ErrorBody>) -> Out;
    /// Whether Esc / Cancel may close it now.
    fn closable(&self) -> bool {
        true
    }
    /// Title for the current step.
    fn title(&self) -> Text {
        title(self.kind())
    }
    /// A host event for this dialog's pending call (`otp.touch`).
    fn event(&mut self, _t: &Token, _name: &str, _data: &Value) -> Out {
        Out::none()
    }
    /// What a QR capture found (Add account only).
    fn captured(&mut self, _t: &Token, _c: super::capture::Capture) -> Out {
        Out::none()
    }
}

/// Opens an OTP dialog on `entry` (for Add: the slot to preselect), titled
/// with the name the popup shows for it.
pub fn open_otp(
    action: Action,
    t: &Token,
    entry: Option<&OtpEntry>,
    title: Text,
    titles: Vec<(String, Text)>,
) -> Option<Box<dyn Dialog>> {
    #[cfg(not(feature = "full"))]
    let _ = (t, titles);
    Some(match (action, entry) {
        (Action::OtpCode, Some(e)) => Box::new(otp_code::OtpCodeDialog::new(e.clone(), title)),
        #[cfg(feature = "full")]
        (Action::OtpDelete, Some(e)) => Box::new(otp_delete::OtpDelete::new(e.clone(), title)),
        #[cfg(feature = "full")]
        (Action::OtpAdd, e) => {
            Box::new(enroll::Enroll::new(t, e.and_then(|e| e.slot)).with_titles(titles))
        }
        _ => return None,
    })
}

/// Whether `action`'s dialog is missing from this build: the popup's first
/// module (no `full` feature) holds only the OTP code dialog.
pub fn needs_full(action: Action) -> bool {
    !cfg!(feature = "full") && !matches!(action, Action::OtpCode)
}

/// Seconds left of a touch wait, from an `otp.touch` event's `remaining_ms`.
pub fn touch_seconds(data: &Value) -> u64 {
    data.get("remaining_ms")
        .and_then(Value::as_u64)
        .map_or(30, |ms| ms.div_ceil(1000))
}

/// The touch hint: animated, with the seconds the token still waits.
pub fn touch_block(key: &'static str, seconds: u64) -> Block {
    Block::Touch {
        text: Text::key(key),
        seconds,
    }
}

/// Opens the dialog for `action` (Lock and Clear Cache have none; the first
/// module has none of these, see [`needs_full`]).
pub fn open(action: Action, t: &Token) -> Option<Box<dyn Dialog>> {
    #[cfg(not(feature = "full"))]
    {
        let _ = (action, t);
        None
    }
    #[cfg(feature = "full")]
    Some(match action {
        Action::Authenticate => Box::new(authenticate::Authenticate::new(t)),
        Action::ChangePin => Box::new(change_pin::ChangePin::new(t)),
        Action::Unblock => Box::new(unblock::Unblock::new(t)),
        Action::ViewPuk => Box::new(reveal::Reveal::new(t, reveal::Secret::Puk)),
        Action::PairingCode => Box::new(reveal::Reveal::new(t, reveal::Secret::PairingCode)),
        Action::PinPolicy => Box::new(policy::PolicyDialog::new()),
        Action::Recycle => Box::new(recycle::Recycle::new(t)),
        Action::Personalize => Box::new(personalize::Personalize::new(t)),
        Action::Fido => Box::new(fido::Fido::new()),
        Action::Button => Box::new(key_button::KeyButton::new()),
        Action::OtpUnlock => Box::new(otp_unlock::OtpUnlock::new()),
        Action::Lock
        | Action::ClearCache
        | Action::OtpCode
        | Action::OtpAdd
        | Action::OtpDelete => return None,
    })
}

/// Title of a dialog.
pub fn title(kind: Action) -> Text {
    Text::key(match kind {
        Action::Authenticate => "dlg_authenticate",
        Action::ChangePin => "dlg_change_pin",
        Action::Unblock => "dlg_unblock",
        Action::ViewPuk => "dlg_view_puk",
        Action::PairingCode => "dlg_pairing_code",
        Action::PinPolicy => "dlg_pin_policy",
        Action::Recycle => "dlg_recycle",
        Action::Personalize => "dlg_personalize",
        Action::Fido => "fido_title",
        Action::Button => "dlg_button",
        Action::Lock => "action_lock",
        Action::ClearCache => "action_clear_cache",
        Action::OtpCode => "dlg_otp_code",
        Action::OtpAdd => "dlg_otp_add",
        Action::OtpDelete => "dlg_otp_delete",
        Action::OtpUnlock => "dlg_otp_unlock",
    })
}

/// A paragraph.
pub fn para(key: &'static str, tone: Tone) -> Block {
    Block::Text {
        text: Text::key(key),
        tone,
    }
}

/// A paragraph with substitutions.
pub fn para_with(key: &'static str, args: impl IntoIterator<Item = String>, tone: Tone) -> Block {
    Block::Text {
        text: Text::with(key, args),
        tone,
    }
}

/// A button.
pub fn button(id: &'static str, label: &'static str, primary: bool) -> ButtonView {
    ButtonView {
        id,
        label: Text::key(label),
        primary,
        danger: false,
        enabled: true,
        busy: false,
    }
}

/// The Cancel button.
pub fn cancel() -> ButtonView {
    button("cancel", "btn_cancel", false)
}

/// A waiting step.
pub fn loading(text: &'static str) -> Body {
    Body {
        step: "loading",
        blocks: vec![Block::Progress {
            text: Text::key(text),
        }],
        error: None,
        actions: vec![cancel()],
    }
}

/// What every PIN-using dialog shows once the PIN is blocked: why, and the way out.
pub fn blocked_body(t: &Token) -> Body {
    let mut actions = vec![];
    if t.can_unblock() {
        actions.push(button("unblock", "action_unblock", true));
    }
    actions.push(button("cancel", "btn_close", actions.is_empty()));
    Body {
        step: "blocked",
        blocks: vec![para(
            if t.can_unblock() {
                "dlg_blocked"
            } else {
                "dlg_blocked_no_unblock"
            },
            Tone::Danger,
        )],
        error: None,
        actions,
    }
}

/// How a failed call that carried a PIN (or needed one) leaves the dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The PIN field has the error (wrong PIN: secrets wiped).
    Pin,
    /// The host wants the PIN: show the PIN field.
    PinRequired,
    /// The PIN is blocked now.
    Blocked,
    /// Anything else: a dialog-level message.
    Other(Text),
}

/// Maps a failure of a PIN-carrying call. Never retries: a wrong PIN wipes the
/// typed secrets and tells the tries left.
pub fn pin_failure(
    t: &mut Token,
    form: &mut Form,
    pin_field: &'static str,
    e: &ErrorBody,
) -> Failure {
    use crate::protocol::ErrorCode;
    match e.code {
        ErrorCode::WrongPin => {
            let tries = e
                .details
                .get("tries_left")
                .and_then(Value::as_u64)
                .and_then(|n| u8::try_from(n).ok());
            form.reset();
            if tries == Some(0) {
                t.pin = Some(PinStatus::Blocked);
                return Failure::Blocked;
            }
            t.pin = Some(PinStatus::Locked { tries_left: tries });
            form.error(pin_field, errors::wrong_pin(tries));
            Failure::Pin
        }
        ErrorCode::PinBlocked => {
            form.reset();
            t.pin = Some(PinStatus::Blocked);
            Failure::Blocked
        }
        ErrorCode::PinRequired => {
            if t.verified() {
                t.pin = Some(PinStatus::Locked { tries_left: None });
            }
            form.error(pin_field, Text::key("err_pin_required"));
            Failure::PinRequired
        }
        _ => Failure::Other(host_error_text(e)),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::pin_policy::{CardLimits, PinPolicy};
    use crate::protocol::{Applets, PolicyInfo};

    /// A Crescendo Key "ID1", locked with `tries` left (`Some(0)` = blocked).
    pub fn crescendo(tries: Option<u8>) -> Token {
        let applets = Applets {
            aca: true,
            oath_slots: 3,
            piv: true,
            ykoath: false,
            fido: true,
        };
        let pin = match tries {
            Some(0) => PinStatus::Blocked,
            t => PinStatus::Locked { tries_left: t },
        };
        Token::new(
            "HID Crescendo Key".into(),
            TokenInfo {
                id: "ID1".into(),
                features: applets.features(),
                applets,
                pin: Some(pin),
                must_change_pin: false,
                managed: false,
            },
        )
    }

    /// The virtual Crescendo Key's policy answer.
    pub fn policy_info() -> PolicyInfo {
        let limits = CardLimits {
            min_len: 4,
            max_len: 8,
            numeric_only: true,
        };
        PolicyInfo {
            limits,
            policy: PinPolicy::from_limits(limits),
        }
    }

    fn field<'a>(body: &'a Body, name: &str) -> Option<&'a crate::popup::view::FieldView> {
        body.blocks.iter().find_map(|b| match b {
            Block::Field(f) if f.name == name => Some(f),
            _ => None,
        })
    }

    /// The errors shown on a field.
    pub fn field_errors(body: &Body, name: &str) -> Vec<Text> {
        field(body, name)
            .map(|f| f.errors.clone())
            .unwrap_or_default()
    }

    /// Whether a field is shown.
    pub fn has_field(body: &Body, name: &str) -> bool {
        field(body, name).is_some()
    }

    #[cfg(feature = "full")]
    #[test]
    fn every_dialog_opens_for_its_action() {
        let t = crescendo(Some(6));
        for a in [
            Action::Authenticate,
            Action::ChangePin,
            Action::Unblock,
            Action::ViewPuk,
            Action::PairingCode,
            Action::PinPolicy,
            Action::Recycle,
            Action::Personalize,
            Action::Fido,
            Action::Button,
        ] {
            assert_eq!(open(a, &t).map(|d| d.kind()), Some(a));
        }
        assert!(open(Action::Lock, &t).is_none());
    }
}
