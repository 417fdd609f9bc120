//! The CTAP2 client on an authenticator that answers with fuzzer bytes: getInfo,
//! clientPin (retries, key agreement → ECDH), credential management, and
//! makeCredential's authData. Every malformed answer must be an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_host::fido::client_pin::permission;
use tessera_host::fido::make_credential::{parse_auth_data, NewCredential};
use tessera_host::fido::{Ctap2, CtapError, CtapResult, FidoConnection, Info, Keepalive, Transport};

/// Answers each command with the next length-prefixed chunk of the input.
struct Fuzzed<'a>(&'a [u8]);

impl Fuzzed<'_> {
    fn next(&mut self) -> CtapResult<Vec<u8>> {
        let Some((&n, rest)) = self.0.split_first() else {
            return Err(CtapError::Timeout);
        };
        let n = usize::from(n).min(rest.len());
        let (chunk, rest) = rest.split_at(n);
        self.0 = rest;
        Ok(chunk.to_vec())
    }
}

impl FidoConnection for Fuzzed<'_> {
    fn transport(&self) -> Transport {
        Transport::Hid
    }
    fn cbor(&mut self, _request: &[u8], _k: &mut dyn Keepalive) -> CtapResult<Vec<u8>> {
        self.next()
    }
    fn ctap1(&mut self, _apdu: &[u8]) -> CtapResult<Vec<u8>> {
        self.next()
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = Info::parse(data);
    let _ = parse_auth_data(data);
    let Ok(mut ctap) = Ctap2::open(Fuzzed(data)) else {
        return;
    };
    let _ = ctap.pin_retries();
    let _ = ctap.set_pin("1234");
    let _ = ctap.change_pin("1234", "5678");
    if let Ok(token) = ctap.pin_token("1234", permission::CM, None) {
        if let Ok(mut cm) = ctap.cred_mgmt(&token) {
            let _ = cm.metadata();
            let _ = cm.all_credentials();
            let _ = cm.delete(&[1, 2, 3]);
        }
        let new = NewCredential {
            client_data_hash: [0; 32],
            rp_id: "a",
            rp_name: "a",
            user_id: b"u",
            user_name: "u",
            display_name: "u",
            resident: true,
        };
        let _ = ctap.make_credential(&new, Some(&token), &mut tessera_host::fido::Quiet);
    }
});
