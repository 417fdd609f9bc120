//! **Inferred and emulator-defined layouts.** HID publishes only the first
//! fields of the OATH configuration (crescendo-apdu.md §5.2: an 8-byte
//! counter, mode, algorithm; "the rest of the table lost"). The positions of
//! digits, truncation, the `10h` byte and the time step are decoded from HID's
//! two samples (the SELECT `4A` object, §2.4, and the HOTP PUT CONFIGURATION,
//! §5.2/§5.7). The codes HID never published (TOTP/OCRA mode, SHA-256/512,
//! time unit, the contact/contactless access conditions of Crescendo
//! Manager's "Access Control Configuration" §5.1, the OCRA suite) follow the
//! emulator-defined table in docs/VIRTUAL_TOKEN.md. All of it is in this one
//! file so it can be corrected in one place when HID's table turns up.
//!
//! Configuration bytes: counter(8) | mode | algorithm | digits | truncation |
//! 10h | time step | unit | RFU(5) | access contact | access contactless |
//! suite length | RFU(2) | OCRA suite | friendly name.

/// The slot's current configuration, from the SELECT answer's `4A` object
/// (23 bytes in HID's samples): the counter, two RFU bytes, then
/// configuration bytes 8–20 (the "+2" alignment of crescendo-apdu.md §2.4).
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
    /// Byte 15: TOTP time step in units (inferred; `1E` = 30).
    pub time_step: u8,
    /// Byte 16: time-step unit (emulator-defined: 00 s, 01 min, 02 h).
    pub time_unit: u8,
    /// Byte 22: access condition over contact (emulator-defined; `06`).
    pub contact_access: Option<u8>,
    /// The whole object, undecoded bytes included.
    pub raw: Vec<u8>,
}

/// HID's factory `4A` object (crescendo-apdu.md §2.4, both samples).
pub const FACTORY_OBJECT: [u8; 23] = [
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x06, 0x00, 0x10, 0x1E, 0, 0, 0, 0, 0, 0, 0x06,
];

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
            time_unit: byte(16).unwrap_or(0),
            contact_access: byte(22),
            raw: v.to_vec(),
        })
    }

    /// The state a slot reports after `config` was written (the `4A` layout:
    /// counter, two RFU bytes, configuration bytes 8–20).
    pub fn from_config(config: &OathConfig) -> SlotState {
        let bytes = config.to_bytes();
        let mut object = config.counter.to_be_bytes().to_vec();
        object.extend_from_slice(&[0, 0]);
        object.extend(bytes.iter().skip(8).take(13));
        SlotState::decode(&object).unwrap_or(SlotState {
            counter: config.counter,
            mode: config.mode,
            algorithm: config.algorithm,
            digits: config.digits,
            truncation: config.truncation,
            time_step: config.time_step,
            time_unit: config.time_unit,
            contact_access: Some(config.contact),
            raw: object,
        })
    }

    /// The slot shows HID's factory object: never personalised, cleared, or
    /// personalised by another tool with exactly the factory settings.
    pub fn is_factory(&self) -> bool {
        self.raw == FACTORY_OBJECT
    }

    /// TOTP period in seconds (0 = none).
    pub fn period_seconds(&self) -> u32 {
        let unit = match self.time_unit {
            UNIT_MINUTES => 60,
            UNIT_HOURS => 3600,
            _ => 1,
        };
        u32::from(self.time_step) * unit
    }
}

/// OATH mode `00` = HOTP (HID's HOTP sample, §5.2; inferred); also TOTP when
/// the time step is not 0 (emulator-defined).
pub const MODE_HOTP: u8 = 0x00;
/// Mode `01`: TOTP only (emulator-defined).
pub const MODE_TOTP: u8 = 0x01;
/// Mode `02`: OCRA with the suite in the configuration (emulator-defined).
pub const MODE_OCRA: u8 = 0x02;
/// Algorithm `00` = HMAC-SHA1 (HID's sample; inferred).
pub const ALGORITHM_SHA1: u8 = 0x00;
/// Algorithm `01` = HMAC-SHA256 (emulator-defined).
pub const ALGORITHM_SHA256: u8 = 0x01;
/// Algorithm `02` = HMAC-SHA512 (emulator-defined).
pub const ALGORITHM_SHA512: u8 = 0x02;
/// Truncation `00` = dynamic (HID's sample; inferred).
pub const TRUNCATION_DYNAMIC: u8 = 0x00;
/// Time unit: seconds (emulator-defined).
pub const UNIT_SECONDS: u8 = 0x00;
/// Time unit: minutes (emulator-defined).
pub const UNIT_MINUTES: u8 = 0x01;
/// Time unit: hours (emulator-defined).
pub const UNIT_HOURS: u8 = 0x02;
/// Access: always (emulator-defined; HOTP still needs the button).
pub const ACCESS_ALWAYS: u8 = 0x00;
/// Access: never (emulator-defined).
pub const ACCESS_NEVER: u8 = 0x01;
/// Access: PIN (emulator-defined).
pub const ACCESS_PIN: u8 = 0x02;
/// Access: PIN and touch, the factory condition (emulator-defined; `06` in
/// HID's `4A` sample).
pub const ACCESS_PIN_TOUCH: u8 = 0x06;
/// Config byte 12: `10h` in HID's sample and in the `4A` object; meaning unknown.
const BYTE_12: u8 = 0x10;
/// Fixed part of the configuration before the suite and name (25 bytes,
/// inferred from HID's sample: config length 22h = 25 + 9-byte "OATH HOTP").
const FIXED_LEN: usize = 25;
/// Longest friendly name the emulator-defined layout takes.
pub const MAX_NAME_LEN: usize = 64;

/// The PUT CONFIGURATION value, laid out as HID's HOTP sample (§5.2) and the
/// emulator-defined table (module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OathConfig {
    /// Counter (documented: 8 bytes).
    pub counter: u64,
    /// Mode (documented position, inferred / emulator-defined values).
    pub mode: u8,
    /// Algorithm (documented position, inferred / emulator-defined values).
    pub algorithm: u8,
    /// Digits (inferred).
    pub digits: u8,
    /// Truncation (inferred).
    pub truncation: u8,
    /// Time step in units (inferred position: byte 13; 0 for HOTP).
    pub time_step: u8,
    /// Time-step unit.
    pub time_unit: u8,
    /// Access over contact.
    pub contact: u8,
    /// Access over contactless.
    pub contactless: u8,
    /// OCRA suite (mode OCRA only).
    pub suite: Vec<u8>,
    /// Friendly name, the variable tail (inferred).
    pub name: Vec<u8>,
}

impl OathConfig {
    /// An HOTP/SHA-1/dynamic-truncation configuration, as HID's sample
    /// (access bytes 00 = always, as the sample's zeros).
    pub fn hotp(counter: u64, digits: u8, name: &str) -> OathConfig {
        OathConfig {
            counter,
            mode: MODE_HOTP,
            algorithm: ALGORITHM_SHA1,
            digits,
            truncation: TRUNCATION_DYNAMIC,
            time_step: 0,
            time_unit: UNIT_SECONDS,
            contact: ACCESS_ALWAYS,
            contactless: ACCESS_ALWAYS,
            suite: vec![],
            name: name.as_bytes().to_vec(),
        }
    }

    /// A TOTP step in the smallest unit that holds it in one byte
    /// (`None`: not representable, e.g. 90 min or 0).
    pub fn time_step_for(seconds: u32) -> Option<(u8, u8)> {
        [(1, UNIT_SECONDS), (60, UNIT_MINUTES), (3600, UNIT_HOURS)]
            .into_iter()
            .find_map(|(unit, code)| {
                (seconds > 0 && seconds.is_multiple_of(unit))
                    .then(|| u8::try_from(seconds / unit).ok())
                    .flatten()
                    .map(|n| (n, code))
            })
    }

    /// The configuration bytes (without the PUT framing).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(FIXED_LEN + self.suite.len() + self.name.len());
        v.extend_from_slice(&self.counter.to_be_bytes());
        v.extend_from_slice(&[
            self.mode,
            self.algorithm,
            self.digits,
            self.truncation,
            BYTE_12,
            self.time_step,
            self.time_unit,
        ]);
        v.resize(20, 0);
        v.extend_from_slice(&[
            self.contact,
            self.contactless,
            u8::try_from(self.suite.len()).unwrap_or(u8::MAX),
        ]);
        v.resize(FIXED_LEN, 0);
        v.extend_from_slice(&self.suite);
        v.extend_from_slice(&self.name);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hid_hotp_sample_is_reproduced() {
        // crescendo-apdu.md §5.7, the config inside 80D80500 27 00 00 23 22 … 00.
        let want =
            hex::decode("000000000000000000000600100000000000000000000000004F41544820484F5450")
                .expect("hex");
        assert_eq!(OathConfig::hotp(0, 6, "OATH HOTP").to_bytes(), want);
    }

    #[test]
    fn factory_object_is_recognised_and_decoded() {
        let s = SlotState::decode(&FACTORY_OBJECT).expect("decodes");
        assert!(s.is_factory());
        assert_eq!((s.digits, s.period_seconds()), (6, 30));
        assert_eq!(s.contact_access, Some(ACCESS_PIN_TOUCH));
        let mut used = FACTORY_OBJECT;
        used[7] = 1;
        assert!(!SlotState::decode(&used).expect("decodes").is_factory());
    }

    #[test]
    fn time_steps_pick_a_unit() {
        assert_eq!(OathConfig::time_step_for(30), Some((30, UNIT_SECONDS)));
        assert_eq!(OathConfig::time_step_for(300), Some((5, UNIT_MINUTES)));
        assert_eq!(OathConfig::time_step_for(7200), Some((120, UNIT_MINUTES)));
        assert_eq!(OathConfig::time_step_for(36000), Some((10, UNIT_HOURS)));
        assert_eq!(OathConfig::time_step_for(0), None);
        assert_eq!(OathConfig::time_step_for(301), None);
    }
}
