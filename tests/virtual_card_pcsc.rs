//! The virtual token behind the real pcscd + vsmartcard vpcd, driven by
//! third-party tools: pcsc-tools' `scriptor` replays HID's published sequences
//! (crescendo-apdu.md §5.7), and unplug/replug is seen by pcscd.

#[path = "support/pcsc_env.rs"]
mod pcsc_env;

use std::time::Duration;

use pcsc_env::{card_present, scriptor, serial, wait_until, Pcscd, Scriptor, VirtualCard};

fn responses(pairs: &[(String, String)]) -> Vec<&str> {
    pairs.iter().map(|(_, r)| r.as_str()).collect()
}

/// PUT CONFIGURATION of slot 2 as TOTP, SHA1, 6 digits, 30 s, "OATH TOTP". The
/// mode and time-step bytes are emulator-defined (docs/VIRTUAL_TOKEN.md), the
/// layout otherwise follows HID's HOTP sample.
const TOTP_CONFIG: &str =
    "80D805002700002322000000000000000000000600101E00000000000006060000004F41544820544F545000";

#[test]
fn scriptor_replays_hid_hotp_personalization() {
    let _serial = serial();
    let _pcscd = Pcscd::start();
    let card = VirtualCard::start("crescendo-key", "auto");
    let pairs = scriptor(
        card.reader,
        &[
            "00A4040007A0000000791000",
            "00200000083030303030303030",
            "00A4040007A0000000792300",
            "80D805002700002322000000000000000000000600100000000000000000000000004F41544820484F545000",
            "80D80400190000151431323334353637383930313233343536373839303000",
        ],
    );
    assert_eq!(
        responses(&pairs),
        [
            "6F128407A0000000791000A507010510030003019000",
            "9000",
            // Published with a duplicated 26 (a typo, crescendo-apdu.md §2.4): corrected form.
            "6F2F8407A0000000792300A52401052303000302260201014A170000000000000000000000000600101E000000000000069000",
            "9000",
            "9000",
        ]
    );
    // Then the button code (§5.3): 6985 while the LED blinks, 755224 after the press.
    card.ctl("button manual");
    let mut s = Scriptor::start(card.reader);
    assert_eq!(s.send("00A4040007A0000000792300").len(), 102);
    assert_eq!(s.send("8088000000"), "6985");
    assert_eq!(s.send("8088000000"), "6985");
    assert_eq!(card.ctl("press"), "ok");
    assert_eq!(s.send("8088000000"), "7552249000");
}

#[test]
fn scriptor_replays_hid_totp_usage_with_button_polling() {
    let _serial = serial();
    let _pcscd = Pcscd::start();
    let card = VirtualCard::start("crescendo-key", "manual");
    let mut s = Scriptor::start(card.reader);
    assert_eq!(
        s.send("00A4040007A0000000791000"),
        "6F128407A0000000791000A507010510030003019000"
    );
    assert_eq!(s.send("00200000083030303030303030"), "9000");
    assert_eq!(
        s.send("00A4040007A0000000792301"),
        "6F2F8407A0000000792301A52401052303000302260201014A170000000000000000000000000600101E000000000000069000"
    );
    // The TOTP slot is personalised with the sample's key (§5.7 "TOTP usage").
    assert_eq!(s.send(TOTP_CONFIG), "9000");
    assert_eq!(
        s.send("80D80400190000151431323334353637383930313233343536373839303000"),
        "9000"
    );
    assert_eq!(s.send("80881100045E84A802"), "6985");
    assert_eq!(s.send("80881100045E84A802"), "6985");
    assert_eq!(card.ctl("press"), "ok");
    assert_eq!(s.send("80881100045E84A802"), "3409099000");
}

#[test]
fn unplug_and_replug_are_seen_by_pcscd() {
    let _serial = serial();
    let _pcscd = Pcscd::start();
    let card = VirtualCard::start("crescendo-key", "auto");
    assert!(card_present(card.reader));
    assert_eq!(card.ctl("unplug"), "ok");
    wait_until(Duration::from_secs(5), "removal", || {
        !card_present(card.reader)
    });
    assert!(card.ctl("status").contains("\"plugged\":false"));
    assert_eq!(card.ctl("plug"), "ok");
    wait_until(Duration::from_secs(5), "insertion", || {
        card_present(card.reader)
    });
    assert_eq!(card.ctl("replug 400"), "ok");
    wait_until(Duration::from_secs(5), "removal on replug", || {
        !card_present(card.reader)
    });
    wait_until(Duration::from_secs(5), "insertion on replug", || {
        card_present(card.reader)
    });
    // The card answers after the replug, with its state intact.
    let pairs = scriptor(card.reader, &["00A4040007A0000000791000", "0020000000"]);
    assert_eq!(
        responses(&pairs),
        ["6F128407A0000000791000A507010510030003019000", "63C6"]
    );
}
