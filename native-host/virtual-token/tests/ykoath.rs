//! YKOATH applet through a `VirtualCard`: the byte examples of protocols.md §1,
//! RFC 4226/6238 vectors through CALCULATE and CALCULATE ALL, and each YKOATH
//! item of checklist A.2. Access keys are derived here with PBKDF2 from the
//! SELECT salt, as a host does (§1.9).

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha1::Sha1;
use tessera_virtual_token::applet::{Applet, PinState};
use tessera_virtual_token::applets::ykoath::YkOathApplet;
use tessera_virtual_token::card::VirtualCard;
use tessera_virtual_token::platform::{ButtonMode, ManualClock, Platform};

const SELECT: &str = "00A4040007A0000005272101";
const YK5_ATR: &str = "3BFD1300008131FE158073C021C057597562694B657940";
/// protocols.md §6.4/§6.5 seeds.
const K20: &[u8] = b"12345678901234567890";
const K32: &[u8] = b"12345678901234567890123456789012";
const K64: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

fn h(s: &str) -> Vec<u8> {
    hex::decode(s.replace([' ', '\n'], "")).expect("hex")
}

fn card_with(button: ButtonMode) -> (VirtualCard, ManualClock) {
    let (platform, clock) = Platform::deterministic(11, button);
    let applets: Vec<Box<dyn Applet>> = vec![Box::new(YkOathApplet::new())];
    let pin = PinState {
        value: PinState::pad(b"123456"),
        tries_left: 3,
        max_tries: 3,
        min_len: 6,
        max_len: 8,
        numeric_only: false,
    };
    let card = VirtualCard::new("ykoath", h(YK5_ATR), platform, pin, applets);
    (card, clock)
}

fn card() -> VirtualCard {
    card_with(ButtonMode::Manual).0
}

fn send(card: &mut VirtualCard, apdu: &[u8]) -> (Vec<u8>, u16) {
    let mut r = card.transmit(apdu);
    let sw = r.split_off(r.len() - 2);
    (r, u16::from_be_bytes([sw[0], sw[1]]))
}

/// Sends `cmd`, expects `resp` (hex, spaces ignored).
fn x(card: &mut VirtualCard, cmd: &str, resp: &str) {
    let got = hex::encode_upper(card.transmit(&h(cmd)));
    assert_eq!(
        got,
        resp.replace([' ', '\n'], "").to_uppercase(),
        "command {cmd}"
    );
}

/// `tag len value`.
fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut v = vec![tag, value.len() as u8];
    v.extend_from_slice(value);
    v
}

/// A short case-3/4 APDU `00 INS P1 P2 Lc data`.
fn apdu(ins: u8, p1: u8, p2: u8, data: &[u8]) -> Vec<u8> {
    let mut v = vec![0x00, ins, p1, p2, data.len() as u8];
    v.extend_from_slice(data);
    v
}

/// PUT `71 name 73 <type digits key> [78 prop] [7A imf]` (§1.4).
fn put(
    card: &mut VirtualCard,
    name: &str,
    type_byte: u8,
    digits: u8,
    key: &[u8],
    extra: &[u8],
) -> u16 {
    let mut k = vec![type_byte, digits];
    k.extend_from_slice(key);
    let mut data = tlv(0x71, name.as_bytes());
    data.extend_from_slice(&tlv(0x73, &k));
    data.extend_from_slice(extra);
    send(card, &apdu(0x01, 0, 0, &data)).1
}

fn calculate(card: &mut VirtualCard, name: &str, challenge: &[u8], p2: u8) -> (Vec<u8>, u16) {
    let mut data = tlv(0x71, name.as_bytes());
    data.extend_from_slice(&tlv(0x74, challenge));
    send(card, &apdu(0xA2, 0, p2, &data))
}

/// SELECT; returns (salt, challenge if any).
fn select(card: &mut VirtualCard) -> (Vec<u8>, Option<Vec<u8>>) {
    let (r, sw) = send(card, &h(SELECT));
    assert_eq!(sw, 0x9000);
    assert_eq!(r[..5], h("79 03 050204"), "version TLV");
    assert_eq!(r[5..7], [0x71, 0x08], "salt TLV");
    let salt = r[7..15].to_vec();
    match &r[15..] {
        [] => (salt, None),
        [0x74, 0x08, rest @ ..] => {
            assert_eq!(rest[8..], [0x7B, 0x01, 0x01], "algorithm TLV");
            (salt, Some(rest[..8].to_vec()))
        }
        other => panic!("unexpected SELECT tail {}", hex::encode(other)),
    }
}

fn hmac_sha1(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha1> as Mac>::new_from_slice(key).expect("hmac key");
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

/// §1.9: PBKDF2-HMAC-SHA1(password, salt = SELECT 71, 1000, 16).
fn derive(password: &str, salt: &[u8]) -> [u8; 16] {
    let mut key = [0u8; 16];
    pbkdf2::pbkdf2_hmac::<Sha1>(password.as_bytes(), salt, 1000, &mut key);
    key
}

fn set_code(card: &mut VirtualCard, key: &[u8]) -> u16 {
    let challenge = h("0102030405060708");
    let mut k = vec![0x21];
    k.extend_from_slice(key);
    let mut data = tlv(0x73, &k);
    data.extend_from_slice(&tlv(0x74, &challenge));
    data.extend_from_slice(&tlv(0x75, &hmac_sha1(key, &challenge)));
    send(card, &apdu(0x03, 0, 0, &data)).1
}

fn validate(card: &mut VirtualCard, key: &[u8], select_challenge: &[u8]) -> u16 {
    let host = h("A1A2A3A4A5A6A7A8");
    let mut data = tlv(0x75, &hmac_sha1(key, select_challenge));
    data.extend_from_slice(&tlv(0x74, &host));
    let (r, sw) = send(card, &apdu(0xA3, 0, 0, &data));
    if sw == 0x9000 {
        // Mutual authentication: the card proves the key on our challenge.
        assert_eq!(r, tlv(0x75, &hmac_sha1(key, &host)));
    }
    sw
}

#[test]
fn select_has_version_and_a_stable_salt() {
    // §1.3 real example shape: 79 03 05 02 04 71 08 <8 bytes> 90 00.
    let mut card = card();
    let (r, sw) = send(&mut card, &h(SELECT));
    assert_eq!((r.len(), sw), (15, 0x9000));
    let (salt, challenge) = select(&mut card);
    assert_eq!(challenge, None, "no 74/7B without a password");
    assert_eq!(
        r[7..],
        salt[..],
        "the salt is the device id: the same on every SELECT"
    );
    let state = card.save_state();
    let mut other = self::card();
    other.load_state(state).expect("load");
    assert_eq!(select(&mut other).0, salt);
}

#[test]
fn put_and_list_ykman_example() {
    // §1.4 PUT Microsoft:test@outlook.com, TOTP SHA1 6 digits, touch (78 02 without length).
    let mut card = card();
    select(&mut card);
    let put = format!(
        "00010000 30 711A{} 7310 2106 {} 7802",
        hex::encode(b"Microsoft:test@outlook.com"),
        hex::encode(b"14-byte-secret")
    );
    x(&mut card, &put, "9000");
    // §1.6: 72 1B 21 "Microsoft:test@outlook.com".
    x(
        &mut card,
        "00A10000",
        &format!("721B21{} 9000", hex::encode(b"Microsoft:test@outlook.com")),
    );
}

#[test]
fn rfc4226_through_calculate() {
    // protocols.md §6.4: truncated values (top bit clear) and full HMACs.
    let truncated = [
        "4c93cf18", "41397eea", "082fef30", "66ef7655", "61c5938a", "33c083d4", "7256c032",
        "04e5b397", "2823443f", "2679dc69",
    ];
    let full = [
        "cc93cf18508d94934c64b65d8ba7667fb7cde4b0",
        "75a48a19d4cbe100644e8ac1397eea747a2d33ab",
        "0bacb7fa082fef30782211938bc1c5e70416ff44",
    ];
    let mut card = card();
    select(&mut card);
    assert_eq!(put(&mut card, "hotp", 0x11, 6, K20, &[]), 0x9000);
    assert_eq!(put(&mut card, "hotp-full", 0x11, 6, K20, &[]), 0x9000);
    for t in truncated {
        // HOTP: empty challenge, the card's counter (§1.7).
        let (r, sw) = calculate(&mut card, "hotp", &[], 0x01);
        assert_eq!((hex::encode(r), sw), (format!("760506{t}"), 0x9000));
    }
    for f in full {
        let (r, sw) = calculate(&mut card, "hotp-full", &[], 0x00);
        assert_eq!((hex::encode(r), sw), (format!("751506{f}"), 0x9000));
    }
    // IMF (7A 04): starting at counter 5 gives 33c083d4 = 254676.
    let imf = h("7A04 00000005");
    assert_eq!(put(&mut card, "hotp-imf", 0x11, 6, K20, &imf), 0x9000);
    let (r, _) = calculate(&mut card, "hotp-imf", &[], 0x01);
    assert_eq!(hex::encode(r), "76050633c083d4");
}

#[test]
fn rfc6238_through_calculate() {
    // protocols.md §6.5, 8 digits; challenge = 8-byte T; code = u32 % 10^8.
    let rows: [(u64, [&str; 3]); 6] = [
        (0x1, ["94287082", "46119246", "90693936"]),
        (0x23523EC, ["07081804", "68084774", "25091201"]),
        (0x23523ED, ["14050471", "67062674", "99943326"]),
        (0x273EF07, ["89005924", "91819424", "93441116"]),
        (0x3F940AA, ["69279037", "90698825", "38618901"]),
        (0x27BC86AA, ["65353130", "77737706", "47863826"]),
    ];
    let mut card = card();
    select(&mut card);
    assert_eq!(put(&mut card, "RFC6238", 0x21, 8, K20, &[]), 0x9000);
    assert_eq!(put(&mut card, "RFC6238-256", 0x22, 8, K32, &[]), 0x9000);
    assert_eq!(put(&mut card, "RFC6238-512", 0x23, 8, K64, &[]), 0x9000);
    for (t, codes) in rows {
        for (name, code) in ["RFC6238", "RFC6238-256", "RFC6238-512"]
            .into_iter()
            .zip(codes)
        {
            let (r, sw) = calculate(&mut card, name, &t.to_be_bytes(), 0x01);
            assert_eq!((sw, &r[..3]), (0x9000, &[0x76, 0x05, 0x08][..]));
            let v = u32::from_be_bytes([r[3], r[4], r[5], r[6]]);
            assert_eq!(format!("{:08}", v % 100_000_000), code, "{name} T={t:X}");
        }
    }
}

/// CALCULATE ALL `00 A4 00 01`: needs the card to pass INS A4 with P1 ≠ 04 to
/// the selected applet (not treat it as SELECT).
#[test]
fn calculate_all_entries_and_send_remaining() {
    let mut card = card();
    select(&mut card);
    // Challenge 0 = RFC 4226 count 0: HMAC cc93cf18…, truncated 4c93cf18.
    assert_eq!(put(&mut card, "totp", 0x21, 6, K20, &[]), 0x9000);
    assert_eq!(put(&mut card, "hotp", 0x11, 6, K20, &[]), 0x9000);
    assert_eq!(put(&mut card, "touch", 0x21, 8, K20, &h("7802")), 0x9000);
    let expected = format!(
        "7104{} 760506 4c93cf18 7104{} 770106 7105{} 7C0108 9000",
        hex::encode(b"totp"),
        hex::encode(b"hotp"),
        hex::encode(b"touch")
    );
    x(&mut card, "00A400010A 7408 0000000000000000", &expected);
    let expected_full = format!(
        "7104{} 751506 cc93cf18508d94934c64b65d8ba7667fb7cde4b0 7104{} 770106 7105{} 7C0108 9000",
        hex::encode(b"totp"),
        hex::encode(b"hotp"),
        hex::encode(b"touch")
    );
    x(
        &mut card,
        "00A400000A 7408 0000000000000000",
        &expected_full,
    );
    // HOTP was not calculated: its counter is still 0.
    let (r, _) = calculate(&mut card, "hotp", &[], 0x01);
    assert_eq!(hex::encode(r), "7605064c93cf18");

    // Enough credentials for more than 256 bytes: 61xx, then A5.
    let mut want = vec![];
    for i in 0..8 {
        let name = format!("{i}-{}", "x".repeat(40));
        assert_eq!(put(&mut card, &name, 0x21, 6, K20, &[]), 0x9000);
        want.push(name);
    }
    let (first, sw) = send(&mut card, &h("00A400010A 7408 0000000000000000"));
    assert_eq!(sw >> 8, 0x61);
    let (rest, sw) = send(&mut card, &h("00A50000"));
    assert_eq!(sw, 0x9000);
    let all = [first, rest].concat();
    let mut expected =
        hex::decode(expected.replace(' ', "").trim_end_matches("9000")).expect("hex");
    for name in want {
        expected.extend_from_slice(&tlv(0x71, name.as_bytes()));
        expected.extend_from_slice(&h("760506 4c93cf18"));
    }
    assert_eq!(hex::encode(all), hex::encode(expected));
}

#[test]
fn list_chains_with_send_remaining() {
    let mut card = card();
    select(&mut card);
    let mut expected = vec![];
    for i in 0..6 {
        let name = format!("{i}:{}", "n".repeat(60));
        let type_byte = if i % 2 == 0 { 0x21 } else { 0x13 };
        assert_eq!(put(&mut card, &name, type_byte, 6, K20, &[]), 0x9000);
        let mut v = vec![type_byte];
        v.extend_from_slice(name.as_bytes());
        expected.extend_from_slice(&tlv(0x72, &v));
    }
    assert!(expected.len() > 256);
    let (first, sw) = send(&mut card, &h("00A10000"));
    assert_eq!(
        (first.len(), sw),
        (256, 0x6100 | (expected.len() - 256) as u16)
    );
    let (rest, sw) = send(&mut card, &h("00A50000"));
    assert_eq!(sw, 0x9000);
    assert_eq!([first, rest].concat(), expected);
    // Nothing pending: SEND REMAINING answers 6985.
    x(&mut card, "00A50000", "6985");
}

#[test]
fn access_code_locks_every_ins_but_validate_and_reset() {
    let mut card = card();
    let (salt, _) = select(&mut card);
    let key = derive("hunter2", &salt);
    assert_eq!(set_code(&mut card, &key), 0x9000);
    assert_eq!(
        put(&mut card, "acct", 0x21, 6, K20, &[]),
        0x9000,
        "still unlocked after SET CODE"
    );

    // A new 8-byte challenge on every SELECT while a password is set.
    let (salt2, c1) = select(&mut card);
    let (_, c2) = select(&mut card);
    assert_eq!(salt2, salt);
    let (c1, c2) = (c1.expect("74 08"), c2.expect("74 08"));
    assert_ne!(c1, c2);

    // 6982 for every INS other than A3 and 04 until VALIDATE.
    for cmd in [
        "00010000 06 7104 61636374",
        "00020000 06 7104 61636374",
        "00030000 02 7300",
        "00050000 0C 7104 61636374 7104 6e657731",
        "00A10000",
        "00A20001 0C 7104 61636374 7404 00000001",
        "00A400010A 7408 0000000000000001",
        "00A50000",
    ] {
        x(&mut card, cmd, "6982");
    }
    // The wrong password (PBKDF2 of another string over the same salt) fails.
    assert_eq!(validate(&mut card, &derive("hunter3", &salt), &c2), 0x6984);
    x(&mut card, "00A10000", "6982");
    // The right one unlocks, with the card's mutual response checked.
    assert_eq!(validate(&mut card, &key, &c2), 0x9000);
    x(
        &mut card,
        "00A10000",
        &format!("7205 21 {} 9000", hex::encode(b"acct")),
    );
    // A key derived with another salt is another key (PBKDF2 salt = SELECT 71).
    let (_, c3) = select(&mut card);
    let other_salt = h("0000000000000000");
    assert_eq!(
        validate(
            &mut card,
            &derive("hunter2", &other_salt),
            &c3.clone().expect("c")
        ),
        0x6984
    );
    assert_eq!(validate(&mut card, &key, &c3.expect("c")), 0x9000);

    // Clear the password: 73 00.
    x(&mut card, "00030000 02 7300", "9000");
    assert_eq!(select(&mut card).1, None);
    x(
        &mut card,
        "00A10000",
        &format!("7205 21 {} 9000", hex::encode(b"acct")),
    );
    // VALIDATE without a password: 6984.
    assert_eq!(validate(&mut card, &key, &c2), 0x6984);
}

#[test]
fn set_code_checks_the_response() {
    let mut card = card();
    let (salt, _) = select(&mut card);
    let key = derive("pw", &salt);
    let mut k = vec![0x21];
    k.extend_from_slice(&key);
    let mut data = tlv(0x73, &k);
    data.extend_from_slice(&tlv(0x74, &h("0102030405060708")));
    data.extend_from_slice(&tlv(0x75, &[0u8; 20]));
    assert_eq!(send(&mut card, &apdu(0x03, 0, 0, &data)).1, 0x6984);
    assert_eq!(select(&mut card).1, None, "no password was set");
    // The .NET SDK's algorithm byte 01 is accepted too.
    let challenge = h("1112131415161718");
    let mut k = vec![0x01];
    k.extend_from_slice(&key);
    let mut data = tlv(0x73, &k);
    data.extend_from_slice(&tlv(0x74, &challenge));
    data.extend_from_slice(&tlv(0x75, &hmac_sha1(&key, &challenge)));
    assert_eq!(send(&mut card, &apdu(0x03, 0, 0, &data)).1, 0x9000);
    assert!(select(&mut card).1.is_some());
}

#[test]
fn reset_works_locked_and_renews_the_salt() {
    let mut card = card();
    let (salt, _) = select(&mut card);
    assert_eq!(put(&mut card, "a", 0x21, 6, K20, &[]), 0x9000);
    assert_eq!(set_code(&mut card, &derive("pw", &salt)), 0x9000);
    select(&mut card);
    x(&mut card, "00040000", "6B00");
    x(&mut card, "0004DEAD", "9000");
    let (new_salt, challenge) = select(&mut card);
    assert_ne!(new_salt, salt);
    assert_eq!(challenge, None);
    x(&mut card, "00A10000", "9000");
}

#[test]
fn delete_rename_and_errors() {
    let mut card = card();
    select(&mut card);
    assert_eq!(put(&mut card, "old", 0x21, 6, K20, &[]), 0x9000);
    x(&mut card, "00050000 0A 7103 6f6c64 7103 6e6577", "9000");
    x(
        &mut card,
        "00A10000",
        &format!("7204 21 {} 9000", hex::encode(b"new")),
    );
    x(&mut card, "00020000 05 7103 6f6c64", "6984");
    x(&mut card, "00020000 05 7103 6e6577", "9000");
    x(&mut card, "00020000 05 7103 6e6577", "6984");
    assert_eq!(calculate(&mut card, "new", &[0; 8], 1).1, 0x6984);
    // Malformed PUTs: 6A80; no space: 6A84.
    assert_eq!(put(&mut card, &"n".repeat(65), 0x21, 6, K20, &[]), 0x6A80);
    assert_eq!(put(&mut card, "d", 0x21, 5, K20, &[]), 0x6A80);
    assert_eq!(put(&mut card, "d", 0x21, 9, K20, &[]), 0x6A80);
    assert_eq!(put(&mut card, "t", 0x31, 6, K20, &[]), 0x6A80);
    assert_eq!(put(&mut card, "a", 0x24, 6, K20, &[]), 0x6A80);
    x(&mut card, "00010000 03 7101 61", "6A80");
    for i in 0..32 {
        assert_eq!(put(&mut card, &format!("c{i}"), 0x21, 6, K20, &[]), 0x9000);
    }
    assert_eq!(
        put(&mut card, "c0", 0x21, 6, K20, &[]),
        0x9000,
        "overwrite needs no space"
    );
    assert_eq!(put(&mut card, "c32", 0x21, 6, K20, &[]), 0x6A84);
    // Unknown INS, CLA, P2.
    x(&mut card, "00FF0000", "6D00");
    x(&mut card, "80A10000", "6E00");
    assert_eq!(calculate(&mut card, "c1", &[0; 8], 2).1, 0x6B00);
}

#[test]
fn touch_credentials() {
    // Manual button: 6982 ("touch timed out"); a press inside the 15 s window
    // makes the next CALCULATE succeed.
    let (mut card, clock) = card_with(ButtonMode::Manual);
    select(&mut card);
    assert_eq!(put(&mut card, "t", 0x21, 6, K20, &h("7802")), 0x9000);
    assert_eq!(calculate(&mut card, "t", &[0; 8], 1).1, 0x6982);
    assert!(card.platform().button.is_waiting(), "the LED blinks");
    card.platform().button.press();
    let (r, sw) = calculate(&mut card, "t", &[0; 8], 1);
    assert_eq!((hex::encode(r), sw), ("7605064c93cf18".to_owned(), 0x9000));
    // The press was consumed.
    assert_eq!(calculate(&mut card, "t", &[0; 8], 1).1, 0x6982);
    // A press after the window does not count.
    clock.advance(Duration::from_secs(16));
    card.platform().button.press();
    assert_eq!(calculate(&mut card, "t", &[0; 8], 1).1, 0x6982);

    // Auto(1 s): the YubiKey would answer after the press; the card answers at once.
    let (mut card, _) = card_with(ButtonMode::Auto(Duration::from_secs(1)));
    select(&mut card);
    assert_eq!(put(&mut card, "t", 0x21, 6, K20, &h("7802")), 0x9000);
    assert_eq!(calculate(&mut card, "t", &[0; 8], 1).0, h("7605064c93cf18"));
    // Never: 6982.
    let (mut card, _) = card_with(ButtonMode::Never);
    select(&mut card);
    assert_eq!(put(&mut card, "t", 0x21, 6, K20, &h("7802")), 0x9000);
    assert_eq!(calculate(&mut card, "t", &[0; 8], 1).1, 0x6982);
    // Credentials without the property never wait.
    assert_eq!(put(&mut card, "plain", 0x21, 6, K20, &[]), 0x9000);
    assert_eq!(calculate(&mut card, "plain", &[0; 8], 1).1, 0x9000);
}

#[test]
fn counters_and_credentials_persist() {
    let mut card = card();
    select(&mut card);
    assert_eq!(put(&mut card, "hotp", 0x11, 6, K20, &[]), 0x9000);
    assert!(card.take_dirty());
    calculate(&mut card, "hotp", &[], 1);
    assert!(card.take_dirty(), "the HOTP counter moved");
    let state = card.save_state();
    let mut other = self::card();
    other.load_state(state).expect("load");
    select(&mut other);
    let (r, _) = calculate(&mut other, "hotp", &[], 1);
    assert_eq!(hex::encode(r), "76050641397eea", "RFC 4226 count 1");
}
