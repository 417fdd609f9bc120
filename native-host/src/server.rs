//! The native-messaging session: read frames, dispatch, write frames.
//!
//! Reading happens on the caller's thread; all writing goes through one writer
//! thread fed by an [`Outbox`], so responses and unsolicited events never
//! interleave inside a frame. Policy on bad input (docs/PROTOCOL.md "Errors"):
//! - invalid UTF-8, invalid JSON, not a request, unknown method, wrong params:
//!   an error response, and the session goes on (frame boundaries are intact);
//! - a frame above [`MAX_INBOUND_FRAME`] but within what a browser can send
//!   ([`MAX_DRAINABLE_FRAME`]): `frame_too_large`, the body is read and dropped,
//!   the session goes on;
//! - a header above that cannot come from a browser, or input ending inside a
//!   frame: the stream is out of step, so the host says so and exits.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;
use std::thread;

use tessera_core::protocol::{
    ErrorBody, ErrorCode, Event, HostMessage, Request, Response, MAX_DRAINABLE_FRAME,
    MAX_INBOUND_FRAME, MAX_OUTBOUND_FRAME,
};

use crate::framing::{self, FrameError};
use crate::router::Router;

/// How a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// The browser closed stdin between frames: normal shutdown.
    Eof,
    /// Input ended inside a frame.
    Truncated,
    /// A frame header no browser could send; the stream cannot be trusted.
    Corrupt,
    /// Reading stdin failed.
    ReadError,
}

impl SessionEnd {
    /// Process exit code for this end (documented in docs/PROTOCOL.md).
    pub fn exit_code(self) -> i32 {
        match self {
            SessionEnd::Eof => 0,
            SessionEnd::Truncated | SessionEnd::Corrupt | SessionEnd::ReadError => 2,
        }
    }
}

/// Sends messages to the browser from any thread.
#[derive(Debug, Clone)]
pub struct Outbox(Sender<HostMessage>);

impl Outbox {
    /// Queues a message; silently dropped once the browser is gone.
    pub fn send(&self, message: HostMessage) {
        let _ = self.0.send(message);
    }
}

fn encode(message: &HostMessage) -> Option<Vec<u8>> {
    let body = match serde_json::to_vec(message) {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, "cannot encode message");
            return None;
        }
    };
    if body.len() <= MAX_OUTBOUND_FRAME {
        return Some(body);
    }
    match message {
        HostMessage::Response(Response { id, .. }) => {
            tracing::error!(
                len = body.len(),
                "response above 1 MiB replaced by an error"
            );
            let error = Response::err(
                *id,
                ErrorBody::new(
                    ErrorCode::ResponseTooLarge,
                    "the result is larger than the browser accepts (1 MiB)",
                )
                .with("limit", MAX_OUTBOUND_FRAME),
            );
            serde_json::to_vec(&HostMessage::Response(error)).ok()
        }
        HostMessage::Event(event) => {
            tracing::error!(event = %event.event, len = body.len(), "event above 1 MiB dropped");
            None
        }
    }
}

/// Serves one browser session until EOF or an unrecoverable stream error.
pub fn serve<R: Read, W: Write + Send + 'static>(
    mut input: R,
    mut output: W,
    router: &Router,
) -> SessionEnd {
    let (tx, rx) = channel::<HostMessage>();
    let writer = thread::spawn(move || {
        for message in rx {
            let Some(body) = encode(&message) else {
                continue;
            };
            if let Err(e) = framing::write_frame(&mut output, &body, MAX_OUTBOUND_FRAME) {
                tracing::warn!(error = %e, "cannot write to the browser; stopping output");
                break;
            }
        }
    });
    let outbox = Outbox(tx);
    // Hotplug: a `devices.changed` event after every reader or card change.
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (outbox, stop, backend) = (outbox.clone(), stop.clone(), router.backend());
        thread::spawn(move || {
            backend.watch(&stop, &mut || {
                outbox.send(HostMessage::Event(Event {
                    event: "devices.changed".to_owned(),
                    id: None,
                    data: serde_json::json!({}),
                }))
            })
        })
    };
    let end = read_loop(&mut input, router, &outbox);
    stop.store(true, Ordering::Relaxed);
    if watcher.join().is_err() {
        tracing::error!("hotplug watcher panicked");
    }
    drop(outbox);
    if writer.join().is_err() {
        tracing::error!("writer thread panicked");
    }
    tracing::info!(?end, "session ended");
    end
}

fn read_loop(input: &mut impl Read, router: &Router, outbox: &Outbox) -> SessionEnd {
    loop {
        let frame = match framing::read_frame(input, MAX_INBOUND_FRAME) {
            Ok(frame) => frame,
            Err(FrameError::Eof) => return SessionEnd::Eof,
            Err(FrameError::TooLarge { len, limit }) => {
                tracing::warn!(len, limit, "inbound frame too large");
                let drainable = len <= MAX_DRAINABLE_FRAME;
                let message = if drainable {
                    "request too large; it was ignored"
                } else {
                    "frame length cannot come from a browser; closing the session"
                };
                outbox.send(HostMessage::Response(Response::err(
                    None,
                    ErrorBody::new(ErrorCode::FrameTooLarge, message)
                        .with("length", len)
                        .with("limit", limit),
                )));
                if !drainable {
                    return SessionEnd::Corrupt;
                }
                match framing::discard(input, len) {
                    Ok(()) => continue,
                    Err(e) => {
                        tracing::warn!(error = %e, "input ended inside an oversized frame");
                        return SessionEnd::Truncated;
                    }
                }
            }
            Err(FrameError::Truncated { expected, got }) => {
                tracing::warn!(expected, got, "input ended inside a frame");
                return SessionEnd::Truncated;
            }
            Err(FrameError::Io(e)) => {
                tracing::warn!(error = %e, "cannot read from the browser");
                return SessionEnd::ReadError;
            }
        };
        let response = match Request::parse(&frame) {
            Ok(request) => {
                tracing::debug!(id = request.id, method = %request.method, "request");
                router
                    .dispatch_with_events(request, &|event| outbox.send(HostMessage::Event(event)))
            }
            Err(error_response) => {
                tracing::warn!("unreadable request frame ({} bytes)", frame.len());
                error_response
            }
        };
        outbox.send(HostMessage::Response(response));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct SharedBuf(Arc<Mutex<Vec<u8>>>);
    impl Write for SharedBuf {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn frame(body: &[u8]) -> Vec<u8> {
        let mut v = (body.len() as u32).to_ne_bytes().to_vec();
        v.extend_from_slice(body);
        v
    }

    fn run(input: Vec<u8>) -> (SessionEnd, Vec<serde_json::Value>) {
        let out = SharedBuf::default();
        // The in-process token never hotplugs: only responses appear.
        let card = tessera_virtual_token::profile::Profile::CrescendoKey.build(
            tessera_virtual_token::platform::Platform::deterministic(
                1,
                tessera_virtual_token::platform::ButtonMode::Never,
            )
            .0,
        );
        let router = Router::with_backend(Arc::new(
            crate::virtual_backend::VirtualBackend::ephemeral(card),
        ));
        let end = serve(Cursor::new(input), out.clone(), &router);
        let bytes = out.0.lock().expect("lock").clone();
        let mut r = Cursor::new(bytes);
        let mut msgs = vec![];
        while let Ok(f) = framing::read_frame(&mut r, usize::MAX) {
            msgs.push(serde_json::from_slice(&f).expect("host writes JSON"));
        }
        (end, msgs)
    }

    #[test]
    fn bad_frames_get_errors_and_the_session_goes_on() {
        let mut input = frame(b"\xff");
        input.extend(frame(b"nope"));
        input.extend(frame(br#"{"id":1,"method":"nope"}"#));
        input.extend(frame(
            br#"{"id":2,"method":"hello","params":{"protocol":1}}"#,
        ));
        let (end, msgs) = run(input);
        assert_eq!(end, SessionEnd::Eof);
        let codes: Vec<_> = msgs
            .iter()
            .map(|m| m["error"]["code"].as_str().unwrap_or("ok").to_owned())
            .collect();
        assert_eq!(
            codes,
            ["invalid_utf8", "invalid_json", "unknown_method", "ok"]
        );
        assert_eq!(msgs[3]["id"], 2);
    }

    #[test]
    fn oversize_is_drained_unless_impossible() {
        let mut input = frame(&vec![b' '; MAX_INBOUND_FRAME + 1]);
        input.extend(frame(
            br#"{"id":5,"method":"hello","params":{"protocol":1}}"#,
        ));
        let (end, msgs) = run(input);
        assert_eq!(end, SessionEnd::Eof);
        assert_eq!(msgs[0]["error"]["code"], "frame_too_large");
        assert_eq!(msgs[1]["id"], 5);

        let input = ((MAX_DRAINABLE_FRAME + 1) as u32).to_ne_bytes().to_vec();
        let (end, msgs) = run(input);
        assert_eq!(end, SessionEnd::Corrupt);
        assert_eq!(msgs[0]["error"]["code"], "frame_too_large");
    }

    #[test]
    fn oversized_responses_become_errors() {
        let big = HostMessage::Response(Response::ok(
            9,
            serde_json::Value::String("x".repeat(MAX_OUTBOUND_FRAME)),
        ));
        let body = encode(&big).expect("replacement");
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(v["id"], 9);
        assert_eq!(v["error"]["code"], "response_too_large");
    }
}
