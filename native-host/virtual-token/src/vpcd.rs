//! The vpcd bridge: the card as a TCP client of vsmartcard's vpcd driver, so the
//! real pcscd sees it in reader "Virtual PCD 00 00" (protocols.md §7).
//!
//! Frames are a 2-byte big-endian length + payload. One-byte payloads from vpcd
//! are control codes (00 power off, 01 power on, 02 reset, 04 get ATR — only get
//! ATR is answered); longer ones are command APDUs, answered with the response.
//! Unplug closes the socket (pcscd sees a removal ~0.25 s later); plug reconnects.

use std::io::{self, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::Duration;

use crate::card::{Pressed, VirtualCard};
use crate::platform::Press;
use crate::state_file::StateFile;

/// vpcd control codes (protocols.md §7.2).
const POWER_OFF: u8 = 0x00;
const POWER_ON: u8 = 0x01;
const RESET: u8 = 0x02;
const GET_ATR: u8 = 0x04;

/// How often the bridge looks at its control channel while idle.
const POLL: Duration = Duration::from_millis(50);

/// What the control socket asks of the bridge.
#[derive(Debug)]
pub enum Plug {
    /// Remove the card (close the vpcd connection).
    Unplug,
    /// Insert it again (reconnect; vpcd powers it on).
    Plug,
    /// Remove, wait, insert.
    Replug(Duration),
    /// Pull the card when the n-th APDU from now arrives (it is not executed
    /// and not answered): simulates pulling a key in the middle of an operation.
    UnplugAfter(u32),
    /// Press the key's button; what it did goes back on the sender (dropped
    /// unanswered while the card is unplugged).
    Press(Press, Sender<Pressed>),
    /// Stop the bridge.
    Quit,
}

/// The bridge's view of itself, for `status`.
#[derive(Debug, Default)]
pub struct BridgeStatus {
    /// Connected to vpcd (the card is "inserted").
    pub plugged: AtomicBool,
}

enum Frame {
    Data(Vec<u8>),
    Closed,
}

/// vpcd writes a frame's length and body with two `send` calls and leaves Nagle
/// on, so the body waits for our ACK: ACK at once (TCP_QUICKACK, which Linux
/// clears after each receive, so it is set again before every read) instead of
/// the 40 ms delayed ACK.
fn quick_ack(stream: &TcpStream) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let _ = socket2::SockRef::from(stream).set_quickack(true);
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = stream;
}

/// Reads one frame, checking `control` whenever no frame is in progress.
fn read_frame(stream: &mut TcpStream, control: &Receiver<Plug>) -> io::Result<Result<Frame, Plug>> {
    let mut header = [0u8; 2];
    let mut got = 0;
    while got < 2 {
        quick_ack(stream);
        match stream.read(&mut header[got..]) {
            Ok(0) => return Ok(Ok(Frame::Closed)),
            Ok(n) => got += n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if got == 0 {
                    match control.try_recv() {
                        Ok(p) => return Ok(Err(p)),
                        Err(std::sync::mpsc::TryRecvError::Empty) => {}
                        Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                            return Ok(Err(Plug::Quit))
                        }
                    }
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let len = usize::from(u16::from_be_bytes(header));
    let mut body = vec![0u8; len];
    let mut got = 0;
    while got < len {
        quick_ack(stream);
        match stream.read(&mut body[got..]) {
            Ok(0) => return Ok(Ok(Frame::Closed)),
            Ok(n) => got += n,
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Ok(Frame::Data(body)))
}

fn write_frame(stream: &mut TcpStream, payload: &[u8]) -> io::Result<()> {
    let len = u16::try_from(payload.len()).map_err(|_| io::Error::from(ErrorKind::InvalidInput))?;
    let mut frame = Vec::with_capacity(2 + payload.len());
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(payload);
    stream.write_all(&frame)
}

/// Serves the card to vpcd at `addr` until [`Plug::Quit`] (or the control
/// channel closes). Persistent changes are saved to `state` after each APDU.
pub fn run(
    card: &mut VirtualCard,
    state: Option<&StateFile>,
    addr: &str,
    control: &Receiver<Plug>,
    status: &Arc<BridgeStatus>,
) {
    let mut plugged = true;
    loop {
        if !plugged {
            match control.recv() {
                Ok(Plug::Plug) | Ok(Plug::Replug(_)) => plugged = true,
                Ok(Plug::Unplug) | Ok(Plug::UnplugAfter(_)) | Ok(Plug::Press(..)) => {}
                Ok(Plug::Quit) | Err(_) => return,
            }
            continue;
        }
        let mut stream = match TcpStream::connect(addr) {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!(%addr, error = %e, "vpcd not reachable; retrying");
                match control.recv_timeout(Duration::from_millis(500)) {
                    Ok(Plug::Quit) | Err(RecvTimeoutError::Disconnected) => return,
                    Ok(Plug::Unplug) => plugged = false,
                    Ok(_) | Err(RecvTimeoutError::Timeout) => {}
                }
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        if let Err(e) = stream.set_read_timeout(Some(POLL)) {
            tracing::error!(error = %e, "cannot set a read timeout");
            return;
        }
        tracing::info!(%addr, "card inserted (connected to vpcd)");
        status.plugged.store(true, Ordering::SeqCst);
        let outcome = serve(card, state, &mut stream, control);
        status.plugged.store(false, Ordering::SeqCst);
        card.unplug();
        let _ = stream.shutdown(std::net::Shutdown::Both);
        match outcome {
            Some(Plug::Quit) => return,
            Some(Plug::Unplug) => {
                tracing::info!("card removed (unplug)");
                plugged = false;
            }
            Some(Plug::Replug(after)) => {
                tracing::info!(?after, "card removed for a replug");
                std::thread::sleep(after);
            }
            Some(Plug::Plug) | Some(Plug::UnplugAfter(_)) | Some(Plug::Press(..)) | None => {
                // vpcd closed the connection (pcscd stopped): reconnect.
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }
}

fn save_if_dirty(card: &mut VirtualCard, state: Option<&StateFile>) {
    if card.take_dirty() {
        if let Some(file) = state {
            if let Err(e) = file.save(&card.save_state()) {
                tracing::error!(error = %e, "cannot save the card state");
            }
        }
    }
}

fn serve(
    card: &mut VirtualCard,
    state: Option<&StateFile>,
    stream: &mut TcpStream,
    control: &Receiver<Plug>,
) -> Option<Plug> {
    let mut pull_at: Option<u32> = None;
    loop {
        let frame = match read_frame(stream, control) {
            Ok(Ok(Frame::Data(f))) => f,
            Ok(Ok(Frame::Closed)) => return None,
            Ok(Err(Plug::Plug)) => continue,
            Ok(Err(Plug::UnplugAfter(n))) => {
                pull_at = Some(n);
                continue;
            }
            Ok(Err(Plug::Press(press, answer))) => {
                let _ = answer.send(card.press(press));
                save_if_dirty(card, state);
                continue;
            }
            Ok(Err(p)) => return Some(p),
            Err(e) => {
                tracing::warn!(error = %e, "vpcd connection failed");
                return None;
            }
        };
        // A control command that arrived while this frame was being read
        // applies to it (a pull must land on the APDU the test means).
        while let Ok(p) = control.try_recv() {
            match p {
                Plug::UnplugAfter(n) => pull_at = Some(n),
                Plug::Plug => {}
                Plug::Press(press, answer) => {
                    let _ = answer.send(card.press(press));
                    save_if_dirty(card, state);
                }
                other => return Some(other),
            }
        }
        let reply = match frame.as_slice() {
            [POWER_OFF] => {
                card.power_off();
                None
            }
            [POWER_ON] => {
                card.power_on();
                None
            }
            [RESET] => {
                card.reset();
                None
            }
            [GET_ATR] => Some(card.atr().to_vec()),
            [_] => None,
            _ if pull_at == Some(0) => {
                tracing::info!("card pulled mid-operation (unplug-after)");
                return Some(Plug::Unplug);
            }
            apdu => {
                pull_at = pull_at.map(|n| n - 1);
                let response = card.transmit(apdu);
                save_if_dirty(card, state);
                Some(response)
            }
        };
        if let Some(reply) = reply {
            if let Err(e) = write_frame(stream, &reply) {
                tracing::warn!(error = %e, "cannot answer vpcd");
                return None;
            }
        }
    }
}
