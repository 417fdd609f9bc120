//! The device-management verbs of the `tessera` binary on the in-process
//! virtual token (`--virtual`, its state in a temporary file; the PIN-policy
//! store under a temporary HOME / XDG_DATA_HOME). Secrets are fed on stdin, one
//! per line in prompt order, and must never appear in what the CLI prints
//! (except the PUK and the pairing code, which `puk show`, `pairing-code` and
//! `personalize` print on purpose).
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use aes::cipher::{generic_array::GenericArray, BlockEncrypt, KeyInit};
use serde_json::{json, Value};
use tempfile::TempDir;

const FACTORY_PIN: &str = "00000000";
const FACTORY_ADMIN_KEY: &str = "00000000000000000000000000000000";

/// One virtual token and one user's data directory.
struct Card {
    dir: TempDir,
    /// `--virtual[=PROFILE]`.
    virtual_arg: String,
}

/// What a run printed and how it ended.
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

    /// Neither stream shows any of `secrets`.
    fn hides(&self, secrets: &[&str]) -> &Out {
        for s in secrets {
            assert!(
                !self.stdout.contains(s) && !self.stderr.contains(s),
                "a secret was printed:\nstdout: {}\nstderr: {}",
                self.stdout,
                self.stderr
            );
        }
        self
    }

    fn ok(&self) -> &Out {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    fn failed(&self, code: i32) -> &Out {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
}

impl Card {
    fn crescendo() -> Card {
        Card::new("--virtual")
    }

    fn ykoath() -> Card {
        Card::new("--virtual=ykoath")
    }

    fn new(virtual_arg: &str) -> Card {
        Card {
            dir: TempDir::new().expect("temp dir"),
            virtual_arg: virtual_arg.to_owned(),
        }
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("card.json")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tessera"));
        cmd.args(args)
            .env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env_remove("TESSERA_LOG_FILE")
            .env_remove("RUST_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Runs `tessera ARGS --virtual… --virtual-state FILE` with `input` on stdin.
    fn run(&self, args: &[&str], input: &str) -> Out {
        let state = self.state();
        let mut all: Vec<&str> = args.to_vec();
        all.extend([
            self.virtual_arg.as_str(),
            "--virtual-state",
            state.to_str().expect("utf-8 path"),
        ]);
        self.run_raw(&all, input)
    }

    /// Runs `tessera ARGS` exactly as given.
    fn run_raw(&self, args: &[&str], input: &str) -> Out {
        let mut child = self.command(args).spawn().expect("run tessera");
        let mut stdin = child.stdin.take().expect("stdin");
        // The CLI may stop reading early (a refusal): a broken pipe is fine.
        let _ = stdin.write_all(input.as_bytes());
        drop(stdin);
        let out = child.wait_with_output().expect("wait");
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn token(&self) -> Value {
        let out = self.run(&["device", "list", "--json"], "");
        out.ok();
        out.json()["readers"][0]["card"]["token"].clone()
    }

    fn id(&self) -> String {
        self.token()["id"].as_str().expect("token id").to_owned()
    }

    fn status(&self) -> Value {
        let out = self.run(&["pin", "status", "--json"], "");
        out.ok();
        out.json()
    }

    /// Spends every try with a wrong PIN (confirming the last one).
    fn block(&self, wrong: &str, tries: u8) {
        for _ in 1..tries {
            self.run(&["pin", "verify"], &format!("{wrong}\n"))
                .failed(1);
        }
        self.run(&["pin", "verify"], &format!("yes\n{wrong}\n"))
            .failed(1);
        assert_eq!(self.status(), json!({"state": "blocked"}));
    }
}

#[test]
fn list_shows_the_token_its_id_and_lock_state() {
    let card = Card::crescendo();
    let out = card.run(&["device", "list"], "");
    out.ok();
    let id = card.id();
    assert!(
        out.stdout.contains("Tessera Virtual Token"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(&id), "{}", out.stdout);
    assert!(
        out.stdout.contains("lock closed, 6 tries left"),
        "{}",
        out.stdout
    );
    let token = card.token();
    assert_eq!(token["pin"], json!({"state": "locked", "tries_left": 6}));
    assert!(token["features"]
        .as_array()
        .expect("features")
        .contains(&json!("recycle")));

    // `tessera devices` is `device list --json`.
    let alias = card.run(&["devices"], "");
    alias.ok();
    assert_eq!(alias.json()["readers"][0]["card"]["token"]["id"], json!(id));

    // --device by id or reader name; an unknown one lists the candidates.
    card.run(&["device", "list", "--device", &id], "").ok();
    card.run(&["pin", "status", "--device", "Tessera Virtual Token"], "")
        .ok();
    let out = card.run(&["pin", "status", "--device", "NOPE"], "");
    out.failed(1);
    assert!(
        out.stderr.contains("no token \"NOPE\"") && out.stderr.contains(&id),
        "{}",
        out.stderr
    );
    let out = card.run(&["pin", "status", "--device", "NOPE", "--json"], "");
    out.failed(1);
    assert_eq!(out.json()["code"], json!("device_not_found"));
    assert_eq!(out.json()["candidates"], json!([id]));
}

#[test]
fn the_virtual_state_defaults_to_the_data_dir() {
    let card = Card::crescendo();
    card.run_raw(&["pin", "status", "--virtual"], "").ok();
    let state = card
        .dir
        .path()
        .join("data/tessera/virtual-crescendo-key.json");
    assert!(state.is_file(), "{} was not created", state.display());
    card.run_raw(&["pin", "status", "--virtual=ykoath"], "")
        .ok();
    assert!(card
        .dir
        .path()
        .join("data/tessera/virtual-ykoath.json")
        .is_file());
}

#[test]
fn verify_wrong_shows_tries_left_then_right_opens_the_lock() {
    let card = Card::crescendo();
    let out = card.run(&["pin", "verify"], "11111111\n");
    out.failed(1).hides(&["11111111"]);
    assert!(
        out.stderr.contains(
            "wrong PIN: 5 tries left. Try again, or unblock it with `tessera pin unblock`."
        ),
        "{}",
        out.stderr
    );
    // Never retried: exactly one try was spent.
    assert_eq!(card.status(), json!({"state": "locked", "tries_left": 5}));
    let out = card.run(&["pin", "verify"], &format!("{FACTORY_PIN}\n"));
    out.ok().hides(&[FACTORY_PIN]);
    assert_eq!(out.stdout.trim(), "PIN verified. Lock: open.");
}

#[test]
fn json_results_and_errors_parse() {
    let card = Card::crescendo();
    let out = card.run(&["pin", "verify", "--json"], "12121212\n");
    out.failed(1).hides(&["12121212"]);
    let e = out.json();
    assert_eq!(
        (e["code"].as_str(), e["tries_left"].as_u64()),
        (Some("wrong_pin"), Some(5))
    );
    let out = card.run(&["pin", "verify", "--json"], &format!("{FACTORY_PIN}\n"));
    out.ok().hides(&[FACTORY_PIN]);
    assert_eq!(out.json(), json!({"state": "verified"}));
    let out = card.run(&["pin", "lock", "--json"], "");
    out.ok();
    assert_eq!(out.json(), json!({"state": "locked", "tries_left": 6}));
    let out = card.run(&["pin", "policy", "show", "--json"], "");
    out.ok();
    assert_eq!(out.json()["limits"]["min_len"], json!(4));
    let out = card.run(&["cache", "clear", "--json"], "");
    out.ok();
    assert_eq!(out.json(), json!({}));
    let out = card.run(&["device", "list", "--json"], "");
    out.ok();
    assert_eq!(out.json()["pcsc"]["state"], json!("ok"));
}

#[test]
fn change_refuses_a_policy_violation_before_sending_anything() {
    let card = Card::crescendo();
    let out = card.run(
        &[
            "pin",
            "policy",
            "set",
            "--refuse-weak",
            "on",
            "--min-len",
            "6",
        ],
        "",
    );
    out.ok();
    assert!(out.stdout.contains("Length: 6–8"), "{}", out.stdout);

    let out = card.run(&["pin", "change"], &format!("{FACTORY_PIN}\n5678\n"));
    out.failed(1).hides(&[FACTORY_PIN, "5678"]);
    assert!(
        out.stderr.contains("does not meet the PIN policy")
            && out.stderr.contains("too short")
            && out.stderr.contains("weak"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("New PIN (6–8 digits"), "{}", out.stderr);
    // Nothing reached the card: the PIN still has all its tries.
    assert_eq!(card.status(), json!({"state": "locked", "tries_left": 6}));
    let out = card.run(
        &["pin", "change", "--json"],
        &format!("{FACTORY_PIN}\n12ab56\n"),
    );
    out.failed(1);
    assert_eq!(out.json()["violations"], json!(["not_numeric"]));

    let out = card.run(&["pin", "change"], &format!("{FACTORY_PIN}\n25801397\n"));
    out.ok().hides(&[FACTORY_PIN, "25801397"]);
    assert!(out.stdout.starts_with("PIN changed."), "{}", out.stdout);
    card.run(&["pin", "verify"], &format!("{FACTORY_PIN}\n"))
        .failed(1);
    card.run(&["pin", "verify"], "25801397\n").ok();
}

#[test]
fn the_last_try_needs_confirmation_and_a_blocked_pin_points_to_unblock() {
    let card = Card::crescendo();
    for _ in 0..5 {
        card.run(&["pin", "verify"], "99999999\n").failed(1);
    }
    // Not confirmed: nothing sent, still one try.
    let out = card.run(&["pin", "verify"], "no\n99999999\n");
    out.failed(1);
    assert!(out.stderr.contains("not confirmed"), "{}", out.stderr);
    assert_eq!(card.status(), json!({"state": "locked", "tries_left": 1}));
    card.run(&["pin", "verify"], "yes\n99999999\n").failed(1);
    let out = card.run(&["pin", "verify"], &format!("{FACTORY_PIN}\n"));
    out.failed(1);
    assert!(
        out.stderr.contains("`tessera pin unblock`"),
        "{}",
        out.stderr
    );
    let out = card.run(&["pin", "status"], "");
    out.ok();
    assert!(out.stdout.contains("blocked"), "{}", out.stdout);
}

#[test]
fn unblock_with_the_admin_key_after_blocking() {
    let card = Card::crescendo();
    card.block("99999999", 6);
    let wrong_key = "11".repeat(16);
    let out = card.run(&["pin", "unblock"], &format!("{wrong_key}\n13572468\n"));
    out.failed(1).hides(&[&wrong_key, "13572468"]);
    assert!(out.stderr.contains("admin key is wrong"), "{}", out.stderr);
    let out = card.run(
        &["pin", "unblock", "--method", "admin-key"],
        &format!("{FACTORY_ADMIN_KEY}\n13572468\n"),
    );
    out.ok().hides(&[FACTORY_ADMIN_KEY, "13572468"]);
    assert!(out.stdout.starts_with("PIN unblocked"), "{}", out.stdout);
    card.run(&["pin", "verify"], "13572468\n").ok();
}

#[test]
fn unblock_by_helpdesk_challenge_and_response() {
    let card = Card::crescendo();
    card.block("99999999", 6);
    let state = card.state();
    let mut child = card
        .command(&[
            "pin",
            "unblock",
            "--method",
            "response",
            "--virtual",
            "--virtual-state",
            state.to_str().expect("path"),
        ])
        .spawn()
        .expect("run");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let challenge = loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).expect("read") > 0,
            "no challenge shown"
        );
        if let Some(c) = line.strip_prefix("Challenge for your helpdesk: ") {
            break hex::decode(c.trim()).expect("hex challenge");
        }
    };
    // The helpdesk answers AES-ECB(admin key, challenge).
    let mut block = GenericArray::clone_from_slice(&challenge);
    aes::Aes128::new_from_slice(&[0u8; 16])
        .expect("key")
        .encrypt_block(&mut block);
    let response = hex::encode(block);
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(format!("{response}\n24681357\n").as_bytes())
        .expect("answer");
    drop(stdin);
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).expect("stderr");
    let out = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{rest}");
    assert!(!rest.contains("24681357") && !stdout.contains("24681357"));
    assert!(!rest.contains(&response) && !stdout.contains(&response));
    card.run(&["pin", "verify"], "24681357\n").ok();
}

#[test]
fn personalize_shows_the_puk_once_and_puk_show_needs_the_pin() {
    let card = Card::crescendo();
    let id = card.id();
    // Wrong confirmation: refused, nothing changed.
    let out = card.run(&["personalize", "--recycle"], "nope\n");
    out.failed(1);
    assert!(
        out.stderr.contains("confirmation does not match"),
        "{}",
        out.stderr
    );
    assert_eq!(card.status(), json!({"state": "locked", "tries_left": 6}));
    let out = card.run(
        &["personalize", "--recycle", "--refuse-weak", "on"],
        &format!("{id}\n{FACTORY_PIN}\n80246813\n"),
    );
    out.ok().hides(&[FACTORY_PIN, "80246813"]);
    let puk = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("PUK: "))
        .expect("PUK shown")
        .to_owned();
    assert!(
        puk.len() == 8 && puk.chars().all(|c| c.is_ascii_digit()),
        "{puk}"
    );
    assert!(
        out.stdout
            .contains("Store this PUK safely; it is shown only once"),
        "{}",
        out.stdout
    );
    // The policy stuck.
    let policy = card.run(&["pin", "policy", "--json"], "");
    policy.ok();
    assert_eq!(policy.json()["policy"]["refuse_weak"], json!(true));

    // Wrong PIN: no PUK.
    let out = card.run(&["puk", "show"], "11223344\n");
    out.failed(1).hides(&["11223344", &puk]);
    let out = card.run(&["puk", "show"], "80246813\n");
    out.ok().hides(&["80246813"]);
    assert_eq!(out.stdout.trim(), format!("PUK: {puk}"));
    let out = card.run(&["puk", "show", "--json"], "80246813\n");
    out.ok();
    assert_eq!(out.json(), json!({"puk": puk}));
}

#[test]
fn pairing_code_after_the_pin() {
    let card = Card::crescendo();
    let out = card.run(&["pairing-code"], &format!("{FACTORY_PIN}\n"));
    out.ok().hides(&[FACTORY_PIN]);
    let code = out
        .stdout
        .trim()
        .strip_prefix("Pairing code: ")
        .expect("code shown")
        .to_owned();
    assert!(
        code.len() == 8 && code.chars().all(|c| c.is_ascii_digit()),
        "{code}"
    );
    let out = card.run(&["pairing-code", "--json"], &format!("{FACTORY_PIN}\n"));
    out.ok();
    assert_eq!(out.json(), json!({"code": code}));
}

#[test]
fn recycle_needs_the_typed_id_and_restores_the_factory_pin() {
    let card = Card::crescendo();
    card.run(&["pin", "change"], &format!("{FACTORY_PIN}\n97531864\n"))
        .ok();
    let id = card.id();
    let out = card.run(&["recycle"], "not-the-id\n97531864\n");
    out.failed(1).hides(&["97531864"]);
    assert!(
        out.stderr.contains("confirmation does not match") && out.stderr.contains(&id),
        "{}",
        out.stderr
    );
    // Refused before anything was sent: the changed PIN still has all its tries.
    assert_eq!(card.status(), json!({"state": "locked", "tries_left": 6}));
    let out = card.run(&["recycle", "--json"], "also-wrong\n");
    out.failed(1);
    assert_eq!(out.json()["code"], json!("confirmation_mismatch"));

    let out = card.run(&["recycle"], &format!("{id}\n97531864\n"));
    out.ok().hides(&["97531864"]);
    assert!(out.stdout.contains("recycled"), "{}", out.stdout);
    card.run(&["pin", "verify"], "97531864\n").failed(1);
    card.run(&["pin", "verify"], &format!("{FACTORY_PIN}\n"))
        .ok();
}

#[test]
fn a_pin_on_the_command_line_is_impossible() {
    let card = Card::crescendo();
    for args in [
        &["pin", "verify", "--pin", "31415926"][..],
        &["pin", "verify", "31415926"],
        &["pin", "31415926"],
        &["pin", "change", "--new", "31415926"],
        &["puk", "show", "--puk=31415926"],
        &["pin", "unblock", "--admin-key", "31415926"],
    ] {
        let out = card.run(args, "");
        out.failed(2).hides(&["31415926"]);
        assert!(
            out.stderr.contains("never taken from the command line"),
            "{}",
            out.stderr
        );
    }
    for verb in [
        &["pin", "verify"][..],
        &["pin", "change"],
        &["pin", "unblock"],
        &["puk", "show"],
        &["personalize"],
        &["recycle"],
    ] {
        let mut args = verb.to_vec();
        args.push("--help");
        let out = card.run_raw(&args, "");
        out.ok();
        for flag in [
            "--pin",
            "--puk",
            "--new",
            "--key",
            "--admin-key",
            "--response",
        ] {
            assert!(
                !out.stdout.contains(&format!("{flag} ")),
                "{verb:?} has {flag}:\n{}",
                out.stdout
            );
        }
    }
}

#[test]
fn usage_errors_exit_2() {
    let card = Card::crescendo();
    card.run(&["pin", "policy", "set"], "").failed(2);
    card.run_raw(&["pin", "status", "--virtual-state", "x.json"], "")
        .failed(2);
    card.run(&["pin", "frobnicate"], "").failed(2);
}

#[test]
fn ykoath_profile_unblocks_with_the_puk_and_lacks_crescendo_verbs() {
    let card = Card::ykoath();
    let out = card.run(&["device", "list"], "");
    out.ok();
    assert!(
        out.stdout.contains("unblock with the PUK"),
        "{}",
        out.stdout
    );
    card.block("999999", 3);
    let out = card.run(&["pin", "unblock"], "87654321\n975310\n");
    out.failed(1).hides(&["87654321", "975310"]);
    assert!(out.stderr.contains("wrong PUK"), "{}", out.stderr);
    let out = card.run(&["pin", "unblock"], "12345678\n975310\n");
    out.ok().hides(&["12345678", "975310"]);
    card.run(&["pin", "verify"], "975310\n").ok();
    let out = card.run(&["recycle"], "");
    out.failed(1);
    assert!(
        out.stderr.contains("does not support recycle"),
        "{}",
        out.stderr
    );
    let out = card.run(&["pin", "unblock", "--method", "admin-key", "--json"], "");
    out.failed(1);
    assert_eq!(out.json()["code"], json!("not_supported"));
}

#[test]
fn missing_input_is_a_clear_error() {
    let card = Card::crescendo();
    let out = card.run(&["pin", "change"], &format!("{FACTORY_PIN}\n"));
    out.failed(1).hides(&[FACTORY_PIN]);
    assert!(
        out.stderr
            .contains("standard input ended before the new PIN was read"),
        "{}",
        out.stderr
    );
    assert_eq!(card.status(), json!({"state": "locked", "tries_left": 6}));
}
