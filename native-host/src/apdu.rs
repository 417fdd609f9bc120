//! Host-side APDUs (ISO/IEC 7816-4 §5): a command builder, responses with typed
//! status words, and the processor stack every session uses (response chaining
//! with 61xx + GET RESPONSE, command chaining with CLA b5), written once.

use thiserror::Error;
use zeroize::Zeroizing;

use crate::connection::{SmartCardConnection, TransportError};

/// A status word, typed where sessions act on it (yubikey.rs `StatusWords` style).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sw {
    /// 9000.
    Ok,
    /// 61XX: more data (0 = 256 or more).
    MoreData(u8),
    /// 63CX: verification failed, X tries left.
    WrongPin {
        /// Tries left.
        tries: u8,
    },
    /// 6300: verification failed without a counter (wrong cryptogram).
    VerifyFailed,
    /// 6700.
    WrongLength,
    /// 6982.
    SecurityNotSatisfied,
    /// 6983.
    Blocked,
    /// 6985 (also "press the button" on Crescendo OATH).
    ConditionsNotSatisfied,
    /// 6A80.
    WrongData,
    /// 6A82.
    NotFound,
    /// 6A86.
    WrongP1P2,
    /// 6A88.
    RefNotFound,
    /// 6D00.
    InsNotSupported,
    /// 6E00.
    ClaNotSupported,
    /// 9100: CTAP over ISO status update.
    CtapStatusUpdate,
    /// Anything else.
    Other(u16),
}

impl Sw {
    /// Types a raw status word.
    pub fn from_u16(sw: u16) -> Sw {
        match sw {
            0x9000 => Sw::Ok,
            0x6300 => Sw::VerifyFailed,
            0x6700 => Sw::WrongLength,
            0x6982 => Sw::SecurityNotSatisfied,
            0x6983 => Sw::Blocked,
            0x6985 => Sw::ConditionsNotSatisfied,
            0x6A80 => Sw::WrongData,
            0x6A82 => Sw::NotFound,
            0x6A86 => Sw::WrongP1P2,
            0x6A88 => Sw::RefNotFound,
            0x6D00 => Sw::InsNotSupported,
            0x6E00 => Sw::ClaNotSupported,
            0x9100 => Sw::CtapStatusUpdate,
            sw if sw & 0xFF00 == 0x6100 => Sw::MoreData((sw & 0xFF) as u8),
            sw if sw & 0xFFF0 == 0x63C0 => Sw::WrongPin {
                tries: (sw & 0x0F) as u8,
            },
            other => Sw::Other(other),
        }
    }

    /// The raw value.
    pub fn to_u16(self) -> u16 {
        match self {
            Sw::Ok => 0x9000,
            Sw::MoreData(n) => 0x6100 | u16::from(n),
            Sw::WrongPin { tries } => 0x63C0 | u16::from(tries & 0x0F),
            Sw::VerifyFailed => 0x6300,
            Sw::WrongLength => 0x6700,
            Sw::SecurityNotSatisfied => 0x6982,
            Sw::Blocked => 0x6983,
            Sw::ConditionsNotSatisfied => 0x6985,
            Sw::WrongData => 0x6A80,
            Sw::NotFound => 0x6A82,
            Sw::WrongP1P2 => 0x6A86,
            Sw::RefNotFound => 0x6A88,
            Sw::InsNotSupported => 0x6D00,
            Sw::ClaNotSupported => 0x6E00,
            Sw::CtapStatusUpdate => 0x9100,
            Sw::Other(sw) => sw,
        }
    }
}

/// A command APDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Apdu {
    /// Class.
    pub cla: u8,
    /// Instruction.
    pub ins: u8,
    /// P1.
    pub p1: u8,
    /// P2.
    pub p2: u8,
    /// Data (Lc is derived); zeroized on drop, as it may carry a PIN or key.
    pub data: Zeroizing<Vec<u8>>,
    /// Le: `Some(0)` sends `00` (up to 256), `None` sends no Le.
    pub le: Option<u8>,
}

impl Apdu {
    /// A command without data or Le.
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Apdu {
        Apdu {
            cla,
            ins,
            p1,
            p2,
            data: Zeroizing::new(vec![]),
            le: None,
        }
    }

    /// With data.
    pub fn data(mut self, data: impl AsRef<[u8]>) -> Apdu {
        self.data = Zeroizing::new(data.as_ref().to_vec());
        self
    }

    /// With Le (0 = up to 256).
    pub fn le(mut self, le: u8) -> Apdu {
        self.le = Some(le);
        self
    }

    /// Short-form bytes. Data must be ≤ 255 bytes (longer data goes through
    /// command chaining in [`Processor::send`]).
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut v = Zeroizing::new(vec![self.cla, self.ins, self.p1, self.p2]);
        if !self.data.is_empty() {
            v.push(self.data.len() as u8);
            v.extend_from_slice(&self.data);
        }
        if let Some(le) = self.le {
            v.push(le);
        }
        v
    }
}

/// A response: data and the final status word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Data (all chained parts joined).
    pub data: Vec<u8>,
    /// Status word.
    pub sw: Sw,
}

/// Why an exchange failed below the status-word level.
#[derive(Debug, Error)]
pub enum ApduError {
    /// The transport failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The card answered fewer than 2 bytes.
    #[error("the card sent a malformed response ({0} bytes)")]
    Malformed(usize),
    /// The card kept answering 61xx beyond any sane size.
    #[error("the card's response chain did not end")]
    EndlessChain,
}

/// Largest response the processor accepts when joining 61xx chains.
const MAX_RESPONSE: usize = 64 * 1024;

/// The processor stack: command chaining (CLA | 10h on all but the last block of
/// ≤ 255 bytes) and response chaining (61xx → `get_response_ins`, default GET
/// RESPONSE `00 C0 00 00 xx`; YKOATH uses SEND REMAINING `00 A5 00 00`).
pub struct Processor<'c> {
    conn: &'c mut dyn SmartCardConnection,
    get_response_ins: u8,
}

impl<'c> Processor<'c> {
    /// A processor over a connection (standard GET RESPONSE).
    pub fn new(conn: &'c mut dyn SmartCardConnection) -> Processor<'c> {
        Processor {
            conn,
            get_response_ins: 0xC0,
        }
    }

    /// Uses another instruction to fetch the rest of a response.
    pub fn with_get_response_ins(mut self, ins: u8) -> Processor<'c> {
        self.get_response_ins = ins;
        self
    }

    fn raw(&mut self, bytes: &[u8]) -> Result<(Vec<u8>, Sw), ApduError> {
        let mut r = self.conn.transmit(bytes)?;
        if r.len() < 2 {
            return Err(ApduError::Malformed(r.len()));
        }
        let sw2 = r.pop().unwrap_or_default();
        let sw1 = r.pop().unwrap_or_default();
        Ok((r, Sw::from_u16(u16::from_be_bytes([sw1, sw2]))))
    }

    /// Sends a command, chaining long data and joining a chained response.
    pub fn send(&mut self, apdu: &Apdu) -> Result<Response, ApduError> {
        let blocks: Vec<&[u8]> = apdu.data.chunks(255).collect();
        let (head, last) = match blocks.split_last() {
            Some((last, head)) => (head, *last),
            None => (&[][..], &[][..]),
        };
        for block in head {
            let chained = Apdu {
                cla: apdu.cla | 0x10,
                data: Zeroizing::new(block.to_vec()),
                le: None,
                ..apdu.clone()
            };
            let (data, sw) = self.raw(&chained.to_bytes())?;
            if sw != Sw::Ok {
                return Ok(Response { data, sw });
            }
        }
        let final_block = Apdu {
            data: Zeroizing::new(last.to_vec()),
            ..apdu.clone()
        };
        let (mut data, mut sw) = self.raw(&final_block.to_bytes())?;
        while let Sw::MoreData(n) = sw {
            if data.len() > MAX_RESPONSE {
                return Err(ApduError::EndlessChain);
            }
            let get = Apdu::new(0x00, self.get_response_ins, 0, 0).le(n);
            let (more, next) = self.raw(&get.to_bytes())?;
            data.extend_from_slice(&more);
            sw = next;
        }
        Ok(Response { data, sw })
    }
}
