//! CTAPHID (CTAP 2.1 §11.2; protocols.md §4.2) with 64-byte reports, in-process,
//! over the same authenticator as the ISO 7816 applet.

#[path = "fido/support.rs"]
mod support;

use std::time::Duration;

use ciborium::Value;
use support::*;
use tessera_virtual_token::ctaphid::{CtapHidDevice, Report};

const BROADCAST: [u8; 4] = [0xFF; 4];
const WAIT: Duration = Duration::from_secs(5);

/// Splits a message into an init packet and continuation packets (§11.2.4).
fn packets(cid: [u8; 4], cmd: u8, payload: &[u8]) -> Vec<Report> {
    let mut out = vec![];
    let mut p = [0u8; 64];
    p[..4].copy_from_slice(&cid);
    p[4] = cmd;
    p[5..7].copy_from_slice(&(payload.len() as u16).to_be_bytes());
    let first = payload.len().min(57);
    p[7..7 + first].copy_from_slice(&payload[..first]);
    out.push(p);
    for (seq, chunk) in payload[first..].chunks(59).enumerate() {
        let mut c = [0u8; 64];
        c[..4].copy_from_slice(&cid);
        c[4] = seq as u8;
        c[5..5 + chunk.len()].copy_from_slice(chunk);
        out.push(c);
    }
    out
}

/// Reads one response message on `cid`; returns (cmd, payload, keepalive statuses).
fn receive(dev: &mut CtapHidDevice, cid: [u8; 4]) -> (u8, Vec<u8>, Vec<u8>) {
    let mut keepalives = vec![];
    loop {
        let p = dev.read_report(WAIT).expect("a report");
        assert_eq!(p[..4], cid, "response on the request's channel");
        if p[4] == 0xBB {
            assert_eq!(u16::from_be_bytes([p[5], p[6]]), 1);
            keepalives.push(p[7]);
            continue;
        }
        let len = usize::from(u16::from_be_bytes([p[5], p[6]]));
        let mut payload = p[7..7 + len.min(57)].to_vec();
        let mut seq = 0;
        while payload.len() < len {
            let c = dev.read_report(WAIT).expect("continuation");
            assert_eq!(c[..4], cid);
            assert_eq!(c[4], seq, "continuation sequence");
            seq += 1;
            let take = (len - payload.len()).min(59);
            payload.extend_from_slice(&c[5..5 + take]);
        }
        return (p[4], payload, keepalives);
    }
}

fn send(dev: &mut CtapHidDevice, cid: [u8; 4], cmd: u8, payload: &[u8]) {
    for p in packets(cid, cmd, payload) {
        dev.write_report(&p);
    }
}

fn transact(dev: &mut CtapHidDevice, cid: [u8; 4], cmd: u8, payload: &[u8]) -> (u8, Vec<u8>) {
    send(dev, cid, cmd, payload);
    let (cmd, payload, _) = receive(dev, cid);
    (cmd, payload)
}

/// INIT on the broadcast channel: a new channel id.
fn init(dev: &mut CtapHidDevice) -> [u8; 4] {
    let nonce = [1, 2, 3, 4, 5, 6, 7, 8];
    let (cmd, r) = transact(dev, BROADCAST, 0x86, &nonce);
    assert_eq!(cmd, 0x86);
    assert_eq!(
        r.len(),
        17,
        "nonce(8) ‖ CID(4) ‖ version ‖ major ‖ minor ‖ build ‖ caps"
    );
    assert_eq!(r[..8], nonce, "nonce echoed");
    assert_eq!(r[12], 2, "CTAPHID protocol version 2");
    assert_eq!(
        r[16], 0x05,
        "capabilities WINK | CBOR (MSG supported: no NMSG)"
    );
    [r[8], r[9], r[10], r[11]]
}

fn device() -> (Key, CtapHidDevice) {
    let key = Key::new();
    let dev = CtapHidDevice::new(key.auth.clone());
    (key, dev)
}

#[test]
fn init_allocates_channels_and_checks_the_nonce() {
    let (_key, mut dev) = device();
    let a = init(&mut dev);
    let b = init(&mut dev);
    assert_ne!(a, b);
    assert!(a != [0; 4] && a != BROADCAST && b != [0; 4] && b != BROADCAST);
    // INIT on an allocated channel resynchronises it: same CID back.
    let (cmd, r) = transact(&mut dev, a, 0x86, &[9; 8]);
    assert_eq!((cmd, &r[8..12]), (0x86, &a[..]));
    // A nonce that is not 8 bytes: ERROR INVALID_LEN (03).
    assert_eq!(
        transact(&mut dev, BROADCAST, 0x86, &[1; 7]),
        (0xBF, vec![0x03])
    );
    // An unallocated channel: ERROR INVALID_CHANNEL (0B).
    assert_eq!(
        transact(&mut dev, [0, 0, 0x12, 0x34], 0x81, b"x"),
        (0xBF, vec![0x0B])
    );
}

#[test]
fn ping_echoes_across_packets() {
    let (_key, mut dev) = device();
    let cid = init(&mut dev);
    let data: Vec<u8> = (0..300u16).map(|i| i as u8).collect();
    assert_eq!(transact(&mut dev, cid, 0x81, &data), (0x81, data));
}

#[test]
fn cbor_get_info() {
    let (_key, mut dev) = device();
    let cid = init(&mut dev);
    let (cmd, r) = transact(&mut dev, cid, 0x90, &[0x04]);
    assert_eq!(cmd, 0x90);
    assert_eq!(r[0], 0x00);
    let info = decode(&r[1..]);
    let versions = texts(get(&info, 1));
    assert!(versions.contains(&"FIDO_2_1".to_owned()), "{versions:?}");
    assert_eq!(texts(get(&info, 9)), ["nfc", "usb"]);
}

#[test]
fn wink_lock_and_unknown_commands() {
    let (_key, mut dev) = device();
    let cid = init(&mut dev);
    let other = init(&mut dev);
    assert_eq!(transact(&mut dev, cid, 0x88, &[]), (0x88, vec![]));
    assert_eq!(
        transact(&mut dev, cid, 0x84, &[2]),
        (0x84, vec![]),
        "LOCK 2 s"
    );
    assert_eq!(
        transact(&mut dev, other, 0x81, b"x"),
        (0xBF, vec![0x06]),
        "CHANNEL_BUSY while locked"
    );
    assert_eq!(
        transact(&mut dev, cid, 0x84, &[0]),
        (0x84, vec![]),
        "unlock"
    );
    assert_eq!(transact(&mut dev, other, 0x81, b"x"), (0x81, b"x".to_vec()));
    assert_eq!(
        transact(&mut dev, cid, 0xC0, &[]),
        (0xBF, vec![0x01]),
        "INVALID_CMD"
    );
}

#[test]
fn msg_carries_u2f() {
    let (_key, mut dev) = device();
    let cid = init(&mut dev);
    // U2F VERSION in the extended encoding (protocols.md §4.2 MSG).
    let (cmd, r) = transact(
        &mut dev,
        cid,
        0x83,
        &[0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00],
    );
    assert_eq!(cmd, 0x83);
    assert_eq!(r, b"U2F_V2\x90\x00");
}

#[test]
fn keepalive_while_waiting_then_cancel() {
    let (key, mut dev) = device();
    let cid = init(&mut dev);
    let mut request = vec![0x01];
    ciborium::into_writer(&make_credential(b"u", "u", true, vec![]), &mut request).expect("cbor");
    send(&mut dev, cid, 0x90, &request);
    // KEEPALIVE UPNEEDED (02) while the button is awaited.
    let p = dev.read_report(WAIT).expect("keepalive");
    assert_eq!(
        p[..8],
        [cid[0], cid[1], cid[2], cid[3], 0xBB, 0x00, 0x01, 0x02]
    );
    assert!(key.button.is_waiting());
    // INIT from another client meanwhile: CHANNEL_BUSY.
    busy_during_wait(&mut dev);
    // CANCEL: no reply to it; the request ends with KEEPALIVE_CANCEL 2D.
    send(&mut dev, cid, 0x91, &[]);
    let (cmd, payload, _) = receive(&mut dev, cid);
    assert_eq!((cmd, payload), (0x90, vec![0x2D]));
    assert!(!key.button.is_waiting());
}

/// INIT on broadcast while a request waits for the button: busy (keepalives
/// of the waiting channel may come in between).
fn busy_during_wait(dev: &mut CtapHidDevice) {
    send(dev, BROADCAST, 0x86, &[7; 8]);
    loop {
        let p = dev.read_report(WAIT).expect("report");
        if p[..4] == BROADCAST {
            assert_eq!(p[4..8], [0xBF, 0x00, 0x01, 0x06], "ERROR CHANNEL_BUSY");
            return;
        }
        assert_eq!(p[4], 0xBB, "only keepalives on the busy channel");
    }
}

#[test]
fn touch_completes_a_cbor_request_and_iso_sees_the_credential() {
    let (mut key, mut dev) = device();
    let cid = init(&mut dev);
    let mut request = vec![0x01];
    ciborium::into_writer(&make_credential(b"shared", "s", true, vec![]), &mut request)
        .expect("cbor");
    send(&mut dev, cid, 0x90, &request);
    let p = dev.read_report(WAIT).expect("keepalive");
    assert_eq!(p[4], 0xBB);
    key.button.press();
    let (cmd, payload, _) = receive(&mut dev, cid);
    assert_eq!((cmd, payload[0]), (0x90, 0x00));

    // The same authenticator behind the ISO 7816 door.
    key.select();
    let (status, body) = key.ctap(0x02, Some(&get_assertion()), true);
    assert_eq!(status, 0);
    let user = get(&decode(&body), 4).cloned().expect("user");
    assert_eq!(get_t(&user, "id"), Some(&Value::Bytes(b"shared".to_vec())));
}

#[test]
fn replug_forgets_channels_and_reopens_the_reset_window() {
    let (key, mut dev) = device();
    let cid = init(&mut dev);
    key.clock.advance(Duration::from_secs(12));
    send(&mut dev, cid, 0x90, &[0x07]);
    assert_eq!(
        receive(&mut dev, cid).1,
        vec![0x30],
        "NOT_ALLOWED after 10 s"
    );
    dev.replug();
    assert_eq!(
        transact(&mut dev, cid, 0x81, b"x"),
        (0xBF, vec![0x0B]),
        "channel gone"
    );
    let cid = init(&mut dev);
    send(&mut dev, cid, 0x90, &[0x07]);
    let p = dev.read_report(WAIT).expect("keepalive");
    assert_eq!(p[4..8], [0xBB, 0x00, 0x01, 0x02]);
    key.button.press();
    assert_eq!(receive(&mut dev, cid).1, vec![0x00], "reset");
}
