//! `otp.*` end to end inside the host: protocol requests through the router,
//! the host's OATH sessions and the in-process virtual token (Crescendo Key
//! slots, YKOATH accounts). Expected codes are the published ones (HID's
//! transcripts, RFC 4226 / 6238 / 6287 appendices), not the host's own math.

use std::time::Duration;

#[path = "support/router_host.rs"]
mod router_host;

use serde_json::{json, Value};
use tessera_virtual_token::platform::ButtonMode;
use tessera_virtual_token::profile::Profile;

use router_host::{code, Host};

/// RFC 4226 Appendix D / HID's samples: "12345678901234567890".
const RFC_KEY: &str = "3132333435363738393031323334353637383930";
/// HID's TOTP usage sample time (crescendo-apdu.md §5.7): code 340909.
const HID_TIME: u64 = 1_585_752_066;
const PIN: &str = "00000000";

fn totp(name: &str) -> Value {
    json!({"kind": "totp", "algorithm": "sha1", "digits": 6, "period": 30, "name": name, "secret": RFC_KEY, "access": "pin_touch"})
}

fn crescendo() -> (Host, String) {
    let mut h = Host::new(
        Profile::CrescendoKey,
        ButtonMode::Auto(Duration::from_millis(50)),
    );
    let d = h.device();
    (h, d)
}

#[test]
fn crescendo_slots_list_as_factory_then_totp_lands_and_computes_hids_code() {
    let (mut h, d) = crescendo();
    let list = h.call("otp.list", json!({"device": d})).expect("list");
    assert_eq!(list["family"], "crescendo");
    assert_eq!(list["capacity"], 3);
    let entries = list["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 3);
    assert!(entries.iter().all(|e| e["configured"] == false));

    // Without the PIN the key refuses the write; nothing is retried.
    let e = h
        .call(
            "otp.add",
            json!({"device": d, "account": totp("GitHub"), "time": HID_TIME}),
        )
        .expect_err("needs the PIN");
    assert_eq!(code(&e), "pin_required");

    let added = h
        .call(
            "otp.add",
            json!({"device": d, "account": totp("GitHub"), "pin": PIN, "time": HID_TIME}),
        )
        .expect("added");
    assert_eq!(added["verified"]["status"], "computed");
    assert_eq!(
        added["entry"]["id"], "slot-3",
        "the first free slot, the button's last"
    );
    assert_eq!(added["entry"]["kind"], "totp");
    assert_eq!(added["entry"]["period"], 30);
    assert_eq!(added["entry"]["access"], "pin_touch");
    assert!(h.touches() >= 1, "the check waited for a touch and said so");

    // The PIN stays verified on the held card session: no PIN needed now.
    let c = h
        .call(
            "otp.code",
            json!({"device": d, "entry": "slot-3", "time": HID_TIME}),
        )
        .expect("code");
    assert_eq!(c["code"], "340909", "HID's TOTP usage transcript");
    assert_eq!(c["valid_until"], json!(HID_TIME / 30 * 30 + 30));
}

#[test]
fn a_configured_slot_is_never_replaced_without_naming_it() {
    let (mut h, d) = crescendo();
    h.call(
        "otp.add",
        json!({"device": d, "slot": 2, "account": totp("A"), "pin": PIN, "time": HID_TIME}),
    )
    .expect("first");
    let e = h
        .call(
            "otp.add",
            json!({"device": d, "slot": 2, "account": totp("B"), "time": HID_TIME}),
        )
        .expect_err("in use");
    assert_eq!(code(&e), "would_overwrite");
    assert_eq!(e["entry"]["id"], "slot-2", "names what would be lost");
    let e = h
        .call("otp.add", json!({"device": d, "slot": 2, "account": totp("B"), "replace": "slot-3", "time": HID_TIME}))
        .expect_err("the wrong name is no confirmation");
    assert_eq!(code(&e), "would_overwrite");
    h.call("otp.add", json!({"device": d, "slot": 2, "account": totp("B"), "replace": "slot-2", "time": HID_TIME}))
        .expect("replaced with the confirmation");
}

#[test]
fn hotp_on_the_button_slot_follows_rfc_4226() {
    let (mut h, d) = crescendo();
    let hotp = json!({"kind": "hotp", "algorithm": "sha1", "digits": 6, "name": "OATH HOTP", "secret": RFC_KEY, "access": "always"});
    let e = h
        .call(
            "otp.add",
            json!({"device": d, "slot": 1, "account": totp("x"), "pin": PIN}),
        )
        .expect_err("slot 1 is HOTP only");
    assert_eq!(code(&e), "bad_input");
    let added = h
        .call(
            "otp.add",
            json!({"device": d, "slot": 1, "account": hotp, "pin": PIN}),
        )
        .expect("added");
    assert_eq!(
        added["verified"]["status"], "computed",
        "755224 at counter 0"
    );
    let c = h
        .call("otp.code", json!({"device": d, "entry": "slot-1"}))
        .expect("code");
    assert_eq!(c["code"], "287082", "RFC 4226 Appendix D, counter 1");
    assert!(c.get("valid_until").is_none());
}

#[test]
fn ocra_takes_the_challenge_and_answers_rfc_6287() {
    let (mut h, d) = crescendo();
    let ocra = json!({"kind": "ocra", "algorithm": "sha1", "digits": 6, "name": "OATH OCRA",
        "secret": RFC_KEY, "ocra_suite": "OCRA-1:HOTP-SHA1-6:QN08", "access": "pin"});
    let added = h
        .call(
            "otp.add",
            json!({"device": d, "slot": 2, "account": ocra, "pin": PIN}),
        )
        .expect("added");
    assert_eq!(
        added["verified"]["status"], "computed",
        "237653 for Q=00000000"
    );
    let e = h
        .call("otp.code", json!({"device": d, "entry": "slot-2"}))
        .expect_err("a challenge is needed");
    assert_eq!(code(&e), "bad_input");
    let c = h
        .call(
            "otp.code",
            json!({"device": d, "entry": "slot-2", "challenge": "44444444"}),
        )
        .expect("code");
    assert_eq!(c["code"], "608993", "RFC 6287 Appendix C, Q=44444444");
}

#[test]
fn delete_needs_the_typed_entry_and_clears_the_slot() {
    let (mut h, d) = crescendo();
    h.call(
        "otp.add",
        json!({"device": d, "slot": 3, "account": totp("A"), "pin": PIN, "time": HID_TIME}),
    )
    .expect("added");
    let e = h
        .call(
            "otp.delete",
            json!({"device": d, "entry": "slot-3", "confirm": "slot 3"}),
        )
        .expect_err("mismatch");
    assert_eq!(code(&e), "confirmation_mismatch");
    h.call(
        "otp.delete",
        json!({"device": d, "entry": "slot-3", "confirm": "slot-3"}),
    )
    .expect("deleted");
    let list = h.call("otp.list", json!({"device": d})).expect("list");
    assert_eq!(list["entries"][2]["configured"], false);
}

#[test]
fn a_full_key_says_so_and_lists_what_is_there() {
    let (mut h, d) = crescendo();
    for slot in [2, 3] {
        h.call(
            "otp.add",
            json!({"device": d, "slot": slot, "account": totp("A"), "pin": PIN, "time": HID_TIME}),
        )
        .expect("added");
    }
    let e = h
        .call(
            "otp.add",
            json!({"device": d, "account": totp("C"), "time": HID_TIME}),
        )
        .expect_err("full");
    assert_eq!(code(&e), "full", "slot 1 takes HOTP only");
    assert_eq!(e["entries"].as_array().map(Vec::len), Some(3));
}

#[test]
fn no_touch_times_out_cleanly() {
    let mut h = Host::new(Profile::CrescendoKey, ButtonMode::Never);
    let d = h.device();
    let hotp =
        json!({"kind": "hotp", "algorithm": "sha1", "digits": 6, "name": "H", "secret": RFC_KEY});
    // The write lands, the check waits 30 s for a touch that never comes, and
    // the slot is cleared again.
    let e = h
        .call(
            "otp.add",
            json!({"device": d, "slot": 1, "account": hotp, "pin": PIN}),
        )
        .expect_err("no touch");
    assert_eq!(code(&e), "touch_timeout");
    let list = h.call("otp.list", json!({"device": d})).expect("list");
    assert_eq!(
        list["entries"][0]["configured"], false,
        "nothing half-written left"
    );
}

#[test]
fn ykoath_accounts_carry_their_names_and_compute_rfc_6238() {
    let mut h = Host::new(Profile::YkOath, ButtonMode::Auto(Duration::from_millis(50)));
    let d = h.device();
    let list = h.call("otp.list", json!({"device": d})).expect("list");
    assert_eq!(list["family"], "ykoath");
    let before = list["entries"].as_array().map_or(0, Vec::len);
    let account = json!({"kind": "totp", "algorithm": "sha1", "digits": 8, "period": 30,
        "issuer": "Example", "name": "alice@example.com", "secret": RFC_KEY});
    let added = h
        .call(
            "otp.add",
            json!({"device": d, "account": account, "time": 59}),
        )
        .expect("added");
    assert_eq!(added["verified"]["status"], "computed");
    assert_eq!(added["entry"]["id"], "Example:alice@example.com");
    let c = h
        .call(
            "otp.code",
            json!({"device": d, "entry": "Example:alice@example.com", "time": 59}),
        )
        .expect("code");
    assert_eq!(c["code"], "94287082", "RFC 6238 Appendix B, SHA1, T=59");
    let e = h
        .call(
            "otp.add",
            json!({"device": d, "account": account, "time": 59}),
        )
        .expect_err("same name");
    assert_eq!(code(&e), "would_overwrite");
    let list = h.call("otp.list", json!({"device": d})).expect("list");
    let entries = list["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), before + 1);
    let e = entries
        .iter()
        .find(|e| e["id"] == "Example:alice@example.com")
        .expect("listed");
    assert_eq!(
        (e["issuer"].as_str(), e["name"].as_str()),
        (Some("Example"), Some("alice@example.com"))
    );
    h.call("otp.delete", json!({"device": d, "entry": "Example:alice@example.com", "confirm": "Example:alice@example.com"}))
        .expect("deleted");
}

#[test]
fn all_codes_at_once_ykoath_with_periods_and_hotp() {
    let mut h = Host::new(Profile::YkOath, ButtonMode::Never);
    let d = h.device();
    let add = |h: &mut Host, account: Value| {
        h.call(
            "otp.add",
            json!({"device": d, "account": account, "time": 59}),
        )
        .expect("added")
    };
    add(
        &mut h,
        json!({"kind": "totp", "algorithm": "sha1", "digits": 8, "period": 30, "issuer": "A", "name": "thirty", "secret": RFC_KEY}),
    );
    add(
        &mut h,
        json!({"kind": "totp", "algorithm": "sha1", "digits": 8, "period": 60, "issuer": "B", "name": "sixty", "secret": RFC_KEY}),
    );
    add(
        &mut h,
        json!({"kind": "hotp", "algorithm": "sha1", "digits": 6, "name": "counter", "secret": RFC_KEY}),
    );
    let codes = h
        .call("otp.codes", json!({"device": d, "time": 59}))
        .expect("codes");
    let by = |id: &str| {
        codes["codes"]
            .as_array()
            .expect("codes")
            .iter()
            .find(|c| c["entry"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} listed"))
    };
    assert_eq!(by("A:thirty")["code"], "94287082", "RFC 6238 SHA1 T=59");
    assert_eq!(by("A:thirty")["valid_until"], 60);
    // Period 60 at T=59 is counter 0: RFC 4226's first 8-digit value.
    assert_eq!(by("60/B:sixty")["code"], "84755224");
    assert_eq!(by("60/B:sixty")["valid_until"], 60);
    assert_eq!(by("counter")["kind"], "hotp");
    assert!(
        by("counter").get("code").is_none(),
        "HOTP counters are not moved"
    );
}

#[test]
fn all_codes_crescendo_computes_only_touch_free_totp_slots() {
    let (mut h, d) = crescendo();
    let mut always = totp("Open");
    always["access"] = json!("always");
    h.call(
        "otp.add",
        json!({"device": d, "slot": 2, "account": always, "pin": PIN, "time": HID_TIME}),
    )
    .expect("added");
    h.call(
        "otp.add",
        json!({"device": d, "slot": 3, "account": totp("Touchy"), "time": HID_TIME}),
    )
    .expect("added");
    let codes = h
        .call("otp.codes", json!({"device": d, "time": HID_TIME}))
        .expect("codes");
    let list = codes["codes"].as_array().expect("codes");
    assert_eq!(list.len(), 2, "the empty slot 1 is not listed");
    assert_eq!(list[0]["entry"], "slot-2");
    assert_eq!(list[0]["code"], "340909");
    assert_eq!(list[1]["touch"], true);
    assert!(list[1].get("code").is_none());
}
