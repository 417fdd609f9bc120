//! The OTP algorithms, to check a slot after writing it (ask the token for a
//! code, compute ours, compare): HOTP (RFC 4226 §5), TOTP (RFC 6238 §4) and
//! OCRA (RFC 6287 §5). Written from the RFC text; tested on their appendices.

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use thiserror::Error;

use super::account::Algorithm;
use super::ocra::{ChallengeFormat, OcraSuite};

/// Why a code cannot be computed; each names the input at fault.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum ComputeError {
    /// `digits`: outside 1–10 (0 only for OCRA: no truncation).
    #[error("digits: {digits} is not 1 to 10")]
    Digits {
        /// The value given.
        digits: u8,
    },
    /// `period`: zero.
    #[error("period: must be at least 1 second")]
    Period,
    /// `time`: before T0.
    #[error("time: before T0")]
    Time,
    /// An OCRA input the suite requires is missing or malformed.
    #[error("{input}: {reason}")]
    Ocra {
        /// Which input (counter, question, pin, session, timestamp).
        input: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
}

/// HMAC(key, msg) with `alg`.
pub fn hmac(alg: Algorithm, key: &[u8], msg: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length (RFC 2104 §2), so `new_from_slice` cannot fail;
    // an empty vector would only come from a broken hmac crate.
    fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], msg: &[u8]) -> Vec<u8> {
        match <M as Mac>::new_from_slice(key) {
            Ok(mut m) => {
                m.update(msg);
                m.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        }
    }
    match alg {
        Algorithm::Sha1 => run::<Hmac<Sha1>>(key, msg),
        Algorithm::Sha256 => run::<Hmac<Sha256>>(key, msg),
        Algorithm::Sha512 => run::<Hmac<Sha512>>(key, msg),
    }
}

/// Plain hash with `alg` (OCRA's PIN hash).
pub fn hash(alg: Algorithm, data: &[u8]) -> Vec<u8> {
    match alg {
        Algorithm::Sha1 => Sha1::digest(data).to_vec(),
        Algorithm::Sha256 => Sha256::digest(data).to_vec(),
        Algorithm::Sha512 => Sha512::digest(data).to_vec(),
    }
}

/// RFC 4226 §5.3 dynamic truncation: the 31-bit value at the offset given by
/// the low nibble of the last byte.
pub fn dynamic_truncate(mac: &[u8]) -> u32 {
    let offset = mac.last().map_or(0, |b| usize::from(b & 0x0f));
    match mac.get(offset..offset + 4) {
        Some(&[a, b, c, d]) => u32::from_be_bytes([a & 0x7f, b, c, d]),
        _ => 0,
    }
}

/// The truncated value as a zero-padded decimal code of `digits` (1–10).
fn code(mac: &[u8], digits: u8) -> Result<String, ComputeError> {
    if !(1..=10).contains(&digits) {
        return Err(ComputeError::Digits { digits });
    }
    let value = u64::from(dynamic_truncate(mac)) % 10u64.pow(u32::from(digits));
    Ok(format!("{value:0width$}", width = usize::from(digits)))
}

/// HOTP (RFC 4226 §5.3): the code for `counter`.
pub fn hotp(key: &[u8], alg: Algorithm, counter: u64, digits: u8) -> Result<String, ComputeError> {
    code(&hmac(alg, key, &counter.to_be_bytes()), digits)
}

/// TOTP (RFC 6238 §4.2) at `unix_time` with step `period` and T0 = 0.
pub fn totp(
    key: &[u8],
    alg: Algorithm,
    unix_time: u64,
    period: u32,
    digits: u8,
) -> Result<String, ComputeError> {
    if period == 0 {
        return Err(ComputeError::Period);
    }
    hotp(key, alg, unix_time / u64::from(period), digits)
}

/// The PIN part of an OCRA message: the PIN itself (hashed here with the
/// suite's P hash) or its hash already computed.
#[derive(Debug, Clone, Copy)]
pub enum OcraPin<'a> {
    /// The PIN; hashed with the suite's `P` algorithm.
    Plain(&'a str),
    /// The PIN hash (must be the `P` digest length).
    Hashed(&'a [u8]),
}

/// The inputs of one OCRA computation; those the suite names are required.
#[derive(Debug, Clone, Copy, Default)]
pub struct OcraInputs<'a> {
    /// `C`.
    pub counter: Option<u64>,
    /// `Q`, as typed (digits, characters or hex digits, per the suite).
    pub question: &'a str,
    /// `P`.
    pub pin: Option<OcraPin<'a>>,
    /// `S`: session bytes, at most the suite's length (left-padded with zeros).
    pub session: Option<&'a [u8]>,
    /// `T`: the number of time steps (see [`OcraSuite::time_steps`]).
    pub timestamp: Option<u64>,
}

fn ocra_err<T>(input: &'static str, reason: &'static str) -> Result<T, ComputeError> {
    Err(ComputeError::Ocra { input, reason })
}

/// A decimal string (up to 64 digits) as an uppercase hex string, no leading zeros.
fn decimal_to_hex(dec: &str) -> String {
    // Big-endian base-256 digits, built by repeated ×10 + d.
    let mut bytes: Vec<u8> = Vec::new();
    for d in dec.bytes().map(|b| b - b'0') {
        let mut carry = u32::from(d);
        for b in bytes.iter_mut().rev() {
            let v = u32::from(*b) * 10 + carry;
            *b = (v & 0xff) as u8;
            carry = v >> 8;
        }
        while carry > 0 {
            bytes.insert(0, (carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
    match hex.trim_start_matches('0') {
        "" => "0".to_owned(),
        h => h.to_owned(),
    }
}

/// Hex digits (even or odd count, already right-padded to 256) as bytes.
fn hex_bytes(hex: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = hex
        .chars()
        .map(|c| c.to_digit(16).and_then(|d| u8::try_from(d).ok()))
        .collect::<Option<_>>()?;
    Some(
        digits
            .chunks(2)
            .map(|p| (p[0] << 4) | p.get(1).copied().unwrap_or(0))
            .collect(),
    )
}

/// Q as the 128-byte message field (§5.1): N = the number in hex, H = the hex
/// digits, A = the bytes; each right-padded with zeros. The suite's `xx` is
/// not enforced here: Appendix C.2 itself sends 16-character questions under
/// `QA08` (use [`OcraSuite::check_question`] for what a user types).
fn question_field(suite: &OcraSuite, q: &str) -> Result<Vec<u8>, ComputeError> {
    let bad = ComputeError::Ocra {
        input: "question",
        reason: "characters outside the suite's format",
    };
    if q.is_empty() {
        return ocra_err("question", "empty");
    }
    let mut field = match suite.challenge {
        ChallengeFormat::Numeric => {
            if !q.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad);
            }
            if q.len() > 300 {
                return ocra_err("question", "does not fit the 128-byte field");
            }
            hex_bytes(&decimal_to_hex(q)).ok_or(bad)?
        }
        ChallengeFormat::Hex => hex_bytes(q).ok_or(bad)?,
        ChallengeFormat::Alphanumeric if q.is_ascii() => q.as_bytes().to_vec(),
        ChallengeFormat::Alphanumeric => return Err(bad),
    };
    if field.len() > 128 {
        return ocra_err("question", "does not fit the 128-byte field");
    }
    field.resize(128, 0);
    Ok(field)
}

/// OCRA (RFC 6287 §5.2): the response for `inputs` under `suite`.
/// With truncation 0 the response is the full HMAC in hex.
pub fn ocra(
    suite: &OcraSuite,
    key: &[u8],
    inputs: &OcraInputs<'_>,
) -> Result<String, ComputeError> {
    let mut msg = suite.as_str().as_bytes().to_vec();
    msg.push(0);
    if suite.counter {
        let Some(c) = inputs.counter else {
            return ocra_err("counter", "required by the suite (C)");
        };
        msg.extend_from_slice(&c.to_be_bytes());
    }
    msg.extend_from_slice(&question_field(suite, inputs.question)?);
    if let Some(alg) = suite.pin {
        match inputs.pin {
            None => return ocra_err("pin", "required by the suite (P)"),
            Some(OcraPin::Plain(p)) => msg.extend_from_slice(&hash(alg, p.as_bytes())),
            Some(OcraPin::Hashed(h)) if h.len() == alg.digest_len() => msg.extend_from_slice(h),
            Some(OcraPin::Hashed(_)) => return ocra_err("pin", "hash length differs from P"),
        }
    }
    if let Some(len) = suite.session {
        let Some(s) = inputs.session else {
            return ocra_err("session", "required by the suite (S)");
        };
        let len = usize::from(len);
        if s.len() > len {
            return ocra_err("session", "longer than the suite's S length");
        }
        msg.resize(msg.len() + len - s.len(), 0);
        msg.extend_from_slice(s);
    }
    if suite.timestep.is_some() {
        let Some(t) = inputs.timestamp else {
            return ocra_err("timestamp", "required by the suite (T)");
        };
        msg.extend_from_slice(&t.to_be_bytes());
    }
    let mac = hmac(suite.hash, key, &msg);
    if suite.digits == 0 {
        return Ok(mac.iter().map(|b| format!("{b:02x}")).collect());
    }
    code(&mac, suite.digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    const K20: &[u8] = b"12345678901234567890";
    const K32: &[u8] = b"12345678901234567890123456789012";
    const K64: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

    fn suite(s: &str) -> OcraSuite {
        match OcraSuite::parse(s) {
            Ok(s) => s,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    fn run(s: &OcraSuite, key: &[u8], inputs: OcraInputs<'_>) -> String {
        match ocra(s, key, &inputs) {
            Ok(c) => c,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    /// RFC 4226 Appendix D.
    #[test]
    fn rfc4226_appendix_d() {
        let want = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        let truncated = [
            0x4c93cf18u32,
            0x41397eea,
            0x082fef30,
            0x66ef7655,
            0x61c5938a,
            0x33c083d4,
            0x7256c032,
            0x04e5b397,
            0x2823443f,
            0x2679dc69,
        ];
        for (c, (w, t)) in want.iter().zip(truncated).enumerate() {
            let mac = hmac(Algorithm::Sha1, K20, &(c as u64).to_be_bytes());
            assert_eq!(dynamic_truncate(&mac), t, "count {c}");
            assert_eq!(
                hotp(K20, Algorithm::Sha1, c as u64, 6).as_deref(),
                Ok(*w),
                "count {c}"
            );
        }
    }

    /// RFC 6238 Appendix B.
    #[test]
    fn rfc6238_appendix_b() {
        let rows: [(u64, [&str; 3]); 6] = [
            (59, ["94287082", "46119246", "90693936"]),
            (1111111109, ["07081804", "68084774", "25091201"]),
            (1111111111, ["14050471", "67062674", "99943326"]),
            (1234567890, ["89005924", "91819424", "93441116"]),
            (2000000000, ["69279037", "90698825", "38618901"]),
            (20000000000, ["65353130", "77737706", "47863826"]),
        ];
        let algs = [
            (Algorithm::Sha1, K20),
            (Algorithm::Sha256, K32),
            (Algorithm::Sha512, K64),
        ];
        for (t, codes) in rows {
            for ((alg, key), want) in algs.iter().zip(codes) {
                assert_eq!(
                    totp(key, *alg, t, 30, 8).as_deref(),
                    Ok(want),
                    "{t} {alg:?}"
                );
            }
        }
        assert_eq!(
            totp(K20, Algorithm::Sha1, 1, 0, 6),
            Err(ComputeError::Period)
        );
        assert_eq!(
            hotp(K20, Algorithm::Sha1, 0, 11),
            Err(ComputeError::Digits { digits: 11 })
        );
        assert_eq!(hotp(K20, Algorithm::Sha1, 0, 10).map(|c| c.len()), Ok(10));
    }

    /// RFC 6287 Appendix C.1, one-way challenge-response.
    #[test]
    fn rfc6287_c1_one_way() {
        let s = suite("OCRA-1:HOTP-SHA1-6:QN08");
        let want = [
            "237653", "243178", "653583", "740991", "608993", "388898", "816933", "224598",
            "750600", "294470",
        ];
        for (i, w) in want.iter().enumerate() {
            let q = i.to_string().repeat(8);
            assert_eq!(
                run(
                    &s,
                    K20,
                    OcraInputs {
                        question: &q,
                        ..Default::default()
                    }
                ),
                *w
            );
        }

        let s = suite("OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1");
        let want = [
            "65347737", "86775851", "78192410", "71565254", "10104329", "65983500", "70069104",
            "91771096", "75011558", "08522129",
        ];
        for (c, w) in want.iter().enumerate() {
            let inputs = OcraInputs {
                counter: Some(c as u64),
                question: "12345678",
                pin: Some(OcraPin::Plain("1234")),
                ..Default::default()
            };
            assert_eq!(run(&s, K32, inputs), *w, "C={c}");
        }

        let s = suite("OCRA-1:HOTP-SHA256-8:QN08-PSHA1");
        let pin_hash = hash(Algorithm::Sha1, b"1234");
        assert_eq!(
            pin_hash
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
            "7110eda4d09e062aa5e4a390b0a572ac0d2c0220"
        );
        for (i, w) in ["83238735", "01501458", "17957585", "86776967", "86807031"]
            .iter()
            .enumerate()
        {
            let q = i.to_string().repeat(8);
            let inputs = OcraInputs {
                question: &q,
                pin: Some(OcraPin::Hashed(&pin_hash)),
                ..Default::default()
            };
            assert_eq!(run(&s, K32, inputs), *w);
        }

        let s = suite("OCRA-1:HOTP-SHA512-8:C-QN08");
        let want = [
            "07016083", "63947962", "70123924", "25341727", "33203315", "34205738", "44343969",
            "51946085", "20403879", "31409299",
        ];
        for (i, w) in want.iter().enumerate() {
            let q = i.to_string().repeat(8);
            let inputs = OcraInputs {
                counter: Some(i as u64),
                question: &q,
                ..Default::default()
            };
            assert_eq!(run(&s, K64, inputs), *w);
        }

        let s = suite("OCRA-1:HOTP-SHA512-8:QN08-T1M");
        for (i, w) in ["95209754", "55907591", "22048402", "24218844", "36209546"]
            .iter()
            .enumerate()
        {
            let q = i.to_string().repeat(8);
            let inputs = OcraInputs {
                question: &q,
                timestamp: Some(0x132d0b6),
                ..Default::default()
            };
            assert_eq!(run(&s, K64, inputs), *w);
        }
    }

    /// RFC 6287 Appendix C.2 (mutual) and C.3 (signature).
    #[test]
    fn rfc6287_c2_c3_mutual_and_signature() {
        let s = suite("OCRA-1:HOTP-SHA256-8:QA08");
        let server = ["28247970", "01984843", "65387857", "03351211", "83412541"];
        let client = ["15510767", "90175646", "33777207", "95285278", "28934924"];
        let sig = ["53095496", "04110475", "31331128", "76028668", "46554205"];
        for i in 0..5 {
            let q = format!("CLI2222{i}SRV1111{i}");
            let a = OcraInputs {
                question: &q,
                ..Default::default()
            };
            assert_eq!(run(&s, K32, a), server[i]);
            let q = format!("SRV1111{i}CLI2222{i}");
            let a = OcraInputs {
                question: &q,
                ..Default::default()
            };
            assert_eq!(run(&s, K32, a), client[i]);
            let q = format!("SIG1{i}000");
            let a = OcraInputs {
                question: &q,
                ..Default::default()
            };
            assert_eq!(run(&s, K32, a), sig[i]);
        }
    }

    #[test]
    fn ocra_inputs_are_checked_by_name() {
        let s = suite("OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1-S064-T1M");
        let mut i = OcraInputs {
            question: "123",
            ..Default::default()
        };
        let input_of = |i: &OcraInputs<'_>| match ocra(&s, K32, i) {
            Err(ComputeError::Ocra { input, .. }) => input,
            other => panic!("{other:?}"),
        };
        assert_eq!(input_of(&i), "counter");
        i.counter = Some(1);
        assert_eq!(input_of(&i), "pin");
        i.pin = Some(OcraPin::Hashed(b"short"));
        assert_eq!(input_of(&i), "pin");
        i.pin = Some(OcraPin::Plain("1234"));
        assert_eq!(input_of(&i), "session");
        i.session = Some(&[1; 65]);
        assert_eq!(input_of(&i), "session");
        i.session = Some(b"abc");
        assert_eq!(input_of(&i), "timestamp");
        i.timestamp = Some(1);
        assert!(ocra(&s, K32, &i).is_ok());
        i.question = "12a";
        assert_eq!(input_of(&i), "question");
        i.question = "";
        assert_eq!(input_of(&i), "question");
        let long = "9".repeat(301);
        i.question = &long;
        assert_eq!(input_of(&i), "question");
        let full = suite("OCRA-1:HOTP-SHA1-0:QH08");
        let r = ocra(
            &full,
            K20,
            &OcraInputs {
                question: "0aF",
                ..Default::default()
            },
        );
        assert_eq!(r.map(|h| h.len()), Ok(40));
        let r = ocra(
            &full,
            K20,
            &OcraInputs {
                question: "xyz",
                ..Default::default()
            },
        );
        assert!(r.is_err());
    }

    #[test]
    fn decimal_questions_become_hex() {
        assert_eq!(decimal_to_hex("44444444"), "2A62B1C");
        assert_eq!(decimal_to_hex("0"), "0");
        assert_eq!(decimal_to_hex("00000000"), "0");
        assert_eq!(decimal_to_hex("12345678"), "BC614E");
        assert_eq!(decimal_to_hex("18446744073709551616"), "10000000000000000");
    }
}
