//! OpenSC sees the virtual token's PIV applet through the real pcscd + vpcd
//! (issue 3: "OpenSC sees the PIV applet, e.g. `opensc-tool --name`,
//! `pkcs15-tool --list-pins`"). OpenSC's PIV driver SELECTs the applet, reads
//! Discovery, CCC, CHUID and Key History, and verifies the PIN here.

#[path = "support/pcsc_env.rs"]
mod pcsc_env;

use std::process::Command;

use pcsc_env::{serial, Pcscd, VirtualCard};

/// Runs an OpenSC tool; returns (success, stdout).
fn opensc(tool: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} runs (apt package opensc): {e}"));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn opensc_sees_piv(profile: &str, pin: &str) {
    let _serial = serial();
    let _pcscd = Pcscd::start();
    let card = VirtualCard::start(profile, "auto");

    let (ok, name) = opensc("opensc-tool", &["--reader", card.reader, "--name"]);
    assert!(ok, "opensc-tool --name failed: {name}");
    assert_eq!(name.trim(), "Personal Identity Verification Card");

    let (ok, pins) = opensc("pkcs15-tool", &["--reader", card.reader, "--list-pins"]);
    assert!(ok, "pkcs15-tool --list-pins failed: {pins}");
    assert!(
        pins.contains("Reference      : 128 (0x80)"),
        "the PIV PIN is listed: {pins}"
    );

    let (ok, out) = opensc(
        "pkcs15-tool",
        &[
            "--reader",
            card.reader,
            "--verify-pin",
            "--auth-id",
            "01",
            "--pin",
            pin,
        ],
    );
    assert!(ok, "pkcs15-tool --verify-pin failed: {out}");
}

#[test]
fn opensc_sees_the_crescendo_key_piv_applet() {
    opensc_sees_piv("crescendo-key", "00000000");
}

#[test]
fn opensc_sees_the_ykoath_key_piv_applet() {
    opensc_sees_piv("ykoath", "123456");
}
