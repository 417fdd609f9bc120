//! CTAPHID framing (CTAP 2.1 §11.2; protocols.md §4.2), generic over a
//! 64-byte report pipe so it runs against an in-process peer in tests.
//!
//! - INIT on the broadcast channel with an 8-byte nonce; answers with another
//!   nonce are someone else's and are skipped (§11.2.9.1.3).
//! - Init packet `CID | CMD|80 | BCNT | data[57]`, continuations
//!   `CID | SEQ 0..7F | data[59]`; at most 57 + 128 × 59 = 7609 bytes (§11.2.4).
//! - Reports on other channels are ignored; a continuation out of sequence is an
//!   error; KEEPALIVE (§11.2.9.1.5) goes to the caller's [`Keepalive`] and
//!   restarts the timeout; ERROR (§11.2.9.1.6) becomes [`CtapError::Hid`], except
//!   CHANNEL_BUSY, after which the request is sent again (100 ms apart, 3 s in all).
//! - CANCEL (§11.2.9.1.4) is sent once when the caller asks; the authenticator
//!   then ends the CBOR request with `2D` KEEPALIVE_CANCEL.

use std::time::{Duration, Instant};

use super::connection::{FidoConnection, Keepalive, KeepaliveStatus, Transport};
use super::error::{CtapError, CtapResult, StatusCode};

/// Report size in both directions (§11.2.4).
pub const REPORT_LEN: usize = 64;
/// One HID report (without a report id).
pub type Report = [u8; REPORT_LEN];
/// Largest message: 57 + 128 × 59 (§11.2.4).
pub const MAX_MESSAGE: usize = INIT_DATA + 128 * CONT_DATA;
/// The broadcast channel (INIT only).
pub const BROADCAST: [u8; 4] = [0xFF; 4];

const INIT_DATA: usize = REPORT_LEN - 7;
const CONT_DATA: usize = REPORT_LEN - 5;

/// CTAPHID commands with the init bit set (§11.2.9).
pub mod cmd {
    /// PING: echo.
    pub const PING: u8 = 0x81;
    /// MSG: a CTAP1/U2F APDU.
    pub const MSG: u8 = 0x83;
    /// INIT: allocate / resync a channel.
    pub const INIT: u8 = 0x86;
    /// WINK.
    pub const WINK: u8 = 0x88;
    /// CBOR: a CTAP2 command.
    pub const CBOR: u8 = 0x90;
    /// CANCEL (no reply).
    pub const CANCEL: u8 = 0x91;
    /// KEEPALIVE (authenticator → host).
    pub const KEEPALIVE: u8 = 0xBB;
    /// ERROR (authenticator → host).
    pub const ERROR: u8 = 0xBF;
}

/// Capability flags of the INIT answer (§11.2.9.1.3).
pub mod capability {
    /// WINK supported.
    pub const WINK: u8 = 0x01;
    /// CBOR supported.
    pub const CBOR: u8 = 0x04;
    /// MSG not supported.
    pub const NMSG: u8 = 0x08;
}

/// A pipe of 64-byte HID reports (hidapi, or an in-process peer in tests).
pub trait HidReports {
    /// Writes one output report.
    fn write_report(&mut self, report: &Report) -> CtapResult<()>;
    /// Reads one input report, or `None` if none came within `timeout`.
    fn read_report(&mut self, timeout: Duration) -> CtapResult<Option<Report>>;
}

/// What the INIT answer says about the device (§11.2.9.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceInfo {
    /// CTAPHID protocol version (2).
    pub protocol: u8,
    /// Device version major.
    pub major: u8,
    /// Device version minor.
    pub minor: u8,
    /// Device version build.
    pub build: u8,
    /// Capability flags ([`capability`]).
    pub capabilities: u8,
}

/// Splits a message into reports (§11.2.4).
pub fn frame(cid: [u8; 4], command: u8, payload: &[u8]) -> CtapResult<Vec<Report>> {
    if payload.len() > MAX_MESSAGE {
        return Err(CtapError::InvalidInput(format!(
            "message of {} bytes exceeds CTAPHID's {MAX_MESSAGE}",
            payload.len()
        )));
    }
    let len = u16::try_from(payload.len())
        .map_err(|_| CtapError::InvalidInput("message too long".into()))?;
    let mut out = Vec::with_capacity(1 + payload.len() / CONT_DATA);
    let mut first = [0u8; REPORT_LEN];
    first[..4].copy_from_slice(&cid);
    first[4] = command;
    first[5..7].copy_from_slice(&len.to_be_bytes());
    let (head, rest) = payload.split_at(payload.len().min(INIT_DATA));
    first[7..7 + head.len()].copy_from_slice(head);
    out.push(first);
    for (seq, chunk) in rest.chunks(CONT_DATA).enumerate() {
        let mut c = [0u8; REPORT_LEN];
        c[..4].copy_from_slice(&cid);
        // At most 128 continuations (checked above), so seq fits 0..=0x7F.
        c[4] = (seq & 0x7F) as u8;
        c[5..5 + chunk.len()].copy_from_slice(chunk);
        out.push(c);
    }
    Ok(out)
}

/// What one input report meant to the [`Assembler`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Not for this channel (or a stray continuation): skipped.
    Ignored,
    /// Part of a message; more reports are needed.
    Partial,
    /// KEEPALIVE with its status.
    Keepalive(KeepaliveStatus),
    /// A whole message.
    Message {
        /// Its command (init bit set).
        command: u8,
        /// Its payload.
        payload: Vec<u8>,
    },
}

/// Reassembles the messages of one channel from input reports (§11.2.4).
/// Never panics on any input.
#[derive(Debug)]
pub struct Assembler {
    cid: [u8; 4],
    pending: Option<Pending>,
}

#[derive(Debug)]
struct Pending {
    command: u8,
    len: usize,
    data: Vec<u8>,
    next_seq: u8,
}

impl Assembler {
    /// Listens on `cid`.
    pub fn new(cid: [u8; 4]) -> Assembler {
        Assembler { cid, pending: None }
    }

    /// Whether a message is half received.
    pub fn in_message(&self) -> bool {
        self.pending.is_some()
    }

    /// Feeds one report. ERROR frames and protocol violations are errors.
    pub fn push(&mut self, report: &[u8]) -> CtapResult<Event> {
        let (Some(cid), Some(&kind)) = (report.get(..4), report.get(4)) else {
            return Err(CtapError::malformed(format!(
                "HID report of {} bytes",
                report.len()
            )));
        };
        if cid != self.cid {
            return Ok(Event::Ignored);
        }
        if kind & 0x80 == 0 {
            return self.continuation(kind, report.get(5..).unwrap_or_default());
        }
        let len = match report.get(5..7) {
            Some(&[hi, lo]) => usize::from(u16::from_be_bytes([hi, lo])),
            _ => return Err(CtapError::malformed("HID init packet without a length")),
        };
        let data = report.get(7..).unwrap_or_default();
        if self.pending.is_some() {
            return Err(CtapError::malformed(format!(
                "init packet {kind:02X} inside a message"
            )));
        }
        match kind {
            cmd::KEEPALIVE => {
                let status = data
                    .first()
                    .filter(|_| len >= 1)
                    .ok_or_else(|| CtapError::malformed("KEEPALIVE without a status"))?;
                Ok(Event::Keepalive(KeepaliveStatus::from_byte(*status)))
            }
            cmd::ERROR => {
                let code = data
                    .first()
                    .filter(|_| len >= 1)
                    .ok_or_else(|| CtapError::malformed("ERROR without a code"))?;
                Err(CtapError::Hid(
                    StatusCode::from_byte(*code).unwrap_or(StatusCode::Other),
                ))
            }
            command => {
                if len > MAX_MESSAGE {
                    return Err(CtapError::malformed(format!(
                        "message length {len} exceeds {MAX_MESSAGE}"
                    )));
                }
                let take = len.min(data.len()).min(INIT_DATA);
                let pending = Pending {
                    command,
                    len,
                    data: data.get(..take).unwrap_or_default().to_vec(),
                    next_seq: 0,
                };
                Ok(self.complete_or_keep(pending))
            }
        }
    }

    fn continuation(&mut self, seq: u8, data: &[u8]) -> CtapResult<Event> {
        let Some(mut pending) = self.pending.take() else {
            return Ok(Event::Ignored);
        };
        if seq != pending.next_seq {
            return Err(CtapError::malformed(format!(
                "continuation {seq} where {} was due",
                pending.next_seq
            )));
        }
        pending.next_seq = pending.next_seq.saturating_add(1);
        let want = pending.len.saturating_sub(pending.data.len());
        let take = want.min(data.len()).min(CONT_DATA);
        if take == 0 {
            return Err(CtapError::malformed("empty continuation packet"));
        }
        pending
            .data
            .extend_from_slice(data.get(..take).unwrap_or_default());
        Ok(self.complete_or_keep(pending))
    }

    fn complete_or_keep(&mut self, pending: Pending) -> Event {
        if pending.data.len() >= pending.len {
            Event::Message {
                command: pending.command,
                payload: pending.data,
            }
        } else if pending.next_seq > 0x7F {
            // Cannot happen with len ≤ MAX_MESSAGE, kept for robustness.
            Event::Ignored
        } else {
            self.pending = Some(pending);
            Event::Partial
        }
    }
}

/// Default wait for the next report while a command runs (keepalives restart it).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);
/// How often the caller's cancel flag is looked at while waiting.
const POLL: Duration = Duration::from_millis(100);
/// CHANNEL_BUSY retries (100 ms apart) before giving up.
const BUSY_RETRIES: u32 = 30;

/// A CTAPHID channel to one authenticator.
pub struct CtapHid<R: HidReports> {
    dev: R,
    cid: [u8; 4],
    info: DeviceInfo,
    timeout: Duration,
}

impl<R: HidReports> CtapHid<R> {
    /// Allocates a channel with a random nonce.
    pub fn open(dev: R) -> CtapResult<CtapHid<R>> {
        let nonce: [u8; 8] = rand::random();
        CtapHid::open_with_nonce(dev, nonce)
    }

    /// Allocates a channel with this nonce (§11.2.9.1.3).
    pub fn open_with_nonce(mut dev: R, nonce: [u8; 8]) -> CtapResult<CtapHid<R>> {
        let (cid, info) = init(&mut dev, BROADCAST, nonce, DEFAULT_TIMEOUT)?;
        Ok(CtapHid {
            dev,
            cid,
            info,
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// Changes how long to wait for the next report.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// The allocated channel.
    pub fn channel(&self) -> [u8; 4] {
        self.cid
    }

    /// The device's INIT answer.
    pub fn info(&self) -> DeviceInfo {
        self.info
    }

    /// The report pipe.
    pub fn device_mut(&mut self) -> &mut R {
        &mut self.dev
    }

    /// One request/response on our channel. ERROR CHANNEL_BUSY (another
    /// client's transaction, §11.2.9.1.6) is retried every 100 ms for a while.
    pub fn call(
        &mut self,
        command: u8,
        payload: &[u8],
        keepalive: &mut dyn Keepalive,
    ) -> CtapResult<Vec<u8>> {
        let mut busy = 0;
        loop {
            match self.call_once(command, payload, keepalive) {
                Err(CtapError::Hid(StatusCode::ChannelBusy)) if busy < BUSY_RETRIES => {
                    busy += 1;
                    std::thread::sleep(POLL);
                }
                other => return other,
            }
        }
    }

    fn call_once(
        &mut self,
        command: u8,
        payload: &[u8],
        keepalive: &mut dyn Keepalive,
    ) -> CtapResult<Vec<u8>> {
        for report in frame(self.cid, command, payload)? {
            self.dev.write_report(&report)?;
        }
        let mut assembler = Assembler::new(self.cid);
        let mut deadline = Instant::now() + self.timeout;
        let mut cancel_sent = false;
        loop {
            if !cancel_sent && keepalive.cancelled() {
                cancel_sent = true;
                self.dev
                    .write_report(&frame(self.cid, cmd::CANCEL, &[])?[0])?;
                deadline = Instant::now() + self.timeout;
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(CtapError::Timeout);
            }
            let Some(report) = self.dev.read_report(POLL.min(deadline - now))? else {
                continue;
            };
            match assembler.push(&report)? {
                Event::Ignored | Event::Partial => {}
                Event::Keepalive(status) => {
                    keepalive.status(status);
                    deadline = Instant::now() + self.timeout;
                }
                Event::Message {
                    command: got,
                    payload,
                } if got == command => return Ok(payload),
                Event::Message { command: got, .. } => {
                    return Err(CtapError::malformed(format!(
                        "answer {got:02X} to command {command:02X}"
                    )))
                }
            }
        }
    }

    /// PING: the device echoes `data`.
    pub fn ping(&mut self, data: &[u8]) -> CtapResult<Vec<u8>> {
        self.call(cmd::PING, data, &mut super::connection::Quiet)
    }
}

/// INIT on `cid` with `nonce`: the new channel and the device info. Answers
/// with another nonce (another client's INIT) are skipped.
fn init<R: HidReports>(
    dev: &mut R,
    cid: [u8; 4],
    nonce: [u8; 8],
    timeout: Duration,
) -> CtapResult<([u8; 4], DeviceInfo)> {
    for report in frame(cid, cmd::INIT, &nonce)? {
        dev.write_report(&report)?;
    }
    let deadline = Instant::now() + timeout;
    let mut assembler = Assembler::new(cid);
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Err(CtapError::Timeout);
        }
        let Some(report) = dev.read_report(deadline - now)? else {
            continue;
        };
        let Event::Message { command, payload } = assembler.push(&report)? else {
            continue;
        };
        if command != cmd::INIT {
            continue;
        }
        match parse_init(&payload, nonce)? {
            Some(answer) => return Ok(answer),
            None => continue,
        }
    }
}

/// Parses an INIT answer; `None` when the nonce is not ours.
pub fn parse_init(payload: &[u8], nonce: [u8; 8]) -> CtapResult<Option<([u8; 4], DeviceInfo)>> {
    match payload {
        [n0, n1, n2, n3, n4, n5, n6, n7, rest @ ..] => {
            if [*n0, *n1, *n2, *n3, *n4, *n5, *n6, *n7] != nonce {
                return Ok(None);
            }
            match rest {
                [c0, c1, c2, c3, protocol, major, minor, build, capabilities, ..] => {
                    let cid = [*c0, *c1, *c2, *c3];
                    if cid == BROADCAST || cid == [0; 4] {
                        return Err(CtapError::malformed("INIT allocated a reserved channel"));
                    }
                    Ok(Some((
                        cid,
                        DeviceInfo {
                            protocol: *protocol,
                            major: *major,
                            minor: *minor,
                            build: *build,
                            capabilities: *capabilities,
                        },
                    )))
                }
                _ => Err(CtapError::malformed("INIT answer shorter than 17 bytes")),
            }
        }
        _ => Ok(None),
    }
}

impl<R: HidReports> FidoConnection for CtapHid<R> {
    fn transport(&self) -> Transport {
        Transport::Hid
    }

    fn cbor(&mut self, request: &[u8], keepalive: &mut dyn Keepalive) -> CtapResult<Vec<u8>> {
        if self.info.capabilities & capability::CBOR == 0 {
            return Err(CtapError::Unsupported(
                "CTAPHID CBOR (a U2F-only key)".into(),
            ));
        }
        self.call(cmd::CBOR, request, keepalive)
    }

    fn ctap1(&mut self, apdu: &[u8]) -> CtapResult<Vec<u8>> {
        if self.info.capabilities & capability::NMSG != 0 {
            return Err(CtapError::Unsupported("CTAPHID MSG (no U2F)".into()));
        }
        self.call(cmd::MSG, apdu, &mut super::connection::Quiet)
    }

    fn wink(&mut self) -> CtapResult<bool> {
        if self.info.capabilities & capability::WINK == 0 {
            return Ok(false);
        }
        self.call(cmd::WINK, &[], &mut super::connection::Quiet)?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;
    use crate::fido::connection::Quiet;

    const CID: [u8; 4] = [0, 0, 0, 7];
    const OTHER: [u8; 4] = [0, 0, 0, 9];
    const NONCE: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 8];

    /// Replays canned input reports and records output reports.
    #[derive(Default)]
    struct Canned {
        input: VecDeque<Report>,
        written: Vec<Report>,
    }

    impl HidReports for Canned {
        fn write_report(&mut self, report: &Report) -> CtapResult<()> {
            self.written.push(*report);
            Ok(())
        }
        fn read_report(&mut self, _timeout: Duration) -> CtapResult<Option<Report>> {
            Ok(self.input.pop_front())
        }
    }

    fn init_answer(nonce: [u8; 8], cid: [u8; 4]) -> Report {
        let mut p = nonce.to_vec();
        p.extend_from_slice(&cid);
        p.extend_from_slice(&[2, 1, 0, 0, capability::CBOR | capability::WINK]);
        frame(BROADCAST, cmd::INIT, &p).expect("frame")[0]
    }

    fn opened(input: Vec<Report>) -> CtapHid<Canned> {
        let mut all = vec![init_answer(NONCE, CID)];
        all.extend(input);
        let dev = Canned {
            input: all.into(),
            written: vec![],
        };
        let mut hid = CtapHid::open_with_nonce(dev, NONCE).expect("open");
        hid.set_timeout(Duration::from_millis(50));
        hid
    }

    #[test]
    fn frames_round_trip_at_every_boundary() {
        for len in [0, 1, 56, 57, 58, 116, 117, 1000, MAX_MESSAGE] {
            let payload: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let reports = frame(CID, cmd::CBOR, &payload).expect("frame");
            let mut a = Assembler::new(CID);
            let mut got = None;
            for (i, r) in reports.iter().enumerate() {
                match a.push(r).expect("push") {
                    Event::Message { command, payload } => {
                        assert_eq!(i, reports.len() - 1);
                        got = Some((command, payload));
                    }
                    Event::Partial => assert!(i < reports.len() - 1),
                    other => panic!("unexpected {other:?}"),
                }
            }
            assert_eq!(got, Some((cmd::CBOR, payload)), "len {len}");
        }
        assert!(frame(CID, cmd::CBOR, &vec![0; MAX_MESSAGE + 1]).is_err());
    }

    #[test]
    fn init_skips_foreign_nonces_and_other_channels() {
        let dev = Canned {
            input: vec![
                init_answer([9; 8], [0, 0, 0, 1]), // another client's INIT
                frame(OTHER, cmd::CBOR, &[0]).expect("f")[0], // another channel
                init_answer(NONCE, CID),
            ]
            .into(),
            written: vec![],
        };
        let hid = CtapHid::open_with_nonce(dev, NONCE).expect("open");
        assert_eq!(hid.channel(), CID);
        assert_eq!(hid.info().protocol, 2);
        let w = &hid.dev.written;
        assert_eq!(w.len(), 1);
        assert_eq!(&w[0][..7], &[0xFF, 0xFF, 0xFF, 0xFF, 0x86, 0, 8]);
        assert_eq!(&w[0][7..15], &NONCE);
    }

    #[test]
    fn init_with_only_foreign_nonces_times_out() {
        let dev = Canned {
            input: vec![init_answer([9; 8], CID)].into(),
            written: vec![],
        };
        assert!(matches!(
            CtapHid::open_with_nonce(dev, NONCE),
            Err(CtapError::Timeout)
        ));
    }

    #[test]
    fn other_channels_are_ignored_and_keepalives_forwarded() {
        let payload: Vec<u8> = (0..100).collect();
        let mut reports = frame(CID, cmd::CBOR, &payload).expect("f");
        let mut input = vec![
            frame(CID, cmd::KEEPALIVE, &[2]).expect("f")[0],
            frame(OTHER, cmd::CBOR, &[0x31]).expect("f")[0],
            reports.remove(0),
            frame(OTHER, 0x00, &[]).expect("f")[0], // a foreign init-looking frame
        ];
        let mut foreign_cont = [0u8; REPORT_LEN];
        foreign_cont[..4].copy_from_slice(&OTHER);
        input.push(foreign_cont);
        input.extend(reports);
        let mut hid = opened(input);
        let mut seen = vec![];
        let mut ka = crate::fido::connection::Watch::new(|s| seen.push(s), None);
        let got = hid.call(cmd::CBOR, &[4], &mut ka).expect("call");
        assert_eq!(got, payload);
        assert_eq!(seen, vec![KeepaliveStatus::UpNeeded]);
    }

    #[test]
    fn sequence_errors_and_error_frames_are_typed() {
        let payload = vec![0xAA; 200];
        let mut reports = frame(CID, cmd::CBOR, &payload).expect("f");
        reports.swap(1, 2); // seq 1 before seq 0
        let mut hid = opened(reports);
        assert!(matches!(
            hid.call(cmd::CBOR, &[4], &mut Quiet),
            Err(CtapError::Malformed(m)) if m.contains("continuation 1 where 0")
        ));

        // CHANNEL_BUSY: the request is sent again and the next answer counts.
        let mut hid = opened(vec![
            frame(CID, cmd::ERROR, &[0x06]).expect("f")[0],
            frame(CID, cmd::CBOR, &[0x00]).expect("f")[0],
        ]);
        assert_eq!(hid.call(cmd::CBOR, &[4], &mut Quiet).expect("retried"), [0]);
        assert_eq!(hid.dev.written.len(), 3, "INIT, CBOR, CBOR again");
        // Any other ERROR is final.
        let mut hid = opened(vec![frame(CID, cmd::ERROR, &[0x0B]).expect("f")[0]]);
        assert!(matches!(
            hid.call(cmd::CBOR, &[4], &mut Quiet),
            Err(CtapError::Hid(StatusCode::InvalidChannel))
        ));

        // An init packet in the middle of a message.
        let mut reports = frame(CID, cmd::CBOR, &payload).expect("f");
        reports.insert(1, frame(CID, cmd::KEEPALIVE, &[1]).expect("f")[0]);
        let mut hid = opened(reports);
        assert!(matches!(
            hid.call(cmd::CBOR, &[4], &mut Quiet),
            Err(CtapError::Malformed(_))
        ));

        // A length beyond the maximum.
        let mut r = [0u8; REPORT_LEN];
        r[..4].copy_from_slice(&CID);
        r[4] = cmd::CBOR;
        r[5..7].copy_from_slice(&0xFFFFu16.to_be_bytes());
        let mut hid = opened(vec![r]);
        assert!(hid.call(cmd::CBOR, &[4], &mut Quiet).is_err());

        // A different command back.
        let mut hid = opened(vec![frame(CID, cmd::PING, &[1]).expect("f")[0]]);
        assert!(matches!(
            hid.call(cmd::CBOR, &[4], &mut Quiet),
            Err(CtapError::Malformed(_))
        ));
    }

    #[test]
    fn silence_times_out_and_cancel_is_sent_once() {
        let mut hid = opened(vec![]);
        assert!(matches!(
            hid.call(cmd::CBOR, &[7], &mut Quiet),
            Err(CtapError::Timeout)
        ));
        let flag = std::sync::atomic::AtomicBool::new(true);
        let mut hid = opened(vec![frame(CID, cmd::CBOR, &[0x2D]).expect("f")[0]]);
        let mut ka = crate::fido::connection::Watch::new(|_| {}, Some(&flag));
        assert_eq!(hid.call(cmd::CBOR, &[7], &mut ka).expect("answer"), [0x2D]);
        let w = &hid.dev.written;
        assert_eq!(w.len(), 3, "INIT, CBOR, CANCEL");
        assert_eq!(&w[2][..7], &[0, 0, 0, 7, 0x91, 0, 0]);
    }

    #[test]
    fn short_and_odd_reports_never_panic() {
        let mut a = Assembler::new(CID);
        assert!(a.push(&[]).is_err());
        assert!(a.push(&[0, 0, 0, 7]).is_err());
        assert!(a.push(&[0, 0, 0, 7, 0x90]).is_err());
        assert!(matches!(a.push(&[0, 0, 0, 7, 0x05]), Ok(Event::Ignored)));
        assert!(a.push(&[0, 0, 0, 7, 0xBB, 0, 0]).is_err());
        assert!(matches!(
            a.push(&[0, 0, 0, 7, 0x90, 0, 3, 1]),
            Ok(Event::Partial)
        ));
        assert!(a.push(&[0, 0, 0, 7, 0x00]).is_err(), "empty continuation");
        assert!(parse_init(&[1; 10], [1; 8]).is_err());
        assert_eq!(parse_init(&[1; 3], [1; 8]).expect("short"), None);
    }
}
