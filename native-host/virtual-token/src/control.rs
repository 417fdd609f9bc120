//! The control socket of a running virtual card (a Unix socket, one text line in,
//! one line out): `press`, `double-press`, `typed`, `unplug`, `unplug-after N`
//! (pull the card when the N-th APDU from now arrives), `plug`, `replug [ms]`,
//! `button auto [ms] | manual | never`, `status`, `quit`. Used by tests and the demo.
//!
//! `press` completes a wait for presence (the LED blinks) or, when nothing
//! waits, makes the card type its single-press action; `double-press` types
//! the double-press action. `typed` answers the keys typed since it was last
//! asked as `{"typed":[[modifiers, usage], …]}` (HID Keyboard/Keypad page
//! usages, boot-report modifier bits) and forgets them. `apdus` answers the
//! headers (CLA INS P1 P2, hex) of the command APDUs received since it was last
//! asked as `{"apdus":["00A40400", …]}` and forgets them.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::Duration;

use crate::card::Pressed;
use crate::platform::{ApduLog, Button, ButtonMode, Keyboard, Press};
use crate::vpcd::{BridgeStatus, Plug};

/// Default delay of `replug` and of the `auto` button.
const DEFAULT_REPLUG: Duration = Duration::from_millis(1000);
const DEFAULT_AUTO: Duration = Duration::from_millis(300);
/// How long a press waits for the bridge to run it.
const PRESS_TIMEOUT: Duration = Duration::from_secs(3);

/// What the control socket reaches of the card.
#[derive(Clone)]
pub struct Handles {
    /// The key's button.
    pub button: Button,
    /// What the key typed.
    pub keyboard: Keyboard,
    /// The command headers it received.
    pub apdus: ApduLog,
}

/// A press, run on the bridge thread (it owns the card).
fn press(kind: Press, button: &Button, plug: &Sender<Plug>) -> Result<(), String> {
    if kind == Press::Single && button.is_waiting() {
        button.press();
        return Ok(());
    }
    let (tx, rx) = std::sync::mpsc::channel();
    plug.send(Plug::Press(kind, tx))
        .map_err(|e| e.to_string())?;
    match rx.recv_timeout(PRESS_TIMEOUT) {
        Ok(Pressed::Presence | Pressed::Typed(_)) => Ok(()),
        Err(_) => Err("error: the key is unplugged (nothing typed)".to_owned()),
    }
}

fn apdus_json(log: &ApduLog) -> String {
    let headers: Vec<String> = log
        .take()
        .iter()
        .map(|h| format!("\"{:02X}{:02X}{:02X}{:02X}\"", h[0], h[1], h[2], h[3]))
        .collect();
    format!("{{\"apdus\":[{}]}}", headers.join(","))
}

fn typed_json(keyboard: &Keyboard) -> String {
    let keys: Vec<String> = keyboard
        .take()
        .iter()
        .map(|k| format!("[{},{}]", k.modifiers, k.usage))
        .collect();
    format!("{{\"typed\":[{}]}}", keys.join(","))
}

/// Parses and performs one control line; returns the reply line.
pub fn handle(line: &str, handles: &Handles, plug: &Sender<Plug>, status: &BridgeStatus) -> String {
    let button = &handles.button;
    let words: Vec<&str> = line.split_whitespace().collect();
    let ms = |w: Option<&&str>, default: Duration| -> Result<Duration, String> {
        w.map_or(Ok(default), |s| {
            s.parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|_| format!("error: {s:?} is not a number of milliseconds"))
        })
    };
    let result = match words.as_slice() {
        ["press"] => press(Press::Single, button, plug),
        ["double-press"] => press(Press::Double, button, plug),
        ["typed"] => return typed_json(&handles.keyboard),
        ["apdus"] => return apdus_json(&handles.apdus),
        ["unplug"] => plug.send(Plug::Unplug).map_err(|e| e.to_string()),
        ["unplug-after", n] => n
            .parse::<u32>()
            .map_err(|_| format!("error: {n:?} is not a number of APDUs"))
            .and_then(|n| plug.send(Plug::UnplugAfter(n)).map_err(|e| e.to_string())),
        ["plug"] => plug.send(Plug::Plug).map_err(|e| e.to_string()),
        ["replug", rest @ ..] => ms(rest.first(), DEFAULT_REPLUG)
            .and_then(|d| plug.send(Plug::Replug(d)).map_err(|e| e.to_string())),
        ["button", "auto", rest @ ..] => {
            ms(rest.first(), DEFAULT_AUTO).map(|d| button.set_mode(ButtonMode::Auto(d)))
        }
        ["button", "manual"] => {
            button.set_mode(ButtonMode::Manual);
            Ok(())
        }
        ["button", "never"] => {
            button.set_mode(ButtonMode::Never);
            Ok(())
        }
        ["status"] => {
            return format!(
            "{{\"plugged\":{},\"waiting_for_touch\":{},\"button\":\"{:?}\",\"typed_pending\":{}}}",
            status.plugged.load(Ordering::SeqCst),
            button.is_waiting(),
            button.mode(),
            handles.keyboard.pending()
        )
        }
        ["quit"] => plug.send(Plug::Quit).map_err(|e| e.to_string()),
        _ => Err(format!("error: unknown command {line:?}")),
    };
    match result {
        Ok(()) => "ok".to_owned(),
        Err(e) if e.starts_with("error:") => e,
        Err(e) => format!("error: {e}"),
    }
}

/// Serves the control socket at `path` on a background thread.
#[cfg(unix)]
pub fn serve(
    path: &Path,
    handles: Handles,
    plug: Sender<Plug>,
    status: Arc<BridgeStatus>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    use std::os::unix::net::UnixListener;
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path)?;
    Ok(std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let Ok(reader) = conn.try_clone() else {
                continue;
            };
            let mut line = String::new();
            if BufReader::new(reader).read_line(&mut line).is_err() {
                continue;
            }
            let reply = handle(line.trim(), &handles, &plug, &status);
            let _ = writeln!(conn, "{reply}");
        }
    }))
}

/// Sends one control line to a running card; returns its reply.
#[cfg(unix)]
pub fn send(path: &Path, line: &str) -> std::io::Result<String> {
    use std::os::unix::net::UnixStream;
    let mut s = UnixStream::connect(path)?;
    writeln!(s, "{line}")?;
    let mut reply = String::new();
    BufReader::new(s).read_line(&mut reply)?;
    Ok(reply.trim().to_owned())
}
