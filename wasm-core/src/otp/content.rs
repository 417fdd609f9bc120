//! What a scanned QR code holds, for any text: an OTP enrollment
//! (`otpauth://`, `otpauth-migration://`), or something else with an
//! explanation code the popup turns into words. Never a silent failure.

use serde::Serialize;

use super::migration::{parse_migration, MigrationBatch, MigrationError};
use super::uri::{parse_uri, strip_scheme, ParsedUri, UriError, UriField};

/// Why QR text is not an enrollment this extension can use. The serialized
/// `code` is the `_locales` key suffix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Explanation {
    /// Nothing (or only whitespace).
    Empty,
    /// A web address: a link to open, not an OTP enrollment.
    WebLink {
        /// The host, to show which site it points to.
        host: String,
    },
    /// Microsoft Authenticator pairing (`phonefactor://`, `msauth://`): a push
    /// sign-in set-up for that app, with no OTP secret in it.
    MicrosoftPairing,
    /// Another app's pairing code (Duo, Okta Verify, LastPass, …).
    AppPairing {
        /// The URI scheme.
        scheme: String,
    },
    /// An otpauth URI without a secret: some services (and app-pairing flows)
    /// use it to hand over an account that only their own app can complete.
    OtpauthWithoutSecret,
    /// A JSON document (some enterprise apps pair with one).
    Json,
    /// Some other URI scheme.
    OtherScheme {
        /// The scheme.
        scheme: String,
    },
    /// Plain text (a bare secret may be typed into the manual form instead).
    PlainText,
}

/// The classification of one QR text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QrContent {
    /// One account.
    Otpauth(ParsedUri),
    /// A Google Authenticator export code.
    Migration(MigrationBatch),
    /// An otpauth URI that is malformed.
    BadOtpauth(UriError),
    /// An export code that is malformed.
    BadMigration(MigrationError),
    /// Not an enrollment.
    NotEnrollment(Explanation),
}

/// Schemes of authenticator apps' own pairing codes.
const APP_SCHEMES: [&str; 6] = [
    "duo",
    "okta",
    "oktaverify",
    "lastpass",
    "otpauth-lp",
    "authy",
];

/// The URI scheme of `text`, lowercase, if it has a well-formed one.
fn scheme_of(text: &str) -> Option<String> {
    let (scheme, _) = text.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then(|| scheme.to_ascii_lowercase())
}

/// Classifies QR text.
pub fn classify(text: &str) -> QrContent {
    let t = text.trim();
    if t.is_empty() {
        return QrContent::NotEnrollment(Explanation::Empty);
    }
    if strip_scheme(t, "otpauth://").is_some() {
        return match parse_uri(t) {
            Ok(p) => QrContent::Otpauth(p),
            Err(UriError::Missing {
                field: UriField::Secret,
            }) => QrContent::NotEnrollment(Explanation::OtpauthWithoutSecret),
            Err(e) => QrContent::BadOtpauth(e),
        };
    }
    if strip_scheme(t, "otpauth-migration://").is_some() {
        return match parse_migration(t) {
            Ok(b) => QrContent::Migration(b),
            Err(e) => QrContent::BadMigration(e),
        };
    }
    if t.starts_with('{')
        && t.ends_with('}')
        && serde_json::from_str::<serde_json::Value>(t).is_ok()
    {
        return QrContent::NotEnrollment(Explanation::Json);
    }
    let explanation = match scheme_of(t) {
        Some(s) if s == "http" || s == "https" => Explanation::WebLink { host: host_of(t) },
        Some(s) if s == "phonefactor" || s == "msauth" => Explanation::MicrosoftPairing,
        Some(s) if APP_SCHEMES.contains(&s.as_str()) => Explanation::AppPairing { scheme: s },
        // "host:port" or "note: text" are not schemes worth naming.
        Some(s) if t[s.len() + 1..].starts_with("//") => Explanation::OtherScheme { scheme: s },
        _ => Explanation::PlainText,
    };
    QrContent::NotEnrollment(explanation)
}

/// The host of an http(s) URL (lowercase, no userinfo or port).
fn host_of(url: &str) -> String {
    let rest = url.split_once("//").map_or("", |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host.starts_with('[') {
        host.split_inclusive(']').next().unwrap_or(host)
    } else {
        host.split(':').next().unwrap_or(host)
    };
    host.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn explained(text: &str) -> Explanation {
        match classify(text) {
            QrContent::NotEnrollment(e) => e,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn enrollments() {
        assert!(matches!(
            classify(" otpauth://totp/a?secret=JBSWY3DPEHPK3PXP \n"),
            QrContent::Otpauth(_)
        ));
        assert!(matches!(
            classify("otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&digits=12"),
            QrContent::BadOtpauth(UriError::Value {
                field: UriField::Digits,
                ..
            })
        ));
        assert!(matches!(
            classify("otpauth-migration://offline?data=Ci4K"),
            QrContent::BadMigration(MigrationError::Protobuf { .. })
        ));
        assert!(matches!(
            classify("otpauth-migration://offline?data=EAEYASAAKAE%3D"),
            QrContent::Migration(_)
        ));
    }

    #[test]
    fn everything_else_is_explained() {
        assert_eq!(explained("   "), Explanation::Empty);
        assert_eq!(
            explained("https://User@Example.com:8443/login?x=1"),
            Explanation::WebLink {
                host: "example.com".into()
            }
        );
        assert_eq!(
            explained("HTTP://[::1]:80/"),
            Explanation::WebLink {
                host: "[::1]".into()
            }
        );
        assert_eq!(
            explained("phonefactor://activate_account?code=123456789&url=https://x"),
            Explanation::MicrosoftPairing
        );
        assert_eq!(
            explained("otpauth://totp/LinkedIn:me?issuer=LinkedIn"),
            Explanation::OtpauthWithoutSecret
        );
        assert_eq!(
            explained("duo://abcd-efgh"),
            Explanation::AppPairing {
                scheme: "duo".into()
            }
        );
        assert_eq!(
            explained(r#"{"type":"pairing","code":"1234"}"#),
            Explanation::Json
        );
        assert_eq!(explained("{not json}"), Explanation::PlainText);
        assert_eq!(
            explained("ftp://example.com/file"),
            Explanation::OtherScheme {
                scheme: "ftp".into()
            }
        );
        assert_eq!(explained("JBSWY3DPEHPK3PXP"), Explanation::PlainText);
        assert_eq!(explained("note: hello"), Explanation::PlainText);
        assert_eq!(explained("é:x"), Explanation::PlainText);
        let json = serde_json::to_string(&Explanation::WebLink { host: "a".into() }).expect("json");
        assert_eq!(json, r#"{"code":"web_link","host":"a"}"#);
    }
}
