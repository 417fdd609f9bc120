//! **Inferred layouts.** HID publishes only the first fields of the OATH
//! configuration (crescendo-apdu.md §5.2: an 8-byte counter, mode, algorithm;
//! "the rest of the table lost"). Everything else here is decoded from HID's
//! two samples (the SELECT `4A` object, §2.4, and the HOTP PUT CONFIGURATION,
//! §5.2/§5.7) and is kept in this one file so it can be corrected in one place.

/// The slot's current configuration, from the SELECT answer's `4A` object
/// (23 bytes in HID's samples). Offsets follow crescendo-apdu.md §2.4's table
/// (inferred; only digits = 06 and time step = 1Eh line up in both samples).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotState {
    /// Bytes 0–7: the moving counter (inferred).
    pub counter: u64,
    /// Byte 10: OATH mode (inferred; `00` in both default-state samples).
    pub mode: u8,
    /// Byte 11: HMAC algorithm (inferred; `00`).
    pub algorithm: u8,
    /// Byte 12: code digits (inferred; `06`).
    pub digits: u8,
    /// Byte 13: truncation (inferred; `00` = dynamic).
    pub truncation: u8,
    /// Byte 15: TOTP time step in seconds (inferred; `1E` = 30).
    pub time_step: u8,
    /// The whole object, undecoded bytes included (8–9, 14, 16–22).
    pub raw: Vec<u8>,
}

impl SlotState {
    /// Decodes a `4A` value; `None` if shorter than the 16 bytes decoded here.
    pub fn decode(v: &[u8]) -> Option<SlotState> {
        let counter = u64::from_be_bytes(v.get(0..8)?.try_into().ok()?);
        let byte = |i: usize| v.get(i).copied();
        Some(SlotState {
            counter,
            mode: byte(10)?,
            algorithm: byte(11)?,
            digits: byte(12)?,
            truncation: byte(13)?,
            time_step: byte(15)?,
            raw: v.to_vec(),
        })
    }
}

/// OATH mode `00` = HOTP (HID's HOTP sample, §5.2; inferred). TOTP and OCRA
/// codes are not published.
pub const MODE_HOTP: u8 = 0x00;
/// Algorithm `00` = HMAC-SHA1 (HID's sample; inferred). SHA-256/512 codes are
/// not published.
pub const ALGORITHM_SHA1: u8 = 0x00;
/// Truncation `00` = dynamic (HID's sample; inferred).
pub const TRUNCATION_DYNAMIC: u8 = 0x00;
/// Config byte 12: `10h` in HID's sample and in the `4A` object; meaning unknown.
const BYTE_12: u8 = 0x10;
/// Fixed part of the configuration before the name (25 bytes, inferred from
/// HID's sample: config length 22h = 25 + 9-byte "OATH HOTP").
const FIXED_LEN: usize = 25;

/// The PUT CONFIGURATION value, laid out as HID's HOTP sample (§5.2):
/// counter(8) | mode | algo | digits | truncation | 10h | time step | 00×11 |
/// name. Fields past the counter are inferred; use raw bytes with
/// [`put_config`](super::CrescendoOathSession::put_config) for anything else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OathConfig {
    /// Counter (documented: 8 bytes).
    pub counter: u64,
    /// Mode (documented position, inferred values).
    pub mode: u8,
    /// Algorithm (documented position, inferred values).
    pub algorithm: u8,
    /// Digits (inferred).
    pub digits: u8,
    /// Truncation (inferred).
    pub truncation: u8,
    /// Time step in seconds (inferred position: byte 13; 0 for HOTP).
    pub time_step: u8,
    /// Friendly name, the variable tail (inferred).
    pub name: Vec<u8>,
}

impl OathConfig {
    /// An HOTP/SHA-1/dynamic-truncation configuration, as HID's sample.
    pub fn hotp(counter: u64, digits: u8, name: &str) -> OathConfig {
        OathConfig {
            counter,
            mode: MODE_HOTP,
            algorithm: ALGORITHM_SHA1,
            digits,
            truncation: TRUNCATION_DYNAMIC,
            time_step: 0,
            name: name.as_bytes().to_vec(),
        }
    }

    /// The configuration bytes (without the PUT framing).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(FIXED_LEN + self.name.len());
        v.extend_from_slice(&self.counter.to_be_bytes());
        v.extend_from_slice(&[
            self.mode,
            self.algorithm,
            self.digits,
            self.truncation,
            BYTE_12,
            self.time_step,
        ]);
        v.resize(FIXED_LEN, 0);
        v.extend_from_slice(&self.name);
        v
    }
}
