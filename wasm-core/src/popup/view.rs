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
}
