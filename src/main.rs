//! `tessera`: the one binary users install. Started by a browser (argv[1] is a
//! `chrome-extension://` origin, or a Firefox manifest path + add-on id) it serves
//! native messaging; otherwise it is the CLI (`tessera --help`).

mod cli;
mod device_cli;
mod doctor;
mod embedded;
mod fido_cli;
mod host_mode;
mod install;
mod otp_cli;
mod qr_cli;
mod virtual_card;

use std::process::ExitCode;

use tessera_host::origin::Caller;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(caller) = Caller::from_args(&args) {
        return host_mode::run(&caller);
    }
    cli::run()
}
