//! FIDO2 methods (docs/PROTOCOL.md "FIDO"): `fido.info`, `fido.pin.set`,
//! `fido.pin.change`, `fido.credentials.list`, `fido.credentials.delete`,
//! `fido.reset` (streams `fido.reset` events). The token is a PC/SC device id or
//! reader (CTAP over ISO 7816 through the Backend) or `hid:<path>` (CTAPHID via
//! hidapi, for keys without a CCID interface). PINs are never logged.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tessera_core::protocol::{ErrorBody, ErrorCode, Event};
use tessera_core::secret::Secret;

use crate::backend::{Backend, Listing};
use crate::connection::{transaction, TransportError};
use crate::fido::client_pin::{permission, PinRetries};
use crate::fido::cred_mgmt::{Credential, Metadata};
use crate::fido::hid_transport;
use crate::fido::info::{Info, PinSupport};
use crate::fido::iso7816::CtapIso;
use crate::fido::reset::{self, PresenceWatcher, ResetEvent, ResetOutcome, ResetPlan};
use crate::fido::{Ctap2, CtapError, CtapResult, FidoConnection, StatusCode};
use crate::handlers::token::Ctx;

/// Prefix of HID device names.
pub const HID_PREFIX: &str = "hid:";

/// `{device}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FidoParams {
    /// Device id, reader name or `hid:<path>`.
    pub device: String,
}

/// `{device, pin}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FidoPinParams {
    /// Device id, reader name or `hid:<path>`.
    pub device: String,
    /// The FIDO PIN.
    pub pin: Secret,
}

/// `{device, old, new}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FidoPinChangeParams {
    /// Device id, reader name or `hid:<path>`.
    pub device: String,
    /// Current PIN.
    pub old: Secret,
    /// New PIN.
    pub new: Secret,
}

/// `{device, pin, credential_id}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FidoDeleteParams {
    /// Device id, reader name or `hid:<path>`.
    pub device: String,
    /// The FIDO PIN.
    pub pin: Secret,
    /// Credential id, hex (from `fido.credentials.list`).
    pub credential_id: String,
}

/// `{device, replug_timeout_ms?}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FidoResetParams {
    /// Device id, reader name or `hid:<path>`.
    pub device: String,
    /// How long the user has to unplug and to plug back in (default 30000).
    #[serde(default)]
    pub replug_timeout_ms: Option<u64>,
}

/// `fido.info` result.
#[derive(Debug, Serialize)]
pub struct InfoResult {
    /// `iso7816` or `hid`.
    pub transport: &'static str,
    /// getInfo.
    pub info: Info,
    /// PIN state.
    pub pin: PinSupport,
    /// getPINRetries, when a PIN is set.
    pub retries: Option<PinRetries>,
}

/// `fido.credentials.list` result.
#[derive(Debug, Serialize)]
pub struct CredentialsResult {
    /// getCredsMetadata.
    pub metadata: Metadata,
    /// Every discoverable credential.
    pub credentials: Vec<Credential>,
}

/// Maps a CTAP failure to the protocol's error.
pub fn error(e: CtapError) -> ErrorBody {
    let body = match &e {
        CtapError::Status(s) => {
            let b = match s {
                StatusCode::PinInvalid => ErrorBody::new(ErrorCode::WrongPin, "wrong PIN"),
                StatusCode::PinBlocked => ErrorBody::new(
                    ErrorCode::PinBlocked,
                    "the FIDO PIN is blocked; only a FIDO reset (which erases every passkey) recovers",
                ),
                StatusCode::PinAuthBlocked => ErrorBody::new(
                    ErrorCode::PinBlocked,
                    "three wrong PINs in a row: unplug the key and plug it back in, then try again",
                )
                .with("power_cycle", true),
                StatusCode::PinPolicyViolation => {
                    ErrorBody::new(ErrorCode::PinPolicy, "the key refused the new PIN")
                }
                StatusCode::PinNotSet | StatusCode::PuatRequired => {
                    ErrorBody::new(ErrorCode::PinRequired, "set a FIDO PIN first")
                }
                StatusCode::NoCredentials => {
                    ErrorBody::new(ErrorCode::BadInput, "no such credential on the key")
                }
                StatusCode::UserActionTimeout | StatusCode::ActionTimeout => {
                    ErrorBody::new(ErrorCode::Timeout, "the key was not touched in time")
                }
                other => ErrorBody::new(ErrorCode::TransportError, format!("the key answered {other}")),
            };
            return b.with("ctap_status", s.byte());
        }
        CtapError::Transport(TransportError::NoCard(_) | TransportError::Removed) => {
            ErrorBody::new(
                ErrorCode::DeviceNotFound,
                "the key was removed; insert it and try again",
            )
        }
        CtapError::Transport(TransportError::NoService(m)) => {
            ErrorBody::new(ErrorCode::PcscUnavailable, m.clone())
        }
        CtapError::Unsupported(_) => ErrorBody::new(ErrorCode::NotSupported, e.to_string()),
        CtapError::Timeout => ErrorBody::new(ErrorCode::Timeout, e.to_string()),
        CtapError::InvalidInput(m) if m.contains("PIN") => {
            ErrorBody::new(ErrorCode::PinPolicy, m.clone())
        }
        CtapError::InvalidInput(m) => ErrorBody::new(ErrorCode::BadInput, m.clone()),
        _ => ErrorBody::new(ErrorCode::TransportError, e.to_string()),
    };
    body
}

/// Runs `op` on a CTAP2 session with `device`.
fn with_ctap<R>(
    ctx: &Ctx,
    device: &str,
    op: impl FnOnce(&mut Ctap2<'_>) -> CtapResult<R>,
) -> Result<R, ErrorBody> {
    if let Some(path) = device.strip_prefix(HID_PREFIX) {
        let hid = hid_transport::open(path).map_err(error)?;
        let mut ctap = Ctap2::open(hid).map_err(error)?;
        return op(&mut ctap).map_err(error);
    }
    let found = ctx.find(device)?;
    // Over the token's held connection, serialised with its other operations.
    let result = ctx.run(&found, |conn| {
        Ok((|| {
            let iso = CtapIso::select(conn)?;
            let mut ctap = Ctap2::open(iso)?;
            op(&mut ctap)
        })())
    })?;
    if let Err(CtapError::Transport(_)) = &result {
        ctx.cache.forget_reader(&found.reader);
        ctx.held.release(&found.reader);
    }
    result.map_err(error)
}

/// A wrong PIN: the error with the tries left (one getPINRetries, no try spent).
fn with_tries(ctx: &Ctx, device: &str, e: ErrorBody) -> ErrorBody {
    if e.code != ErrorCode::WrongPin {
        return e;
    }
    match with_ctap(ctx, device, |c| c.pin_retries()) {
        Ok(r) => ErrorBody::new(
            ErrorCode::WrongPin,
            format!("wrong PIN: {} tries left", r.retries),
        )
        .with("tries_left", r.retries)
        .with("ctap_status", StatusCode::PinInvalid.byte()),
        Err(_) => e,
    }
}

/// `fido.info`.
pub fn info(ctx: &Ctx, p: &FidoParams) -> Result<InfoResult, ErrorBody> {
    let transport = if p.device.starts_with(HID_PREFIX) {
        "hid"
    } else {
        "iso7816"
    };
    with_ctap(ctx, &p.device, |c| {
        let info = c.info().clone();
        let retries = match info.pin() {
            PinSupport::Set => Some(c.pin_retries()?),
            _ => None,
        };
        Ok(InfoResult {
            transport,
            pin: info.pin(),
            info,
            retries,
        })
    })
}

/// `fido.pin.set`.
pub fn pin_set(ctx: &Ctx, p: &FidoPinParams) -> Result<Value, ErrorBody> {
    with_ctap(ctx, &p.device, |c| c.set_pin(p.pin.expose()))?;
    tracing::info!("fido.pin.set done");
    Ok(json!({}))
}

/// `fido.pin.change`.
pub fn pin_change(ctx: &Ctx, p: &FidoPinChangeParams) -> Result<Value, ErrorBody> {
    with_ctap(ctx, &p.device, |c| {
        c.change_pin(p.old.expose(), p.new.expose())
    })
    .map_err(|e| with_tries(ctx, &p.device, e))?;
    tracing::info!("fido.pin.change done");
    Ok(json!({}))
}

/// `fido.credentials.list` (pinUvAuthToken with permission `cm`).
pub fn credentials_list(ctx: &Ctx, p: &FidoPinParams) -> Result<CredentialsResult, ErrorBody> {
    with_ctap(ctx, &p.device, |c| {
        let token = c.pin_token(p.pin.expose(), permission::CM, None)?;
        let mut cm = c.cred_mgmt(&token)?;
        Ok(CredentialsResult {
            metadata: cm.metadata()?,
            credentials: cm.all_credentials()?,
        })
    })
    .map_err(|e| with_tries(ctx, &p.device, e))
}

/// `fido.credentials.delete`.
pub fn credentials_delete(ctx: &Ctx, p: &FidoDeleteParams) -> Result<Value, ErrorBody> {
    let id = hex::decode(&p.credential_id)
        .ok()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            ErrorBody::new(
                ErrorCode::InvalidParams,
                "credential_id must be non-empty hex",
            )
            .with("field", "credential_id")
        })?;
    with_ctap(ctx, &p.device, |c| {
        let token = c.pin_token(p.pin.expose(), permission::CM, None)?;
        c.cred_mgmt(&token)?.delete(&id)
    })
    .map_err(|e| with_tries(ctx, &p.device, e))?;
    Ok(json!({}))
}

/// Where a PC/SC key is: its reader's card presence.
struct ReaderWatcher<'a> {
    backend: &'a dyn Backend,
    reader: String,
}

impl ReaderWatcher<'_> {
    fn present(&self) -> bool {
        match self.backend.list() {
            Listing::Readers(rs) => rs.iter().any(|r| r.name == self.reader && r.atr.is_some()),
            _ => false,
        }
    }

    fn poll(&self, timeout: Duration, want_present: bool) -> bool {
        let started = Instant::now();
        loop {
            if self.present() == want_present {
                return true;
            }
            if started.elapsed() >= timeout {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100).min(timeout));
        }
    }

    fn run_iso(
        &self,
        dev: &mut dyn crate::connection::SmartCardDevice,
        op: &mut dyn FnMut(&mut dyn FidoConnection) -> CtapResult<ResetOutcome>,
    ) -> CtapResult<ResetOutcome> {
        transaction(dev, |conn| {
            let mut iso = CtapIso::select(conn)?;
            op(&mut iso)
        })?
    }
}

impl PresenceWatcher for ReaderWatcher<'_> {
    fn wait_removed(&mut self, timeout: Duration) -> CtapResult<bool> {
        Ok(self.poll(timeout, false))
    }

    fn wait_inserted(&mut self, timeout: Duration) -> CtapResult<Option<String>> {
        Ok(self.poll(timeout, true).then(|| self.reader.clone()))
    }

    fn with_key(
        &mut self,
        op: &mut dyn FnMut(&mut dyn FidoConnection) -> CtapResult<ResetOutcome>,
    ) -> CtapResult<ResetOutcome> {
        let mut dev = self.backend.connect(&self.reader)?;
        self.run_iso(dev.as_mut(), op)
    }

    fn with_power_cycled_key(
        &mut self,
        op: &mut dyn FnMut(&mut dyn FidoConnection) -> CtapResult<ResetOutcome>,
    ) -> CtapResult<Option<ResetOutcome>> {
        let mut dev = self.backend.connect(&self.reader)?;
        if !dev.power_cycle()? {
            return Ok(None);
        }
        self.run_iso(dev.as_mut(), op).map(Some)
    }
}

/// Where a HID key is: FIDO HID interfaces come and go (the path may change).
struct HidWatcher {
    path: String,
}

impl PresenceWatcher for HidWatcher {
    fn wait_removed(&mut self, timeout: Duration) -> CtapResult<bool> {
        let started = Instant::now();
        while started.elapsed() < timeout {
            if !hid_transport::list()?.iter().any(|k| k.path == self.path) {
                return Ok(true);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(false)
    }

    fn wait_inserted(&mut self, timeout: Duration) -> CtapResult<Option<String>> {
        let started = Instant::now();
        while started.elapsed() < timeout {
            if let [only] = &hid_transport::list()?[..] {
                self.path = only.path.clone();
                // The path is not an identity across replugs; the AAGUID check is.
                return Ok(Some(String::new()));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(None)
    }

    fn with_key(
        &mut self,
        op: &mut dyn FnMut(&mut dyn FidoConnection) -> CtapResult<ResetOutcome>,
    ) -> CtapResult<ResetOutcome> {
        let mut hid = hid_transport::open(&self.path)?;
        op(&mut hid)
    }
}

/// `fido.reset`: the replug flow, each step a `fido.reset` event for this request.
pub fn reset(
    ctx: &Ctx,
    p: &FidoResetParams,
    events: &dyn Fn(Event),
    request_id: tessera_core::protocol::RequestId,
) -> Result<Value, ErrorBody> {
    let info = with_ctap(ctx, &p.device, |c| Ok(c.info().clone()))?;
    if info.u2f_only {
        return Err(ErrorBody::new(
            ErrorCode::NotSupported,
            "this key only speaks U2F, which has no reset",
        ));
    }
    let timeout = Duration::from_millis(p.replug_timeout_ms.unwrap_or(30_000).min(300_000));
    let mut emit = |e: ResetEvent| {
        events(Event {
            event: "fido.reset".to_owned(),
            id: Some(request_id),
            data: serde_json::to_value(e).unwrap_or_default(),
        })
    };
    let outcome = if let Some(path) = p.device.strip_prefix(HID_PREFIX) {
        let plan = ResetPlan {
            aaguid: info.aaguid,
            device_id: None,
            replug_timeout: timeout,
            touch_timeout: Duration::from_secs(30),
        };
        let mut w = HidWatcher {
            path: path.to_owned(),
        };
        reset::reset_flow(&mut w, &plan, &mut emit, &|| false)
    } else {
        let found = ctx.find(&p.device)?;
        let plan = ResetPlan {
            aaguid: info.aaguid,
            device_id: Some(found.reader.clone()),
            replug_timeout: timeout,
            touch_timeout: Duration::from_secs(30),
        };
        let mut w = ReaderWatcher {
            backend: ctx.backend,
            reader: found.reader.clone(),
        };
        let outcome = reset::reset_flow(&mut w, &plan, &mut emit, &|| false);
        ctx.cache.forget_reader(&found.reader);
        outcome
    }
    .map_err(error)?;
    tracing::info!(?outcome, "fido.reset");
    Ok(json!({ "outcome": outcome }))
}

/// The FIDO side of a shared PIN (PIN policy `fido_shared`, set during
/// Personalize): after the smart-card PIN went from `old` to `new`, the FIDO
/// PIN follows — changePIN (CTAP 2.1 §6.5.5.6), or setPIN (§6.5.5.5) when the
/// key has none yet. The smart-card change stands whatever happens here.
pub fn follow_shared_pin(
    ctx: &Ctx,
    device: &str,
    old: &Secret,
    new: &Secret,
) -> Result<(), ErrorBody> {
    with_ctap(ctx, device, |c| match c.info().pin() {
        crate::fido::info::PinSupport::Set => c.change_pin(old.expose(), new.expose()),
        crate::fido::info::PinSupport::NotSet => c.set_pin(new.expose()),
        crate::fido::info::PinSupport::Unsupported => Ok(()),
    })
    .map_err(|e| {
        ErrorBody::new(
            e.code,
            format!(
                "the smart-card PIN was changed, but the FIDO PIN (shared by policy) was not: {}. \
                 Change the FIDO PIN to the same value under FIDO → PIN",
                e.message
            ),
        )
        .with("smart_card_pin_changed", true)
    })
}
