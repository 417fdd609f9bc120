//! `tessera otp button show|set` on the in-process virtual Crescendo Key
//! (`--virtual`, state in a temporary file). The static password and the PIN
//! go on stdin and never appear in what the CLI prints.
#![cfg(unix)]

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;
use tempfile::TempDir;

const PIN: &str = "00000000";
const PASSWORD: &str = "Tr0ub4dor&3";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn tessera(dir: &TempDir, profile: &str, args: &[&str], stdin: &str) -> Run {
    let state = dir.path().join(format!("{profile}.json"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .arg(format!("--virtual={profile}"))
        .arg("--virtual-state")
        .arg(&state)
        .env("HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tessera runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("stdin written");
    let out = child.wait_with_output().expect("tessera ends");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    for secret in [PIN, PASSWORD] {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "a secret was printed:\n{}\n{}",
            run.stdout,
            run.stderr
        );
    }
    run
}

fn json(r: &Run) -> Value {
    assert_eq!(r.code, 0, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.stdout))
}

#[test]
fn show_set_static_and_replace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let k = "crescendo-key";
    let shown = tessera(&dir, k, &["otp", "button", "show"], "");
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert!(
        shown
            .stdout
            .contains("single press: types the HOTP code of slot 1"),
        "{}",
        shown.stdout
    );
    assert!(shown.stdout.contains("double press: does nothing"));

    let stdin = format!("{PASSWORD}\n{PIN}\n");
    let set = tessera(
        &dir,
        k,
        &[
            "otp", "button", "set", "--press", "double", "--static", "--pin", "--json",
        ],
        &stdin,
    );
    let v = json(&set);
    assert_eq!(v["double"]["kind"], "static");
    assert_eq!(v["double"]["length"], 11);
    assert!(set.stderr.contains("US keyboard layout"), "{}", set.stderr);

    // Again without --replace: refused, nothing changed.
    let again = tessera(
        &dir,
        k,
        &["otp", "button", "set", "--press", "double", "--none"],
        &format!("{PIN}\n"),
    );
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("--replace"), "{}", again.stderr);
    let v = json(&tessera(&dir, k, &["otp", "button", "show", "--json"], ""));
    assert_eq!(v["double"]["length"], 11);

    let replaced = tessera(
        &dir,
        k,
        &[
            "otp",
            "button",
            "set",
            "--press",
            "double",
            "--none",
            "--replace",
        ],
        &format!("{PIN}\n"),
    );
    assert_eq!(replaced.code, 0, "{}", replaced.stderr);
    assert!(
        replaced.stdout.contains("double press: does nothing"),
        "{}",
        replaced.stdout
    );
}

#[test]
fn characters_without_a_us_key_and_missing_actions_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let k = "crescendo-key";
    let r = tessera(
        &dir,
        k,
        &["otp", "button", "set", "--press", "single", "--static"],
        "p\u{e4}ss\n",
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("US layout"), "{}", r.stderr);
    let r = tessera(&dir, k, &["otp", "button", "set", "--press", "single"], "");
    assert_eq!(r.code, 2, "clap: one action is required");
    let r = tessera(
        &dir,
        k,
        &[
            "otp", "button", "set", "--press", "single", "--hotp", "--none",
        ],
        "",
    );
    assert_eq!(r.code, 2);
}
