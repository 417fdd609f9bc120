//! CTAP over ISO 7816 (CTAP 2.1 §11.3 "NFC"; protocols.md §4.1), over the
//! existing [`SmartCardConnection`] (shared mode, beside the PIV sessions).
//!
//! - SELECT `A0000006472F0001` → `U2F_V2` or `FIDO_2_0`.
//! - NFCCTAP_MSG `80 10 80 00 Lc cmd‖CBOR 00` (P1 `80`: we poll), command chaining
//!   with CLA `90`, long answers through `61xx` + GET RESPONSE (the [`Processor`]).
//! - `9100` + one status byte = still working: forwarded as a keepalive, then
//!   NFCCTAP_GETRESPONSE `80 11 00 00` polls; `80 11 11 00` cancels.
//! - Any other status word is a transport error ([`CtapError::StatusWord`]).

use std::time::{Duration, Instant};

use super::connection::{FidoConnection, Keepalive, KeepaliveStatus, Transport};
use super::error::{CtapError, CtapResult};
use crate::apdu::{Apdu, ApduError, Processor, Response, Sw};
use crate::connection::SmartCardConnection;

/// The FIDO AID.
pub const FIDO_AID: [u8; 8] = [0xA0, 0x00, 0x00, 0x06, 0x47, 0x2F, 0x00, 0x01];
const NFCCTAP_MSG: u8 = 0x10;
const NFCCTAP_GETRESPONSE: u8 = 0x11;
const P1_CLIENT_POLLS: u8 = 0x80;
const P1_CANCEL: u8 = 0x11;
/// Longest a command may keep answering `9100` (a touch wait is 30 s in OpenSK).
const MAX_COMMAND_TIME: Duration = Duration::from_secs(120);

/// CTAP2 over one selected FIDO applet.
pub struct CtapIso<'c> {
    conn: &'c mut dyn SmartCardConnection,
    poll: Duration,
    select_reply: Vec<u8>,
}

fn apdu_error(e: ApduError) -> CtapError {
    match e {
        ApduError::Transport(t) => CtapError::Transport(t),
        other => CtapError::malformed(other.to_string()),
    }
}

impl<'c> CtapIso<'c> {
    /// SELECTs the FIDO applet; fails with [`CtapError::Unsupported`] without one.
    pub fn select(conn: &'c mut dyn SmartCardConnection) -> CtapResult<CtapIso<'c>> {
        let select = Apdu::new(0x00, 0xA4, 0x04, 0x00).data(FIDO_AID);
        let r = Processor::new(conn).send(&select).map_err(apdu_error)?;
        match r.sw {
            Sw::Ok => Ok(CtapIso {
                conn,
                poll: Duration::from_millis(50),
                select_reply: r.data,
            }),
            Sw::NotFound | Sw::InsNotSupported | Sw::ClaNotSupported => {
                Err(CtapError::Unsupported("no FIDO applet on this card".into()))
            }
            other => Err(CtapError::StatusWord(other.to_u16())),
        }
    }

    /// The SELECT answer (`U2F_V2` or `FIDO_2_0`).
    pub fn select_reply(&self) -> &[u8] {
        &self.select_reply
    }

    /// Changes the pause between NFCCTAP_GETRESPONSE polls.
    pub fn set_poll_interval(&mut self, poll: Duration) {
        self.poll = poll;
    }

    fn send(&mut self, apdu: &Apdu) -> CtapResult<Response> {
        Processor::new(self.conn).send(apdu).map_err(apdu_error)
    }
}

impl FidoConnection for CtapIso<'_> {
    fn transport(&self) -> Transport {
        Transport::SmartCard
    }

    fn cbor(&mut self, request: &[u8], keepalive: &mut dyn Keepalive) -> CtapResult<Vec<u8>> {
        let msg = Apdu::new(0x80, NFCCTAP_MSG, P1_CLIENT_POLLS, 0x00)
            .data(request)
            .le(0);
        let mut r = self.send(&msg)?;
        let started = Instant::now();
        loop {
            match r.sw {
                Sw::Ok => return Ok(r.data),
                Sw::CtapStatusUpdate => {
                    let status = r.data.first().copied().unwrap_or(0x01);
                    keepalive.status(KeepaliveStatus::from_byte(status));
                    if keepalive.cancelled() {
                        let cancel = Apdu::new(0x80, NFCCTAP_GETRESPONSE, P1_CANCEL, 0x00);
                        r = self.send(&cancel)?;
                        if r.sw == Sw::CtapStatusUpdate {
                            return Err(CtapError::Cancelled);
                        }
                        continue;
                    }
                    if started.elapsed() > MAX_COMMAND_TIME {
                        return Err(CtapError::Timeout);
                    }
                    std::thread::sleep(self.poll);
                    r = self.send(&Apdu::new(0x80, NFCCTAP_GETRESPONSE, 0x00, 0x00))?;
                }
                other => return Err(CtapError::StatusWord(other.to_u16())),
            }
        }
    }

    /// CTAP1 over ISO 7816 takes the short form: the extended header the
    /// callers build (as for CTAPHID MSG) is unpacked first.
    fn ctap1(&mut self, apdu: &[u8]) -> CtapResult<Vec<u8>> {
        let (&[cla, ins, p1, p2], rest) = apdu
            .split_first_chunk::<4>()
            .ok_or_else(|| CtapError::InvalidInput("APDU shorter than 4 bytes".into()))?;
        let data = match rest {
            [] | [_] | [0, _, _] => &[][..],
            [0, hi, lo, body @ ..] => {
                let lc = usize::from(u16::from_be_bytes([*hi, *lo]));
                body.get(..lc)
                    .ok_or_else(|| CtapError::InvalidInput("APDU Lc beyond its data".into()))?
            }
            _ => {
                return Err(CtapError::InvalidInput(
                    "not an extended-length APDU".into(),
                ))
            }
        };
        let r = self.send(&Apdu::new(cla, ins, p1, p2).data(data).le(0))?;
        let mut out = r.data;
        out.extend_from_slice(&r.sw.to_u16().to_be_bytes());
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fido::connection::{Quiet, Watch};
    use crate::scripted::ScriptedConnection;

    const SELECT: (&str, &str) = ("00A4040008A0000006472F0001", "5532465F56329000");

    #[test]
    fn get_info_byte_exact() {
        let mut s =
            ScriptedConnection::new(&[SELECT, ("80108000010400", "00A10181664649444F5F32309000")]);
        {
            let mut c = CtapIso::select(&mut s).expect("select");
            assert_eq!(c.select_reply(), b"U2F_V2");
            let r = c.cbor(&[0x04], &mut Quiet).expect("cbor");
            assert_eq!(hex::encode_upper(r), "00A10181664649444F5F3230");
        }
        s.finish();
    }

    #[test]
    fn status_updates_poll_then_chained_answer() {
        let mut s = ScriptedConnection::new(&[
            SELECT,
            ("80108000010700", "029100"),
            ("80110000", "029100"),
            ("80110000", "01AA6102"),
            ("00C0000002", "BBCC9000"),
        ]);
        let mut seen = vec![];
        {
            let mut c = CtapIso::select(&mut s).expect("select");
            c.set_poll_interval(Duration::ZERO);
            let mut ka = Watch::new(|st| seen.push(st), None);
            assert_eq!(
                c.cbor(&[0x07], &mut ka).expect("cbor"),
                [0x01, 0xAA, 0xBB, 0xCC]
            );
        }
        s.finish();
        assert_eq!(seen, [KeepaliveStatus::UpNeeded, KeepaliveStatus::UpNeeded]);
    }

    #[test]
    fn cancel_and_long_requests_chain_with_cla_90() {
        let flag = std::sync::atomic::AtomicBool::new(true);
        let mut s = ScriptedConnection::new(&[
            SELECT,
            ("80108000010700", "029100"),
            ("80111100", "2D9000"),
        ]);
        {
            let mut c = CtapIso::select(&mut s).expect("select");
            let mut ka = Watch::new(|_| {}, Some(&flag));
            assert_eq!(c.cbor(&[0x07], &mut ka).expect("cbor"), [0x2D]);
        }
        s.finish();

        let request = vec![0x11; 300];
        let first = format!("901080 00FF{}", "11".repeat(255));
        let last = format!("80108000 2D{}00", "11".repeat(45));
        let mut s = ScriptedConnection::new(&[SELECT, (&first, "9000"), (&last, "009000")]);
        {
            let mut c = CtapIso::select(&mut s).expect("select");
            assert_eq!(c.cbor(&request, &mut Quiet).expect("cbor"), [0]);
        }
        s.finish();
    }

    #[test]
    fn no_applet_and_bad_status_words_are_typed() {
        let mut s = ScriptedConnection::new(&[("00A4040008A0000006472F0001", "6A82")]);
        assert!(matches!(
            CtapIso::select(&mut s),
            Err(CtapError::Unsupported(_))
        ));
        let mut s = ScriptedConnection::new(&[SELECT, ("80108000010400", "6F00")]);
        {
            let mut c = CtapIso::select(&mut s).expect("select");
            assert!(matches!(
                c.cbor(&[4], &mut Quiet),
                Err(CtapError::StatusWord(0x6F00))
            ));
        }
        s.finish();
        let mut s = ScriptedConnection::new(&[SELECT, ("0003000000", "5532465F56329000")]);
        {
            let mut c = CtapIso::select(&mut s).expect("select");
            let r = c.ctap1(&super::super::info::U2F_VERSION_APDU).expect("u2f");
            assert_eq!(r, b"U2F_V2\x90\x00");
            assert!(c.ctap1(&[0, 1]).is_err());
            assert!(c.ctap1(&[0, 1, 0, 0, 0, 0, 9, 1]).is_err());
        }
        s.finish();
    }

    #[test]
    fn a_u2f_only_card_is_detected_by_the_version_probe() {
        let mut s = ScriptedConnection::new(&[
            SELECT,
            ("80108000010400", "6D00"),
            ("0003000000", "5532465F56329000"),
        ]);
        {
            let c =
                crate::fido::Ctap2::open(CtapIso::select(&mut s).expect("select")).expect("open");
            assert!(c.info().u2f_only);
            assert_eq!(c.info().versions, ["U2F_V2"]);
        }
        s.finish();
    }
}
