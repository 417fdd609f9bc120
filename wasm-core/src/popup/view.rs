//! What the popup shows: a view model the DOM glue renders without deciding anything.
//! Every text is a `_locales` message key with its substitutions.

use serde::Serialize;

/// A translatable text: `chrome.i18n.getMessage(key, args)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Text {
    /// Message key in `_locales/*/messages.json`.
    pub key: &'static str,
    /// Substitutions `$1`, `$2`, …
    pub args: Vec<String>,
}

impl Text {
    /// A text without substitutions.
    pub fn key(key: &'static str) -> Text {
        Text { key, args: vec![] }
    }

    /// A text with substitutions.
    pub fn with(key: &'static str, args: impl IntoIterator<Item = String>) -> Text {
        Text {
            key,
            args: args.into_iter().collect(),
        }
    }

    /// A proper noun shown as is (the `literal` message is just `$1`).
    pub fn literal(s: impl Into<String>) -> Text {
        Text::with("literal", [s.into()])
    }
}

/// Connection to the native host, as the user should understand it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnState {
    /// First connection attempt in progress.
    Connecting,
    /// Hello done, host usable.
    Connected,
    /// The host went away; the background is starting it again.
    Reconnecting,
    /// The browser cannot find the host: not installed.
    HostMissing,
    /// The browser refuses the host for this extension.
    HostForbidden,
    /// Host and extension speak incompatible protocol versions.
    Incompatible,
}

/// The connection banner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionView {
    /// State, also used as a CSS class.
    pub state: ConnState,
    /// Headline.
    pub title: Text,
    /// What to do next, if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<Text>,
    /// A shell command that fixes the problem, shown copyable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix_command: Option<String>,
    /// Whether a spinner should show (something is in progress).
    pub busy: bool,
}

/// Host identity, once hello succeeded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostView {
    /// "Host 0.1.0 · protocol 1".
    pub summary: Text,
}

/// State of the tokens list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokensState {
    /// Not shown (no host yet).
    Hidden,
    /// Waiting for `devices.list`.
    Loading,
    /// List shown (maybe empty).
    Ready,
    /// The smart-card service is not running.
    ServiceDown,
    /// Listing failed.
    Error,
}

/// One reader tile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenItem {
    /// Model name, or "No token in this reader".
    pub title: Text,
    /// Reader name.
    pub reader: String,
    /// ATR (hex) when a card is present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub atr: Option<String>,
    /// "ID …" once the token was probed (ActivClient shows it the same way).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Text>,
    /// Screen-reader label for the tile.
    pub label: Text,
    /// Device id the actions address (absent until the token was probed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Lock icon, when the token reports its PIN state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock: Option<LockView>,
    /// What needs doing first (PIN blocked, PIN change required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<Text>,
    /// The one action to do now, shown as a button on the tile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary: Option<MenuItem>,
    /// Kebab menu: every action, unavailable ones disabled with a reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub menu: Vec<MenuItem>,
    /// Accessible name of the kebab button.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub menu_label: Option<Text>,
    /// The token's one-time passwords, when it has an OTP applet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub otp: Option<OtpView>,
}

/// State of a token's OTP section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OtpState {
    /// Waiting for `otp.list`.
    Loading,
    /// Listed.
    Ready,
    /// Listing failed (`message` says why).
    Error,
    /// A YKOATH applet protected by an OATH password: `unlock` asks for it.
    Locked,
}

/// A token's OTP section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OtpView {
    /// State.
    pub state: OtpState,
    /// Heading ("One-time passwords").
    pub heading: Text,
    /// Loading, error or "no accounts yet".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Text>,
    /// One tile per slot or account.
    pub entries: Vec<OtpTile>,
    /// The section's "Add account" button, when there is room.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub add: Option<Text>,
    /// The section's "Unlock" button (state `locked`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unlock: Option<Text>,
}

/// One OTP slot or account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OtpTile {
    /// Entry id (sent back in `open`).
    pub entry: String,
    /// Name: issuer and account, or "Slot N", or "Empty slot".
    pub title: Text,
    /// HOTP / TOTP / OCRA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<Text>,
    /// Access control ("PIN and touch").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access: Option<Text>,
    /// Details shown on hover/focus (algorithm, digits, period).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<Text>,
    /// An empty slot: the tile offers "Add account" instead of a code.
    pub empty: bool,
    /// Screen-reader label of the tile's button.
    pub label: Text,
    /// Accessible name of the tile's kebab (absent for an empty slot).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub menu_label: Option<Text>,
}

/// The tokens section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokensView {
    /// Section state.
    pub state: TokensState,
    /// Message under the heading (empty list, service down, error).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Text>,
    /// Tiles.
    pub items: Vec<TokenItem>,
}

/// Everything the popup renders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct View {
    /// Connection banner.
    pub connection: ConnectionView,
    /// Host identity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<HostView>,
    /// Tokens section.
    pub tokens: TokensView,
    /// Outcome of the last operation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<NoticeView>,
    /// The open dialog.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dialog: Option<DialogView>,
}

/// What a tile's lock icon shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LockState {
    /// PIN verified in this card session (lock open).
    Verified,
    /// PIN not verified (lock closed).
    Locked,
    /// PIN blocked.
    Blocked,
}

/// The lock icon: state (CSS) and its screen-reader label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockView {
    /// Icon state.
    pub state: LockState,
    /// "PIN verified", "Locked, 5 tries left", "PIN blocked".
    pub label: Text,
}

/// Something the user can do with a token (a kebab-menu item; also a dialog kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Verify the PIN.
    Authenticate,
    /// Drop the verified state.
    Lock,
    /// Change the PIN.
    ChangePin,
    /// Unblock (or reset) the PIN with the admin key, the helpdesk or the PUK.
    Unblock,
    /// Show the stored PUK.
    ViewPuk,
    /// Show the VCI pairing code.
    PairingCode,
    /// Edit the PIN policy.
    PinPolicy,
    /// Forget what the host read from the tokens.
    ClearCache,
    /// Factory reset.
    Recycle,
    /// Recycle?, policy, PIN, PUK.
    Personalize,
    /// Show one OTP code (an OTP tile).
    OtpCode,
    /// Enroll an OTP account.
    OtpAdd,
    /// Delete an OTP account (typed confirmation).
    OtpDelete,
    /// The FIDO panel (PIN, passkeys, reset, troubleshooting).
    Fido,
    /// What the key's button types on a single and a double press.
    Button,
    /// Type the OATH password of a YKOATH key (kept for this popup only).
    OtpUnlock,
}

/// One kebab-menu item (or a tile's primary button).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MenuItem {
    /// What it does (sent back in the `open` input).
    pub action: Action,
    /// Label.
    pub label: Text,
    /// Whether it can be used now.
    pub enabled: bool,
    /// Why not, when disabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Text>,
    /// Destructive (shown in red).
    pub danger: bool,
}

/// Tone of a notice, paragraph or button.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tone {
    /// Neutral.
    Info,
    /// Success.
    Ok,
    /// Needs attention.
    Warning,
    /// Failure or destructive.
    Danger,
}

/// A message under the header (the outcome of the last operation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeView {
    /// Text.
    pub text: Text,
    /// Tone.
    pub tone: Tone,
}

/// Kind of an input field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    /// A secret typed blind (PIN, PUK).
    Password,
    /// Visible text (admin key, response, typed confirmation).
    Text,
    /// A small number.
    Number,
    /// A yes/no box.
    Checkbox,
    /// One of a few options, as a drop-down.
    Select,
    /// One of a few options, as radio buttons.
    Radio,
    /// A key recorder: the glue sends `[{code, shift, altgr}]` (KeyboardEvent
    /// `code`, `shiftKey`, AltGraph) as JSON; `value` is what the keys type.
    Keys,
}

/// One option of a select or radio field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    /// Value sent back in the `field` input.
    pub value: &'static str,
    /// Label.
    pub label: Text,
    /// Why it cannot be chosen (shown greyed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Text>,
}

impl Choice {
    /// An option that can be chosen.
    pub fn new(value: &'static str, label: Text) -> Choice {
        Choice {
            value,
            label,
            reason: None,
        }
    }
}

/// A labelled input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldView {
    /// Name sent back in the `field` input.
    pub name: &'static str,
    /// Kind.
    pub input: InputKind,
    /// Label.
    pub label: Text,
    /// Help under the field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<Text>,
    /// What is wrong with the value (after a submit or a host error).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<Text>,
    /// Current value, for fields that are not secret (`"true"`/`"false"` for checkboxes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Options of select and radio fields.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Choice>,
    /// Read-only for now.
    pub disabled: bool,
    /// `autocomplete` attribute.
    pub autocomplete: &'static str,
    /// `inputmode` attribute (`numeric` for digit-only PINs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inputmode: Option<&'static str>,
    /// Bounds of number fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<u8>,
    /// Bounds of number fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<u8>,
    /// Monospaced (hex, ids).
    pub mono: bool,
}

/// One rule of a PIN policy, ticked while the user types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleView {
    /// The rule.
    pub text: Text,
    /// Whether the new PIN meets it (absent while the field is empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub met: Option<bool>,
}

/// One piece of a dialog, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// A paragraph.
    Text {
        /// Text.
        text: Text,
        /// Tone (warnings and destructive steps stand out).
        tone: Tone,
    },
    /// An input.
    Field(FieldView),
    /// The PIN policy, above the new-PIN field.
    Rules {
        /// "Your new PIN needs:".
        label: Text,
        /// The rules.
        items: Vec<RuleView>,
    },
    /// A value to read or copy (PUK, pairing code, challenge).
    Output {
        /// Name (for tests and `aria` ids).
        name: &'static str,
        /// Label.
        label: Text,
        /// Value.
        value: String,
        /// Offer a Copy button.
        copy: bool,
    },
    /// Waiting for the host (spinner).
    Progress {
        /// What we wait for.
        text: Text,
    },
    /// The token waits for a touch (animated hint, seconds left).
    Touch {
        /// "Touch your key".
        text: Text,
        /// Seconds the token still waits.
        seconds: u64,
    },
    /// A one-time code, large, with its validity (the glue counts down).
    Code {
        /// Label (the account).
        label: Text,
        /// The code.
        value: String,
        /// TOTP: Unix time it stops being valid.
        #[serde(skip_serializing_if = "Option::is_none")]
        valid_until: Option<u64>,
        /// TOTP period (seconds).
        #[serde(skip_serializing_if = "Option::is_none")]
        period: Option<u32>,
    },
    /// Rows with a button each (FIDO panel, passkeys per site).
    Rows {
        /// Heading of the group (a site), if any.
        #[serde(skip_serializing_if = "Option::is_none")]
        label: Option<Text>,
        /// The rows.
        items: Vec<RowView>,
    },
    /// Time left to do something (touch the key): the glue counts down.
    Countdown {
        /// Message whose `$1` the glue sets to the seconds left.
        text: Text,
        /// Milliseconds left when the block first shows.
        ms: u64,
    },
    /// The QR capture buttons (Add account): each sends `press` with its id.
    Capture {
        /// Heading of the group ("Read a QR code").
        label: Text,
        /// One button per capture path.
        items: Vec<RowButton>,
    },
}

/// One row of a [`Block::Rows`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowView {
    /// Main text.
    pub title: Text,
    /// Second line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<Text>,
    /// Tone of the row.
    pub tone: Tone,
    /// Its button, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub button: Option<RowButton>,
}

/// A row's button: pressing it sends `press` with `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowButton {
    /// Sent back in the `press` input.
    pub id: String,
    /// Visible label.
    pub label: Text,
    /// Accessible name (says what the row is about).
    pub aria: Text,
    /// Destructive.
    pub danger: bool,
}

/// A dialog button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ButtonView {
    /// Sent back in the `action` input (`cancel` closes).
    pub id: &'static str,
    /// Label.
    pub label: Text,
    /// The dialog's main button (Enter submits it).
    pub primary: bool,
    /// Destructive.
    pub danger: bool,
    /// Whether it can be pressed.
    pub enabled: bool,
    /// Shows a spinner: its operation is running.
    pub busy: bool,
}

/// An open dialog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DialogView {
    /// Which dialog.
    pub kind: Action,
    /// Step of a multi-step dialog (`form`, `loading`, `result`, `puk`, …).
    pub step: &'static str,
    /// Form generation: when it changes the glue rebuilds the inputs empty.
    pub form: u32,
    /// Title.
    pub title: Text,
    /// The token it acts on.
    pub subtitle: Text,
    /// Content.
    pub blocks: Vec<Block>,
    /// What went wrong and what to do next.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Text>,
    /// Buttons.
    pub actions: Vec<ButtonView>,
    /// A host call is running.
    pub busy: bool,
}
