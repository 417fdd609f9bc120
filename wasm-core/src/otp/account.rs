//! The OTP account model: what one enrollment holds, whatever format it came
//! in (otpauth URI, Google Authenticator export, typed by hand) and whatever
//! token it goes to.
//!
//! HOTP is RFC 4226, TOTP RFC 6238, OCRA RFC 6287. Digits 6/7/8 follow the
//! Key Uri Format (protocols.md §6.1: Google supports 6 and 8, Yubico also 7);
//! an OCRA account takes its algorithm and digits from its suite.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use zeroize::Zeroizing;

use super::ocra::OcraSuite;

/// Which OTP algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OtpKind {
    /// Counter based (RFC 4226).
    Hotp,
    /// Time based (RFC 6238).
    Totp,
    /// Challenge-response (RFC 6287).
    Ocra,
}

impl OtpKind {
    /// The lowercase name used in otpauth URIs ("hotp", "totp") and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            OtpKind::Hotp => "hotp",
            OtpKind::Totp => "totp",
            OtpKind::Ocra => "ocra",
        }
    }
}

/// The HMAC hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Algorithm {
    /// HMAC-SHA1 (the default everywhere).
    Sha1,
    /// HMAC-SHA256.
    Sha256,
    /// HMAC-SHA512.
    Sha512,
}

impl Algorithm {
    /// The name as otpauth URIs and OCRA suites spell it ("SHA1").
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }

    /// Parses "SHA1" / "SHA256" / "SHA512", any case.
    pub fn parse(s: &str) -> Option<Algorithm> {
        [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512]
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s))
    }

    /// The digest length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 => 32,
            Algorithm::Sha512 => 64,
        }
    }
}

/// The shared secret (raw key bytes): zeroized on drop, never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct OtpSecret(Zeroizing<Vec<u8>>);

impl OtpSecret {
    /// Wraps key bytes.
    pub fn new(bytes: Vec<u8>) -> OtpSecret {
        OtpSecret(Zeroizing::new(bytes))
    }

    /// The key bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// No key bytes at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for OtpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OtpSecret(***)")
    }
}

/// Default TOTP step (RFC 6238 §4.1 "X", 30 s).
pub const DEFAULT_PERIOD: u32 = 30;

/// One OTP account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// HOTP, TOTP or OCRA.
    pub kind: OtpKind,
    /// HMAC hash (for OCRA: the suite's).
    pub algorithm: Algorithm,
    /// Code length: 6, 7 or 8 (for OCRA: the suite's truncation, 0 or 4–10).
    pub digits: u8,
    /// TOTP step in seconds (ignored for HOTP and OCRA).
    pub period: u32,
    /// HOTP moving factor / OCRA counter (ignored for TOTP).
    pub counter: u64,
    /// Who issued it ("ACME Co"), if known.
    pub issuer: Option<String>,
    /// The account name ("alice@example.com").
    pub name: String,
    /// The OCRA suite (OCRA accounts only).
    pub ocra_suite: Option<OcraSuite>,
    /// The shared key.
    pub secret: OtpSecret,
}

/// Why an account is not consistent. Each names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "field", rename_all = "snake_case")]
pub enum AccountError {
    /// `secret`: no key bytes.
    #[error("secret: empty")]
    Secret,
    /// `name`: empty (an account needs a name to be told apart).
    #[error("name: empty")]
    Name,
    /// `digits`: not 6, 7 or 8 (or, for OCRA, not the suite's).
    #[error("digits: {digits} is not allowed (6, 7 or 8)")]
    Digits {
        /// The value given.
        digits: u8,
    },
    /// `period`: zero.
    #[error("period: must be at least 1 second")]
    Period,
    /// `ocra_suite`: missing for OCRA, present for HOTP/TOTP, or disagreeing
    /// with `algorithm`/`digits`.
    #[error("ocra_suite: {reason}")]
    OcraSuite {
        /// What is wrong.
        reason: &'static str,
    },
}

impl Account {
    /// A TOTP account with the defaults (SHA1, 6 digits, 30 s).
    pub fn totp(issuer: Option<String>, name: impl Into<String>, secret: OtpSecret) -> Account {
        Account {
            kind: OtpKind::Totp,
            algorithm: Algorithm::Sha1,
            digits: 6,
            period: DEFAULT_PERIOD,
            counter: 0,
            issuer,
            name: name.into(),
            ocra_suite: None,
            secret,
        }
    }

    /// An HOTP account with the defaults (SHA1, 6 digits) at `counter`.
    pub fn hotp(
        issuer: Option<String>,
        name: impl Into<String>,
        secret: OtpSecret,
        counter: u64,
    ) -> Account {
        Account {
            kind: OtpKind::Hotp,
            counter,
            ..Account::totp(issuer, name, secret)
        }
    }

    /// An OCRA account: algorithm and digits come from the suite.
    pub fn ocra(
        issuer: Option<String>,
        name: impl Into<String>,
        secret: OtpSecret,
        suite: OcraSuite,
    ) -> Account {
        Account {
            kind: OtpKind::Ocra,
            algorithm: suite.hash,
            digits: suite.digits,
            ocra_suite: Some(suite),
            ..Account::totp(issuer, name, secret)
        }
    }

    /// Checks the fields agree with each other; the first problem found.
    pub fn check(&self) -> Result<(), AccountError> {
        if self.secret.is_empty() {
            return Err(AccountError::Secret);
        }
        if self.name.trim().is_empty() {
            return Err(AccountError::Name);
        }
        match (self.kind, &self.ocra_suite) {
            (OtpKind::Ocra, None) => Err(AccountError::OcraSuite {
                reason: "required for an OCRA account",
            }),
            (OtpKind::Ocra, Some(s)) if s.hash != self.algorithm => Err(AccountError::OcraSuite {
                reason: "its hash differs from the account's algorithm",
            }),
            (OtpKind::Ocra, Some(s)) if s.digits != self.digits => Err(AccountError::OcraSuite {
                reason: "its truncation differs from the account's digits",
            }),
            (OtpKind::Ocra, Some(_)) => Ok(()),
            (_, Some(_)) => Err(AccountError::OcraSuite {
                reason: "only OCRA accounts have a suite",
            }),
            (_, None) if !(6..=8).contains(&self.digits) => Err(AccountError::Digits {
                digits: self.digits,
            }),
            (OtpKind::Totp, None) if self.period == 0 => Err(AccountError::Period),
            _ => Ok(()),
        }
    }

    /// "Issuer:name", or the name alone (the usual display and credential label).
    pub fn label(&self) -> String {
        match &self.issuer {
            Some(i) if !i.is_empty() => format!("{i}:{}", self.name),
            _ => self.name.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> OtpSecret {
        OtpSecret::new(b"12345678901234567890".to_vec())
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let a = Account::totp(Some("ACME".into()), "alice", secret());
        let dbg = format!("{a:?}");
        assert!(dbg.contains("OtpSecret(***)"), "{dbg}");
        assert!(!dbg.contains("49, 50"), "{dbg}");
        assert!(!dbg.contains("1234"), "{dbg}");
    }

    #[test]
    fn check_names_the_field() {
        let mut a = Account::totp(None, "alice", secret());
        assert_eq!(a.check(), Ok(()));
        a.digits = 9;
        assert_eq!(a.check(), Err(AccountError::Digits { digits: 9 }));
        assert!(a
            .check()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
            .starts_with("digits:"));
        a.digits = 7;
        a.period = 0;
        assert_eq!(a.check(), Err(AccountError::Period));
        let b = Account::totp(None, " ", secret());
        assert_eq!(b.check(), Err(AccountError::Name));
        let c = Account::hotp(None, "x", OtpSecret::new(vec![]), 0);
        assert_eq!(c.check(), Err(AccountError::Secret));
    }

    #[test]
    fn ocra_takes_algorithm_and_digits_from_its_suite() {
        let suite = OcraSuite::parse("OCRA-1:HOTP-SHA256-8:QN08-PSHA1").expect("suite");
        let mut a = Account::ocra(None, "bank", secret(), suite);
        assert_eq!((a.algorithm, a.digits), (Algorithm::Sha256, 8));
        assert_eq!(a.check(), Ok(()));
        a.algorithm = Algorithm::Sha1;
        assert!(matches!(a.check(), Err(AccountError::OcraSuite { .. })));
        a.kind = OtpKind::Totp;
        assert!(matches!(a.check(), Err(AccountError::OcraSuite { .. })));
    }

    #[test]
    fn label_and_algorithm_names() {
        assert_eq!(
            Account::totp(Some("A".into()), "b", secret()).label(),
            "A:b"
        );
        assert_eq!(Account::totp(None, "b", secret()).label(), "b");
        assert_eq!(Algorithm::parse("sha512"), Some(Algorithm::Sha512));
        assert_eq!(Algorithm::parse("MD5"), None);
    }
}
