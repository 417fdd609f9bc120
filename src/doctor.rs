//! `tessera doctor`: what a browser user meets when a key "does not work",
//! checked one by one with the fix for each (issue 5's troubleshooting table):
//! smart-card service, readers and tokens, the FIDO app on each token (absent,
//! U2F-only, PIN blocked, key full), FIDO HID devices and their permissions
//! (udev rule), and the native-host manifest of each browser. `--report`
//! prints the same as redacted JSON to paste into a support request (device
//! ids shortened, home directory replaced by `~`, no serials, no PINs).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use serde::Serialize;
use serde_json::{json, Value};
use tessera_core::browser::ALL_BROWSERS;
use tessera_core::identity::{CHROMIUM_EXTENSION_ID, FIREFOX_EXTENSION_ID};
use tessera_core::protocol::Request;
use tessera_host::backend::PcscBackend;
use tessera_host::router::Router;

use crate::device_cli::say;
use crate::install::locations::{manifest_path, Scope};

/// `tessera doctor` options.
#[derive(Args)]
pub struct DoctorArgs {
    /// Print a redacted JSON report to paste into a support request.
    #[arg(long)]
    report: bool,
}

/// One check's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Status {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug, Serialize)]
struct Check {
    area: &'static str,
    status: Status,
    what: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<String>,
}

fn check(
    area: &'static str,
    status: Status,
    what: impl Into<String>,
    fix: Option<String>,
) -> Check {
    Check {
        area,
        status,
        what: what.into(),
        fix,
    }
}

/// Where the udev rule ships (`manifests/70-tessera-fido.rules`, installed
/// next to the extension).
const UDEV_RULE: &str = "70-tessera-fido.rules";
const UDEV_DIRS: [&str; 3] = [
    "/etc/udev/rules.d",
    "/lib/udev/rules.d",
    "/usr/lib/udev/rules.d",
];

/// Runs the checks; exit 0 when nothing failed.
pub fn run(args: DoctorArgs) -> ExitCode {
    let mut checks = vec![];
    let router = Router::with_backend(Arc::new(PcscBackend));
    smart_cards(&router, &mut checks);
    hid(&mut checks);
    manifests(&mut checks);
    let failed = checks.iter().any(|c| c.status == Status::Fail);
    if args.report {
        let report = json!({
            "tessera": env!("CARGO_PKG_VERSION"),
            "os": std::env::consts::OS,
            "arch": std::env::consts::ARCH,
            "checks": checks,
        });
        say(&redact(
            &serde_json::to_string_pretty(&report).unwrap_or_default(),
        ));
    } else {
        for c in &checks {
            let mark = match c.status {
                Status::Ok => "ok  ",
                Status::Warn => "warn",
                Status::Fail => "FAIL",
            };
            say(&format!("[{mark}] {}: {}", c.area, c.what));
            if let Some(fix) = &c.fix {
                say(&format!("       fix: {fix}"));
            }
        }
        if failed {
            say("\nSome checks failed; each says how to fix it. `tessera doctor --report` prints a redacted copy to share.");
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn call(router: &Router, method: &str, params: Value) -> Result<Value, Value> {
    let r = router.dispatch(Request {
        id: 1,
        method: method.into(),
        params,
    });
    match (r.result, r.error) {
        (Some(v), None) => Ok(v),
        (_, e) => Err(serde_json::to_value(e).unwrap_or_default()),
    }
}

fn smart_cards(router: &Router, out: &mut Vec<Check>) {
    let list = match call(router, "devices.list", json!({})) {
        Ok(l) => l,
        Err(e) => {
            out.push(check(
                "smart cards",
                Status::Fail,
                format!("cannot list readers: {}", e["message"]),
                None,
            ));
            return;
        }
    };
    if list["pcsc"]["state"] != "ok" {
        out.push(check(
            "smart cards",
            Status::Fail,
            format!(
                "the smart-card service is not running ({})",
                list["pcsc"]["message"].as_str().unwrap_or("no answer")
            ),
            Some(
                "sudo apt install pcscd && sudo systemctl enable --now pcscd.socket (Linux); on \
                 Windows and macOS the service is part of the system: reinsert the key"
                    .into(),
            ),
        ));
        return;
    }
    let readers = list["readers"].as_array().cloned().unwrap_or_default();
    if readers.is_empty() {
        out.push(check(
            "smart cards",
            Status::Warn,
            "no smart-card reader: no key is plugged in (a Crescendo Key is its own reader)",
            Some("insert the key; if it is in, try another USB port".into()),
        ));
    }
    for r in readers {
        let name = r["name"].as_str().unwrap_or("?").to_owned();
        let Some(card) = r.get("card").filter(|c| !c.is_null()) else {
            out.push(check(
                "smart cards",
                Status::Ok,
                format!("{name}: reader without a card"),
                None,
            ));
            continue;
        };
        let model = card["model"]["name"].as_str().unwrap_or("unknown token");
        let Some(token) = card.get("token").filter(|t| !t.is_null()) else {
            out.push(check(
                "smart cards",
                Status::Warn,
                format!("{name}: {model}, but it could not be read (another program may hold it exclusively)"),
                Some("close other smart-card tools (e.g. a running ykman, gpg-agent's scdaemon) and reinsert the key".into()),
            ));
            continue;
        };
        let id = token["id"].as_str().unwrap_or("?");
        out.push(check(
            "smart cards",
            Status::Ok,
            format!("{name}: {model}, id {id}"),
            None,
        ));
        if token["pin"]["state"] == "blocked" {
            out.push(check(
                "PIN",
                Status::Fail,
                format!("{model} {id}: the smart-card PIN is blocked"),
                Some(format!(
                    "tessera pin unblock --device {id} (or Unblock PIN in the popup)"
                )),
            ));
        }
        if token["applets"]["fido"] == true {
            fido(router, id, model, out);
        } else {
            out.push(check(
                "FIDO",
                Status::Warn,
                format!("{model} {id}: no FIDO app over the smart-card interface"),
                Some("if the key has FIDO, it is reached over USB HID instead (see the HID check below)".into()),
            ));
        }
    }
}

fn field<'a>(v: &'a Value, names: &[&str]) -> &'a Value {
    names
        .iter()
        .map(|n| &v[*n])
        .find(|x| !x.is_null())
        .unwrap_or(&Value::Null)
}

fn fido(router: &Router, id: &str, model: &str, out: &mut Vec<Check>) {
    let info = match call(router, "fido.info", json!({"device": id})) {
        Ok(i) => i,
        Err(e) => {
            out.push(check(
                "FIDO",
                Status::Fail,
                format!(
                    "{model} {id}: FIDO app not answering: {}",
                    e["message"].as_str().unwrap_or("?")
                ),
                Some(
                    "reinsert the key; if it persists the FIDO app may be disabled on this key"
                        .into(),
                ),
            ));
            return;
        }
    };
    let i = &info["info"];
    if field(i, &["u2f_only", "u2fOnly"]) == true {
        out.push(check(
            "FIDO",
            Status::Warn,
            format!("{model} {id}: U2F only (no FIDO2): no PIN, no passkeys; sign-ins with a second factor still work"),
            None,
        ));
        return;
    }
    out.push(check(
        "FIDO",
        Status::Ok,
        format!("{model} {id}: FIDO2 app present"),
        None,
    ));
    if let Some(n) = field(&info["retries"], &["retries"]).as_u64() {
        if n == 0 {
            out.push(check(
                "FIDO",
                Status::Fail,
                format!("{model} {id}: the FIDO PIN is blocked"),
                Some(format!(
                    "only a FIDO reset helps (erases all passkeys on the key): tessera fido reset --device {id}, or FIDO → Reset in the popup"
                )),
            ));
        }
    }
    if field(
        i,
        &[
            "remaining_discoverable_credentials",
            "remainingDiscoverableCredentials",
        ],
    )
    .as_u64()
        == Some(0)
    {
        out.push(check(
            "FIDO",
            Status::Fail,
            format!("{model} {id}: the key is full (no room for another passkey)"),
            Some(format!(
                "delete passkeys you no longer use: tessera fido credentials list --device {id}"
            )),
        ));
    }
}

/// FIDO HID devices: `/sys/class/hidraw/*` whose report descriptor declares
/// usage page 0xF1D0 (CTAP 2.1 §11.2.8.1), and whether this user may open them.
fn hid(out: &mut Vec<Check>) {
    if !cfg!(target_os = "linux") {
        return;
    }
    let Ok(entries) = std::fs::read_dir("/sys/class/hidraw") else {
        return;
    };
    let rule_installed = UDEV_DIRS
        .iter()
        .any(|d| Path::new(d).join(UDEV_RULE).exists())
        || UDEV_DIRS
            .iter()
            .any(|d| Path::new(d).join("60-fido-id.rules").exists());
    let mut found = 0;
    for e in entries.flatten() {
        let desc = std::fs::read(e.path().join("device/report_descriptor")).unwrap_or_default();
        if !desc.windows(3).any(|w| w == [0x06, 0xD0, 0xF1]) {
            continue;
        }
        found += 1;
        let dev = PathBuf::from("/dev").join(e.file_name());
        match std::fs::OpenOptions::new().read(true).write(true).open(&dev) {
            Ok(_) => out.push(check("HID", Status::Ok, format!("{}: FIDO device, accessible", dev.display()), None)),
            Err(err) if err.kind() == std::io::ErrorKind::PermissionDenied => out.push(check(
                "HID",
                Status::Fail,
                format!("{}: FIDO device, but this user may not open it", dev.display()),
                Some(format!(
                    "{}sudo install -m 644 {} /etc/udev/rules.d/ && sudo udevadm control --reload && sudo udevadm trigger, then reinsert the key",
                    if rule_installed { "the rule is installed but did not apply; " } else { "" },
                    shipped_rule().display()
                )),
            )),
            Err(err) => out.push(check("HID", Status::Warn, format!("{}: {err}", dev.display()), None)),
        }
    }
    if found == 0 {
        out.push(check(
            "HID",
            Status::Ok,
            "no FIDO HID device (keys reached over the smart-card interface only)",
            None,
        ));
    }
}

/// The udev rule as `tessera install` unpacks it.
fn shipped_rule() -> PathBuf {
    crate::install::locations::data_root(Scope::User)
        .unwrap_or_else(|_| PathBuf::from("~/.local/share/tessera"))
        .join(UDEV_RULE)
}

fn manifests(out: &mut Vec<Check>) {
    let origin = format!("chrome-extension://{CHROMIUM_EXTENSION_ID}/");
    for browser in ALL_BROWSERS {
        let mut seen = None;
        for scope in [Scope::User, Scope::System] {
            let Ok(path) = manifest_path(browser, scope, None) else {
                continue;
            };
            if let Ok(bytes) = std::fs::read(&path) {
                seen = Some((path, bytes));
                break;
            }
        }
        let name = browser.install_arg();
        let Some((path, bytes)) = seen else {
            out.push(check(
                "browsers",
                Status::Warn,
                format!("{name}: no native-host manifest (the extension cannot reach Tessera in {name})"),
                Some(format!("tessera install --browser {name}")),
            ));
            continue;
        };
        let m: Value = serde_json::from_slice(&bytes).unwrap_or_default();
        let binary = m["path"].as_str().unwrap_or_default();
        let allowed = if browser.is_firefox() {
            m["allowed_extensions"]
                .to_string()
                .contains(FIREFOX_EXTENSION_ID)
        } else {
            m["allowed_origins"].to_string().contains(&origin)
        };
        if !Path::new(binary).exists() || !allowed {
            out.push(check(
                "browsers",
                Status::Fail,
                format!(
                    "{name}: {} is stale ({})",
                    path.display(),
                    if allowed {
                        "its host binary is gone"
                    } else {
                        "it does not allow Tessera's extension"
                    }
                ),
                Some(format!("tessera install --browser {name}")),
            ));
        } else {
            out.push(check(
                "browsers",
                Status::Ok,
                format!("{name}: host registered ({})", path.display()),
                None,
            ));
        }
    }
}

/// A report safe to share: the home directory as `~`, 16-hex device ids cut
/// to their first 4 characters.
fn redact(text: &str) -> String {
    let mut s = match dirs::home_dir() {
        Some(h) if h.as_os_str().len() > 1 => text.replace(&*h.to_string_lossy(), "~"),
        _ => text.to_owned(),
    };
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    for c in s.drain(..) {
        if c.is_ascii_hexdigit() && !c.is_ascii_lowercase() {
            run.push(c);
            continue;
        }
        flush(&mut run, &mut out);
        out.push(c);
    }
    flush(&mut run, &mut out);
    out
}

fn flush(run: &mut String, out: &mut String) {
    if run.len() >= 12 {
        out.push_str(&run[..4]);
        out.push('…');
    } else {
        out.push_str(run);
    }
    run.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_shortens_ids_and_hides_home() {
        let home = dirs::home_dir()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_default();
        let r = redact(&format!("id 8DAE095F47E53496 at {home}/.config and 2026"));
        assert!(r.contains("id 8DAE… at"), "{r}");
        assert!(!r.contains("8DAE095F47E53496"));
        assert!(r.contains("2026"), "short numbers stay: {r}");
        if home.len() > 1 {
            assert!(r.contains("~/.config") && !r.contains(&home), "{r}");
        }
    }
}
