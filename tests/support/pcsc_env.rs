//! Test harness for everything that goes through the real pcscd: starts pcscd
//! and virtual cards (as `tessera virtual-card` processes on vpcd) and stops them
//! by pid when dropped. Tests in one binary take [`serial`] first: pcscd is one
//! per machine.

#![allow(dead_code)]

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// vpcd's first reader.
pub const READER0: &str = "Virtual PCD 00 00";
/// vpcd's second reader.
pub const READER1: &str = "Virtual PCD 00 01";

static SERIAL: Mutex<()> = Mutex::new(());

/// Serialises pcscd-based tests inside one test binary.
pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The `tessera` binary under test.
pub fn tessera_bin() -> &'static str {
    env!("CARGO_BIN_EXE_tessera")
}

fn pids_of(name: &str) -> Vec<u32> {
    let out = Command::new("pgrep").args(["-x", name]).output();
    out.map(|o| {
        String::from_utf8_lossy(&o.stdout)
            .split_whitespace()
            .filter_map(|s| s.parse().ok())
            .collect()
    })
    .unwrap_or_default()
}

fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill").args([sig, &pid.to_string()]).status();
}

fn stop_child(child: &mut Child, grace: Duration) {
    signal(child.id(), "-TERM");
    let until = Instant::now() + grace;
    while Instant::now() < until {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Polls `check` every 25 ms until it holds or `timeout` passes.
pub fn wait_until(timeout: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let until = Instant::now() + timeout;
    while !check() {
        assert!(
            Instant::now() < until,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// A pcscd started by the test (foreground, so we own its pid).
pub struct Pcscd {
    child: Child,
}

impl Pcscd {
    /// Starts pcscd; refuses to run beside a pcscd the tests did not start.
    pub fn start() -> Pcscd {
        let others = pids_of("pcscd");
        assert!(
            others.is_empty(),
            "a pcscd not started by the tests is running (pids {others:?}); stop it first"
        );
        let _ = std::fs::remove_dir_all("/run/pcscd");
        let child = Command::new("pcscd")
            .arg("--foreground")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pcscd starts (apt package pcscd)");
        let pcscd = Pcscd { child };
        wait_until(Duration::from_secs(5), "the pcscd socket", || {
            Path::new("/run/pcscd/pcscd.comm").exists()
        });
        pcscd
    }

    /// pcscd's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Pcscd {
    fn drop(&mut self) {
        stop_child(&mut self.child, Duration::from_secs(3));
        let _ = std::fs::remove_dir_all("/run/pcscd");
    }
}

/// Whether `reader` currently holds a usable card, per pcscd.
pub fn card_present(reader: &str) -> bool {
    let Ok(ctx) = pcsc::Context::establish(pcsc::Scope::User) else {
        return false;
    };
    let Ok(name) = CString::new(reader) else {
        return false;
    };
    let mut states = [pcsc::ReaderState::new(name, pcsc::State::UNAWARE)];
    if ctx.get_status_change(Duration::ZERO, &mut states).is_err() {
        return false;
    }
    let state = states[0].event_state();
    // Usable: present, not mute, ATR known (pcscd reports PRESENT a moment
    // before it has powered the card and read its ATR).
    state.contains(pcsc::State::PRESENT)
        && !state.contains(pcsc::State::MUTE)
        && !states[0].atr().is_empty()
}

/// A `tessera virtual-card` process on vpcd.
pub struct VirtualCard {
    child: Child,
    /// The reader it appears in.
    pub reader: &'static str,
    /// Its state file.
    pub state: PathBuf,
    /// Its control socket.
    pub control: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl VirtualCard {
    /// Starts a card of `profile` with a fresh state in reader 00 00 and waits
    /// until pcscd sees it.
    pub fn start(profile: &str, button: &str) -> VirtualCard {
        let dir = tempfile::tempdir().expect("temp dir");
        let state = dir.path().join("card.json");
        let mut card = VirtualCard::start_with_state(profile, button, &state, READER0);
        card._dir = Some(dir);
        card
    }

    /// Starts a card on a given state file and reader.
    pub fn start_with_state(
        profile: &str,
        button: &str,
        state: &Path,
        reader: &'static str,
    ) -> VirtualCard {
        let port = if reader == READER1 { "35964" } else { "35963" };
        // A card stopped just before may still look present to pcscd.
        wait_until(Duration::from_secs(5), "the reader to be empty", || {
            !card_present(reader)
        });
        let control = state.with_extension("ctl");
        let child = Command::new(tessera_bin())
            .args([
                "virtual-card",
                "--profile",
                profile,
                "--button",
                button,
                "--button-delay",
                "200",
            ])
            .arg("--vpcd")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--state")
            .arg(state)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("tessera virtual-card starts");
        let card = VirtualCard {
            child,
            reader,
            state: state.to_path_buf(),
            control,
            _dir: None,
        };
        wait_until(Duration::from_secs(10), "the virtual card in pcscd", || {
            card_present(reader)
        });
        card
    }

    /// Sends a control command (`press`, `unplug`, `replug 500`, …).
    pub fn ctl(&self, command: &str) -> String {
        let out = Command::new(tessera_bin())
            .args(["virtual-card-ctl", "--control"])
            .arg(&self.control)
            .args(command.split_whitespace())
            .output()
            .expect("virtual-card-ctl runs");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for VirtualCard {
    fn drop(&mut self) {
        stop_child(&mut self.child, Duration::from_secs(2));
    }
}

/// Runs `scriptor` (pcsc-tools) with `apdus` on `reader`; returns each
/// (command, response) pair as upper-case hex without spaces.
pub fn scriptor(reader: &str, apdus: &[&str]) -> Vec<(String, String)> {
    let script = apdus.join("\n") + "\n";
    let mut child = Command::new("scriptor")
        .args(["-r", reader])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("scriptor runs (apt package pcsc-tools)");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("script written");
    let out = child.wait_with_output().expect("scriptor finishes");
    let text = String::from_utf8_lossy(&out.stdout);
    parse_scriptor(&text)
}

/// Parses scriptor's `> cmd` and `< resp … : text` lines; a response wraps over
/// several lines until the one holding `:`.
pub fn parse_scriptor(text: &str) -> Vec<(String, String)> {
    let hex = |s: &str| {
        s.split(':')
            .next()
            .unwrap_or("")
            .replace(' ', "")
            .to_uppercase()
    };
    let mut pairs = vec![];
    let mut cmd = String::new();
    let mut resp: Option<String> = None;
    for line in text.lines() {
        if let Some(open) = resp.as_mut() {
            open.push_str(&hex(line));
            if line.contains(':') {
                pairs.push((std::mem::take(&mut cmd), resp.take().unwrap_or_default()));
            }
        } else if let Some(c) = line.strip_prefix("> ") {
            cmd = hex(c);
        } else if let Some(r) = line.strip_prefix("< ") {
            if r.contains(':') {
                pairs.push((std::mem::take(&mut cmd), hex(r)));
            } else {
                resp = Some(hex(r));
            }
        }
    }
    pairs
}

/// An interactive `scriptor` run: one PC/SC session, APDUs sent one at a time,
/// so the test can act (press the button) between them.
pub struct Scriptor {
    child: Child,
    stdin: std::process::ChildStdin,
    output: std::sync::Arc<Mutex<String>>,
}

impl Scriptor {
    /// Starts scriptor on `reader`.
    pub fn start(reader: &str) -> Scriptor {
        // -u: unbuffered stdout, so each answer arrives as soon as it is printed.
        let mut child = Command::new("scriptor")
            .args(["-u", "-r", reader])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("scriptor runs (apt package pcsc-tools)");
        let stdin = child.stdin.take().expect("stdin");
        let mut stdout = child.stdout.take().expect("stdout");
        let output = std::sync::Arc::new(Mutex::new(String::new()));
        let sink = output.clone();
        std::thread::spawn(move || {
            use std::io::Read;
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Scriptor {
            child,
            stdin,
            output,
        }
    }

    /// Sends one APDU (hex) and returns its response (hex, SW included).
    pub fn send(&mut self, apdu: &str) -> String {
        use std::io::Write;
        let before =
            parse_scriptor(&self.output.lock().unwrap_or_else(PoisonError::into_inner)).len();
        writeln!(self.stdin, "{apdu}").expect("line sent to scriptor");
        self.stdin.flush().expect("flushed");
        let mut response = String::new();
        wait_until(Duration::from_secs(10), "scriptor's answer", || {
            let pairs = parse_scriptor(&self.output.lock().unwrap_or_else(PoisonError::into_inner));
            match pairs.get(before) {
                Some((_, r)) => {
                    response = r.clone();
                    true
                }
                None => false,
            }
        });
        response
    }
}

impl Drop for Scriptor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
