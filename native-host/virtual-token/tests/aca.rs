//! ACA golden tests (crescendo-apdu.md §2.2, §3): HID's published bytes and the
//! documented status words, in-process through `VirtualCard::transmit`.

use aes::cipher::{generic_array::GenericArray, BlockEncrypt, KeyInit};
use tessera_virtual_token::card::VirtualCard;
use tessera_virtual_token::platform::{ButtonMode, Platform};
use tessera_virtual_token::profile::Profile;

fn card() -> VirtualCard {
    Profile::CrescendoKey.build(Platform::deterministic(7, ButtonMode::Never).0)
}

fn tx(card: &mut VirtualCard, apdu: &str) -> String {
    let bytes = hex::decode(apdu.replace(' ', "")).expect("hex");
    hex::encode_upper(card.transmit(&bytes))
}

const SELECT_ACA: &str = "00A4040007A0000000791000";
const VERIFY_DEFAULT: &str = "00200000083030303030303030";

/// AES-128-ECB of one block with the all-zero factory admin key (test side, RustCrypto).
fn aes_zero(challenge: &[u8]) -> String {
    let cipher = aes::Aes128::new_from_slice(&[0u8; 16]).expect("key");
    let mut block = GenericArray::clone_from_slice(challenge);
    cipher.encrypt_block(&mut block);
    hex::encode_upper(block)
}

fn xauth(card: &mut VirtualCard) {
    let r = tx(card, "0084000000");
    assert_eq!(r.len(), 36, "16-byte challenge for an AES key: {r}");
    let challenge = hex::decode(&r[..32]).expect("hex");
    assert_eq!(
        tx(card, &format!("0082000110{}", aes_zero(&challenge))),
        "9000"
    );
}

#[test]
fn hid_select_and_verify_transcript() {
    let mut c = card();
    assert_eq!(
        tx(&mut c, SELECT_ACA),
        "6F128407A0000000791000A507010510030003019000"
    );
    assert_eq!(tx(&mut c, VERIFY_DEFAULT), "9000");
}

#[test]
fn wrong_pin_counts_down_then_blocks() {
    let mut c = card();
    tx(&mut c, SELECT_ACA);
    assert_eq!(
        tx(&mut c, "0020000000"),
        "63C6",
        "empty VERIFY probes the counter"
    );
    for left in (1..=5).rev() {
        assert_eq!(
            tx(&mut c, "00200000083131313131313131"),
            format!("63C{left}")
        );
    }
    assert_eq!(tx(&mut c, "00200000083131313131313131"), "6983");
    assert_eq!(
        tx(&mut c, VERIFY_DEFAULT),
        "6983",
        "blocked even for the right PIN"
    );
    assert_eq!(
        tx(&mut c, "00240100103030303030303030313233343536FFFF"),
        "6983"
    );
}

#[test]
fn change_pin_documented_example_and_errors() {
    let mut c = card();
    tx(&mut c, SELECT_ACA);
    // §3.3 constructed example: 00000000 → 123456.
    assert_eq!(
        tx(&mut c, "00240100103030303030303030313233343536FFFF"),
        "9000"
    );
    assert_eq!(tx(&mut c, VERIFY_DEFAULT), "63C5");
    assert_eq!(tx(&mut c, "0020000008313233343536FFFF"), "9000");
    // New PIN too short (3 digits) and non-numeric → 6A80; wrong old → 63CX.
    assert_eq!(
        tx(&mut c, "0024010010313233343536FFFF313233FFFFFFFFFF"),
        "6A80"
    );
    assert_eq!(
        tx(&mut c, "0024010010313233343536FFFF31323361FFFFFFFF"),
        "6A80"
    );
    assert_eq!(
        tx(&mut c, "00240100103030303030303030313233343536FFFF"),
        "63C5"
    );
    assert_eq!(
        tx(&mut c, "00240000103030303030303030313233343536FFFF"),
        "6A86",
        "P1 must be 01"
    );
}

#[test]
fn pin_properties() {
    let mut c = card();
    tx(&mut c, SELECT_ACA);
    assert_eq!(tx(&mut c, "00560200013100"), "310504080000019000");
    assert_eq!(tx(&mut c, "00560100013100"), "6A86");
}

#[test]
fn external_authenticate_and_unlock_pin() {
    let mut c = card();
    tx(&mut c, SELECT_ACA);
    assert_eq!(
        tx(&mut c, "00820001100000000000000000000000000000000000"),
        "6985",
        "no challenge yet"
    );
    // UNLOCK before XAUTH: 63CX with the unlock tries left.
    assert_eq!(tx(&mut c, "002C020008313233343536FFFF"), "63CA");
    // Block the PIN, then the §3.7 full unblock.
    for _ in 0..6 {
        tx(&mut c, "00200000083131313131313131");
    }
    assert_eq!(tx(&mut c, VERIFY_DEFAULT), "6983");
    xauth(&mut c);
    assert_eq!(tx(&mut c, "002C020008313233343536FFFF"), "9000");
    assert_eq!(tx(&mut c, "0020000008313233343536FFFF"), "9000");
    assert_eq!(tx(&mut c, "0020000000"), "9000");
}

#[test]
fn wrong_cryptogram_costs_an_unlock_try_and_challenges_are_single_use() {
    let mut c = card();
    tx(&mut c, SELECT_ACA);
    tx(&mut c, "0084000000");
    assert_eq!(
        tx(&mut c, "00820001100000000000000000000000000000000000"),
        "6300"
    );
    assert_eq!(
        tx(&mut c, "00820001100000000000000000000000000000000000"),
        "6985"
    );
    assert_eq!(tx(&mut c, "002C020008313233343536FFFF"), "63C9");
}

#[test]
fn put_xauth_key_needs_pin_and_switches_to_tdes() {
    let mut c = card();
    tx(&mut c, SELECT_ACA);
    let tdes = format!("00D801001D00031918{}00", "00".repeat(24));
    assert_eq!(tx(&mut c, &tdes), "6982");
    assert_eq!(tx(&mut c, VERIFY_DEFAULT), "9000");
    assert_eq!(tx(&mut c, &tdes), "9000");
    let r = tx(&mut c, "0084000000");
    assert_eq!(r.len(), 20, "8-byte challenge for a TDES key: {r}");
    // §3.6 documented AES zero-key example restores the factory key.
    assert_eq!(
        tx(&mut c, &format!("00D801001500081110{}00", "00".repeat(16))),
        "9000"
    );
    assert_eq!(tx(&mut c, "0084000000").len(), 36);
    assert_eq!(tx(&mut c, "00D8010003000811"), "6A80", "truncated key data");
}

#[test]
fn reset_card_needs_pin_and_restores_the_default_pin() {
    let mut c = card();
    tx(&mut c, SELECT_ACA);
    assert_eq!(tx(&mut c, "00380000"), "6982");
    tx(&mut c, VERIFY_DEFAULT);
    tx(&mut c, "00240100103030303030303030313233343536FFFF");
    assert_eq!(tx(&mut c, "00380000"), "9000");
    // Security status is gone, the PIN is 00000000 again, XAUTH key 1 is cleared.
    assert_eq!(tx(&mut c, "0020000000"), "63C6");
    assert_eq!(tx(&mut c, "0084000000"), "6A88");
    assert_eq!(tx(&mut c, VERIFY_DEFAULT), "9000");
    // 3rd-party script form with CLA 80 (§3.8).
    assert_eq!(tx(&mut c, "80380000"), "9000");
}

#[test]
fn pin_state_survives_power_cycles_and_verification_does_not() {
    let mut c = card();
    tx(&mut c, SELECT_ACA);
    tx(&mut c, VERIFY_DEFAULT);
    tx(&mut c, "00200000083131313131313131");
    c.reset();
    tx(&mut c, SELECT_ACA);
    assert_eq!(tx(&mut c, "0020000000"), "63C5");
    let saved = c.save_state();
    let mut d = card();
    d.load_state(saved).expect("loads");
    tx(&mut d, SELECT_ACA);
    assert_eq!(tx(&mut d, "0020000000"), "63C5");
}
