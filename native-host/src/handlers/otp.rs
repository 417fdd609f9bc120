//! OTP handlers (`otp.*`): the Crescendo OATH slots (crescendo-apdu.md §5) and
//! YKOATH accounts (protocols.md §1), each operation in one transaction on the
//! token's held connection. A PIN is verified at most once per request and
//! never retried. Writes re-read the slot or account list first, never replace
//! anything without the caller naming it in `replace`, and are checked by
//! computing a code on the token and comparing it with tessera-core's RFC
//! implementation; a failed check removes what was written.

use std::ops::ControlFlow;
use std::time::{SystemTime, UNIX_EPOCH};

use tessera_core::otp::ocra::ChallengeFormat;
use tessera_core::otp::{compute, OcraSuite};
use tessera_core::protocol::{
    otp_methods, ErrorBody, ErrorCode, Event, NewOtpAccount, OcraChallengeFormat, OtpAccess,
    OtpAddParams, OtpAdded, OtpAlgorithm, OtpCode, OtpCodeEntry, OtpCodeParams, OtpCodes,
    OtpCodesParams, OtpDeleteParams, OtpEntry, OtpFamily, OtpKind, OtpList, OtpListParams,
    OtpSupport, RequestId, Verification,
};
use tessera_core::secret::Secret;
use zeroize::Zeroizing;

use crate::connection::SmartCardConnection;
use crate::handlers::token::{pin, Ctx, Found};
use crate::sessions::aca::AcaSession;
use crate::sessions::crescendo_oath::{
    self as co, CrescendoOathSession, OathConfig, OathSlot, OcraInput, OtpRequest, SlotState,
};
use crate::sessions::touch::{PollPolicy, TouchWait};
use crate::sessions::ykoath::{
    time_challenge, CalculatedResult, CredentialData, CredentialId, HashAlgorithm, OathType,
    YkOathSession,
};
use crate::sessions::SessionError;

/// YKOATH holds at most this many accounts (YubiKey 5: 32; the virtual token too).
const YKOATH_CAPACITY: u32 = 32;

/// Where events of one request go.
pub struct Events<'a> {
    /// The sink.
    pub send: &'a dyn Fn(Event),
    /// The request they belong to.
    pub id: RequestId,
}

impl Events<'_> {
    fn touch(&self, entry: &str, wait: &TouchWait) -> ControlFlow<()> {
        (self.send)(Event {
            event: otp_methods::TOUCH_EVENT.to_owned(),
            id: Some(self.id),
            data: serde_json::json!({
                "entry": entry,
                "attempt": wait.attempt,
                "remaining_ms": u64::try_from(wait.remaining.as_millis()).unwrap_or(u64::MAX),
            }),
        });
        ControlFlow::Continue(())
    }
}

fn bad(field: &str, message: impl Into<String>) -> ErrorBody {
    ErrorBody::new(ErrorCode::BadInput, message).with("field", field)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn family(found: &Found) -> Result<OtpFamily, ErrorBody> {
    if found.info.applets.oath_slots > 0 {
        Ok(OtpFamily::Crescendo)
    } else if found.info.applets.ykoath {
        Ok(OtpFamily::Ykoath)
    } else {
        Err(ErrorBody::new(
            ErrorCode::NotSupported,
            "this token has no OTP applet (no Crescendo OATH slots, no YKOATH)",
        )
        .with("feature", "otp"))
    }
}

// ---- Crescendo ----------------------------------------------------------

fn slot_of(n: u8) -> Option<OathSlot> {
    OathSlot::ALL.get(usize::from(n).checked_sub(1)?).copied()
}

fn slot_number(slot: OathSlot) -> u8 {
    match slot {
        OathSlot::One => 1,
        OathSlot::Two => 2,
        OathSlot::Three => 3,
    }
}

fn slot_id(n: u8) -> String {
    format!("slot-{n}")
}

fn parse_slot_id(id: &str) -> Option<OathSlot> {
    id.strip_prefix("slot-")?.parse().ok().and_then(slot_of)
}

fn access_of(code: u8) -> Option<OtpAccess> {
    Some(match code {
        co::ACCESS_ALWAYS => OtpAccess::Always,
        co::ACCESS_NEVER => OtpAccess::Never,
        co::ACCESS_PIN => OtpAccess::Pin,
        co::ACCESS_PIN_TOUCH => OtpAccess::PinTouch,
        _ => return None,
    })
}

fn access_code(a: OtpAccess) -> u8 {
    match a {
        OtpAccess::Always => co::ACCESS_ALWAYS,
        OtpAccess::Never => co::ACCESS_NEVER,
        OtpAccess::Pin => co::ACCESS_PIN,
        OtpAccess::PinTouch => co::ACCESS_PIN_TOUCH,
    }
}

fn algorithm_of(code: u8) -> Option<OtpAlgorithm> {
    Some(match code {
        co::ALGORITHM_SHA1 => OtpAlgorithm::Sha1,
        co::ALGORITHM_SHA256 => OtpAlgorithm::Sha256,
        co::ALGORITHM_SHA512 => OtpAlgorithm::Sha512,
        _ => return None,
    })
}

fn algorithm_code(a: OtpAlgorithm) -> u8 {
    match a {
        OtpAlgorithm::Sha1 => co::ALGORITHM_SHA1,
        OtpAlgorithm::Sha256 => co::ALGORITHM_SHA256,
        OtpAlgorithm::Sha512 => co::ALGORITHM_SHA512,
    }
}

/// The kind a slot computes: slot 1 is HOTP only (§5.1); mode 00 with a time
/// step answers TOTP on slots 2–3 (emulator-defined).
fn kind_of(slot: OathSlot, s: &SlotState) -> Option<OtpKind> {
    Some(match s.mode {
        co::MODE_HOTP if slot == OathSlot::One || s.time_step == 0 => OtpKind::Hotp,
        co::MODE_HOTP | co::MODE_TOTP => OtpKind::Totp,
        co::MODE_OCRA => OtpKind::Ocra,
        _ => return None,
    })
}

fn crescendo_entry(slot: OathSlot, s: Option<&SlotState>) -> OtpEntry {
    let n = slot_number(slot);
    let mut e = OtpEntry {
        id: slot_id(n),
        slot: Some(n),
        configured: false,
        kind: None,
        algorithm: None,
        digits: None,
        period: None,
        issuer: None,
        name: None,
        access: None,
        touch: false,
    };
    if let Some(s) = s {
        let kind = kind_of(slot, s);
        let access = s.contact_access.and_then(access_of);
        e.configured = !s.is_factory();
        e.kind = kind;
        e.algorithm = algorithm_of(s.algorithm);
        e.digits = Some(s.digits);
        e.period = (kind == Some(OtpKind::Totp)).then(|| s.period_seconds());
        e.access = access;
        // HOTP always waits for the button (§5.3); otherwise the access says.
        e.touch = kind == Some(OtpKind::Hotp) || access == Some(OtpAccess::PinTouch);
    }
    e
}

fn crescendo_support() -> OtpSupport {
    OtpSupport {
        kinds: vec![OtpKind::Hotp, OtpKind::Totp, OtpKind::Ocra],
        algorithms: vec![
            OtpAlgorithm::Sha1,
            OtpAlgorithm::Sha256,
            OtpAlgorithm::Sha512,
        ],
        digits: vec![6, 7, 8],
        access: vec![
            OtpAccess::Always,
            OtpAccess::Never,
            OtpAccess::Pin,
            OtpAccess::PinTouch,
        ],
        touch: false,
        names_on_token: false,
    }
}

fn crescendo_list(c: &mut dyn SmartCardConnection) -> Result<Vec<OtpEntry>, SessionError> {
    OathSlot::ALL
        .iter()
        .map(|&slot| {
            let s = CrescendoOathSession::open(c, slot)?;
            Ok(crescendo_entry(slot, s.state()))
        })
        .collect()
}

fn verify_if(
    c: &mut dyn SmartCardConnection,
    pin_secret: Option<&Secret>,
) -> Result<(), SessionError> {
    match pin_secret {
        Some(s) => AcaSession::open(c)?.verify_pin(&pin(s)),
        None => Ok(()),
    }
}

fn ocra_request(p: &OtpCodeParams) -> Result<OcraInput, ErrorBody> {
    let q = p
        .challenge
        .as_deref()
        .ok_or_else(|| bad("challenge", "enter the challenge"))?;
    match p.challenge_format.unwrap_or(OcraChallengeFormat::Numeric) {
        OcraChallengeFormat::Numeric => OcraInput::numeric(q)
            .map_err(|_| bad("challenge", "the challenge must be decimal digits")),
        OcraChallengeFormat::Hex => hex::decode(q.trim())
            .map(OcraInput::with_challenge)
            .map_err(|_| bad("challenge", "the challenge must be hexadecimal")),
        OcraChallengeFormat::Alphanumeric => Ok(OcraInput::with_challenge(q.as_bytes())),
    }
}

/// One code from a slot, polling while the button blinks.
fn crescendo_code(
    c: &mut dyn SmartCardConnection,
    slot: OathSlot,
    req: impl FnOnce(OtpKind) -> Result<OtpRequest, SessionError>,
    events: &Events,
    entry: &str,
) -> Result<(String, Option<OtpKind>, Option<u32>), SessionError> {
    let mut s = CrescendoOathSession::open(c, slot)?;
    let state = s.state().cloned();
    let kind = state.as_ref().and_then(|st| kind_of(slot, st));
    let period = state.as_ref().map(SlotState::period_seconds);
    let request = req(kind.unwrap_or(OtpKind::Hotp))?;
    let code = s.poll_until(&request, &PollPolicy::default(), |w| events.touch(entry, w))?;
    Ok((code, kind, period))
}

// ---- YKOATH ---------------------------------------------------------------

fn yk_algorithm(a: HashAlgorithm) -> Option<OtpAlgorithm> {
    Some(match a {
        HashAlgorithm::Sha1 => OtpAlgorithm::Sha1,
        HashAlgorithm::Sha256 => OtpAlgorithm::Sha256,
        HashAlgorithm::Sha512 => OtpAlgorithm::Sha512,
        HashAlgorithm::Other(_) => return None,
    })
}

fn yk_open<'c>(
    c: &'c mut dyn SmartCardConnection,
    password: Option<&Secret>,
) -> Result<YkOathSession<'c>, SessionError> {
    let mut s = YkOathSession::open(c)?;
    if s.is_locked() {
        let Some(p) = password else {
            return Err(SessionError::SecurityNotSatisfied);
        };
        let key = s.derive_key(&pin(p));
        s.validate(&key)?;
    }
    Ok(s)
}

fn yk_entries(s: &mut YkOathSession) -> Result<Vec<OtpEntry>, SessionError> {
    Ok(s.list()?
        .into_iter()
        .map(|cred| {
            let parsed = cred.parsed_id();
            let kind = match cred.oath_type {
                OathType::Hotp => Some(OtpKind::Hotp),
                OathType::Totp => Some(OtpKind::Totp),
                OathType::Other(_) => None,
            };
            OtpEntry {
                id: String::from_utf8_lossy(&cred.id).into_owned(),
                slot: None,
                configured: true,
                kind,
                algorithm: yk_algorithm(cred.algorithm),
                digits: None,
                period: (kind == Some(OtpKind::Totp)).then_some(parsed.period),
                issuer: parsed.issuer,
                name: Some(parsed.name),
                access: None,
                touch: false,
            }
        })
        .collect())
}

fn yk_support() -> OtpSupport {
    OtpSupport {
        kinds: vec![OtpKind::Hotp, OtpKind::Totp],
        algorithms: vec![
            OtpAlgorithm::Sha1,
            OtpAlgorithm::Sha256,
            OtpAlgorithm::Sha512,
        ],
        digits: vec![6, 7, 8],
        access: vec![],
        touch: true,
        names_on_token: true,
    }
}

// ---- handlers ---------------------------------------------------------------

/// `otp.list`.
pub fn list(ctx: &Ctx, p: &OtpListParams) -> Result<OtpList, ErrorBody> {
    let found = ctx.find(&p.device)?;
    match family(&found)? {
        OtpFamily::Crescendo => Ok(OtpList {
            family: OtpFamily::Crescendo,
            capacity: 3,
            support: crescendo_support(),
            entries: ctx.run(&found, crescendo_list)?,
        }),
        OtpFamily::Ykoath => Ok(OtpList {
            family: OtpFamily::Ykoath,
            capacity: YKOATH_CAPACITY,
            support: yk_support(),
            entries: ctx.run(&found, |c| yk_entries(&mut yk_open(c, p.pin.as_ref())?))?,
        }),
    }
}

/// `otp.code`: computed on the token; `otp.touch` events while it waits.
pub fn code(ctx: &Ctx, p: &OtpCodeParams, events: &Events) -> Result<OtpCode, ErrorBody> {
    let found = ctx.find(&p.device)?;
    let time = p.time.unwrap_or_else(now);
    match family(&found)? {
        OtpFamily::Crescendo => {
            let slot = parse_slot_id(&p.entry)
                .ok_or_else(|| bad("entry", format!("no slot {:?} on this key", p.entry)))?;
            let ocra = p.challenge.is_some().then(|| ocra_request(p)).transpose()?;
            let time32 = u32::try_from(time).map_err(|_| bad("time", "time out of range"))?;
            let (code, kind, period) = ctx.run(&found, |c| {
                verify_if(c, p.pin.as_ref())?;
                crescendo_code(
                    c,
                    slot,
                    |kind| match (kind, &ocra) {
                        (OtpKind::Ocra, Some(input)) => OtpRequest::ocra(input),
                        (OtpKind::Ocra, None) => Err(SessionError::InvalidArgument(
                            "this slot answers OCRA: enter the challenge".into(),
                        )),
                        (OtpKind::Totp, _) => Ok(OtpRequest::totp(time32)),
                        (OtpKind::Hotp, _) => Ok(OtpRequest::hotp()),
                    },
                    events,
                    &p.entry,
                )
            })?;
            Ok(result(code, kind, period, time))
        }
        OtpFamily::Ykoath => {
            let (code, kind, period) = ctx.run(&found, |c| {
                let mut s = yk_open(c, p.pin.as_ref())?;
                let cred = s
                    .list()?
                    .into_iter()
                    .find(|cr| cr.id == p.entry.as_bytes())
                    .ok_or(SessionError::NotFound)?;
                let period = cred.parsed_id().period;
                let (kind, challenge) = match cred.oath_type {
                    OathType::Totp => (OtpKind::Totp, time_challenge(time, period)?.to_vec()),
                    _ => (OtpKind::Hotp, vec![]),
                };
                let code = crate::sessions::touch::poll(
                    &PollPolicy::default(),
                    |w| events.touch(&p.entry, w),
                    std::thread::sleep,
                    || s.calculate(p.entry.as_bytes(), &challenge),
                )?;
                Ok((code.value, Some(kind), Some(period)))
            })?;
            Ok(result(code, kind, period, time))
        }
    }
}

/// `otp.codes`: every TOTP code the token gives without a touch, in as few
/// APDUs as the applet allows (YKOATH: one CALCULATE ALL, plus one CALCULATE
/// per account whose period is not 30 s; Crescendo: one TOTP AUTHENTICATE per
/// slot whose access needs no touch). HOTP and OCRA are listed without code.
pub fn codes(ctx: &Ctx, p: &OtpCodesParams) -> Result<OtpCodes, ErrorBody> {
    let found = ctx.find(&p.device)?;
    let time = p.time.unwrap_or_else(now);
    let valid_until = |period: u32| (time / u64::from(period) + 1) * u64::from(period);
    match family(&found)? {
        OtpFamily::Ykoath => {
            let codes = ctx.run(&found, |c| {
                let mut s = yk_open(c, p.pin.as_ref())?;
                let all = s.calculate_all(&time_challenge(time, 30)?)?;
                let mut out = Vec::with_capacity(all.len());
                for e in all {
                    let entry = String::from_utf8_lossy(&e.id).into_owned();
                    let totp_period = CredentialId::parse(&e.id, OathType::Totp).period;
                    let mut item = OtpCodeEntry {
                        entry,
                        kind: Some(OtpKind::Totp),
                        code: None,
                        valid_until: None,
                        touch: false,
                    };
                    match e.result {
                        CalculatedResult::Code(code) if totp_period == 30 => {
                            item.code = Some(Secret::new(code.value));
                            item.valid_until = Some(valid_until(30));
                        }
                        // Another period: CALCULATE ALL used the 30 s challenge.
                        CalculatedResult::Code(_) | CalculatedResult::Full { .. } => {
                            let code = s.calculate(&e.id, &time_challenge(time, totp_period)?)?;
                            item.code = Some(Secret::new(code.value));
                            item.valid_until = Some(valid_until(totp_period));
                        }
                        CalculatedResult::Hotp { .. } => item.kind = Some(OtpKind::Hotp),
                        CalculatedResult::Touch { .. } => item.touch = true,
                    }
                    out.push(item);
                }
                Ok(out)
            })?;
            Ok(OtpCodes { codes })
        }
        OtpFamily::Crescendo => {
            let time32 = u32::try_from(time).map_err(|_| bad("time", "time out of range"))?;
            let codes = ctx.run(&found, |c| {
                verify_if(c, p.pin.as_ref())?;
                let mut out = vec![];
                for slot in OathSlot::ALL {
                    let mut s = CrescendoOathSession::open(c, slot)?;
                    let entry = crescendo_entry(slot, s.state());
                    if !entry.configured {
                        continue;
                    }
                    let mut item = OtpCodeEntry {
                        entry: entry.id.clone(),
                        kind: entry.kind,
                        code: None,
                        valid_until: None,
                        touch: entry.touch,
                    };
                    let computable = entry.kind == Some(OtpKind::Totp)
                        && !entry.touch
                        && entry.access != Some(OtpAccess::Never);
                    if computable {
                        // A slot whose PIN is not verified is listed without code.
                        match s.authenticate(&OtpRequest::totp(time32)) {
                            Ok(code) => {
                                item.code = Some(Secret::new(code));
                                item.valid_until = entry.period.map(valid_until);
                            }
                            Err(SessionError::SecurityNotSatisfied) => {}
                            Err(e) => return Err(e),
                        }
                    }
                    out.push(item);
                }
                Ok(out)
            })?;
            Ok(OtpCodes { codes })
        }
    }
}

fn result(code: String, kind: Option<OtpKind>, period: Option<u32>, time: u64) -> OtpCode {
    let totp_period = period.filter(|&p| kind == Some(OtpKind::Totp) && p > 0);
    OtpCode {
        code: Secret::new(code),
        valid_until: totp_period.map(|p| (time / u64::from(p) + 1) * u64::from(p)),
        period: totp_period,
    }
}

fn check_account(a: &NewOtpAccount) -> Result<Zeroizing<Vec<u8>>, ErrorBody> {
    let secret = Zeroizing::new(
        hex::decode(a.secret.expose().trim())
            .map_err(|_| bad("secret", "the secret must be hexadecimal bytes"))?,
    );
    if secret.is_empty() {
        return Err(bad("secret", "the secret is empty"));
    }
    if secret.len() > co::MAX_KEY_LEN {
        return Err(bad(
            "secret",
            format!("the secret is longer than {} bytes", co::MAX_KEY_LEN),
        ));
    }
    if !(6..=8).contains(&a.digits) {
        return Err(bad("digits", "codes have 6, 7 or 8 digits"));
    }
    if a.name.trim().is_empty() {
        return Err(bad("name", "enter a name"));
    }
    Ok(secret)
}

/// What tessera-core's RFC implementation says the next code is.
fn expected(
    a: &NewOtpAccount,
    key: &[u8],
    time: u64,
    counter: u64,
    suite: Option<&OcraSuite>,
) -> Result<String, ErrorBody> {
    let r = match a.kind {
        OtpKind::Hotp => compute::hotp(key, a.algorithm, counter, a.digits),
        OtpKind::Totp => compute::totp(key, a.algorithm, time, a.period.unwrap_or(30), a.digits),
        OtpKind::Ocra => {
            let suite =
                suite.ok_or_else(|| bad("ocra_suite", "an OCRA account needs its suite"))?;
            compute::ocra(
                suite,
                key,
                &compute::OcraInputs {
                    counter: suite.counter.then_some(counter),
                    question: VERIFY_QUESTION,
                    ..Default::default()
                },
            )
        }
    };
    r.map_err(|e| bad("account", e.to_string()))
}

/// The OCRA question used to check a fresh slot (numeric, fits QN04 and up).
const VERIFY_QUESTION: &str = "00000000";

/// `otp.add`: write, then check by computing a code on the token.
pub fn add(ctx: &Ctx, p: &OtpAddParams, events: &Events) -> Result<OtpAdded, ErrorBody> {
    let found = ctx.find(&p.device)?;
    let a = &p.account;
    let key = check_account(a)?;
    let time = p.time.unwrap_or_else(now);
    match family(&found)? {
        OtpFamily::Crescendo => add_crescendo(ctx, &found, p, &key, time, events),
        OtpFamily::Ykoath => add_ykoath(ctx, &found, p, &key, time, events),
    }
}

fn would_overwrite(entry: &OtpEntry) -> ErrorBody {
    ErrorBody::new(
        ErrorCode::WouldOverwrite,
        format!(
            "{} is in use; writing would erase it. Confirm by naming it",
            entry.id
        ),
    )
    .with("entry", serde_json::to_value(entry).unwrap_or_default())
}

fn add_crescendo(
    ctx: &Ctx,
    found: &Found,
    p: &OtpAddParams,
    key: &[u8],
    time: u64,
    events: &Events,
) -> Result<OtpAdded, ErrorBody> {
    let a = &p.account;
    let suite = match (&a.kind, &a.ocra_suite) {
        (OtpKind::Ocra, Some(s)) => {
            Some(OcraSuite::parse(s).map_err(|e| bad("ocra_suite", e.to_string()))?)
        }
        (OtpKind::Ocra, None) => return Err(bad("ocra_suite", "an OCRA account needs its suite")),
        _ => None,
    };
    // The check computes with a numeric question and no PIN, session or time
    // input: other suites are written but not checked (the note says so).
    let unchecked = suite.as_ref().and_then(|s| {
        (s.challenge != ChallengeFormat::Numeric
            || s.pin.is_some()
            || s.session.is_some()
            || s.timestep.is_some())
        .then_some("the suite needs inputs the check does not have (P, S, T, or a QA/QH question)")
    });
    let (time_step, time_unit) = match a.kind {
        OtpKind::Totp => OathConfig::time_step_for(a.period.unwrap_or(30))
            .ok_or_else(|| bad("period", "this key cannot hold that period"))?,
        _ => (0, co::UNIT_SECONDS),
    };
    if p.slot == Some(1) && a.kind != OtpKind::Hotp {
        return Err(bad("slot", "slot 1 (the button) holds HOTP only"));
    }
    if a.name.len() > co::MAX_NAME_LEN {
        return Err(bad("name", "the name is longer than 64 bytes"));
    }
    let access = a.access.unwrap_or(OtpAccess::PinTouch);
    let counter = a.counter.unwrap_or(0);
    let config = OathConfig {
        counter,
        mode: match a.kind {
            OtpKind::Hotp => co::MODE_HOTP,
            OtpKind::Totp => co::MODE_TOTP,
            OtpKind::Ocra => co::MODE_OCRA,
        },
        algorithm: algorithm_code(a.algorithm),
        digits: a.digits,
        truncation: co::TRUNCATION_DYNAMIC,
        time_step,
        time_unit,
        contact: access_code(access),
        contactless: access_code(access),
        suite: a.ocra_suite.clone().unwrap_or_default().into_bytes(),
        name: a.name.as_bytes().to_vec(),
    };
    let want = match unchecked {
        Some(_) => String::new(),
        None => expected(a, key, time, counter, suite.as_ref())?,
    };
    let time32 = u32::try_from(time).map_err(|_| bad("time", "time out of range"))?;
    let check = access != OtpAccess::Never && unchecked.is_none();
    let request = |kind: OtpKind| match kind {
        OtpKind::Ocra => OtpRequest::ocra(
            &OcraInput::numeric(VERIFY_QUESTION)
                .map_err(|_| SessionError::InvalidArgument("question".into()))?,
        ),
        OtpKind::Totp => Ok(OtpRequest::totp(time32)),
        OtpKind::Hotp => Ok(OtpRequest::hotp()),
    };
    // One transaction: re-read the slot, write, compute the check code while
    // the slot is still selected, and undo the write if the code is wrong.
    // Write into an open slot session and check while it is still selected;
    // undo the write if the code is wrong or never comes.
    let write = |s: &mut CrescendoOathSession,
                 target: OathSlot|
     -> Result<Result<OathSlot, ErrorBody>, SessionError> {
        let current = crescendo_entry(target, s.state());
        if current.configured && p.replace.as_deref() != Some(current.id.as_str()) {
            return Ok(Err(would_overwrite(&current)));
        }
        s.put_config(&config.to_bytes())?;
        s.put_key(key)?;
        if !check {
            return Ok(Ok(target));
        }
        let entry_id = slot_id(slot_number(target));
        let got = s.poll_until(&request(a.kind)?, &PollPolicy::default(), |w| {
            events.touch(&entry_id, w)
        });
        if got.as_ref().is_ok_and(|code| *code == want) {
            return Ok(Ok(target));
        }
        s.put_config(&[])?;
        s.put_key(&[])?;
        Ok(Err(match got {
            Ok(_) => ErrorBody::new(
                ErrorCode::VerifyFailed,
                "the key computed a different code than expected; the slot was cleared",
            ),
            Err(e) => crate::handlers::token::error(e),
        }))
    };
    // One transaction: the slot is re-read by its SELECT right before the write.
    let outcome = ctx.run(found, |c| {
        verify_if(c, p.pin.as_ref())?;
        if let Some(n) = p.slot {
            let target = slot_of(n).ok_or_else(|| {
                SessionError::InvalidArgument(format!("there is no slot {n}; slots are 1–3"))
            })?;
            let mut s = CrescendoOathSession::open(c, target)?;
            return write(&mut s, target);
        }
        // The first free slot that suits, looking at 3, 2, then 1 (the
        // button's slot last); the one found is written in the same session.
        let mut seen = vec![];
        for &slot in OathSlot::ALL.iter().rev() {
            let mut s = CrescendoOathSession::open(c, slot)?;
            let e = crescendo_entry(slot, s.state());
            if !e.configured && (a.kind == OtpKind::Hotp || slot != OathSlot::One) {
                return write(&mut s, slot);
            }
            seen.push(e);
        }
        seen.reverse();
        Ok(Err(full(&seen)))
    })?;
    let target = outcome?;
    let verified = match unchecked {
        _ if access == OtpAccess::Never => Verification::NotChecked {
            reason: "access is never: the key refuses to compute codes".into(),
        },
        Some(reason) => Verification::NotChecked {
            reason: reason.into(),
        },
        None => Verification::Computed,
    };
    let entry = crescendo_entry(target, Some(&SlotState::from_config(&config)));
    Ok(OtpAdded { entry, verified })
}

fn full(entries: &[OtpEntry]) -> ErrorBody {
    ErrorBody::new(
        ErrorCode::Full,
        "every slot that can hold this account is in use; choose one to replace",
    )
    .with("capacity", entries.len())
    .with("entries", serde_json::to_value(entries).unwrap_or_default())
}

fn add_ykoath(
    ctx: &Ctx,
    found: &Found,
    p: &OtpAddParams,
    key: &[u8],
    time: u64,
    events: &Events,
) -> Result<OtpAdded, ErrorBody> {
    let a = &p.account;
    let oath_type = match a.kind {
        OtpKind::Hotp => OathType::Hotp,
        OtpKind::Totp => OathType::Totp,
        OtpKind::Ocra => return Err(bad("kind", "YKOATH keys do not hold OCRA accounts")),
    };
    if a.access.is_some_and(|x| x != OtpAccess::Always) {
        return Err(bad(
            "access",
            "YKOATH keys have no PIN per account (use touch, or the OATH password)",
        ));
    }
    let period = a.period.unwrap_or(30);
    let id = CredentialId {
        issuer: a.issuer.clone().filter(|i| !i.is_empty()),
        name: a.name.clone(),
        period: if oath_type == OathType::Totp {
            period
        } else {
            0
        },
    }
    .format(oath_type);
    let id_text = String::from_utf8_lossy(&id).into_owned();
    let counter = a.counter.unwrap_or(0);
    let counter32 = u32::try_from(counter).map_err(|_| bad("counter", "counter too large"))?;
    let want = expected(a, key, time, counter, None)?;
    let cred = CredentialData {
        id: id.clone(),
        oath_type,
        algorithm: match a.algorithm {
            OtpAlgorithm::Sha1 => HashAlgorithm::Sha1,
            OtpAlgorithm::Sha256 => HashAlgorithm::Sha256,
            OtpAlgorithm::Sha512 => HashAlgorithm::Sha512,
        },
        digits: a.digits,
        secret: Zeroizing::new(key.to_vec()),
        touch: a.touch,
        counter: counter32,
    };
    let got = ctx.run(found, |c| {
        let mut s = yk_open(c, p.pin.as_ref())?;
        let entries = yk_entries(&mut s)?;
        if let Some(existing) = entries.iter().find(|e| e.id == id_text) {
            if p.replace.as_deref() != Some(existing.id.as_str()) {
                return Ok(Err(would_overwrite(existing)));
            }
        } else if entries.len() >= YKOATH_CAPACITY as usize {
            return Ok(Err(full(&entries)));
        }
        s.put(&cred)?;
        let challenge = match oath_type {
            OathType::Totp => time_challenge(time, period)?.to_vec(),
            _ => vec![],
        };
        let code = crate::sessions::touch::poll(
            &PollPolicy::default(),
            |w| events.touch(&id_text, w),
            std::thread::sleep,
            || s.calculate(&id, &challenge),
        );
        if !matches!(&code, Ok(c) if c.value == want) {
            s.delete(&id)?;
        }
        Ok(Ok(code))
    })??;
    match got {
        Ok(code) if code.value == want => {}
        Ok(_) => {
            return Err(ErrorBody::new(
                ErrorCode::VerifyFailed,
                "the key computed a different code than expected; the account was removed",
            ))
        }
        Err(e) => return Err(crate::handlers::token::error(e)),
    }
    let parsed = CredentialId::parse(&id, oath_type);
    Ok(OtpAdded {
        entry: OtpEntry {
            id: id_text,
            slot: None,
            configured: true,
            kind: Some(a.kind),
            algorithm: Some(a.algorithm),
            digits: Some(a.digits),
            period: (oath_type == OathType::Totp).then_some(period),
            issuer: parsed.issuer,
            name: Some(parsed.name),
            access: None,
            touch: a.touch,
        },
        verified: Verification::Computed,
    })
}

/// `otp.delete`: typed confirmation, then the slot is reset to the factory
/// configuration without key (Crescendo) or the account deleted (YKOATH).
pub fn delete(ctx: &Ctx, p: &OtpDeleteParams) -> Result<(), ErrorBody> {
    if p.confirm != p.entry {
        return Err(ErrorBody::new(
            ErrorCode::ConfirmationMismatch,
            "the confirmation does not match; nothing was deleted",
        )
        .with("expected", p.entry.as_str()));
    }
    let found = ctx.find(&p.device)?;
    match family(&found)? {
        OtpFamily::Crescendo => {
            let slot = parse_slot_id(&p.entry)
                .ok_or_else(|| bad("entry", format!("no slot {:?} on this key", p.entry)))?;
            ctx.run(&found, |c| {
                verify_if(c, p.pin.as_ref())?;
                let mut s = CrescendoOathSession::open(c, slot)?;
                s.put_config(&[])?;
                s.put_key(&[])
            })
        }
        OtpFamily::Ykoath => ctx.run(&found, |c| {
            let mut s = yk_open(c, p.pin.as_ref())?;
            s.delete(p.entry.as_bytes())
        }),
    }
}
