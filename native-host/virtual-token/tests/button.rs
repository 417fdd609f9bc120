//! The key's button actions on the Crescendo Key profile: GET / PUT BUTTON
//! CONFIGURATION on the slot-1 instance and what a press types. All of it is
//! emulator-defined (`applets/crescendo_oath/button.rs`, docs/VIRTUAL_TOKEN.md);
//! the HOTP typed by the factory single press is HID's §5.1 behaviour with the
//! RFC 4226 key of HID's personalisation transcript (§5.7): 755224, 287082.

use tessera_virtual_token::card::{Pressed, VirtualCard};
use tessera_virtual_token::platform::{ButtonMode, KeyStroke, Platform, Press};
use tessera_virtual_token::profile::Profile;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s.replace(' ', "")).expect("hex")
}

fn card() -> VirtualCard {
    let (platform, _clock) = Platform::deterministic(3, ButtonMode::Manual);
    Profile::CrescendoKey.build(platform)
}

fn x(card: &mut VirtualCard, cmd: &str, resp: &str) {
    let got = hex::encode_upper(card.transmit(&h(cmd)));
    assert_eq!(got, resp.replace(' ', ""), "command {cmd}");
}

const SELECT_ACA: &str = "00A4040007A000000079100000";
const VERIFY_PIN: &str = "00200000083030303030303030";
const SELECT_SLOT1: &str = "00A4040007A000000079230000";
const SELECT_SLOT2: &str = "00A4040007A000000079230100";
const GET: &str = "80CA060000";
/// HID's "Set HOTP config" and "Inject HOTP key" (corrected Lc) of §5.7.
const HID_PUT_CONFIG: &str =
    "80D805002700002322000000000000000000000600100000000000000000000000004F41544820484F545000";
const HID_PUT_KEY: &str = "80D804001900001514313233343536373839303132333435363738393000";

fn select(card: &mut VirtualCard, cmd: &str) {
    assert!(card.transmit(&h(cmd)).ends_with(&[0x90, 0x00]), "{cmd}");
}

fn login(card: &mut VirtualCard) {
    select(card, SELECT_ACA);
    x(card, VERIFY_PIN, "9000");
    select(card, SELECT_SLOT1);
}

#[test]
fn the_card_logs_each_command_header_for_the_control_socket() {
    let mut c = card();
    c.platform().apdus.take();
    login(&mut c);
    c.transmit(&h("80"));
    let headers: Vec<String> = c
        .platform()
        .apdus
        .take()
        .iter()
        .map(hex::encode_upper)
        .collect();
    assert_eq!(
        headers,
        ["00A40400", "00200000", "00A40400"],
        "a short frame has no header"
    );
}

fn typed(card: &VirtualCard) -> Vec<(u8, u8)> {
    card.platform()
        .keyboard
        .take()
        .iter()
        .map(|k: &KeyStroke| (k.modifiers, k.usage))
        .collect()
}

fn digits(code: &str) -> Vec<(u8, u8)> {
    code.bytes()
        .map(|c| (0, if c == b'0' { 0x27 } else { 0x1E + c - b'1' }))
        .collect()
}

#[test]
fn factory_single_press_types_slot_1_hotp() {
    let mut c = card();
    select(&mut c, SELECT_SLOT1);
    x(&mut c, GET, "010000009000");
    // No key yet: the press types nothing.
    assert_eq!(c.press(Press::Single), Pressed::Typed(0));
    login(&mut c);
    x(&mut c, HID_PUT_CONFIG, "9000");
    x(&mut c, HID_PUT_KEY, "9000");
    assert_eq!(c.press(Press::Single), Pressed::Typed(6));
    assert_eq!(typed(&c), digits("755224"));
    assert!(c.take_dirty(), "the counter moved");
    c.press(Press::Single);
    assert_eq!(typed(&c), digits("287082"));
    // The factory double press does nothing.
    assert_eq!(c.press(Press::Double), Pressed::Typed(0));
    assert!(typed(&c).is_empty());
}

#[test]
fn a_press_during_a_touch_wait_is_presence_only() {
    let mut c = card();
    login(&mut c);
    x(&mut c, HID_PUT_CONFIG, "9000");
    x(&mut c, HID_PUT_KEY, "9000");
    x(&mut c, "8088000000", "6985");
    assert_eq!(c.press(Press::Single), Pressed::Presence);
    assert!(typed(&c).is_empty());
    x(&mut c, "8088000000", "7552249000");
}

#[test]
fn static_password_is_put_with_the_pin_and_never_read_back() {
    let mut c = card();
    select(&mut c, SELECT_SLOT1);
    // "Ab1" on a US layout: Shift+A, B, 1.
    let put = "80D8060208 02 03 0204 0005 001E";
    x(&mut c, put, "6982");
    login(&mut c);
    x(&mut c, put, "9000");
    x(&mut c, GET, "010002039000");
    assert_eq!(c.press(Press::Double), Pressed::Typed(3));
    assert_eq!(typed(&c), [(0x02, 0x04), (0x00, 0x05), (0x00, 0x1E)]);
    // Single press to nothing, then to static with AltGr.
    x(&mut c, "80D8060101 00", "9000");
    assert_eq!(c.press(Press::Single), Pressed::Typed(0));
    x(&mut c, "80D8060104 02 01 4208", "9000");
    x(&mut c, GET, "020102039000");
    c.press(Press::Single);
    assert_eq!(typed(&c), [(0x42, 0x08)]);
    // Survives a save/load, and RESET CARD brings the factory actions back.
    let saved = c.save_state();
    let text = serde_json::to_string(&saved).expect("json");
    assert!(text.contains("\"button\""));
    let mut d = card();
    d.load_state(saved).expect("load");
    select(&mut d, SELECT_SLOT1);
    x(&mut d, GET, "020102039000");
}

#[test]
fn malformed_puts_and_other_slots() {
    let mut c = card();
    login(&mut c);
    for (cmd, sw) in [
        ("80D8060301 00", "6A86"),         // P2 names no press
        ("80D8060101 03", "6A80"),         // unknown action
        ("80D8060103 02 01 01", "6A80"),   // keystroke cut short
        ("80D8060104 02 01 0104", "6A80"), // Left Ctrl
        ("80D8060104 02 01 0029", "6A80"), // Escape
        ("80D8060102 0100", "6A80"),       // HOTP with data
        ("80CA06000101", "6700"),          // GET with data
        ("80CA070000", "6A86"),            // GET, wrong P1
    ] {
        x(&mut c, cmd, sw);
    }
    x(&mut c, GET, "010000009000");
    // Only slot 1 holds the button.
    select(&mut c, SELECT_SLOT2);
    x(&mut c, GET, "6D00");
    x(&mut c, "80D8060101 00", "6A86");
}

#[test]
fn factory_reset_restores_the_factory_actions() {
    use tessera_virtual_token::applet::Applet;
    use tessera_virtual_token::applets::crescendo_oath::CrescendoOathSlot;
    let mut c = card();
    login(&mut c);
    x(&mut c, "80D8060101 00", "9000");
    let saved = c.save_state().applets["oath-slot-1"].clone();
    assert_eq!(saved["button"]["single"], "00");
    let mut slot = CrescendoOathSlot::new(1);
    slot.load(saved).expect("load");
    slot.factory_reset();
    assert_eq!(slot.save()["button"]["single"], "01");
    assert_eq!(slot.save()["button"]["double"], "00");
    assert!(CrescendoOathSlot::new(2).save().get("button").is_none());
}
