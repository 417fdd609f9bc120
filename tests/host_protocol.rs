//! The native-messaging host as a browser sees it: the real `tessera` binary,
//! started with the caller's argv, spoken to over real OS pipes.
//!
//! Every test reads all of stdout as a strict sequence of frames (4-byte
//! native-endian length, then UTF-8 JSON) and checks that stderr shows no panic.

use std::io::{self, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tessera_core::identity::{chromium_origin, FIREFOX_EXTENSION_ID, PRODUCT_VERSION};

/// 1 MiB: the inbound and outbound frame cap.
const MIB: usize = 1024 * 1024;

/// How long one host process may live before the test kills it and fails.
const TIMEOUT: Duration = Duration::from_secs(20);

/// A Chromium origin that is not ours.
const FOREIGN_ORIGIN: &str = "chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/";

/// What the stdout reader thread saw.
enum Stdout {
    /// One complete frame whose body is JSON.
    Frame(Value),
    /// Bytes that are not a complete JSON frame; nothing is read after them.
    Malformed(String),
    /// Clean end of stdout, between frames.
    End,
}

/// A running host process, killed on drop if it is still alive.
struct Host {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Receiver<Stdout>,
    stderr: Option<JoinHandle<Vec<u8>>>,
    deadline: Instant,
}

/// How a host process ended.
struct Finished {
    status: ExitStatus,
    /// Frames not already taken with [`Host::recv`].
    frames: Vec<Value>,
}

impl Finished {
    /// The exit code; fails when the process died from a signal.
    fn code(&self) -> i32 {
        self.status
            .code()
            .unwrap_or_else(|| panic!("host died from a signal: {}", self.status))
    }
}

/// Reads until `buf` is full or EOF; returns how many bytes arrived.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Reads one frame strictly: a whole header, a whole body, the body JSON.
fn read_one(r: &mut impl Read) -> Stdout {
    let mut header = [0u8; 4];
    match read_full(r, &mut header) {
        Ok(0) => return Stdout::End,
        Ok(4) => {}
        Ok(n) => {
            return Stdout::Malformed(format!("stdout ended inside a header ({n} of 4 bytes)"))
        }
        Err(e) => return Stdout::Malformed(format!("cannot read stdout: {e}")),
    }
    let len = u32::from_ne_bytes(header) as usize;
    if len > MIB {
        return Stdout::Malformed(format!("host wrote a {len}-byte frame, above 1 MiB"));
    }
    let mut body = vec![0u8; len];
    match read_full(r, &mut body) {
        Ok(n) if n == len => {}
        Ok(n) => return Stdout::Malformed(format!("stdout ended inside a body ({n} of {len})")),
        Err(e) => return Stdout::Malformed(format!("cannot read stdout: {e}")),
    }
    match serde_json::from_slice(&body) {
        Ok(value) => Stdout::Frame(value),
        Err(e) => Stdout::Malformed(format!(
            "frame body is not JSON ({e}): {:?}",
            String::from_utf8_lossy(&body)
        )),
    }
}

/// A frame: the body's length in native byte order, then the body.
fn frame(body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len()).expect("test frames fit in u32");
    let mut bytes = len.to_ne_bytes().to_vec();
    bytes.extend_from_slice(body);
    bytes
}

/// A frame holding `value` as JSON.
fn json_frame(value: &Value) -> Vec<u8> {
    frame(&serde_json::to_vec(value).expect("test JSON serialises"))
}

/// A `hello` request frame with this id.
fn hello(id: u64) -> Vec<u8> {
    json_frame(&json!({"id": id, "method": "hello", "params": {"protocol": 1}}))
}

impl Host {
    /// Starts the binary as a browser would, with `args` as argv[1..].
    fn spawn(args: &[&str]) -> Host {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the tessera binary");
        let stdin = child.stdin.take();
        let mut out = child.stdout.take().expect("stdout is piped");
        let mut err = child.stderr.take().expect("stderr is piped");
        let (tx, stdout) = mpsc::channel();
        thread::spawn(move || loop {
            let item = read_one(&mut out);
            let last = !matches!(item, Stdout::Frame(_));
            if tx.send(item).is_err() || last {
                break;
            }
        });
        let stderr = thread::spawn(move || {
            let mut bytes = vec![];
            let _ = err.read_to_end(&mut bytes);
            bytes
        });
        Host {
            child,
            stdin,
            stdout,
            stderr: Some(stderr),
            deadline: Instant::now() + TIMEOUT,
        }
    }

    /// Starts the host the way Chrome starts it for our extension.
    fn ours() -> Host {
        Host::spawn(&[&chromium_origin()])
    }

    /// Writes raw bytes to the host's stdin.
    fn try_send(&mut self, bytes: &[u8]) -> io::Result<()> {
        let stdin = self.stdin.as_mut().expect("stdin is still open");
        stdin.write_all(bytes)?;
        stdin.flush()
    }

    /// Writes raw bytes to the host's stdin; the host must be reading.
    fn send(&mut self, bytes: &[u8]) {
        self.try_send(bytes).expect("write to the host's stdin");
    }

    /// Kills the host and fails the test.
    fn fail(&mut self, why: &str) -> ! {
        let _ = self.child.kill();
        let _ = self.child.wait();
        panic!("{why}");
    }

    /// The next frame the host writes, while it keeps running.
    fn recv(&mut self) -> Value {
        let left = self.deadline.saturating_duration_since(Instant::now());
        match self.stdout.recv_timeout(left) {
            Ok(Stdout::Frame(value)) => value,
            Ok(Stdout::Malformed(why)) => self.fail(&format!("bad stdout: {why}")),
            Ok(Stdout::End) => self.fail("stdout closed while a frame was expected"),
            Err(RecvTimeoutError::Timeout) => self.fail("no frame within the timeout"),
            Err(RecvTimeoutError::Disconnected) => self.fail("stdout reader stopped"),
        }
    }

    /// Closes stdin (EOF), waits for the exit, and checks all remaining stdout
    /// is whole JSON frames and stderr holds no panic.
    fn finish(mut self) -> Finished {
        drop(self.stdin.take());
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() >= self.deadline => {
                    self.fail("host did not exit within the timeout")
                }
                Ok(None) => thread::sleep(Duration::from_millis(10)),
                Err(e) => self.fail(&format!("cannot wait for the host: {e}")),
            }
        };
        let mut frames = vec![];
        loop {
            let left = self.deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(Stdout::Frame(value)) => frames.push(value),
                Ok(Stdout::End) => break,
                Ok(Stdout::Malformed(why)) => panic!("bad stdout: {why}; frames: {frames:?}"),
                Err(e) => panic!("stdout not closed after exit: {e}"),
            }
        }
        let stderr = self.stderr.take().expect("stderr reader").join();
        let stderr = String::from_utf8_lossy(&stderr.expect("stderr reader thread")).into_owned();
        assert!(
            !stderr.contains("panicked"),
            "host panicked; stderr:\n{stderr}"
        );
        Finished { status, frames }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Asserts `response` is an error with `code` for request `id` (`None`: null id).
fn assert_error(response: &Value, code: &str, id: Option<u64>) {
    assert_eq!(response["error"]["code"], code, "response: {response}");
    assert_eq!(response["id"], json!(id), "response: {response}");
    assert!(
        response.get("result").is_none(),
        "an error has no result: {response}"
    );
    assert!(
        response["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "an error has a message: {response}"
    );
}

/// Asserts `response` is a successful `hello` answer for request `id`.
fn assert_hello(response: &Value, id: u64) {
    assert_eq!(response["id"], id, "response: {response}");
    assert!(response.get("error").is_none(), "response: {response}");
    let result = &response["result"];
    assert_eq!(result["protocol"], 1, "response: {response}");
    assert_eq!(result["product"], "tessera", "response: {response}");
    assert_eq!(result["version"], PRODUCT_VERSION, "response: {response}");
    let methods = result["methods"].as_array().expect("methods is an array");
    assert!(
        methods.iter().any(|m| m == "devices.list"),
        "response: {response}"
    );
}

/// Sends each request frame, then EOF; returns the responses of a clean session.
fn session(requests: &[Vec<u8>]) -> Vec<Value> {
    let mut host = Host::ours();
    for request in requests {
        host.send(request);
    }
    let end = host.finish();
    assert_eq!(end.code(), 0, "EOF between frames is a normal end");
    end.frames
}

#[test]
fn hello_answers_and_eof_exits_zero() {
    let mut host = Host::ours();
    host.send(&hello(1));
    // Answered while stdin stays open, as a browser keeps it.
    let response = host.recv();
    assert_hello(&response, 1);
    let end = host.finish();
    assert_eq!(end.code(), 0);
    assert!(end.frames.is_empty(), "unexpected frames: {:?}", end.frames);
}

#[test]
fn devices_list_reports_pcsc_state_and_readers() {
    let responses = session(&[json_frame(
        &json!({"id": 2, "method": "devices.list", "params": {}}),
    )]);
    assert_eq!(responses.len(), 1, "{responses:?}");
    let response = &responses[0];
    assert_eq!(response["id"], 2, "response: {response}");
    let result = response["result"].as_object().expect("result is an object");
    let state = result["pcsc"]["state"].as_str().expect("pcsc.state");
    assert!(
        ["ok", "no_service", "error"].contains(&state),
        "pcsc.state {state:?}"
    );
    assert!(result["readers"].is_array(), "response: {response}");
}

#[test]
fn oversize_frame_is_refused_and_the_session_goes_on() {
    let mut host = Host::ours();
    host.send(&frame(&vec![b' '; MIB + 1]));
    host.send(&hello(4));
    let end = host.finish();
    assert_eq!(end.code(), 0);
    assert_eq!(end.frames.len(), 2, "{:?}", end.frames);
    assert_error(&end.frames[0], "frame_too_large", None);
    assert_eq!(end.frames[0]["error"]["limit"], MIB);
    assert_eq!(end.frames[0]["error"]["length"], MIB + 1);
    assert_hello(&end.frames[1], 4);
}

#[test]
fn impossible_frame_length_ends_the_session() {
    let mut host = Host::ours();
    let len = u32::try_from(64 * MIB + 1).expect("fits in u32");
    host.send(&len.to_ne_bytes());
    let end = host.finish();
    assert_eq!(end.code(), 2);
    assert_eq!(end.frames.len(), 1, "{:?}", end.frames);
    assert_error(&end.frames[0], "frame_too_large", None);
    assert_eq!(end.frames[0]["error"]["limit"], MIB);
}

#[test]
fn truncated_body_exits_two() {
    let mut host = Host::ours();
    host.send(&100u32.to_ne_bytes());
    host.send(&[b'{'; 10]);
    let end = host.finish();
    assert_eq!(end.code(), 2);
}

#[test]
fn truncated_header_exits_two() {
    let mut host = Host::ours();
    host.send(&[7, 0]);
    let end = host.finish();
    assert_eq!(end.code(), 2);
}

#[test]
fn invalid_utf8_is_an_error_and_the_session_goes_on() {
    let responses = session(&[frame(b"{\"id\":1,\"method\":\"hel\xfflo\"}"), hello(6)]);
    assert_eq!(responses.len(), 2, "{responses:?}");
    assert_error(&responses[0], "invalid_utf8", None);
    assert_hello(&responses[1], 6);
}

#[test]
fn invalid_json_is_an_error() {
    let responses = session(&[frame(b"{\"id\":1,"), hello(7)]);
    assert_eq!(responses.len(), 2, "{responses:?}");
    assert_error(&responses[0], "invalid_json", None);
    assert_hello(&responses[1], 7);
}

#[test]
fn json_array_is_an_invalid_request() {
    let responses = session(&[json_frame(&json!([1, 2])), hello(8)]);
    assert_eq!(responses.len(), 2, "{responses:?}");
    assert_error(&responses[0], "invalid_request", None);
    assert_hello(&responses[1], 8);
}

#[test]
fn object_without_method_is_an_invalid_request() {
    let responses = session(&[json_frame(&json!({"id": 4, "params": {}})), hello(9)]);
    assert_eq!(responses.len(), 2, "{responses:?}");
    assert_error(&responses[0], "invalid_request", Some(4));
    assert_hello(&responses[1], 9);
}

#[test]
fn non_string_method_is_an_invalid_request_with_its_id() {
    let responses = session(&[json_frame(&json!({"id": 5, "method": 7})), hello(10)]);
    assert_eq!(responses.len(), 2, "{responses:?}");
    assert_error(&responses[0], "invalid_request", Some(5));
    assert_hello(&responses[1], 10);
}

#[test]
fn unknown_method_is_an_error_with_its_id() {
    let responses = session(&[
        json_frame(&json!({"id": 3, "method": "nope", "params": {}})),
        hello(11),
    ]);
    assert_eq!(responses.len(), 2, "{responses:?}");
    assert_error(&responses[0], "unknown_method", Some(3));
    assert_eq!(responses[0]["error"]["method"], "nope");
    assert_hello(&responses[1], 11);
}

#[test]
fn hello_with_a_string_protocol_is_invalid_params() {
    let responses = session(&[
        json_frame(&json!({"id": 12, "method": "hello", "params": {"protocol": "one"}})),
        hello(13),
    ]);
    assert_eq!(responses.len(), 2, "{responses:?}");
    assert_error(&responses[0], "invalid_params", Some(12));
    assert_hello(&responses[1], 13);
}

#[test]
fn devices_list_with_unknown_params_is_invalid_params() {
    let responses = session(&[
        json_frame(&json!({"id": 14, "method": "devices.list", "params": {"x": 1}})),
        hello(15),
    ]);
    assert_eq!(responses.len(), 2, "{responses:?}");
    assert_error(&responses[0], "invalid_params", Some(14));
    assert_hello(&responses[1], 15);
}

/// Starts the host with `args`, offers it a hello, and checks it refuses the
/// caller with one `forbidden_origin` frame and exit code 1.
fn assert_refused(args: &[&str]) {
    let mut host = Host::spawn(args);
    // The host may already be gone: a broken pipe is fine, an answer is not.
    match host.try_send(&hello(1)) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => panic!("cannot write to the host: {e}"),
    }
    let end = host.finish();
    assert_eq!(end.code(), 1, "a foreign caller exits with 1");
    assert_eq!(end.frames.len(), 1, "only the refusal: {:?}", end.frames);
    assert_error(&end.frames[0], "forbidden_origin", None);
}

#[test]
fn foreign_chromium_origin_is_refused() {
    assert_refused(&[FOREIGN_ORIGIN]);
}

#[test]
fn foreign_firefox_addon_is_refused() {
    assert_refused(&["/tmp/x/com.tessera.host.json", "evil@example.com"]);
}

#[test]
fn our_firefox_addon_is_served() {
    let mut host = Host::spawn(&["/tmp/x/com.tessera.host.json", FIREFOX_EXTENSION_ID]);
    host.send(&hello(16));
    let response = host.recv();
    assert_hello(&response, 16);
    let end = host.finish();
    assert_eq!(end.code(), 0);
    assert!(end.frames.is_empty(), "unexpected frames: {:?}", end.frames);
}

/// Regression: `tessera notes.json hello` was taken for a Firefox launch (whose
/// first argument is the manifest's absolute path); it is a CLI usage error.
#[test]
fn relative_json_argument_is_a_usage_error_not_a_firefox_launch() {
    for first in ["notes.json", "dir/notes.json"] {
        let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args([first, "hello"])
            .stdin(Stdio::null())
            .output()
            .expect("run the tessera binary");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let what = format!("tessera {first} hello: {}\nstderr:\n{stderr}", out.status);
        assert_eq!(out.status.code(), Some(2), "a clap usage error: {what}");
        assert!(
            out.stdout.is_empty(),
            "nothing on stdout (no refusal frame): {what}; stdout: {:?}",
            out.stdout
        );
        assert!(
            stderr.contains("error:") && stderr.contains(first) && stderr.contains("Usage:"),
            "clap names the bad argument and shows usage: {what}"
        );
        assert!(!stderr.contains("panicked"), "{what}");
    }
}
