//! otpauth:// parsing never panics; what it accepts builds back to a URI
//! that parses to the same account.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::otp::{classify, parse_uri, to_uri};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = classify(text);
    let with_scheme = format!("otpauth://{text}");
    for t in [text, with_scheme.as_str()] {
        if let Ok(p) = parse_uri(t) {
            let _ = p.account.check();
            let uri = to_uri(&p.account).expect("hotp/totp always export");
            // An issuer or name with ':' cannot survive the label (the
            // format forbids it); everything else must round-trip.
            let colon = p.account.issuer.as_deref().is_some_and(|i| i.contains(':'));
            if !colon {
                let back = parse_uri(&uri).expect("built URI parses");
                assert_eq!(back.account, p.account, "{uri}");
            }
        }
    }
});
