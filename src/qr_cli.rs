//! `tessera qr decode IMAGE… [--json]`: decodes every QR code in PNG/JPEG files with
//! tessera-qr, the same decoder the extension runs as wasm.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

/// `tessera qr …`
#[derive(Args)]
pub struct QrArgs {
    #[command(subcommand)]
    command: QrCommand,
}

#[derive(Subcommand)]
enum QrCommand {
    /// Decode every QR code in images (PNG or JPEG): one line per code, `FILE: TEXT`.
    Decode {
        /// Image files.
        #[arg(required = true)]
        images: Vec<PathBuf>,
        /// Print one JSON object per image: {"file", "codes": [{"text", "points"}]} or {"file", "error"}.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `tessera qr`. Exit 0 when every image had at least one code, 1 otherwise.
pub fn run(args: QrArgs) -> ExitCode {
    let QrCommand::Decode { images, json } = args.command;
    let mut all_found = true;
    for path in &images {
        let shown = path.display().to_string();
        let result = image::open(path)
            .map_err(|e| format!("cannot read image: {e}"))
            .and_then(|img| {
                let rgba = img.to_rgba8();
                let (w, h) = rgba.dimensions();
                tessera_qr::decode_rgba(rgba.as_raw(), w, h).map_err(|e| e.to_string())
            });
        all_found &= result.is_ok();
        if json {
            let value = match &result {
                Ok(codes) => serde_json::json!({
                    "file": shown,
                    "codes": codes.iter().map(|c| serde_json::json!({
                        "text": c.text,
                        "points": c.points.iter().map(|p| [p.x, p.y]).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                }),
                Err(e) => serde_json::json!({ "file": shown, "error": e }),
            };
            println!("{value}");
        } else {
            match result {
                Ok(codes) => {
                    for code in codes {
                        println!("{shown}: {}", code.text);
                    }
                }
                Err(e) => eprintln!("tessera: {shown}: {e}"),
            }
        }
    }
    if all_found {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
