//! The popup's state machine: inputs from the background worker in, a view and the
//! host calls to make out. The DOM glue only renders and forwards.

mod disconnect;
mod view;

pub use crate::browser::Browser;
pub use disconnect::classify_disconnect;
pub use view::{
    ConnState, ConnectionView, HostView, Text, TokenItem, TokensState, TokensView, View,
};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::protocol::{
    DevicesList, ErrorCode, Event, HelloResult, PcscState, Response, MIN_PROTOCOL_VERSION,
    PROTOCOL_VERSION,
};

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
}

/// A host call the glue should make on the popup's behalf.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutCall {
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
}

/// The popup's state.
#[derive(Debug, Clone)]
pub struct Popup {
    browser: Browser,
    conn: ConnectionView,
    host: Option<HostView>,
    tokens: TokensView,
    ever_connected: bool,
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
        }
    }

    /// The current view.
    pub fn view(&self) -> View {
        View {
            connection: self.conn.clone(),
            host: self.host.clone(),
            tokens: self.tokens.clone(),
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
            PopupInput::Reply { method, response } => {
                if method == "devices.list" {
                    self.on_devices(response);
                }
                vec![]
            }
            PopupInput::Event(event) => self.on_event(&event),
        };
        Step {
            view: self.view(),
            calls,
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
        vec![devices_list()]
    }

    fn on_devices(&mut self, response: Response) {
        let listed = match (response.result, response.error) {
            (Some(result), None) => serde_json::from_value::<DevicesList>(result)
                .map_err(|e| format!("unreadable devices.list result: {e}")),
            (_, Some(error)) => Err(error.message),
            (None, None) => Err("empty response".to_owned()),
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
                let items: Vec<TokenItem> = list
                    .readers
                    .into_iter()
                    .map(|reader| match reader.card {
                        Some(card) => TokenItem {
                            label: Text::with(
                                "token_label",
                                [card.model.name.clone(), reader.name.clone()],
                            ),
                            title: Text::literal(card.model.name),
                            reader: reader.name,
                            atr: Some(card.atr),
                            id: card.token.map(|t| Text::with("token_id", [t.id])),
                        },
                        None => TokenItem {
                            label: Text::with("reader_empty_label", [reader.name.clone()]),
                            title: Text::key("reader_empty"),
                            reader: reader.name,
                            atr: None,
                            id: None,
                        },
                    })
                    .collect();
                self.tokens = TokensView {
                    state: TokensState::Ready,
                    message: items.is_empty().then(|| Text::key("tokens_none")),
                    items,
                };
            }
            Err(message) => {
                self.tokens = TokensView {
                    state: TokensState::Error,
                    message: Some(Text::with("tokens_error", [message])),
                    items: vec![],
                };
            }
        }
    }

    fn on_event(&mut self, event: &Event) -> Vec<OutCall> {
        match event.event.as_str() {
            "devices.changed" if self.conn.state == ConnState::Connected => vec![devices_list()],
            _ => vec![],
        }
    }
}

fn devices_list() -> OutCall {
    OutCall {
        method: "devices.list",
        params: Value::Object(Default::default()),
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

    fn connected(p: &mut Popup) -> Step {
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
        assert_eq!(step.calls, vec![devices_list()]);
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
        assert_eq!(p.apply(PopupInput::Event(ev)).calls, vec![devices_list()]);
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
}
