//! `tessera fido …` on the in-process virtual token (`--virtual`, state in a
//! temporary file). PINs are fed on stdin and must never be printed. Resident
//! credentials are made beforehand through the host library on the same state
//! file (the CLI has no makeCredential).
#![cfg(unix)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;
use tessera_host::backend::Backend;
use tessera_host::connection::transaction;
use tessera_host::fido::client_pin::permission;
use tessera_host::fido::iso7816::CtapIso;
use tessera_host::fido::make_credential::NewCredential;
use tessera_host::fido::{Ctap2, Quiet};
use tessera_host::virtual_backend::{VirtualBackend, VIRTUAL_READER};
use tessera_virtual_token::platform::ButtonMode;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {:?}", self.stdout))
    }
    fn ok(&self) -> &Out {
        assert_eq!(
            self.code, 0,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
    fn hides(&self, secrets: &[&str]) -> &Out {
        for s in secrets {
            assert!(
                !self.stdout.contains(s) && !self.stderr.contains(s),
                "secret printed:\n{}\n{}",
                self.stdout,
                self.stderr
            );
        }
        self
    }
}

fn state(dir: &TempDir) -> PathBuf {
    dir.path().join("virtual.json")
}

fn run(dir: &TempDir, args: &[&str], stdin: &str) -> Out {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .arg("--virtual")
        .arg("--virtual-state")
        .arg(state(dir))
        .env("HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tessera");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Makes resident credentials on the virtual key in `state` (saved on return).
fn make_credentials(state: &Path, pin: &str, users: &[(&str, &str)]) -> Vec<String> {
    let backend = VirtualBackend::open("crescendo-key", state, ButtonMode::Auto(Duration::ZERO))
        .expect("virtual key");
    let mut dev = backend.connect(VIRTUAL_READER).expect("connect");
    transaction(dev.as_mut(), |conn| {
        let mut ctap = Ctap2::open(CtapIso::select(conn).expect("select")).expect("open");
        users
            .iter()
            .map(|(rp, user)| {
                let token = ctap
                    .pin_token(pin, permission::MC, Some(rp))
                    .expect("token");
                let new = NewCredential {
                    client_data_hash: [3; 32],
                    rp_id: rp,
                    rp_name: rp,
                    user_id: user.as_bytes(),
                    user_name: user,
                    display_name: user,
                    resident: true,
                };
                hex::encode(
                    ctap.make_credential(&new, Some(&token), &mut Quiet)
                        .expect("makeCredential")
                        .credential_id,
                )
            })
            .collect()
    })
    .expect("transaction")
}

#[test]
fn info_pin_set_change_and_wrong_pin() {
    let dir = TempDir::new().expect("tmp");
    let out = run(&dir, &["fido", "info", "--json"], "");
    let v = out.ok().json();
    assert_eq!(v["transport"], "iso7816");
    assert_eq!(v["pin"], "notSet");
    assert!(v["info"]["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .any(|x| x == "FIDO_2_1"));

    run(&dir, &["fido", "pin", "set"], "4821\n4821\n")
        .ok()
        .hides(&["4821"]);
    let v = run(&dir, &["fido", "info", "--json"], "").ok().json();
    assert_eq!(v["pin"], "set");
    assert_eq!(v["retries"]["retries"], 8);

    let out = run(
        &dir,
        &["fido", "pin", "change", "--json"],
        "1111\n5555\n5555\n",
    );
    assert_eq!(out.code, 1);
    out.hides(&["1111", "5555"]);
    let e = out.json();
    assert_eq!(e["code"], "wrong_pin");
    assert_eq!(e["tries_left"], 7);

    run(
        &dir,
        &["fido", "pin", "change"],
        "4821\n77665544\n77665544\n",
    )
    .ok()
    .hides(&["4821", "77665544"]);
    let human = run(&dir, &["fido", "info"], "");
    assert!(
        human.ok().stdout.contains("PIN: set, 8 tries left"),
        "{}",
        human.stdout
    );
}

#[test]
fn credentials_list_delete_and_reset() {
    let dir = TempDir::new().expect("tmp");
    run(&dir, &["fido", "pin", "set"], "4821\n4821\n").ok();
    let ids = make_credentials(
        &state(&dir),
        "4821",
        &[
            ("example.com", "alice"),
            ("example.com", "bob"),
            ("tessera.test", "carol"),
        ],
    );

    let out = run(&dir, &["fido", "credentials", "list", "--json"], "4821\n");
    let v = out.ok().hides(&["4821"]).json();
    assert_eq!(v["metadata"]["existing"], 3);
    let listed: Vec<&str> = v["credentials"]
        .as_array()
        .expect("list")
        .iter()
        .map(|c| c["credentialId"].as_str().expect("id"))
        .collect();
    for id in &ids {
        assert!(listed.contains(&id.as_str()), "{id} listed");
    }

    run(
        &dir,
        &["fido", "credentials", "delete", "--id", &ids[1]],
        "4821\n",
    )
    .ok();
    let v = run(&dir, &["fido", "credentials", "list", "--json"], "4821\n")
        .ok()
        .json();
    assert_eq!(v["metadata"]["existing"], 2);
    assert!(v["credentials"]
        .as_array()
        .expect("list")
        .iter()
        .all(|c| c["credentialId"] != ids[1].as_str()));
    let human = run(&dir, &["fido", "credentials", "list"], "4821\n");
    assert!(
        human.ok().stdout.contains("example.com  alice"),
        "{}",
        human.stdout
    );

    // Deleting again: no such credential.
    let out = run(
        &dir,
        &["fido", "credentials", "delete", "--id", &ids[1], "--json"],
        "4821\n",
    );
    assert_eq!(out.code, 1);
    assert_eq!(out.json()["ctap_status"], 0x2E);

    // Not confirmed: nothing happens.
    let out = run(&dir, &["fido", "reset"], "no\n");
    assert_eq!(out.code, 1);
    assert_eq!(
        run(&dir, &["fido", "info", "--json"], "").ok().json()["pin"],
        "set"
    );

    // Each CLI run is a fresh power-up of the virtual key, so the reset is
    // inside the window: the button (auto-pressed) is asked for and it is done.
    let out = run(&dir, &["fido", "reset", "--json"], "reset\n");
    out.ok();
    assert_eq!(out.json()["outcome"], "done");
    assert!(
        out.stderr.contains("\"touchKey\"") && out.stderr.contains("\"done\""),
        "{}",
        out.stderr
    );
    let v = run(&dir, &["fido", "info", "--json"], "").ok().json();
    assert_eq!(v["pin"], "notSet");
}
