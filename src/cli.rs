//! The command line: install, uninstall, devices, apdu, virtual-card, and the
//! device-management verbs (device, pin, puk, pairing-code, cache, recycle,
//! personalize: see [`crate::device_cli`]).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{Parser, Subcommand, ValueEnum};
use tessera_core::browser::{Browser, ALL_BROWSERS};
use tessera_core::identity::{CHROMIUM_EXTENSION_ID, HOST_NAME};
use tessera_host::connection::transaction;
use tessera_host::pcsc_transport::{self, PcscDevice};

use crate::install::{self, InstallOptions, Scope};

#[derive(Parser)]
#[command(
    name = "tessera",
    version,
    about = "Manage hardware security keys from the browser"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum BrowserArg {
    Chrome,
    Chromium,
    Edge,
    Brave,
    Firefox,
    All,
}

#[derive(Subcommand)]
enum Command {
    /// Install the host and the extension files for one or more browsers.
    Install {
        /// Browser(s) to register with (repeatable). Default: all; with
        /// --user-data-dir, the Chromium family only.
        #[arg(long = "browser", value_enum)]
        browsers: Vec<BrowserArg>,
        /// Register into this Chromium --user-data-dir instead of the default profile root.
        #[arg(long)]
        user_data_dir: Option<PathBuf>,
        /// Install machine-wide (needs root / administrator).
        #[arg(long)]
        system: bool,
    },
    /// Remove everything `tessera install` wrote.
    Uninstall {
        /// Remove the machine-wide install.
        #[arg(long)]
        system: bool,
    },
    /// List smart-card readers and tokens as JSON (the same as `tessera device list --json`).
    Devices(crate::device_cli::TokenOpts),
    #[command(flatten)]
    Token(crate::device_cli::TokenCommand),
    /// Check what keeps a key from working (service, tokens, FIDO, HID
    /// permissions, browser registration), with the fix for each.
    Doctor(crate::doctor::DoctorArgs),
    /// One-time passwords on the key: list, codes, code, add, delete.
    Otp {
        #[command(subcommand)]
        command: crate::otp_cli::OtpCmd,
    },
    /// FIDO2 (passkeys): info, PIN, credentials, reset.
    Fido {
        #[command(subcommand)]
        command: crate::fido_cli::FidoCmd,
    },
    /// Run the built-in virtual token as a card in pcscd's vpcd reader.
    VirtualCard(crate::virtual_card::RunArgs),
    /// Control a running virtual card (press the button, unplug, replug, …).
    VirtualCardCtl(crate::virtual_card::CtlArgs),
    /// Decode QR codes in image files (`tessera qr decode IMAGE… [--json]`).
    Qr(crate::qr_cli::QrArgs),
    /// Send APDUs (hex) to the card in a reader, in one transaction.
    Apdu {
        /// Reader name, as `tessera devices` prints it.
        #[arg(long)]
        reader: String,
        /// Command APDUs in hex, e.g. 00A4040007A0000000791000.
        #[arg(required = true)]
        apdus: Vec<String>,
    },
}

fn browsers(args: &[BrowserArg]) -> Vec<Browser> {
    let mut out = vec![];
    for arg in args {
        let picked: &[Browser] = match arg {
            BrowserArg::All => &ALL_BROWSERS,
            BrowserArg::Chrome => &[Browser::Chrome],
            BrowserArg::Chromium => &[Browser::Chromium],
            BrowserArg::Edge => &[Browser::Edge],
            BrowserArg::Brave => &[Browser::Brave],
            BrowserArg::Firefox => &[Browser::Firefox],
        };
        for b in picked {
            if !out.contains(b) {
                out.push(*b);
            }
        }
    }
    out
}

fn scope(system: bool) -> Scope {
    if system {
        Scope::System
    } else {
        Scope::User
    }
}

fn destdir() -> Option<PathBuf> {
    std::env::var_os("DESTDIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
}

/// Parses argv and runs the command.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    let result = match cli.command {
        Command::Install {
            browsers: b,
            user_data_dir,
            system,
        } => cmd_install(InstallOptions {
            browsers: if b.is_empty() {
                let family = user_data_dir.is_some();
                ALL_BROWSERS
                    .into_iter()
                    .filter(|b| !(family && b.is_firefox()))
                    .collect()
            } else {
                browsers(&b)
            },
            scope: scope(system),
            user_data_dir,
            destdir: destdir(),
        }),
        Command::Uninstall { system } => cmd_uninstall(scope(system)),
        Command::Devices(opts) => return crate::device_cli::run_devices(opts),
        Command::Token(command) => return crate::device_cli::run(command),
        Command::Otp { command } => return crate::otp_cli::run(command),
        Command::Doctor(args) => return crate::doctor::run(args),
        Command::Fido { command } => return crate::fido_cli::run(command),
        Command::Qr(args) => return crate::qr_cli::run(args),
        Command::Apdu { reader, apdus } => cmd_apdu(&reader, &apdus),
        Command::VirtualCard(args) => crate::virtual_card::run(&args),
        Command::VirtualCardCtl(args) => crate::virtual_card::ctl(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("tessera: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Verbs that take secrets through prompts: an unexpected argument to them may be
/// a PIN typed on the command line, so it is not echoed back.
const SECRET_VERBS: [&str; 8] = [
    "fido",
    "pin",
    "puk",
    "pairing-code",
    "recycle",
    "personalize",
    "device",
    "cache",
];

/// The action words of those verbs.
const SECRET_ACTIONS: [&str; 10] = [
    "verify", "change", "unblock", "policy", "lock", "status", "show", "set", "list", "clear",
];

/// Prints a command-line error (exit 2), without echoing an unexpected
/// argument of a device verb: it may be a PIN.
fn usage_error(e: &clap::Error) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).take(3).collect();
    let first = args.first().map(String::as_str).unwrap_or_default();
    let secret_verb = SECRET_VERBS.contains(&first);
    // Name the verb with its action word when there is one (never a free value).
    let verb = args
        .iter()
        .take_while(|a| a.as_str() == first || SECRET_ACTIONS.contains(&a.as_str()))
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    let unexpected = matches!(
        e.kind(),
        ErrorKind::UnknownArgument | ErrorKind::InvalidSubcommand
    );
    if secret_verb && unexpected {
        eprintln!(
            "tessera: unexpected argument (not repeated here: it may be a secret). PINs, PUKs \
             and admin keys are never taken from the command line: `tessera {verb}` asks for \
             them, or reads them from standard input, one per line. See `tessera {verb} --help`."
        );
        return ExitCode::from(2);
    }
    let _ = e.print();
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
}

fn cmd_install(opts: InstallOptions) -> Result<(), String> {
    let report = install::install(&opts).map_err(|e| e.to_string())?;
    println!("Installed the Tessera host: {}", report.binary.display());
    for m in &report.manifests {
        println!("Host manifest ({HOST_NAME}): {}", m.display());
    }
    for dir in &report.extensions {
        println!("Extension files: {}", dir.display());
    }
    println!(
        "Next: load the extension folder (chrome://extensions → Developer mode → Load unpacked; \
         Firefox: about:debugging) — its id is {CHROMIUM_EXTENSION_ID}."
    );
    Ok(())
}

fn cmd_uninstall(scope: Scope) -> Result<(), String> {
    let removed = install::uninstall(scope, destdir().as_deref()).map_err(|e| e.to_string())?;
    println!("Removed {} paths installed by Tessera.", removed.len());
    Ok(())
}

fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
    let clean: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect();
    hex::decode(&clean).map_err(|e| format!("{s:?} is not an APDU in hex: {e}"))
}

fn cmd_apdu(reader: &str, apdus: &[String]) -> Result<(), String> {
    let commands = apdus
        .iter()
        .map(|a| parse_hex(a))
        .collect::<Result<Vec<_>, _>>()?;
    let ctx = pcsc_transport::context().map_err(|e| e.to_string())?;
    let mut device = PcscDevice::connect(&ctx, reader).map_err(|e| e.to_string())?;
    let responses = transaction(&mut device, |conn| {
        commands
            .iter()
            .map(|c| conn.transmit(c))
            .collect::<Result<Vec<_>, _>>()
    })
    .and_then(|r| r)
    .map_err(|e| e.to_string())?;
    for (command, response) in commands.iter().zip(responses) {
        println!(
            "> {}\n< {}",
            hex::encode_upper(command),
            hex::encode_upper(&response)
        );
    }
    Ok(())
}
