//! `otpauth://TYPE/LABEL?PARAMETERS`, Google Authenticator's Key Uri Format
//! (protocols.md §6.1), parsed into an [`Account`] and built back.
//!
//! Rules where implementations disagree (chosen here, each tested):
//! - TYPE is `hotp` or `totp`, any case.
//! - LABEL is percent-decoded, then split on the first `:` (literal or `%3A`);
//!   spaces around both parts are trimmed.
//! - The `issuer` parameter wins over the label prefix; a mismatch is reported
//!   as a [`UriWarning`] (ykman's rule).
//! - `+` in a query value is a space (form encoding), not in the label.
//! - `secret` is required; `counter` is required for `hotp`.
//! - A parameter given twice is refused (which one would be meant?); unknown
//!   parameters are ignored and listed.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Serialize;
use thiserror::Error;

use super::account::{Account, Algorithm, OtpKind, DEFAULT_PERIOD};
use super::encoding::{decode_base32, encode_base32, EncodingError};

/// A URI part, for errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UriField {
    /// `otpauth://`.
    Scheme,
    /// `hotp` / `totp`.
    Type,
    /// `Issuer:Account`.
    Label,
    /// `secret=`.
    Secret,
    /// `issuer=`.
    Issuer,
    /// `algorithm=`.
    Algorithm,
    /// `digits=`.
    Digits,
    /// `period=`.
    Period,
    /// `counter=`.
    Counter,
    /// The query as a whole (a parameter twice, bad escapes in a name).
    Query,
}

/// Why an otpauth URI is refused. [`UriError::field`] names the part at fault.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum UriError {
    /// Not an `otpauth://` URI.
    #[error("scheme: not otpauth://")]
    Scheme,
    /// TYPE is not hotp or totp.
    #[error("type: {found:?} is not hotp or totp")]
    Type {
        /// What was there.
        found: String,
    },
    /// No account name in the label.
    #[error("label: no account name")]
    EmptyAccount,
    /// A part is not valid percent-encoded UTF-8.
    #[error("{field:?}: not valid percent-encoded UTF-8")]
    Encoding {
        /// Which part.
        field: UriField,
    },
    /// A required parameter is missing.
    #[error("{field:?}: required")]
    Missing {
        /// Which parameter.
        field: UriField,
    },
    /// A parameter appears more than once.
    #[error("query: parameter {name:?} given more than once")]
    Duplicate {
        /// The parameter name.
        name: String,
    },
    /// A parameter's value is not allowed.
    #[error("{field:?}: {value:?} is not allowed ({allowed})")]
    Value {
        /// Which parameter.
        field: UriField,
        /// The value (never the secret's).
        value: String,
        /// What is allowed.
        allowed: &'static str,
    },
    /// The secret is not Base32.
    #[error("secret: {0}")]
    Secret(EncodingError),
    /// The account cannot be written as an otpauth URI (OCRA).
    #[error("type: {0:?} accounts have no otpauth form")]
    NotExportable(OtpKind),
}

impl UriError {
    /// The part of the URI at fault.
    pub fn field(&self) -> UriField {
        match self {
            UriError::Scheme => UriField::Scheme,
            UriError::Type { .. } | UriError::NotExportable(_) => UriField::Type,
            UriError::EmptyAccount => UriField::Label,
            UriError::Encoding { field } | UriError::Missing { field } => *field,
            UriError::Value { field, .. } => *field,
            UriError::Duplicate { .. } => UriField::Query,
            UriError::Secret(_) => UriField::Secret,
        }
    }
}

/// Something accepted but worth telling the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "warning", rename_all = "snake_case")]
pub enum UriWarning {
    /// The label's issuer prefix differs from `issuer=`; the parameter was used.
    IssuerMismatch {
        /// The label prefix.
        label: String,
        /// The parameter (used).
        param: String,
    },
    /// Parameters this parser does not know (ignored), e.g. `image`.
    IgnoredParams {
        /// Their names.
        names: Vec<String>,
    },
}

/// A parsed URI: the account and what to tell the user about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedUri {
    /// The account.
    pub account: Account,
    /// Accepted oddities.
    pub warnings: Vec<UriWarning>,
}

const SCHEME: &str = "otpauth://";
const KNOWN: [&str; 7] = [
    "secret",
    "issuer",
    "algorithm",
    "digits",
    "period",
    "counter",
    "type",
];

fn decode(s: &str, field: UriField) -> Result<String, UriError> {
    percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| UriError::Encoding { field })
}

/// Whether `text` starts with `scheme` (ASCII case-insensitive); the rest.
pub(crate) fn strip_scheme<'a>(text: &'a str, scheme: &str) -> Option<&'a str> {
    let head = text.get(..scheme.len())?;
    head.eq_ignore_ascii_case(scheme)
        .then(|| text.get(scheme.len()..))
        .flatten()
}

/// The query's `name=value` pairs, decoded (`+` = space in values), refusing
/// a name given twice. Used by the migration parser too.
pub(crate) fn query_pairs(query: &str) -> Result<Vec<(String, String)>, UriError> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for item in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = item.split_once('=').unwrap_or((item, ""));
        let name = decode(k, UriField::Query)?.to_ascii_lowercase();
        let field = match name.as_str() {
            "secret" => UriField::Secret,
            "issuer" => UriField::Issuer,
            "algorithm" => UriField::Algorithm,
            "digits" => UriField::Digits,
            "period" => UriField::Period,
            "counter" => UriField::Counter,
            _ => UriField::Query,
        };
        let value = decode(&v.replace('+', " "), field)?;
        if pairs.iter().any(|(n, _)| *n == name) {
            return Err(UriError::Duplicate { name });
        }
        pairs.push((name, value));
    }
    Ok(pairs)
}

fn number<T: std::str::FromStr>(
    value: &str,
    field: UriField,
    allowed: &'static str,
    ok: impl Fn(&T) -> bool,
) -> Result<T, UriError> {
    value
        .trim()
        .parse::<T>()
        .ok()
        .filter(ok)
        .ok_or_else(|| UriError::Value {
            field,
            value: value.chars().take(32).collect(),
            allowed,
        })
}

/// Parses an `otpauth://` URI.
pub fn parse_uri(text: &str) -> Result<ParsedUri, UriError> {
    let text = text.trim();
    let rest = strip_scheme(text, SCHEME).ok_or(UriError::Scheme)?;
    let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (kind, label) = path.split_once('/').unwrap_or((path, ""));
    let kind = match kind.to_ascii_lowercase().as_str() {
        "totp" => OtpKind::Totp,
        "hotp" => OtpKind::Hotp,
        _ => {
            return Err(UriError::Type {
                found: kind.chars().take(32).collect(),
            })
        }
    };
    let label = decode(label, UriField::Label)?;
    let (label_issuer, name) = match label.split_once(':') {
        Some((i, n)) => (
            Some(i.trim().to_owned()).filter(|i| !i.is_empty()),
            n.trim(),
        ),
        None => (None, label.trim()),
    };
    if name.is_empty() {
        return Err(UriError::EmptyAccount);
    }

    let pairs = query_pairs(query)?;
    let get = |n: &str| pairs.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    let mut warnings = Vec::new();

    let secret = match get("secret") {
        None => {
            return Err(UriError::Missing {
                field: UriField::Secret,
            })
        }
        Some(s) => decode_base32(s).map_err(UriError::Secret)?,
    };
    let issuer = match (get("issuer").map(str::trim), label_issuer) {
        (Some(p), Some(l)) if !p.is_empty() => {
            if p != l {
                warnings.push(UriWarning::IssuerMismatch {
                    label: l,
                    param: p.to_owned(),
                });
            }
            Some(p.to_owned())
        }
        (Some(p), None) if !p.is_empty() => Some(p.to_owned()),
        (_, l) => l,
    };
    let algorithm = match get("algorithm") {
        None => Algorithm::Sha1,
        Some(a) => Algorithm::parse(a.trim()).ok_or_else(|| UriError::Value {
            field: UriField::Algorithm,
            value: a.chars().take(32).collect(),
            allowed: "SHA1, SHA256 or SHA512",
        })?,
    };
    let digits = match get("digits") {
        None => 6,
        Some(d) => number(d, UriField::Digits, "6, 7 or 8", |d: &u8| {
            (6..=8).contains(d)
        })?,
    };
    let period = match get("period") {
        None => DEFAULT_PERIOD,
        Some(p) => number(p, UriField::Period, "1 or more seconds", |p: &u32| *p > 0)?,
    };
    let counter = match (get("counter"), kind) {
        (Some(c), _) => number(c, UriField::Counter, "0 to 2^64-1", |_: &u64| true)?,
        (None, OtpKind::Hotp) => {
            return Err(UriError::Missing {
                field: UriField::Counter,
            })
        }
        (None, _) => 0,
    };
    let ignored: Vec<String> = pairs
        .iter()
        .map(|(k, _)| k)
        .filter(|k| !KNOWN.contains(&k.as_str()))
        .cloned()
        .collect();
    if !ignored.is_empty() {
        warnings.push(UriWarning::IgnoredParams { names: ignored });
    }
    let account = Account {
        kind,
        algorithm,
        digits,
        counter: if kind == OtpKind::Hotp { counter } else { 0 },
        period: if kind == OtpKind::Totp {
            period
        } else {
            DEFAULT_PERIOD
        },
        issuer,
        name: name.to_owned(),
        ocra_suite: None,
        secret,
    };
    Ok(ParsedUri { account, warnings })
}

/// What to escape in a label part or a value: everything but RFC 3986
/// unreserved characters (so `:`, `/`, `?`, `&`, `+`, `%` and spaces are).
const ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

fn esc(s: &str) -> String {
    utf8_percent_encode(s, ESCAPE).to_string()
}

/// Builds the otpauth URI of a HOTP or TOTP account (every parameter written,
/// secret unpadded Base32). The Key Uri Format allows no `:` in the issuer;
/// one there is escaped but will split the label when read back.
pub fn to_uri(account: &Account) -> Result<String, UriError> {
    if account.kind == OtpKind::Ocra {
        return Err(UriError::NotExportable(account.kind));
    }
    let mut uri = format!("{SCHEME}{}/", account.kind.as_str());
    match account.issuer.as_deref().filter(|i| !i.is_empty()) {
        Some(i) => {
            uri.push_str(&esc(i));
            uri.push(':');
        }
        // An empty prefix keeps a ':' in the name from being read as one.
        None if account.name.contains(':') => uri.push(':'),
        None => {}
    }
    uri.push_str(&esc(&account.name));
    uri.push_str("?secret=");
    uri.push_str(&encode_base32(&account.secret));
    if let Some(i) = account.issuer.as_deref().filter(|i| !i.is_empty()) {
        uri.push_str("&issuer=");
        uri.push_str(&esc(i));
    }
    uri.push_str(&format!(
        "&algorithm={}&digits={}",
        account.algorithm.as_str(),
        account.digits
    ));
    match account.kind {
        OtpKind::Hotp => uri.push_str(&format!("&counter={}", account.counter)),
        _ => uri.push_str(&format!("&period={}", account.period)),
    }
    Ok(uri)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otp::account::OtpSecret;

    fn secret_from_bytes(b: &[u8]) -> OtpSecret {
        OtpSecret::new(b.to_vec())
    }

    const HELLO: &[u8] = b"Hello!\xde\xad\xbe\xef";

    fn ok(uri: &str) -> ParsedUri {
        match parse_uri(uri) {
            Ok(p) => p,
            Err(e) => panic!("{uri}: {e}"),
        }
    }

    fn fails(uri: &str) -> UriError {
        match parse_uri(uri) {
            Ok(p) => panic!("{uri} accepted: {p:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn google_example() {
        let p =
            ok("otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example");
        let a = &p.account;
        assert_eq!(a.kind, OtpKind::Totp);
        assert_eq!(a.issuer.as_deref(), Some("Example"));
        assert_eq!(a.name, "alice@google.com");
        assert_eq!(a.secret.expose(), HELLO);
        assert_eq!((a.algorithm, a.digits, a.period), (Algorithm::Sha1, 6, 30));
        assert!(p.warnings.is_empty());
        assert_eq!(a.check(), Ok(()));
    }

    #[test]
    fn every_parameter_and_encoded_label() {
        let p = ok("otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30");
        assert_eq!(p.account.issuer.as_deref(), Some("ACME Co"));
        assert_eq!(p.account.name, "john.doe@email.com");
        // %3A colon and %20 padding before the account.
        let p = ok("otpauth://totp/ACME%20Co%3A%20%20john%20doe?secret=JBSWY3DPEHPK3PXP");
        assert_eq!(p.account.issuer.as_deref(), Some("ACME Co"));
        assert_eq!(p.account.name, "john doe");
        // Only the first colon splits.
        let p = ok("otpauth://totp/A:b:c?secret=JBSWY3DPEHPK3PXP");
        assert_eq!(
            (p.account.issuer.as_deref(), p.account.name.as_str()),
            (Some("A"), "b:c")
        );
    }

    #[test]
    fn without_issuer() {
        let p = ok("otpauth://totp/alice@example.com?secret=JBSWY3DPEHPK3PXP");
        assert_eq!(p.account.issuer, None);
        assert_eq!(p.account.name, "alice@example.com");
        // issuer only as a parameter (`+` is a space in values).
        let p = ok("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&issuer=Big+Corp");
        assert_eq!(p.account.issuer.as_deref(), Some("Big Corp"));
        // An empty prefix is no issuer.
        let p = ok("otpauth://totp/:alice?secret=JBSWY3DPEHPK3PXP");
        assert_eq!(p.account.issuer, None);
    }

    #[test]
    fn issuer_param_wins_and_mismatch_is_reported() {
        let p = ok("otpauth://totp/Old:alice?secret=JBSWY3DPEHPK3PXP&issuer=New");
        assert_eq!(p.account.issuer.as_deref(), Some("New"));
        assert_eq!(
            p.warnings,
            vec![UriWarning::IssuerMismatch {
                label: "Old".into(),
                param: "New".into()
            }]
        );
    }

    #[test]
    fn lowercase_spaced_padded_secret() {
        for s in [
            "jbswy3dpehpk3pxp",
            "JBSW%20Y3DP%20EHPK%203PXP",
            "JBSWY3DPEHPK3PXP%3D%3D%3D",
            "JBSWY3DPEHPK3PXP====",
        ] {
            let uri = format!("otpauth://totp/a?secret={s}");
            assert_eq!(ok(&uri).account.secret.expose(), HELLO, "{s}");
        }
        assert_eq!(
            fails("otpauth://totp/a?secret=JBSW1Y3DP"),
            UriError::Secret(EncodingError::InvalidChar {
                position: 5,
                ch: '1'
            })
        );
        assert_eq!(fails("otpauth://totp/a?secret=").field(), UriField::Secret);
    }

    #[test]
    fn algorithms_digits_period_counter() {
        for (a, want) in [
            ("SHA1", Algorithm::Sha1),
            ("SHA256", Algorithm::Sha256),
            ("sha512", Algorithm::Sha512),
        ] {
            let p = ok(&format!(
                "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&algorithm={a}"
            ));
            assert_eq!(p.account.algorithm, want);
        }
        for d in [6u8, 7, 8] {
            let p = ok(&format!(
                "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&digits={d}"
            ));
            assert_eq!(p.account.digits, d);
        }
        let p = ok("otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&period=60");
        assert_eq!(p.account.period, 60);
        let p = ok("otpauth://hotp/a?secret=JBSWY3DPEHPK3PXP&counter=42");
        assert_eq!((p.account.kind, p.account.counter), (OtpKind::Hotp, 42));
        let p = ok("OTPAUTH://HOTP/a?secret=JBSWY3DPEHPK3PXP&counter=0");
        assert_eq!(p.account.kind, OtpKind::Hotp);
    }

    #[test]
    fn refusals_name_the_field() {
        let cases: [(&str, UriField); 14] = [
            ("https://totp/a?secret=JBSWY3DPEHPK3PXP", UriField::Scheme),
            ("otpauth://steam/a?secret=JBSWY3DPEHPK3PXP", UriField::Type),
            ("otpauth://totp?secret=JBSWY3DPEHPK3PXP", UriField::Label),
            (
                "otpauth://totp/Issuer:?secret=JBSWY3DPEHPK3PXP",
                UriField::Label,
            ),
            (
                "otpauth://totp/a%FF?secret=JBSWY3DPEHPK3PXP",
                UriField::Label,
            ),
            ("otpauth://totp/a?issuer=x", UriField::Secret),
            (
                "otpauth://hotp/a?secret=JBSWY3DPEHPK3PXP",
                UriField::Counter,
            ),
            (
                "otpauth://hotp/a?secret=JBSWY3DPEHPK3PXP&counter=-1",
                UriField::Counter,
            ),
            (
                "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&digits=9",
                UriField::Digits,
            ),
            (
                "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&digits=six",
                UriField::Digits,
            ),
            (
                "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&period=0",
                UriField::Period,
            ),
            (
                "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&algorithm=MD5",
                UriField::Algorithm,
            ),
            (
                "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&secret=JBSWY3DPEHPK3PXP",
                UriField::Query,
            ),
            (
                "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&issuer=%FF",
                UriField::Issuer,
            ),
        ];
        for (uri, field) in cases {
            assert_eq!(fails(uri).field(), field, "{uri}");
        }
        assert_eq!(
            fails("otpauth://totp/a?secret=A&Digits=6&digits=8"),
            UriError::Duplicate {
                name: "digits".into()
            }
        );
        assert_eq!(
            fails("otpauth://steam/a?secret=X").to_string(),
            "type: \"steam\" is not hotp or totp"
        );
    }

    #[test]
    fn unknown_params_ignored_and_listed() {
        let p = ok("otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&image=https%3A%2F%2Fx%2Fy.png&foo");
        assert_eq!(
            p.warnings,
            vec![UriWarning::IgnoredParams {
                names: vec!["image".into(), "foo".into()]
            }]
        );
    }

    #[test]
    fn build_round_trips() {
        let mut a = Account::hotp(
            Some("ACME Co".into()),
            "john+doe@x.com",
            secret_from_bytes(HELLO),
            7,
        );
        a.algorithm = Algorithm::Sha512;
        a.digits = 8;
        let uri = to_uri(&a).expect("uri");
        assert!(
            uri.starts_with("otpauth://hotp/ACME%20Co:john%2Bdoe@x.com?secret=JBSWY3DPEHPK3PXP"),
            "{uri}"
        );
        let back = ok(&uri);
        assert_eq!(back.account, a);

        let t = Account::totp(None, "plain", secret_from_bytes(HELLO));
        let uri = to_uri(&t).expect("uri");
        assert_eq!(
            uri,
            "otpauth://totp/plain?secret=JBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(ok(&uri).account, t);

        let colon = Account::totp(None, "a:b", secret_from_bytes(HELLO));
        let uri = to_uri(&colon).expect("uri");
        assert!(uri.starts_with("otpauth://totp/:a%3Ab?"), "{uri}");
        assert_eq!(ok(&uri).account, colon);
        // A period on an HOTP URI is meaningless and dropped.
        let p = ok("otpauth://hotp/a?secret=JBSWY3DPEHPK3PXP&counter=1&period=60");
        assert_eq!(p.account.period, 30);
    }
}
