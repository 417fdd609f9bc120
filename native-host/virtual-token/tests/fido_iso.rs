//! FIDO over ISO 7816 (CTAP 2.1 §11.3; protocols.md §4.1), in-process through
//! `VirtualCard::transmit`, with the bytes python-fido2's `CtapPcscDevice` sends.

#[path = "fido/support.rs"]
mod support;

use std::time::Duration;

use ciborium::Value;
use support::*;
use tessera_virtual_token::applet::Interface;
use tessera_virtual_token::applets::fido::FidoOptions;
use tessera_virtual_token::platform::ButtonMode;

#[test]
fn select_answers_u2f_v2() {
    let mut key = Key::new();
    // protocols.md §4.1: "U2F_V2" (55 32 46 5F 56 32) when U2F is supported.
    assert_eq!(key.txh("00A4040008A0000006472F0001"), "5532465F56329000");
    // python-fido2 sends it without Le; a partial AID selects too (card rule).
    assert_eq!(key.txh("00A4040008A0000006472F000100"), "5532465F56329000");
}

#[test]
fn get_info_over_nfcctap_msg() {
    let mut key = Key::new();
    key.select();
    // protocols.md §4.1 example: getInfo = 80 10 80 00 01 04 00.
    let (mut resp, mut sw) = key.tx(&h("80 10 80 00 01 04 00"));
    assert_eq!(sw >> 8, 0x61, "longer than Le = 256: 61xx + GET RESPONSE");
    while sw >> 8 == 0x61 {
        let (more, next) = key.tx(&[0x00, 0xC0, 0x00, 0x00, sw as u8]);
        resp.extend(more);
        sw = next;
    }
    assert_eq!(sw, 0x9000);
    assert_eq!(resp[0], 0x00, "CTAP2_OK");
    let info = decode(&resp[1..]);
    let versions = texts(get(&info, 0x01));
    for v in ["U2F_V2", "FIDO_2_0", "FIDO_2_1"] {
        assert!(versions.contains(&v.to_owned()), "{versions:?}");
    }
    assert_eq!(texts(get(&info, 0x09)), ["nfc", "usb"], "transports");
    assert_eq!(
        get(&info, 0x03).and_then(Value::as_bytes).map(Vec::len),
        Some(16),
        "aaguid"
    );
    let options = get(&info, 0x04).expect("options");
    assert_eq!(get_t(options, "rk"), Some(&Value::Bool(true)));
    assert_eq!(
        get_t(options, "clientPin"),
        Some(&Value::Bool(false)),
        "no PIN yet"
    );
    assert_eq!(get_t(options, "credMgmt"), Some(&Value::Bool(true)));
    let protocols: Vec<_> = get(&info, 0x06)
        .and_then(Value::as_array)
        .expect("pinUvAuthProtocols")
        .iter()
        .filter_map(|p| p.as_integer().map(i128::from))
        .collect();
    assert_eq!(protocols, [2, 1]);
}

#[test]
fn configured_aaguid_is_reported() {
    let aaguid = *b"\x69\x2d\xb5\x49\x7a\xe5\x44\xd5\xa1\xe5\xdd\x20\xa4\x93\xb7\x23";
    let options = FidoOptions {
        aaguid,
        ..FidoOptions::default()
    };
    let mut key = Key::with(1, ButtonMode::Manual, options);
    key.select();
    let (status, body) = key.ctap(0x04, None, false);
    assert_eq!(status, 0);
    assert_eq!(
        get(&decode(&body), 0x03),
        Some(&Value::Bytes(aaguid.to_vec()))
    );
}

#[test]
fn make_credential_waits_for_the_button_then_the_key_is_resident() {
    let mut key = Key::new();
    key.select();
    // The request is over 250 bytes with this user name: CLA 90 chaining.
    let long_name = "a".repeat(200);
    let request = make_credential(b"user-1", &long_name, true, vec![]);
    let (status, body, statuses) = key.ctap_polled(0x01, Some(&request), true);
    assert!(
        statuses.contains(&0x02),
        "UPNEEDED while waiting: {statuses:?}"
    );
    assert_eq!(status, 0x00);
    let attestation = decode(&body);
    assert_eq!(get(&attestation, 0x01), Some(&Value::Text("packed".into())));
    let auth_data = get(&attestation, 0x02)
        .and_then(Value::as_bytes)
        .expect("authData");
    // authData: rpIdHash(32) flags(1) counter(4) … (WebAuthn §6.1): UP and AT set.
    assert_eq!(auth_data[32] & 0x41, 0x41, "flags {:02X}", auth_data[32]);

    // getAssertion without allowList finds the discoverable credential.
    let (status, body) = key.ctap(0x02, Some(&get_assertion()), true);
    assert_eq!(status, 0x00);
    let assertion = decode(&body);
    let user = get(&assertion, 0x04).expect("user");
    assert_eq!(get_t(user, "id"), Some(&Value::Bytes(b"user-1".to_vec())));
}

#[test]
fn no_touch_times_out_on_the_card_clock() {
    let mut key = Key::new();
    key.select();
    key.start_until_up_needed(0x01, Some(&make_credential(b"u", "u", false, vec![])));
    key.clock.advance(Duration::from_secs(31));
    let mut last = (vec![], 0);
    for _ in 0..100 {
        last = key.tx(&h("80 11 00 00"));
        if last.1 != 0x9100 {
            break;
        }
    }
    // CTAP2_ERR_USER_ACTION_TIMEOUT (protocols.md §4.7), in the status byte.
    assert_eq!(last, (vec![0x2F], 0x9000));
    assert!(!key.button.is_waiting(), "the LED stops");
}

#[test]
fn timeout_status_is_configurable() {
    let options = FidoOptions {
        up_timeout_status: 0x3A,
        ..FidoOptions::default()
    };
    let mut key = Key::with(1, ButtonMode::Never, options);
    key.select();
    key.start_until_up_needed(0x0B, None); // authenticatorSelection
    key.clock.advance(Duration::from_secs(31));
    let mut last = (vec![], 0);
    for _ in 0..100 {
        last = key.tx(&h("80 11 00 00"));
        if last.1 != 0x9100 {
            break;
        }
    }
    assert_eq!(last, (vec![0x3A], 0x9000), "YubiKey's ACTION_TIMEOUT");
    assert_eq!(key.ctap(0x04, None, false).0, 0x00, "getInfo afterwards");
}

#[test]
fn cancel_ends_the_wait_with_keepalive_cancel() {
    let mut key = Key::new();
    key.select();
    key.start_until_up_needed(0x01, Some(&make_credential(b"u", "u", true, vec![])));
    // NFCCTAP_GETRESPONSE with P1 = 11: cancel → CTAP2_ERR_KEEPALIVE_CANCEL 2D.
    assert_eq!(key.txh("80 11 11 00"), "2D9000");
    assert!(!key.button.is_waiting());
    assert_eq!(key.txh("80 11 00 00"), "6985", "nothing left to poll");
    let (status, _) = key.ctap(0x04, None, false);
    assert_eq!(status, 0x00);
}

#[test]
fn reset_only_within_ten_seconds_of_power_on_and_with_a_press() {
    let mut key = Key::new();
    key.select();
    let (status, _) = key.ctap(0x01, Some(&make_credential(b"u", "u", true, vec![])), true);
    assert_eq!(status, 0);

    // 11 s after power-on: CTAP2_ERR_NOT_ALLOWED (protocols.md §4.7).
    key.replug();
    key.clock.advance(Duration::from_secs(11));
    key.select();
    let (status, _) = key.ctap(0x07, None, true);
    assert_eq!(status, 0x30);

    // Right after a replug, with a press: reset.
    key.replug();
    key.clock.advance(Duration::from_secs(9));
    key.select();
    let (status, _, statuses) = key.ctap_polled(0x07, None, true);
    assert_eq!(status, 0x00);
    assert!(statuses.contains(&0x02));
    let (status, _) = key.ctap(0x02, Some(&get_assertion()), true);
    assert_eq!(status, 0x2E, "CTAP2_ERR_NO_CREDENTIALS after the reset");
}

#[test]
fn reset_window_counts_from_power_on_not_from_the_first_command() {
    let mut key = Key::new();
    key.replug();
    key.clock.advance(Duration::from_secs(10));
    key.select(); // first FIDO command 10 s after power-on
    let (status, _) = key.ctap(0x07, None, true);
    assert_eq!(status, 0x30);
}

#[test]
fn icc_power_cycle_over_contact_keeps_the_usb_key_running() {
    let mut key = Key::new();
    key.select();
    key.clock.advance(Duration::from_secs(11));
    // pcscd unpowers the ICC when a client disconnects; the USB key runs on.
    key.card.power_off();
    key.card.power_on();
    key.select();
    assert_eq!(
        key.ctap(0x07, None, true).0,
        0x30,
        "the window is still closed"
    );
}

#[test]
fn field_off_restarts_a_contactless_key() {
    let mut key = Key::new();
    key.card.set_interface(Interface::Contactless);
    key.select();
    key.clock.advance(Duration::from_secs(11));
    key.card.power_off();
    key.card.power_on();
    key.select();
    assert_eq!(
        key.ctap(0x07, None, true).0,
        0x00,
        "a new field, a new window"
    );
}

#[test]
fn reset_window_is_configurable() {
    let options = FidoOptions {
        reset_window: Duration::from_secs(5),
        ..FidoOptions::default()
    };
    let mut key = Key::with(1, ButtonMode::Manual, options);
    key.clock.advance(Duration::from_secs(6));
    key.select();
    assert_eq!(key.ctap(0x07, None, true).0, 0x30, "YubiKey's 5 s");
    key.replug();
    key.clock.advance(Duration::from_secs(4));
    key.select();
    assert_eq!(key.ctap(0x07, None, true).0, 0x00);
}

#[test]
fn reset_refused_once_another_command_ran() {
    let mut key = Key::new();
    key.select();
    // clientPin getPINRetries closes the window (only getInfo, selection and
    // makeCredential keep it open in opensk).
    let retries = imap(vec![(1, Value::from(2)), (2, Value::from(1))]);
    assert_eq!(key.ctap(0x06, Some(&retries), false).0, 0x00);
    assert_eq!(key.ctap(0x07, None, true).0, 0x30);
}

#[test]
fn webcard_reset_script_with_p1_00_blocks_until_done() {
    // crescendo-apdu.md §3.8 (3rd-party): select FIDO, then 801000000107 —
    // NFCCTAP_MSG with P1 = 00 (no GETRESPONSE): the answer waits for the touch.
    let mut key = Key::with(1, ButtonMode::Auto(Duration::ZERO), FidoOptions::default());
    assert_eq!(key.txh("00A4040008A0000006472F0001"), "5532465F56329000");
    assert_eq!(key.txh("801000000107"), "009000");
}

#[test]
fn state_survives_save_and_load() {
    let mut key = Key::new();
    key.select();
    let _ = key.card.take_dirty();
    let (status, _) = key.ctap(
        0x01,
        Some(&make_credential(b"kept", "kept", true, vec![])),
        true,
    );
    assert_eq!(status, 0);
    assert!(
        key.card.take_dirty(),
        "a new resident key marks the state dirty"
    );
    let (status, _) = key.ctap(0x04, None, false);
    assert_eq!(status, 0);
    assert!(!key.card.take_dirty(), "getInfo changes nothing");
    let saved = serde_json::to_string(&key.card.save_state()).expect("json");

    let mut other = Key::with(99, ButtonMode::Manual, FidoOptions::default());
    other
        .card
        .load_state(serde_json::from_str(&saved).expect("json"))
        .expect("load");
    other.select();
    let (status, body) = other.ctap(0x02, Some(&get_assertion()), true);
    assert_eq!(status, 0x00);
    let user = get(&decode(&body), 0x04).cloned().expect("user");
    assert_eq!(get_t(&user, "id"), Some(&Value::Bytes(b"kept".to_vec())));
}

#[test]
fn corrupt_state_is_refused_with_a_message() {
    let mut key = Key::new();
    key.select();
    let mut state = key.card.save_state();
    let fido = state.applets.get_mut("fido").expect("fido state");
    fido["entries"]["7"] = serde_json::Value::Null;
    let err = key.card.load_state(state.clone()).expect_err("refused");
    assert!(err.contains("fido") && err.contains("entry 7"), "{err}");
    let fido = state.applets.get_mut("fido").expect("fido state");
    fido["entries"]["7"] = serde_json::Value::String("00".repeat(2000));
    let err = key.card.load_state(state).expect_err("refused");
    assert!(err.contains("1023"), "{err}");
    // The key still works.
    assert_eq!(key.ctap(0x04, None, false).0, 0);
}

#[test]
fn bad_commands_get_status_words() {
    let mut key = Key::new();
    key.select();
    assert_eq!(
        key.txh("80 10 80 00"),
        "6700",
        "NFCCTAP_MSG without a command"
    );
    assert_eq!(key.txh("80 10 80 01 01 04"), "6A86");
    assert_eq!(key.txh("80 11 00 00"), "6985", "nothing pending");
    assert_eq!(key.txh("80 12 00 00"), "6D00");
    assert_eq!(key.txh("A0 10 80 00 01 04"), "6E00");
    assert_eq!(
        key.txh("80 10 80 00 02 FF 00"),
        "019000",
        "CTAP1_ERR_INVALID_COMMAND"
    );
    assert_eq!(
        key.txh("80 10 80 00 02 01 FF"),
        "129000",
        "CTAP2_ERR_INVALID_CBOR"
    );
}
