//! YkOathSession against scripted keys: the byte examples of protocols.md §1,
//! RFC 4226/6238 codes (§6.4–6.5) and ykman's key-derivation vectors. HMACs
//! in the scripts were computed separately (Python hashlib/hmac).

use super::*;
use crate::scripted::ScriptedConnection;

const SELECT_CMD: &str = "00A4040007A000000527210100";
/// protocols.md §1.3, the real example without a password.
const SELECT_OPEN: (&str, &str) = (SELECT_CMD, "790305020471084BB7A7FAD7AF401B9000");
/// With a password: salt 00×8 (ykman's vector), challenge 0102…08, SHA-1.
const SELECT_LOCKED: (&str, &str) = (
    SELECT_CMD,
    "7903050204 7108 0000000000000000 7408 0102030405060708 7B01 01 9000",
);
/// PBKDF2-HMAC-SHA1("foobar", 00×8, 1000, 16), from ykman's tests/test_oath.py.
const FOOBAR_KEY: &str = "B07DA1E7DE87F89A87A2B598EAA2188C";
const HOST_CHALLENGE: [u8; 8] = [0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8];
/// HMAC-SHA1(FOOBAR_KEY, 0102030405060708).
const PROOF: &str = "98FEDD90C7A2CEB24AC32AA2635D46143B3F1049";
/// HMAC-SHA1(FOOBAR_KEY, A1…A8).
const CARD_PROOF: &str = "BE08E1AA7C8CEB1AD21785C5D3C7C6DCFF4767F1";
/// "Microsoft:test@outlook.com", 26 bytes (§1.4/§1.6 examples).
const MS_ID: &str = "4D6963726F736F66743A74657374406F75746C6F6F6B2E636F6D";

fn foobar() -> AccessKey {
    let mut k = [0; 16];
    k.copy_from_slice(&hex::decode(FOOBAR_KEY).expect("hex"));
    AccessKey::from_bytes(k)
}

fn chained(answer: &str, split: usize) -> (String, String, String) {
    let bytes = hex::decode(answer.replace(' ', "")).expect("hex");
    let (a, b) = bytes.split_at(split);
    (
        format!("{}61{:02X}", hex::encode_upper(a), b.len()),
        format!("00A50000{:02X}", b.len()),
        format!("{}9000", hex::encode_upper(b)),
    )
}

#[test]
fn select_parses_the_published_example() {
    let mut c = ScriptedConnection::new(&[SELECT_OPEN]);
    let oath = YkOathSession::open(&mut c).expect("open");
    let info = oath.info();
    assert_eq!(info.version, [5, 2, 4]);
    assert_eq!(info.salt, hex::decode("4BB7A7FAD7AF401B").expect("hex"));
    assert!(!info.has_password() && !oath.is_locked());
    assert_eq!(info.algorithm, HashAlgorithm::Sha1);
    assert_eq!(info.device_id(), "M/cfhpywsjHw0W5SXdq9Bg");
    drop(oath);
    c.finish();

    let mut c = ScriptedConnection::new(&[(SELECT_CMD, "79030502049000")]);
    assert!(matches!(
        YkOathSession::open(&mut c),
        Err(SessionError::Malformed(_))
    ));
    let mut c = ScriptedConnection::new(&[(SELECT_CMD, "6A82")]);
    assert!(matches!(
        YkOathSession::open(&mut c),
        Err(SessionError::AppletNotFound)
    ));
}

#[test]
fn access_key_derivation_matches_ykman() {
    // ykman tests/test_oath.py `test_derive_key` (PBKDF2-HMAC-SHA1, 1000, 16).
    let cases = [
        ("0000000000000000", "foobar", FOOBAR_KEY),
        (
            "3132333435363738",
            "Hallå världen!",
            "DA818E6B2CF0A2D0BF19B3DDD34B83F5",
        ),
        (
            "73616C7473616C74",
            "Ťᶒśƫ ᵽĥřӓşḛ",
            "F3DFA78154C810329945FBC4B535E537",
        ),
    ];
    for (salt, password, key) in cases {
        let k = AccessKey::derive(&Pin::new(password), &hex::decode(salt).expect("hex"));
        assert_eq!(hex::encode_upper(k.as_bytes()), key, "{password}");
    }
    assert_eq!(format!("{:?}", foobar()), "AccessKey(***)");
}

#[test]
fn validate_is_mutual() {
    let validate = format!("00A3000020 7514 {PROOF} 7408 A1A2A3A4A5A6A7A8");
    let ok = format!("7514{CARD_PROOF}9000");
    let forged = format!("7514{}9000", "00".repeat(20));
    let mut c = ScriptedConnection::new(&[
        SELECT_LOCKED,
        ("00A10000", "6982"),
        (&validate, "6984"),
        (&validate, &forged),
        (&validate, &ok),
        ("00A10000", "9000"),
    ]);
    let mut oath = YkOathSession::open(&mut c).expect("open");
    assert!(oath.is_locked());
    assert_eq!(
        hex::encode_upper(oath.derive_key(&Pin::new("foobar")).as_bytes()),
        FOOBAR_KEY
    );
    assert!(matches!(
        oath.list(),
        Err(SessionError::SecurityNotSatisfied)
    ));
    assert!(matches!(
        oath.validate_with(&foobar(), HOST_CHALLENGE),
        Err(SessionError::WrongAccessCode)
    ));
    assert!(matches!(
        oath.validate_with(&foobar(), HOST_CHALLENGE),
        Err(SessionError::CardAuthenticationFailed)
    ));
    assert!(oath.is_locked());
    oath.validate_with(&foobar(), HOST_CHALLENGE)
        .expect("validate");
    assert!(!oath.is_locked());
    assert_eq!(oath.list().expect("empty list"), []);
    drop(oath);
    c.finish();
}

#[test]
fn put_as_in_the_published_example() {
    // §1.4: Microsoft:test@outlook.com, TOTP SHA1, 6 digits, touch; the
    // 10-byte secret is zero-padded to 14 bytes. Then HOTP with a counter.
    let put = format!("0001000030 711A{MS_ID} 7310 2106 31323334353637383930 00000000 7802");
    let hotp =
        "0001000024 7104 686F7470 7316 1106 3132333435363738393031323334353637383930 7A0400000005";
    let long_hashed = format!(
        "000100001E 7104 6C6F6E67 7316 1106 {}",
        hex::encode_upper(Sha1::digest([0x5A; 65]))
    );
    let mut c = ScriptedConnection::new(&[
        SELECT_OPEN,
        (&put, "9000"),
        (hotp, "9000"),
        (&long_hashed, "6A84"),
    ]);
    let mut oath = YkOathSession::open(&mut c).expect("open");
    let mut cred = CredentialData {
        id: hex::decode(MS_ID).expect("hex"),
        oath_type: OathType::Totp,
        algorithm: HashAlgorithm::Sha1,
        digits: 6,
        secret: Zeroizing::new(b"1234567890".to_vec()),
        touch: true,
        counter: 0,
    };
    oath.put(&cred).expect("put");
    assert!(!format!("{cred:?}").contains("1234567890"));
    cred.id = b"hotp".to_vec();
    cred.oath_type = OathType::Hotp;
    cred.secret = Zeroizing::new(b"12345678901234567890".to_vec());
    cred.touch = false;
    cred.counter = 5;
    oath.put(&cred).expect("put HOTP");
    cred.id = b"long".to_vec();
    cred.counter = 0;
    cred.secret = Zeroizing::new(vec![0x5A; 65]);
    assert!(matches!(
        oath.put(&cred),
        Err(SessionError::Unexpected {
            ins: 0x01,
            sw: Sw::Other(0x6A84)
        })
    ));
    for bad in [
        CredentialData {
            id: vec![],
            ..cred.clone()
        },
        CredentialData {
            id: vec![b'a'; 65],
            ..cred.clone()
        },
        CredentialData {
            digits: 9,
            ..cred.clone()
        },
        CredentialData {
            algorithm: HashAlgorithm::Other(7),
            ..cred.clone()
        },
    ] {
        assert!(matches!(
            oath.put(&bad),
            Err(SessionError::InvalidArgument(_))
        ));
    }
    drop(oath);
    c.finish();
}

#[test]
fn list_with_send_remaining() {
    // §1.6 example entry, then a HOTP/SHA256 one; chained by 61xx + A5.
    let answer = format!("721B21{MS_ID} 7208 12 414345 4D3A626F");
    let (first, more, rest) = chained(&answer, 10);
    let mut c = ScriptedConnection::new(&[SELECT_OPEN, ("00A10000", &first), (&more, &rest)]);
    let mut oath = YkOathSession::open(&mut c).expect("open");
    let list = oath.list().expect("list");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].id, hex::decode(MS_ID).expect("hex"));
    assert_eq!(
        (list[0].oath_type, list[0].algorithm),
        (OathType::Totp, HashAlgorithm::Sha1)
    );
    let id = list[0].parsed_id();
    assert_eq!(
        (id.issuer.as_deref(), id.name.as_str(), id.period),
        (Some("Microsoft"), "test@outlook.com", 30)
    );
    assert_eq!(
        (list[1].oath_type, list[1].algorithm),
        (OathType::Hotp, HashAlgorithm::Sha256)
    );
    assert_eq!(list[1].parsed_id().issuer.as_deref(), Some("ACEM"));
    drop(oath);
    c.finish();
}

#[test]
fn calculate_rfc_codes() {
    // RFC 4226 count 0 → 4C93CF18 → 755224 (HOTP: empty challenge).
    // RFC 6238 SHA1 t = 1111111109 → T 023523EC → 3610F84C → 07081804.
    let t = time_challenge(1_111_111_109, 30).expect("T");
    assert_eq!(t, [0, 0, 0, 0, 0x02, 0x35, 0x23, 0xEC]);
    let mut c = ScriptedConnection::new(&[
        SELECT_OPEN,
        ("00A200010871046 86F74707400", "7605064C93CF189000"),
        (
            "00A20001137107 524643363233387408 00000000023523EC",
            "7605083610F84C9000",
        ),
        (
            "00A20000137107 524643363233387408 00000000023523EC",
            "7515 08 00112233445566778899AABBCCDDEEFF00112233 9000",
        ),
        ("00A200010871046 86F74707400", "6982"),
        ("00A200010871046 86F74707400", "6984"),
        ("0002000006710468 6F7470", "6984"),
    ]);
    let mut oath = YkOathSession::open(&mut c).expect("open");
    assert_eq!(
        oath.calculate(b"hotp", &[]).expect("HOTP"),
        Code {
            value: "755224".into(),
            digits: 6
        }
    );
    assert_eq!(
        oath.calculate(b"RFC6238", &t).expect("TOTP").value,
        "07081804"
    );
    let (digits, full) = oath.calculate_full(b"RFC6238", &t).expect("full");
    assert_eq!((digits, full.len()), (8, 20));
    // Unlocked (no password): 6982 means the touch was not given.
    assert!(matches!(
        oath.calculate(b"hotp", &[]),
        Err(SessionError::TouchRequired)
    ));
    assert!(matches!(
        oath.calculate(b"hotp", &[]),
        Err(SessionError::NotFound)
    ));
    assert!(matches!(oath.delete(b"hotp"), Err(SessionError::NotFound)));
    assert!(time_challenge(1, 0).is_err());
    drop(oath);
    c.finish();
}

#[test]
fn calculate_all_entries_with_chaining() {
    // §1.8: 76 truncated, 77 HOTP (also trussed's 77 00), 7C touch, 75 full.
    // RFC 6238 SHA1 t = 59 → T = 1 → 41397EEA → 94287082.
    let answer = format!(
        "7104 746F7470 7605 08 41397EEA \
         7104 686F7470 7701 06 \
         7105 746F756368 7C01 06 \
         7105 6E6974726F 7700 \
         7104 66756C6C 7515 06 {}",
        "AB".repeat(20)
    );
    let (first, more, rest) = chained(&answer, 25);
    let mut c = ScriptedConnection::new(&[
        SELECT_OPEN,
        ("00A400010A74080000000000000001", &first),
        (&more, &rest),
        ("00A400010A74080000000000000001", "71047465737476059000"),
    ]);
    let mut oath = YkOathSession::open(&mut c).expect("open");
    let challenge = time_challenge(59, 30).expect("T");
    let entries = oath.calculate_all(&challenge).expect("all");
    let results: Vec<_> = entries
        .iter()
        .map(|e| {
            (
                String::from_utf8_lossy(&e.id).into_owned(),
                e.result.clone(),
            )
        })
        .collect();
    assert_eq!(
        results,
        [
            (
                "totp".into(),
                CalculatedResult::Code(Code {
                    value: "94287082".into(),
                    digits: 8
                })
            ),
            ("hotp".into(), CalculatedResult::Hotp { digits: Some(6) }),
            ("touch".into(), CalculatedResult::Touch { digits: Some(6) }),
            ("nitro".into(), CalculatedResult::Hotp { digits: None }),
            (
                "full".into(),
                CalculatedResult::Full {
                    digits: 6,
                    response: vec![0xAB; 20]
                }
            ),
        ]
    );
    assert!(matches!(
        oath.calculate_all(&challenge),
        Err(SessionError::Malformed(_))
    ));
    drop(oath);
    c.finish();
}

#[test]
fn set_code_clear_code_and_reset_reselect() {
    let set = format!("0003000033 7311 21 {FOOBAR_KEY} 7408 A1A2A3A4A5A6A7A8 7514 {CARD_PROOF}");
    let mut c = ScriptedConnection::new(&[
        SELECT_OPEN,
        (&set, "9000"),
        SELECT_LOCKED,
        ("00030000027300", "6982"),
        ("00030000027300", "9000"),
        SELECT_OPEN,
        ("0004DEAD", "9000"),
        (SELECT_CMD, "790305020471080102030405060708 9000"),
    ]);
    let mut oath = YkOathSession::open(&mut c).expect("open");
    oath.set_code_with(Some(&foobar()), HOST_CHALLENGE)
        .expect("set");
    assert!(oath.is_locked(), "VALIDATE is needed after the re-SELECT");
    assert!(matches!(
        oath.set_code(None),
        Err(SessionError::SecurityNotSatisfied)
    ));
    oath.set_code(None).expect("clear");
    assert!(!oath.info().has_password());
    oath.reset().expect("reset");
    assert_eq!(oath.info().salt, [1, 2, 3, 4, 5, 6, 7, 8]);
    drop(oath);
    c.finish();
}

#[test]
fn card_garbage_never_panics() {
    for junk in [&[][..], &[0x05][..], &[0x0B, 0, 0, 0, 0][..]] {
        let _ = Code::from_truncated(junk);
    }
    assert!(Code::from_truncated(&[11, 0, 0, 0, 1]).is_err());
    assert!(Code::from_truncated(&[0, 0, 0, 0, 1]).is_err());
    assert!(OathInfo::parse(&[0x79, 0x05, 0x01]).is_err());
    assert_eq!(base64_no_pad(b"Man"), "TWFu");
    assert_eq!(base64_no_pad(b"Ma"), "TWE");
    assert_eq!(base64_no_pad(b"M"), "TQ");
}
