//! The `fido.*` methods through the router, on the in-process virtual token
//! (CTAP over ISO 7816 through the Backend), with a manual clock for the reset
//! window and the events `fido.reset` streams.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tessera_core::protocol::{Event, Request};
use tessera_host::router::Router;
use tessera_host::virtual_backend::{VirtualBackend, VIRTUAL_READER};
use tessera_virtual_token::platform::{ButtonMode, ManualClock, Platform};
use tessera_virtual_token::profile::Profile;

fn router() -> (Router, ManualClock) {
    let (platform, clock) = Platform::deterministic(3, ButtonMode::Auto(Duration::ZERO));
    let card = Profile::from_name("crescendo-key")
        .expect("profile")
        .build(platform);
    let dir = std::env::temp_dir().join(format!("tessera-fido-router-{}", std::process::id()));
    let router = Router::with_backend(Arc::new(VirtualBackend::ephemeral(card))).with_policies(
        tessera_host::policy_store::PolicyStore::new(dir.join("policies.json")),
    );
    (router, clock)
}

fn call(r: &Router, method: &str, params: Value) -> (Result<Value, Value>, Vec<Event>) {
    let events = Mutex::new(vec![]);
    let resp = r.dispatch_with_events(
        Request {
            id: 42,
            method: method.to_owned(),
            params,
        },
        &|e| events.lock().expect("events").push(e),
    );
    let out = match (resp.result, resp.error) {
        (Some(v), None) => Ok(v),
        (_, Some(e)) => Err(serde_json::to_value(e).expect("error json")),
        (None, None) => panic!("empty response"),
    };
    (out, events.into_inner().expect("events"))
}

#[test]
fn info_pin_and_errors_through_the_router() {
    let (r, _clock) = router();
    let dev = json!({ "device": VIRTUAL_READER });
    let (v, _) = call(&r, "fido.info", dev.clone());
    let v = v.expect("info");
    assert_eq!(v["transport"], "iso7816");
    assert_eq!(v["pin"], "notSet");
    assert_eq!(v["info"]["options"]["credMgmt"], true);

    let (e, _) = call(
        &r,
        "fido.credentials.list",
        json!({"device": VIRTUAL_READER, "pin": "1234"}),
    );
    let e = e.expect_err("no PIN set");
    assert_eq!(e["code"], "pin_required");

    call(
        &r,
        "fido.pin.set",
        json!({"device": VIRTUAL_READER, "pin": "1234"}),
    )
    .0
    .expect("set");
    let (e, _) = call(
        &r,
        "fido.credentials.list",
        json!({"device": VIRTUAL_READER, "pin": "9999"}),
    );
    let e = e.expect_err("wrong PIN");
    assert_eq!(
        (e["code"].clone(), e["tries_left"].clone()),
        (json!("wrong_pin"), json!(7))
    );
    let (v, _) = call(
        &r,
        "fido.credentials.list",
        json!({"device": VIRTUAL_READER, "pin": "1234"}),
    );
    assert_eq!(v.expect("list")["metadata"]["existing"], 0);

    // A PIN of the wrong type is refused without echoing it.
    let (e, _) = call(
        &r,
        "fido.pin.set",
        json!({"device": VIRTUAL_READER, "pin": 987654}),
    );
    let e = e.expect_err("mistyped");
    assert_eq!(e["code"], "invalid_params");
    assert!(!e.to_string().contains("987654"), "{e}");
    let (e, _) = call(&r, "fido.nope", json!({}));
    assert_eq!(e.expect_err("unknown")["code"], "unknown_method");
    let (e, _) = call(&r, "fido.info", json!({"device": "no such token"}));
    assert_eq!(e.expect_err("missing")["code"], "device_not_found");
}

#[test]
fn reset_in_the_window_is_done_and_late_asks_for_a_replug() {
    let (r, clock) = router();
    // Just powered up, only getInfo so far (setPIN would close the window in
    // OpenSK): the in-place attempt is inside the window.
    let (v, events) = call(&r, "fido.reset", json!({"device": VIRTUAL_READER}));
    assert_eq!(v.expect("reset")["outcome"], "done");
    let last = events.last().expect("events");
    assert_eq!((last.event.as_str(), last.id), ("fido.reset", Some(42)));
    assert_eq!(last.data, json!({"step": "done"}));
    // 11 s later: NOT_ALLOWED in place (over contact the authenticator keeps
    // USB power), so the user is asked to unplug; the in-process token never
    // leaves, so the flow ends with replugTimeout.
    clock.advance(Duration::from_secs(11));
    let (v, events) = call(
        &r,
        "fido.reset",
        json!({"device": VIRTUAL_READER, "replug_timeout_ms": 300}),
    );
    assert_eq!(v.expect("reset")["outcome"], "replugTimeout");
    let steps: Vec<Value> = events.iter().map(|e| e.data.clone()).collect();
    assert_eq!(steps, [json!({"step": "unplugNow"})]);
}
