//! `tessera doctor` against the real pcscd + vpcd with the virtual Crescendo
//! Key: it names the token and its FIDO2 app, reports the browsers without a
//! host manifest with the install command, and goes green for Chromium once
//! `tessera install` has registered it. Its report is redacted.

#[path = "support/pcsc_env.rs"]
mod pcsc_env;

use std::process::Command;

use pcsc_env::{serial, tessera_bin, Pcscd, VirtualCard};

fn doctor(home: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(tessera_bin())
        .arg("doctor")
        .args(args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .output()
        .expect("tessera doctor runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn doctor_names_the_token_its_fido_app_and_the_missing_browser_hosts() {
    let _guard = serial();
    let _pcscd = Pcscd::start();
    let _card = VirtualCard::start("crescendo-key", "auto");
    let home = tempfile::tempdir().expect("home");

    let (code, text) = doctor(home.path(), &[]);
    assert!(
        text.contains("[ok  ] smart cards: Virtual PCD 00 00: HID Crescendo Key, id "),
        "{text}"
    );
    assert!(text.contains("FIDO2 app present"), "{text}");
    assert!(
        text.contains("[warn] browsers: chromium: no native-host manifest"),
        "{text}"
    );
    assert!(
        text.contains("fix: tessera install --browser chromium"),
        "{text}"
    );
    assert_eq!(code, 0, "warnings only: {text}");

    let install = Command::new(tessera_bin())
        .args(["install", "--browser", "chromium"])
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join(".local/share"))
        .env("XDG_CONFIG_HOME", home.path().join(".config"))
        .output()
        .expect("install runs");
    assert!(install.status.success());
    let (_, text) = doctor(home.path(), &[]);
    assert!(
        text.contains("[ok  ] browsers: chromium: host registered"),
        "{text}"
    );

    let (_, report) = doctor(home.path(), &["--report"]);
    let v: serde_json::Value = serde_json::from_str(&report).expect("JSON report");
    assert!(v["checks"].as_array().is_some_and(|c| !c.is_empty()));
    let home_text = home.path().to_string_lossy();
    assert!(!report.contains(&*home_text), "home redacted: {report}");
    assert!(
        report.contains("id ") && report.contains('…'),
        "ids shortened: {report}"
    );
}
