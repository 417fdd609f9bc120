//! Whether an account can be written to a token, and if not, every reason.
//!
//! Crescendo Key OATH slots (crescendo-apdu.md §5.1–5.2): slot 1 is HOTP only
//! (the button slot); slots 2 and 3 take HOTP or TOTP, and OCRA (Crescendo
//! Manager's "OATH Challenge-Response"; which instance holds it is not
//! documented, slots 2–3 assumed). SHA-1/256/512; 6, 8 or 10 digits; keys up
//! to 128 bytes; the time step is one config byte (inferred), so 1–255 s.
//!
//! YKOATH (protocols.md §1.4, §1.10): HOTP and TOTP, no OCRA; SHA-1/256/512
//! (SHA-512 needs firmware 4.3.1); 6–8 digits as ykman writes them; the
//! credential id `[period/][issuer:]account` at most 64 bytes; secrets of at
//! least 2 bytes; the HOTP initial counter is a u32.

use serde::Serialize;

use super::account::{Account, Algorithm, OtpKind, DEFAULT_PERIOD};

/// Where the account would go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "token", rename_all = "snake_case")]
pub enum TokenKind {
    /// A Crescendo Key OATH slot, 1–3.
    CrescendoSlot {
        /// Slot number (1 = the HOTP button slot).
        slot: u8,
    },
    /// A YKOATH applet (YubiKey, Nitrokey, …).
    Ykoath,
}

/// One reason an account does not fit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Misfit {
    /// No such slot.
    NoSuchSlot {
        /// The slot asked for.
        slot: u8,
    },
    /// The token (or this slot) does not do this kind of OTP.
    Kind {
        /// The account's kind.
        kind: OtpKind,
        /// Kinds the slot takes.
        supported: Vec<OtpKind>,
    },
    /// The algorithm is not supported.
    Algorithm {
        /// The account's.
        algorithm: Algorithm,
    },
    /// The number of digits is not supported.
    Digits {
        /// The account's.
        digits: u8,
        /// What the token takes.
        supported: Vec<u8>,
    },
    /// The TOTP period cannot be stored.
    Period {
        /// The account's.
        period: u32,
        /// The largest the token takes.
        max: u32,
    },
    /// The secret is too short or too long.
    SecretLength {
        /// The account's, in bytes.
        len: usize,
        /// Smallest accepted.
        min: usize,
        /// Largest accepted.
        max: usize,
    },
    /// The credential name is too long.
    NameTooLong {
        /// Bytes needed.
        len: usize,
        /// Bytes allowed.
        max: usize,
    },
    /// The initial counter is too large.
    Counter {
        /// The account's.
        counter: u64,
        /// The largest the token takes.
        max: u64,
    },
}

/// Every reason `account` does not fit `token` (empty: it fits).
pub fn fits(account: &Account, token: TokenKind) -> Vec<Misfit> {
    match token {
        TokenKind::CrescendoSlot { slot } => crescendo(account, slot),
        TokenKind::Ykoath => ykoath(account),
    }
}

fn crescendo(a: &Account, slot: u8) -> Vec<Misfit> {
    let supported = match slot {
        1 => vec![OtpKind::Hotp],
        2 | 3 => vec![OtpKind::Hotp, OtpKind::Totp, OtpKind::Ocra],
        _ => return vec![Misfit::NoSuchSlot { slot }],
    };
    let mut out = Vec::new();
    if !supported.contains(&a.kind) {
        out.push(Misfit::Kind {
            kind: a.kind,
            supported,
        });
    }
    if ![6, 8, 10].contains(&a.digits) {
        out.push(Misfit::Digits {
            digits: a.digits,
            supported: vec![6, 8, 10],
        });
    }
    if a.kind == OtpKind::Totp && a.period > 255 {
        out.push(Misfit::Period {
            period: a.period,
            max: 255,
        });
    }
    if a.secret.is_empty() || a.secret.len() > 128 {
        out.push(Misfit::SecretLength {
            len: a.secret.len(),
            min: 1,
            max: 128,
        });
    }
    out
}

/// The YKOATH credential id ykman writes (protocols.md §1.10).
pub fn ykoath_id(a: &Account) -> String {
    let mut id = String::new();
    if a.kind == OtpKind::Totp && a.period != DEFAULT_PERIOD {
        id.push_str(&format!("{}/", a.period));
    }
    id.push_str(&a.label());
    id
}

fn ykoath(a: &Account) -> Vec<Misfit> {
    let mut out = Vec::new();
    if a.kind == OtpKind::Ocra {
        out.push(Misfit::Kind {
            kind: a.kind,
            supported: vec![OtpKind::Hotp, OtpKind::Totp],
        });
    }
    if !(6..=8).contains(&a.digits) {
        out.push(Misfit::Digits {
            digits: a.digits,
            supported: vec![6, 7, 8],
        });
    }
    if a.secret.len() < 2 {
        out.push(Misfit::SecretLength {
            len: a.secret.len(),
            min: 2,
            max: usize::MAX,
        });
    }
    let len = ykoath_id(a).len();
    if len > 64 {
        out.push(Misfit::NameTooLong { len, max: 64 });
    }
    if a.kind == OtpKind::Hotp && a.counter > u64::from(u32::MAX) {
        out.push(Misfit::Counter {
            counter: a.counter,
            max: u64::from(u32::MAX),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otp::account::OtpSecret;
    use crate::otp::ocra::OcraSuite;

    fn key(n: usize) -> OtpSecret {
        OtpSecret::new(vec![7; n])
    }

    #[test]
    fn crescendo_slots() {
        let totp = Account::totp(Some("ACME".into()), "alice", key(20));
        let hotp = Account::hotp(None, "bob", key(20), 0);
        assert!(fits(&hotp, TokenKind::CrescendoSlot { slot: 1 }).is_empty());
        assert!(fits(&totp, TokenKind::CrescendoSlot { slot: 2 }).is_empty());
        assert!(matches!(
            fits(&totp, TokenKind::CrescendoSlot { slot: 1 })[..],
            [Misfit::Kind {
                kind: OtpKind::Totp,
                ..
            }]
        ));
        assert_eq!(
            fits(&totp, TokenKind::CrescendoSlot { slot: 4 }),
            vec![Misfit::NoSuchSlot { slot: 4 }]
        );
        let mut odd = totp.clone();
        odd.digits = 7;
        odd.period = 300;
        odd.secret = key(129);
        odd.algorithm = Algorithm::Sha512;
        let why = fits(&odd, TokenKind::CrescendoSlot { slot: 3 });
        assert_eq!(why.len(), 3, "{why:?}");
        let suite = OcraSuite::parse("OCRA-1:HOTP-SHA1-6:QN08").expect("suite");
        let ocra = Account::ocra(None, "bank", key(20), suite);
        assert!(fits(&ocra, TokenKind::CrescendoSlot { slot: 2 }).is_empty());
        assert!(!fits(&ocra, TokenKind::CrescendoSlot { slot: 1 }).is_empty());
    }

    #[test]
    fn ykoath_limits() {
        let mut a = Account::totp(Some("ACME".into()), "alice", key(20));
        assert!(fits(&a, TokenKind::Ykoath).is_empty());
        a.period = 60;
        assert_eq!(ykoath_id(&a), "60/ACME:alice");
        a.name = "x".repeat(58);
        assert_eq!(
            fits(&a, TokenKind::Ykoath),
            vec![Misfit::NameTooLong { len: 66, max: 64 }]
        );
        let mut h = Account::hotp(None, "c", key(1), u64::from(u32::MAX) + 1);
        h.digits = 7;
        assert_eq!(fits(&h, TokenKind::Ykoath).len(), 2);
        let suite = OcraSuite::parse("OCRA-1:HOTP-SHA1-6:QN08").expect("suite");
        let ocra = Account::ocra(None, "bank", key(20), suite);
        assert!(matches!(
            fits(&ocra, TokenKind::Ykoath)[..],
            [Misfit::Kind { .. }]
        ));
    }
}
