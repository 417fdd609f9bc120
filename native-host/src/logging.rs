//! Logging: tracing to stderr only, because stdout carries native-messaging frames.
//! Level from `TESSERA_LOG` (EnvFilter syntax), default `info`. Nothing secret is
//! ever logged: handlers log method names and outcomes, never parameters.

use tracing_subscriber::EnvFilter;

/// Installs the stderr subscriber (idempotent: a second call is ignored).
pub fn init() {
    let filter = EnvFilter::try_from_env("TESSERA_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}
