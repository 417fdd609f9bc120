//! Our CTAP2 client (CTAP 2.1; protocols.md §4): getInfo, clientPin with PIN
//! protocols 1 and 2, credential management, makeCredential, reset (with the
//! replug flow), selection and wink, over CTAPHID ([`ctaphid`], [`hid_transport`])
//! or ISO 7816 ([`iso7816`]). No panics on device input: every malformed
//! answer is a typed [`CtapError`].

pub mod cbor;
pub mod client_pin;
pub mod connection;
pub mod cred_mgmt;
pub mod ctaphid;
pub mod error;
pub mod hid_transport;
pub mod info;
pub mod iso7816;
pub mod make_credential;
pub mod pin_protocol;
pub mod reset;

use ciborium::value::Value;

pub use connection::{FidoConnection, Keepalive, KeepaliveStatus, Quiet, Transport, Watch};
pub use error::{CtapError, CtapResult, StatusCode};
pub use info::Info;
pub use pin_protocol::PinProtocol;

use cbor::Map;

/// CTAP2 command bytes (CTAP 2.1 §6; protocols.md §4.3).
pub mod command {
    /// authenticatorMakeCredential (§6.1).
    pub const MAKE_CREDENTIAL: u8 = 0x01;
    /// authenticatorGetAssertion (§6.2).
    pub const GET_ASSERTION: u8 = 0x02;
    /// authenticatorGetInfo (§6.4).
    pub const GET_INFO: u8 = 0x04;
    /// authenticatorClientPIN (§6.5).
    pub const CLIENT_PIN: u8 = 0x06;
    /// authenticatorReset (§6.6).
    pub const RESET: u8 = 0x07;
    /// authenticatorGetNextAssertion (§6.3).
    pub const GET_NEXT_ASSERTION: u8 = 0x08;
    /// authenticatorCredentialManagement (§6.8).
    pub const CREDENTIAL_MANAGEMENT: u8 = 0x0A;
    /// authenticatorSelection (§6.9).
    pub const SELECTION: u8 = 0x0B;
    /// credentialManagement of FIDO_2_1_PRE keys.
    pub const CREDENTIAL_MANAGEMENT_PREVIEW: u8 = 0x41;
}

/// A CTAP2 session with one authenticator.
pub struct Ctap2<'c> {
    conn: Box<dyn FidoConnection + 'c>,
    info: Info,
    protocol: Option<PinProtocol>,
}

impl<'c> Ctap2<'c> {
    /// Opens a session: getInfo, or for a key that does not know CTAP2, the
    /// CTAP1 VERSION probe ([`Info::u2f_only`]).
    pub fn open(conn: impl FidoConnection + 'c) -> CtapResult<Ctap2<'c>> {
        Ctap2::open_boxed(Box::new(conn))
    }

    /// [`Ctap2::open`] on a boxed connection.
    pub fn open_boxed(mut conn: Box<dyn FidoConnection + 'c>) -> CtapResult<Ctap2<'c>> {
        let info = match get_info(conn.as_mut()) {
            Ok(info) => info,
            Err(
                e @ (CtapError::Status(StatusCode::InvalidCommand)
                | CtapError::Hid(StatusCode::InvalidCommand)
                | CtapError::Unsupported(_)
                | CtapError::StatusWord(_)),
            ) => {
                if info::probe_u2f(conn.as_mut()).unwrap_or(false) {
                    Info::u2f_only()
                } else {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        };
        Ok(Ctap2 {
            conn,
            info,
            protocol: None,
        })
    }

    /// getInfo as read when the session opened (or last refreshed).
    pub fn info(&self) -> &Info {
        &self.info
    }

    /// Reads getInfo again (after setPIN, credential changes…).
    pub fn refresh_info(&mut self) -> CtapResult<&Info> {
        if !self.info.u2f_only {
            self.info = get_info(self.conn.as_mut())?;
        }
        Ok(&self.info)
    }

    /// The connection.
    pub fn connection(&mut self) -> &mut dyn FidoConnection {
        self.conn.as_mut()
    }

    /// Forces a PIN/UV auth protocol instead of the preferred one (tests, old keys).
    pub fn use_pin_protocol(&mut self, protocol: PinProtocol) {
        self.protocol = Some(protocol);
    }

    /// The PIN/UV auth protocol in use: the forced one, else 2 when listed, else 1.
    pub fn pin_protocol(&self) -> CtapResult<PinProtocol> {
        if let Some(p) = self.protocol {
            return Ok(p);
        }
        PinProtocol::choose(&self.info.pin_uv_auth_protocols)
            .ok_or_else(|| CtapError::Unsupported("none of PIN/UV auth protocols 1 and 2".into()))
    }

    /// One CTAP2 command: the status byte is checked; the CBOR map (if any) returned.
    pub fn call(
        &mut self,
        command: u8,
        params: Option<&Value>,
        keepalive: &mut dyn Keepalive,
    ) -> CtapResult<Option<Map>> {
        if self.info.u2f_only {
            return Err(CtapError::Unsupported("CTAP2 (a U2F-only key)".into()));
        }
        // maxMsgSize (§6.4, default 1024) bounds command byte ‖ CBOR.
        let limit = self.info.max_msg_size.unwrap_or(1024);
        let len = 1 + params.map_or(0, |p| cbor::encode(p).len());
        if u64::try_from(len).unwrap_or(u64::MAX) > limit {
            return Err(CtapError::InvalidInput(format!(
                "a {len}-byte request exceeds the key's maxMsgSize of {limit}"
            )));
        }
        call(self.conn.as_mut(), command, params, keepalive)
    }

    /// authenticatorSelection (§6.9): waits for a touch.
    pub fn selection(&mut self, keepalive: &mut dyn Keepalive) -> CtapResult<()> {
        self.call(command::SELECTION, None, keepalive).map(drop)
    }

    /// Blinks the key (CTAPHID WINK); `false` when the transport has no wink.
    pub fn wink(&mut self) -> CtapResult<bool> {
        self.conn.wink()
    }
}

/// One CTAP2 command on a bare connection.
pub fn call(
    conn: &mut dyn FidoConnection,
    command: u8,
    params: Option<&Value>,
    keepalive: &mut dyn Keepalive,
) -> CtapResult<Option<Map>> {
    let mut request = vec![command];
    if let Some(p) = params {
        request.extend(cbor::encode(p));
    }
    let response = conn.cbor(&request, keepalive)?;
    let (&status, body) = response
        .split_first()
        .ok_or_else(|| CtapError::malformed("empty CTAP2 response"))?;
    if let Some(code) = StatusCode::from_byte(status) {
        return Err(CtapError::Status(code));
    }
    if body.is_empty() {
        return Ok(None);
    }
    Map::from_value(cbor::decode(body)?, "response").map(Some)
}

/// getInfo on a bare connection (§6.4).
pub fn get_info(conn: &mut dyn FidoConnection) -> CtapResult<Info> {
    let mut request = vec![command::GET_INFO];
    let response = conn.cbor(&request, &mut Quiet)?;
    request.clear();
    let (&status, body) = response
        .split_first()
        .ok_or_else(|| CtapError::malformed("empty CTAP2 response"))?;
    if let Some(code) = StatusCode::from_byte(status) {
        return Err(CtapError::Status(code));
    }
    Info::parse(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers getInfo with a fixed byte string and CTAP1 VERSION with `U2F_V2`.
    struct Fake {
        get_info: Vec<u8>,
        sent: Vec<Vec<u8>>,
    }

    impl FidoConnection for Fake {
        fn transport(&self) -> Transport {
            Transport::SmartCard
        }
        fn cbor(&mut self, request: &[u8], _k: &mut dyn Keepalive) -> CtapResult<Vec<u8>> {
            self.sent.push(request.to_vec());
            Ok(self.get_info.clone())
        }
        fn ctap1(&mut self, _apdu: &[u8]) -> CtapResult<Vec<u8>> {
            Ok(b"U2F_V2\x90\x00".to_vec())
        }
    }

    #[test]
    fn u2f_only_keys_are_detected_and_refuse_ctap2() {
        let mut c = Ctap2::open(Fake {
            get_info: vec![0x01],
            sent: vec![],
        })
        .expect("open");
        assert!(c.info().u2f_only);
        assert!(matches!(
            c.call(command::RESET, None, &mut Quiet),
            Err(CtapError::Unsupported(_))
        ));
    }

    #[test]
    fn status_bytes_and_garbage_are_typed() {
        let e = Ctap2::open(Fake {
            get_info: vec![0x00, 0xA1],
            sent: vec![],
        });
        assert!(matches!(e, Err(CtapError::Cbor(_))));
        let e = Ctap2::open(Fake {
            get_info: vec![],
            sent: vec![],
        });
        assert!(matches!(e, Err(CtapError::Malformed(_))));
        let e = Ctap2::open(Fake {
            get_info: vec![0x7F],
            sent: vec![],
        });
        assert!(matches!(e, Err(CtapError::Status(StatusCode::Other))));
    }

    #[test]
    fn requests_above_max_msg_size_are_not_sent() {
        let info = cbor::int_map(vec![
            (1, Value::Array(vec![Value::Text("FIDO_2_1".into())])),
            (3, Value::Bytes(vec![0; 16])),
            (5, cbor::int_value(64)),
        ]);
        let mut answer = vec![0];
        answer.extend(cbor::encode(&info));
        let mut c = Ctap2::open(Fake {
            get_info: answer,
            sent: vec![],
        })
        .expect("open");
        let big = Value::Bytes(vec![0; 100]);
        assert!(matches!(
            c.call(command::CLIENT_PIN, Some(&big), &mut Quiet),
            Err(CtapError::InvalidInput(_))
        ));
        let small = Value::Bytes(vec![0; 10]);
        assert!(c
            .call(command::CLIENT_PIN, Some(&small), &mut Quiet)
            .is_ok());
    }
}
