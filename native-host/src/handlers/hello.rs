//! `hello`: the version handshake (docs/PROTOCOL.md "hello").

use tessera_core::identity::PRODUCT_VERSION;
use tessera_core::protocol::{
    Call, ErrorBody, ErrorCode, HelloParams, HelloResult, MIN_PROTOCOL_VERSION, PROTOCOL_VERSION,
};

/// Answers `hello`, refusing a protocol version this host does not speak.
pub fn hello(params: &HelloParams) -> Result<HelloResult, ErrorBody> {
    if params.protocol < MIN_PROTOCOL_VERSION {
        return Err(ErrorBody::new(
            ErrorCode::ProtocolUnsupported,
            format!(
                "extension speaks protocol {}, this host needs {MIN_PROTOCOL_VERSION}..={PROTOCOL_VERSION}; update the extension",
                params.protocol
            ),
        )
        .with("min_protocol", MIN_PROTOCOL_VERSION)
        .with("protocol", PROTOCOL_VERSION));
    }
    tracing::info!(
        extension_protocol = params.protocol,
        extension_version = params.extension_version.as_deref().unwrap_or("?"),
        "hello"
    );
    Ok(HelloResult {
        protocol: PROTOCOL_VERSION,
        min_protocol: MIN_PROTOCOL_VERSION,
        product: "tessera".to_owned(),
        version: PRODUCT_VERSION.to_owned(),
        methods: Call::METHODS
            .iter()
            .chain(tessera_core::protocol::fido_methods::ALL)
            .chain(tessera_core::protocol::otp_methods::ALL)
            .chain(&["site.of"])
            .map(|m| (*m).to_owned())
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_current_and_newer_extensions() {
        // A newer extension still gets our version and decides itself.
        for protocol in [PROTOCOL_VERSION, PROTOCOL_VERSION + 1] {
            let r = hello(&HelloParams {
                protocol,
                extension_version: None,
            })
            .expect("hello");
            assert_eq!(r.protocol, PROTOCOL_VERSION);
            assert!(r.methods.iter().any(|m| m == "devices.list"));
        }
    }

    #[test]
    fn refuses_too_old_extensions() {
        let e = hello(&HelloParams {
            protocol: 0,
            extension_version: None,
        })
        .expect_err("too old");
        assert_eq!(e.code, ErrorCode::ProtocolUnsupported);
    }
}
