//! clientPIN (CTAP 2.1 §6.5; protocols.md §4.5) with PIN/UV auth protocol 2,
//! the platform side written here from the spec with RustCrypto (P-256 ECDH,
//! HKDF-SHA-256, AES-256-CBC, HMAC-SHA-256), then credential management (§6.8).

#[path = "fido/support.rs"]
mod support;

use aes::cipher::{block_padding::NoPadding, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use ciborium::Value;
use hmac::{Hmac, Mac};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use rand::{RngCore, SeedableRng};
use sha2::{Digest, Sha256};
use support::*;
use tessera_virtual_token::platform::ButtonMode;

/// A PIN/UV auth protocol 2 session (CTAP 2.1 §6.5.7).
struct Pin2 {
    platform_key: Value,
    hmac_key: [u8; 32],
    aes_key: [u8; 32],
    rng: rand::rngs::StdRng,
}

impl Pin2 {
    /// getKeyAgreement (subcommand 02) and ECDH.
    fn agree(key: &mut Key) -> Pin2 {
        let (status, body) = key.ctap(0x06, Some(&imap(vec![(1, 2.into()), (2, 2.into())])), false);
        assert_eq!(status, 0);
        let cose = get(&decode(&body), 1).cloned().expect("keyAgreement");
        assert_eq!(get(&cose, 1), Some(&Value::from(2)), "kty EC2");
        assert_eq!(get(&cose, -1), Some(&Value::from(1)), "crv P-256");
        let x = get(&cose, -2).and_then(Value::as_bytes).expect("x");
        let y = get(&cose, -3).and_then(Value::as_bytes).expect("y");
        let mut sec1 = vec![0x04];
        sec1.extend(x);
        sec1.extend(y);
        let theirs = p256::PublicKey::from_sec1_bytes(&sec1).expect("point");
        let mut rng = rand::rngs::StdRng::seed_from_u64(42);
        let ours = p256::ecdh::EphemeralSecret::random(&mut rng);
        let z = ours.diffie_hellman(&theirs);
        let hkdf = hkdf::Hkdf::<Sha256>::new(Some(&[0u8; 32]), z.raw_secret_bytes());
        let (mut hmac_key, mut aes_key) = ([0u8; 32], [0u8; 32]);
        hkdf.expand(b"CTAP2 HMAC key", &mut hmac_key).expect("hkdf");
        hkdf.expand(b"CTAP2 AES key", &mut aes_key).expect("hkdf");
        let point = ours.public_key().to_encoded_point(false);
        let platform_key = imap(vec![
            (1, 2.into()),
            (3, (-25).into()),
            (-1, 1.into()),
            (-2, Value::Bytes(point.x().expect("x").to_vec())),
            (-3, Value::Bytes(point.y().expect("y").to_vec())),
        ]);
        // COSE keys are ordered 1, 3, -1, -2, -3 in canonical CBOR.
        Pin2 {
            platform_key,
            hmac_key,
            aes_key,
            rng,
        }
    }

    fn encrypt(&mut self, plaintext: &[u8]) -> Vec<u8> {
        let mut iv = [0u8; 16];
        self.rng.fill_bytes(&mut iv);
        let enc = cbc::Encryptor::<aes::Aes256>::new(&self.aes_key.into(), &iv.into());
        let mut buf = plaintext.to_vec();
        let len = buf.len();
        enc.encrypt_padded_mut::<NoPadding>(&mut buf, len)
            .expect("whole blocks");
        let mut out = iv.to_vec();
        out.extend(buf);
        out
    }

    fn decrypt(&self, data: &[u8]) -> Vec<u8> {
        let (iv, ct) = data.split_at(16);
        let iv: [u8; 16] = iv.try_into().expect("iv");
        let mut buf = ct.to_vec();
        cbc::Decryptor::<aes::Aes256>::new(&self.aes_key.into(), &iv.into())
            .decrypt_padded_mut::<NoPadding>(&mut buf)
            .expect("whole blocks")
            .to_vec()
    }

    fn authenticate(&self, message: &[u8]) -> Vec<u8> {
        hmac(&self.hmac_key, message)
    }

    fn pin_hash_enc(&mut self, pin: &str) -> Vec<u8> {
        let hash = Sha256::digest(pin.as_bytes());
        self.encrypt(&hash[..16])
    }

    fn new_pin_enc(&mut self, pin: &str) -> Vec<u8> {
        let mut padded = pin.as_bytes().to_vec();
        padded.resize(64, 0);
        self.encrypt(&padded)
    }
}

fn hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("key");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

fn set_pin(key: &mut Key, pin: &str) -> u8 {
    let mut s = Pin2::agree(key);
    let new_pin_enc = s.new_pin_enc(pin);
    let params = imap(vec![
        (1, 2.into()),
        (2, 3.into()),
        (3, s.platform_key.clone()),
        (4, Value::Bytes(s.authenticate(&new_pin_enc))),
        (5, Value::Bytes(new_pin_enc)),
    ]);
    key.ctap(0x06, Some(&params), false).0
}

fn change_pin(key: &mut Key, old: &str, new: &str) -> u8 {
    let mut s = Pin2::agree(key);
    let new_pin_enc = s.new_pin_enc(new);
    let pin_hash_enc = s.pin_hash_enc(old);
    let mut signed = new_pin_enc.clone();
    signed.extend(&pin_hash_enc);
    let params = imap(vec![
        (1, 2.into()),
        (2, 4.into()),
        (3, s.platform_key.clone()),
        (4, Value::Bytes(s.authenticate(&signed))),
        (5, Value::Bytes(new_pin_enc)),
        (6, Value::Bytes(pin_hash_enc)),
    ]);
    key.ctap(0x06, Some(&params), false).0
}

/// getPinUvAuthTokenUsingPinWithPermissions (09): Ok(token) or the status.
fn token(key: &mut Key, pin: &str, permissions: u8, rp_id: Option<&str>) -> Result<Vec<u8>, u8> {
    let mut s = Pin2::agree(key);
    let mut params = vec![
        (1, 2.into()),
        (2, 9.into()),
        (3, s.platform_key.clone()),
        (6, Value::Bytes(s.pin_hash_enc(pin))),
        (9, permissions.into()),
    ];
    if let Some(rp) = rp_id {
        params.push((0x0A, Value::Text(rp.into())));
    }
    let (status, body) = key.ctap(0x06, Some(&imap(params)), false);
    if status != 0 {
        return Err(status);
    }
    let enc = get(&decode(&body), 2)
        .and_then(Value::as_bytes)
        .cloned()
        .expect("token");
    Ok(s.decrypt(&enc))
}

fn retries(key: &mut Key) -> (i128, bool) {
    let (status, body) = key.ctap(0x06, Some(&imap(vec![(1, 2.into()), (2, 1.into())])), false);
    assert_eq!(status, 0);
    let r = decode(&body);
    let n = get(&r, 3)
        .and_then(Value::as_integer)
        .map(i128::from)
        .expect("pinRetries");
    let power_cycle = get(&r, 4).and_then(Value::as_bool).unwrap_or(false);
    (n, power_cycle)
}

fn client_pin_option(key: &mut Key) -> Option<Value> {
    let (status, body) = key.ctap(0x04, None, false);
    assert_eq!(status, 0);
    let info = decode(&body);
    get(&info, 4).and_then(|o| get_t(o, "clientPin")).cloned()
}

/// credentialManagement (0A) with a token: subcommand ‖ CBOR(params) signed.
fn cred_mgmt(key: &mut Key, token: &[u8], sub: u8, params: Option<Value>) -> (u8, Value) {
    let mut signed = vec![sub];
    if let Some(p) = &params {
        ciborium::into_writer(p, &mut signed).expect("cbor");
    }
    let mut entries = vec![(1, sub.into())];
    if let Some(p) = params {
        entries.push((2, p));
    }
    entries.push((3, 2.into()));
    entries.push((4, Value::Bytes(hmac(token, &signed))));
    let (status, body) = key.ctap(0x0A, Some(&imap(entries)), false);
    let value = if body.is_empty() {
        Value::Null
    } else {
        decode(&body)
    };
    (status, value)
}

#[test]
fn set_pin_then_tokens_then_change() {
    let mut key = Key::new();
    key.select();
    assert_eq!(client_pin_option(&mut key), Some(Value::Bool(false)));
    // protocols.md §4.5: PIN_NOT_SET 35 or PUAT_REQUIRED 36 (opensk) without a PIN.
    let no_pin = token(&mut key, "1234", 0x04, None);
    assert!(matches!(no_pin, Err(0x35 | 0x36)), "{no_pin:?}");

    assert_eq!(set_pin(&mut key, "123"), 0x37, "PIN_POLICY_VIOLATION: < 4");
    assert!(key.card.take_dirty());
    assert_eq!(set_pin(&mut key, "1234"), 0x00);
    assert!(key.card.take_dirty(), "the PIN hash is persistent");
    assert_eq!(client_pin_option(&mut key), Some(Value::Bool(true)));
    assert_eq!(
        set_pin(&mut key, "5678"),
        0x33,
        "already set: PIN_AUTH_INVALID (OpenSK)"
    );
    assert_eq!(retries(&mut key), (8, false));

    assert_eq!(
        token(&mut key, "9999", 0x04, None),
        Err(0x31),
        "PIN_INVALID"
    );
    assert_eq!(retries(&mut key).0, 7);
    let t = token(&mut key, "1234", 0x04, None).expect("token");
    assert_eq!(t.len(), 32);
    assert_eq!(retries(&mut key).0, 8, "success restores the retries");

    assert_eq!(change_pin(&mut key, "0000", "4321"), 0x31);
    assert_eq!(change_pin(&mut key, "1234", "4321"), 0x00);
    assert_eq!(token(&mut key, "1234", 0x04, None), Err(0x31));
    assert!(token(&mut key, "4321", 0x04, None).is_ok());
}

#[test]
fn three_mismatches_block_until_replug() {
    let mut key = Key::new();
    key.select();
    assert_eq!(set_pin(&mut key, "1234"), 0);
    assert_eq!(token(&mut key, "0000", 0x04, None), Err(0x31));
    assert_eq!(token(&mut key, "0000", 0x04, None), Err(0x31));
    assert_eq!(
        token(&mut key, "0000", 0x04, None),
        Err(0x34),
        "PIN_AUTH_BLOCKED"
    );
    assert_eq!(token(&mut key, "1234", 0x04, None), Err(0x34));
    assert_eq!(retries(&mut key), (5, true), "powerCycleState");
    key.replug();
    key.select();
    assert!(
        token(&mut key, "1234", 0x04, None).is_ok(),
        "after a power cycle"
    );
    assert_eq!(retries(&mut key), (8, false));
}

#[test]
fn resident_credential_made_listed_and_deleted_with_the_pin() {
    let mut key = Key::new();
    key.select();
    assert_eq!(set_pin(&mut key, "1234"), 0);
    let mc = token(&mut key, "1234", 0x01, Some("example.com")).expect("mc token");
    let client_data_hash = vec![0x11; 32];
    let request = make_credential(
        b"user-9",
        "bob",
        true,
        vec![
            (8, Value::Bytes(hmac(&mc, &client_data_hash))),
            (9, 2.into()),
        ],
    );
    let (status, body) = key.ctap(0x01, Some(&request), true);
    assert_eq!(status, 0);
    let auth_data = get(&decode(&body), 2)
        .and_then(Value::as_bytes)
        .cloned()
        .expect("authData");
    assert_eq!(auth_data[32] & 0x45, 0x45, "UP, UV and AT");
    // Attested credential data: aaguid(16) ‖ L(2) ‖ credentialId (WebAuthn §6.5.1).
    let id_len = usize::from(u16::from_be_bytes([auth_data[53], auth_data[54]]));
    let credential_id = auth_data[55..55 + id_len].to_vec();

    let cm = token(&mut key, "1234", 0x04, None).expect("cm token");
    let (status, meta) = cred_mgmt(&mut key, &cm, 0x01, None);
    assert_eq!(status, 0);
    assert_eq!(
        get(&meta, 1),
        Some(&Value::from(1)),
        "one resident credential"
    );
    let (status, rps) = cred_mgmt(&mut key, &cm, 0x02, None);
    assert_eq!(status, 0);
    let rp = get(&rps, 3).expect("rp");
    assert_eq!(get_t(rp, "id"), Some(&Value::Text("example.com".into())));
    let rp_id_hash = Sha256::digest(b"example.com").to_vec();
    assert_eq!(get(&rps, 4), Some(&Value::Bytes(rp_id_hash.clone())));
    let (status, creds) = cred_mgmt(
        &mut key,
        &cm,
        0x04,
        Some(imap(vec![(1, Value::Bytes(rp_id_hash))])),
    );
    assert_eq!(status, 0);
    let user = get(&creds, 6).expect("user");
    assert_eq!(get_t(user, "id"), Some(&Value::Bytes(b"user-9".to_vec())));
    let listed_id = get(&creds, 7).and_then(|d| get_t(d, "id")).cloned();
    assert_eq!(listed_id, Some(Value::Bytes(credential_id.clone())));

    let descriptor = tmap(vec![
        ("id", Value::Bytes(credential_id)),
        ("type", Value::Text("public-key".into())),
    ]);
    let _ = key.card.take_dirty();
    let (status, _) = cred_mgmt(&mut key, &cm, 0x06, Some(imap(vec![(2, descriptor)])));
    assert_eq!(status, 0);
    assert!(key.card.take_dirty());
    let (status, meta) = cred_mgmt(&mut key, &cm, 0x01, None);
    assert_eq!(status, 0);
    assert_eq!(get(&meta, 1), Some(&Value::from(0)));
    assert_eq!(
        cred_mgmt(&mut key, &cm, 0x02, None).0,
        0x2E,
        "NO_CREDENTIALS"
    );
}

#[test]
fn pin_survives_save_and_load_and_reset_clears_it() {
    let mut key = Key::new();
    key.select();
    assert_eq!(set_pin(&mut key, "1234"), 0);
    let state = key.card.save_state();
    let mut other = Key::with(5, ButtonMode::Manual, Default::default());
    other.card.load_state(state).expect("load");
    other.select();
    assert_eq!(client_pin_option(&mut other), Some(Value::Bool(true)));
    assert!(token(&mut other, "1234", 0x04, None).is_ok());
    other.replug();
    other.select();
    assert_eq!(
        other.ctap(0x07, None, true).0,
        0x00,
        "reset within the window"
    );
    assert_eq!(client_pin_option(&mut other), Some(Value::Bool(false)));
}
