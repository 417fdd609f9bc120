//! Pulling the key at each APDU of Change PIN, Personalize and Recycle (issue 4):
//! the host answers with a clear error and no crash, forgets what it knew, and
//! re-reads the token when it is back; the token holds the old or the new state.
//! Real pcscd + vpcd; the card is pulled by its bridge (`unplug-after N`).

#[path = "support/pcsc_env.rs"]
mod pcsc_env;

use std::sync::Arc;
use std::time::Duration;

use pcsc_env::{card_present, serial, wait_until, Pcscd, VirtualCard};
use serde_json::{json, Value};
use tessera_core::protocol::Request;
use tessera_host::backend::PcscBackend;
use tessera_host::policy_store::PolicyStore;
use tessera_host::router::Router;

struct Host {
    router: Router,
    id: u64,
}

impl Host {
    fn new(dir: &std::path::Path) -> Host {
        Host {
            router: Router::with_backend(Arc::new(PcscBackend))
                .with_policies(PolicyStore::new(dir.join("policies.json"))),
            id: 0,
        }
    }

    fn call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.id += 1;
        let r = self.router.dispatch(Request {
            id: self.id,
            method: method.into(),
            params,
        });
        match (r.result, r.error) {
            (Some(v), None) => Ok(v),
            (_, Some(e)) => Err(serde_json::to_value(e).expect("json")),
            _ => panic!("empty response"),
        }
    }

    fn token_id(&mut self, reader: &str) -> Option<String> {
        let list = self.call("devices.list", json!({})).ok()?;
        list["readers"]
            .as_array()?
            .iter()
            .find(|r| r["name"] == reader)?["card"]["token"]["id"]
            .as_str()
            .map(str::to_owned)
    }
}

/// Runs `op` with the card pulled at APDU k = 0, 1, 2, … until it completes.
/// `check` verifies the token after reinsertion (old or new state).
fn pull_at_every_apdu(
    name: &str,
    op: impl Fn(&mut Host, &str) -> Result<Value, Value>,
    check: impl Fn(&mut Host, &str),
) {
    let _serial = serial();
    let _pcscd = Pcscd::start();
    for k in 0..200 {
        let dir = tempfile::tempdir().expect("temp");
        let card = VirtualCard::start_with_state(
            "crescendo-key",
            "auto",
            &dir.path().join("card.json"),
            pcsc_env::READER0,
        );
        let mut host = Host::new(dir.path());
        let id = match host.token_id(card.reader) {
            Some(id) => id,
            None => panic!(
                "token not probed: {:?} present={} listing={:?}",
                host.call("devices.list", json!({})),
                card_present(card.reader),
                tessera_host::backend::Backend::list(&PcscBackend)
            ),
        };
        assert_eq!(card.ctl(&format!("unplug-after {k}")), "ok");
        match op(&mut host, &id) {
            Ok(_) => {
                assert!(k > 0, "{name}: an operation needs APDUs");
                eprintln!("{name}: completes in {k} APDUs; every earlier pull tested");
                return;
            }
            Err(e) => {
                let code = e["code"].as_str().unwrap_or("");
                assert!(
                    matches!(code, "device_not_found" | "transport_error"),
                    "{name}, pulled at APDU {k}: {e}"
                );
                assert!(!e["message"].as_str().unwrap_or("").is_empty());
            }
        }
        // The tile would update: the token is gone…
        wait_until(Duration::from_secs(5), "the bridge to pull", || {
            card.ctl("status").contains("\"plugged\":false")
        });
        wait_until(Duration::from_secs(5), "removal", || {
            !card_present(card.reader)
        });
        assert_eq!(
            host.token_id(card.reader),
            None,
            "{name} k={k}: gone while pulled"
        );
        // …and is re-read on reinsertion (after pcscd's ~0.45 s ATR poll saw it go).
        std::thread::sleep(Duration::from_millis(600));
        assert_eq!(card.ctl("plug"), "ok");
        wait_until(Duration::from_secs(10), "reinsertion", || {
            card_present(card.reader)
        });
        let again = host.token_id(card.reader).expect("re-probed");
        check(&mut host, &again);
    }
    panic!("{name} never completed");
}

fn verifies(host: &mut Host, id: &str, pin: &str) -> bool {
    host.call("pin.verify", json!({"device": id, "pin": pin}))
        .is_ok()
}

#[test]
fn pull_during_change_pin() {
    pull_at_every_apdu(
        "change PIN",
        |h, id| {
            h.call(
                "pin.change",
                json!({"device": id, "old": "00000000", "new": "25801470"}),
            )
        },
        |h, id| {
            // A wrong guess costs a try; check the new PIN first only if the old fails.
            assert!(
                verifies(h, id, "00000000") || verifies(h, id, "25801470"),
                "the PIN is the old or the new one"
            );
        },
    );
}

#[test]
fn pull_during_recycle() {
    pull_at_every_apdu(
        "recycle",
        |h, id| {
            h.call(
                "pin.change",
                json!({"device": id, "old": "00000000", "new": "36925814"}),
            )?;
            h.call(
                "device.recycle",
                json!({"device": id, "confirm": id, "pin": "36925814"}),
            )
        },
        |h, id| {
            assert!(
                verifies(h, id, "00000000") || verifies(h, id, "36925814"),
                "factory or previous PIN"
            );
        },
    );
}

#[test]
fn pull_during_personalize() {
    pull_at_every_apdu(
        "personalize",
        |h, id| {
            let policy = h.call("pin.policy.get", json!({"device": id}))?["policy"].clone();
            h.call(
                "device.personalize",
                json!({"device": id, "recycle": true, "confirm": id, "pin": "00000000",
                       "policy": policy, "new_pin": "14702580"}),
            )
        },
        |h, id| {
            assert!(
                verifies(h, id, "00000000") || verifies(h, id, "14702580"),
                "factory or personalised PIN"
            );
        },
    );
}
