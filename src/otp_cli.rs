//! OTP on the command line: `tessera otp list|codes|add|code|delete|button`, the same
//! `otp.*` protocol calls the popup makes, through the host's own router (PC/SC
//! or `--virtual`). Secrets (the OTP secret, the PIN) are prompted for without
//! echo or read from stdin lines, never from argv; an otpauth URI can be given
//! as `-` to read it from stdin.

use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::{json, Value};
use tessera_core::keyboard;
use tessera_core::otp::encoding::{self, SecretEncoding};
use tessera_core::otp::{classify, Account, Explanation, QrContent};
use tessera_core::protocol::{
    ErrorBody, ErrorCode, NewOtpAccount, OtpAccess, OtpAlgorithm, OtpEntry, OtpKind, OtpList,
    StaticKeys,
};
use tessera_core::secret::Secret;

use crate::device_cli::host::{Failure, Host, Target};
use crate::device_cli::prompt::Prompter;
use crate::device_cli::text::Ctx;
use crate::device_cli::{print_json, say, TokenOpts};

/// `tessera otp …`
#[derive(Subcommand)]
pub enum OtpCmd {
    /// The token's OTP slots (Crescendo) or accounts (YKOATH).
    List(TokenOpts),
    /// Every code the token gives without a touch, at once.
    Codes(TokenOpts),
    /// Compute one code on the token (touch it when it blinks).
    Code(CodeArgs),
    /// Add an account from an otpauth:// or otpauth-migration:// URI (`-` reads
    /// it from stdin), or with --manual (the secret is asked for).
    Add(AddArgs),
    /// Delete an account (asks you to type its entry id).
    Delete(EntryArgs),
    /// What the Crescendo Key's button types (single and double press).
    #[command(subcommand)]
    Button(ButtonCmd),
}

/// `tessera otp button …`
#[derive(Subcommand)]
pub enum ButtonCmd {
    /// Show both presses' actions (a static password only by its length).
    Show(TokenOpts),
    /// Set one press's action.
    Set(ButtonSetArgs),
}

/// Presses on the command line.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum PressArg {
    /// One press.
    Single,
    /// Two quick presses.
    Double,
}

/// `tessera otp button set` arguments.
#[derive(Args)]
#[command(group(clap::ArgGroup::new("action").required(true).args(["hotp", "static_password", "none"])))]
pub struct ButtonSetArgs {
    #[command(flatten)]
    opts: TokenOpts,
    /// Which press.
    #[arg(long, value_enum)]
    press: PressArg,
    /// Type the HOTP code of slot 1.
    #[arg(long)]
    hotp: bool,
    /// Type a static password (asked for without echo, or read from stdin;
    /// converted to key presses with a US keyboard layout).
    #[arg(long = "static")]
    static_password: bool,
    /// Type nothing.
    #[arg(long)]
    none: bool,
    /// Replace a static password already on this press.
    #[arg(long)]
    replace: bool,
    /// Ask for the PIN first.
    #[arg(long)]
    pin: bool,
}

/// `tessera otp code` arguments.
#[derive(Args)]
pub struct CodeArgs {
    #[command(flatten)]
    opts: TokenOpts,
    /// The entry: `slot-N` (Crescendo), the account id, or its name.
    entry: String,
    /// OCRA challenge (decimal digits unless the suite says otherwise).
    #[arg(long)]
    challenge: Option<String>,
    /// Ask for the PIN (or the YKOATH password) first.
    #[arg(long)]
    pin: bool,
}

/// `tessera otp delete` arguments.
#[derive(Args)]
pub struct EntryArgs {
    #[command(flatten)]
    opts: TokenOpts,
    /// The entry: `slot-N` (Crescendo), the account id, or its name.
    entry: String,
    /// Ask for the PIN (or the YKOATH password) first.
    #[arg(long)]
    pin: bool,
}

/// OTP kinds on the command line.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum KindArg {
    /// RFC 4226, counter based.
    Hotp,
    /// RFC 6238, time based.
    Totp,
    /// RFC 6287, challenge-response.
    Ocra,
}

/// Hashes.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum AlgArg {
    /// HMAC-SHA-1.
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

/// Secret encodings.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum EncodingArg {
    /// RFC 4648 Base32 (what sites show).
    Base32,
    /// Hexadecimal.
    Hex,
    /// Base64.
    Base64,
}

/// Access control.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum AccessArg {
    /// No PIN (HOTP still needs the button on a Crescendo Key).
    Always,
    /// Codes refused.
    Never,
    /// The PIN first.
    Pin,
    /// The PIN and a touch.
    PinTouch,
}

/// `tessera otp add` arguments.
#[derive(Args)]
pub struct AddArgs {
    #[command(flatten)]
    opts: TokenOpts,
    /// otpauth:// or otpauth-migration:// URI; `-` reads it from stdin.
    #[arg(required_unless_present = "manual", conflicts_with = "manual")]
    uri: Option<String>,
    /// Enter the account by hand (the secret is asked for).
    #[arg(long)]
    manual: bool,
    /// Crescendo slot (1–3). Default: the first free slot that suits.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=3))]
    slot: Option<u8>,
    /// Write over this entry (a configured slot or an existing account).
    #[arg(long, value_name = "ENTRY")]
    replace: Option<String>,
    /// Kind (manual).
    #[arg(long, value_enum, default_value = "totp")]
    kind: KindArg,
    /// Account name (manual).
    #[arg(long, required_if_eq("manual", "true"))]
    name: Option<String>,
    /// Issuer (manual).
    #[arg(long)]
    issuer: Option<String>,
    /// Hash (manual).
    #[arg(long, value_enum, default_value = "sha1")]
    algorithm: AlgArg,
    /// Code length (manual).
    #[arg(long, default_value_t = 6)]
    digits: u8,
    /// TOTP period in seconds (manual).
    #[arg(long, default_value_t = 30)]
    period: u32,
    /// HOTP initial counter (manual).
    #[arg(long, default_value_t = 0)]
    counter: u64,
    /// OCRA suite, e.g. OCRA-1:HOTP-SHA1-6:QN08 (manual, --kind ocra).
    #[arg(long)]
    ocra_suite: Option<String>,
    /// How the secret is written (manual).
    #[arg(long, value_enum, default_value = "base32")]
    encoding: EncodingArg,
    /// Access control (Crescendo). Default: pin-touch.
    #[arg(long, value_enum)]
    access: Option<AccessArg>,
    /// Require a touch for every code (YKOATH).
    #[arg(long)]
    touch: bool,
    /// Ask for the PIN (or the YKOATH password) first.
    #[arg(long)]
    pin: bool,
}

impl OtpCmd {
    fn opts(&self) -> &TokenOpts {
        match self {
            OtpCmd::List(o) | OtpCmd::Codes(o) => o,
            OtpCmd::Code(a) => &a.opts,
            OtpCmd::Add(a) => &a.opts,
            OtpCmd::Delete(a) => &a.opts,
            OtpCmd::Button(ButtonCmd::Show(o)) => o,
            OtpCmd::Button(ButtonCmd::Set(a)) => &a.opts,
        }
    }
}

/// Runs an OTP verb; exit 0 done, 1 failed, 2 bad usage.
pub fn run(command: OtpCmd) -> ExitCode {
    let json = command.opts().json;
    match execute(&command) {
        Ok((value, lines)) => {
            if json {
                print_json(&value);
            } else {
                lines.iter().for_each(|l| say(l));
            }
            ExitCode::SUCCESS
        }
        Err(Failure::Usage(m)) => {
            eprintln!("tessera: {m}");
            ExitCode::from(2)
        }
        Err(Failure::Error(body, human)) => {
            if json {
                print_json(&body);
            }
            eprintln!("tessera: {human}");
            ExitCode::FAILURE
        }
    }
}

type Out = Result<(Value, Vec<String>), Failure>;

fn execute(command: &OtpCmd) -> Out {
    let opts = command.opts();
    let mut host = Host::open(opts)?;
    let target = host.target(opts.device.as_deref())?;
    let mut p = Prompter::new();
    match command {
        OtpCmd::List(_) => list(&mut host, &target),
        OtpCmd::Codes(_) => codes(&mut host, &target),
        OtpCmd::Code(a) => code(&mut host, &mut p, &target, a),
        OtpCmd::Add(a) => add(&mut host, &mut p, &target, a),
        OtpCmd::Delete(a) => delete(&mut host, &mut p, &target, a),
        OtpCmd::Button(ButtonCmd::Show(_)) => button_show(&mut host, &target),
        OtpCmd::Button(ButtonCmd::Set(a)) => button_set(&mut host, &mut p, &target, a),
    }
}

fn usage(m: impl Into<String>) -> Failure {
    Failure::Usage(m.into())
}

fn bad_input(field: &str, m: impl std::fmt::Display) -> Failure {
    let message = format!("{field}: {m}");
    Failure::error(
        ErrorBody::new(ErrorCode::BadInput, message.clone()).with("field", field),
        format!("{message}. Run the command again with a valid value."),
    )
}

fn kind_name(k: Option<OtpKind>) -> &'static str {
    match k {
        Some(OtpKind::Hotp) => "HOTP",
        Some(OtpKind::Totp) => "TOTP",
        Some(OtpKind::Ocra) => "OCRA",
        None => "?",
    }
}

fn entry_line(e: &OtpEntry) -> String {
    let label = match (&e.issuer, &e.name) {
        (Some(i), Some(n)) => format!("{i}: {n}"),
        (None, Some(n)) => n.clone(),
        _ => String::new(),
    };
    if e.slot.is_some() && !e.configured {
        return format!("  {}  empty (factory settings)", e.id);
    }
    let mut s = format!("  {}  {}", e.id, kind_name(e.kind));
    if let Some(d) = e.digits {
        s.push_str(&format!(", {d} digits"));
    }
    if let Some(p) = e.period {
        s.push_str(&format!(", {p} s"));
    }
    if let Some(a) = e.access {
        s.push_str(match a {
            OtpAccess::Always => ", access: always",
            OtpAccess::Never => ", access: never",
            OtpAccess::Pin => ", access: PIN",
            OtpAccess::PinTouch => ", access: PIN and touch",
        });
    }
    if !label.is_empty() {
        s.push_str(&format!("  {label}"));
    }
    s
}

fn fetch_list(h: &mut Host, t: &Target, pin: Option<&Secret>) -> Result<(Value, OtpList), Failure> {
    let v = h.call_typed(
        "otp.list",
        &json!({"device": t.info.id, "pin": pin}),
        Ctx::Pin,
    )?;
    let list = serde_json::from_value(v.clone()).map_err(|e| {
        Failure::error(
            ErrorBody::new(ErrorCode::Internal, format!("unreadable otp.list: {e}")),
            format!("unreadable otp.list result: {e}; please report it."),
        )
    })?;
    Ok((v, list))
}

fn list(h: &mut Host, t: &Target) -> Out {
    let (v, list) = fetch_list(h, t, None)?;
    let used = list.entries.iter().filter(|e| e.configured).count();
    let mut lines = vec![format!(
        "{} ({}): {used} of {} in use",
        t.model, t.info.id, list.capacity
    )];
    lines.extend(list.entries.iter().map(entry_line));
    Ok((v, lines))
}

fn codes(h: &mut Host, t: &Target) -> Out {
    let v = h.call_typed("otp.codes", &json!({"device": t.info.id}), Ctx::Pin)?;
    let lines = v["codes"]
        .as_array()
        .map(|codes| {
            codes
                .iter()
                .map(|c| {
                    let entry = c["entry"].as_str().unwrap_or_default();
                    if c["kind"].is_null() {
                        return format!("  {entry}  empty");
                    }
                    match (c["code"].as_str(), c["touch"].as_bool()) {
                        (Some(code), _) => format!("  {entry}  {code}"),
                        (None, Some(true)) => {
                            format!("  {entry}  (touch: `tessera otp code {entry}`)")
                        }
                        _ => format!("  {entry}  (`tessera otp code {entry}`)"),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    Ok((v, lines))
}

/// The entry id for what the user typed: an id, a slot number or a name.
fn resolve(h: &mut Host, t: &Target, wanted: &str) -> Result<String, Failure> {
    if wanted.starts_with("slot-") {
        return Ok(wanted.to_owned());
    }
    if let Ok(n) = wanted.parse::<u8>() {
        if t.info.applets.oath_slots > 0 {
            return Ok(format!("slot-{n}"));
        }
    }
    let (_, list) = fetch_list(h, t, None)?;
    let hits: Vec<&OtpEntry> = list
        .entries
        .iter()
        .filter(|e| e.id == wanted || e.name.as_deref() == Some(wanted))
        .collect();
    match hits.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => Err(bad_input(
            "entry",
            format!("no account {wanted:?} (see `tessera otp list`)"),
        )),
        _ => Err(bad_input(
            "entry",
            format!("{wanted:?} names several accounts; give its id"),
        )),
    }
}

fn ask_pin(p: &mut Prompter, asked: bool) -> Result<Option<Secret>, Failure> {
    asked.then(|| p.secret("PIN", "PIN")).transpose()
}

/// Calls `method`; when the token wants the PIN and none was given, asks for
/// it once and calls again with it (the user's answer, never a retry of a
/// wrong PIN: a wrong PIN ends the command with the tries left).
fn call_with_pin(
    h: &mut Host,
    p: &mut Prompter,
    method: &str,
    mut params: Value,
    pin: Option<Secret>,
) -> Result<Value, Failure> {
    let asked = pin.is_some();
    params["pin"] = serde_json::to_value(&pin).unwrap_or(Value::Null);
    match h.call_typed(method, &params, Ctx::Pin) {
        Err(Failure::Error(body, _)) if body.code == ErrorCode::PinRequired && !asked => {
            params["pin"] = serde_json::to_value(p.secret("PIN", "PIN")?).unwrap_or(Value::Null);
            h.call_typed(method, &params, Ctx::Pin)
        }
        other => other,
    }
}

fn code(h: &mut Host, p: &mut Prompter, t: &Target, a: &CodeArgs) -> Out {
    let entry = resolve(h, t, &a.entry)?;
    let pin = ask_pin(p, a.pin)?;
    eprintln!("tessera: computing on the key; touch it if it blinks.");
    let v = call_with_pin(
        h,
        p,
        "otp.code",
        json!({"device": t.info.id, "entry": entry, "challenge": a.challenge}),
        pin,
    )?;
    let code = v["code"].as_str().unwrap_or_default().to_owned();
    let mut line = code;
    if let Some(until) = v["valid_until"].as_u64() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        line.push_str(&format!("  (valid {} s more)", until.saturating_sub(now)));
    }
    Ok((v, vec![line]))
}

fn parse_text(text: &str) -> Result<Vec<Account>, Failure> {
    match classify(text) {
        QrContent::Otpauth(p) => Ok(vec![p.account]),
        QrContent::Migration(b) => Ok(b.accounts),
        QrContent::BadOtpauth(e) => Err(bad_input("uri", e)),
        QrContent::BadMigration(e) => Err(bad_input("uri", e)),
        QrContent::NotEnrollment(why) => {
            let m = explain(&why);
            Err(Failure::error(
                ErrorBody::new(ErrorCode::BadInput, format!("not an OTP enrollment: {m}"))
                    .with("field", "uri"),
                format!("this is not an OTP enrollment: {m}."),
            ))
        }
    }
}

/// Why a text is not an enrollment, for people.
fn explain(why: &Explanation) -> String {
    match why {
        Explanation::Empty => "it is empty".into(),
        Explanation::WebLink { host } => {
            format!("it is a link to {host}, not an OTP enrollment; open it in the browser instead")
        }
        Explanation::MicrosoftPairing => "it pairs Microsoft Authenticator (push sign-in); it \
            holds no OTP secret. Ask the site for an authenticator-app (TOTP) code instead"
            .into(),
        Explanation::AppPairing { scheme } => format!(
            "it pairs another app ({scheme}://) and holds no OTP secret; ask the site for a \
             standard authenticator (TOTP) set-up"
        ),
        Explanation::OtpauthWithoutSecret => {
            "the otpauth URI has no secret; only the site's own app can complete it".into()
        }
        other => format!("it is not an OTP enrollment ({other:?})"),
    }
}

fn manual(p: &mut Prompter, a: &AddArgs) -> Result<NewOtpAccount, Failure> {
    let name = a
        .name
        .clone()
        .ok_or_else(|| usage("--manual needs --name"))?;
    let text = p.secret("Secret", "secret")?;
    let enc = match a.encoding {
        EncodingArg::Base32 => SecretEncoding::Base32,
        EncodingArg::Hex => SecretEncoding::Hex,
        EncodingArg::Base64 => SecretEncoding::Base64,
    };
    let secret = encoding::decode(text.expose(), enc).map_err(|e| bad_input("secret", e))?;
    Ok(NewOtpAccount {
        kind: match a.kind {
            KindArg::Hotp => OtpKind::Hotp,
            KindArg::Totp => OtpKind::Totp,
            KindArg::Ocra => OtpKind::Ocra,
        },
        algorithm: match a.algorithm {
            AlgArg::Sha1 => OtpAlgorithm::Sha1,
            AlgArg::Sha256 => OtpAlgorithm::Sha256,
            AlgArg::Sha512 => OtpAlgorithm::Sha512,
        },
        digits: a.digits,
        period: Some(a.period),
        counter: Some(a.counter),
        ocra_suite: a.ocra_suite.clone(),
        issuer: a.issuer.clone(),
        name,
        secret: NewOtpAccount::hex_secret(&secret),
        access: a.access.map(access),
        touch: a.touch,
    })
}

fn access(a: AccessArg) -> OtpAccess {
    match a {
        AccessArg::Always => OtpAccess::Always,
        AccessArg::Never => OtpAccess::Never,
        AccessArg::Pin => OtpAccess::Pin,
        AccessArg::PinTouch => OtpAccess::PinTouch,
    }
}

fn add(h: &mut Host, p: &mut Prompter, t: &Target, a: &AddArgs) -> Out {
    let accounts = if a.manual {
        vec![manual(p, a)?]
    } else {
        let uri = match a.uri.as_deref() {
            Some("-") => p.secret("otpauth URI", "URI")?,
            Some(u) => Secret::new(u),
            None => return Err(usage("give an otpauth URI (or - for stdin), or --manual")),
        };
        parse_text(uri.expose())?
            .iter()
            .map(|acc| NewOtpAccount::from_account(acc, a.access.map(access), a.touch))
            .collect()
    };
    if accounts.len() > 1 && (a.slot.is_some() || a.replace.is_some()) {
        return Err(usage(
            "--slot and --replace apply to one account; this export holds several",
        ));
    }
    let pin = ask_pin(p, a.pin)?;
    let mut results = vec![];
    let mut lines = vec![];
    for account in accounts {
        let label = match &account.issuer {
            Some(i) => format!("{i}: {}", account.name),
            None => account.name.clone(),
        };
        eprintln!(
            "tessera: writing {label}; touch the key if it blinks (the check computes a code)."
        );
        let v = call_with_pin(
            h,
            p,
            "otp.add",
            json!({"device": t.info.id, "slot": a.slot, "account": account, "replace": a.replace}),
            pin.clone(),
        )
        .map_err(|f| match f {
                Failure::Error(body, _) if body.code == ErrorCode::WouldOverwrite => {
                    let id = body.details.get("entry").and_then(|e| e["id"].as_str()).unwrap_or("?").to_owned();
                    Failure::Error(
                        body,
                        format!("{id} is in use: writing would erase it. Run again with --replace {id} to confirm."),
                    )
                }
                other => other,
            })?;
        let entry = v["entry"]["id"].as_str().unwrap_or_default();
        let check = match v["verified"]["status"].as_str() {
            Some("computed") => "verified: the key computed the expected code".to_owned(),
            _ => format!(
                "not verified ({})",
                v["verified"]["reason"]
                    .as_str()
                    .unwrap_or("no reason given")
            ),
        };
        lines.push(format!("Added {label} as {entry}; {check}."));
        results.push(v);
    }
    Ok((Value::from(results), lines))
}

fn delete(h: &mut Host, p: &mut Prompter, t: &Target, a: &EntryArgs) -> Out {
    let entry = resolve(h, t, &a.entry)?;
    let confirm = p.line(
        &format!("This erases {entry} from the key. Type {entry} to confirm"),
        "confirmation",
    )?;
    let pin = ask_pin(p, a.pin)?;
    let v = call_with_pin(
        h,
        p,
        "otp.delete",
        json!({"device": t.info.id, "entry": entry, "confirm": confirm.trim()}),
        pin,
    )?;
    Ok((v, vec![format!("Deleted {entry}.")]))
}

fn press_name(p: PressArg) -> &'static str {
    match p {
        PressArg::Single => "single",
        PressArg::Double => "double",
    }
}

fn action_line(press: &str, a: &Value) -> String {
    let what = match (a["kind"].as_str(), a["length"].as_u64()) {
        (Some("hotp"), _) => "types the HOTP code of slot 1".to_owned(),
        (Some("static"), Some(n)) => format!("types a static password ({n} keys)"),
        (Some("none"), _) => "does nothing".to_owned(),
        _ => "does something this version does not know".to_owned(),
    };
    format!("  {press} press: {what}")
}

fn button_lines(t: &Target, v: &Value) -> Vec<String> {
    vec![
        format!("{} ({}) button:", t.model, t.info.id),
        action_line("single", &v["single"]),
        action_line("double", &v["double"]),
    ]
}

fn button_show(h: &mut Host, t: &Target) -> Out {
    let v = h.call_typed("button.get", &json!({"device": t.info.id}), Ctx::Pin)?;
    let lines = button_lines(t, &v);
    Ok((v, lines))
}

fn button_set(h: &mut Host, p: &mut Prompter, t: &Target, a: &ButtonSetArgs) -> Out {
    let press = press_name(a.press);
    let action = if a.static_password {
        eprintln!(
            "tessera: the key types key presses, not characters. What you type here is \
             converted with a US keyboard layout; on a computer with another layout the key \
             types other characters. Letters, digits, US punctuation, space and tab only."
        );
        let text = p.secret("Static password", "static password")?;
        let keys = keyboard::keys_from_us_text(text.expose())
            .map_err(|e| bad_input("static password", e))?;
        json!({"kind": "static", "keys": StaticKeys::new(keys)})
    } else if a.hotp {
        json!({"kind": "hotp"})
    } else {
        json!({"kind": "none"})
    };
    let pin = ask_pin(p, a.pin)?;
    let params = json!({
        "device": t.info.id,
        "press": press,
        "action": action,
        "replace": a.replace.then_some(press),
    });
    let v = call_with_pin(h, p, "button.set", params, pin).map_err(|f| match f {
        Failure::Error(body, _) if body.code == ErrorCode::WouldOverwrite => Failure::Error(
            body,
            format!(
                "the {press} press types a static password: setting it would erase it. \
                 Run again with --replace to confirm."
            ),
        ),
        other => other,
    })?;
    let mut lines = vec![format!("Set the {press} press.")];
    lines.extend(button_lines(t, &v));
    Ok((v, lines))
}
