//! The CTAP2 client over CTAPHID, in-process against OpenSK (the virtual
//! token's `CtapHidDevice` is the peer, reached through a small adapter on the
//! client's report trait). Manual clock, so the 10 s reset window is exact.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use tessera_host::fido::client_pin::permission;
use tessera_host::fido::ctaphid::{CtapHid, HidReports, Report};
use tessera_host::fido::make_credential::NewCredential;
use tessera_host::fido::reset::{self, PresenceWatcher, ResetEvent, ResetOutcome, ResetPlan};
use tessera_host::fido::{
    Ctap2, CtapError, CtapResult, FidoConnection, KeepaliveStatus, PinProtocol, Quiet, StatusCode,
    Watch,
};
use tessera_virtual_token::applets::fido::{Authenticator, FidoOptions};
use tessera_virtual_token::ctaphid::CtapHidDevice;
use tessera_virtual_token::platform::{Button, ButtonMode, ManualClock, Platform};

/// The virtual key's HID side behind the client's report trait.
#[derive(Clone)]
struct Peer(Arc<Mutex<CtapHidDevice>>);

impl HidReports for Peer {
    fn write_report(&mut self, report: &Report) -> CtapResult<()> {
        self.0.lock().expect("peer").write_report(report);
        Ok(())
    }
    fn read_report(&mut self, timeout: Duration) -> CtapResult<Option<Report>> {
        Ok(self.0.lock().expect("peer").read_report(timeout))
    }
}

struct Key {
    peer: Peer,
    clock: ManualClock,
    button: Button,
    _auth: Authenticator,
}

impl Key {
    fn new(mode: ButtonMode) -> Key {
        let (mut platform, clock) = Platform::deterministic(7, mode);
        let button = platform.button.clone();
        let auth = Authenticator::from_platform(&mut platform, FidoOptions::default());
        let dev = CtapHidDevice::new(auth.clone());
        Key {
            peer: Peer(Arc::new(Mutex::new(dev))),
            clock,
            button,
            _auth: auth,
        }
    }

    fn open(&self) -> Ctap2<'static> {
        Ctap2::open(CtapHid::open(self.peer.clone()).expect("INIT")).expect("getInfo")
    }

    fn replug(&self) {
        self.peer.0.lock().expect("peer").replug();
    }
}

fn status(e: CtapError) -> StatusCode {
    e.status()
        .unwrap_or_else(|| panic!("expected a CTAP status, got {e:?}"))
}

const PROTOCOLS: [PinProtocol; 2] = [PinProtocol::V1, PinProtocol::V2];

#[test]
fn get_info_reports_opensk() {
    let key = Key::new(ButtonMode::Auto(Duration::ZERO));
    let ctap = key.open();
    let info = ctap.info();
    assert!(info.has_version("FIDO_2_1"), "{:?}", info.versions);
    assert!(info.has_version("U2F_V2"));
    assert_eq!(info.aaguid, vec![0; 16]);
    assert_eq!(info.option("clientPin"), Some(false), "no PIN yet");
    assert_eq!(info.cred_mgmt_command(), Some(0x0A));
    assert!(info.pin_uv_auth_protocols.contains(&1) && info.pin_uv_auth_protocols.contains(&2));
    assert_eq!(
        ctap.pin_protocol().expect("protocol"),
        PinProtocol::V2,
        "2 preferred"
    );
    assert!(info.remaining_discoverable_credentials.is_some());
    assert!(!info.u2f_only);
}

#[test]
fn set_change_wrong_pin_and_power_cycle_block_with_both_protocols() {
    for protocol in PROTOCOLS {
        let key = Key::new(ButtonMode::Auto(Duration::ZERO));
        let mut ctap = key.open();
        ctap.use_pin_protocol(protocol);
        let no_pin = ctap
            .pin_token("1234", permission::CM, None)
            .err()
            .expect("no PIN");
        assert!(
            matches!(
                status(no_pin),
                StatusCode::PinNotSet | StatusCode::PuatRequired
            ),
            "{protocol:?}"
        );
        ctap.set_pin("1234").expect("set PIN");
        assert_eq!(
            status(ctap.set_pin("5678").expect_err("already set")),
            StatusCode::PinAuthInvalid
        );
        ctap.refresh_info().expect("info");
        assert_eq!(ctap.info().option("clientPin"), Some(true));
        ctap.change_pin("1234", "24682468").expect("change PIN");
        assert_eq!(ctap.pin_retries().expect("retries").retries, 8);
        // The old PIN no longer works and each wrong try costs one retry.
        assert_eq!(
            status(
                ctap.pin_token("1234", permission::CM, None)
                    .err()
                    .expect("old PIN")
            ),
            StatusCode::PinInvalid
        );
        assert_eq!(ctap.pin_retries().expect("retries").retries, 7);
        assert_eq!(
            status(
                ctap.pin_token("0000", permission::CM, None)
                    .err()
                    .expect("wrong")
            ),
            StatusCode::PinInvalid
        );
        assert_eq!(ctap.pin_retries().expect("retries").retries, 6);
        // Third consecutive mismatch: blocked until power cycle, even for the right PIN.
        assert_eq!(
            status(
                ctap.pin_token("1111", permission::CM, None)
                    .err()
                    .expect("third")
            ),
            StatusCode::PinAuthBlocked
        );
        assert_eq!(
            status(
                ctap.pin_token("24682468", permission::CM, None)
                    .err()
                    .expect("blocked")
            ),
            StatusCode::PinAuthBlocked
        );
        let r = ctap.pin_retries().expect("retries");
        assert_eq!(r.retries, 5);
        assert_ne!(r.power_cycle_state, Some(false));
        // Replug: the right PIN works again and restores the retries.
        key.replug();
        let mut ctap = key.open();
        ctap.use_pin_protocol(protocol);
        ctap.pin_token("24682468", permission::CM, None)
            .expect("token after replug");
        assert_eq!(ctap.pin_retries().expect("retries").retries, 8);
        // Too short for the key's policy: refused before sending.
        assert!(matches!(
            ctap.change_pin("24682468", "12"),
            Err(CtapError::InvalidInput(_))
        ));
    }
}

fn make(ctap: &mut Ctap2<'_>, pin: &str, rp: &str, user: &str) -> Vec<u8> {
    let token = ctap
        .pin_token(pin, permission::MC, Some(rp))
        .expect("mc token");
    let new = NewCredential {
        client_data_hash: [0x11; 32],
        rp_id: rp,
        rp_name: rp,
        user_id: user.as_bytes(),
        user_name: user,
        display_name: &user.to_uppercase(),
        resident: true,
    };
    let a = ctap
        .make_credential(&new, Some(&token), &mut Quiet)
        .expect("makeCredential");
    assert_eq!(a.flags & 0x45, 0x45, "UP, UV and AT");
    a.credential_id
}

#[test]
fn resident_credentials_listed_counted_and_deleted_with_both_protocols() {
    for protocol in PROTOCOLS {
        let key = Key::new(ButtonMode::Auto(Duration::ZERO));
        let mut ctap = key.open();
        ctap.use_pin_protocol(protocol);
        ctap.set_pin("1234").expect("set PIN");
        let token = ctap.pin_token("1234", permission::CM, None).expect("cm");
        assert_eq!(
            ctap.cred_mgmt(&token)
                .expect("cm")
                .relying_parties()
                .expect("rps"),
            vec![]
        );
        let before = ctap
            .cred_mgmt(&token)
            .expect("cm")
            .metadata()
            .expect("meta");
        assert_eq!(before.existing, 0);

        let a = make(&mut ctap, "1234", "example.com", "alice");
        let b = make(&mut ctap, "1234", "example.com", "bob");
        let c = make(&mut ctap, "1234", "tessera.test", "carol");

        let token = ctap.pin_token("1234", permission::CM, None).expect("cm");
        let mut cm = ctap.cred_mgmt(&token).expect("cm");
        let meta = cm.metadata().expect("meta");
        assert_eq!(meta.existing, 3, "{protocol:?}");
        assert_eq!(meta.remaining, before.remaining - 3);
        let mut rps: Vec<String> = cm
            .relying_parties()
            .expect("rps")
            .into_iter()
            .map(|r| r.id)
            .collect();
        rps.sort();
        assert_eq!(rps, ["example.com", "tessera.test"]);
        let all = cm.all_credentials().expect("all");
        assert_eq!(all.len(), 3);
        let alice = all
            .iter()
            .find(|c| c.user_name.as_deref() == Some("alice"))
            .expect("alice");
        assert_eq!(alice.rp_id, "example.com");
        assert_eq!(alice.credential_id, hex::encode(&a));
        assert_eq!(alice.display_name.as_deref(), Some("ALICE"));
        assert_eq!(alice.user_id, hex::encode("alice"));
        let ids: Vec<&str> = all.iter().map(|c| c.credential_id.as_str()).collect();
        assert!(ids.contains(&hex::encode(&b).as_str()) && ids.contains(&hex::encode(&c).as_str()));

        cm.delete(&b).expect("delete bob");
        let all = cm.all_credentials().expect("all");
        assert_eq!(all.len(), 2);
        assert!(
            all.iter().all(|x| x.credential_id != hex::encode(&b)),
            "bob gone"
        );
        assert_eq!(cm.metadata().expect("meta").existing, 2);
        assert_eq!(
            status(cm.delete(&b).expect_err("again")),
            StatusCode::NoCredentials
        );
        // The last credential of an rp takes the rp with it.
        cm.delete(&c).expect("delete carol");
        let rps: Vec<String> = cm
            .relying_parties()
            .expect("rps")
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(rps, ["example.com"]);
        // A token without `cm` is refused.
        let mc = ctap
            .pin_token("1234", permission::MC, Some("example.com"))
            .expect("mc");
        assert_eq!(
            status(
                ctap.cred_mgmt(&mc)
                    .expect("cm")
                    .metadata()
                    .expect_err("no cm")
            ),
            StatusCode::PinAuthInvalid
        );
    }
}

/// Replug on the in-process key; power-cycling in place is not possible over HID.
struct Replug<'k> {
    key: &'k Key,
    removed: bool,
}

impl PresenceWatcher for Replug<'_> {
    fn wait_removed(&mut self, _timeout: Duration) -> CtapResult<bool> {
        self.removed = true;
        Ok(true)
    }
    fn wait_inserted(&mut self, _timeout: Duration) -> CtapResult<Option<String>> {
        assert!(self.removed, "inserted before removal");
        self.key.replug();
        Ok(Some("virtual".into()))
    }
    fn with_key(
        &mut self,
        op: &mut dyn FnMut(&mut dyn FidoConnection) -> CtapResult<ResetOutcome>,
    ) -> CtapResult<ResetOutcome> {
        let mut hid = CtapHid::open(self.key.peer.clone())?;
        op(&mut hid)
    }
}

fn plan() -> ResetPlan {
    ResetPlan {
        aaguid: vec![0; 16],
        device_id: Some("virtual".into()),
        replug_timeout: Duration::from_secs(5),
        touch_timeout: Duration::from_secs(30),
    }
}

#[test]
fn reset_refused_after_ten_seconds_and_accepted_right_after_replug() {
    let key = Key::new(ButtonMode::Manual);
    let mut ctap = key.open();
    ctap.set_pin("1234").expect("set PIN");
    key.clock.advance(Duration::from_secs(11));
    let r = reset::reset(ctap.connection(), &mut Quiet);
    assert_eq!(
        reset::outcome_of(r).expect("outcome"),
        ResetOutcome::TooLate
    );

    // The flow: unplug, plug, touch (pressed once the flow says "touch"), done.
    let button = key.button.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    let presser = thread::spawn(move || {
        let asked = rx.recv_timeout(Duration::from_secs(10)).is_ok();
        if asked {
            button.press();
        }
        asked
    });
    let mut events = vec![];
    let mut watcher = Replug {
        key: &key,
        removed: false,
    };
    let outcome = reset::reset_flow(
        &mut watcher,
        &plan(),
        &mut |e| {
            if matches!(e, ResetEvent::TouchKey { .. }) {
                let _ = tx.send(());
            }
            events.push(e)
        },
        &|| false,
    )
    .expect("flow");
    assert!(
        presser.join().expect("presser"),
        "the key asked for a touch"
    );
    assert_eq!(outcome, ResetOutcome::Done);
    assert_eq!(
        events,
        [
            ResetEvent::UnplugNow,
            ResetEvent::PlugBackIn,
            ResetEvent::TouchKey {
                deadline_ms: 30_000
            },
            ResetEvent::Done
        ]
    );
    let ctap = key.open();
    assert_eq!(ctap.info().option("clientPin"), Some(false), "PIN gone");
}

#[test]
fn reset_flow_detects_a_different_key_and_no_touch() {
    let key = Key::new(ButtonMode::Never);
    let mut other = plan();
    other.aaguid = vec![1; 16];
    let mut watcher = Replug {
        key: &key,
        removed: false,
    };
    assert_eq!(
        reset::reset_flow(&mut watcher, &other, &mut |_| {}, &|| false).expect("flow"),
        ResetOutcome::WrongKey
    );
    let mut other = plan();
    other.device_id = Some("another reader".into());
    let mut watcher = Replug {
        key: &key,
        removed: false,
    };
    assert_eq!(
        reset::reset_flow(&mut watcher, &other, &mut |_| {}, &|| false).expect("flow"),
        ResetOutcome::WrongKey
    );
    // Nobody touches: the key's 30 s pass on its clock.
    let clock = key.clock.clone();
    let button = key.button.clone();
    let ticker = thread::spawn(move || {
        for _ in 0..500 {
            if button.is_waiting() {
                clock.advance(Duration::from_secs(31));
                return;
            }
            thread::sleep(Duration::from_millis(10));
        }
    });
    let mut watcher = Replug {
        key: &key,
        removed: false,
    };
    let outcome = reset::reset_flow(&mut watcher, &plan(), &mut |_| {}, &|| false).expect("flow");
    ticker.join().expect("ticker");
    assert_eq!(outcome, ResetOutcome::NoTouch);
}

#[test]
fn keepalives_reach_the_caller_and_cancel_ends_the_wait() {
    let key = Key::new(ButtonMode::Manual);
    let mut ctap = key.open();
    // selection waits for a touch, with KEEPALIVE UPNEEDED meanwhile.
    let button = key.button.clone();
    let presser = thread::spawn(move || {
        thread::sleep(Duration::from_millis(450));
        button.press();
    });
    let mut seen = vec![];
    ctap.selection(&mut Watch::new(|s| seen.push(s), None))
        .expect("selection");
    presser.join().expect("presser");
    assert!(seen.len() >= 2, "keepalives while waiting: {seen:?}");
    assert!(seen.iter().all(|s| *s == KeepaliveStatus::UpNeeded));

    // Cancel after the first keepalive: the key ends the command with 2D.
    let cancel = AtomicBool::new(false);
    let mut n = 0;
    let e = ctap
        .selection(&mut Watch::new(
            |_| {
                n += 1;
                cancel.store(true, Ordering::SeqCst);
            },
            Some(&cancel),
        ))
        .expect_err("cancelled");
    assert_eq!(status(e), StatusCode::KeepaliveCancel);
    // The channel is usable afterwards.
    assert!(ctap.refresh_info().is_ok());
    assert!(ctap.wink().expect("wink"));
}
