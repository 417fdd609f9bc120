//! Host mode: authorise the caller, then serve native messaging on stdin/stdout.

use std::process::ExitCode;

use tessera_core::protocol::{ErrorBody, ErrorCode, HostMessage, Response, MAX_OUTBOUND_FRAME};
use tessera_host::framing;
use tessera_host::origin::Caller;
use tessera_host::router::Router;
use tessera_host::server::serve;

/// Exit code when the caller is not our extension.
const EXIT_FORBIDDEN: u8 = 1;

/// Serves the browser that started us; refuses any caller but our extension.
pub fn run(caller: &Caller) -> ExitCode {
    tessera_host::logging::init();
    if let Err(forbidden) = caller.authorize() {
        tracing::error!(%forbidden, "refusing caller");
        let refusal = HostMessage::Response(Response::err(
            None,
            ErrorBody::new(ErrorCode::ForbiddenOrigin, forbidden.to_string()),
        ));
        if let Ok(body) = serde_json::to_vec(&refusal) {
            let _ = framing::write_frame(&mut std::io::stdout(), &body, MAX_OUTBOUND_FRAME);
        }
        return ExitCode::from(EXIT_FORBIDDEN);
    }
    tracing::info!(%caller, version = tessera_core::identity::PRODUCT_VERSION, "host started");
    let end = serve(std::io::stdin().lock(), std::io::stdout(), &Router::new());
    ExitCode::from(u8::try_from(end.exit_code()).unwrap_or(2))
}
