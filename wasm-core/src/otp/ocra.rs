//! OCRA suite strings (RFC 6287 §6): `OCRA-1:HOTP-<hash>-<t>:<DataInput>`,
//! DataInput = `[C-]Q<A|N|H><04..64>[-P<hash>][-S<nnn>][-T<step>]`.
//!
//! The parsed suite keeps its exact text: it is the first input of the HMAC
//! message (§5), so it must be reproduced byte for byte.

use std::fmt;

use serde::{Serialize, Serializer};
use thiserror::Error;

use super::account::Algorithm;

/// A part of the suite string, for errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OcraPart {
    /// The whole string (wrong number of `:` sections).
    Suite,
    /// `OCRA-1`.
    Version,
    /// `HOTP-SHAx-t`.
    CryptoFunction,
    /// The `t` of the crypto function.
    Truncation,
    /// `C`.
    Counter,
    /// `Qfxx`.
    Challenge,
    /// `Phash`.
    Pin,
    /// `Snnn`.
    Session,
    /// `Tstep`.
    Timestamp,
}

/// Why a suite string is refused: the part at fault and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[error("{part:?}: {reason}")]
pub struct OcraError {
    /// Which part.
    pub part: OcraPart,
    /// What is wrong.
    pub reason: &'static str,
}

fn err<T>(part: OcraPart, reason: &'static str) -> Result<T, OcraError> {
    Err(OcraError { part, reason })
}

/// Challenge (question) format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChallengeFormat {
    /// `A`: alphanumeric.
    Alphanumeric,
    /// `N`: numeric (decimal).
    Numeric,
    /// `H`: hexadecimal.
    Hex,
}

/// A parsed, valid OCRA suite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcraSuite {
    text: String,
    /// HMAC hash of the crypto function.
    pub hash: Algorithm,
    /// Truncation: 0 (none) or 4–10 digits.
    pub digits: u8,
    /// `C`: an 8-byte counter is part of the message.
    pub counter: bool,
    /// Challenge format.
    pub challenge: ChallengeFormat,
    /// Maximum challenge length (4–64).
    pub challenge_len: u8,
    /// `P`: the hash of the PIN is part of the message.
    pub pin: Option<Algorithm>,
    /// `S`: session information of this many bytes.
    pub session: Option<u16>,
    /// `T`: time step in seconds.
    pub timestep: Option<u32>,
}

impl Serialize for OcraSuite {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl fmt::Display for OcraSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// `n` written with exactly `width` ASCII digits, else `None`.
fn fixed_digits(s: &str, width: usize) -> Option<u32> {
    (s.len() == width && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// 1 or 2 ASCII digits.
fn small_number(s: &str) -> Option<u32> {
    ((1..=2).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

impl OcraSuite {
    /// The suite text as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Parses and validates a suite string (RFC 6287 §6).
    pub fn parse(text: &str) -> Result<OcraSuite, OcraError> {
        let mut sections = text.split(':');
        let (Some(version), Some(crypto), Some(data), None) = (
            sections.next(),
            sections.next(),
            sections.next(),
            sections.next(),
        ) else {
            return err(
                OcraPart::Suite,
                "expected OCRA-1:<crypto function>:<data input>",
            );
        };
        if version != "OCRA-1" {
            return err(OcraPart::Version, "only OCRA-1 is defined");
        }
        let mut cf = crypto.split('-');
        let (Some("HOTP"), Some(hash), Some(t), None) =
            (cf.next(), cf.next(), cf.next(), cf.next())
        else {
            return err(
                OcraPart::CryptoFunction,
                "expected HOTP-SHA1|SHA256|SHA512-<digits>",
            );
        };
        let Some(hash) = Algorithm::parse(hash).filter(|_| hash.starts_with("SHA")) else {
            return err(
                OcraPart::CryptoFunction,
                "hash must be SHA1, SHA256 or SHA512",
            );
        };
        let digits = match small_number(t) {
            Some(d @ (0 | 4..=10)) => d as u8,
            _ => return err(OcraPart::Truncation, "must be 0 or 4 to 10"),
        };
        let mut suite = OcraSuite {
            text: text.to_owned(),
            hash,
            digits,
            counter: false,
            challenge: ChallengeFormat::Numeric,
            challenge_len: 0,
            pin: None,
            session: None,
            timestep: None,
        };
        // Order is fixed: C, Q, P, S, T. `stage` is the next allowed index.
        let mut stage = 0;
        for item in data.split('-') {
            let (idx, part) = match item.as_bytes().first() {
                Some(b'C') => (0, OcraPart::Counter),
                Some(b'Q') => (1, OcraPart::Challenge),
                Some(b'P') => (2, OcraPart::Pin),
                Some(b'S') => (3, OcraPart::Session),
                Some(b'T') => (4, OcraPart::Timestamp),
                _ => return err(OcraPart::Challenge, "unknown data input (C, Q, P, S or T)"),
            };
            if idx < stage {
                return err(part, "repeated or out of order (C-Q-P-S-T)");
            }
            stage = idx + 1;
            let rest = &item[1..];
            match part {
                OcraPart::Counter if rest.is_empty() => suite.counter = true,
                OcraPart::Counter => return err(part, "C takes no value"),
                OcraPart::Challenge => suite.parse_challenge(rest)?,
                OcraPart::Pin => match Algorithm::parse(rest).filter(|_| rest.starts_with("SHA")) {
                    Some(a) => suite.pin = Some(a),
                    None => return err(part, "must be PSHA1, PSHA256 or PSHA512"),
                },
                OcraPart::Session => match fixed_digits(rest, 3) {
                    Some(n @ 1..=512) => suite.session = Some(n as u16),
                    _ => return err(part, "must be S followed by 3 digits, 001 to 512"),
                },
                _ => suite.timestep = Some(parse_timestep(rest)?),
            }
        }
        if suite.challenge_len == 0 {
            return err(OcraPart::Challenge, "the challenge Q is required");
        }
        Ok(suite)
    }

    fn parse_challenge(&mut self, rest: &str) -> Result<(), OcraError> {
        let part = OcraPart::Challenge;
        let mut chars = rest.chars();
        self.challenge = match chars.next() {
            Some('A') => ChallengeFormat::Alphanumeric,
            Some('N') => ChallengeFormat::Numeric,
            Some('H') => ChallengeFormat::Hex,
            _ => return err(part, "format must be A, N or H"),
        };
        match fixed_digits(chars.as_str(), 2) {
            Some(n @ 4..=64) => self.challenge_len = n as u8,
            _ => return err(part, "length must be two digits, 04 to 64"),
        }
        Ok(())
    }

    /// Checks a challenge a user typed: at most the suite's length, in its format.
    pub fn check_question(&self, q: &str) -> Result<(), OcraError> {
        let part = OcraPart::Challenge;
        let len = q.chars().count();
        if len == 0 || len > usize::from(self.challenge_len) {
            return err(part, "question length outside 1..the suite's maximum");
        }
        let ok = match self.challenge {
            ChallengeFormat::Numeric => q.bytes().all(|b| b.is_ascii_digit()),
            ChallengeFormat::Hex => q.bytes().all(|b| b.is_ascii_hexdigit()),
            ChallengeFormat::Alphanumeric => q.bytes().all(|b| b.is_ascii_alphanumeric()),
        };
        if ok {
            Ok(())
        } else {
            err(part, "question has characters outside the suite's format")
        }
    }

    /// The number of time steps at `unix_seconds` (T, §5.1), if the suite has T.
    pub fn time_steps(&self, unix_seconds: u64) -> Option<u64> {
        self.timestep
            .filter(|s| *s > 0)
            .map(|s| unix_seconds / u64::from(s))
    }
}

/// `T`: `[1-59]S`, `[1-59]M` or `[1-48]H` (§6.3; a step of 0 is refused).
fn parse_timestep(rest: &str) -> Result<u32, OcraError> {
    let part = OcraPart::Timestamp;
    let Some(unit) = rest.chars().last() else {
        return err(part, "missing step, e.g. T1M");
    };
    let n = small_number(&rest[..rest.len() - unit.len_utf8()]);
    match (unit, n) {
        ('S', Some(n @ 1..=59)) => Ok(n),
        ('M', Some(n @ 1..=59)) => Ok(n * 60),
        ('H', Some(n @ 1..=48)) => Ok(n * 3600),
        ('S' | 'M' | 'H', _) => err(part, "step out of range (1-59 S/M, 1-48 H)"),
        _ => err(part, "unit must be S, M or H"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part_of(s: &str) -> OcraPart {
        match OcraSuite::parse(s) {
            Ok(_) => panic!("{s} should be refused"),
            Err(e) => e.part,
        }
    }

    #[test]
    fn valid_suites() {
        let s = OcraSuite::parse("OCRA-1:HOTP-SHA1-6:QN08").expect("suite");
        assert_eq!((s.hash, s.digits, s.counter), (Algorithm::Sha1, 6, false));
        assert_eq!(
            (s.challenge, s.challenge_len),
            (ChallengeFormat::Numeric, 8)
        );
        assert_eq!(s.to_string(), "OCRA-1:HOTP-SHA1-6:QN08");
        assert!(s.check_question("12345678").is_ok());
        assert!(s.check_question("123456789").is_err());
        assert!(s.check_question("1234567a").is_err());
        assert!(s.check_question("").is_err());

        let s = OcraSuite::parse("OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1").expect("suite");
        assert!(s.counter);
        assert_eq!(s.pin, Some(Algorithm::Sha1));

        let s = OcraSuite::parse("OCRA-1:HOTP-SHA512-8:QN08-T1M").expect("suite");
        assert_eq!(s.timestep, Some(60));
        assert_eq!(s.time_steps(120), Some(2));

        let s = OcraSuite::parse("OCRA-1:HOTP-SHA512-0:C-QH64-PSHA512-S064-T48H").expect("suite");
        assert_eq!(s.digits, 0);
        assert_eq!(s.challenge, ChallengeFormat::Hex);
        assert_eq!(s.session, Some(64));
        assert_eq!(s.timestep, Some(48 * 3600));

        let s = OcraSuite::parse("OCRA-1:HOTP-SHA256-10:QA04-S512-T30S").expect("suite");
        assert_eq!(
            (s.digits, s.challenge_len, s.session, s.timestep),
            (10, 4, Some(512), Some(30))
        );
    }

    #[test]
    fn invalid_suites_name_the_part() {
        assert_eq!(part_of(""), OcraPart::Suite);
        assert_eq!(part_of("OCRA-1:HOTP-SHA1-6"), OcraPart::Suite);
        assert_eq!(part_of("OCRA-1:HOTP-SHA1-6:QN08:x"), OcraPart::Suite);
        assert_eq!(part_of("OCRA-2:HOTP-SHA1-6:QN08"), OcraPart::Version);
        assert_eq!(part_of("OCRA-1:TOTP-SHA1-6:QN08"), OcraPart::CryptoFunction);
        assert_eq!(part_of("OCRA-1:HOTP-MD5-6:QN08"), OcraPart::CryptoFunction);
        assert_eq!(part_of("OCRA-1:HOTP-sha1-6:QN08"), OcraPart::CryptoFunction);
        assert_eq!(part_of("OCRA-1:HOTP-SHA1-3:QN08"), OcraPart::Truncation);
        assert_eq!(part_of("OCRA-1:HOTP-SHA1-11:QN08"), OcraPart::Truncation);
        assert_eq!(part_of("OCRA-1:HOTP-SHA1-6:QN03"), OcraPart::Challenge);
        assert_eq!(part_of("OCRA-1:HOTP-SHA1-6:QN65"), OcraPart::Challenge);
        assert_eq!(part_of("OCRA-1:HOTP-SHA1-6:QN8"), OcraPart::Challenge);
        assert_eq!(part_of("OCRA-1:HOTP-SHA1-6:QX08"), OcraPart::Challenge);
        assert_eq!(part_of("OCRA-1:HOTP-SHA1-6:C"), OcraPart::Challenge);
        assert_eq!(part_of("OCRA-1:HOTP-SHA1-6:QN08-C"), OcraPart::Counter);
        assert_eq!(part_of("OCRA-1:HOTP-SHA1-6:C1-QN08"), OcraPart::Counter);
        assert_eq!(part_of("OCRA-1:HOTP-SHA1-6:QN08-PMD5"), OcraPart::Pin);
        assert_eq!(part_of("OCRA-1:HOTP-SHA1-6:QN08-S64"), OcraPart::Session);
        assert_eq!(part_of("OCRA-1:HOTP-SHA1-6:QN08-S000"), OcraPart::Session);
        assert_eq!(part_of("OCRA-1:HOTP-SHA1-6:QN08-T60S"), OcraPart::Timestamp);
        assert_eq!(part_of("OCRA-1:HOTP-SHA1-6:QN08-T49H"), OcraPart::Timestamp);
        assert_eq!(part_of("OCRA-1:HOTP-SHA1-6:QN08-T0H"), OcraPart::Timestamp);
        assert_eq!(part_of("OCRA-1:HOTP-SHA1-6:QN08-T1D"), OcraPart::Timestamp);
        assert_eq!(part_of("OCRA-1:HOTP-SHA1-6:QN08-T"), OcraPart::Timestamp);
        assert_eq!(
            part_of("OCRA-1:HOTP-SHA1-6:QN08-T1M-S064"),
            OcraPart::Session
        );
        assert_eq!(part_of("OCRA-1:HOTP-SHA1-6:QN08-QN08"), OcraPart::Challenge);
        assert_eq!(part_of("OCRA-1:HOTP-SHA1-6:QN08-X"), OcraPart::Challenge);
        assert_eq!(part_of("OCRA-1:HOTP-SHA1-6:QN08-Té"), OcraPart::Timestamp);
    }
}
