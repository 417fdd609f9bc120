//! Golden tests from HID's published transcripts (crescendo-apdu.md §5.7) and
//! the RFC 4226/6238/6287 values they carry.

use super::*;
use crate::scripted::ScriptedConnection;
use crate::sessions::aca::AcaSession;
use crate::sessions::Pin;

/// ACA SELECT and VERIFY PIN "00000000" as in HID's sequences (§5.7; we send
/// Le on SELECT, §2.1).
const ACA_SELECT: (&str, &str) = (
    "00A4040007A000000079100000",
    "6F128407A0000000791000A507010510030003019000",
);
const ACA_VERIFY: (&str, &str) = ("00200000083030303030303030", "9000");

/// Select OATH HOTP, answered exactly as published (with its duplicated `26`).
const SELECT_HOTP_PUBLISHED: (&str, &str) = (
    "00A4040007A000000079230000",
    "6F2F8407A0000000792300A5240105230300030226260201014A17\
     0000000000000000000000000600101E000000000000069000",
);
/// Select OATH TOTP, answered as published (§5.7 TOTP usage).
const SELECT_TOTP: (&str, &str) = (
    "00A4040007A000000079230100",
    "6F2F8407A0000000792301A52401052303000302260201014A17\
     0000000000000000000000000600101E000000000000069000",
);

/// HID's "Set HOTP config" command (§5.7), byte for byte.
const HID_PUT_CONFIG: &str =
    "80D805002700002322000000000000000000000600100000000000000000000000004F41544820484F545000";
/// HID's "Inject HOTP key" command as published: Lc = 19h announces 25 data
/// bytes but 26 follow (`…3930 30 00`): one doubled `30`, the same kind of
/// typo as the doubled `26` in the SELECT sample. §5.2 and the decode in §5.7
/// give `00 00 15 14 <key> 00`, which is what the session sends.
const HID_PUT_KEY_PUBLISHED: &str =
    "80D80400190000151431323334353637383930313233343536373839303000";
/// RFC 4226's key "12345678901234567890".
const RFC_KEY: &[u8] = b"12345678901234567890";

fn corrected_put_key() -> String {
    let body = HID_PUT_KEY_PUBLISHED
        .strip_suffix("3000")
        .expect("published form");
    format!("{body}00")
}

fn verify_pin(c: &mut ScriptedConnection) {
    let mut aca = AcaSession::open(c).expect("ACA");
    aca.verify_pin(&Pin::new("00000000")).expect("verify");
}

#[test]
fn hotp_personalization_emits_hids_bytes() {
    let put_key = corrected_put_key();
    assert_eq!(put_key.len() / 2, 5 + 0x19, "Lc now matches the data");
    let mut c = ScriptedConnection::new(&[
        ACA_SELECT,
        ACA_VERIFY,
        SELECT_HOTP_PUBLISHED,
        (HID_PUT_CONFIG, "9000"),
        (&put_key, "9000"),
    ]);
    verify_pin(&mut c);
    let mut oath = CrescendoOathSession::open(&mut c, OathSlot::One).expect("open");
    assert_eq!(oath.version(), [3, 0, 3, 2]);
    // The typo breaks the A5 members after the version; they are just absent.
    assert_eq!(oath.state(), None);
    let config = OathConfig::hotp(0, 6, "OATH HOTP").to_bytes();
    assert_eq!(config.len(), 0x22);
    oath.put_config(&config).expect("config");
    oath.put_key(RFC_KEY).expect("key");
    drop(oath);
    c.finish();
}

#[test]
fn select_decodes_the_4a_object() {
    let mut c = ScriptedConnection::new(&[SELECT_TOTP]);
    let oath = CrescendoOathSession::open(&mut c, OathSlot::Two).expect("open");
    assert_eq!(oath.slot(), OathSlot::Two);
    assert_eq!(oath.flags(), [0x01, 0x01]);
    let state = oath.state().expect("4A");
    assert_eq!(
        (state.counter, state.mode, state.algorithm, state.digits),
        (0, 0, 0, 6)
    );
    assert_eq!((state.truncation, state.time_step), (0, 30));
    assert_eq!(state.raw.len(), 0x17);
    drop(oath);
    c.finish();
}

#[test]
fn select_failures() {
    let mut c = ScriptedConnection::new(&[("00A4040007A000000079230200", "6A82")]);
    assert!(matches!(
        CrescendoOathSession::open(&mut c, OathSlot::Three),
        Err(SessionError::AppletNotFound)
    ));
    // An ACA answer (family 10h) is not an OATH instance.
    let mut c = ScriptedConnection::new(&[(
        "00A4040007A000000079230000",
        "6F128407A0000000791000A507010510030003019000",
    )]);
    assert!(matches!(
        CrescendoOathSession::open(&mut c, OathSlot::One),
        Err(SessionError::Malformed(_))
    ));
}

#[test]
fn hotp_755224_after_a_touch() {
    // §5.3: 755224 = RFC 4226 counter 0; 6985 while the LED blinks.
    let mut c = ScriptedConnection::new(&[
        SELECT_HOTP_PUBLISHED,
        ("8088000000", "6985"),
        ("8088000000", "6985"),
        ("8088000000", "7552249000"),
        ("8088000000", "2870829000"),
    ]);
    let mut oath = CrescendoOathSession::open(&mut c, OathSlot::One).expect("open");
    assert!(matches!(oath.hotp(), Err(SessionError::TouchRequired)));
    let mut waits = vec![];
    let code = oath
        .poll_until_with(
            &OtpRequest::hotp(),
            &PollPolicy::default(),
            |w| {
                waits.push(w.attempt);
                ControlFlow::Continue(())
            },
            |_| {},
        )
        .expect("code");
    assert_eq!(code, "755224");
    assert_eq!(waits, [1]);
    assert_eq!(oath.hotp().expect("next"), "287082");
    drop(oath);
    c.finish();
}

#[test]
fn totp_340909_with_6985_polling() {
    // §5.7 TOTP usage: 2020-04-01 16:41:06 = 5E84A802, polled until the press.
    let totp = "80881100045E84A80200";
    let mut c = ScriptedConnection::new(&[
        ACA_SELECT,
        ACA_VERIFY,
        SELECT_TOTP,
        (totp, "6985"),
        (totp, "6985"),
        (totp, "3409099000"),
    ]);
    verify_pin(&mut c);
    let mut oath = CrescendoOathSession::open(&mut c, OathSlot::Two).expect("open");
    let (mut waits, mut sleeps) = (vec![], vec![]);
    let code = oath
        .poll_until_with(
            &OtpRequest::totp(1_585_752_066),
            &PollPolicy::default(),
            |w| {
                waits.push(w.attempt);
                ControlFlow::Continue(())
            },
            |d| sleeps.push(d),
        )
        .expect("code");
    assert_eq!(code, "340909");
    assert_eq!(waits, [1, 2]);
    assert_eq!(sleeps, [Duration::from_millis(200); 2]);
    drop(oath);
    c.finish();
}

#[test]
fn polling_times_out_and_never_resends_anything_else() {
    let totp = "80881100045E84A80200";
    let policy = PollPolicy {
        interval: Duration::from_millis(250),
        timeout: Duration::from_millis(500),
    };
    let mut c = ScriptedConnection::new(&[
        SELECT_TOTP,
        (totp, "6985"),
        (totp, "6985"),
        (totp, "6985"),
        (totp, "6982"),
    ]);
    let mut oath = CrescendoOathSession::open(&mut c, OathSlot::Two).expect("open");
    let req = OtpRequest::totp(1_585_752_066);
    assert!(matches!(
        oath.poll_until_with(&req, &policy, |_| ControlFlow::Continue(()), |_| {}),
        Err(SessionError::TouchTimeout)
    ));
    // PIN not verified: reported at once, no VERIFY, no retry.
    assert!(matches!(
        oath.poll_until_with(&req, &policy, |_| ControlFlow::Continue(()), |_| {}),
        Err(SessionError::SecurityNotSatisfied)
    ));
    drop(oath);
    c.finish();
}

#[test]
fn ocra_608993_request_bytes() {
    // §5.5 reconstruction: QN08, Q = 44444444 → 2A62B1C, left-aligned,
    // zero-padded to 128 bytes; 608993 is RFC 6287's value (protocols.md §6.3).
    let q = format!("2A62B1C0{}", "00".repeat(124));
    let cmd = format!("80872200887C81858200818180{q}00");
    let zero_q = format!("80872200887C81858200818180{}00", "00".repeat(128));
    let mut c = ScriptedConnection::new(&[
        SELECT_TOTP,
        (&cmd, "6985"),
        (&cmd, "7C0582036089939000"),
        (&zero_q, "7C0582032376539000"),
    ]);
    let mut oath = CrescendoOathSession::open(&mut c, OathSlot::Two).expect("open");
    let input = OcraInput::numeric("44444444").expect("Q");
    assert_eq!(input.challenge[..4], [0x2A, 0x62, 0xB1, 0xC0]);
    let req = OtpRequest::ocra(&input).expect("request");
    let code = oath
        .poll_until_with(
            &req,
            &PollPolicy::default(),
            |_| ControlFlow::Continue(()),
            |_| {},
        )
        .expect("code");
    assert_eq!(code, "608993");
    let code = oath
        .ocra(&OcraInput::numeric("00000000").expect("Q"))
        .expect("code");
    assert_eq!(code, "237653");
    assert!(!format!("{req:?}").contains("2A62"));
    drop(oath);
    c.finish();
}

#[test]
fn ocra_optional_fields_keep_the_mandatory_order() {
    let input = OcraInput {
        challenge: Zeroizing::new(vec![0x12]),
        pin_hash: Some(Zeroizing::new(vec![0xAA; 20])),
        session: Some(vec![0xBB; 64]),
        time: Some(0x0132_D0B6),
    };
    let req = OtpRequest::ocra(&input).expect("request");
    let data = &req.apdu.data;
    let inner = tlv::find(data, &[0x7C]).expect("7C");
    let tags: Vec<u8> = tlv::parse(inner).map(|t| t.expect("tlv").tag[0]).collect();
    assert_eq!(tags, [0x82, 0x81, 0x84, 0x80, 0x83]);
    assert_eq!(
        tlv::find(inner, &[0x83]),
        Some(&[0x01, 0x32, 0xD0, 0xB6][..])
    );
    assert!(matches!(
        OtpRequest::ocra(&OcraInput::with_challenge([0; 129])),
        Err(SessionError::InvalidArgument(_))
    ));
}

#[test]
fn put_key_lengths_and_removal() {
    // §5.2: BER lengths 81 xx from 80h; an empty value removes.
    let long = format!("80D80400870000818181 80{}00", "11".repeat(128));
    let mut c = ScriptedConnection::new(&[
        SELECT_TOTP,
        (&long, "9000"),
        ("80D8040003000000", "9000"),
        ("8088000000", "6A88"),
        ("80D8050003000000", "6982"),
    ]);
    let mut oath = CrescendoOathSession::open(&mut c, OathSlot::Two).expect("open");
    oath.put_key(&[0x11; 128]).expect("long key");
    oath.put_key(&[]).expect("remove key");
    assert!(matches!(oath.hotp(), Err(SessionError::NotFound)));
    assert!(matches!(
        oath.put_config(&[]),
        Err(SessionError::SecurityNotSatisfied)
    ));
    assert!(matches!(
        oath.put_key(&[0; 129]),
        Err(SessionError::InvalidArgument(_))
    ));
    assert!(matches!(
        oath.put_config(&[0; MAX_CONFIG_LEN + 1]),
        Err(SessionError::InvalidArgument(_))
    ));
    drop(oath);
    c.finish();
}

#[test]
fn bcd_and_numeric_challenges() {
    assert_eq!(
        decode_bcd(&[0x75, 0x52, 0x24], Some(6)).expect("bcd"),
        "755224"
    );
    assert_eq!(
        decode_bcd(&[0x01, 0x23, 0x45, 0x67, 0x89], Some(8)).expect("bcd"),
        "0123456789"
    );
    assert_eq!(
        decode_bcd(&[0x01, 0x23, 0x45], Some(5)).expect("odd"),
        "12345"
    );
    assert!(decode_bcd(&[0x7A], None).is_err());
    assert!(decode_bcd(&[], None).is_err());
    assert_eq!(numeric_challenge("1").expect("q"), [0x10]);
    assert_eq!(numeric_challenge("255").expect("q"), [0xFF]);
    assert_eq!(numeric_challenge("4096").expect("q"), [0x10, 0x00]);
    assert_eq!(
        numeric_challenge(&"9".repeat(64)).expect("10^64 - 1").len(),
        27
    );
    for bad in ["", "12a", &"1".repeat(65)] {
        assert!(numeric_challenge(bad).is_err(), "{bad}");
    }
    for junk in [&[][..], &[0u8; 15][..], &[0xFF; 40][..]] {
        let _ = SlotState::decode(junk);
    }
}

// ---- the button (emulator-defined table, docs/VIRTUAL_TOKEN.md) ----------

/// Slot 1 SELECT in factory state (the corrected HID answer).
const SELECT_SLOT1: (&str, &str) = (
    "00A4040007A000000079230000",
    "6F2F8407A0000000792300A52401052303000302260201014A17\
     0000000000000000000000000600101E000000000000069000",
);

fn key(usage: u8, shift: bool, altgr: bool) -> tessera_core::keyboard::Key {
    tessera_core::keyboard::Key {
        usage,
        shift,
        altgr,
    }
}

#[test]
fn button_get_and_put_send_the_tables_bytes() {
    let mut c = ScriptedConnection::new(&[
        SELECT_SLOT1,
        ("80CA060000", "010002089000"),
        ("80D80602080203020400054014", "9000"),
        ("80D806010100", "9000"),
        ("80D806020101", "6982"),
        ("80D806010101", "6A80"),
    ]);
    let mut s = CrescendoOathSession::open(&mut c, OathSlot::One).expect("open");
    let state = s.button_config().expect("get");
    assert_eq!(state.single, ActionState::Hotp);
    assert_eq!(state.of(Press::Double), ActionState::Static { length: 8 });
    // Shift+A, B, AltGr+Q.
    let put = ButtonAction::Static(Zeroizing::new(vec![
        key(0x04, true, false),
        key(0x05, false, false),
        key(0x14, false, true),
    ]));
    assert_eq!(format!("{put:?}"), "Static(*** 3 keys)");
    s.put_button(Press::Double, &put).expect("static");
    s.put_button(Press::Single, &ButtonAction::Nothing)
        .expect("nothing");
    assert!(matches!(
        s.put_button(Press::Double, &ButtonAction::Hotp),
        Err(SessionError::SecurityNotSatisfied)
    ));
    assert!(matches!(
        s.put_button(Press::Single, &ButtonAction::Hotp),
        Err(SessionError::InvalidArgument(_))
    ));
    drop(s);
    c.finish();
}

#[test]
fn button_refusals_before_anything_is_sent() {
    let mut c = ScriptedConnection::new(&[SELECT_SLOT1, ("80CA060000", "6D00")]);
    let mut s = CrescendoOathSession::open(&mut c, OathSlot::One).expect("open");
    assert!(matches!(s.button_config(), Err(SessionError::NotSupported)));
    let none = ButtonAction::Static(Zeroizing::new(vec![]));
    assert!(matches!(
        s.put_button(Press::Single, &none),
        Err(SessionError::InvalidArgument(_))
    ));
    let long = ButtonAction::Static(Zeroizing::new(vec![key(4, false, false); 39]));
    assert!(matches!(
        s.put_button(Press::Single, &long),
        Err(SessionError::InvalidArgument(_))
    ));
    drop(s);
    c.finish();
    assert!(ButtonState::decode(&[0x03, 0, 0, 0]).is_err());
    assert!(
        ButtonState::decode(&[0x02, 0, 0, 0]).is_err(),
        "static of 0 keys"
    );
    assert!(ButtonState::decode(&[0x01, 0, 0]).is_err());
}
