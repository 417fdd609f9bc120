//! Logging: tracing to stderr (or, with `TESSERA_LOG_FILE`, appended to that
//! file), never to stdout, which carries native-messaging frames. Level from
//! `TESSERA_LOG` (EnvFilter syntax), default `info`. Nothing secret is ever
//! logged: handlers log method names, device ids and outcomes, never
//! parameters; secrets are `Secret`/`Pin` values whose `Debug` is `***`.

use std::fs::OpenOptions;
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

/// Installs the subscriber (idempotent: a second call is ignored).
pub fn init() {
    let filter = EnvFilter::try_from_env("TESSERA_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let file = std::env::var_os("TESSERA_LOG_FILE")
        .filter(|p| !p.is_empty())
        .and_then(|p| OpenOptions::new().create(true).append(true).open(p).ok());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false);
    let _ = match file {
        Some(f) => builder.with_writer(Mutex::new(f)).try_init(),
        None => builder.with_writer(std::io::stderr).try_init(),
    };
}
