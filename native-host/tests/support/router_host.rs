//! The host's router over an in-process virtual token, as the browser would
//! drive it: requests in, responses and events out. Shared by the `otp.*` and
//! `button.*` tests (included with `#[path]`).
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use tessera_core::protocol::{Event, Request};
use tessera_host::admin_policy::AdminPolicy;
use tessera_host::policy_store::PolicyStore;
use tessera_host::router::Router;
use tessera_host::virtual_backend::VirtualBackend;
use tessera_virtual_token::platform::{ButtonMode, Platform};
use tessera_virtual_token::profile::Profile;

/// A router over a fresh virtual token (real clock, `button` mode), its
/// stores in a temporary directory; events are collected.
pub struct Host {
    /// Events the requests produced.
    pub router: Router,
    next: u64,
    events: Arc<Mutex<Vec<Event>>>,
    _dir: tempfile::TempDir,
}

impl Host {
    /// See the module docs.
    pub fn new(profile: Profile, button: ButtonMode) -> Host {
        let card = profile.build(Platform::system(button));
        let dir = tempfile::tempdir().expect("tempdir");
        let router = Router::with_backend(Arc::new(VirtualBackend::ephemeral(card)))
            .with_policies(PolicyStore::new(dir.path().join("policies.json")))
            .with_admin_policy(AdminPolicy::at(dir.path().join("admin.json")));
        Host {
            router,
            next: 1,
            events: Arc::default(),
            _dir: dir,
        }
    }

    /// See the module docs.
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.next += 1;
        let events = self.events.clone();
        let r = self.router.dispatch_with_events(
            Request {
                id: self.next,
                method: method.into(),
                params,
            },
            &move |e| events.lock().expect("events").push(e),
        );
        match (r.result, r.error) {
            (Some(v), None) => Ok(v),
            (_, Some(e)) => Err(serde_json::to_value(e).expect("error json")),
            _ => panic!("empty response"),
        }
    }

    /// See the module docs.
    pub fn device(&mut self) -> String {
        let list = self.call("devices.list", json!({})).expect("list");
        list["readers"][0]["card"]["token"]["id"]
            .as_str()
            .expect("probed token id")
            .to_owned()
    }
}

impl Host {
    /// How many `otp.touch` events were seen.
    pub fn touches(&self) -> usize {
        self.events
            .lock()
            .expect("events")
            .iter()
            .filter(|e| e.event == "otp.touch")
            .count()
    }
}

/// The error code of an error response.
pub fn code(e: &Value) -> &str {
    e["code"].as_str().unwrap_or_default()
}
