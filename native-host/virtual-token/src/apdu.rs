//! Command APDUs and status words (ISO/IEC 7816-4 §5.1 and §5.6).

use std::fmt;

/// A status word (SW1 SW2).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Status(pub u16);

impl Status {
    /// `9000` normal processing.
    pub const SUCCESS: Status = Status(0x9000);
    /// `6300` verification failed, no counter (XAUTH wrong cryptogram).
    pub const VERIFY_FAILED: Status = Status(0x6300);
    /// `6700` wrong length.
    pub const WRONG_LENGTH: Status = Status(0x6700);
    /// `6884` command chaining not supported.
    pub const CHAINING_NOT_SUPPORTED: Status = Status(0x6884);
    /// `6982` security status not satisfied.
    pub const SECURITY_NOT_SATISFIED: Status = Status(0x6982);
    /// `6983` authentication method blocked.
    pub const AUTH_BLOCKED: Status = Status(0x6983);
    /// `6985` conditions of use not satisfied (also: "press the button").
    pub const CONDITIONS_NOT_SATISFIED: Status = Status(0x6985);
    /// `6A80` incorrect data field.
    pub const WRONG_DATA: Status = Status(0x6A80);
    /// `6A82` file or application not found.
    pub const NOT_FOUND: Status = Status(0x6A82);
    /// `6A84` not enough memory.
    pub const NO_SPACE: Status = Status(0x6A84);
    /// `6A86` incorrect P1/P2.
    pub const WRONG_P1P2: Status = Status(0x6A86);
    /// `6A88` referenced data not found.
    pub const REF_NOT_FOUND: Status = Status(0x6A88);
    /// `6D00` instruction not supported.
    pub const INS_NOT_SUPPORTED: Status = Status(0x6D00);
    /// `6E00` class not supported.
    pub const CLA_NOT_SUPPORTED: Status = Status(0x6E00);
    /// `6F00` no precise diagnosis.
    pub const UNKNOWN: Status = Status(0x6F00);

    /// `63CX`: verification failed, X tries left (X capped at 15).
    pub fn tries_left(n: u8) -> Status {
        Status(0x63C0 | u16::from(n.min(15)))
    }

    /// `61XX`: XX more bytes available with GET RESPONSE (00 = 256 or more).
    pub fn more_data(n: usize) -> Status {
        Status(0x6100 | if n >= 256 { 0 } else { n as u16 })
    }

    /// SW1 SW2 bytes.
    pub fn to_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }
}

impl fmt::Debug for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SW {:04X}", self.0)
    }
}

/// A parsed command APDU (short or extended length, ISO 7816-4 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Class byte.
    pub cla: u8,
    /// Instruction byte.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Command data (empty when Lc is absent).
    pub data: Vec<u8>,
    /// Ne, the maximum response length expected (`None` when Le is absent;
    /// Le = 00 means 256, or 65536 in extended form).
    pub le: Option<usize>,
}

impl Command {
    /// Parses the four APDU cases in short or extended form.
    pub fn parse(bytes: &[u8]) -> Result<Command, Status> {
        let [cla, ins, p1, p2, body @ ..] = bytes else {
            return Err(Status::WRONG_LENGTH);
        };
        let (data, le) = match body {
            [] => (vec![], None),
            [le] => (vec![], Some(short_ne(*le))),
            // Extended: 00 then two length bytes.
            [0, hi, lo, rest @ ..] if !rest.is_empty() || body.len() == 3 => {
                let n = usize::from(u16::from_be_bytes([*hi, *lo]));
                if rest.is_empty() {
                    (vec![], Some(if n == 0 { 65536 } else { n }))
                } else if rest.len() == n {
                    (rest.to_vec(), None)
                } else if rest.len() == n + 2 {
                    let le = usize::from(u16::from_be_bytes([rest[n], rest[n + 1]]));
                    (rest[..n].to_vec(), Some(if le == 0 { 65536 } else { le }))
                } else {
                    return Err(Status::WRONG_LENGTH);
                }
            }
            [lc, rest @ ..] => {
                let n = usize::from(*lc);
                if rest.len() == n {
                    (rest.to_vec(), None)
                } else if rest.len() == n + 1 {
                    (rest[..n].to_vec(), Some(short_ne(rest[n])))
                } else {
                    return Err(Status::WRONG_LENGTH);
                }
            }
        };
        Ok(Command {
            cla: *cla,
            ins: *ins,
            p1: *p1,
            p2: *p2,
            data,
            le,
        })
    }

    /// Command chaining bit (CLA b5, ISO 7816-4 §5.1.1.1).
    pub fn is_chained(&self) -> bool {
        self.cla & 0x10 != 0
    }
}

fn short_ne(le: u8) -> usize {
    if le == 0 {
        256
    } else {
        usize::from(le)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).expect("hex")
    }

    #[test]
    fn parses_the_four_cases() {
        let c = Command::parse(&h("00380000")).expect("case 1");
        assert_eq!((c.ins, c.data.len(), c.le), (0x38, 0, None));
        let c = Command::parse(&h("0084000000")).expect("case 2");
        assert_eq!(c.le, Some(256));
        let c = Command::parse(&h("00200000083030303030303030")).expect("case 3");
        assert_eq!(c.data, b"00000000");
        assert_eq!(c.le, None);
        let c = Command::parse(&h("00A4040007A000000079100000")).expect("case 4");
        assert_eq!(c.data, h("A0000000791000"));
        assert_eq!(c.le, Some(256));
    }

    #[test]
    fn parses_extended_forms() {
        let c = Command::parse(&h("00CB3FFF 000005 5C03FFFF7F 0000")).expect("ext case 4");
        assert_eq!(c.data, h("5C03FFFF7F"));
        assert_eq!(c.le, Some(65536));
        let c = Command::parse(&h("80100000 000001 04")).expect("ext case 3");
        assert_eq!(c.data, vec![4]);
    }

    #[test]
    fn refuses_bad_lengths() {
        assert_eq!(Command::parse(&h("0020")), Err(Status::WRONG_LENGTH));
        assert_eq!(
            Command::parse(&h("00200000 05 3030")),
            Err(Status::WRONG_LENGTH)
        );
        for n in 0..300 {
            let mut v = vec![0u8, 1, 2, 3];
            v.extend(std::iter::repeat_n((n % 251) as u8, n));
            let _ = Command::parse(&v); // never panics
        }
    }

    #[test]
    fn status_helpers() {
        assert_eq!(Status::tries_left(3), Status(0x63C3));
        assert_eq!(Status::more_data(300), Status(0x6100));
        assert_eq!(Status::more_data(0x2A), Status(0x612A));
        assert_eq!(Status::SUCCESS.to_bytes(), [0x90, 0x00]);
    }
}
