//! python-fido2's `CtapPcscDevice` (a third-party CTAP client) against the
//! running `tessera virtual-card` through the real pcscd + vsmartcard vpcd:
//! getInfo, set and change the PIN, make, list and delete a resident
//! credential, reset refused after the 10-second window and accepted after a
//! replug (CTAP 2.1 §6.6 authenticatorReset; crescendo-apdu.md §7).

#[path = "support/pcsc_env.rs"]
mod pcsc_env;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use pcsc_env::{card_present, serial, wait_until, Pcscd, VirtualCard};
use serde_json::{json, Value};

fn python() -> PathBuf {
    std::env::var_os("TESSERA_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"))
}

/// The python-fido2 client process (tests/python/fido_client.py): one command
/// per line in, one JSON object per line out.
struct Client {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Client {
    fn start(reader: &str) -> Client {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/fido_client.py");
        let mut child = Command::new(python())
            .arg(script)
            .arg(reader)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python with python-fido2 (scripts/setup.sh makes .venv)");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Client {
            child,
            stdin,
            stdout,
        }
    }

    fn call(&mut self, command: &str) -> Value {
        writeln!(self.stdin, "{command}").expect("command sent");
        self.stdin.flush().expect("flush");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("answer");
        let value: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("{command}: {e}: {line:?}"));
        assert!(value.get("exception").is_none(), "{command}: {value}");
        value
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn python_fido2_against_the_running_virtual_card() {
    let _serial = serial();
    let _pcscd = Pcscd::start();
    let card = VirtualCard::start("crescendo-key", "auto");
    let plugged_at = Instant::now();
    let mut client = Client::start(card.reader);

    let info = client.call("info");
    let versions = info["versions"].as_array().expect("versions");
    assert!(
        versions.contains(&json!("FIDO_2_1")) && versions.contains(&json!("U2F_V2")),
        "{info}"
    );
    assert_eq!(info["client_pin"], json!(false));

    assert_eq!(client.call("set_pin 1234"), json!({"ok": true}));
    assert_eq!(client.call("info")["client_pin"], json!(true));
    assert_eq!(client.call("change_pin 1234 24680"), json!({"ok": true}));
    assert_eq!(
        client.call("change_pin 1234 1111"),
        json!({"error": 0x31}),
        "PIN_INVALID"
    );
    assert_eq!(client.call("retries"), json!({"retries": 7}));

    let made = client.call("make_rk 24680 alice");
    let credential_id = made["credential_id"]
        .as_str()
        .expect("credential id")
        .to_owned();
    assert_eq!(
        client.call("list_rk 24680"),
        json!({"count": 1, "users": ["alice"]})
    );
    assert_eq!(
        client.call(&format!("delete_rk 24680 {credential_id}")),
        json!({"ok": true})
    );
    assert_eq!(
        client.call("list_rk 24680"),
        json!({"count": 0, "users": []})
    );
    client.call("make_rk 24680 bob");

    // Reset is refused once 10 s have passed since power-on…
    let window = Duration::from_secs(11);
    if let Some(rest) = window.checked_sub(plugged_at.elapsed()) {
        std::thread::sleep(rest);
    }
    assert_eq!(
        client.call("reset"),
        json!({"error": 0x30}),
        "NOT_ALLOWED after the window"
    );
    // …and accepted right after a replug (the state survives the replug).
    assert_eq!(card.ctl("replug 300"), "ok");
    wait_until(Duration::from_secs(5), "removal", || {
        !card_present(card.reader)
    });
    wait_until(Duration::from_secs(5), "reinsertion", || {
        card_present(card.reader)
    });
    // getInfo does not close the window (any other command would).
    assert_eq!(
        client.call("info")["client_pin"],
        json!(true),
        "PIN kept across the replug"
    );
    assert_eq!(client.call("reset"), json!({"ok": true}));
    assert_eq!(
        client.call("info")["client_pin"],
        json!(false),
        "PIN gone after reset"
    );
}
