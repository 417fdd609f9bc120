//! `tessera install` / `tessera uninstall` against a throw-away HOME (and
//! DESTDIR): host manifests land where each browser looks on Linux, say exactly
//! what the browser needs, and uninstall leaves nothing behind.
#![cfg(target_os = "linux")]

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use tempfile::TempDir;
use tessera_core::identity::{chromium_origin, FIREFOX_EXTENSION_ID, HOST_NAME};

/// Where each browser reads user-level host manifests on Linux, relative to HOME.
const USER_MANIFEST_DIRS: [(&str, &str); 5] = [
    ("chrome", ".config/google-chrome/NativeMessagingHosts"),
    ("chromium", ".config/chromium/NativeMessagingHosts"),
    ("edge", ".config/microsoft-edge/NativeMessagingHosts"),
    (
        "brave",
        ".config/BraveSoftware/Brave-Browser/NativeMessagingHosts",
    ),
    ("firefox", ".mozilla/native-messaging-hosts"),
];

/// Tessera's own user data root, relative to HOME (dirs::data_dir without XDG_DATA_HOME).
const USER_DATA_ROOT: &str = ".local/share/tessera";

/// Machine-wide manifest directories on Linux (Brave reads Chrome's).
const SYSTEM_MANIFEST_DIRS: [(&str, &str); 4] = [
    ("chrome", "etc/opt/chrome/native-messaging-hosts"),
    ("chromium", "etc/chromium/native-messaging-hosts"),
    ("edge", "etc/opt/edge/native-messaging-hosts"),
    ("firefox", "usr/lib/mozilla/native-messaging-hosts"),
];

/// The installed binary of a system install, as the manifests name it.
const SYSTEM_BINARY: &str = "/opt/tessera/bin/tessera";

fn manifest_file_name() -> String {
    format!("{HOST_NAME}.json")
}

fn temp_dir() -> TempDir {
    TempDir::new().expect("create a temporary directory")
}

/// The binary with HOME = `home`, no XDG overrides and no ambient DESTDIR; a
/// test may add to it (a working directory, an XDG variable) before running it.
fn command(home: &Path, args: &[&str], destdir: Option<&Path>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tessera"));
    cmd.args(args)
        .env("HOME", home)
        .env_remove("XDG_DATA_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("DESTDIR");
    if let Some(d) = destdir {
        cmd.env("DESTDIR", d);
    }
    cmd
}

/// Runs the binary with HOME = `home`, no XDG overrides and no ambient DESTDIR.
fn tessera(home: &Path, args: &[&str], destdir: Option<&Path>) -> Output {
    command(home, args, destdir)
        .output()
        .expect("run the tessera binary")
}

/// Describes a finished command for assertion messages.
fn describe(args: &[&str], out: &Output) -> String {
    format!(
        "tessera {}: {}\nstdout:\n{}\nstderr:\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs the binary and requires success.
fn run_ok(home: &Path, args: &[&str], destdir: Option<&Path>) {
    assert_ok(args, &tessera(home, args, destdir));
}

/// Runs a prepared [`command`] (made with `args`) and requires success.
fn run_command_ok(cmd: &mut Command, args: &[&str]) {
    assert_ok(args, &cmd.output().expect("run the tessera binary"));
}

/// Requires a finished command to have succeeded without a panic.
fn assert_ok(args: &[&str], out: &Output) {
    assert!(out.status.success(), "{}", describe(args, out));
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "{}",
        describe(args, out)
    );
}

/// Runs the binary and requires failure; returns stderr.
fn run_err(home: &Path, args: &[&str], destdir: Option<&Path>) -> String {
    let out = tessera(home, args, destdir);
    assert!(
        !out.status.success() && out.status.code().is_some(),
        "expected a clean failure: {}",
        describe(args, &out)
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{}", describe(args, &out));
    stderr
}

/// Every file and directory under `dir` (not `dir` itself).
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = vec![];
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in fs::read_dir(&d).expect("read a directory") {
            let path = entry.expect("read a directory entry").path();
            let meta = fs::symlink_metadata(&path).expect("stat an entry");
            if meta.is_dir() {
                pending.push(path.clone());
            }
            found.push(path);
        }
    }
    found.sort();
    found
}

fn assert_empty(dir: &Path) {
    let left = walk(dir);
    assert!(left.is_empty(), "{} is not empty: {left:#?}", dir.display());
}

fn read_json(path: &Path) -> Value {
    let text =
        fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn assert_executable_file(path: &Path) {
    let meta =
        fs::metadata(path).unwrap_or_else(|e| panic!("{} does not exist: {e}", path.display()));
    assert!(meta.is_file(), "{} is not a file", path.display());
    assert_ne!(
        meta.permissions().mode() & 0o111,
        0,
        "{} is not executable",
        path.display()
    );
}

/// Validates a host manifest; returns its `path` field.
fn check_host_manifest(file: &Path, firefox: bool) -> PathBuf {
    let json = read_json(file);
    let what = file.display();
    assert_eq!(json["name"], HOST_NAME, "{what}");
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .expect("manifest file stem");
    assert_eq!(json["name"], stem, "{what}: name equals the file stem");
    assert!(
        json["description"].as_str().is_some_and(|d| !d.is_empty()),
        "{what}: description"
    );
    assert_eq!(json["type"], "stdio", "{what}");
    let binary = PathBuf::from(json["path"].as_str().expect("path is a string"));
    assert!(
        binary.is_absolute(),
        "{what}: path {} is absolute",
        binary.display()
    );
    if firefox {
        assert_eq!(
            json["allowed_extensions"],
            serde_json::json!([FIREFOX_EXTENSION_ID]),
            "{what}"
        );
        assert!(
            json.get("allowed_origins").is_none(),
            "{what}: no allowed_origins"
        );
    } else {
        assert_eq!(
            json["allowed_origins"],
            serde_json::json!([chromium_origin()]),
            "{what}"
        );
        assert!(
            json.get("allowed_extensions").is_none(),
            "{what}: no allowed_extensions"
        );
    }
    binary
}

/// Validates an unpacked extension folder.
fn check_extension(dir: &Path, firefox: bool) {
    let manifest = read_json(&dir.join("manifest.json"));
    if firefox {
        assert_eq!(
            manifest["browser_specific_settings"]["gecko"]["id"],
            FIREFOX_EXTENSION_ID,
            "{}: gecko id",
            dir.display()
        );
    } else {
        assert!(
            manifest["key"].as_str().is_some_and(|k| !k.is_empty()),
            "{}: the Chromium manifest carries the key",
            dir.display()
        );
    }
    for file in ["background.js", "popup.html"] {
        assert!(dir.join(file).is_file(), "{}/{file}", dir.display());
    }
    let wasm_path = dir.join("wasm/tessera_core_bg.wasm");
    let wasm =
        fs::read(&wasm_path).unwrap_or_else(|e| panic!("cannot read {}: {e}", wasm_path.display()));
    assert!(
        wasm.starts_with(b"\0asm"),
        "{} is wasm",
        wasm_path.display()
    );
}

/// Installs for `args`, checks the manifests of exactly `expected` browsers and
/// the extension folders they need, then uninstalls and requires an empty HOME.
fn install_check_uninstall(browser_args: &[&str], expected: &[&str]) {
    let home = temp_dir();
    let mut args = vec!["install"];
    args.extend_from_slice(browser_args);
    run_ok(home.path(), &args, None);

    let data_root = home.path().join(USER_DATA_ROOT);
    for (browser, dir) in USER_MANIFEST_DIRS {
        let file = home.path().join(dir).join(manifest_file_name());
        if !expected.contains(&browser) {
            assert!(
                !file.exists(),
                "{browser} was not asked for: {}",
                file.display()
            );
            continue;
        }
        let binary = check_host_manifest(&file, browser == "firefox");
        assert_executable_file(&binary);
        assert!(
            binary.starts_with(&data_root),
            "{browser}: the manifest names the installed copy, not {}",
            binary.display()
        );
    }
    for (folder, firefox) in [("chromium", false), ("firefox", true)] {
        let dir = data_root.join("extension").join(folder);
        let needed = expected.iter().any(|b| (*b == "firefox") == firefox);
        if needed {
            check_extension(&dir, firefox);
        } else {
            assert!(!dir.exists(), "{} was not needed", dir.display());
        }
    }
    for path in walk(home.path()) {
        let rel = path.strip_prefix(home.path()).expect("under HOME");
        let known = USER_MANIFEST_DIRS
            .iter()
            .map(|(_, dir)| *dir)
            .chain([USER_DATA_ROOT])
            .any(|dir| Path::new(dir).starts_with(rel) || rel.starts_with(dir));
        assert!(known, "install wrote an unexpected path {}", rel.display());
    }

    run_ok(home.path(), &["uninstall"], None);
    assert_empty(home.path());
}

#[test]
fn chrome_install_and_uninstall() {
    install_check_uninstall(&["--browser", "chrome"], &["chrome"]);
}

#[test]
fn chromium_install_and_uninstall() {
    install_check_uninstall(&["--browser", "chromium"], &["chromium"]);
}

#[test]
fn edge_install_and_uninstall() {
    install_check_uninstall(&["--browser", "edge"], &["edge"]);
}

#[test]
fn brave_install_and_uninstall() {
    install_check_uninstall(&["--browser", "brave"], &["brave"]);
}

#[test]
fn firefox_install_and_uninstall() {
    install_check_uninstall(&["--browser", "firefox"], &["firefox"]);
}

#[test]
fn all_browsers_install_and_uninstall() {
    install_check_uninstall(
        &["--browser", "all"],
        &["chrome", "chromium", "edge", "brave", "firefox"],
    );
}

#[test]
fn user_data_dir_gets_the_manifest_and_survives_uninstall() {
    let home = temp_dir();
    let profile = temp_dir();
    let profile_arg = profile.path().to_str().expect("UTF-8 temp path");
    run_ok(
        home.path(),
        &["install", "--user-data-dir", profile_arg],
        None,
    );

    let file = profile
        .path()
        .join("NativeMessagingHosts")
        .join(manifest_file_name());
    let binary = check_host_manifest(&file, false);
    assert_executable_file(&binary);
    assert_eq!(
        walk(profile.path()).len(),
        2,
        "only the manifest and its folder"
    );
    for (browser, dir) in USER_MANIFEST_DIRS {
        let default = home.path().join(dir).join(manifest_file_name());
        assert!(!default.exists(), "{browser}: {}", default.display());
    }
    check_extension(
        &home.path().join(USER_DATA_ROOT).join("extension/chromium"),
        false,
    );

    run_ok(home.path(), &["uninstall"], None);
    assert!(
        profile.path().is_dir(),
        "the pre-existing profile dir stays"
    );
    assert_empty(profile.path());
    assert_empty(home.path());
}

#[test]
fn user_data_dir_created_by_install_is_removed_by_uninstall() {
    let home = temp_dir();
    let parent = temp_dir();
    let profile = parent.path().join("profile");
    let profile_arg = profile.to_str().expect("UTF-8 temp path");
    run_ok(
        home.path(),
        &["install", "--user-data-dir", profile_arg],
        None,
    );
    check_host_manifest(
        &profile
            .join("NativeMessagingHosts")
            .join(manifest_file_name()),
        false,
    );

    run_ok(home.path(), &["uninstall"], None);
    assert_empty(parent.path());
    assert_empty(home.path());
}

#[test]
fn user_data_dir_with_firefox_fails_and_writes_nothing() {
    let home = temp_dir();
    let profile = temp_dir();
    let profile_arg = profile.path().to_str().expect("UTF-8 temp path");
    let stderr = run_err(
        home.path(),
        &[
            "install",
            "--browser",
            "firefox",
            "--user-data-dir",
            profile_arg,
        ],
        None,
    );
    assert!(stderr.contains("--user-data-dir"), "stderr: {stderr}");
    assert_empty(profile.path());
    assert_empty(home.path());
}

#[test]
fn two_installs_then_one_uninstall_removes_everything() {
    let home = temp_dir();
    run_ok(home.path(), &["install", "--browser", "chromium"], None);
    run_ok(home.path(), &["install", "--browser", "firefox"], None);
    for (browser, dir) in [USER_MANIFEST_DIRS[1], USER_MANIFEST_DIRS[4]] {
        let file = home.path().join(dir).join(manifest_file_name());
        check_host_manifest(&file, browser == "firefox");
    }
    let data_root = home.path().join(USER_DATA_ROOT);
    check_extension(&data_root.join("extension/chromium"), false);
    check_extension(&data_root.join("extension/firefox"), true);

    run_ok(home.path(), &["uninstall"], None);
    assert_empty(home.path());
}

#[test]
fn uninstall_without_install_fails_clearly() {
    let home = temp_dir();
    let stderr = run_err(home.path(), &["uninstall"], None);
    assert!(stderr.contains("not installed"), "stderr: {stderr}");
    assert_empty(home.path());
}

#[test]
fn system_install_under_destdir_and_uninstall() {
    let home = temp_dir();
    let destdir = temp_dir();
    let root = destdir.path();
    run_ok(
        home.path(),
        &["install", "--system", "--browser", "all"],
        Some(root),
    );

    for (browser, dir) in SYSTEM_MANIFEST_DIRS {
        let file = root.join(dir).join(manifest_file_name());
        let binary = check_host_manifest(&file, browser == "firefox");
        assert_eq!(
            binary,
            Path::new(SYSTEM_BINARY),
            "{browser}: the path excludes DESTDIR"
        );
        let text = fs::read_to_string(&file).expect("manifest readable");
        let staged = root.to_str().expect("UTF-8 temp path");
        assert!(
            !text.contains(staged),
            "{}: mentions DESTDIR",
            file.display()
        );
    }
    assert_executable_file(&root.join(SYSTEM_BINARY.trim_start_matches('/')));
    check_extension(&root.join("opt/tessera/extension/chromium"), false);
    check_extension(&root.join("opt/tessera/extension/firefox"), true);
    assert_empty(home.path());

    run_ok(home.path(), &["uninstall", "--system"], Some(root));
    assert_empty(root);
    assert_empty(home.path());
}

/// Sends a `hello` request frame (4-byte native-endian length, then JSON) and
/// reads the answer frame.
fn hello_round_trip(stdin: &mut impl Write, stdout: &mut impl Read, id: u64) -> Value {
    let body = serde_json::to_vec(&serde_json::json!(
        {"id": id, "method": "hello", "params": {"protocol": 1}}
    ))
    .expect("hello serialises");
    let len = u32::try_from(body.len()).expect("a small frame");
    stdin
        .write_all(&len.to_ne_bytes())
        .and_then(|()| stdin.write_all(&body))
        .and_then(|()| stdin.flush())
        .expect("write to the host's stdin");
    let mut header = [0u8; 4];
    stdout
        .read_exact(&mut header)
        .expect("the host answers with a frame header");
    let mut answer = vec![0u8; u32::from_ne_bytes(header) as usize];
    stdout
        .read_exact(&mut answer)
        .expect("the host answers with a frame body");
    let answer: Value = serde_json::from_slice(&answer).expect("the answer is JSON");
    assert_eq!(answer["id"], id, "answer: {answer}");
    assert_eq!(answer["result"]["product"], "tessera", "answer: {answer}");
    answer
}

/// Regression: reinstalling while the installed host runs (a browser has it
/// open) failed with "Text file busy"; the binary is now replaced by rename.
#[test]
fn reinstall_while_the_installed_host_is_running() {
    let home = temp_dir();
    let install = ["install", "--browser", "chromium"];
    run_ok(home.path(), &install, None);
    let binary = home.path().join(USER_DATA_ROOT).join("bin/tessera");
    assert_executable_file(&binary);

    // Started the way Chrome starts it; stdin stays open, so it keeps running.
    let mut host = Command::new(&binary)
        .arg(chromium_origin())
        .env("HOME", home.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the installed host");
    let mut stdin = host.stdin.take().expect("stdin is piped");
    let mut stdout = host.stdout.take().expect("stdout is piped");
    // An answer proves the host is up, so its binary is busy during the reinstall.
    hello_round_trip(&mut stdin, &mut stdout, 1);

    run_ok(home.path(), &install, None);
    assert!(
        matches!(host.try_wait(), Ok(None)),
        "the host kept running through the reinstall"
    );
    assert_executable_file(&binary);
    let built = fs::read(env!("CARGO_BIN_EXE_tessera")).expect("read the built binary");
    let installed = fs::read(&binary).expect("read the installed binary");
    assert!(built == installed, "the reinstall wrote the whole binary");
    let version = Command::new(&binary)
        .arg("--version")
        .output()
        .expect("run the reinstalled binary");
    assert!(
        version.status.success(),
        "{}",
        describe(&["--version"], &version)
    );
    for path in walk(home.path()) {
        assert!(
            !path.to_string_lossy().ends_with(".tessera-tmp"),
            "a temporary file was left: {}",
            path.display()
        );
    }

    // The running host still serves from the replaced file, then ends on EOF.
    hello_round_trip(&mut stdin, &mut stdout, 2);
    drop(stdin);
    let mut rest = vec![];
    stdout
        .read_to_end(&mut rest)
        .expect("read the host's stdout");
    let end = host.wait_with_output().expect("wait for the host");
    let stderr = String::from_utf8_lossy(&end.stderr);
    assert_eq!(end.status.code(), Some(0), "stderr:\n{stderr}");
    assert!(rest.is_empty(), "unexpected output after EOF: {rest:?}");
    assert!(!stderr.contains("panicked"), "stderr:\n{stderr}");

    run_ok(home.path(), &["uninstall"], None);
    assert_empty(home.path());
}

/// Regression: a bare relative `--user-data-dir prof` failed with
/// "cannot create : No such file or directory".
#[test]
fn bare_relative_user_data_dir_installs_under_the_working_directory() {
    let home = temp_dir();
    let cwd = temp_dir();
    let install = ["install", "--user-data-dir", "prof"];
    run_command_ok(
        command(home.path(), &install, None).current_dir(cwd.path()),
        &install,
    );

    let profile = cwd.path().join("prof");
    let binary = check_host_manifest(
        &profile
            .join("NativeMessagingHosts")
            .join(manifest_file_name()),
        false,
    );
    assert_executable_file(&binary);
    assert_eq!(
        walk(cwd.path()).len(),
        3,
        "prof, its NativeMessagingHosts and the manifest"
    );

    let uninstall = ["uninstall"];
    run_command_ok(
        command(home.path(), &uninstall, None).current_dir(cwd.path()),
        &uninstall,
    );
    assert_empty(cwd.path());
    assert_empty(home.path());
}

/// Regression: a relative `--user-data-dir` went into the receipt as given, so
/// `tessera uninstall` run from another directory left the manifest behind.
#[test]
fn relative_user_data_dir_is_removed_by_uninstall_from_another_directory() {
    let home = temp_dir();
    let cwd = temp_dir();
    let elsewhere = temp_dir();
    fs::create_dir(cwd.path().join("prof")).expect("create the profile dir");
    let install = ["install", "--user-data-dir", "./prof"];
    run_command_ok(
        command(home.path(), &install, None).current_dir(cwd.path()),
        &install,
    );
    let binary = check_host_manifest(
        &cwd.path()
            .join("prof/NativeMessagingHosts")
            .join(manifest_file_name()),
        false,
    );
    assert_executable_file(&binary);

    let uninstall = ["uninstall"];
    run_command_ok(
        command(home.path(), &uninstall, None).current_dir(elsewhere.path()),
        &uninstall,
    );
    let profile = cwd.path().join("prof");
    assert!(profile.is_dir(), "the pre-existing profile dir stays");
    assert_empty(&profile);
    assert_empty(elsewhere.path());
    assert_empty(home.path());
}

/// Regression: user-level Chromium-family manifests ignored $XDG_CONFIG_HOME.
/// They follow it now; Firefox keeps ~/.mozilla.
#[test]
fn chromium_family_manifests_follow_xdg_config_home() {
    // The config dir may exist already, or be created (and then removed) by us.
    for pre_existing in [true, false] {
        let home = temp_dir();
        let xdg = home.path().join("xdg-config");
        if pre_existing {
            fs::create_dir(&xdg).expect("create XDG_CONFIG_HOME");
        }
        let install = ["install", "--browser", "all"];
        run_command_ok(
            command(home.path(), &install, None).env("XDG_CONFIG_HOME", &xdg),
            &install,
        );

        let data_root = home.path().join(USER_DATA_ROOT);
        for (browser, dir) in USER_MANIFEST_DIRS {
            let dir = match dir.strip_prefix(".config/") {
                Some(rel) => xdg.join(rel),
                None => home.path().join(dir),
            };
            let binary = check_host_manifest(&dir.join(manifest_file_name()), browser == "firefox");
            assert_executable_file(&binary);
            assert!(
                binary.starts_with(&data_root),
                "{browser}: the manifest names the installed copy, not {}",
                binary.display()
            );
        }
        assert!(
            xdg.join("chromium/NativeMessagingHosts")
                .join(manifest_file_name())
                .is_file(),
            "the Chromium manifest is in $XDG_CONFIG_HOME/chromium/NativeMessagingHosts"
        );
        let config = home.path().join(".config");
        assert!(!config.exists(), "{} was written", config.display());

        let uninstall = ["uninstall"];
        run_command_ok(
            command(home.path(), &uninstall, None).env("XDG_CONFIG_HOME", &xdg),
            &uninstall,
        );
        if pre_existing {
            assert!(xdg.is_dir(), "the pre-existing XDG_CONFIG_HOME stays");
            assert_empty(&xdg);
            fs::remove_dir(&xdg).expect("remove XDG_CONFIG_HOME");
        }
        assert_empty(home.path());
    }
}
