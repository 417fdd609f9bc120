//! The virtual card's state file under abuse: `kill -9` during writes (≥ 200
//! times) always leaves a loadable file holding the old or the new state; corrupt
//! and foreign files give clear errors. The test plays vpcd itself (the card is
//! a TCP client), so no pcscd is needed for this part.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn tessera() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
}

fn spawn_card(port: u16, state: &Path) -> Child {
    tessera()
        .args([
            "virtual-card",
            "--profile",
            "crescendo-key",
            "--button",
            "never",
        ])
        .arg("--vpcd")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--state")
        .arg(state)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("tessera virtual-card starts")
}

/// vpcd side of the wire: 2-byte big-endian length + payload.
fn send(stream: &mut TcpStream, payload: &[u8]) {
    let mut frame = (payload.len() as u16).to_be_bytes().to_vec();
    frame.extend_from_slice(payload);
    stream.write_all(&frame).expect("frame sent");
}

fn recv(stream: &mut TcpStream) -> Vec<u8> {
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).expect("reply header");
    let mut body = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut body).expect("reply body");
    body
}

fn apdu(stream: &mut TcpStream, hex_apdu: &str) -> String {
    send(stream, &hex::decode(hex_apdu).expect("hex"));
    hex::encode_upper(recv(stream))
}

fn pin(n: u32) -> String {
    format!("{n:08}")
}

fn pin_hex(n: u32) -> String {
    hex::encode_upper(pin(n))
}

/// The PIN stored in a state file (its documented JSON layout).
fn stored_pin(state: &Path) -> String {
    let text = std::fs::read_to_string(state).expect("state file exists");
    let json: serde_json::Value = serde_json::from_str(&text).expect("state file is whole JSON");
    let bytes: Vec<u8> = json["pin"]["value"]
        .as_array()
        .expect("pin.value")
        .iter()
        .map(|b| b.as_u64().expect("byte") as u8)
        .collect();
    String::from_utf8(bytes).expect("ASCII PIN")
}

#[test]
fn kill_9_during_writes_leaves_old_or_new_state() {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("card.json");
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    // PIN n is the state after n successful changes; the factory PIN is 00000000.
    let mut current = 0u32;
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let (mut kept_old, mut got_new) = (0, 0);
    for round in 0..200 {
        let mut child = spawn_card(port, &state);
        listener.set_nonblocking(false).expect("blocking");
        let (mut stream, _) = listener.accept().expect("the card connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        send(&mut stream, &[0x01]); // power on
        send(&mut stream, &[0x04]); // get ATR
        assert_eq!(
            hex::encode_upper(recv(&mut stream)),
            "3BD996FF8191FE1FC343323330302D4B4559BA"
        );
        assert_eq!(
            apdu(&mut stream, "00A4040007A0000000791000"),
            "6F128407A0000000791000A507010510030003019000"
        );
        // xorshift: how many acknowledged changes, and when to kill the last one.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let acked = seed % 3;
        for _ in 0..acked {
            let next = current + 1;
            let r = apdu(
                &mut stream,
                &format!("0024010010{}{}", pin_hex(current), pin_hex(next)),
            );
            assert_eq!(r, "9000", "round {round}: change {current} → {next}");
            current = next;
        }
        // One more change, killed at a random moment around its write.
        send(
            &mut stream,
            &hex::decode(format!(
                "0024010010{}{}",
                pin_hex(current),
                pin_hex(current + 1)
            ))
            .expect("hex"),
        );
        std::thread::sleep(Duration::from_micros((seed >> 8) % 3000));
        child.kill().expect("kill -9");
        child.wait().expect("reaped");
        let on_disk = stored_pin(&state);
        assert!(
            on_disk == pin(current) || on_disk == pin(current + 1),
            "round {round}: state holds PIN {on_disk}, expected {} or {}",
            pin(current),
            pin(current + 1)
        );
        if on_disk == pin(current + 1) {
            current += 1;
            got_new += 1;
        } else {
            kept_old += 1;
        }
    }
    // The kills landed on both sides of the write, so the check above saw both cases.
    assert!(
        kept_old > 0 && got_new > 0,
        "old kept {kept_old}, new written {got_new}"
    );
}

#[test]
fn corrupt_and_foreign_state_files_are_refused_clearly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("card.json");
    for (content, expected) in [
        (&b"{not json"[..], "is damaged"),
        (br#"{"hello":"world"}"#, "is not a state file for this card"),
    ] {
        std::fs::write(&state, content).expect("write");
        let out = tessera()
            .args(["virtual-card", "--vpcd", "127.0.0.1:1", "--state"])
            .arg(&state)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(stderr.contains(expected), "stderr: {stderr}");
        assert!(!stderr.contains("panicked"), "stderr: {stderr}");
        assert_eq!(
            std::fs::read(&state).expect("kept"),
            content,
            "the file is left alone"
        );
    }
    // A Crescendo state is refused by the YKOATH profile.
    std::fs::remove_file(&state).expect("rm");
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let mut child = spawn_card(port, &state);
    let _conn = listener.accept().expect("connects");
    child.kill().expect("kill");
    child.wait().expect("reaped");
    let out = tessera()
        .args([
            "virtual-card",
            "--profile",
            "ykoath",
            "--vpcd",
            "127.0.0.1:1",
            "--state",
        ])
        .arg(&state)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("crescendo-key"), "stderr: {stderr}");
}

#[test]
fn a_state_file_cannot_be_shared_by_two_cards() {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("card.json");
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let mut first = spawn_card(port, &state);
    let _conn = listener.accept().expect("connects");
    let out = tessera()
        .args(["virtual-card", "--vpcd", "127.0.0.1:1", "--state"])
        .arg(&state)
        .output()
        .expect("runs");
    first.kill().expect("kill");
    first.wait().expect("reaped");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("in use by another virtual card"),
        "stderr: {stderr}"
    );
}
