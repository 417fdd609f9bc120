//! `button.*` end to end inside the host: protocol requests through the
//! router, the host's OATH slot-1 session and the in-process virtual Crescendo
//! Key (its emulator-defined button table, docs/VIRTUAL_TOKEN.md).

#[path = "support/router_host.rs"]
mod router_host;

use serde_json::{json, Value};
use tessera_virtual_token::platform::ButtonMode;
use tessera_virtual_token::profile::Profile;

use router_host::Host;

const PIN: &str = "00000000";

fn setup(profile: Profile) -> (Host, String) {
    let mut h = Host::new(profile, ButtonMode::Manual);
    let d = h.device();
    (h, d)
}

fn static_keys() -> Value {
    // "Ab1" on a US layout.
    json!([{"usage": 4, "shift": true}, {"usage": 5}, {"usage": 30, "altgr": false}])
}

#[test]
fn factory_then_static_double_press_then_replace_only_when_named() {
    let (mut h, d) = setup(Profile::CrescendoKey);
    let got = h.call("button.get", json!({"device": d})).expect("get");
    assert_eq!(
        got,
        json!({"single": {"kind": "hotp"}, "double": {"kind": "none"}})
    );

    let set = json!({"device": d, "press": "double", "action": {"kind": "static", "keys": static_keys()}});
    let e = h.call("button.set", set.clone()).expect_err("no PIN");
    assert_eq!(e["code"], "pin_required");
    let mut with_pin = set.clone();
    with_pin["pin"] = json!(PIN);
    let got = h.call("button.set", with_pin.clone()).expect("set");
    assert_eq!(got["double"], json!({"kind": "static", "length": 3}));

    // A configured static password is never overwritten silently.
    let e = h
        .call("button.set", with_pin.clone())
        .expect_err("overwrite");
    assert_eq!(e["code"], "would_overwrite");
    assert_eq!(e["press"], "double");
    let mut named = with_pin.clone();
    named["replace"] = json!("single");
    assert_eq!(
        h.call("button.set", named).expect_err("wrong press")["code"],
        "would_overwrite"
    );
    let mut none = json!({"device": d, "press": "double", "action": {"kind": "none"}, "pin": PIN, "replace": "double"});
    let got = h.call("button.set", none.clone()).expect("replaced");
    assert_eq!(got["double"], json!({"kind": "none"}));
    // Single press: nothing needs no replace (it is not a static password).
    none["press"] = json!("single");
    none["replace"] = Value::Null;
    let got = h.call("button.set", none).expect("single none");
    assert_eq!(got["single"], json!({"kind": "none"}));
    let text = serde_json::to_string(&h.call("button.get", json!({"device": d})).expect("get"))
        .expect("json");
    assert!(!text.contains("usage"));
}

#[test]
fn bad_keys_are_refused_before_anything_is_sent() {
    let (mut h, d) = setup(Profile::CrescendoKey);
    for (action, field) in [
        (json!({"kind": "static"}), "action.keys"),
        (json!({"kind": "static", "keys": []}), "action.keys"),
        (
            json!({"kind": "static", "keys": [{"usage": 41}]}),
            "action.keys",
        ),
        (
            json!({"kind": "hotp", "keys": [{"usage": 4}]}),
            "action.keys",
        ),
    ] {
        let e = h
            .call(
                "button.set",
                json!({"device": d, "press": "single", "action": action, "pin": PIN}),
            )
            .expect_err("refused");
        assert_eq!(e["code"], "bad_input", "{e}");
        assert_eq!(e["field"], field);
    }
    let e = h
        .call("button.set", json!({"device": d, "press": "single", "action": {"kind": "static", "keys": [{"usage": 4242}]}}))
        .expect_err("not a u8");
    assert_eq!(e["code"], "invalid_params");
    assert!(!e["message"].as_str().unwrap_or_default().contains("4242"));
    assert_eq!(
        h.call("button.nope", json!({})).expect_err("unknown")["code"],
        "unknown_method"
    );
}

#[test]
fn a_ykoath_key_has_no_configurable_button() {
    let (mut h, d) = setup(Profile::YkOath);
    let e = h
        .call("button.get", json!({"device": d}))
        .expect_err("no button");
    assert_eq!(e["code"], "not_supported");
    assert_eq!(e["feature"], "button");
}
