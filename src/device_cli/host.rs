//! The CLI's way to the host: the same [`Router`] and handlers the browser
//! talks to, in-process, over PC/SC or the in-process virtual token. Also
//! picks the token a command is about.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Value};
use tessera_core::protocol::{
    DevicesList, ErrorBody, ErrorCode, Feature, PcscState, PinStatus, Request, TokenInfo,
};
use tessera_host::backend::PcscBackend;
use tessera_host::router::Router;
use tessera_host::virtual_backend::VirtualBackend;
use tessera_virtual_token::platform::ButtonMode;

use super::text;
use super::TokenOpts;

/// Why a command stopped.
pub enum Failure {
    /// Bad command line (exit 2).
    Usage(String),
    /// The operation failed (exit 1): the protocol error for `--json`, and the
    /// sentence for people, which says what to do next.
    Error(Box<ErrorBody>, String),
}

impl Failure {
    /// An error with its explanation.
    pub fn error(body: ErrorBody, human: impl Into<String>) -> Failure {
        Failure::Error(Box::new(body), human.into())
    }
}

/// The router and a request counter.
pub struct Host {
    router: Router,
    next: u64,
}

/// The token a command is about.
pub struct Target {
    /// Its reader.
    pub reader: String,
    /// Model display name.
    pub model: String,
    /// What the probe learned (id, features, lock state).
    pub info: TokenInfo,
}

impl Target {
    /// Whether the token has `feature`.
    pub fn has(&self, feature: Feature) -> bool {
        self.info.features.contains(&feature)
    }

    /// The lock state as `devices.list` reported it.
    pub fn pin(&self) -> Option<PinStatus> {
        self.info.pin
    }
}

/// Default state file of a virtual token: `<data dir>/tessera/virtual-<profile>.json`.
fn default_state(profile: &str) -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("tessera")
        .join(format!("virtual-{profile}.json"))
}

fn open_virtual(profile: &str, state: &Path) -> Result<VirtualBackend, Failure> {
    if let Some(dir) = state.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            Failure::error(
                ErrorBody::new(
                    ErrorCode::TransportError,
                    format!("cannot create {}: {e}", dir.display()),
                ),
                format!(
                    "cannot create {} for the virtual token's state: {e}. Pick another file \
                     with --virtual-state.",
                    dir.display()
                ),
            )
        })?;
    }
    VirtualBackend::open(profile, state, ButtonMode::Auto(Duration::from_millis(300))).map_err(
        |m| {
            Failure::error(
                ErrorBody::new(ErrorCode::TransportError, m.clone()),
                format!("cannot open the virtual token: {m}."),
            )
        },
    )
}

impl Host {
    /// The host over PC/SC, or over the in-process virtual token with `--virtual`.
    pub fn open(opts: &TokenOpts) -> Result<Host, Failure> {
        let router = match &opts.virtual_profile {
            Some(profile) => {
                let name = profile.name();
                let state = opts
                    .virtual_state
                    .clone()
                    .unwrap_or_else(|| default_state(name));
                Router::with_backend(Arc::new(open_virtual(name, &state)?))
            }
            None => Router::with_backend(Arc::new(PcscBackend)),
        };
        Ok(Host { router, next: 0 })
    }

    /// One protocol call through the router.
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value, ErrorBody> {
        self.call_with_events(method, params, &|_| {})
    }

    /// One protocol call; events it streams (`fido.reset`) go to `events`.
    pub fn call_with_events(
        &mut self,
        method: &str,
        params: Value,
        events: &dyn Fn(tessera_core::protocol::Event),
    ) -> Result<Value, ErrorBody> {
        self.next += 1;
        let response = self.router.dispatch_with_events(
            Request {
                id: self.next,
                method: method.to_owned(),
                params,
            },
            events,
        );
        match (response.result, response.error) {
            (_, Some(error)) => Err(error),
            (Some(result), None) => Ok(result),
            (None, None) => Err(ErrorBody::new(
                ErrorCode::Internal,
                format!("{method} returned nothing; please report it"),
            )),
        }
    }

    /// A call with typed params; errors explained with `ctx`.
    pub fn call_typed(
        &mut self,
        method: &str,
        params: &impl Serialize,
        ctx: text::Ctx,
    ) -> Result<Value, Failure> {
        let params = serde_json::to_value(params).map_err(|e| {
            Failure::error(
                ErrorBody::new(ErrorCode::Internal, format!("cannot encode {method}: {e}")),
                format!("cannot encode {method}: {e}; please report it."),
            )
        })?;
        self.call(method, params).map_err(|e| text::failure(e, ctx))
    }

    /// `devices.list`.
    pub fn list(&mut self) -> Result<(Value, DevicesList), Failure> {
        let value = self
            .call("devices.list", json!({}))
            .map_err(|e| text::failure(e, text::Ctx::Pin))?;
        let list = serde_json::from_value(value.clone()).map_err(|e| {
            Failure::error(
                ErrorBody::new(ErrorCode::Internal, format!("unreadable devices.list: {e}")),
                format!("unreadable devices.list result: {e}; please report it."),
            )
        })?;
        Ok((value, list))
    }

    /// The token named by `--device` (id or reader name), or the only one.
    pub fn target(&mut self, wanted: Option<&str>) -> Result<Target, Failure> {
        let (_, list) = self.list()?;
        if list.pcsc.state != PcscState::Ok {
            return Err(text::no_service(&list));
        }
        let tokens: Vec<Target> = list
            .readers
            .into_iter()
            .filter_map(|r| {
                let card = r.card?;
                Some(Target {
                    reader: r.name,
                    model: card.model.name,
                    info: card.token?,
                })
            })
            .collect();
        let all: Vec<String> = tokens
            .iter()
            .map(|t| format!("{} ({}, {})", t.info.id, t.model, t.reader))
            .collect();
        let ids = Value::from(tokens.iter().map(|t| t.info.id.clone()).collect::<Vec<_>>());
        if let Some(wanted) = wanted {
            return tokens
                .into_iter()
                .find(|t| t.info.id == wanted || t.reader == wanted)
                .ok_or_else(|| {
                    let listed = if all.is_empty() {
                        "No token is connected: insert one (or try --virtual).".to_owned()
                    } else {
                        format!(
                            "Connected: {}. Pass one of these ids to --device.",
                            all.join("; ")
                        )
                    };
                    Failure::error(
                        ErrorBody::new(
                            ErrorCode::DeviceNotFound,
                            format!("no token {wanted:?} is connected"),
                        )
                        .with("device", wanted)
                        .with("candidates", ids),
                        format!(
                            "no token {wanted:?} is connected (by device id or reader \
                             name). {listed}"
                        ),
                    )
                });
        }
        let count = tokens.len();
        let mut found = tokens.into_iter();
        match (found.next(), count) {
            (Some(only), 1) => Ok(only),
            (None, _) => Err(Failure::error(
                ErrorBody::new(ErrorCode::DeviceNotFound, "no token is connected"),
                "no token is connected. Insert one and try again (`tessera device list` shows what \
                 Tessera sees), or use the virtual token with --virtual.",
            )),
            (Some(_), _) => {
                Err(Failure::error(
                    ErrorBody::new(
                        ErrorCode::BadInput,
                        "several tokens are connected; name one with --device",
                    )
                    .with("field", "device")
                    .with("candidates", ids),
                    format!(
                        "several tokens are connected: {}. Pick one with --device ID.",
                        all.join("; ")
                    ),
                ))
            }
        }
    }
}
