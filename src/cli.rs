//! The command line: install, uninstall, devices, apdu.

use std::path::PathBuf;
use std::process::ExitCode;

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
    /// List smart-card readers and tokens (as the popup sees them).
    Devices,
    /// Run the built-in virtual token as a card in pcscd's vpcd reader.
    VirtualCard(crate::virtual_card::RunArgs),
    /// Control a running virtual card (press the button, unplug, replug, …).
    VirtualCardCtl(crate::virtual_card::CtlArgs),
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
    let cli = Cli::parse();
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
        Command::Devices => cmd_devices(),
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

fn cmd_devices() -> Result<(), String> {
    let ctx = tessera_host::handlers::token::Ctx {
        backend: &tessera_host::backend::PcscBackend,
        cache: &tessera_host::devices::DeviceCache::default(),
        policies: &tessera_host::policy_store::PolicyStore::default_location(),
    };
    let list = tessera_host::handlers::devices::list(&ctx);
    let json = serde_json::to_string_pretty(&list).map_err(|e| e.to_string())?;
    println!("{json}");
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
