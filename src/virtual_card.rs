//! `tessera virtual-card`: runs the built-in virtual token behind the real pcscd
//! through vsmartcard's vpcd, and `tessera virtual-card-ctl` drives a running one.

use std::path::{Path, PathBuf};
use std::sync::mpsc::channel;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use tessera_virtual_token::control;
use tessera_virtual_token::platform::{ButtonMode, Platform};
use tessera_virtual_token::profile::Profile;
use tessera_virtual_token::state_file::StateFile;
use tessera_virtual_token::vpcd::{self, BridgeStatus};

/// Button behaviour on the command line.
#[derive(Clone, Copy, ValueEnum)]
pub enum ButtonArg {
    /// Pressed automatically after --button-delay ms.
    Auto,
    /// Pressed with `tessera virtual-card-ctl press`.
    Manual,
    /// Never pressed (timeouts).
    Never,
}

/// Profile on the command line.
#[derive(Clone, Copy, ValueEnum)]
pub enum ProfileArg {
    /// HID Crescendo Key (C2300 platform): ACA, 3 OATH slots, PIV, FIDO2.
    CrescendoKey,
    /// A YKOATH key: YKOATH, PIV, FIDO2.
    Ykoath,
}

/// `tessera virtual-card` arguments.
#[derive(Args)]
pub struct RunArgs {
    /// vpcd address (reader "Virtual PCD 00 00" listens on 35963, "00 01" on 35964).
    #[arg(long, default_value = "127.0.0.1:35963")]
    vpcd: String,
    /// Token profile.
    #[arg(long, value_enum, default_value = "crescendo-key")]
    profile: ProfileArg,
    /// State file (created with factory state if missing; saved atomically).
    #[arg(long)]
    state: PathBuf,
    /// Button behaviour.
    #[arg(long, value_enum, default_value = "auto")]
    button: ButtonArg,
    /// Delay of the automatic button press, in ms.
    #[arg(long, default_value_t = 300)]
    button_delay: u64,
    /// Control socket (default: the state file with extension .ctl).
    #[arg(long)]
    control: Option<PathBuf>,
}

/// `tessera virtual-card-ctl` arguments.
#[derive(Args)]
pub struct CtlArgs {
    /// Control socket of the running card (its state file with extension .ctl).
    #[arg(long)]
    control: PathBuf,
    /// press | double-press | typed | unplug | plug | replug [ms] | button auto [ms] | button manual | button never | status | quit
    #[arg(required = true)]
    command: Vec<String>,
}

fn control_path(args: &RunArgs) -> PathBuf {
    args.control
        .clone()
        .unwrap_or_else(|| args.state.with_extension("ctl"))
}

/// Runs the card until `quit` or Ctrl-C.
pub fn run(args: &RunArgs) -> Result<(), String> {
    tessera_host::logging::init();
    let profile = match args.profile {
        ProfileArg::CrescendoKey => Profile::CrescendoKey,
        ProfileArg::Ykoath => Profile::YkOath,
    };
    let button = match args.button {
        ButtonArg::Auto => ButtonMode::Auto(Duration::from_millis(args.button_delay)),
        ButtonArg::Manual => ButtonMode::Manual,
        ButtonArg::Never => ButtonMode::Never,
    };
    let (file, saved) = StateFile::open(&args.state, profile.name()).map_err(|e| e.to_string())?;
    let mut card = profile.build(Platform::system(button));
    match saved {
        Some(state) => card
            .load_state(state)
            .map_err(|e| format!("{}: {e}", args.state.display()))?,
        None => file.save(&card.save_state()).map_err(|e| e.to_string())?,
    }
    let (tx, rx) = channel();
    let status = Arc::new(BridgeStatus::default());
    let ctl = control_path(args);
    let handles = control::Handles {
        button: card.platform().button.clone(),
        keyboard: card.platform().keyboard.clone(),
        apdus: card.platform().apdus.clone(),
    };
    control::serve(&ctl, handles, tx, status.clone())
        .map_err(|e| format!("cannot open the control socket {}: {e}", ctl.display()))?;
    eprintln!(
        "tessera: virtual {} on vpcd {} (state {}, control {})",
        profile.name(),
        args.vpcd,
        args.state.display(),
        ctl.display()
    );
    vpcd::run(&mut card, Some(&file), &args.vpcd, &rx, &status);
    let _ = std::fs::remove_file(&ctl);
    Ok(())
}

/// Sends one command to a running card and prints its reply.
pub fn ctl(args: &CtlArgs) -> Result<(), String> {
    let line = args.command.join(" ");
    let reply = control::send(Path::new(&args.control), &line).map_err(|e| {
        format!(
            "cannot reach the virtual card at {}: {e}",
            args.control.display()
        )
    })?;
    println!("{reply}");
    if reply.starts_with("error") {
        Err(reply)
    } else {
        Ok(())
    }
}
