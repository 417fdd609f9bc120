//! Device management end to end inside the host: protocol requests through the
//! router, the host's sessions, and the in-process virtual Crescendo Key.

use aes::cipher::{generic_array::GenericArray, BlockEncrypt, KeyInit};
use serde_json::{json, Value};
use tessera_core::protocol::Request;
use tessera_host::admin_policy::AdminPolicy;
use tessera_host::policy_store::PolicyStore;
use tessera_host::router::Router;
use tessera_host::virtual_backend::VirtualBackend;
use tessera_virtual_token::platform::{ButtonMode, Platform};
use tessera_virtual_token::profile::Profile;

struct Host {
    router: Router,
    next: u64,
    dir: std::path::PathBuf,
}

impl Host {
    fn new(profile: Profile) -> Host {
        let card = profile.build(Platform::deterministic(11, ButtonMode::Never).0);
        let dir = std::env::temp_dir().join(format!(
            "tessera-dm-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        let router = Router::with_backend(std::sync::Arc::new(VirtualBackend::ephemeral(card)))
            .with_policies(PolicyStore::new(dir.join("policies.json")))
            .with_admin_policy(AdminPolicy::at(dir.join("admin-policy.json")));
        Host {
            router,
            next: 1,
            dir,
        }
    }

    fn call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.next += 1;
        let r = self.router.dispatch(Request {
            id: self.next,
            method: method.into(),
            params,
        });
        match (r.result, r.error) {
            (Some(v), None) => Ok(v),
            (_, Some(e)) => Err(serde_json::to_value(e).expect("error json")),
            _ => panic!("empty response"),
        }
    }

    fn device(&mut self) -> String {
        let list = self.call("devices.list", json!({})).expect("list");
        list["readers"][0]["card"]["token"]["id"]
            .as_str()
            .expect("probed token id")
            .to_owned()
    }
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

fn code(e: &Value) -> &str {
    e["code"].as_str().unwrap_or("")
}

#[test]
fn list_shows_id_features_and_lock_state() {
    let mut h = Host::new(Profile::CrescendoKey);
    let list = h.call("devices.list", json!({})).expect("list");
    let token = &list["readers"][0]["card"]["token"];
    assert_eq!(token["pin"], json!({"state": "locked", "tries_left": 6}));
    let features = token["features"].as_array().expect("features");
    for f in [
        "authenticate",
        "change_pin",
        "unblock_admin_key",
        "view_puk",
        "recycle",
    ] {
        assert!(features.contains(&json!(f)), "{f} in {features:?}");
    }
    assert!(
        !features.contains(&json!("unblock_puk")),
        "Crescendo unblocks with the admin key"
    );
}

#[test]
fn verify_wrong_then_right_never_retries() {
    let mut h = Host::new(Profile::CrescendoKey);
    let d = h.device();
    let e = h
        .call("pin.verify", json!({"device": d, "pin": "11111111"}))
        .expect_err("wrong");
    assert_eq!((code(&e), e["tries_left"].as_u64()), ("wrong_pin", Some(5)));
    // The host did not try again on its own: one try was spent, not more.
    let s = h.call("pin.status", json!({"device": d})).expect("status");
    assert_eq!(s, json!({"state": "locked", "tries_left": 5}));
    let s = h
        .call("pin.verify", json!({"device": d, "pin": "00000000"}))
        .expect("right");
    assert_eq!(s, json!({"state": "verified"}));
}

#[test]
fn change_pin_enforces_the_policy_before_sending() {
    let mut h = Host::new(Profile::CrescendoKey);
    let d = h.device();
    let mut policy = h
        .call("pin.policy.get", json!({"device": d}))
        .expect("policy")["policy"]
        .clone();
    policy["refuse_weak"] = json!(true);
    policy["min_len"] = json!(6);
    h.call("pin.policy.set", json!({"device": d, "policy": policy}))
        .expect("set");
    let e = h
        .call(
            "pin.change",
            json!({"device": d, "old": "00000000", "new": "1234"}),
        )
        .expect_err("weak and short");
    assert_eq!(code(&e), "pin_policy");
    assert_eq!(e["violations"], json!(["too_short", "weak"]));
    // Nothing reached the card: the old PIN still has all its tries.
    assert_eq!(
        h.call("pin.status", json!({"device": d})).expect("status"),
        json!({"state": "locked", "tries_left": 6})
    );
    h.call(
        "pin.change",
        json!({"device": d, "old": "00000000", "new": "258013"}),
    )
    .expect("change");
    let e = h
        .call("pin.verify", json!({"device": d, "pin": "00000000"}))
        .expect_err("old");
    assert_eq!(code(&e), "wrong_pin");
    h.call("pin.verify", json!({"device": d, "pin": "258013"}))
        .expect("new PIN works");
}

fn block(h: &mut Host, d: &str) {
    for _ in 0..6 {
        let _ = h.call("pin.verify", json!({"device": d, "pin": "99999999"}));
    }
    assert_eq!(
        h.call("pin.status", json!({"device": d})).expect("status"),
        json!({"state": "blocked"})
    );
}

#[test]
fn unblock_with_the_admin_key_and_by_challenge_response() {
    let mut h = Host::new(Profile::CrescendoKey);
    let d = h.device();
    block(&mut h, &d);
    let e = h
        .call("pin.unblock", json!({"device": d, "method": {"kind": "admin_key", "key": "11".repeat(16)}, "new": "13572468"}))
        .expect_err("wrong key");
    assert_eq!(code(&e), "wrong_admin_key");
    h.call("pin.unblock", json!({"device": d, "method": {"kind": "admin_key", "key": "00".repeat(16)}, "new": "13572468"}))
        .expect("unblocked");
    h.call("pin.verify", json!({"device": d, "pin": "13572468"}))
        .expect("new PIN");

    // Helpdesk path: the challenge is shown, the helpdesk answers AES-ECB(key, challenge).
    block(&mut h, &d);
    let c = h
        .call("pin.unblock.challenge", json!({"device": d}))
        .expect("challenge");
    let challenge = hex::decode(c["challenge"].as_str().expect("hex")).expect("hex");
    assert_eq!(challenge.len(), 16);
    let mut block16 = GenericArray::clone_from_slice(&challenge);
    aes::Aes128::new_from_slice(&[0u8; 16])
        .expect("key")
        .encrypt_block(&mut block16);
    h.call(
        "pin.unblock",
        json!({"device": d, "method": {"kind": "response", "response": hex::encode(block16)}, "new": "24681357"}),
    )
    .expect("unblocked by response");
    h.call("pin.verify", json!({"device": d, "pin": "24681357"}))
        .expect("new PIN");
}

#[test]
fn personalize_shows_the_puk_once_and_view_puk_needs_the_pin() {
    let mut h = Host::new(Profile::CrescendoKey);
    let d = h.device();
    let policy = h
        .call("pin.policy.get", json!({"device": d}))
        .expect("policy")["policy"]
        .clone();
    let e = h
        .call("device.personalize", json!({"device": d, "recycle": true, "confirm": "nope", "policy": policy, "new_pin": "80246813"}))
        .expect_err("confirmation");
    assert_eq!(code(&e), "confirmation_mismatch");
    let r = h
        .call("device.personalize", json!({"device": d, "recycle": true, "confirm": d, "pin": "00000000", "policy": policy, "new_pin": "80246813"}))
        .expect("personalised");
    let puk = r["puk"].as_str().expect("puk").to_owned();
    assert!(
        puk.len() == 8 && puk.chars().all(|c| c.is_ascii_digit()),
        "{puk}"
    );
    let d = h.device();
    assert_eq!(
        h.call("pin.lock", json!({"device": d})).expect("lock"),
        json!({"state": "locked", "tries_left": 6})
    );
    let e = h
        .call("puk.show", json!({"device": d}))
        .expect_err("needs the PIN");
    assert_eq!(code(&e), "pin_required");
    let shown = h
        .call("puk.show", json!({"device": d, "pin": "80246813"}))
        .expect("shown");
    assert_eq!(shown["puk"], json!(puk));
}

#[test]
fn pairing_code_after_the_pin() {
    let mut h = Host::new(Profile::CrescendoKey);
    let d = h.device();
    let e = h
        .call("pairing_code.get", json!({"device": d}))
        .expect_err("needs the PIN");
    assert_eq!(code(&e), "pin_required");
    let r = h
        .call("pairing_code.get", json!({"device": d, "pin": "00000000"}))
        .expect("code");
    let code_str = r["code"].as_str().expect("code");
    assert!(
        code_str.len() == 8 && code_str.chars().all(|c| c.is_ascii_digit()),
        "{code_str}"
    );
}

#[test]
fn recycle_needs_the_typed_id_and_restores_the_factory_pin() {
    let mut h = Host::new(Profile::CrescendoKey);
    let d = h.device();
    h.call(
        "pin.change",
        json!({"device": d, "old": "00000000", "new": "97531864"}),
    )
    .expect("change");
    let e = h
        .call(
            "device.recycle",
            json!({"device": d, "confirm": "", "pin": "97531864"}),
        )
        .expect_err("no confirm");
    assert_eq!(code(&e), "confirmation_mismatch");
    h.call(
        "device.recycle",
        json!({"device": d, "confirm": d, "pin": "97531864"}),
    )
    .expect("recycled");
    let d = h.device();
    h.call("pin.verify", json!({"device": d, "pin": "00000000"}))
        .expect("factory PIN");
}

#[test]
fn generic_piv_token_unblocks_with_the_puk_and_lacks_crescendo_features() {
    let mut h = Host::new(Profile::YkOath);
    let d = h.device();
    let e = h
        .call("device.recycle", json!({"device": d, "confirm": d}))
        .expect_err("no ACA");
    assert_eq!(code(&e), "not_supported");
    for _ in 0..3 {
        let _ = h.call("pin.verify", json!({"device": d, "pin": "999999"}));
    }
    h.call(
        "pin.unblock",
        json!({"device": d, "method": {"kind": "puk", "puk": "12345678"}, "new": "975310"}),
    )
    .expect("unblocked with the PUK");
    h.call("pin.verify", json!({"device": d, "pin": "975310"}))
        .expect("new PIN");
}

#[test]
fn unknown_device_is_a_clear_error() {
    let mut h = Host::new(Profile::CrescendoKey);
    let e = h
        .call("pin.status", json!({"device": "NOPE"}))
        .expect_err("unknown");
    assert_eq!(code(&e), "device_not_found");
}

#[test]
fn personalize_refuses_a_bad_new_pin_before_recycling() {
    let mut h = Host::new(Profile::CrescendoKey);
    let d = h.device();
    h.call(
        "pin.change",
        json!({"device": d, "old": "00000000", "new": "97531864"}),
    )
    .expect("change");
    let mut policy = h
        .call("pin.policy.get", json!({"device": d}))
        .expect("policy")["policy"]
        .clone();
    policy["refuse_weak"] = json!(true);
    let e = h
        .call(
            "device.personalize",
            json!({"device": d, "recycle": true, "confirm": d, "pin": "97531864", "policy": policy, "new_pin": "12345678"}),
        )
        .expect_err("weak");
    assert_eq!(code(&e), "pin_policy");
    // Nothing was wiped: the user's PIN still works.
    h.call("pin.verify", json!({"device": d, "pin": "97531864"}))
        .expect("not recycled");
}

#[test]
fn static_challenge_is_shown_again_dynamic_is_fresh() {
    let mut h = Host::new(Profile::CrescendoKey);
    let d = h.device();
    let c1 = h
        .call("pin.unblock.challenge", json!({"device": d}))
        .expect("c1");
    let c2 = h
        .call("pin.unblock.challenge", json!({"device": d}))
        .expect("c2");
    assert_ne!(c1, c2, "dynamic (default): a new challenge each time");
    let mut policy = h
        .call("pin.policy.get", json!({"device": d}))
        .expect("policy")["policy"]
        .clone();
    policy["challenge"] = json!("static");
    h.call("pin.policy.set", json!({"device": d, "policy": policy}))
        .expect("set");
    let s1 = h
        .call("pin.unblock.challenge", json!({"device": d}))
        .expect("s1");
    let s2 = h
        .call("pin.unblock.challenge", json!({"device": d}))
        .expect("s2");
    assert_eq!(s1, s2, "static: the same challenge until it is answered");
    // The kept challenge is the one the card holds: its response unblocks.
    let challenge = hex::decode(s2["challenge"].as_str().expect("hex")).expect("hex");
    let mut b = GenericArray::clone_from_slice(&challenge);
    aes::Aes128::new_from_slice(&[0u8; 16])
        .expect("key")
        .encrypt_block(&mut b);
    h.call(
        "pin.unblock",
        json!({"device": d, "method": {"kind": "response", "response": hex::encode(b)}, "new": "24681357"}),
    )
    .expect("unblocked");
    let s3 = h
        .call("pin.unblock.challenge", json!({"device": d}))
        .expect("s3");
    assert_ne!(s3, s2, "answered: the next one is new");
}

#[test]
fn a_managed_token_refuses_admin_actions_and_unblocks_by_the_helpdesk() {
    let mut h = Host::new(Profile::CrescendoKey);
    let d = h.device();
    std::fs::create_dir_all(&h.dir).expect("dir");
    std::fs::write(
        h.dir.join("admin-policy.json"),
        format!(r#"{{"managed": ["{d}"]}}"#),
    )
    .expect("policy");
    let list = h.call("devices.list", json!({})).expect("list");
    let token = &list["readers"][0]["card"]["token"];
    assert_eq!(token["managed"], json!(true));
    let features = token["features"].as_array().expect("features");
    assert!(features.contains(&json!("unblock_challenge")));
    for gone in [
        "view_puk",
        "pin_policy",
        "recycle",
        "personalize",
        "unblock_admin_key",
    ] {
        assert!(!features.contains(&json!(gone)), "{gone} withheld");
    }
    // The host refuses them even when asked directly, before touching the card.
    for (method, params) in [
        ("puk.show", json!({"device": d, "pin": "00000000"})),
        ("device.recycle", json!({"device": d, "confirm": d})),
        (
            "pin.policy.set",
            json!({"device": d, "policy": {"min_len": 6, "max_len": 8, "charset": "numeric", "refuse_weak": true, "force_change": false, "challenge": "dynamic", "fido_shared": false}}),
        ),
        (
            "pin.unblock",
            json!({"device": d, "method": {"kind": "admin_key", "key": "00".repeat(16)}, "new": "13572468"}),
        ),
    ] {
        let e = h.call(method, params).expect_err(method);
        assert_eq!(code(&e), "managed", "{method}");
    }
    assert_eq!(
        h.call("pin.status", json!({"device": d})).expect("status")["tries_left"],
        json!(6),
        "no PIN was tried"
    );
    // Authenticate, change PIN and the helpdesk unblock stay.
    h.call("pin.policy.get", json!({"device": d}))
        .expect("Change PIN still reads the rules");
    h.call("pin.verify", json!({"device": d, "pin": "00000000"}))
        .expect("verify");
    block(&mut h, &d);
    h.call("pin.unblock.challenge", json!({"device": d}))
        .expect("challenge");
    // An administrator removing the policy gives the actions back at once.
    std::fs::remove_file(h.dir.join("admin-policy.json")).expect("rm");
    let list = h.call("devices.list", json!({})).expect("list");
    assert_eq!(list["readers"][0]["card"]["token"]["managed"], json!(false));
}

#[test]
fn a_shared_fido_pin_follows_personalize_and_every_pin_change() {
    let mut h = Host::new(Profile::CrescendoKey);
    let d = h.device();
    assert_eq!(
        h.call("fido.info", json!({"device": d})).expect("info")["pin"],
        "notSet"
    );
    let mut policy = h
        .call("pin.policy.get", json!({"device": d}))
        .expect("policy")["policy"]
        .clone();
    policy["fido_shared"] = json!(true);
    let r = h
        .call(
            "device.personalize",
            json!({"device": d, "recycle": false, "pin": "00000000", "policy": policy, "new_pin": "24681357"}),
        )
        .expect("personalised");
    assert!(r["puk"].as_str().is_some_and(|p| p.len() == 8));
    assert!(r.get("fido_pin_error").is_none(), "{r}");
    // Personalize set the FIDO PIN to the new PIN.
    let d = h.device();
    assert_eq!(
        h.call("fido.info", json!({"device": d})).expect("info")["pin"],
        "set"
    );
    h.call(
        "fido.credentials.list",
        json!({"device": d, "pin": "24681357"}),
    )
    .expect("the FIDO PIN is the smart-card PIN");
    // A PIN change moves both.
    h.call(
        "pin.change",
        json!({"device": d, "old": "24681357", "new": "97531864"}),
    )
    .expect("changed");
    h.call(
        "fido.credentials.list",
        json!({"device": d, "pin": "97531864"}),
    )
    .expect("the FIDO PIN followed");
    let e = h
        .call(
            "fido.credentials.list",
            json!({"device": d, "pin": "24681357"}),
        )
        .expect_err("the old FIDO PIN is gone");
    assert_eq!(code(&e), "wrong_pin");
}
