//! The OATH slot configuration: **emulator-defined** except where noted.
//!
//! HID publishes only the start of the PUT CONFIGURATION table (8-byte counter,
//! mode, algorithm), one HOTP configuration sample and the SELECT `4A` object of a
//! factory-fresh slot (crescendo-apdu.md §2.4, §5.2, §11 "Not found"). Every code
//! below that is not in those three is defined here, in this one module, so that
//! it can be corrected when HID's table turns up. The layout fits both samples:
//!
//! | Offset | Size | Field | Codes |
//! |---|---|---|---|
//! | 0 | 8 | counter, big-endian (HID-documented) | HOTP and OCRA `C` |
//! | 8 | 1 | mode (sample: 00 = HOTP) | [`Mode`] |
//! | 9 | 1 | HMAC algorithm (sample: 00 = SHA-1) | 00 SHA-1, 01 SHA-256, 02 SHA-512 |
//! | 10 | 1 | digits, binary (sample: 06) | 6, 7, 8, 10 (OCRA: the suite's 4–10) |
//! | 11 | 1 | truncation (sample: 00 = dynamic) | 00 only |
//! | 12 | 1 | the undocumented `10h` byte of both samples | stored and echoed |
//! | 13 | 1 | TOTP time step, count of units (SELECT sample: 1Eh) | 0 = no TOTP |
//! | 14 | 1 | time-step unit | 00 s, 01 min, 02 h |
//! | 15 | 5 | RFU | stored and echoed |
//! | 20 | 1 | access condition over contact (SELECT sample: 06) | [`Access`] |
//! | 21 | 1 | access condition over contactless | [`Access`] |
//! | 22 | 1 | length of the OCRA suite that opens the tail | 0 unless mode is OCRA |
//! | 23 | 2 | RFU | stored and echoed |
//! | 25 | n | OCRA suite (ASCII) then the friendly name, to the end | name ≤ 64 bytes |
//!
//! HID's HOTP sample (`00…00 00 00 06 00 10 00…00 "OATH HOTP"`) decodes to
//! HOTP/SHA-1/6 digits, no time step, access Always on both interfaces.
//!
//! The SELECT `4A` object (23 bytes) is the counter, two RFU zero bytes, then
//! configuration bytes 8–20: with the "+2" alignment of crescendo-apdu.md §2.4 the
//! factory configuration ([`Config::factory`]: HOTP/TOTP, SHA-1, 6 digits, 10h,
//! 30 s, PIN + touch) reproduces HID's sample `0000000000000000 0000 00 00 06 00 10
//! 1E 000000000000 06` byte for byte, and so does a slot personalised for TOTP with
//! those parameters (HID's TOTP usage sequence shows that same object).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::applet::Interface;
use crate::otp::{Algorithm, OcraSuite};

/// Size of the fixed part of a configuration.
pub const FIXED_LEN: usize = 25;
/// Longest friendly name.
pub const MAX_NAME_LEN: usize = 64;
/// Longest OCRA suite string.
pub const MAX_SUITE_LEN: usize = 64;
/// Size of the SELECT `4A` object (crescendo-apdu.md §2.4).
pub const SELECT_OBJECT_LEN: usize = 23;

/// What a slot computes (configuration byte 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    /// `00`: HOTP (the sample's code); also TOTP when the time step is not 0
    /// (RFC 6238 §4: TOTP is HOTP over a time counter). The factory mode.
    HotpTotp,
    /// `01`: TOTP only.
    Totp,
    /// `02`: OCRA with the suite stored in the configuration.
    Ocra,
}

impl Mode {
    fn code(self) -> u8 {
        match self {
            Mode::HotpTotp => 0x00,
            Mode::Totp => 0x01,
            Mode::Ocra => 0x02,
        }
    }

    fn from_code(code: u8) -> Option<Mode> {
        [Mode::HotpTotp, Mode::Totp, Mode::Ocra]
            .into_iter()
            .find(|m| m.code() == code)
    }
}

/// An AUTHENTICATE operation (crescendo-apdu.md §5.3–5.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// HOTP AUTHENTICATE, `80 88 00 00`.
    Hotp,
    /// TOTP AUTHENTICATE, `80 88 11 00`.
    Totp,
    /// OCRA AUTHENTICATE, `80 87 22 00`.
    Ocra,
}

/// An OTP access condition (configuration bytes 20 and 21), one per interface,
/// after Crescendo Manager's choices (crescendo-apdu.md §5.1): bit flags
/// `01` Never, `02` PIN, `04` touch.
///
/// | Code | Crescendo Manager | HOTP | TOTP, OCRA |
/// |---|---|---|---|
/// | `00` | Always | touch | nothing |
/// | `02` | PIN | PIN + touch | PIN |
/// | `04` | (touch only, emulator extension) | touch | touch |
/// | `06` | PIN and Touch (factory) | PIN + touch | PIN + touch |
/// | `01` (with any other bits) | Never | refused (`6982`) | refused (`6982`) |
///
/// HOTP always needs the button: the HOTP page documents the `6985` polling and
/// no access condition, and slot 1's HOTP is the one the button types
/// (crescendo-apdu.md §5.1, §5.3). So "Always" lifts only the PIN for HOTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access(u8);

impl Access {
    /// Always: no PIN, no touch (HOTP: touch).
    pub const ALWAYS: Access = Access(0x00);
    /// Never: generation refused.
    pub const NEVER: Access = Access(0x01);
    /// PIN verified on the ACA.
    pub const PIN: Access = Access(0x02);
    /// Touch (the button), emulator extension.
    pub const TOUCH: Access = Access(0x04);
    /// PIN and touch: the factory condition.
    pub const PIN_AND_TOUCH: Access = Access(0x06);

    fn from_code(code: u8) -> Option<Access> {
        (code & !0x07 == 0).then_some(Access(code))
    }

    /// The byte.
    pub fn code(self) -> u8 {
        self.0
    }

    /// Whether generation is refused outright.
    pub fn is_never(self) -> bool {
        self.0 & 0x01 != 0
    }

    /// Whether the ACA PIN must be verified.
    pub fn needs_pin(self) -> bool {
        self.0 & 0x02 != 0
    }

    /// Whether the button must be pressed (`6985` polling) for `op`.
    pub fn needs_touch(self, op: Operation) -> bool {
        op == Operation::Hotp || self.0 & 0x04 != 0
    }
}

/// Why a configuration was refused (the applet answers `6A80`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Shorter than the fixed part.
    #[error("configuration of {0} bytes is shorter than {FIXED_LEN}")]
    TooShort(usize),
    /// An unknown code in a field.
    #[error("configuration byte {offset} has unknown value {value:02X}")]
    Code {
        /// Offset in the configuration.
        offset: usize,
        /// The value found.
        value: u8,
    },
    /// Mode OCRA without a usable suite, or a suite outside mode OCRA.
    #[error("OCRA suite: {0}")]
    Suite(String),
    /// Name or suite too long.
    #[error("the name or suite is too long")]
    TooLong,
    /// The mode is not allowed on this slot (slot 1 is HOTP only).
    #[error("mode {0:?} is not allowed on this slot")]
    SlotMode(Mode),
    /// TOTP only, without a time step.
    #[error("a TOTP configuration needs a time step")]
    NoTimeStep,
}

/// A slot configuration (layout in the module doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Counter (HOTP, OCRA `C`).
    pub counter: u64,
    /// Mode.
    pub mode: Mode,
    /// HMAC algorithm.
    pub algorithm: Algorithm,
    /// OTP digits.
    pub digits: u8,
    /// The undocumented `10h` byte.
    pub flags: u8,
    /// Time step, count of `time_unit`.
    pub time_step: u8,
    /// Time-step unit in seconds (1, 60 or 3600).
    pub time_unit: u64,
    rfu: [u8; 5],
    /// Access condition over contact.
    pub contact: Access,
    /// Access condition over contactless.
    pub contactless: Access,
    rfu2: [u8; 2],
    /// OCRA suite (mode OCRA only).
    pub suite: Option<OcraSuite>,
    /// Friendly name.
    pub name: Vec<u8>,
}

const ALGORITHMS: [(u8, Algorithm); 3] = [
    (0x00, Algorithm::Sha1),
    (0x01, Algorithm::Sha256),
    (0x02, Algorithm::Sha512),
];
const UNITS: [(u8, u64); 3] = [(0x00, 1), (0x01, 60), (0x02, 3600)];
/// Digit counts of HOTP/TOTP slots (Management Tool: 6/8/10; RFC 4226: 6–8).
const DIGITS: [u8; 4] = [6, 7, 8, 10];

impl Config {
    /// The factory configuration: its `4A` object is HID's SELECT sample.
    pub fn factory() -> Config {
        Config {
            counter: 0,
            mode: Mode::HotpTotp,
            algorithm: Algorithm::Sha1,
            digits: 6,
            flags: 0x10,
            time_step: 30,
            time_unit: 1,
            rfu: [0; 5],
            contact: Access::PIN_AND_TOUCH,
            contactless: Access::PIN_AND_TOUCH,
            rfu2: [0; 2],
            suite: None,
            name: vec![],
        }
    }

    /// Decodes and checks a PUT CONFIGURATION value for slot `slot` (1–3).
    pub fn decode(bytes: &[u8], slot: u8) -> Result<Config, ConfigError> {
        let (fixed, tail) = bytes
            .split_first_chunk::<FIXED_LEN>()
            .ok_or(ConfigError::TooShort(bytes.len()))?;
        let code = |offset: usize| ConfigError::Code {
            offset,
            value: fixed[offset],
        };
        let [c0, c1, c2, c3, c4, c5, c6, c7, mode, alg, digits, trunc, flags, step, unit, r0, r1, r2, r3, r4, contact, contactless, suite_len, r5, r6] =
            *fixed;
        let mode = Mode::from_code(mode).ok_or_else(|| code(8))?;
        let algorithm = lookup(&ALGORITHMS, alg).ok_or_else(|| code(9))?;
        if trunc != 0 {
            return Err(code(11));
        }
        let time_unit = lookup(&UNITS, unit).ok_or_else(|| code(14))?;
        let contact = Access::from_code(contact).ok_or_else(|| code(20))?;
        let contactless = Access::from_code(contactless).ok_or_else(|| code(21))?;
        let suite_len = usize::from(suite_len);
        if suite_len > MAX_SUITE_LEN || suite_len > tail.len() {
            return Err(ConfigError::TooLong);
        }
        let (suite_text, name) = tail.split_at(suite_len);
        if name.len() > MAX_NAME_LEN {
            return Err(ConfigError::TooLong);
        }
        if slot == 1 && mode != Mode::HotpTotp {
            return Err(ConfigError::SlotMode(mode));
        }
        let suite = match mode {
            Mode::Ocra => {
                let text = std::str::from_utf8(suite_text)
                    .map_err(|_| ConfigError::Suite("not ASCII".into()))?;
                let suite =
                    OcraSuite::parse(text).map_err(|e| ConfigError::Suite(e.to_string()))?;
                if suite.algorithm != algorithm || suite.digits != digits || digits == 0 {
                    return Err(ConfigError::Suite(
                        "the suite's hash and digits must match bytes 9 and 10".into(),
                    ));
                }
                Some(suite)
            }
            _ if suite_len != 0 => {
                return Err(ConfigError::Suite("a suite needs mode OCRA".into()));
            }
            Mode::Totp if step == 0 => return Err(ConfigError::NoTimeStep),
            _ if !DIGITS.contains(&digits) => return Err(code(10)),
            _ => None,
        };
        Ok(Config {
            counter: u64::from_be_bytes([c0, c1, c2, c3, c4, c5, c6, c7]),
            mode,
            algorithm,
            digits,
            flags,
            time_step: step,
            time_unit,
            rfu: [r0, r1, r2, r3, r4],
            contact,
            contactless,
            rfu2: [r5, r6],
            suite,
            name: name.to_vec(),
        })
    }

    /// The PUT CONFIGURATION value that [`Config::decode`] reads back.
    pub fn encode(&self) -> Vec<u8> {
        let suite = self.suite.as_ref().map_or("", OcraSuite::as_str).as_bytes();
        let mut v = self.counter.to_be_bytes().to_vec();
        v.extend_from_slice(&self.fixed_tail());
        v.extend_from_slice(suite);
        v.extend_from_slice(&self.name);
        v
    }

    /// Configuration bytes 8–24.
    fn fixed_tail(&self) -> [u8; FIXED_LEN - 8] {
        let suite_len = self.suite.as_ref().map_or(0, |s| s.as_str().len());
        let [r0, r1, r2, r3, r4] = self.rfu;
        let [r5, r6] = self.rfu2;
        [
            self.mode.code(),
            code_of(&ALGORITHMS, self.algorithm),
            self.digits,
            0x00,
            self.flags,
            self.time_step,
            code_of(&UNITS, self.time_unit),
            r0,
            r1,
            r2,
            r3,
            r4,
            self.contact.code(),
            self.contactless.code(),
            suite_len.min(MAX_SUITE_LEN) as u8,
            r5,
            r6,
        ]
    }

    /// The SELECT `4A` object: counter, `00 00`, configuration bytes 8–20.
    pub fn select_object(&self) -> [u8; SELECT_OBJECT_LEN] {
        let mut out = [0u8; SELECT_OBJECT_LEN];
        let tail = self.fixed_tail();
        let parts = self
            .counter
            .to_be_bytes()
            .into_iter()
            .chain([0, 0])
            .chain(tail.into_iter().take(SELECT_OBJECT_LEN - 10));
        for (o, b) in out.iter_mut().zip(parts) {
            *o = b;
        }
        out
    }

    /// TOTP time step in seconds (0: no TOTP).
    pub fn time_step_seconds(&self) -> u64 {
        u64::from(self.time_step) * self.time_unit
    }

    /// The access condition for commands arriving on `interface`.
    pub fn access(&self, interface: Interface) -> Access {
        match interface {
            Interface::Contact => self.contact,
            Interface::Contactless => self.contactless,
        }
    }

    /// Whether the configuration answers `op`.
    pub fn allows(&self, op: Operation) -> bool {
        match (self.mode, op) {
            (Mode::HotpTotp, Operation::Hotp) | (Mode::Ocra, Operation::Ocra) => true,
            (Mode::HotpTotp | Mode::Totp, Operation::Totp) => self.time_step != 0,
            _ => false,
        }
    }
}

fn lookup<T: Copy>(table: &[(u8, T)], code: u8) -> Option<T> {
    table.iter().find(|(c, _)| *c == code).map(|(_, v)| *v)
}

fn code_of<T: PartialEq>(table: &[(u8, T)], value: T) -> u8 {
    table
        .iter()
        .find(|(_, v)| *v == value)
        .map_or(0, |(c, _)| *c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).expect("hex")
    }

    /// HID's HOTP sample configuration (crescendo-apdu.md §5.2, §5.7).
    const HID_HOTP: &str =
        "0000000000000000 00 00 06 00 10 000000000000000000000000 4F41544820484F5450";

    #[test]
    fn hid_hotp_sample_decodes_and_round_trips() {
        let bytes = h(HID_HOTP);
        assert_eq!(bytes.len(), 0x22);
        let c = Config::decode(&bytes, 1).expect("decode");
        assert_eq!(c.mode, Mode::HotpTotp);
        assert_eq!(c.algorithm, Algorithm::Sha1);
        assert_eq!(c.digits, 6);
        assert_eq!(c.flags, 0x10);
        assert_eq!(c.time_step_seconds(), 0);
        assert_eq!(c.contact, Access::ALWAYS);
        assert_eq!(c.name, b"OATH HOTP");
        assert!(c.allows(Operation::Hotp));
        assert!(!c.allows(Operation::Totp));
        assert_eq!(c.encode(), bytes);
    }

    #[test]
    fn factory_object_is_hids_select_sample() {
        // crescendo-apdu.md §2.4, the 4A value of both samples.
        assert_eq!(
            Config::factory().select_object().to_vec(),
            h("0000000000000000 0000 00 00 06 00 10 1E 000000000000 06")
        );
    }

    #[test]
    fn refuses_unknown_codes() {
        let base = h(HID_HOTP);
        for (offset, value) in [
            (8, 0x03),
            (9, 0x03),
            (10, 0x05),
            (11, 0x01),
            (14, 0x03),
            (20, 0x08),
        ] {
            let mut bad = base.clone();
            bad[offset] = value;
            assert!(
                Config::decode(&bad, 2).is_err(),
                "byte {offset} = {value:02X}"
            );
        }
        assert_eq!(
            Config::decode(&base[..24], 2),
            Err(ConfigError::TooShort(24))
        );
        let mut totp = base.clone();
        totp[8] = 0x01;
        assert_eq!(
            Config::decode(&totp, 1),
            Err(ConfigError::SlotMode(Mode::Totp))
        );
        assert_eq!(Config::decode(&totp, 2), Err(ConfigError::NoTimeStep));
    }

    #[test]
    fn ocra_suite_in_the_tail() {
        let suite = b"OCRA-1:HOTP-SHA1-6:QN08";
        let mut c = h("0000000000000000 02 00 06 00 10 00 00 0000000000 06 06");
        c.push(suite.len() as u8);
        c.extend_from_slice(&[0, 0]);
        c.extend_from_slice(suite);
        c.extend_from_slice(b"OATH OCRA");
        let cfg = Config::decode(&c, 3).expect("decode");
        assert_eq!(
            cfg.suite.as_ref().map(OcraSuite::as_str),
            Some("OCRA-1:HOTP-SHA1-6:QN08")
        );
        assert_eq!(cfg.name, b"OATH OCRA");
        assert_eq!(cfg.encode(), c);
        assert!(Config::decode(&c, 1).is_err(), "slot 1 is HOTP only");
        let mut wrong_digits = c.clone();
        wrong_digits[10] = 8;
        assert!(Config::decode(&wrong_digits, 3).is_err());
    }
}
