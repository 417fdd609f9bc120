//! One-time passwords: HOTP (RFC 4226), TOTP (RFC 6238) and OCRA (RFC 6287) over
//! HMAC-SHA-1/256/512, and the packed-BCD form in which the Crescendo OATH slots
//! answer (crescendo-apdu.md §5.3, §5.8 rule 4).
//!
//! Digit counts run from 1 to 10. The 31-bit truncated value (RFC 4226 §5.3) is
//! below 2^31 < 10^10, so with 10 digits the modulus (10^10, more than `u32`
//! holds) leaves it unchanged; all arithmetic is in `u64`.

use std::fmt;
use std::str::FromStr;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use thiserror::Error;

/// Most digits an OTP can have here (Crescendo: 6/7/8/10, RFC 6287: up to 10).
pub const MAX_DIGITS: u8 = 10;

/// Size of the OCRA question field Q (RFC 6287 §5.1).
pub const OCRA_QUESTION_LEN: usize = 128;

/// The hash under HMAC (and under the OCRA PIN hash).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Algorithm {
    /// SHA-1 (RFC 4226 default).
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-512.
    Sha512,
}

impl Algorithm {
    /// HMAC of the concatenated `parts` under `key`.
    pub fn hmac(self, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
            // HMAC takes keys of any length (RFC 2104 §2): this never fails.
            let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key)
                .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
            for p in parts {
                mac.update(p);
            }
            mac.finalize().into_bytes().to_vec()
        }
        match self {
            Algorithm::Sha1 => run::<Hmac<Sha1>>(key, parts),
            Algorithm::Sha256 => run::<Hmac<Sha256>>(key, parts),
            Algorithm::Sha512 => run::<Hmac<Sha512>>(key, parts),
        }
    }

    /// Plain digest (the OCRA PIN hash, RFC 6287 §5.1 "P").
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Algorithm::Sha1 => Sha1::digest(data).to_vec(),
            Algorithm::Sha256 => Sha256::digest(data).to_vec(),
            Algorithm::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    /// Digest length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 => 32,
            Algorithm::Sha512 => 64,
        }
    }

    /// Name as in OCRA suites (`SHA1`, `SHA256`, `SHA512`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }

    fn from_name(name: &str) -> Option<Algorithm> {
        [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512]
            .into_iter()
            .find(|a| a.name() == name)
    }
}

/// Why an OTP could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum OtpError {
    /// Digit count outside 1–10.
    #[error("unsupported number of digits: {0}")]
    Digits(u8),
    /// TOTP/OCRA time step of zero.
    #[error("the time step must not be zero")]
    ZeroTimeStep,
    /// An OCRA suite string that does not parse (RFC 6287 §6).
    #[error("invalid OCRA suite {suite:?}: {reason}")]
    Suite {
        /// The suite as given.
        suite: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A question that is not of the suite's format or does not fit 128 bytes.
    #[error("the question is not {0:?} or does not fit 128 bytes")]
    Question(ChallengeFormat),
    /// The suite needs an input that was not given.
    #[error("the suite needs input {0}")]
    Missing(&'static str),
    /// An input was given that the suite does not use.
    #[error("the suite does not use input {0}")]
    Unexpected(&'static str),
    /// An input of the wrong size.
    #[error("input {what} is {got} bytes, expected {expected}")]
    Length {
        /// Which input.
        what: &'static str,
        /// Its size.
        got: usize,
        /// The size the suite asks for.
        expected: usize,
    },
}

/// An OTP: a value below 10^digits and its digit count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Otp {
    value: u64,
    digits: u8,
}

impl Otp {
    /// The numeric value.
    pub fn value(self) -> u64 {
        self.value
    }

    /// Number of digits.
    pub fn digits(self) -> u8 {
        self.digits
    }

    /// Packed BCD, see [`bcd`].
    pub fn bcd(self) -> Vec<u8> {
        bcd(self.value, self.digits)
    }
}

impl fmt::Display for Otp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:0width$}",
            self.value,
            width = usize::from(self.digits)
        )
    }
}

/// Packed BCD, two digits a byte, most significant first (crescendo-apdu.md §5.8
/// rule 4: 755224 → `75 52 24`). Odd digit counts are not documented by HID;
/// **emulator-defined**: a leading 0 nibble pads the first byte (1234567 →
/// `01 23 45 67`).
pub fn bcd(value: u64, digits: u8) -> Vec<u8> {
    let text = format!("{:0width$}", value, width = usize::from(digits));
    let mut nibbles: Vec<u8> = text.bytes().map(|c| c - b'0').collect();
    if nibbles.len() % 2 == 1 {
        nibbles.insert(0, 0);
    }
    nibbles.chunks(2).map(|p| p[0] << 4 | p[1]).collect()
}

/// RFC 4226 §5.3 dynamic truncation: the 31-bit value at the offset given by the
/// low nibble of the last byte. `None` if `mac` is too short (never for HMAC-SHA-*).
pub fn dynamic_truncation(mac: &[u8]) -> Option<u32> {
    let offset = usize::from(mac.last()? & 0x0F);
    let word: [u8; 4] = mac.get(offset..offset + 4)?.try_into().ok()?;
    Some(u32::from_be_bytes(word) & 0x7FFF_FFFF)
}

fn reduce(mac: &[u8], digits: u8) -> Result<Otp, OtpError> {
    if !(1..=MAX_DIGITS).contains(&digits) {
        return Err(OtpError::Digits(digits));
    }
    let sbits = dynamic_truncation(mac).ok_or(OtpError::Digits(digits))?;
    Ok(Otp {
        value: u64::from(sbits) % 10u64.pow(u32::from(digits)),
        digits,
    })
}

/// HOTP(K, C) (RFC 4226 §5.3) with `digits` digits.
pub fn hotp(algorithm: Algorithm, key: &[u8], counter: u64, digits: u8) -> Result<Otp, OtpError> {
    reduce(&algorithm.hmac(key, &[&counter.to_be_bytes()]), digits)
}

/// The TOTP time-step count T = floor(unix_time / step), T0 = 0 (RFC 6238 §4.2).
pub fn time_steps(unix_time: u64, step: u64) -> Result<u64, OtpError> {
    unix_time.checked_div(step).ok_or(OtpError::ZeroTimeStep)
}

/// TOTP (RFC 6238 §4): HOTP over the time-step count.
pub fn totp(
    algorithm: Algorithm,
    key: &[u8],
    unix_time: u64,
    step: u64,
    digits: u8,
) -> Result<Otp, OtpError> {
    hotp(algorithm, key, time_steps(unix_time, step)?, digits)
}

/// OCRA question formats (RFC 6287 §6.3 `Q<fmt><len>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChallengeFormat {
    /// `A`: alphanumeric, the bytes as they are.
    Alphanumeric,
    /// `N`: a decimal number, carried as its hexadecimal digits.
    Numeric,
    /// `H`: hexadecimal digits.
    Hex,
}

/// A parsed OCRA suite (RFC 6287 §6): `OCRA-1:HOTP-<hash>-<t>:<DataInput>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcraSuite {
    text: String,
    /// HMAC hash of the CryptoFunction.
    pub algorithm: Algorithm,
    /// Truncation length t: 0 (no truncation) or 4–10.
    pub digits: u8,
    /// Whether the DataInput has a counter `C`.
    pub counter: bool,
    /// Question format and nominal maximum length (04–64).
    pub question: (ChallengeFormat, u8),
    /// PIN hash `P<hash>`, if used.
    pub pin: Option<Algorithm>,
    /// Session information length `S<nnn>` in bytes, if used.
    pub session: Option<usize>,
    /// Time step `T<G>` in seconds, if used.
    pub time_step: Option<u64>,
}

/// The inputs of one OCRA computation. Each must be given exactly when the
/// suite names it; the question is already formatted (see
/// [`OcraSuite::format_question`]) and at most 128 bytes (right-padded here).
#[derive(Debug, Clone, Copy, Default)]
pub struct OcraInput<'a> {
    /// Counter C.
    pub counter: Option<u64>,
    /// Formatted question Q.
    pub question: &'a [u8],
    /// PIN hash P (already hashed).
    pub pin_hash: Option<&'a [u8]>,
    /// Session information S (left-padded with zeros to the suite's length,
    /// as RFC 6287's reference code does).
    pub session: Option<&'a [u8]>,
    /// Time-step count T (already divided by the step).
    pub time_steps: Option<u64>,
}

impl FromStr for OcraSuite {
    type Err = OtpError;

    fn from_str(s: &str) -> Result<OcraSuite, OtpError> {
        OcraSuite::parse(s)
    }
}

impl OcraSuite {
    /// Parses a suite string such as `OCRA-1:HOTP-SHA1-6:QN08` (RFC 6287 §6).
    pub fn parse(text: &str) -> Result<OcraSuite, OtpError> {
        let bad = |reason| OtpError::Suite {
            suite: text.to_owned(),
            reason,
        };
        let mut parts = text.split(':');
        let (Some(version), Some(function), Some(data), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("expected three ':'-separated fields"));
        };
        if version != "OCRA-1" {
            return Err(bad("the algorithm must be OCRA-1"));
        }
        let mut f = function.split('-');
        let (Some("HOTP"), Some(hash), Some(t), None) = (f.next(), f.next(), f.next(), f.next())
        else {
            return Err(bad("the crypto function must be HOTP-<hash>-<t>"));
        };
        let algorithm = Algorithm::from_name(hash).ok_or_else(|| bad("unknown hash"))?;
        let digits = parse_decimal(t, 2)
            .filter(|&d| d == 0 || (4..=10).contains(&d))
            .ok_or_else(|| bad("truncation must be 0 or 4-10"))? as u8;

        let mut items = data.split('-').peekable();
        let counter = items.next_if_eq(&"C").is_some();
        let q = items
            .next()
            .ok_or_else(|| bad("the question Q is mandatory"))?;
        let question = parse_question(q).ok_or_else(|| bad("Q must be Q[A|N|H]<04-64>"))?;
        let mut pin = None;
        let mut session = None;
        let mut time_step = None;
        for item in items {
            // Optional parts come in the order P, S, T, each at most once.
            if let Some(h) = item.strip_prefix('P') {
                if pin.is_some() || session.is_some() || time_step.is_some() {
                    return Err(bad("P out of order"));
                }
                pin = Some(Algorithm::from_name(h).ok_or_else(|| bad("unknown PIN hash"))?);
            } else if let Some(n) = item.strip_prefix('S') {
                if session.is_some() || time_step.is_some() {
                    return Err(bad("S out of order"));
                }
                let len = if n.is_empty() {
                    64
                } else {
                    parse_decimal(n, 3).ok_or_else(|| bad("S must be S<nnn>"))?
                };
                session = Some(len as usize);
            } else if let Some(g) = item.strip_prefix('T') {
                if time_step.is_some() {
                    return Err(bad("T given twice"));
                }
                time_step = Some(
                    parse_time_step(g).ok_or_else(|| bad("T must be T<1-59>S|M or T<1-48>H"))?,
                );
            } else {
                return Err(bad("unknown DataInput part"));
            }
        }
        Ok(OcraSuite {
            text: text.to_owned(),
            algorithm,
            digits,
            counter,
            question,
            pin,
            session,
            time_step,
        })
    }

    /// The suite string.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Formats a question as the suite's Q field (see [`format_question`]).
    pub fn format_question(&self, question: &str) -> Result<Vec<u8>, OtpError> {
        format_question(self.question.0, question)
    }

    /// DataInput = suite ‖ 00 ‖ C ‖ Q ‖ P ‖ S ‖ T (RFC 6287 §5.1).
    pub fn data_input(&self, input: &OcraInput) -> Result<Vec<u8>, OtpError> {
        let mut msg = self.text.as_bytes().to_vec();
        msg.push(0);
        match (self.counter, input.counter) {
            (true, Some(c)) => msg.extend_from_slice(&c.to_be_bytes()),
            (true, None) => return Err(OtpError::Missing("C")),
            (false, Some(_)) => return Err(OtpError::Unexpected("C")),
            (false, None) => {}
        }
        if input.question.len() > OCRA_QUESTION_LEN {
            return Err(OtpError::Length {
                what: "Q",
                got: input.question.len(),
                expected: OCRA_QUESTION_LEN,
            });
        }
        msg.extend_from_slice(input.question);
        msg.resize(msg.len() + OCRA_QUESTION_LEN - input.question.len(), 0);
        match (self.pin, input.pin_hash) {
            (Some(h), Some(p)) if p.len() == h.output_len() => msg.extend_from_slice(p),
            (Some(h), Some(p)) => {
                return Err(OtpError::Length {
                    what: "P",
                    got: p.len(),
                    expected: h.output_len(),
                })
            }
            (Some(_), None) => return Err(OtpError::Missing("P")),
            (None, Some(_)) => return Err(OtpError::Unexpected("P")),
            (None, None) => {}
        }
        match (self.session, input.session) {
            (Some(n), Some(s)) if s.len() <= n => {
                msg.resize(msg.len() + n - s.len(), 0);
                msg.extend_from_slice(s);
            }
            (Some(n), Some(s)) => {
                return Err(OtpError::Length {
                    what: "S",
                    got: s.len(),
                    expected: n,
                })
            }
            (Some(_), None) => return Err(OtpError::Missing("S")),
            (None, Some(_)) => return Err(OtpError::Unexpected("S")),
            (None, None) => {}
        }
        match (self.time_step, input.time_steps) {
            (Some(_), Some(t)) => msg.extend_from_slice(&t.to_be_bytes()),
            (Some(_), None) => return Err(OtpError::Missing("T")),
            (None, Some(_)) => return Err(OtpError::Unexpected("T")),
            (None, None) => {}
        }
        Ok(msg)
    }

    /// OCRA = truncate(HMAC(K, DataInput)) mod 10^t (RFC 6287 §5.2). Suites
    /// with t = 0 (no truncation) give [`OtpError::Digits`].
    pub fn compute(&self, key: &[u8], input: &OcraInput) -> Result<Otp, OtpError> {
        if self.digits == 0 {
            return Err(OtpError::Digits(0));
        }
        let msg = self.data_input(input)?;
        reduce(&self.algorithm.hmac(key, &[&msg]), self.digits)
    }
}

/// Formats a question into the 128-byte Q field as RFC 6287's reference code
/// does: `N` → the number's hexadecimal digits, `H` → the hex digits, both
/// right-padded with `0` digits; `A` → the bytes, right-padded with zero bytes.
/// The suite's nominal length is not enforced (RFC 6287 Appendix C's mutual
/// vectors put 16 characters under `QA08`).
pub fn format_question(format: ChallengeFormat, question: &str) -> Result<Vec<u8>, OtpError> {
    let bad = || OtpError::Question(format);
    let digits = match format {
        ChallengeFormat::Alphanumeric => {
            if question.len() > OCRA_QUESTION_LEN {
                return Err(bad());
            }
            let mut q = question.as_bytes().to_vec();
            q.resize(OCRA_QUESTION_LEN, 0);
            return Ok(q);
        }
        ChallengeFormat::Hex => {
            if !question.bytes().all(|c| c.is_ascii_hexdigit()) {
                return Err(bad());
            }
            question.to_ascii_uppercase()
        }
        ChallengeFormat::Numeric => decimal_to_hex(question).ok_or_else(bad)?,
    };
    if digits.len() > 2 * OCRA_QUESTION_LEN {
        return Err(bad());
    }
    let mut padded = digits.into_bytes();
    padded.resize(2 * OCRA_QUESTION_LEN, b'0');
    hex::decode(padded).map_err(|_| bad())
}

/// A decimal string as uppercase hex digits without leading zeros ("0" for zero).
fn decimal_to_hex(decimal: &str) -> Option<String> {
    if decimal.is_empty() || !decimal.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    // Big-endian base-256 number, grown by n = n * 10 + digit.
    let mut n: Vec<u8> = vec![];
    for d in decimal.bytes() {
        let mut carry = u16::from(d - b'0');
        for byte in n.iter_mut().rev() {
            let v = u16::from(*byte) * 10 + carry;
            *byte = (v & 0xFF) as u8;
            carry = v >> 8;
        }
        if carry > 0 {
            n.insert(0, carry as u8);
        }
    }
    let hex = hex::encode_upper(n);
    let trimmed = hex.trim_start_matches('0');
    Some(if trimmed.is_empty() { "0" } else { trimmed }.to_owned())
}

fn parse_decimal(s: &str, max_len: usize) -> Option<u64> {
    if s.is_empty() || s.len() > max_len || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_question(q: &str) -> Option<(ChallengeFormat, u8)> {
    let rest = q.strip_prefix('Q')?;
    let format = match rest.as_bytes().first()? {
        b'A' => ChallengeFormat::Alphanumeric,
        b'N' => ChallengeFormat::Numeric,
        b'H' => ChallengeFormat::Hex,
        _ => return None,
    };
    let len = rest.get(1..)?;
    if len.len() != 2 {
        return None;
    }
    let len = parse_decimal(len, 2).filter(|l| (4..=64).contains(l))?;
    Some((format, len as u8))
}

fn parse_time_step(g: &str) -> Option<u64> {
    let (n, unit) = g.split_at(g.len().checked_sub(1)?);
    let n = parse_decimal(n, 2)?;
    let (max, seconds) = match unit {
        "S" => (59, 1),
        "M" => (59, 60),
        "H" => (48, 3600),
        _ => return None,
    };
    (1..=max).contains(&n).then_some(n * seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4226 Appendix D / RFC 6238 Appendix B / RFC 6287 Appendix C seeds.
    const K20: &[u8] = b"12345678901234567890";
    const K32: &[u8] = b"12345678901234567890123456789012";
    const K64: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

    #[test]
    fn rfc4226_appendix_d() {
        // protocols.md §6.4: HMAC, truncated value and HOTP for counts 0..9.
        let table = [
            (
                "cc93cf18508d94934c64b65d8ba7667fb7cde4b0",
                1284755224,
                "755224",
            ),
            (
                "75a48a19d4cbe100644e8ac1397eea747a2d33ab",
                1094287082,
                "287082",
            ),
            (
                "0bacb7fa082fef30782211938bc1c5e70416ff44",
                137359152,
                "359152",
            ),
            (
                "66c28227d03a2d5529262ff016a1e6ef76557ece",
                1726969429,
                "969429",
            ),
            (
                "a904c900a64b35909874b33e61c5938a8e15ed1c",
                1640338314,
                "338314",
            ),
            (
                "a37e783d7b7233c083d4f62926c7a25f238d0316",
                868254676,
                "254676",
            ),
            (
                "bc9cd28561042c83f219324d3c607256c03272ae",
                1918287922,
                "287922",
            ),
            (
                "a4fb960c0bc06e1eabb804e5b397cdc4b45596fa",
                82162583,
                "162583",
            ),
            (
                "1b3c89f65e6c9e883012052823443f048b4332db",
                673399871,
                "399871",
            ),
            (
                "1637409809a679dc698207310c8c7fc07290d9e5",
                645520489,
                "520489",
            ),
        ];
        for (count, (mac, truncated, code)) in table.into_iter().enumerate() {
            let c = count as u64;
            let got = Algorithm::Sha1.hmac(K20, &[&c.to_be_bytes()]);
            assert_eq!(hex::encode(&got), mac, "HMAC at count {count}");
            assert_eq!(dynamic_truncation(&got), Some(truncated));
            let otp = hotp(Algorithm::Sha1, K20, c, 6).expect("hotp");
            assert_eq!(otp.to_string(), code, "HOTP at count {count}");
        }
    }

    #[test]
    fn rfc6238_appendix_b() {
        // protocols.md §6.5: 8 digits, X = 30, each hash with its own seed.
        let table = [
            (59u64, 0x1u64, "94287082", "46119246", "90693936"),
            (1111111109, 0x23523EC, "07081804", "68084774", "25091201"),
            (1111111111, 0x23523ED, "14050471", "67062674", "99943326"),
            (1234567890, 0x273EF07, "89005924", "91819424", "93441116"),
            (2000000000, 0x3F940AA, "69279037", "90698825", "38618901"),
            (20000000000, 0x27BC86AA, "65353130", "77737706", "47863826"),
        ];
        for (time, t, sha1, sha256, sha512) in table {
            assert_eq!(time_steps(time, 30), Ok(t));
            for (alg, key, want) in [
                (Algorithm::Sha1, K20, sha1),
                (Algorithm::Sha256, K32, sha256),
                (Algorithm::Sha512, K64, sha512),
            ] {
                let otp = totp(alg, key, time, 30, 8).expect("totp");
                assert_eq!(otp.to_string(), want, "{alg:?} at {time}");
            }
        }
    }

    #[test]
    fn crescendo_totp_usage_sample() {
        // crescendo-apdu.md §5.7: time 5E84A802, 30 s, SHA1, 6 digits → BCD 34 09 09.
        let otp = totp(Algorithm::Sha1, K20, 0x5E84A802, 30, 6).expect("totp");
        assert_eq!(otp.bcd(), [0x34, 0x09, 0x09]);
    }

    #[test]
    fn digit_counts_six_to_ten() {
        // RFC 4226 Appendix D count 0: truncated 1284755224 (10 digits, < 2^31).
        let cases = [
            (6, "755224", "755224"),
            (7, "4755224", "04755224"),
            (8, "84755224", "84755224"),
            (10, "1284755224", "1284755224"),
        ];
        for (digits, text, bcd_hex) in cases {
            let otp = hotp(Algorithm::Sha1, K20, 0, digits).expect("hotp");
            assert_eq!(otp.to_string(), text);
            assert_eq!(hex::encode(otp.bcd()), bcd_hex);
        }
        // Count 7: 82162583 has 8 digits; with 10 digits it keeps leading zeros.
        let otp = hotp(Algorithm::Sha1, K20, 7, 10).expect("hotp");
        assert_eq!(otp.to_string(), "0082162583");
        assert_eq!(otp.bcd(), [0x00, 0x82, 0x16, 0x25, 0x83]);
        assert_eq!(hotp(Algorithm::Sha1, K20, 0, 0), Err(OtpError::Digits(0)));
        assert_eq!(hotp(Algorithm::Sha1, K20, 0, 11), Err(OtpError::Digits(11)));
        assert_eq!(
            totp(Algorithm::Sha1, K20, 59, 0, 6),
            Err(OtpError::ZeroTimeStep)
        );
    }

    #[test]
    fn bcd_packing() {
        assert_eq!(bcd(755224, 6), [0x75, 0x52, 0x24]);
        assert_eq!(bcd(340909, 6), [0x34, 0x09, 0x09]);
        assert_eq!(bcd(1234567, 7), [0x01, 0x23, 0x45, 0x67]);
        assert_eq!(bcd(42, 6), [0x00, 0x00, 0x42]);
    }

    fn ocra(suite: &str, key: &[u8], input: OcraInput) -> String {
        let suite = OcraSuite::parse(suite).expect("suite");
        suite.compute(key, &input).expect("ocra").to_string()
    }

    fn q(suite: &str, question: &str) -> Vec<u8> {
        OcraSuite::parse(suite)
            .expect("suite")
            .format_question(question)
            .expect("question")
    }

    /// PIN "1234" hashed with SHA-1 (RFC 6287 Appendix C).
    const PIN_SHA1: &str = "7110eda4d09e062aa5e4a390b0a572ac0d2c0220";

    #[test]
    fn rfc6287_c1_one_way() {
        // protocols.md §6.3, RFC 6287 Appendix C.1.
        let s = "OCRA-1:HOTP-SHA1-6:QN08";
        let want = [
            "237653", "243178", "653583", "740991", "608993", "388898", "816933", "224598",
            "750600", "294470",
        ];
        for (i, w) in want.iter().enumerate() {
            let question = q(s, &i.to_string().repeat(8));
            let input = OcraInput {
                question: &question,
                ..Default::default()
            };
            assert_eq!(ocra(s, K20, input), *w, "Q={i}");
        }

        let pin = hex::decode(PIN_SHA1).expect("hex");
        assert_eq!(Algorithm::Sha1.digest(b"1234"), pin);
        let s = "OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1";
        let want = [
            "65347737", "86775851", "78192410", "71565254", "10104329", "65983500", "70069104",
            "91771096", "75011558", "08522129",
        ];
        let question = q(s, "12345678");
        for (c, w) in want.iter().enumerate() {
            let input = OcraInput {
                counter: Some(c as u64),
                question: &question,
                pin_hash: Some(&pin),
                ..Default::default()
            };
            assert_eq!(ocra(s, K32, input), *w, "C={c}");
        }

        let s = "OCRA-1:HOTP-SHA256-8:QN08-PSHA1";
        let want = ["83238735", "01501458", "17957585", "86776967", "86807031"];
        for (i, w) in want.iter().enumerate() {
            let question = q(s, &i.to_string().repeat(8));
            let input = OcraInput {
                question: &question,
                pin_hash: Some(&pin),
                ..Default::default()
            };
            assert_eq!(ocra(s, K32, input), *w, "Q={i}");
        }

        let s = "OCRA-1:HOTP-SHA512-8:C-QN08";
        let want = [
            "07016083", "63947962", "70123924", "25341727", "33203315", "34205738", "44343969",
            "51946085", "20403879", "31409299",
        ];
        for (i, w) in want.iter().enumerate() {
            let question = q(s, &i.to_string().repeat(8));
            let input = OcraInput {
                counter: Some(i as u64),
                question: &question,
                ..Default::default()
            };
            assert_eq!(ocra(s, K64, input), *w, "C=Q={i}");
        }

        let s = "OCRA-1:HOTP-SHA512-8:QN08-T1M";
        assert_eq!(OcraSuite::parse(s).expect("suite").time_step, Some(60));
        let want = ["95209754", "55907591", "22048402", "24218844", "36209546"];
        for (i, w) in want.iter().enumerate() {
            let question = q(s, &i.to_string().repeat(8));
            let input = OcraInput {
                question: &question,
                time_steps: Some(0x132d0b6),
                ..Default::default()
            };
            assert_eq!(ocra(s, K64, input), *w, "Q={i}");
        }
    }

    #[test]
    fn rfc6287_c2_mutual() {
        // protocols.md §6.3 (SHA256 server and client).
        let s = "OCRA-1:HOTP-SHA256-8:QA08";
        let cases = [
            ("CLI22220SRV11110", "28247970"),
            ("CLI22221SRV11111", "01984843"),
            ("CLI22222SRV11112", "65387857"),
            ("CLI22223SRV11113", "03351211"),
            ("CLI22224SRV11114", "83412541"),
            ("SRV11110CLI22220", "15510767"),
            ("SRV11111CLI22221", "90175646"),
            ("SRV11112CLI22222", "33777207"),
            ("SRV11113CLI22223", "95285278"),
            ("SRV11114CLI22224", "28934924"),
        ];
        for (question, w) in cases {
            let q = q(s, question);
            let input = OcraInput {
                question: &q,
                ..Default::default()
            };
            assert_eq!(ocra(s, K32, input), w, "{question}");
        }
        // RFC 6287 Appendix C.2, SHA512 server computation and client
        // computation with PIN: not in protocols.md, taken from the RFC text.
        let s = "OCRA-1:HOTP-SHA512-8:QA08";
        let cases = [
            ("CLI22220SRV11110", "79496648"),
            ("CLI22221SRV11111", "76831980"),
            ("CLI22222SRV11112", "12250499"),
            ("CLI22223SRV11113", "90856481"),
            ("CLI22224SRV11114", "12761449"),
        ];
        for (question, w) in cases {
            let q = q(s, question);
            let input = OcraInput {
                question: &q,
                ..Default::default()
            };
            assert_eq!(ocra(s, K64, input), w, "{question}");
        }
        let pin = hex::decode(PIN_SHA1).expect("hex");
        let s = "OCRA-1:HOTP-SHA512-8:QA08-PSHA1";
        let cases = [
            ("SRV11110CLI22220", "18806276"),
            ("SRV11111CLI22221", "70020315"),
            ("SRV11112CLI22222", "01600026"),
            ("SRV11113CLI22223", "18951020"),
            ("SRV11114CLI22224", "32528969"),
        ];
        for (question, w) in cases {
            let q = q(s, question);
            let input = OcraInput {
                question: &q,
                pin_hash: Some(&pin),
                ..Default::default()
            };
            assert_eq!(ocra(s, K64, input), w, "{question}");
        }
    }

    #[test]
    fn rfc6287_c3_signature() {
        // protocols.md §6.3.
        let s = "OCRA-1:HOTP-SHA256-8:QA08";
        let cases = [
            ("SIG10000", "53095496"),
            ("SIG11000", "04110475"),
            ("SIG12000", "31331128"),
            ("SIG13000", "76028668"),
            ("SIG14000", "46554205"),
        ];
        for (question, w) in cases {
            let q = q(s, question);
            let input = OcraInput {
                question: &q,
                ..Default::default()
            };
            assert_eq!(ocra(s, K32, input), w, "{question}");
        }
        // RFC 6287 Appendix C.3, SHA512 with timestamp: taken from the RFC text.
        let s = "OCRA-1:HOTP-SHA512-8:QA10-T1M";
        let cases = [
            ("SIG1000000", "77537423"),
            ("SIG1100000", "31970405"),
            ("SIG1200000", "10235557"),
            ("SIG1300000", "95213541"),
            ("SIG1400000", "65360607"),
        ];
        for (question, w) in cases {
            let q = q(s, question);
            let input = OcraInput {
                question: &q,
                time_steps: Some(0x132d0b6),
                ..Default::default()
            };
            assert_eq!(ocra(s, K64, input), w, "{question}");
        }
    }

    #[test]
    fn numeric_question_matches_hid_sample() {
        // crescendo-apdu.md §5.5: 44444444 decimal → 2A62B1C, left-aligned: 2A 62 B1 C0 00…
        let q = format_question(ChallengeFormat::Numeric, "44444444").expect("q");
        assert_eq!(q.len(), 128);
        assert_eq!(q[..4], [0x2A, 0x62, 0xB1, 0xC0]);
        assert!(q[4..].iter().all(|&b| b == 0));
        // 64 decimal digits (the QN64 maximum) still fit.
        let big = format_question(ChallengeFormat::Numeric, &"9".repeat(64)).expect("q");
        assert_eq!(big.len(), 128);
        assert_eq!(
            format_question(ChallengeFormat::Numeric, "12a"),
            Err(OtpError::Question(ChallengeFormat::Numeric))
        );
        let h = format_question(ChallengeFormat::Hex, "abc").expect("q");
        assert_eq!(h[..2], [0xAB, 0xC0]);
    }

    #[test]
    fn suite_parsing() {
        let s = OcraSuite::parse("OCRA-1:HOTP-SHA512-0:C-QH16-PSHA256-S128-T14H").expect("parse");
        assert_eq!(s.algorithm, Algorithm::Sha512);
        assert_eq!(s.digits, 0);
        assert!(s.counter);
        assert_eq!(s.question, (ChallengeFormat::Hex, 16));
        assert_eq!(s.pin, Some(Algorithm::Sha256));
        assert_eq!(s.session, Some(128));
        assert_eq!(s.time_step, Some(14 * 3600));
        assert_eq!(
            OcraSuite::parse("OCRA-1:HOTP-SHA1-6:QA08-S")
                .expect("s")
                .session,
            Some(64)
        );
        for bad in [
            "",
            "OCRA-2:HOTP-SHA1-6:QN08",
            "OCRA-1:HOTP-SHA1-6",
            "OCRA-1:HOTP-SHA1-3:QN08",
            "OCRA-1:HOTP-SHA1-11:QN08",
            "OCRA-1:HOTP-MD5-6:QN08",
            "OCRA-1:HOTP-SHA1-6:QX08",
            "OCRA-1:HOTP-SHA1-6:QN03",
            "OCRA-1:HOTP-SHA1-6:QN65",
            "OCRA-1:HOTP-SHA1-6:C",
            "OCRA-1:HOTP-SHA1-6:QN08-T60S",
            "OCRA-1:HOTP-SHA1-6:QN08-T0M",
            "OCRA-1:HOTP-SHA1-6:QN08-T49H",
            "OCRA-1:HOTP-SHA1-6:QN08-T1M-PSHA1",
            "OCRA-1:HOTP-SHA1-6:QN08-X",
            "OCRA-1:HOTP-SHA1-6:QN08:",
        ] {
            assert!(OcraSuite::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn ocra_inputs_must_match_the_suite() {
        let s = OcraSuite::parse("OCRA-1:HOTP-SHA1-6:C-QN08-PSHA1").expect("suite");
        let q = [0u8; 128];
        let missing_c = OcraInput {
            question: &q,
            pin_hash: Some(&[0; 20]),
            ..Default::default()
        };
        assert_eq!(s.compute(K20, &missing_c), Err(OtpError::Missing("C")));
        let short_p = OcraInput {
            counter: Some(0),
            question: &q,
            pin_hash: Some(&[0; 19]),
            ..Default::default()
        };
        assert!(matches!(
            s.compute(K20, &short_p),
            Err(OtpError::Length { what: "P", .. })
        ));
        let extra_t = OcraInput {
            counter: Some(0),
            question: &q,
            pin_hash: Some(&[0; 20]),
            time_steps: Some(1),
            ..Default::default()
        };
        assert_eq!(s.compute(K20, &extra_t), Err(OtpError::Unexpected("T")));
        let long_q = [0u8; 129];
        let input = OcraInput {
            counter: Some(0),
            question: &long_q,
            pin_hash: Some(&[0; 20]),
            ..Default::default()
        };
        assert!(matches!(
            s.compute(K20, &input),
            Err(OtpError::Length { what: "Q", .. })
        ));
    }
}
