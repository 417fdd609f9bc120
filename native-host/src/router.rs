//! Request → handler dispatch. Turns every failure, including a handler panic,
//! into a structured error response so no input can bring the host down.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use tessera_core::protocol::{
    button_methods, fido_methods, otp_methods, Call, ErrorBody, ErrorCode, Event, Request, Response,
};

use crate::admin_policy::AdminPolicy;
use crate::backend::{Backend, Listing, PcscBackend};
use crate::devices::DeviceCache;
use crate::handlers;
use crate::handlers::token::Ctx;
use crate::handlers::{admin, button, fido, otp, pin};
use crate::held::{HeldConnections, IDLE_RELEASE};
use crate::policy_store::PolicyStore;

/// Routes requests to handlers.
pub struct Router {
    backend: Arc<dyn Backend>,
    cache: DeviceCache,
    policies: PolicyStore,
    held: HeldConnections,
    admin: AdminPolicy,
}

impl Router {
    /// A router over the system's PC/SC service.
    pub fn new() -> Router {
        Router::with_backend(Arc::new(PcscBackend))
    }

    /// A router over another token source (the in-process virtual token).
    pub fn with_backend(backend: Arc<dyn Backend>) -> Router {
        Router {
            backend,
            cache: DeviceCache::default(),
            policies: PolicyStore::default_location(),
            held: HeldConnections::default(),
            admin: AdminPolicy::system(),
        }
    }

    /// The token source (for the hotplug watcher).
    pub fn backend(&self) -> Arc<dyn Backend> {
        self.backend.clone()
    }

    /// Uses another administrator's policy (tests).
    pub fn with_admin_policy(mut self, admin: AdminPolicy) -> Router {
        self.admin = admin;
        self
    }

    /// Uses another PIN-policy store (tests).
    pub fn with_policies(mut self, policies: PolicyStore) -> Router {
        self.policies = policies;
        self
    }

    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            backend: self.backend.as_ref(),
            cache: &self.cache,
            policies: &self.policies,
            held: &self.held,
            admin: &self.admin,
        }
    }

    /// After a hotplug event: forget probe results and drop held connections
    /// of cards that left (a same-ATR swap is caught when the held handle
    /// fails to begin its next transaction).
    pub fn devices_changed(&self) {
        if let Listing::Readers(readers) = self.backend.list() {
            self.cache.retain_present(&readers);
            self.held.retain_present(&readers);
        }
    }

    /// Periodic upkeep: release connections idle for [`IDLE_RELEASE`].
    pub fn housekeeping(&self) {
        self.held.release_idle(IDLE_RELEASE);
    }

    /// Connections held now.
    pub fn held_connections(&self) -> usize {
        self.held.held()
    }

    /// Handles one request and returns its response.
    pub fn dispatch(&self, request: Request) -> Response {
        self.dispatch_with_events(request, &|_| {})
    }

    /// Handles one request; events it produces on the way (`fido.reset` steps)
    /// go to `events` before the response.
    pub fn dispatch_with_events(&self, request: Request, events: &dyn Fn(Event)) -> Response {
        let id = request.id;
        let method = request.method.clone();
        let outcome = catch_unwind(AssertUnwindSafe(|| self.route(request, events)));
        let result = match outcome {
            Ok(result) => result,
            Err(_) => {
                tracing::error!(%method, "handler panicked");
                Err(ErrorBody::new(
                    ErrorCode::Internal,
                    format!("internal error in {method}; please report it"),
                ))
            }
        };
        match result {
            Ok(value) => Response::ok(id, value),
            Err(error) => {
                tracing::warn!(%method, code = error.code.as_str(), "request failed");
                Response::err(Some(id), error)
            }
        }
    }

    fn route(&self, request: Request, events: &dyn Fn(Event)) -> Result<Value, ErrorBody> {
        if request.method.starts_with("fido.") {
            return self.route_fido(request, events);
        }
        if request.method == "site.of" {
            return to_value(handlers::site::of(&params_of(
                &request.method,
                request.params,
            )?)?);
        }
        if request.method.starts_with("otp.") {
            return self.route_otp(request, events);
        }
        if request.method.starts_with("button.") {
            return self.route_button(request);
        }
        match Call::parse(&request.method, request.params)? {
            Call::Hello(params) => to_value(handlers::hello::hello(&params)?),
            Call::DevicesList => to_value(handlers::devices::list(&self.ctx())),
            Call::PinStatus(p) => to_value(pin::pin_status(&self.ctx(), &p)?),
            Call::PinVerify(p) => to_value(pin::verify(&self.ctx(), &p)?),
            Call::PinLock(p) => to_value(pin::lock(&self.ctx(), &p)?),
            Call::PinChange(p) => to_value(pin::change(&self.ctx(), &p)?),
            Call::PinUnblockChallenge(p) => to_value(pin::challenge(&self.ctx(), &p)?),
            Call::PinUnblock(p) => to_value(pin::unblock(&self.ctx(), &p)?),
            Call::PinPolicyGet(p) => to_value(admin::policy_get(&self.ctx(), &p)?),
            Call::PinPolicySet(p) => to_value(admin::policy_set(&self.ctx(), &p)?),
            Call::PukShow(p) => to_value(admin::puk_show(&self.ctx(), &p)?),
            Call::PairingCode(p) => to_value(admin::pairing_code(&self.ctx(), &p)?),
            Call::CacheClear => {
                admin::cache_clear(&self.ctx());
                Ok(serde_json::json!({}))
            }
            Call::DeviceRecycle(p) => {
                admin::recycle(&self.ctx(), &p)?;
                Ok(serde_json::json!({}))
            }
            Call::DevicePersonalize(p) => to_value(admin::personalize(&self.ctx(), &p)?),
        }
    }
}

impl Router {
    /// The OTP methods (handlers/otp.rs).
    fn route_otp(&self, request: Request, events: &dyn Fn(Event)) -> Result<Value, ErrorBody> {
        let ctx = self.ctx();
        let events = otp::Events {
            send: events,
            id: request.id,
        };
        let (method, params) = (request.method.as_str(), request.params);
        match method {
            otp_methods::LIST => to_value(otp::list(&ctx, &params_of(method, params)?)?),
            otp_methods::CODE => to_value(otp::code(&ctx, &params_of(method, params)?, &events)?),
            otp_methods::CODES => to_value(otp::codes(&ctx, &params_of(method, params)?)?),
            otp_methods::ADD => to_value(otp::add(&ctx, &params_of(method, params)?, &events)?),
            otp_methods::DELETE => {
                otp::delete(&ctx, &params_of(method, params)?)?;
                Ok(serde_json::json!({}))
            }
            other => Err(ErrorBody::new(
                ErrorCode::UnknownMethod,
                format!("unknown method {other:?}"),
            )
            .with("method", other)),
        }
    }

    /// The button methods (handlers/button.rs).
    fn route_button(&self, request: Request) -> Result<Value, ErrorBody> {
        let ctx = self.ctx();
        let (method, params) = (request.method.as_str(), request.params);
        match method {
            button_methods::GET => to_value(button::get(&ctx, &params_of(method, params)?)?),
            // Not serde's message: it could quote a static password's key.
            button_methods::SET => {
                let p = params_of(method, params).map_err(|_| {
                    ErrorBody::new(
                        ErrorCode::InvalidParams,
                        "button.set: expected {device, press: single|double, action: {kind: \
                         hotp|static|none, keys?: [{usage, shift?, altgr?}]}, pin?, replace?}",
                    )
                    .with("method", method)
                })?;
                to_value(button::set(&ctx, &p)?)
            }
            other => Err(ErrorBody::new(
                ErrorCode::UnknownMethod,
                format!("unknown method {other:?}"),
            )
            .with("method", other)),
        }
    }

    /// The FIDO methods: parameters typed here (handlers/fido.rs).
    fn route_fido(&self, request: Request, events: &dyn Fn(Event)) -> Result<Value, ErrorBody> {
        let ctx = self.ctx();
        let (method, params) = (request.method.as_str(), request.params);
        match method {
            fido_methods::INFO => to_value(fido::info(&ctx, &params_of(method, params)?)?),
            fido_methods::PIN_SET => fido::pin_set(&ctx, &params_of(method, params)?),
            fido_methods::PIN_CHANGE => fido::pin_change(&ctx, &params_of(method, params)?),
            fido_methods::CREDENTIALS_LIST => {
                to_value(fido::credentials_list(&ctx, &params_of(method, params)?)?)
            }
            fido_methods::CREDENTIALS_DELETE => {
                fido::credentials_delete(&ctx, &params_of(method, params)?)
            }
            fido_methods::RESET => {
                fido::reset(&ctx, &params_of(method, params)?, events, request.id)
            }
            other => Err(ErrorBody::new(
                ErrorCode::UnknownMethod,
                format!("unknown method {other:?}"),
            )
            .with("method", other)),
        }
    }
}

/// Typed params; the error never echoes a parameter's value.
fn params_of<T: serde::de::DeserializeOwned>(method: &str, params: Value) -> Result<T, ErrorBody> {
    let params = if params.is_null() {
        serde_json::json!({})
    } else {
        params
    };
    serde_json::from_value(params).map_err(|e| {
        // serde quotes a mistyped value ("invalid type: integer `1234`"): it may be a PIN.
        let text = e.to_string();
        let safe = if text.starts_with("invalid type")
            || text.starts_with("invalid value")
            || text.starts_with("invalid length")
        {
            "a parameter has the wrong type".to_owned()
        } else {
            text
        };
        ErrorBody::new(ErrorCode::InvalidParams, format!("{method}: {safe}")).with("method", method)
    })
}

impl Default for Router {
    fn default() -> Self {
        Router::new()
    }
}

fn to_value(result: impl Serialize) -> Result<Value, ErrorBody> {
    serde_json::to_value(result)
        .map_err(|e| ErrorBody::new(ErrorCode::Internal, format!("cannot encode result: {e}")))
}
