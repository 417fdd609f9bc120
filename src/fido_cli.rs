//! FIDO2 on the command line: `tessera fido info | pin set | pin change |
//! credentials list | credentials delete | reset`. Protocol calls through the
//! host's router (handlers/fido.rs), over PC/SC (CTAP over ISO 7816), a HID key
//! (`--device hid:<path>`), or `--virtual`. PINs are prompted for (tty without
//! echo, or stdin lines), never taken from argv, never logged.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::{json, Value};
use tessera_core::protocol::{fido_methods, ErrorBody, ErrorCode};

use crate::device_cli::host::{Failure, Host};
use crate::device_cli::prompt::Prompter;
use crate::device_cli::text;
use crate::device_cli::TokenOpts;

/// `tessera fido …`
#[derive(Subcommand)]
pub enum FidoCmd {
    /// getInfo: versions, options, PIN state and retries.
    Info(TokenOpts),
    /// The FIDO PIN: set (first time) or change.
    Pin {
        #[command(subcommand)]
        command: FidoPinCmd,
    },
    /// Discoverable credentials (passkeys): list or delete (asks for the PIN).
    Credentials {
        #[command(subcommand)]
        command: FidoCredCmd,
    },
    /// Erase every passkey and the FIDO PIN: unplug and replug the key when told,
    /// then touch it (asks you to type `reset` first).
    Reset(ResetArgs),
}

/// `tessera fido pin …`
#[derive(Subcommand)]
pub enum FidoPinCmd {
    /// Set the first FIDO PIN (asks for it twice).
    Set(TokenOpts),
    /// Change the FIDO PIN (asks for the current one, then the new one twice).
    Change(TokenOpts),
}

/// `tessera fido credentials …`
#[derive(Subcommand)]
pub enum FidoCredCmd {
    /// List every discoverable credential (asks for the PIN).
    List(TokenOpts),
    /// Delete one credential by id (asks for the PIN).
    Delete(DeleteArgs),
}

/// `tessera fido credentials delete` arguments.
#[derive(Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    opts: TokenOpts,
    /// The credential id in hex, as `tessera fido credentials list` shows it.
    #[arg(long = "id", value_name = "HEX")]
    id: String,
}

/// `tessera fido reset` arguments.
#[derive(Args)]
pub struct ResetArgs {
    #[command(flatten)]
    opts: TokenOpts,
    /// Seconds to unplug, and to plug back in.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    replug_timeout: u64,
}

impl FidoCmd {
    fn opts(&self) -> &TokenOpts {
        match self {
            FidoCmd::Info(o)
            | FidoCmd::Pin {
                command: FidoPinCmd::Set(o) | FidoPinCmd::Change(o),
            }
            | FidoCmd::Credentials {
                command: FidoCredCmd::List(o),
            } => o,
            FidoCmd::Credentials {
                command: FidoCredCmd::Delete(a),
            } => &a.opts,
            FidoCmd::Reset(a) => &a.opts,
        }
    }
}

/// Runs a FIDO verb; exit 0 done, 1 failed, 2 bad usage.
pub fn run(command: FidoCmd) -> ExitCode {
    let json = command.opts().json();
    match execute(&command) {
        Ok((value, lines)) => {
            if json {
                print_json(&value);
            } else {
                for l in lines {
                    say(&l);
                }
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

/// One line on stdout; a closed pipe is not an error worth a panic.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

fn print_json(v: &impl serde::Serialize) {
    match serde_json::to_string_pretty(v) {
        Ok(s) => say(&s),
        Err(e) => eprintln!("tessera: cannot print JSON: {e}"),
    }
}

type Done = (Value, Vec<String>);

fn execute(command: &FidoCmd) -> Result<Done, Failure> {
    let opts = command.opts();
    let mut host = Host::open(opts)?;
    let device = device(&mut host, opts)?;
    let mut p = Prompter::new();
    let h = &mut host;
    match command {
        FidoCmd::Info(_) => info(h, &device),
        FidoCmd::Pin {
            command: FidoPinCmd::Set(_),
        } => {
            let pin = p.new_pin("New FIDO PIN")?;
            call(
                h,
                fido_methods::PIN_SET,
                json!({"device": device, "pin": pin}),
            )?;
            Ok((json!({}), vec!["FIDO PIN set.".into()]))
        }
        FidoCmd::Pin {
            command: FidoPinCmd::Change(_),
        } => {
            let old = p.secret("Current FIDO PIN", "the current FIDO PIN")?;
            let new = p.new_pin("New FIDO PIN")?;
            call(
                h,
                fido_methods::PIN_CHANGE,
                json!({"device": device, "old": old, "new": new}),
            )?;
            Ok((json!({}), vec!["FIDO PIN changed.".into()]))
        }
        FidoCmd::Credentials {
            command: FidoCredCmd::List(_),
        } => {
            let pin = p.secret("FIDO PIN", "the FIDO PIN")?;
            let v = call(
                h,
                fido_methods::CREDENTIALS_LIST,
                json!({"device": device, "pin": pin}),
            )?;
            let mut lines = vec![];
            let creds = v["credentials"].as_array().cloned().unwrap_or_default();
            if creds.is_empty() {
                lines.push("No discoverable credentials.".into());
            }
            for c in &creds {
                lines.push(format!(
                    "{}  {}  {}  id {}",
                    c["rpId"].as_str().unwrap_or(""),
                    c["userName"].as_str().unwrap_or("-"),
                    c["displayName"].as_str().unwrap_or("-"),
                    c["credentialId"].as_str().unwrap_or("")
                ));
            }
            lines.push(format!(
                "{} stored, room for {} more.",
                v["metadata"]["existing"], v["metadata"]["remaining"]
            ));
            Ok((v, lines))
        }
        FidoCmd::Credentials {
            command: FidoCredCmd::Delete(a),
        } => {
            let pin = p.secret("FIDO PIN", "the FIDO PIN")?;
            call(
                h,
                fido_methods::CREDENTIALS_DELETE,
                json!({"device": device, "pin": pin, "credential_id": a.id}),
            )?;
            Ok((json!({}), vec![format!("Credential {} deleted.", a.id)]))
        }
        FidoCmd::Reset(a) => reset(h, &mut p, &device, a),
    }
}

/// `--device` as given for HID keys; else the PC/SC token's id (or the only
/// one); with neither a `--device` nor a PC/SC token, the only FIDO HID key
/// (a key without a CCID interface).
fn device(h: &mut Host, opts: &TokenOpts) -> Result<String, Failure> {
    match opts.device() {
        Some(d) if d.starts_with("hid:") => Ok(d.to_owned()),
        None if !opts.is_virtual() => match h.target(None) {
            Ok(t) => Ok(t.info.id),
            Err(e) => match tessera_host::fido::hid_transport::list().as_deref() {
                Ok([only]) => Ok(format!("hid:{}", only.path)),
                _ => Err(e),
            },
        },
        wanted => Ok(h.target(wanted)?.info.id),
    }
}

fn call(h: &mut Host, method: &str, params: Value) -> Result<Value, Failure> {
    h.call(method, params).map_err(explain)
}

/// The protocol error with a sentence saying what to do.
fn explain(e: ErrorBody) -> Failure {
    let human = match e.code {
        ErrorCode::WrongPin | ErrorCode::PinBlocked | ErrorCode::PinRequired => {
            format!("{}.", e.message)
        }
        _ => return text::failure(e, text::Ctx::Pin),
    };
    Failure::error(e, human)
}

fn info(h: &mut Host, device: &str) -> Result<Done, Failure> {
    let v = call(h, fido_methods::INFO, json!({ "device": device }))?;
    let i = &v["info"];
    let mut lines = vec![
        format!("Versions: {}", join(&i["versions"])),
        format!("AAGUID: {}", i["aaguid"].as_str().unwrap_or("")),
        format!(
            "PIN: {}",
            match v["pin"].as_str() {
                Some("set") => format!(
                    "set, {} tries left",
                    v["retries"]["retries"].as_u64().unwrap_or(0)
                ),
                Some("notSet") => "not set".into(),
                _ => "not supported".into(),
            }
        ),
        format!("PIN/UV auth protocols: {}", join(&i["pinUvAuthProtocols"])),
    ];
    if let Some(n) = i["remainingDiscoverableCredentials"].as_u64() {
        lines.push(format!("Room for {n} more discoverable credentials"));
    }
    if i["forcePinChange"].as_bool() == Some(true) {
        lines.push("The PIN must be changed before use.".into());
    }
    Ok((v, lines))
}

fn join(v: &Value) -> String {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| x.to_string())
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

fn reset(h: &mut Host, p: &mut Prompter, device: &str, a: &ResetArgs) -> Result<Done, Failure> {
    let typed = p.line(
        "This erases every passkey and the FIDO PIN. Type reset to go on",
        "the confirmation",
    )?;
    if typed.trim() != "reset" {
        return Err(Failure::error(
            ErrorBody::new(ErrorCode::ConfirmationMismatch, "reset not confirmed"),
            "reset not confirmed; nothing was changed.",
        ));
    }
    let json = a.opts.json();
    let v = h
        .call_with_events(
            fido_methods::RESET,
            json!({"device": device, "replug_timeout_ms": a.replug_timeout.saturating_mul(1000)}),
            &|event| {
                let step = event.data["step"].as_str().unwrap_or("").to_owned();
                let line = match step.as_str() {
                    "unplugNow" => "Unplug the key now.".to_owned(),
                    "plugBackIn" => "Plug it back in.".to_owned(),
                    "touchKey" => format!(
                        "Touch the key (within {} s).",
                        event.data["deadlineMs"].as_u64().unwrap_or(0) / 1000
                    ),
                    "done" => "Reset done.".to_owned(),
                    other => other.to_owned(),
                };
                if json {
                    eprintln!("{}", serde_json::to_string(&event.data).unwrap_or_default());
                } else {
                    eprintln!("{line}");
                }
            },
        )
        .map_err(explain)?;
    let outcome = v["outcome"].as_str().unwrap_or("").to_owned();
    let human = match outcome.as_str() {
        "done" => return Ok((v, vec!["Every passkey and the FIDO PIN were erased.".into()])),
        "tooLate" => "the key refused: the reset must come within seconds of plugging it in. Run the command again and replug when told.",
        "noTouch" => "the key was not touched in time; nothing was changed.",
        "denied" => "the key refused the reset (over NFC some keys only reset over USB).",
        "wrongKey" => "a different key was plugged in; nothing was changed.",
        "replugTimeout" => "the key was not unplugged and plugged back in time; nothing was changed.",
        _ => "the reset was cancelled.",
    };
    Err(Failure::error(
        ErrorBody::new(ErrorCode::TransportError, format!("fido.reset: {outcome}"))
            .with("outcome", outcome),
        human,
    ))
}
