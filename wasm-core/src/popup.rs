//! The popup's state machine: inputs from the background worker and from the user
//! in, a view and the host calls to make out. The DOM glue only renders and forwards.
//!
//! Device management (issue 4): each token tile carries its lock state and kebab
//! menu (`popup/device_menu.rs`); an action opens a dialog state machine (`popup/dialogs`)
//! bound to that token, or runs at once (Lock, Clear Cache). The popup numbers
//! every host call and routes each reply to whoever waits for it, so a late
//! answer to a closed dialog is ignored.

#[cfg_attr(not(feature = "full"), allow(dead_code))]
mod capture;
mod device_menu;
// The first module (no `full` feature) leaves some shared helpers unused.
#[cfg_attr(not(feature = "full"), allow(dead_code))]
mod dialogs;
mod disconnect;
#[cfg_attr(not(feature = "full"), allow(dead_code))]
mod otp_view;
mod view;

pub use crate::browser::Browser;
pub use capture::{Capture, Source as CaptureSource};
pub use device_menu::{tile_actions, TileActions};
pub use dialogs::{AccountMeta, Dialog, Token};
pub use disconnect::classify_disconnect;
pub use otp_view::{entry_title, meta_key, Accounts};
pub use view::{
    Action, Block, ButtonView, Choice, ConnState, ConnectionView, DialogView, FieldView, HostView,
    InputKind, LockState, LockView, MenuItem, NoticeView, OtpState, OtpTile, OtpView, RowButton,
    RowView, RuleView, Text, TokenItem, TokensState, TokensView, Tone, View,
};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::protocol::OtpList;
use crate::protocol::{
    DevicesList, ErrorBody, ErrorCode, Event, HelloResult, PcscState, Reader, Response,
    MIN_PROTOCOL_VERSION, PROTOCOL_VERSION,
};
use crate::secret::Secret;

/// State of the background worker's native port, as it reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PortState {
    /// `connectNative` called, hello not answered yet.
    Connecting,
    /// Hello answered.
    Connected,
    /// The port closed; `error` says why.
    Disconnected,
}

/// What the popup learns from the background worker.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PopupInput {
    /// The native port's state changed (sent on popup connect, too).
    Status {
        /// Port state.
        state: PortState,
        /// The host's hello, once connected.
        #[serde(default)]
        hello: Option<HelloResult>,
        /// The browser's error text for the last disconnect.
        #[serde(default)]
        error: Option<String>,
    },
    /// The answer to a call the popup asked for.
    Reply {
        /// The method called.
        method: String,
        /// The host's (or the background's) response.
        response: Response,
    },
    /// A host event.
    Event(Event),
    /// The user picked an action of a tile (kebab menu or tile button).
    Open {
        /// Device id of the tile.
        device: String,
        /// The action.
        action: Action,
        /// The OTP entry it acts on (OTP tiles; for Add, an empty slot).
        #[serde(default)]
        entry: Option<String>,
    },
    /// The account metadata the extension keeps (chrome.storage.local
    /// `accounts`), on popup start and whenever it changes.
    Accounts {
        /// `{"<deviceId>/<entryId>": {issuer, name, site?}}`.
        accounts: Value,
    },
    /// The user changed a dialog field (checkboxes send `"true"`/`"false"`).
    Field {
        /// Field name.
        name: String,
        /// New value.
        value: Secret,
    },
    /// The user pressed a dialog button.
    Press {
        /// Button id.
        id: String,
    },
    /// The user pressed Esc (or the dialog's close).
    Close,
    /// A QR capture's outcome (popup/capture.rs). With no Add account dialog
    /// open (a region or a context-menu image reported when the popup opened),
    /// it opens one on the first token that can add an account.
    Captured(Capture),
    /// The registrable domain of the tab the popup was opened on (`site.of`
    /// of the browser's `tab.url`): accounts added now are bound to it.
    Site {
        /// `None`: not an http(s) page.
        #[serde(default)]
        registrable: Option<String>,
    },
}

/// A host call the glue should make on the popup's behalf.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutCall {
    /// Request id (the reply carries it back).
    pub id: u64,
    /// Method name.
    pub method: &'static str,
    /// Parameters.
    pub params: Value,
}

/// Result of one step: what to show and what to ask the host.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// The view to render.
    pub view: View,
    /// Calls to send now.
    pub calls: Vec<OutCall>,
    /// What the glue does besides rendering (clipboard, storage).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub effects: Vec<Effect>,
}

/// A side effect the glue carries out for the core.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Effect {
    /// `navigator.clipboard.writeText(text)`, then announce "Copied".
    Copy {
        /// The code.
        text: Secret,
    },
    /// `chrome.storage.local.set({accounts})` (metadata only, no secret).
    StoreAccounts {
        /// The whole map.
        accounts: Accounts,
    },
    /// Capture a QR code (extension/popup-capture.js), then send `captured`.
    Capture {
        /// How.
        source: CaptureSource,
    },
    /// This build lacks the dialog the input opens: discard this step, load the
    /// full module, replay the inputs applied so far into it, then apply this
    /// input there (the core is deterministic, so call ids match).
    LoadFull,
}

/// The open dialog: the token it acts on, its state machine, the call it waits for.
struct OpenDialog {
    token: Token,
    machine: Box<dyn Dialog>,
    pending: Option<u64>,
    /// The pending call only reads (policy, challenge): Cancel may leave it.
    pending_read: bool,
    close_refused: bool,
}

/// Calls that change nothing on the token: a dialog waiting for one may close.
const READS: [&str; 5] = [
    "site.of",
    "pin.policy.get",
    "pin.unblock.challenge",
    "fido.info",
    "fido.credentials.list",
];

/// An action without a dialog (Lock, Clear Cache) waiting for its answer.
#[derive(Debug, Clone)]
struct QuickOp {
    id: u64,
    action: Action,
    name: String,
}

/// The popup's state.
pub struct Popup {
    browser: Browser,
    conn: ConnectionView,
    host: Option<HostView>,
    tokens: TokensView,
    ever_connected: bool,
    readers: Vec<Reader>,
    dialog: Option<OpenDialog>,
    quick: Option<QuickOp>,
    notice: Option<NoticeView>,
    next_id: u64,
    change_demanded: Vec<String>,
    /// `otp.list` results per device (absent: not answered yet).
    otp: Vec<(String, Result<OtpList, Text>)>,
    /// Pending `otp.list` calls: id → device.
    otp_calls: Vec<(u64, String)>,
    /// YKOATH keys whose `otp.list` answered `pin_required`: the OTP section
    /// offers Unlock.
    otp_locked: Vec<String>,
    /// OATH passwords the user typed in Unlock, per device: in this popup's
    /// memory only (zeroized on drop; never stored, logged or in the view),
    /// sent as `pin` on that key's `otp.*` calls.
    otp_passwords: Vec<(String, Secret)>,
    accounts: Accounts,
    effects: Vec<Effect>,
    /// A capture waiting for a token to add it to.
    pending_capture: Option<Capture>,
    /// The active tab's registrable domain (crate::binding).
    site: Option<String>,
}

impl Popup {
    /// A popup that has not heard from the background yet.
    pub fn new(browser: Browser) -> Popup {
        Popup {
            browser,
            conn: connection(ConnState::Connecting, "conn_connecting", None, None, true),
            host: None,
            tokens: TokensView {
                state: TokensState::Hidden,
                message: None,
                items: vec![],
            },
            ever_connected: false,
            readers: vec![],
            dialog: None,
            quick: None,
            notice: None,
            next_id: 1,
            change_demanded: vec![],
            otp: vec![],
            otp_calls: vec![],
            otp_locked: vec![],
            otp_passwords: vec![],
            accounts: Accounts::new(),
            effects: vec![],
            pending_capture: None,
            site: None,
        }
    }

    /// The current view.
    pub fn view(&self) -> View {
        let mut tokens = self.tokens.clone();
        for item in &mut tokens.items {
            let Some(device) = item.device.as_deref() else {
                continue;
            };
            if !self
                .token(device)
                .is_some_and(|t| device_menu::has_otp(&t.info))
            {
                continue;
            }
            if self.otp_locked.iter().any(|d| d == device) {
                item.otp = Some(otp_view::locked_section());
                continue;
            }
            let list = self.otp.iter().find(|(d, _)| d == device).map(|(_, l)| l);
            item.otp = Some(otp_view::section(device, list, &self.accounts));
        }
        View {
            connection: self.conn.clone(),
            host: self.host.clone(),
            tokens,
            notice: self.notice.clone(),
            dialog: self.dialog.as_ref().map(dialog_view),
        }
    }

    /// Applies one input.
    pub fn apply(&mut self, input: PopupInput) -> Step {
        let calls = match input {
            PopupInput::Status {
                state,
                hello,
                error,
            } => self.on_status(state, hello, error),
            PopupInput::Reply { method, response } => self.on_reply(&method, response),
            PopupInput::Event(event) => self.on_event(&event),
            PopupInput::Open {
                device,
                action,
                entry,
            } => self.on_open(&device, action, entry.as_deref()),
            PopupInput::Accounts { accounts } => {
                self.accounts = serde_json::from_value(accounts).unwrap_or_default();
                vec![]
            }
            PopupInput::Field { name, value } => match self.dialog.as_mut() {
                Some(d) => {
                    d.close_refused = false;
                    let out = d.machine.input(&d.token, &name, value);
                    self.apply_out(out)
                }
                None => vec![],
            },
            PopupInput::Press { id } => self.on_press(&id),
            PopupInput::Close => self.on_press("cancel"),
            PopupInput::Captured(c) => match self.dialog.as_mut() {
                Some(d) if d.machine.kind() == Action::OtpAdd && d.pending.is_none() => {
                    let out = d.machine.captured(&d.token, c);
                    self.apply_out(out)
                }
                _ => {
                    self.pending_capture = Some(c);
                    vec![]
                }
            },
            PopupInput::Site { registrable } => {
                self.site = registrable;
                vec![]
            }
        };
        let mut calls = calls;
        calls.extend(self.open_pending_capture());
        Step {
            view: self.view(),
            calls,
            effects: std::mem::take(&mut self.effects),
        }
    }

    fn fix_command(&self) -> String {
        format!("tessera install --browser {}", self.browser.install_arg())
    }

    fn on_status(
        &mut self,
        state: PortState,
        hello: Option<HelloResult>,
        error: Option<String>,
    ) -> Vec<OutCall> {
        match (state, hello) {
            (PortState::Connected, Some(hello)) => self.on_hello(hello),
            (PortState::Connecting, _) | (PortState::Connected, None) => {
                self.conn = if self.ever_connected {
                    connection(
                        ConnState::Reconnecting,
                        "conn_reconnecting",
                        Some("conn_reconnecting_detail"),
                        None,
                        true,
                    )
                } else {
                    connection(ConnState::Connecting, "conn_connecting", None, None, true)
                };
                vec![]
            }
            (PortState::Disconnected, _) => {
                let code = error
                    .as_deref()
                    .map(classify_disconnect)
                    .unwrap_or(ErrorCode::HostDisconnected);
                self.conn = match code {
                    ErrorCode::HostNotFound => connection(
                        ConnState::HostMissing,
                        "conn_host_missing",
                        Some("conn_host_missing_detail"),
                        Some(self.fix_command()),
                        false,
                    ),
                    ErrorCode::HostForbidden => connection(
                        ConnState::HostForbidden,
                        "conn_host_forbidden",
                        Some("conn_host_forbidden_detail"),
                        Some(self.fix_command()),
                        false,
                    ),
                    _ => connection(
                        ConnState::Reconnecting,
                        "conn_reconnecting",
                        Some("conn_reconnecting_detail"),
                        None,
                        true,
                    ),
                };
                if code != ErrorCode::HostDisconnected {
                    self.host = None;
                    self.tokens.state = TokensState::Hidden;
                    self.tokens.items.clear();
                    self.tokens.message = None;
                    self.readers.clear();
                    // No host to finish them: dialogs (and their secrets) go.
                    self.dialog = None;
                    self.quick = None;
                }
                vec![]
            }
        }
    }

    fn on_hello(&mut self, hello: HelloResult) -> Vec<OutCall> {
        if hello.min_protocol > PROTOCOL_VERSION {
            self.conn = incompatible("conn_update_extension", None);
            return vec![];
        }
        if hello.protocol < MIN_PROTOCOL_VERSION {
            self.conn = incompatible("conn_update_host", Some(self.fix_command()));
            return vec![];
        }
        self.ever_connected = true;
        self.conn = connection(ConnState::Connected, "conn_connected", None, None, false);
        self.host = Some(HostView {
            summary: Text::with(
                "host_summary",
                [hello.version.clone(), hello.protocol.to_string()],
            ),
        });
        self.tokens.state = TokensState::Loading;
        self.tokens.message = Some(Text::key("tokens_loading"));
        vec![self.call("devices.list", Value::Object(Default::default()))]
    }

    fn call(&mut self, method: &'static str, params: Value) -> OutCall {
        let id = self.next_id;
        self.next_id += 1;
        OutCall { id, method, params }
    }

    fn token(&self, device: &str) -> Option<Token> {
        self.readers.iter().find_map(|r| {
            let card = r.card.as_ref()?;
            let info = card.token.as_ref().filter(|t| t.id == device)?;
            Some(Token::new(card.model.name.clone(), info.clone()))
        })
    }

    fn on_open(&mut self, device: &str, action: Action, entry: Option<&str>) -> Vec<OutCall> {
        if self.dialog.is_some() || self.quick.is_some() {
            return vec![];
        }
        let Some(mut token) = self.token(device) else {
            return vec![];
        };
        if action == Action::OtpUnlock {
            if !self.otp_locked.iter().any(|d| d == device) {
                return vec![];
            }
            self.notice = None;
            return self.open_dialog(token, action);
        }
        if matches!(action, Action::OtpCode | Action::OtpAdd | Action::OtpDelete) {
            let Some(Ok(list)) = self.otp.iter().find(|(d, _)| d == device).map(|(_, l)| l) else {
                return vec![];
            };
            let list = list.clone();
            let found = entry.and_then(|id| list.entries.iter().find(|e| e.id == id).cloned());
            if entry.is_some() && found.is_none() {
                return vec![];
            }
            if dialogs::needs_full(action) {
                self.effects.push(Effect::LoadFull);
                return vec![];
            }
            let title = found.as_ref().map_or(Text::key("otp_heading"), |e| {
                otp_view::tile(device, e, &self.accounts).title
            });
            let titles = list
                .entries
                .iter()
                .map(|e| {
                    (
                        e.id.clone(),
                        otp_view::tile(device, e, &self.accounts).title,
                    )
                })
                .collect();
            token.otp = Some(list);
            let Some(mut machine) =
                dialogs::open_otp(action, &token, found.as_ref(), title, titles)
            else {
                return vec![];
            };
            self.notice = None;
            let out = machine.start(&token);
            self.dialog = Some(OpenDialog {
                token,
                machine,
                pending: None,
                pending_read: false,
                close_refused: false,
            });
            return self.apply_out(out);
        }
        if !device_menu::allowed(&token.info, action) {
            return vec![];
        }
        self.notice = None;
        let quick = match action {
            Action::Lock => Some(self.call("pin.lock", serde_json::json!({"device": token.id}))),
            Action::ClearCache => Some(self.call("cache.clear", serde_json::json!({}))),
            _ => None,
        };
        if let Some(call) = quick {
            self.quick = Some(QuickOp {
                id: call.id,
                action,
                name: token.name,
            });
            return vec![call];
        }
        self.open_dialog(token, action)
    }

    fn open_dialog(&mut self, token: Token, action: Action) -> Vec<OutCall> {
        if dialogs::needs_full(action) {
            self.effects.push(Effect::LoadFull);
            return vec![];
        }
        let Some(mut machine) = dialogs::open(action, &token) else {
            return vec![];
        };
        let out = machine.start(&token);
        self.dialog = Some(OpenDialog {
            token,
            machine,
            pending: None,
            pending_read: false,
            close_refused: false,
        });
        self.apply_out(out)
    }

    fn on_press(&mut self, id: &str) -> Vec<OutCall> {
        let Some(d) = self.dialog.as_mut() else {
            return vec![];
        };
        if id == "cancel" && d.pending_read {
            self.dialog = None;
            return vec![];
        }
        if d.pending.is_some() {
            return vec![];
        }
        if id == "cancel" {
            if d.machine.closable() {
                self.dialog = None;
            } else {
                d.close_refused = true;
            }
            return vec![];
        }
        let out = d.machine.action(&d.token, id);
        self.apply_out(out)
    }

    /// Carries out what a dialog asked for.
    fn apply_out(&mut self, out: dialogs::Out) -> Vec<OutCall> {
        let mut calls = vec![];
        if let Some(action) = out.open {
            if let Some(d) = self.dialog.take() {
                calls.extend(self.open_dialog(d.token, action));
            }
        }
        if let Some((method, mut params)) = out.call {
            self.attach_password(method, &mut params);
            let call = self.call(method, params);
            if let Some(d) = self.dialog.as_mut() {
                d.pending = Some(call.id);
                d.pending_read = READS.contains(&method);
            }
            calls.push(call);
        }
        if let Some(text) = out.notice {
            self.notice = Some(NoticeView {
                text,
                tone: Tone::Ok,
            });
        }
        if let Some(text) = out.copy {
            self.effects.push(Effect::Copy { text });
        }
        if let Some(source) = out.capture {
            self.effects.push(Effect::Capture { source });
        }
        if let Some((entry, meta)) = out.store {
            if let Some(d) = &self.dialog {
                let key = otp_view::meta_key(&d.token.id, &entry);
                match meta {
                    Some(mut m) => {
                        // Enrolled from the popup of a page: bound to that page's site.
                        if d.machine.kind() == Action::OtpAdd && m.site.is_none() {
                            m.site = self.site.clone();
                        }
                        self.accounts.insert(key, m)
                    }
                    None => self.accounts.remove(&key),
                };
                self.effects.push(Effect::StoreAccounts {
                    accounts: self.accounts.clone(),
                });
            }
        }
        if let Some((password, list)) = out.unlocked {
            if let Some(d) = &self.dialog {
                let device = d.token.id.clone();
                self.otp_locked.retain(|x| *x != device);
                self.otp_passwords.retain(|(x, _)| *x != device);
                self.otp_passwords.push((device.clone(), password));
                self.otp.retain(|(x, _)| *x != device);
                self.otp.push((device, Ok(list)));
            }
        }
        if out.close {
            self.dialog = None;
        }
        if out.relist {
            calls.push(self.call("devices.list", Value::Object(Default::default())));
        }
        calls
    }

    /// Opens Add account for a waiting capture once a token's OTP list is in
    /// and nothing else is open; until then the notice says what it waits for.
    fn open_pending_capture(&mut self) -> Vec<OutCall> {
        if self.pending_capture.is_none() || self.dialog.is_some() || self.quick.is_some() {
            return vec![];
        }
        let device = self.otp.iter().find_map(|(d, l)| {
            l.as_ref()
                .ok()
                .filter(|l| !l.support.kinds.is_empty())
                .map(|_| d.clone())
        });
        let Some(device) = device else {
            self.notice = Some(NoticeView {
                text: Text::key("notice_capture_waiting"),
                tone: Tone::Info,
            });
            return vec![];
        };
        let mut calls = self.on_open(&device, Action::OtpAdd, None);
        if let (Some(c), Some(d)) = (self.pending_capture.take(), self.dialog.as_mut()) {
            let out = d.machine.captured(&d.token, c);
            calls.extend(self.apply_out(out));
        }
        calls
    }

    fn on_reply(&mut self, method: &str, response: Response) -> Vec<OutCall> {
        let id = response.id;
        let result = match (response.result, response.error) {
            (_, Some(e)) => Err(e),
            (Some(v), None) => Ok(v),
            (None, None) => Err(ErrorBody::new(ErrorCode::Internal, "empty response")),
        };
        if let Some(d) = self
            .dialog
            .as_mut()
            .filter(|d| d.pending.is_some() && d.pending == id)
        {
            d.pending = None;
            d.pending_read = false;
            let device = d.token.id.clone();
            if d.machine.kind() != Action::OtpUnlock {
                if let Err(e) = &result {
                    if self.password_refused(&device, method, e) {
                        // The password we kept no longer opens the applet
                        // (changed elsewhere): the section asks for it again.
                        self.dialog = None;
                        self.notice = Some(NoticeView {
                            text: Text::key("notice_otp_relocked"),
                            tone: Tone::Warning,
                        });
                        return vec![];
                    }
                }
            }
            let Some(d) = self.dialog.as_mut() else {
                return vec![];
            };
            let out = d.machine.reply(&mut d.token, method, result);
            return self.apply_out(out);
        }
        if let Some(q) = self.quick.take_if(|q| Some(q.id) == id) {
            self.notice = Some(match result {
                Ok(_) => NoticeView {
                    text: match q.action {
                        Action::Lock => Text::with("notice_locked", [q.name]),
                        _ => Text::key("notice_cache_cleared"),
                    },
                    tone: Tone::Ok,
                },
                Err(e) => NoticeView {
                    text: dialogs::host_error_text(&e),
                    tone: Tone::Danger,
                },
            });
            return vec![self.call("devices.list", Value::Object(Default::default()))];
        }
        if let Some(i) = self.otp_calls.iter().position(|(c, _)| Some(*c) == id) {
            let (_, device) = self.otp_calls.remove(i);
            if let Err(e) = &result {
                let ykoath = self.token(&device).is_some_and(|t| t.info.applets.ykoath);
                if ykoath && e.code == ErrorCode::PinRequired
                    || self.password_refused(&device, method, e)
                {
                    self.lock_otp(&device);
                    return vec![];
                }
            }
            self.otp_locked.retain(|d| *d != device);
            let listed = result
                .map_err(|e| dialogs::host_error_text(&e))
                .and_then(|v| {
                    serde_json::from_value::<OtpList>(v)
                        .map_err(|e| Text::with("err_unexpected", [e.to_string()]))
                });
            self.otp.retain(|(d, _)| *d != device);
            self.otp.push((device, listed));
            return vec![];
        }
        if method == "devices.list" {
            return self.on_devices(result);
        }
        vec![]
    }

    fn on_devices(&mut self, result: Result<Value, ErrorBody>) -> Vec<OutCall> {
        let listed = match result {
            Ok(result) => serde_json::from_value::<DevicesList>(result)
                .map_err(|e| format!("unreadable devices.list result: {e}")),
            Err(error) => Err(error.message),
        };
        match listed {
            Ok(list) if list.pcsc.state == PcscState::NoService => {
                self.tokens = TokensView {
                    state: TokensState::ServiceDown,
                    message: Some(Text::key("tokens_pcsc_down")),
                    items: vec![],
                };
            }
            Ok(list) if list.pcsc.state == PcscState::Error => {
                self.tokens = TokensView {
                    state: TokensState::Error,
                    message: Some(Text::with(
                        "tokens_pcsc_error",
                        [list.pcsc.message.unwrap_or_default()],
                    )),
                    items: vec![],
                };
            }
            Ok(list) => {
                let items: Vec<TokenItem> = list.readers.iter().map(token_item).collect();
                self.tokens = TokensView {
                    state: TokensState::Ready,
                    message: items.is_empty().then(|| Text::key("tokens_none")),
                    items,
                };
                self.readers = list.readers;
                if let Some(d) = self.dialog.as_mut() {
                    if let Some(fresh) = self.readers.iter().find_map(|r| {
                        r.card
                            .as_ref()?
                            .token
                            .as_ref()
                            .filter(|t| t.id == d.token.id)
                    }) {
                        d.token.pin = fresh.pin;
                        d.token.info = fresh.clone();
                    }
                }
                let mut calls = self.list_otp();
                calls.extend(self.demand_pin_change());
                return calls;
            }
            Err(message) => {
                self.tokens = TokensView {
                    state: TokensState::Error,
                    message: Some(Text::with("tokens_error", [message])),
                    items: vec![],
                };
            }
        }
        self.readers.clear();
        vec![]
    }

    /// `otp.list` for every token with an OTP applet (the old lists stay
    /// shown until the answers come; tokens gone are forgotten).
    fn list_otp(&mut self) -> Vec<OutCall> {
        let devices: Vec<String> = self
            .readers
            .iter()
            .filter_map(|r| r.card.as_ref()?.token.as_ref())
            .filter(|t| device_menu::has_otp(t))
            .map(|t| t.id.clone())
            .collect();
        self.otp.retain(|(d, _)| devices.contains(d));
        self.otp_locked.retain(|d| devices.contains(d));
        self.otp_passwords.retain(|(d, _)| devices.contains(d));
        devices
            .into_iter()
            .map(|device| {
                let mut params = serde_json::json!({"device": device});
                self.attach_password("otp.list", &mut params);
                let call = self.call("otp.list", params);
                self.otp_calls.push((call.id, device));
                call
            })
            .collect()
    }

    /// Adds the kept OATH password of the call's device as `pin` to an
    /// `otp.*` call that carries none (YKOATH VALIDATE, protocols.md §1.9).
    fn attach_password(&self, method: &str, params: &mut Value) {
        if !method.starts_with("otp.") || params.get("pin").is_some() {
            return;
        }
        let Some(device) = params.get("device").and_then(Value::as_str) else {
            return;
        };
        if let Some((_, pw)) = self.otp_passwords.iter().find(|(d, _)| d == device) {
            params["pin"] = Value::String(pw.expose().to_owned());
        }
    }

    /// Whether `e`, the answer to an `otp.*` call that carried the kept OATH
    /// password of `device`, says that password no longer opens the applet
    /// (`pin_required`, or `wrong_pin` once it was changed elsewhere); if so the
    /// password is forgotten and the section locked again. Never retried.
    fn password_refused(&mut self, device: &str, method: &str, e: &ErrorBody) -> bool {
        let kept = self.otp_passwords.iter().any(|(d, _)| d == device);
        if !kept
            || !method.starts_with("otp.")
            || !matches!(e.code, ErrorCode::PinRequired | ErrorCode::WrongPin)
        {
            return false;
        }
        self.lock_otp(device);
        true
    }

    /// Forgets `device`'s OATH password and list: its section shows Unlock.
    fn lock_otp(&mut self, device: &str) {
        self.otp_passwords.retain(|(d, _)| d != device);
        self.otp.retain(|(d, _)| d != device);
        if !self.otp_locked.iter().any(|d| d == device) {
            self.otp_locked.push(device.to_owned());
        }
    }

    /// A token whose policy demands a new PIN gets the Change PIN dialog at
    /// once (once per popup: Cancel leaves the tile's "Change PIN" button).
    fn demand_pin_change(&mut self) -> Vec<OutCall> {
        if self.dialog.is_some() || self.quick.is_some() {
            return vec![];
        }
        let due = self.readers.iter().find_map(|r| {
            let card = r.card.as_ref()?;
            let t = card.token.as_ref()?;
            (t.must_change_pin
                && !self.change_demanded.contains(&t.id)
                && device_menu::allowed(t, Action::ChangePin))
            .then(|| Token::new(card.model.name.clone(), t.clone()))
        });
        match due {
            Some(token) => {
                self.change_demanded.push(token.id.clone());
                self.open_dialog(token, Action::ChangePin)
            }
            None => vec![],
        }
    }

    fn on_event(&mut self, event: &Event) -> Vec<OutCall> {
        match event.event.as_str() {
            "devices.changed" if self.conn.state == ConnState::Connected => {
                vec![self.call("devices.list", Value::Object(Default::default()))]
            }
            // A running call's progress (`otp.touch`, `fido.reset` steps) goes to the
            // dialog that made it (the background gives events the popup's call id).
            name => {
                if let Some(d) = self
                    .dialog
                    .as_mut()
                    .filter(|d| d.pending.is_some() && d.pending == event.id)
                {
                    let out = d.machine.event(&d.token, name, &event.data);
                    return self.apply_out(out);
                }
                vec![]
            }
        }
    }
}

fn token_item(reader: &Reader) -> TokenItem {
    let Some(card) = &reader.card else {
        return TokenItem {
            label: Text::with("reader_empty_label", [reader.name.clone()]),
            title: Text::key("reader_empty"),
            reader: reader.name.clone(),
            atr: None,
            id: None,
            device: None,
            lock: None,
            notice: None,
            primary: None,
            menu: vec![],
            menu_label: None,
            otp: None,
        };
    };
    let actions = card.token.as_ref().map(tile_actions);
    let (lock, notice, primary, menu) = match actions {
        Some(a) => (a.lock, a.notice, a.primary, a.menu),
        None => (None, None, None, vec![]),
    };
    TokenItem {
        label: Text::with(
            "token_label",
            [card.model.name.clone(), reader.name.clone()],
        ),
        title: Text::literal(card.model.name.clone()),
        reader: reader.name.clone(),
        atr: Some(card.atr.clone()),
        id: card
            .token
            .as_ref()
            .map(|t| Text::with("token_id", [t.id.clone()])),
        device: card.token.as_ref().map(|t| t.id.clone()),
        menu_label: card
            .token
            .as_ref()
            .map(|t| Text::with("menu_label", [card.model.name.clone(), t.id.clone()])),
        lock,
        notice,
        primary,
        menu,
        otp: None,
    }
}

fn dialog_view(d: &OpenDialog) -> DialogView {
    let busy = d.pending.is_some();
    let body = d.machine.body(&d.token);
    let mut actions = body.actions;
    if busy {
        for a in &mut actions {
            a.busy = a.primary;
            a.enabled = a.id == "cancel" && d.pending_read;
        }
    }
    let error = if d.close_refused {
        Some(Text::key("err_close_puk"))
    } else {
        body.error
    };
    DialogView {
        kind: d.machine.kind(),
        step: body.step,
        form: d.machine.form_gen(),
        title: d.machine.title(),
        subtitle: Text::with(
            "dialog_subtitle",
            [d.token.name.clone(), d.token.id.clone()],
        ),
        blocks: body.blocks,
        error,
        actions,
        busy,
    }
}

fn connection(
    state: ConnState,
    title: &'static str,
    detail: Option<&'static str>,
    fix_command: Option<String>,
    busy: bool,
) -> ConnectionView {
    ConnectionView {
        state,
        title: Text::key(title),
        detail: detail.map(Text::key),
        fix_command,
        busy,
    }
}

fn incompatible(detail: &'static str, fix_command: Option<String>) -> ConnectionView {
    connection(
        ConnState::Incompatible,
        "conn_incompatible",
        Some(detail),
        fix_command,
        false,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{CardInfo, ErrorBody, PcscStatus, Reader, TokenModel};
    use serde_json::json;

    fn hello(protocol: u32, min: u32) -> HelloResult {
        HelloResult {
            protocol,
            min_protocol: min,
            product: "tessera".into(),
            version: "9.9.9".into(),
            methods: vec![],
        }
    }

    fn methods(calls: &[OutCall]) -> Vec<&'static str> {
        calls.iter().map(|c| c.method).collect()
    }

    /// The background's "connected" status with a protocol-1 hello.
    pub(crate) fn connected(p: &mut Popup) -> Step {
        p.apply(PopupInput::Status {
            state: PortState::Connected,
            hello: Some(hello(1, 1)),
            error: None,
        })
    }

    #[test]
    fn hello_shows_version_and_asks_for_devices() {
        let mut p = Popup::new(Browser::Chromium);
        assert_eq!(p.view().connection.state, ConnState::Connecting);
        let step = connected(&mut p);
        assert_eq!(step.view.connection.state, ConnState::Connected);
        assert_eq!(
            step.view.host.expect("host").summary.args,
            vec!["9.9.9".to_string(), "1".to_string()]
        );
        assert_eq!(methods(&step.calls), vec!["devices.list"]);
        assert_eq!(step.view.tokens.state, TokensState::Loading);
    }

    #[test]
    fn missing_host_gives_the_fix_command_for_this_browser() {
        let mut p = Popup::new(Browser::Edge);
        let step = p.apply(PopupInput::Status {
            state: PortState::Disconnected,
            hello: None,
            error: Some("Specified native messaging host not found.".into()),
        });
        assert_eq!(step.view.connection.state, ConnState::HostMissing);
        assert_eq!(
            step.view.connection.fix_command.as_deref(),
            Some("tessera install --browser edge")
        );
    }

    #[test]
    fn host_exit_after_connect_is_reconnecting_then_recovers() {
        let mut p = Popup::new(Browser::Chromium);
        connected(&mut p);
        let step = p.apply(PopupInput::Status {
            state: PortState::Disconnected,
            hello: None,
            error: Some("Native host has exited.".into()),
        });
        assert_eq!(step.view.connection.state, ConnState::Reconnecting);
        assert!(step.view.connection.busy);
        let step = p.apply(PopupInput::Status {
            state: PortState::Connecting,
            hello: None,
            error: None,
        });
        assert_eq!(step.view.connection.state, ConnState::Reconnecting);
        let step = connected(&mut p);
        assert_eq!(step.view.connection.state, ConnState::Connected);
        assert_eq!(step.calls.len(), 1);
    }

    #[test]
    fn incompatible_versions() {
        let mut p = Popup::new(Browser::Firefox);
        let step = p.apply(PopupInput::Status {
            state: PortState::Connected,
            hello: Some(hello(7, 5)),
            error: None,
        });
        assert_eq!(step.view.connection.state, ConnState::Incompatible);
        assert!(step.calls.is_empty());
    }

    #[test]
    fn devices_render_as_tiles() {
        let mut p = Popup::new(Browser::Chromium);
        connected(&mut p);
        let list = DevicesList {
            pcsc: PcscStatus {
                state: PcscState::Ok,
                message: None,
            },
            readers: vec![
                Reader {
                    name: "Virtual PCD 00 00".into(),
                    card: Some(CardInfo {
                        atr: "3B".into(),
                        model: TokenModel {
                            key: "k".into(),
                            name: "HID Crescendo Key".into(),
                        },
                        token: None,
                    }),
                },
                Reader {
                    name: "Virtual PCD 00 01".into(),
                    card: None,
                },
            ],
        };
        let step = p.apply(PopupInput::Reply {
            method: "devices.list".into(),
            response: Response::ok(2, serde_json::to_value(list).expect("ser")),
        });
        let tokens = step.view.tokens;
        assert_eq!(tokens.state, TokensState::Ready);
        assert_eq!(tokens.items.len(), 2);
        assert_eq!(tokens.items[0].title, Text::literal("HID Crescendo Key"));
        assert_eq!(tokens.items[1].title, Text::key("reader_empty"));
        assert_eq!(tokens.message, None);
    }

    #[test]
    fn empty_list_service_down_and_errors() {
        let mut p = Popup::new(Browser::Chromium);
        connected(&mut p);
        let empty = json!({"pcsc":{"state":"ok"},"readers":[]});
        let v = p
            .apply(PopupInput::Reply {
                method: "devices.list".into(),
                response: Response::ok(2, empty),
            })
            .view;
        assert_eq!(v.tokens.message, Some(Text::key("tokens_none")));
        let down = json!({"pcsc":{"state":"no_service","message":"x"},"readers":[]});
        let v = p
            .apply(PopupInput::Reply {
                method: "devices.list".into(),
                response: Response::ok(3, down),
            })
            .view;
        assert_eq!(v.tokens.state, TokensState::ServiceDown);
        let v = p
            .apply(PopupInput::Reply {
                method: "devices.list".into(),
                response: Response::err(
                    Some(4),
                    ErrorBody::new(ErrorCode::HostDisconnected, "gone"),
                ),
            })
            .view;
        assert_eq!(v.tokens.state, TokensState::Error);
    }

    #[test]
    fn devices_changed_event_relists_only_when_connected() {
        let mut p = Popup::new(Browser::Chromium);
        let ev = Event {
            event: "devices.changed".into(),
            id: None,
            data: Value::Null,
        };
        assert!(p.apply(PopupInput::Event(ev.clone())).calls.is_empty());
        connected(&mut p);
        assert_eq!(
            methods(&p.apply(PopupInput::Event(ev)).calls),
            vec!["devices.list"]
        );
    }

    #[test]
    fn inputs_parse_from_the_background_json() {
        let input: PopupInput = serde_json::from_value(json!({
            "kind":"status","state":"disconnected","error":"Native host has exited."
        }))
        .expect("parses");
        assert!(matches!(
            input,
            PopupInput::Status {
                state: PortState::Disconnected,
                ..
            }
        ));
    }

    fn token_list(pin: serde_json::Value, must_change: bool) -> Value {
        json!({"pcsc": {"state": "ok"}, "readers": [
            {"name": "Virtual PCD 00 00", "card": {"atr": "3B", "model": {"key": "crescendo-key", "name": "HID Crescendo Key"},
             "token": {"id": "ID1", "applets": {"aca": true, "oath_slots": 3, "piv": true, "ykoath": false, "fido": true},
                       "features": ["authenticate", "change_pin", "unblock_admin_key", "unblock_challenge", "view_puk",
                                    "pairing_code", "pin_policy", "recycle", "personalize"],
                       "pin": pin, "must_change_pin": must_change}}},
            {"name": "Virtual PCD 00 01"}
        ]})
    }

    /// A connected popup showing one Crescendo Key "ID1".
    fn with_token(pin: serde_json::Value, must_change: bool) -> (Popup, Step) {
        let mut p = Popup::new(Browser::Chromium);
        let id = connected(&mut p).calls[0].id;
        let step = p.apply(PopupInput::Reply {
            method: "devices.list".into(),
            response: Response::ok(id, token_list(pin, must_change)),
        });
        (p, step)
    }

    fn open(p: &mut Popup, action: Action) -> Step {
        p.apply(PopupInput::Open {
            device: "ID1".into(),
            action,
            entry: None,
        })
    }

    fn field(p: &mut Popup, name: &str, value: &str) -> Step {
        p.apply(PopupInput::Field {
            name: name.into(),
            value: Secret::new(value),
        })
    }

    fn press(p: &mut Popup, id: &str) -> Step {
        p.apply(PopupInput::Press { id: id.into() })
    }

    fn reply(p: &mut Popup, call: &OutCall, r: Result<Value, ErrorBody>) -> Step {
        let response = match r {
            Ok(v) => Response::ok(call.id, v),
            Err(e) => Response::err(Some(call.id), e),
        };
        p.apply(PopupInput::Reply {
            method: call.method.into(),
            response,
        })
    }

    #[test]
    fn tiles_carry_lock_menu_and_device() {
        let (_, step) = with_token(json!({"state": "locked", "tries_left": 6}), false);
        let tile = &step.view.tokens.items[0];
        assert_eq!(tile.device.as_deref(), Some("ID1"));
        assert_eq!(
            tile.lock.as_ref().map(|l| l.label.clone()),
            Some(Text::with("lock_locked_tries", ["6".to_string()]))
        );
        assert_eq!(tile.menu.len(), 11, "9 + FIDO + key button");
        assert!(step.view.dialog.is_none());
        assert!(step.view.tokens.items[1].menu.is_empty(), "empty reader");
    }

    #[cfg(feature = "full")]
    #[test]
    fn authenticate_round_trip_with_busy_state_and_relist() {
        let (mut p, _) = with_token(json!({"state": "locked", "tries_left": 6}), false);
        let step = open(&mut p, Action::Authenticate);
        assert!(step.calls.is_empty());
        let dlg = step.view.dialog.expect("dialog");
        assert_eq!((dlg.kind, dlg.step), (Action::Authenticate, "form"));
        assert_eq!(
            dlg.subtitle,
            Text::with(
                "dialog_subtitle",
                ["HID Crescendo Key".to_string(), "ID1".to_string()]
            )
        );
        field(&mut p, "pin", "00000000");
        let step = press(&mut p, "submit");
        let call = step.calls[0].clone();
        assert_eq!(call.method, "pin.verify");
        let dlg = step.view.dialog.expect("dialog");
        assert!(dlg.busy && dlg.actions[0].busy && !dlg.actions[1].enabled);
        assert!(
            press(&mut p, "cancel").view.dialog.is_some(),
            "no close while busy"
        );
        assert!(p.apply(PopupInput::Close).view.dialog.is_some());
        let step = reply(&mut p, &call, Ok(json!({"state": "verified"})));
        assert!(step.view.dialog.is_none());
        assert_eq!(methods(&step.calls), vec!["devices.list"]);
        assert_eq!(
            step.view.notice.map(|n| n.text),
            Some(Text::with(
                "notice_verified",
                ["HID Crescendo Key".to_string()]
            ))
        );
    }

    #[cfg(feature = "full")]
    #[test]
    fn stale_replies_are_ignored_and_closing_drops_secrets() {
        let (mut p, _) = with_token(json!({"state": "locked", "tries_left": 6}), false);
        open(&mut p, Action::Authenticate);
        field(&mut p, "pin", "12345678");
        let call = press(&mut p, "submit").calls[0].clone();
        reply(
            &mut p,
            &call,
            Err(ErrorBody::new(ErrorCode::WrongPin, "x").with("tries_left", 5)),
        );
        let step = reply(&mut p, &call, Ok(json!({"state": "verified"})));
        assert!(
            step.view.dialog.is_some(),
            "a second answer to one call is ignored"
        );
        let step = p.apply(PopupInput::Close);
        assert!(step.view.dialog.is_none());
        assert!(p.dialog.is_none(), "the dialog and its form are dropped");
    }

    #[test]
    fn lock_and_clear_cache_need_no_dialog() {
        let (mut p, _) = with_token(json!({"state": "verified"}), false);
        let step = open(&mut p, Action::Lock);
        assert_eq!(step.calls[0].params, json!({"device": "ID1"}));
        let step = reply(
            &mut p,
            &step.calls[0].clone(),
            Ok(json!({"state": "locked"})),
        );
        assert_eq!(
            step.view.notice.map(|n| n.text),
            Some(Text::with(
                "notice_locked",
                ["HID Crescendo Key".to_string()]
            ))
        );
        assert_eq!(methods(&step.calls), vec!["devices.list"]);
        let step = open(&mut p, Action::ClearCache);
        assert_eq!(methods(&step.calls), vec!["cache.clear"]);
        let step = reply(
            &mut p,
            &step.calls[0].clone(),
            Err(ErrorBody::new(ErrorCode::HostDisconnected, "gone")),
        );
        let notice = step.view.notice.expect("notice");
        assert_eq!(
            (notice.text, notice.tone),
            (Text::key("err_host_gone"), Tone::Danger)
        );
    }

    #[cfg(feature = "full")]
    #[test]
    fn disabled_actions_do_not_open() {
        let (mut p, _) = with_token(json!({"state": "blocked"}), false);
        assert!(open(&mut p, Action::ChangePin).view.dialog.is_none());
        assert!(open(&mut p, Action::Lock).calls.is_empty());
        let step = open(&mut p, Action::Unblock);
        assert_eq!(step.view.dialog.map(|d| d.kind), Some(Action::Unblock));
        assert_eq!(methods(&step.calls), vec!["pin.policy.get"]);
    }

    #[cfg(feature = "full")]
    #[test]
    fn blocked_during_authenticate_switches_to_unblock() {
        let (mut p, _) = with_token(json!({"state": "locked", "tries_left": 1}), false);
        open(&mut p, Action::Authenticate);
        field(&mut p, "pin", "12345678");
        field(&mut p, "last_try", "true");
        let call = press(&mut p, "submit").calls[0].clone();
        let step = reply(
            &mut p,
            &call,
            Err(ErrorBody::new(ErrorCode::WrongPin, "x").with("tries_left", 0)),
        );
        assert_eq!(step.view.dialog.as_ref().map(|d| d.step), Some("blocked"));
        let step = press(&mut p, "unblock");
        assert_eq!(step.view.dialog.map(|d| d.kind), Some(Action::Unblock));
        assert_eq!(methods(&step.calls), vec!["pin.policy.get"]);
    }

    #[cfg(feature = "full")]
    #[test]
    fn must_change_opens_change_pin_once() {
        let (mut p, step) = with_token(json!({"state": "locked", "tries_left": 6}), true);
        let dlg = step.view.dialog.expect("demanded");
        assert_eq!(dlg.kind, Action::ChangePin);
        assert_eq!(methods(&step.calls), vec!["otp.list", "pin.policy.get"]);
        let tile = &step.view.tokens.items[0];
        assert_eq!(tile.notice, Some(Text::key("tile_must_change")));
        p.apply(PopupInput::Close);
        let step = p.apply(PopupInput::Reply {
            method: "devices.list".into(),
            response: Response::ok(
                99,
                token_list(json!({"state": "locked", "tries_left": 6}), true),
            ),
        });
        assert!(
            step.view.dialog.is_none(),
            "asked once; the tile keeps the button"
        );
        assert!(open(&mut p, Action::ViewPuk).view.dialog.is_none());
    }

    #[cfg(feature = "full")]
    #[test]
    fn personalize_puk_step_refuses_esc_until_stored() {
        let (mut p, _) = with_token(json!({"state": "locked", "tries_left": 6}), false);
        let call = open(&mut p, Action::Personalize).calls[0].clone();
        let info = json!({"limits": {"min_len": 4, "max_len": 8, "numeric_only": true},
            "policy": {"min_len": 4, "max_len": 8, "charset": "numeric", "force_change": false,
                       "challenge": "dynamic", "refuse_weak": false, "fido_shared": false}});
        reply(&mut p, &call, Ok(info));
        field(&mut p, "pin", "00000000");
        press(&mut p, "next");
        press(&mut p, "next");
        field(&mut p, "new", "80246813");
        field(&mut p, "confirm_new", "80246813");
        let call = press(&mut p, "submit").calls[0].clone();
        assert_eq!(call.method, "device.personalize");
        let step = reply(&mut p, &call, Ok(json!({"puk": "55667788"})));
        assert_eq!(methods(&step.calls), vec!["devices.list"]);
        let step = p.apply(PopupInput::Close);
        let dlg = step.view.dialog.expect("still open");
        assert_eq!(dlg.error, Some(Text::key("err_close_puk")));
        field(&mut p, "stored", "true");
        let step = press(&mut p, "finish");
        assert!(step.view.dialog.is_none());
        assert!(step.view.notice.is_some());
    }

    #[cfg(feature = "full")]
    #[test]
    fn relist_refreshes_the_open_dialog_token() {
        let (mut p, _) = with_token(json!({"state": "locked", "tries_left": 2}), false);
        open(&mut p, Action::Authenticate);
        let step = p.apply(PopupInput::Reply {
            method: "devices.list".into(),
            response: Response::ok(
                50,
                token_list(json!({"state": "locked", "tries_left": 1}), false),
            ),
        });
        let dlg = step.view.dialog.expect("dialog");
        assert!(dlg
            .blocks
            .iter()
            .any(|b| matches!(b, Block::Field(f) if f.name == "last_try")));
    }

    #[test]
    fn ui_inputs_parse_from_the_glue_json() {
        let i: PopupInput =
            serde_json::from_value(json!({"kind": "open", "device": "X", "action": "change_pin"}))
                .expect("open");
        assert_eq!(
            i,
            PopupInput::Open {
                device: "X".into(),
                action: Action::ChangePin,
                entry: None,
            }
        );
        let i: PopupInput =
            serde_json::from_value(json!({"kind": "field", "name": "pin", "value": "1"}))
                .expect("field");
        assert!(
            !format!("{i:?}").contains("\"1\""),
            "Debug hides field values"
        );
        let _: PopupInput =
            serde_json::from_value(json!({"kind": "press", "id": "submit"})).expect("press");
        let _: PopupInput = serde_json::from_value(json!({"kind": "close"})).expect("close");
    }

    #[test]
    fn every_text_key_the_core_uses_is_in_the_locale() {
        let messages: serde_json::Map<String, Value> =
            serde_json::from_str(include_str!("../../extension/_locales/en/messages.json"))
                .expect("messages.json");
        let sources = [
            include_str!("popup.rs"),
            include_str!("popup/device_menu.rs"),
            include_str!("popup/dialogs.rs"),
            include_str!("popup/dialogs/authenticate.rs"),
            include_str!("popup/dialogs/change_pin.rs"),
            include_str!("popup/dialogs/errors.rs"),
            include_str!("popup/dialogs/fido.rs"),
            include_str!("popup/dialogs/fido/creds.rs"),
            include_str!("popup/dialogs/fido/help.rs"),
            include_str!("popup/dialogs/fido/pin.rs"),
            include_str!("popup/dialogs/fido/reset.rs"),
            include_str!("popup/dialogs/form.rs"),
            include_str!("popup/dialogs/personalize.rs"),
            include_str!("popup/dialogs/policy.rs"),
            include_str!("popup/dialogs/recycle.rs"),
            include_str!("popup/dialogs/reveal.rs"),
            include_str!("popup/dialogs/unblock.rs"),
            include_str!("popup/dialogs/enroll.rs"),
            include_str!("popup/dialogs/otp_code.rs"),
            include_str!("popup/dialogs/otp_delete.rs"),
            include_str!("popup/dialogs/otp_unlock.rs"),
            include_str!("popup/dialogs/key_button.rs"),
            include_str!("popup/otp_view.rs"),
            include_str!("popup/capture.rs"),
        ];
        const PREFIXES: [&str; 30] = [
            "action_",
            "aria_capture_",
            "capture_",
            "qr_",
            "btn_",
            "button_",
            "challenge_",
            "charset_",
            "conn_",
            "dialog_",
            "dlg_",
            "err_",
            "fido_",
            "field_",
            "hint_",
            "last_try_",
            "lock_",
            "menu_",
            "method_",
            "notice_",
            "otp_",
            "out_",
            "policy_",
            "progress_",
            "puk_",
            "reason_",
            "rule_",
            "tile_",
            "viol_",
            "wizard_",
        ];
        let mut checked = 0;
        for src in sources {
            for literal in src.split('"').skip(1).step_by(2) {
                // Field names that look like keys.
                const NOT_KEYS: [&str; 7] = [
                    "fido_shared",
                    "fido_pin_error",
                    "capture_tab",
                    "capture_region",
                    "capture_images",
                    "capture_clipboard",
                    "capture_menu",
                ];
                let is_key = PREFIXES.iter().any(|p| literal.starts_with(p))
                    && !NOT_KEYS.contains(&literal)
                    && !literal.ends_with('_')
                    && literal.chars().all(|c| c.is_ascii_lowercase() || c == '_');
                if is_key {
                    checked += 1;
                    assert!(
                        messages.contains_key(literal),
                        "{literal} missing in messages.json"
                    );
                }
            }
        }
        assert!(checked > 150, "found {checked} keys");
    }

    fn otp_list() -> Value {
        json!({"family": "crescendo", "capacity": 3,
            "support": {"kinds": ["hotp", "totp", "ocra"], "algorithms": ["sha1"], "digits": [6, 8],
                        "access": ["always", "never", "pin", "pin_touch"], "touch": false, "names_on_token": false},
            "entries": [
                {"id": "slot-1", "slot": 1, "configured": false, "touch": false},
                {"id": "slot-2", "slot": 2, "configured": true, "kind": "hotp", "algorithm": "sha1",
                 "digits": 6, "access": "always", "touch": true},
                {"id": "slot-3", "slot": 3, "configured": false, "touch": false}]})
    }

    /// A popup showing "ID1" with its OTP slots listed.
    fn with_otp() -> Popup {
        let mut p = Popup::new(Browser::Chromium);
        let id = connected(&mut p).calls[0].id;
        let step = p.apply(PopupInput::Reply {
            method: "devices.list".into(),
            response: Response::ok(
                id,
                token_list(json!({"state": "locked", "tries_left": 6}), false),
            ),
        });
        let list = step.calls[0].clone();
        assert_eq!(list.method, "otp.list");
        assert_eq!(list.params, json!({"device": "ID1"}));
        let otp = step.view.tokens.items[0].otp.clone().expect("otp section");
        assert_eq!(otp.state, OtpState::Loading);
        let step = reply(&mut p, &list, Ok(otp_list()));
        let otp = step.view.tokens.items[0].otp.clone().expect("otp section");
        assert_eq!(otp.state, OtpState::Ready);
        assert_eq!(otp.entries.len(), 3);
        assert!(step.view.tokens.items[1].otp.is_none(), "empty reader");
        p
    }

    fn open_entry(p: &mut Popup, action: Action, entry: Option<&str>) -> Step {
        p.apply(PopupInput::Open {
            device: "ID1".into(),
            action,
            entry: entry.map(str::to_owned),
        })
    }

    #[cfg(not(feature = "full"))]
    #[test]
    fn first_module_defers_other_dialogs_to_the_full_one() {
        let (_, step) = with_token(json!({"state": "locked", "tries_left": 6}), true);
        assert_eq!(step.effects, vec![Effect::LoadFull], "demanded Change PIN");
        let (mut p, _) = with_token(json!({"state": "locked", "tries_left": 6}), false);
        let step = open(&mut p, Action::Authenticate);
        assert_eq!(step.effects, vec![Effect::LoadFull]);
        assert!(step.calls.is_empty() && step.view.dialog.is_none());
        let mut p = with_otp();
        let step = open_entry(&mut p, Action::OtpAdd, None);
        assert_eq!(step.effects, vec![Effect::LoadFull]);
        let step = open_entry(&mut p, Action::OtpCode, Some("slot-2"));
        assert!(
            step.effects.is_empty(),
            "the code dialog is in the first module"
        );
        assert_eq!(methods(&step.calls), vec!["otp.code"]);
    }

    #[test]
    fn replayed_inputs_give_the_same_view_and_call_ids() {
        // popup.js replays the first module's inputs into the full one.
        let inputs = |p: &mut Popup| {
            let id = connected(p).calls[0].id;
            let list = p.apply(PopupInput::Reply {
                method: "devices.list".into(),
                response: Response::ok(
                    id,
                    token_list(json!({"state": "locked", "tries_left": 6}), false),
                ),
            });
            let otp = list.calls[0].clone();
            let step = reply(p, &otp, Ok(otp_list()));
            let code = open_entry(p, Action::OtpCode, Some("slot-2"));
            (step, code)
        };
        let (mut a, mut b) = (Popup::new(Browser::Chromium), Popup::new(Browser::Chromium));
        let (sa, ca) = inputs(&mut a);
        let (sb, cb) = inputs(&mut b);
        assert_eq!(sa.view, sb.view);
        assert_eq!(ca.calls, cb.calls);
        assert_eq!(
            serde_json::to_string(&a.view()).ok(),
            serde_json::to_string(&b.view()).ok()
        );
    }

    #[test]
    fn otp_code_routes_touch_events_and_copies_the_code() {
        let mut p = with_otp();
        let step = open_entry(&mut p, Action::OtpCode, Some("slot-2"));
        let call = step.calls[0].clone();
        assert_eq!(call.method, "otp.code");
        let touch = |id| {
            PopupInput::Event(Event {
                event: "otp.touch".into(),
                id: Some(id),
                data: json!({"entry": "slot-2", "attempt": 1, "remaining_ms": 28_000}),
            })
        };
        let step = p.apply(touch(call.id + 100));
        assert_eq!(
            step.view.dialog.map(|d| d.step),
            Some("waiting"),
            "another request's event"
        );
        let step = p.apply(touch(call.id));
        assert_eq!(step.view.dialog.map(|d| d.step), Some("touch"));
        let step = reply(&mut p, &call, Ok(json!({"code": "287082"})));
        assert_eq!(
            step.effects,
            vec![Effect::Copy {
                text: Secret::new("287082")
            }]
        );
        assert_eq!(step.view.dialog.map(|d| d.step), Some("code"));
        assert!(p.apply(PopupInput::Close).effects.is_empty());
    }

    #[cfg(feature = "full")]
    #[test]
    fn enrollment_stores_names_and_the_tile_shows_them() {
        let mut p = with_otp();
        p.apply(PopupInput::Accounts {
            accounts: json!({"ID1/slot-2": {"issuer": "Old", "name": "bob"}}),
        });
        assert_eq!(
            p.view().tokens.items[0]
                .otp
                .as_ref()
                .map(|o| o.entries[1].title.clone()),
            Some(Text::literal("Old: bob"))
        );
        assert!(open_entry(&mut p, Action::OtpCode, Some("slot-9"))
            .view
            .dialog
            .is_none());
        p.apply(PopupInput::Site {
            registrable: Some("example.com".into()),
        });
        let step = open_entry(&mut p, Action::OtpAdd, Some("slot-3"));
        assert_eq!(step.view.dialog.map(|d| d.kind), Some(Action::OtpAdd));
        field(
            &mut p,
            "uri",
            "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example",
        );
        let call = press(&mut p, "submit").calls[0].clone();
        assert_eq!(call.params["slot"], json!(3));
        let step = reply(
            &mut p,
            &call,
            Ok(
                json!({"entry": {"id": "slot-3", "slot": 3, "configured": true, "kind": "totp", "touch": false},
                      "verified": {"status": "computed"}}),
            ),
        );
        assert_eq!(methods(&step.calls), vec!["devices.list"]);
        let Some(Effect::StoreAccounts { accounts }) = step.effects.first() else {
            panic!("store effect")
        };
        assert_eq!(accounts.len(), 2);
        assert_eq!(accounts["ID1/slot-3"].title(), "Example: alice");
        // Bound to the tab the popup was opened on; the older account is not.
        assert_eq!(accounts["ID1/slot-3"].site.as_deref(), Some("example.com"));
        assert_eq!(accounts["ID1/slot-2"].site, None);
        let json = serde_json::to_string(&step.effects).expect("json");
        assert!(
            !json.contains("JBSWY3DPEHPK3PXP") && !json.contains("48656c6c"),
            "no secret stored"
        );
        // Delete forgets the name.
        p.apply(PopupInput::Close);
        open_entry(&mut p, Action::OtpDelete, Some("slot-2"));
        field(&mut p, "confirm", "slot-2");
        let call = press(&mut p, "submit").calls[0].clone();
        let step = reply(&mut p, &call, Ok(json!({})));
        let Some(Effect::StoreAccounts { accounts }) = step.effects.first() else {
            panic!("store effect")
        };
        assert!(!accounts.contains_key("ID1/slot-2"));
    }

    #[test]
    fn losing_the_host_closes_the_dialog() {
        let (mut p, _) = with_token(json!({"state": "locked", "tries_left": 6}), false);
        open(&mut p, Action::Authenticate);
        field(&mut p, "pin", "00000000");
        let step = p.apply(PopupInput::Status {
            state: PortState::Disconnected,
            hello: None,
            error: Some("Specified native messaging host not found.".into()),
        });
        assert!(step.view.dialog.is_none());
        assert!(p.dialog.is_none());
    }

    /// YKOATH keys with an OATH password (popup/tests/otp_unlock.rs).
    #[cfg_attr(not(feature = "full"), allow(dead_code))]
    mod otp_unlock;
}
