//! Credential ids `[<period>/][<issuer>:]<account>` (ykman's convention,
//! protocols.md §1.10).

use super::OathType;

/// TOTP period when the id has no `period/` prefix.
pub const DEFAULT_PERIOD: u32 = 30;

/// A credential id taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialId {
    /// Issuer, if any.
    pub issuer: Option<String>,
    /// Account name.
    pub name: String,
    /// TOTP period in seconds (30 unless prefixed); 0 for HOTP.
    pub period: u32,
}

impl CredentialId {
    /// Parses an id. TOTP follows `^((\d+)/)?(([^:]+):)?(.+)$`; HOTP splits on
    /// the first `:` unless the id starts with one.
    pub fn parse(id: &[u8], oath_type: OathType) -> CredentialId {
        let data = String::from_utf8_lossy(id).into_owned();
        if oath_type != OathType::Totp {
            return match data.split_once(':') {
                Some((issuer, name)) if !issuer.is_empty() => CredentialId {
                    issuer: Some(issuer.to_owned()),
                    name: name.to_owned(),
                    period: 0,
                },
                _ => CredentialId {
                    issuer: None,
                    name: data,
                    period: 0,
                },
            };
        }
        let (period, rest) = match data.split_once('/') {
            Some((digits, rest))
                if !digits.is_empty()
                    && digits.bytes().all(|b| b.is_ascii_digit())
                    && !rest.is_empty() =>
            {
                match digits.parse() {
                    Ok(p) => (p, rest),
                    Err(_) => (DEFAULT_PERIOD, data.as_str()),
                }
            }
            _ => (DEFAULT_PERIOD, data.as_str()),
        };
        let (issuer, name) = match rest.split_once(':') {
            Some((issuer, name)) if !issuer.is_empty() && !name.is_empty() => {
                (Some(issuer.to_owned()), name.to_owned())
            }
            _ => (None, rest.to_owned()),
        };
        CredentialId {
            issuer,
            name,
            period,
        }
    }

    /// Formats an id; the period prefix only for TOTP with a period ≠ 30.
    pub fn format(&self, oath_type: OathType) -> Vec<u8> {
        let mut s = String::new();
        if oath_type == OathType::Totp && self.period != DEFAULT_PERIOD {
            s.push_str(&format!("{}/", self.period));
        }
        if let Some(issuer) = &self.issuer {
            s.push_str(issuer);
            s.push(':');
        }
        s.push_str(&self.name);
        s.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(id: &str) -> (Option<String>, String, u32) {
        let c = CredentialId::parse(id.as_bytes(), OathType::Totp);
        (c.issuer, c.name, c.period)
    }

    #[test]
    fn ykman_id_conventions() {
        // The cases of ykman's tests/test_oath.py (3rd-party; protocols.md §1.10).
        assert_eq!(
            parse("20/Issuer:name"),
            (Some("Issuer".into()), "name".into(), 20)
        );
        assert_eq!(
            parse("weird/Issuer:name"),
            (Some("weird/Issuer".into()), "name".into(), 30)
        );
        assert_eq!(
            parse("Issuer:name"),
            (Some("Issuer".into()), "name".into(), 30)
        );
        assert_eq!(parse("20/name"), (None, "name".into(), 20));
        assert_eq!(parse("name"), (None, "name".into(), 30));
        assert_eq!(
            parse("60/ACME:alice"),
            (Some("ACME".into()), "alice".into(), 60)
        );
        // Regex edge cases: nothing after the prefix or the colon.
        assert_eq!(parse("20/"), (None, "20/".into(), 30));
        assert_eq!(parse("Issuer:"), (None, "Issuer:".into(), 30));
        assert_eq!(parse(":name"), (None, ":name".into(), 30));
        let hotp = CredentialId::parse(b"Issuer:a:b", OathType::Hotp);
        assert_eq!(
            (hotp.issuer.as_deref(), hotp.name.as_str()),
            (Some("Issuer"), "a:b")
        );
        let hotp = CredentialId::parse(b":name", OathType::Hotp);
        assert_eq!((hotp.issuer, hotp.name.as_str()), (None, ":name"));
    }

    #[test]
    fn format_round_trips() {
        let id = |issuer: Option<&str>, period| CredentialId {
            issuer: issuer.map(str::to_owned),
            name: "name".into(),
            period,
        };
        assert_eq!(id(None, 30).format(OathType::Totp), b"name");
        assert_eq!(
            id(Some("Issuer"), 30).format(OathType::Totp),
            b"Issuer:name"
        );
        assert_eq!(
            id(Some("Issuer"), 20).format(OathType::Totp),
            b"20/Issuer:name"
        );
        assert_eq!(id(None, 20).format(OathType::Totp), b"20/name");
        assert_eq!(id(Some("Issuer"), 0).format(OathType::Hotp), b"Issuer:name");
    }
}
