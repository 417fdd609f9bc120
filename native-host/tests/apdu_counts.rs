//! APDUs per device-management operation on a Crescendo Key, counted at the
//! transport (issue 4 budget: at the minimum, no repeated SELECT or VERIFY).
//! Each count is asserted, so a regression shows; `--nocapture` prints the table.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use tessera_core::protocol::Request;
use tessera_host::backend::{Backend, Listing};
use tessera_host::connection::{SmartCardConnection, SmartCardDevice, TransportError};
use tessera_host::policy_store::PolicyStore;
use tessera_host::router::Router;
use tessera_host::virtual_backend::VirtualBackend;
use tessera_virtual_token::platform::{ButtonMode, Platform};
use tessera_virtual_token::profile::Profile;

/// Wraps a backend and records every command APDU.
struct Counting {
    inner: VirtualBackend,
    log: Arc<Mutex<Vec<Vec<u8>>>>,
}

struct CountingDevice {
    inner: Box<dyn SmartCardDevice>,
    log: Arc<Mutex<Vec<Vec<u8>>>>,
}

struct CountingConn<'a> {
    inner: &'a mut dyn SmartCardConnection,
    log: &'a Mutex<Vec<Vec<u8>>>,
}

impl SmartCardConnection for CountingConn<'_> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.log.lock().expect("log").push(apdu.to_vec());
        self.inner.transmit(apdu)
    }
}

impl SmartCardDevice for CountingDevice {
    fn atr(&self) -> &[u8] {
        self.inner.atr()
    }
    fn run(
        &mut self,
        op: &mut dyn FnMut(&mut dyn SmartCardConnection),
    ) -> Result<(), TransportError> {
        let log = self.log.clone();
        self.inner.run(&mut |c| {
            op(&mut CountingConn {
                inner: c,
                log: &log,
            })
        })
    }
}

impl Backend for Counting {
    fn list(&self) -> Listing {
        self.inner.list()
    }
    fn connect(&self, reader: &str) -> Result<Box<dyn SmartCardDevice>, TransportError> {
        Ok(Box::new(CountingDevice {
            inner: self.inner.connect(reader)?,
            log: self.log.clone(),
        }))
    }
    fn watch(&self, stop: &std::sync::atomic::AtomicBool, on_change: &mut dyn FnMut()) {
        self.inner.watch(stop, on_change)
    }
}

static ID: AtomicUsize = AtomicUsize::new(0);

fn call(router: &Router, method: &str, params: Value) -> Value {
    let r = router.dispatch(Request {
        id: ID.fetch_add(1, Ordering::Relaxed) as u64,
        method: method.into(),
        params,
    });
    r.result
        .unwrap_or_else(|| panic!("{method}: {:?}", r.error))
}

#[test]
fn apdus_per_operation() {
    let card = Profile::CrescendoKey.build(Platform::deterministic(3, ButtonMode::Never).0);
    let log = Arc::new(Mutex::new(vec![]));
    let dir = std::env::temp_dir().join(format!("tessera-apdu-{}", std::process::id()));
    let router = Router::with_backend(Arc::new(Counting {
        inner: VirtualBackend::ephemeral(card),
        log: log.clone(),
    }))
    .with_policies(PolicyStore::new(dir.join("p.json")));
    let count = |what: &str, method: &str, params: Value, expected: usize, minimum: usize| {
        log.lock().expect("log").clear();
        call(&router, method, params);
        let apdus = log.lock().expect("log").clone();
        let list: Vec<String> = apdus
            .iter()
            .map(|a| hex::encode_upper(&a[..a.len().min(5)]))
            .collect();
        println!(
            "{what:<34} {:>3} APDUs (minimum {minimum:>2}): {}",
            apdus.len(),
            list.join(" ")
        );
        // No instruction is sent twice in a row (no repeated SELECT or VERIFY).
        for w in apdus.windows(2) {
            assert_ne!(w[0], w[1], "{what}: repeated {}", hex::encode_upper(&w[0]));
        }
        assert_eq!(apdus.len(), expected, "{what}: {list:?}");
        apdus.len()
    };
    count(
        "devices.list (first: probe + lock)",
        "devices.list",
        json!({}),
        9,
        9,
    );
    let id = call(&router, "devices.list", json!({}))["readers"][0]["card"]["token"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    count("devices.list (cached)", "devices.list", json!({}), 2, 2);
    count("pin.status", "pin.status", json!({"device": id}), 2, 2);
    count(
        "pin.verify",
        "pin.verify",
        json!({"device": id, "pin": "00000000"}),
        2,
        2,
    );
    count(
        "pin.change (limits read once)",
        "pin.change",
        json!({"device": id, "old": "00000000", "new": "25801470"}),
        6,
        5,
    );
    count(
        "pin.change (limits cached)",
        "pin.change",
        json!({"device": id, "old": "25801470", "new": "36914702"}),
        4,
        4,
    );
    count("pin.lock", "pin.lock", json!({"device": id}), 3, 3);
    count(
        "pin.unblock (admin key)",
        "pin.unblock",
        json!({"device": id, "method": {"kind": "admin_key", "key": "00".repeat(16)}, "new": "14702580"}),
        6,
        6,
    );
    count(
        "pairing_code.get (PIN given)",
        "pairing_code.get",
        json!({"device": id, "pin": "14702580"}),
        3,
        3,
    );
    let totp = json!({"kind": "totp", "algorithm": "sha1", "digits": 6, "period": 30, "name": "A",
        "secret": "3132333435363738393031323334353637383930", "access": "always"});
    count("otp.list", "otp.list", json!({"device": id}), 3, 3);
    count(
        "otp.add (slot given, PIN, checked)",
        "otp.add",
        json!({"device": id, "slot": 2, "account": totp, "pin": "14702580", "time": 1585752066}),
        6,
        6,
    );
    count(
        "otp.add (first free slot, checked)",
        "otp.add",
        json!({"device": id, "account": totp, "time": 1585752066}),
        4,
        4,
    );
    count(
        "otp.code (TOTP, no touch)",
        "otp.code",
        json!({"device": id, "entry": "slot-2", "time": 1585752066}),
        2,
        2,
    );
    count(
        "otp.codes (two TOTP slots)",
        "otp.codes",
        json!({"device": id, "time": 1585752066}),
        5,
        5,
    );
    let _ = std::fs::remove_dir_all(dir);
}
