//! Golden tests of the Crescendo Key OATH slots: HID's published transcripts
//! (crescendo-apdu.md §5.7, §2.4, §5.5) replayed byte for byte through a
//! `VirtualCard` with the real ACA, plus RFC 4226/6238 vectors and the documented
//! status words. Configuration bytes other than HID's HOTP sample follow the
//! emulator-defined layout of `crescendo_oath::encoding`.

use std::time::Duration;

use tessera_virtual_token::applet::{Applet, Interface, PinState};
use tessera_virtual_token::applets::aca::{AcaApplet, XauthKey};
use tessera_virtual_token::applets::crescendo_oath::CrescendoOathSlot;
use tessera_virtual_token::card::VirtualCard;
use tessera_virtual_token::platform::{ButtonMode, Platform};

const ATR: &str = "3BD996FF8191FE1FC34332333030 2D4B4559BA";

fn h(s: &str) -> Vec<u8> {
    hex::decode(s.replace([' ', '\n'], "")).expect("hex")
}

fn card_with(button: ButtonMode) -> VirtualCard {
    let (platform, _clock) = Platform::deterministic(7, button);
    let applets: Vec<Box<dyn Applet>> = vec![
        Box::new(AcaApplet::new(Some(XauthKey::factory_aes()))),
        Box::new(CrescendoOathSlot::new(1)),
        Box::new(CrescendoOathSlot::new(2)),
        Box::new(CrescendoOathSlot::new(3)),
    ];
    let pin = PinState {
        value: PinState::pad(b"00000000"),
        tries_left: 6,
        max_tries: 6,
        min_len: 4,
        max_len: 8,
        numeric_only: true,
    };
    VirtualCard::new("crescendo-key", h(ATR), platform, pin, applets)
}

fn card() -> VirtualCard {
    card_with(ButtonMode::Manual)
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

/// Sends a SELECT whose reply is checked elsewhere; expects `9000`.
fn select(card: &mut VirtualCard, cmd: &str) {
    let got = card.transmit(&h(cmd));
    assert!(
        got.ends_with(&[0x90, 0x00]),
        "SELECT {cmd}: {}",
        hex::encode_upper(&got)
    );
}

fn press(card: &VirtualCard) {
    card.platform().button.press();
}

const SELECT_ACA: &str = "00A4040007A0000000791000";
const SELECT_ACA_RESP: &str = "6F128407A0000000791000A507010510030003019000";
const VERIFY_PIN: &str = "00200000083030303030303030";
const SELECT_SLOT1: &str = "00A4040007A0000000792300";
const SELECT_SLOT2: &str = "00A4040007A0000000792301";
const SELECT_SLOT3: &str = "00A4040007A0000000792302";
/// §5.7 "Select OATH HOTP" response exactly as published, with its doubled `26`.
const SELECT_SLOT1_PUBLISHED: &str = "6F2F8407A0000000792300A5240105230300030226260201014A170000000000000000000000000600101E000000000000069000";
/// §5.7 TOTP usage "Select OATH TOTP" response (also §2.4).
const SELECT_SLOT2_RESP: &str = "6F2F8407A0000000792301A52401052303000302260201014A170000000000000000000000000600101E000000000000069000";
/// §5.7 "Set HOTP config".
const PUT_HOTP_CONFIG: &str =
    "80D805002700002322000000000000000000000600100000000000000000000000004F41544820484F545000";
/// §5.7 "Inject HOTP key": "12345678901234567890".
const PUT_RFC_KEY: &str = "80D80400190000151431323334353637383930313233343536373839303000";
const HOTP: &str = "8088000000";
const TOTP_SAMPLE: &str = "80881100045E84A802";

/// The §2.4 correction: the published HOTP SELECT minus the duplicated `26`.
fn select_slot1_factory() -> String {
    let corrected = SELECT_SLOT1_PUBLISHED.replacen("0226260201", "02260201", 1);
    assert_eq!(corrected.len() + 2, SELECT_SLOT1_PUBLISHED.len());
    corrected
}

/// `80 D8 05 00 Lc 00 00 L+1 L <config> 00` (§5.2 framing, short lengths).
fn put_config(config: &[u8]) -> String {
    let n = config.len();
    format!(
        "80D80500{:02X}0000{:02X}{:02X}{}00",
        n + 5,
        n + 1,
        n,
        hex::encode_upper(config)
    )
}

/// `80 D8 04 00 Lc 00 00 L+1 L <key> 00`.
fn put_key(key: &[u8]) -> String {
    let n = key.len();
    format!(
        "80D80400{:02X}0000{:02X}{:02X}{}00",
        n + 5,
        n + 1,
        n,
        hex::encode_upper(key)
    )
}

/// Emulator-defined configuration (encoding.rs layout): counter 0, `mode algo
/// digits 00 10 step unit`, 5 RFU, contact/contactless access, suite length, 2 RFU,
/// suite ‖ name.
fn config(mode_algo_digits: &str, step: u8, access: u8, suite: &str, name: &str) -> Vec<u8> {
    let mut c = h("0000000000000000");
    c.extend_from_slice(&h(mode_algo_digits));
    c.extend_from_slice(&[0x00, 0x10, step, 0x00, 0, 0, 0, 0, 0, access, access]);
    c.push(suite.len() as u8);
    c.extend_from_slice(&[0, 0]);
    c.extend_from_slice(suite.as_bytes());
    c.extend_from_slice(name.as_bytes());
    c
}

/// TOTP configuration for HID's usage sample: SHA1, 6 digits, 30 s, PIN + touch.
fn totp_config() -> Vec<u8> {
    config("00 00 06", 30, 0x06, "", "OATH TOTP")
}

fn ocra_config() -> Vec<u8> {
    config("02 00 06", 0, 0x06, "OCRA-1:HOTP-SHA1-6:QN08", "OATH OCRA")
}

/// §5.5 OCRA AUTHENTICATE with a 128-byte pre-formatted challenge.
fn ocra_command(challenge_prefix: &str) -> String {
    let mut q = h(challenge_prefix);
    q.resize(128, 0);
    format!("80872200 88 7C8185 8200 818180 {} 00", hex::encode_upper(q)).replace(' ', "")
}

fn personalize_hotp(card: &mut VirtualCard) {
    x(card, SELECT_ACA, SELECT_ACA_RESP);
    x(card, VERIFY_PIN, "9000");
    x(card, SELECT_SLOT1, &select_slot1_factory());
    x(card, PUT_HOTP_CONFIG, "9000");
    x(card, PUT_RFC_KEY, "9000");
}

#[test]
fn hid_hotp_personalization_then_rfc4226_counters() {
    let mut card = card();
    personalize_hotp(&mut card);
    // §5.3/§5.8: 6985 until the button is pressed, then 755224 (RFC 4226 count 0).
    x(&mut card, HOTP, "6985");
    x(&mut card, HOTP, "6985");
    press(&card);
    x(&mut card, HOTP, "755224 9000");
    // The rest of RFC 4226 Appendix D (protocols.md §6.4), one press each.
    for code in [
        "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489",
    ] {
        x(&mut card, HOTP, "6985");
        press(&card);
        x(&mut card, HOTP, &format!("{code}9000"));
    }
    assert!(card.take_dirty(), "the HOTP counter is persistent state");
}

#[test]
fn hotp_counter_survives_save_and_load() {
    let mut card = card();
    personalize_hotp(&mut card);
    for code in ["755224", "287082"] {
        x(&mut card, HOTP, "6985");
        press(&card);
        x(&mut card, HOTP, &format!("{code}9000"));
    }
    let state = card.save_state();
    let mut other = self::card();
    other.load_state(state).expect("load");
    // HID's HOTP config has access Always: no PIN in this new session.
    select(&mut other, SELECT_SLOT1);
    x(&mut other, HOTP, "6985");
    press(&other);
    x(&mut other, HOTP, "359152 9000");
}

#[test]
fn select_reflects_the_configuration() {
    let mut card = card();
    personalize_hotp(&mut card);
    x(&mut card, HOTP, "6985");
    press(&card);
    x(&mut card, HOTP, "755224 9000");
    // 4A: counter 1, 00 00, then config bytes 8-20 of HID's HOTP sample.
    x(
        &mut card,
        SELECT_SLOT1,
        "6F2F8407A0000000792300A5240105230300030226020101
         4A17 0000000000000001 0000 00 00 06 00 10 00 000000000000 00 9000",
    );
}

#[test]
fn hid_totp_usage_sequence() {
    let mut card = card();
    // Personalization (HID's TOTP config bytes are lost; emulator-defined here).
    x(&mut card, SELECT_ACA, SELECT_ACA_RESP);
    x(&mut card, VERIFY_PIN, "9000");
    x(&mut card, SELECT_SLOT2, SELECT_SLOT2_RESP);
    x(&mut card, &put_config(&totp_config()), "9000");
    x(&mut card, PUT_RFC_KEY, "9000");
    card.reset();
    // §5.7 TOTP usage, byte for byte.
    x(&mut card, SELECT_ACA, SELECT_ACA_RESP);
    x(&mut card, VERIFY_PIN, "9000");
    x(&mut card, SELECT_SLOT2, SELECT_SLOT2_RESP);
    x(&mut card, TOTP_SAMPLE, "6985");
    x(&mut card, TOTP_SAMPLE, "6985");
    press(&card);
    x(&mut card, TOTP_SAMPLE, "3409099000");
    // A new OTP needs a new press.
    x(&mut card, TOTP_SAMPLE, "6985");
}

#[test]
fn totp_with_le_and_auto_button() {
    let mut card = card_with(ButtonMode::Auto(Duration::ZERO));
    x(&mut card, SELECT_ACA, SELECT_ACA_RESP);
    x(&mut card, VERIFY_PIN, "9000");
    x(&mut card, SELECT_SLOT2, SELECT_SLOT2_RESP);
    x(&mut card, &put_config(&totp_config()), "9000");
    x(&mut card, PUT_RFC_KEY, "9000");
    // §5.4 form with Le; an Auto(0) button is pressed as soon as the card waits.
    x(&mut card, "80881100045E84A80200", "3409099000");
}

#[test]
fn rfc6238_vectors_on_every_algorithm() {
    // protocols.md §6.5, 8 digits, 30 s, through the card (access Always: no PIN, no touch).
    let seeds: [(&str, &[u8], [&str; 6]); 3] = [
        (
            "00 00 08",
            b"12345678901234567890",
            [
                "94287082", "07081804", "14050471", "89005924", "69279037", "65353130",
            ],
        ),
        (
            "00 01 08",
            b"12345678901234567890123456789012",
            [
                "46119246", "68084774", "67062674", "91819424", "90698825", "77737706",
            ],
        ),
        (
            "00 02 08",
            b"1234567890123456789012345678901234567890123456789012345678901234",
            [
                "90693936", "25091201", "99943326", "93441116", "38618901", "47863826",
            ],
        ),
    ];
    // 20000000000 does not fit the 4-byte time field: that row stays in otp.rs.
    let times: [u32; 5] = [59, 1111111109, 1111111111, 1234567890, 2000000000];
    let mut card = card();
    x(&mut card, SELECT_ACA, SELECT_ACA_RESP);
    x(&mut card, VERIFY_PIN, "9000");
    for (algo, seed, codes) in seeds {
        select(&mut card, SELECT_SLOT3);
        x(
            &mut card,
            &put_config(&config(algo, 30, 0x00, "", "RFC6238")),
            "9000",
        );
        x(&mut card, &put_key(seed), "9000");
        for (time, code) in times.iter().zip(codes) {
            x(
                &mut card,
                &format!("8088110004{time:08X}"),
                &format!("{code}9000"),
            );
        }
    }
}

#[test]
fn seven_and_ten_digit_hotp() {
    let mut card = card();
    x(&mut card, SELECT_ACA, SELECT_ACA_RESP);
    x(&mut card, VERIFY_PIN, "9000");
    x(&mut card, SELECT_SLOT2, SELECT_SLOT2_RESP);
    // RFC 4226 count 0: truncated value 1284755224 (protocols.md §6.4).
    x(
        &mut card,
        &put_config(&config("00 00 0A", 0, 0x02, "", "TEN")),
        "9000",
    );
    x(&mut card, PUT_RFC_KEY, "9000");
    x(&mut card, HOTP, "6985");
    press(&card);
    x(&mut card, HOTP, "1284755224 9000");
    // Seven digits: 4755224, a leading 0 nibble (emulator-defined).
    x(
        &mut card,
        &put_config(&config("00 00 07", 0, 0x02, "", "SEVEN")),
        "9000",
    );
    x(&mut card, PUT_RFC_KEY, "9000");
    x(&mut card, HOTP, "6985");
    press(&card);
    x(&mut card, HOTP, "04755224 9000");
}

#[test]
fn hid_ocra_example() {
    let mut card = card();
    x(&mut card, SELECT_ACA, SELECT_ACA_RESP);
    x(&mut card, VERIFY_PIN, "9000");
    select(&mut card, SELECT_SLOT3);
    x(&mut card, &put_config(&ocra_config()), "9000");
    x(&mut card, PUT_RFC_KEY, "9000");
    // §5.5: Q = 44444444 → 2A62B1C, left-aligned; 608993 (RFC 6287 C.1).
    let q4 = ocra_command("2A62B1C0");
    assert_eq!(q4.len(), 2 * (5 + 0x88 + 1));
    x(&mut card, &q4, "6985");
    press(&card);
    x(&mut card, &q4, "7C05820360899390 00");
    // The page's own example: Q = 00000000 → 237653.
    let q0 = ocra_command("");
    x(&mut card, &q0, "6985");
    press(&card);
    x(&mut card, &q0, "7C058203237653 9000");
    // CLA 90 chaining (§5.5): the card joins the blocks.
    let data = &h(&q4)[5..5 + 0x88];
    let (first, last) = data.split_at(100);
    x(
        &mut card,
        &format!("90872200{:02X}{}", first.len(), hex::encode(first)),
        "9000",
    );
    press(&card); // nothing waits yet: discarded
    x(
        &mut card,
        &format!("80872200{:02X}{}00", last.len(), hex::encode(last)),
        "6985",
    );
    press(&card);
    x(&mut card, &q4, "7C05820360899390 00");
}

#[test]
fn ocra_with_counter_pin_and_time() {
    // RFC 6287 C.1 OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1, C = 0 and 1, Q = 12345678, PIN 1234.
    let suite = "OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1";
    let mut card = card();
    x(&mut card, SELECT_ACA, SELECT_ACA_RESP);
    x(&mut card, VERIFY_PIN, "9000");
    x(&mut card, SELECT_SLOT2, SELECT_SLOT2_RESP);
    x(
        &mut card,
        &put_config(&config("02 01 08", 0, 0x02, suite, "C")),
        "9000",
    );
    x(
        &mut card,
        &put_key(b"12345678901234567890123456789012"),
        "9000",
    );
    // 12345678 = BC614E, left-aligned.
    let mut dos = h("8200 818180 BC614E");
    dos.resize(5 + 128, 0);
    dos.extend_from_slice(&h("8414 7110eda4d09e062aa5e4a390b0a572ac0d2c0220"));
    let cmd = format!(
        "80872200{:02X}7C81{:02X}{}00",
        dos.len() + 3,
        dos.len(),
        hex::encode(&dos)
    );
    x(&mut card, &cmd, "7C068204 65347737 9000");
    x(&mut card, &cmd, "7C068204 86775851 9000");
    // Without the PIN DO the suite's P is missing: 6A80, and the counter stays.
    let mut no_pin = h("8200 818180 BC614E");
    no_pin.resize(5 + 128, 0);
    let bad = format!(
        "80872200{:02X}7C81{:02X}{}00",
        no_pin.len() + 3,
        no_pin.len(),
        hex::encode(&no_pin)
    );
    x(&mut card, &bad, "6A80");
    x(&mut card, &cmd, "7C068204 78192410 9000");

    // OCRA-1:HOTP-SHA512-8:QN08-T1M, T = 132d0b6 minutes: Unix time 132d0b6 × 60.
    let suite = "OCRA-1:HOTP-SHA512-8:QN08-T1M";
    x(
        &mut card,
        &put_config(&config("02 02 08", 0, 0x02, suite, "T")),
        "9000",
    );
    x(
        &mut card,
        &put_key(b"1234567890123456789012345678901234567890123456789012345678901234"),
        "9000",
    );
    let time = 0x132d0b6u32 * 60 + 59;
    let mut dos = h("8200 818180");
    dos.resize(5 + 128, 0);
    dos.extend_from_slice(&h(&format!("8304{time:08X}")));
    let cmd = format!(
        "80872200{:02X}7C81{:02X}{}00",
        dos.len() + 3,
        dos.len(),
        hex::encode(&dos)
    );
    x(&mut card, &cmd, "7C068204 95209754 9000");
}

#[test]
fn documented_status_words() {
    let mut card = card();
    x(&mut card, SELECT_SLOT1, &select_slot1_factory());
    // PUT without VERIFY PIN: 6982 (§5.6).
    x(&mut card, PUT_HOTP_CONFIG, "6982");
    x(&mut card, PUT_RFC_KEY, "6982");
    // Factory access is PIN + touch: TOTP/HOTP without PIN → 6982.
    x(&mut card, SELECT_SLOT2, SELECT_SLOT2_RESP);
    x(&mut card, TOTP_SAMPLE, "6982");
    x(&mut card, HOTP, "6982");
    // TOTP Lc ≠ 4 → 6700 (§5.4), checked first.
    x(&mut card, "808811000300A802", "6700");
    x(&mut card, "80881100055E84A80200", "6700");
    x(&mut card, "8088110000", "6700");
    // Wrong P1/P2 → 6A86, unknown INS → 6D00, unknown CLA → 6E00.
    x(&mut card, "8088010000", "6A86");
    x(&mut card, "8088000100", "6A86");
    x(&mut card, "8087000000", "6A86");
    x(&mut card, "80D8060000", "6A86");
    x(&mut card, "80CA000000", "6D00");
    x(&mut card, "A088000000", "6E00");
    // With the PIN: no key yet → 6A88.
    x(&mut card, SELECT_ACA, SELECT_ACA_RESP);
    x(&mut card, VERIFY_PIN, "9000");
    x(&mut card, SELECT_SLOT2, SELECT_SLOT2_RESP);
    x(&mut card, TOTP_SAMPLE, "6A88");
    // Malformed PUT values and configurations → 6A80.
    x(&mut card, "80D8040005000015143132", "6A80");
    x(
        &mut card,
        &put_config(&config("05 00 06", 30, 6, "", "")),
        "6A80",
    );
    x(
        &mut card,
        &put_config(&config("00 00 05", 30, 6, "", "")),
        "6A80",
    );
    x(&mut card, &put_config(&h("00000000")), "6A80");
    let long_key = format!(
        "80D80400{:02X}00008182 8181{}00",
        2 + 4 + 129 + 1,
        "11".repeat(129)
    );
    x(&mut card, &long_key, "6A80");
    // Slot 1 is HOTP only: no TOTP/OCRA mode, no TOTP AUTHENTICATE.
    x(&mut card, SELECT_SLOT1, &select_slot1_factory());
    x(&mut card, &put_config(&ocra_config()), "6A80");
    x(&mut card, PUT_RFC_KEY, "9000");
    x(&mut card, TOTP_SAMPLE, "6986");
    // HOTP slot asked for OCRA, malformed OCRA data.
    x(&mut card, &ocra_command(""), "6986");
    select(&mut card, SELECT_SLOT3);
    x(&mut card, &put_config(&ocra_config()), "9000");
    x(&mut card, PUT_RFC_KEY, "9000");
    x(&mut card, "80872200047C028100 00", "6A80");
    x(&mut card, HOTP, "6986");
}

#[test]
fn configuration_erases_the_key_and_empty_values_remove() {
    let mut card = card();
    personalize_hotp(&mut card);
    x(&mut card, PUT_HOTP_CONFIG, "9000");
    x(&mut card, HOTP, "6A88");
    x(&mut card, PUT_RFC_KEY, "9000");
    x(&mut card, "80D8040003000000", "9000");
    x(&mut card, HOTP, "6A88");
    // Removing the configuration restores the factory one (SELECT shows it).
    x(&mut card, PUT_RFC_KEY, "9000");
    x(&mut card, "80D8050003000000", "9000");
    x(&mut card, SELECT_SLOT1, &select_slot1_factory());
    x(&mut card, HOTP, "6A88");
}

#[test]
fn chained_put_with_p1_b7() {
    let mut card = card();
    personalize_hotp(&mut card);
    x(&mut card, PUT_HOTP_CONFIG, "9000");
    let apdu = h(PUT_RFC_KEY);
    let data = &apdu[5..5 + 0x19]; // without the Le
    let (a, b) = data.split_at(10);
    x(
        &mut card,
        &format!("80D88400{:02X}{}", a.len(), hex::encode(a)),
        "9000",
    );
    x(
        &mut card,
        &format!("80D80400{:02X}{}", b.len(), hex::encode(b)),
        "9000",
    );
    x(&mut card, HOTP, "6985");
    press(&card);
    x(&mut card, HOTP, "755224 9000");
}

#[test]
fn access_conditions_per_interface() {
    let mut card = card();
    x(&mut card, SELECT_ACA, SELECT_ACA_RESP);
    x(&mut card, VERIFY_PIN, "9000");
    x(&mut card, SELECT_SLOT2, SELECT_SLOT2_RESP);
    // Contact: Always (00); contactless: Never (01).
    let mut c = totp_config();
    c[20] = 0x00;
    c[21] = 0x01;
    x(&mut card, &put_config(&c), "9000");
    x(&mut card, PUT_RFC_KEY, "9000");
    card.reset();
    select(&mut card, SELECT_SLOT2);
    x(&mut card, TOTP_SAMPLE, "3409099000"); // Always: no PIN, no touch
    x(&mut card, HOTP, "6985"); // HOTP always needs the button
    press(&card);
    x(&mut card, HOTP, "755224 9000");
    card.set_interface(Interface::Contactless);
    card.reset();
    select(&mut card, SELECT_SLOT2);
    x(&mut card, TOTP_SAMPLE, "6982");
    x(&mut card, HOTP, "6982");
    // PIN only (02) over contactless: TOTP without touch once verified.
    card.set_interface(Interface::Contact);
    x(&mut card, SELECT_ACA, SELECT_ACA_RESP);
    x(&mut card, VERIFY_PIN, "9000");
    select(&mut card, SELECT_SLOT2);
    c[21] = 0x02;
    x(&mut card, &put_config(&c), "9000");
    x(&mut card, PUT_RFC_KEY, "9000");
    card.set_interface(Interface::Contactless);
    card.reset();
    select(&mut card, SELECT_SLOT2);
    x(&mut card, TOTP_SAMPLE, "6982");
    x(&mut card, SELECT_ACA, SELECT_ACA_RESP);
    x(&mut card, VERIFY_PIN, "9000");
    select(&mut card, SELECT_SLOT2);
    x(&mut card, TOTP_SAMPLE, "3409099000");
}

#[test]
fn reset_card_erases_oath_slots() {
    let mut card = card();
    personalize_hotp(&mut card);
    x(&mut card, SELECT_ACA, SELECT_ACA_RESP);
    x(&mut card, "00380000", "9000");
    x(&mut card, VERIFY_PIN, "9000");
    x(&mut card, SELECT_SLOT1, &select_slot1_factory());
    x(&mut card, HOTP, "6A88");
}
