//! `tessera otp …` on the in-process virtual token (`--virtual`, state in a
//! temporary file). Secrets (the OTP secret, the PIN) go on stdin and never
//! appear in what the CLI prints; expected codes come from the RFC appendices
//! and HID's transcripts.
#![cfg(unix)]

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;
use tempfile::TempDir;

/// RFC 4226/6238 key "12345678901234567890" in Base32.
const RFC_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const PIN: &str = "00000000";

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
    for secret in [RFC_B32, PIN, "3132333435363738393031323334353637383930"] {
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
fn add_from_a_uri_on_stdin_then_list_codes_and_delete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let uri = format!(
        "otpauth://totp/ACME:alice%40example.com?secret={RFC_B32}&issuer=ACME&digits=8\n{PIN}\n"
    );
    let added = json(&tessera(
        &dir,
        "crescendo-key",
        &["otp", "add", "-", "--access", "always", "--json"],
        &uri,
    ));
    assert_eq!(added[0]["entry"]["id"], "slot-3");
    assert_eq!(added[0]["verified"]["status"], "computed");

    let list = tessera(&dir, "crescendo-key", &["otp", "list"], "");
    assert_eq!(list.code, 0);
    assert!(list.stdout.contains("1 of 3 in use"), "{}", list.stdout);
    assert!(
        list.stdout
            .contains("slot-3  TOTP, 8 digits, 30 s, access: always"),
        "{}",
        list.stdout
    );

    let codes = json(&tessera(
        &dir,
        "crescendo-key",
        &["otp", "codes", "--json"],
        "",
    ));
    let code = codes["codes"][0]["code"].as_str().expect("a code");
    assert_eq!(code.len(), 8);

    // A wrong confirmation deletes nothing; the right one clears the slot.
    let no = tessera(
        &dir,
        "crescendo-key",
        &["otp", "delete", "slot-3"],
        "slot 3\n",
    );
    assert_eq!(no.code, 1);
    assert!(no.stderr.contains("confirmation"), "{}", no.stderr);
    let yes = tessera(
        &dir,
        "crescendo-key",
        &["otp", "delete", "slot-3"],
        &format!("slot-3\n{PIN}\n"),
    );
    assert_eq!(yes.code, 0, "{}", yes.stderr);
    let list = tessera(&dir, "crescendo-key", &["otp", "list"], "");
    assert!(list.stdout.contains("0 of 3 in use"), "{}", list.stdout);
}

#[test]
fn manual_ykoath_account_computes_rfc_6238_and_refuses_a_silent_overwrite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let args = [
        "otp", "add", "--manual", "--name", "bob", "--issuer", "Example", "--digits", "8", "--json",
    ];
    let added = json(&tessera(&dir, "ykoath", &args, &format!("{RFC_B32}\n")));
    assert_eq!(added[0]["entry"]["id"], "Example:bob");
    let again = tessera(&dir, "ykoath", &args, &format!("{RFC_B32}\n"));
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("--replace Example:bob"),
        "{}",
        again.stderr
    );
    let code = json(&tessera(
        &dir,
        "ykoath",
        &["otp", "code", "bob", "--json"],
        "",
    ));
    assert_eq!(code["code"].as_str().map(str::len), Some(8));
}

#[test]
fn a_link_is_explained_not_enrolled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = tessera(
        &dir,
        "crescendo-key",
        &["otp", "add", "https://example.com/setup"],
        "",
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("a link to example.com"), "{}", r.stderr);
    let r = tessera(
        &dir,
        "crescendo-key",
        &["otp", "add", "otpauth://totp/x?secret=!!"],
        "",
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("secret"), "names the field: {}", r.stderr);
}
