//! PIN policy: what a new PIN must satisfy, checked in the popup before anything
//! is sent and again by the host. Card limits (ACA GET PIN PROPERTIES,
//! crescendo-apdu.md §3.4) always win over a stored policy; force-change,
//! weak-PIN control and the challenge type are middleware policies (§3.9).

use serde::{Deserialize, Serialize};

/// Allowed characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Charset {
    /// Digits only.
    Numeric,
    /// Printable ASCII.
    Alphanumeric,
}

/// How the unblock challenge is produced for the helpdesk path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChallengeType {
    /// A fresh challenge each time (GET CHALLENGE).
    Dynamic,
    /// The same challenge until it is answered (kept by the host).
    Static,
}

/// A stored PIN policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinPolicy {
    /// Minimum length.
    pub min_len: u8,
    /// Maximum length.
    pub max_len: u8,
    /// Allowed characters.
    pub charset: Charset,
    /// The PIN must be changed before anything else.
    pub force_change: bool,
    /// Unblock challenge type.
    pub challenge: ChallengeType,
    /// Refuse PINs whose characters step by a constant (1111, 1234, 4321, 86420, ABCD, acegik).
    pub refuse_weak: bool,
    /// PIV and FIDO share the PIN (set during Personalize only).
    pub fido_shared: bool,
}

/// Card limits from the token itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardLimits {
    /// Minimum length.
    pub min_len: u8,
    /// Maximum length.
    pub max_len: u8,
    /// Digits only.
    pub numeric_only: bool,
}

/// Why a new PIN is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Violation {
    /// Shorter than the minimum.
    TooShort,
    /// Longer than the maximum.
    TooLong,
    /// Characters other than digits where only digits are allowed.
    NotNumeric,
    /// Characters outside printable ASCII.
    BadCharacters,
    /// A weak PIN (constant step between characters).
    Weak,
    /// The new PIN equals the current one.
    Unchanged,
}

impl PinPolicy {
    /// The policy a token starts with: its own limits, nothing more.
    pub fn from_limits(limits: CardLimits) -> PinPolicy {
        PinPolicy {
            min_len: limits.min_len,
            max_len: limits.max_len,
            charset: if limits.numeric_only {
                Charset::Numeric
            } else {
                Charset::Alphanumeric
            },
            force_change: false,
            challenge: ChallengeType::Dynamic,
            refuse_weak: false,
            fido_shared: false,
        }
    }

    /// The policy in force: this one narrowed by the card's limits.
    pub fn effective(&self, limits: CardLimits) -> PinPolicy {
        let mut p = self.clone();
        p.min_len = p.min_len.clamp(limits.min_len, limits.max_len);
        p.max_len = p.max_len.clamp(p.min_len, limits.max_len);
        if limits.numeric_only {
            p.charset = Charset::Numeric;
        }
        p
    }

    /// Every rule `new` breaks (empty = acceptable).
    pub fn check(&self, new: &str, current: Option<&str>) -> Vec<Violation> {
        let mut v = vec![];
        let len = new.chars().count();
        if len < usize::from(self.min_len) {
            v.push(Violation::TooShort);
        }
        if len > usize::from(self.max_len) {
            v.push(Violation::TooLong);
        }
        if !new.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
            v.push(Violation::BadCharacters);
        } else if self.charset == Charset::Numeric && !new.chars().all(|c| c.is_ascii_digit()) {
            v.push(Violation::NotNumeric);
        }
        if self.refuse_weak && is_weak(new) {
            v.push(Violation::Weak);
        }
        if current == Some(new) {
            v.push(Violation::Unchanged);
        }
        v
    }
}

/// A PIN whose consecutive characters differ by one constant step (including
/// 0: repeated characters): 1111, 1234, 4321, 86420, ABCD, acegik.
pub fn is_weak(pin: &str) -> bool {
    let codes: Vec<i32> = pin.chars().map(|c| c as i32).collect();
    if codes.len() < 2 {
        return true;
    }
    let step = codes[1] - codes[0];
    codes.windows(2).all(|w| w[1] - w[0] == step)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CRESCENDO: CardLimits = CardLimits {
        min_len: 4,
        max_len: 8,
        numeric_only: true,
    };

    #[test]
    fn weak_pins_from_the_issue() {
        for weak in ["1111", "1234", "4321", "86420", "ABCD", "acegik"] {
            assert!(is_weak(weak), "{weak}");
        }
        for ok in ["1357913", "2580", "19730614", "aceg1k"] {
            assert!(!is_weak(ok), "{ok}");
        }
    }

    #[test]
    fn checks_every_rule() {
        let mut p = PinPolicy::from_limits(CRESCENDO);
        p.refuse_weak = true;
        assert_eq!(p.check("2580", None), vec![]);
        assert_eq!(
            p.check("123", None),
            vec![Violation::TooShort, Violation::Weak]
        );
        assert_eq!(
            p.check("123456789", None),
            vec![Violation::TooLong, Violation::Weak]
        );
        assert_eq!(p.check("12a4", None), vec![Violation::NotNumeric]);
        assert_eq!(p.check("25é0", None), vec![Violation::BadCharacters]);
        assert_eq!(p.check("2580", Some("2580")), vec![Violation::Unchanged]);
    }

    #[test]
    fn card_limits_win() {
        let stored = PinPolicy {
            min_len: 2,
            max_len: 12,
            charset: Charset::Alphanumeric,
            ..PinPolicy::from_limits(CRESCENDO)
        };
        let e = stored.effective(CRESCENDO);
        assert_eq!((e.min_len, e.max_len, e.charset), (4, 8, Charset::Numeric));
        let narrower = PinPolicy {
            min_len: 6,
            ..PinPolicy::from_limits(CRESCENDO)
        };
        assert_eq!(narrower.effective(CRESCENDO).min_len, 6);
    }
}
