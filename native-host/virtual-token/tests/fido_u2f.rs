//! U2F (CTAP1) over ISO 7816, CLA 00 (protocols.md §4.1; FIDO U2F Raw Message
//! Formats v1.2 §4–§6), with U2F's presence rule: 6985 until the button is
//! pressed, then the retry succeeds. Signatures are checked with RustCrypto.

#[path = "fido/support.rs"]
mod support;

use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{DerSignature, VerifyingKey};
use support::*;
use x509_cert::der::{Decode, Encode};
use x509_cert::Certificate;

const CHALLENGE: [u8; 32] = [0xC1; 32];
const APP: [u8; 32] = [0xA9; 32];

/// Sends a U2F command, retrying on 6985 after a press (like python-fido2's
/// polling U2F client); returns the final (data, SW) and how many 6985 came.
fn polling(key: &mut Key, ins: u8, p1: u8, data: &[u8]) -> (Vec<u8>, u16, usize) {
    let mut refusals = 0;
    loop {
        let (resp, sw) = key.chain(0x00, ins, p1, 0x00, data);
        if sw != 0x6985 || refusals > 3 {
            return (resp, sw, refusals);
        }
        refusals += 1;
        assert!(key.button.is_waiting(), "the LED blinks after 6985");
        key.button.press();
    }
}

#[test]
fn version() {
    let mut key = Key::new();
    key.select();
    // "U2F_V2" (U2F Raw Message Formats §6.1).
    assert_eq!(key.txh("00 03 00 00"), "5532465F56329000");
    assert_eq!(key.txh("00 03 00 00 00"), "5532465F56329000");
}

#[test]
fn register_and_authenticate() {
    let mut key = Key::new();
    key.select();
    let mut data = CHALLENGE.to_vec();
    data.extend(APP);
    let (reg, sw, refusals) = polling(&mut key, 0x01, 0x00, &data);
    assert_eq!(sw, 0x9000);
    assert_eq!(refusals, 1, "6985 first, then the press counts");

    // 05 ‖ user key (65) ‖ L ‖ key handle ‖ attestation cert ‖ signature (§4.3).
    assert_eq!(reg[0], 0x05);
    let user_key = &reg[1..66];
    assert_eq!(user_key[0], 0x04, "uncompressed point");
    let kh_len = usize::from(reg[66]);
    let key_handle = reg[67..67 + kh_len].to_vec();
    let rest = &reg[67 + kh_len..];
    let cert =
        Certificate::from_der(&rest[..cert_len(rest)]).expect("X.509 attestation certificate");
    let signature = DerSignature::try_from(&rest[cert_len(rest)..]).expect("DER ECDSA signature");
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .expect("spki");
    let attestation_key = p256::PublicKey::from_sec1_bytes(
        x509_cert::spki::SubjectPublicKeyInfoRef::from_der(&spki)
            .expect("spki")
            .subject_public_key
            .raw_bytes(),
    )
    .expect("P-256 key");
    let mut signed = vec![0x00];
    signed.extend(APP);
    signed.extend(CHALLENGE);
    signed.extend(&key_handle);
    signed.extend(user_key);
    VerifyingKey::from(attestation_key)
        .verify(&signed, &signature)
        .expect("register signature by the attestation key");

    // Check-only with a valid key handle: 6985 (§5.1; protocols.md §4.1).
    let mut auth = CHALLENGE.to_vec();
    auth.extend(APP);
    auth.push(kh_len as u8);
    auth.extend(&key_handle);
    assert_eq!(key.chain(0x00, 0x02, 0x07, 0x00, &auth).1, 0x6985);
    // A key handle of another application: 6A80.
    let mut other = CHALLENGE.to_vec();
    other.extend([0x00; 32]);
    other.push(kh_len as u8);
    other.extend(&key_handle);
    assert_eq!(key.chain(0x00, 0x02, 0x07, 0x00, &other).1, 0x6A80);

    // Enforce presence and sign: UP ‖ counter ‖ signature (§5.4).
    let (resp, sw, _) = polling(&mut key, 0x02, 0x03, &auth);
    assert_eq!(sw, 0x9000);
    assert_eq!(resp[0], 0x01, "user present");
    let mut signed = APP.to_vec();
    signed.extend(&resp[..5]);
    signed.extend(CHALLENGE);
    let signature = DerSignature::try_from(&resp[5..]).expect("DER");
    VerifyingKey::from_sec1_bytes(user_key)
        .expect("user key")
        .verify(&signed, &signature)
        .expect("authentication signature by the registered key");
}

#[test]
fn wrong_lengths_and_instructions() {
    let mut key = Key::new();
    key.select();
    // REGISTER needs 64 bytes (§4.1).
    assert_eq!(key.chain(0x00, 0x01, 0x00, 0x00, &[0; 10]).1, 0x6700);
    assert_eq!(key.txh("00 04 00 00"), "6D00");
}

/// Length of the DER SEQUENCE at the start of `der`.
fn cert_len(der: &[u8]) -> usize {
    match der[1] {
        0x82 => 4 + usize::from(u16::from_be_bytes([der[2], der[3]])),
        0x81 => 3 + usize::from(der[2]),
        n => 2 + usize::from(n),
    }
}
