//! `otpauth-migration://offline?data=…`, Google Authenticator's export
//! (protocols.md §6.2): URL-encoded Base64 of a protobuf `MigrationPayload`,
//! several accounts per QR code, long exports split in a batch of codes that
//! share `batch_id`.
//!
//! The schema is reverse-engineered (Google has not published it); the
//! message structs below follow the one Aegis uses. Unspecified enum values
//! mean SHA1 / 6 digits / TOTP; the period is always 30.

use std::fmt;

use serde::Serialize;
use thiserror::Error;
use zeroize::Zeroize;

use super::account::{Account, Algorithm, OtpKind, OtpSecret, DEFAULT_PERIOD};
use super::encoding::{decode_base64, EncodingError};
use super::uri::{query_pairs, strip_scheme};

/// `MigrationPayload` (protobuf).
#[derive(Clone, PartialEq, prost::Message)]
#[prost(skip_debug)]
pub struct MigrationPayload {
    /// The accounts in this code.
    #[prost(message, repeated, tag = "1")]
    pub otp_parameters: Vec<OtpParameters>,
    /// Export format version (1 observed).
    #[prost(int32, tag = "2")]
    pub version: i32,
    /// Number of codes in the export.
    #[prost(int32, tag = "3")]
    pub batch_size: i32,
    /// 0-based index of this code.
    #[prost(int32, tag = "4")]
    pub batch_index: i32,
    /// Random id shared by the codes of one export.
    #[prost(int32, tag = "5")]
    pub batch_id: i32,
}

/// `MigrationPayload.OtpParameters` (protobuf). The secret is wiped on drop
/// and never shown by `Debug`.
#[derive(Clone, PartialEq, prost::Message)]
#[prost(skip_debug)]
pub struct OtpParameters {
    /// Raw key bytes (not Base32).
    #[prost(bytes = "vec", tag = "1")]
    pub secret: Vec<u8>,
    /// Often "issuer:account".
    #[prost(string, tag = "2")]
    pub name: String,
    /// Issuer.
    #[prost(string, tag = "3")]
    pub issuer: String,
    /// 0 unspecified, 1 SHA1, 2 SHA256, 3 SHA512, 4 MD5.
    #[prost(int32, tag = "4")]
    pub algorithm: i32,
    /// 0 unspecified, 1 six, 2 eight (3 seven in some decoders).
    #[prost(int32, tag = "5")]
    pub digits: i32,
    /// 0 unspecified, 1 HOTP, 2 TOTP.
    #[prost(int32, tag = "6")]
    pub r#type: i32,
    /// HOTP counter.
    #[prost(int64, tag = "7")]
    pub counter: i64,
}

impl Drop for OtpParameters {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

impl fmt::Debug for OtpParameters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtpParameters")
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("type", &self.r#type)
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for MigrationPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MigrationPayload")
            .field("otp_parameters", &self.otp_parameters)
            .field("version", &self.version)
            .field("batch_size", &self.batch_size)
            .field("batch_index", &self.batch_index)
            .field("batch_id", &self.batch_id)
            .finish()
    }
}

/// Why an export code is refused; each names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum MigrationError {
    /// Not `otpauth-migration://offline?`.
    #[error("scheme: not otpauth-migration://offline")]
    Scheme,
    /// No `data` parameter (or it is given twice).
    #[error("data: missing or repeated")]
    MissingData,
    /// `data` is not valid percent-encoding.
    #[error("data: bad percent-encoding")]
    Percent,
    /// `data` is not Base64.
    #[error("data: {0}")]
    Base64(EncodingError),
    /// `data` is not a MigrationPayload protobuf.
    #[error("data: not a Google Authenticator export ({reason})")]
    Protobuf {
        /// The decoder's message.
        reason: String,
    },
    /// `batch_size` / `batch_index` are inconsistent.
    #[error("{field}: out of range (index {index}, size {size})")]
    Batch {
        /// `batch_index` or `batch_size`.
        field: &'static str,
        /// The index given.
        index: i32,
        /// The size given.
        size: i32,
    },
}

/// Why one account of a code was not imported.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "field", rename_all = "snake_case")]
pub enum EntryProblem {
    /// `secret`: empty.
    #[error("secret: empty")]
    Secret,
    /// `algorithm`: MD5 or an unknown value.
    #[error("algorithm: {value} is not SHA1/SHA256/SHA512")]
    Algorithm {
        /// The enum value.
        value: i32,
    },
    /// `digits`: an unknown value.
    #[error("digits: unknown value {value}")]
    Digits {
        /// The enum value.
        value: i32,
    },
    /// `type`: an unknown value.
    #[error("type: unknown value {value}")]
    Type {
        /// The enum value.
        value: i32,
    },
    /// `counter`: negative.
    #[error("counter: negative")]
    Counter,
    /// `name`: empty.
    #[error("name: empty")]
    Name,
}

/// An account of the code that was left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// 0-based position in the code.
    pub index: usize,
    /// "issuer:name" as far as known.
    pub label: String,
    /// Why.
    pub problem: EntryProblem,
}

/// One decoded export code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationBatch {
    /// The accounts, in order.
    pub accounts: Vec<Account>,
    /// Entries that could not be imported.
    pub skipped: Vec<Skipped>,
    /// Format version.
    pub version: i32,
    /// Codes in the export (at least 1).
    pub batch_size: u32,
    /// This code's 0-based index.
    pub batch_index: u32,
    /// Id shared by the export's codes.
    pub batch_id: i32,
}

const SCHEME: &str = "otpauth-migration://";

/// Decodes an export code's text.
pub fn parse_migration(text: &str) -> Result<MigrationBatch, MigrationError> {
    let rest = strip_scheme(text.trim(), SCHEME).ok_or(MigrationError::Scheme)?;
    let (host, query) = rest.split_once('?').ok_or(MigrationError::MissingData)?;
    if !host.trim_end_matches('/').eq_ignore_ascii_case("offline") {
        return Err(MigrationError::Scheme);
    }
    // `+` in the query was decoded to a space by `query_pairs`; in Base64 a
    // space can only be a `+` that some scanner or copy turned into one.
    let pairs = query_pairs(query).map_err(|e| match e {
        super::uri::UriError::Duplicate { .. } => MigrationError::MissingData,
        _ => MigrationError::Percent,
    })?;
    let data = pairs
        .iter()
        .find(|(k, _)| k == "data")
        .map(|(_, v)| v.replace(' ', "+"))
        .ok_or(MigrationError::MissingData)?;
    let bytes = decode_base64(&data).map_err(MigrationError::Base64)?;
    let payload = <MigrationPayload as prost::Message>::decode(bytes.expose()).map_err(|e| {
        MigrationError::Protobuf {
            reason: e.to_string(),
        }
    })?;
    from_payload(payload)
}

/// Turns a decoded payload into accounts (and the entries left out).
pub fn from_payload(mut payload: MigrationPayload) -> Result<MigrationBatch, MigrationError> {
    // Old single-code exports leave the batch fields at 0.
    let size = payload.batch_size.max(1);
    let (Ok(batch_size), Ok(batch_index)) =
        (u32::try_from(size), u32::try_from(payload.batch_index))
    else {
        return Err(MigrationError::Batch {
            field: "batch_index",
            index: payload.batch_index,
            size: payload.batch_size,
        });
    };
    if batch_index >= batch_size {
        return Err(MigrationError::Batch {
            field: "batch_index",
            index: payload.batch_index,
            size: payload.batch_size,
        });
    }
    let mut accounts = Vec::new();
    let mut skipped = Vec::new();
    for (index, p) in payload.otp_parameters.iter_mut().enumerate() {
        let (issuer, name) = split_name(&p.issuer, &p.name);
        match entry(p, issuer.clone(), name.clone()) {
            Ok(a) => accounts.push(a),
            Err(problem) => skipped.push(Skipped {
                index,
                label: match issuer {
                    Some(i) => format!("{i}:{name}"),
                    None => name,
                },
                problem,
            }),
        }
    }
    Ok(MigrationBatch {
        accounts,
        skipped,
        version: payload.version,
        batch_size,
        batch_index,
        batch_id: payload.batch_id,
    })
}

/// The issuer and account name: `name` is often "issuer:account".
fn split_name(issuer: &str, name: &str) -> (Option<String>, String) {
    let issuer = issuer.trim();
    match name.split_once(':') {
        Some((prefix, rest)) if issuer.is_empty() || prefix.trim() == issuer => {
            let prefix = prefix.trim();
            let i = if issuer.is_empty() { prefix } else { issuer };
            (
                Some(i.to_owned()).filter(|i| !i.is_empty()),
                rest.trim().to_owned(),
            )
        }
        _ => (
            Some(issuer.to_owned()).filter(|i| !i.is_empty()),
            name.trim().to_owned(),
        ),
    }
}

fn entry(
    p: &mut OtpParameters,
    issuer: Option<String>,
    name: String,
) -> Result<Account, EntryProblem> {
    if p.secret.is_empty() {
        return Err(EntryProblem::Secret);
    }
    if name.is_empty() {
        return Err(EntryProblem::Name);
    }
    let algorithm = match p.algorithm {
        0 | 1 => Algorithm::Sha1,
        2 => Algorithm::Sha256,
        3 => Algorithm::Sha512,
        value => return Err(EntryProblem::Algorithm { value }),
    };
    let digits = match p.digits {
        0 | 1 => 6,
        2 => 8,
        3 => 7,
        value => return Err(EntryProblem::Digits { value }),
    };
    let kind = match p.r#type {
        0 | 2 => OtpKind::Totp,
        1 => OtpKind::Hotp,
        value => return Err(EntryProblem::Type { value }),
    };
    let counter = match kind {
        OtpKind::Hotp => u64::try_from(p.counter).map_err(|_| EntryProblem::Counter)?,
        _ => 0,
    };
    Ok(Account {
        kind,
        algorithm,
        digits,
        period: DEFAULT_PERIOD,
        counter,
        issuer,
        name,
        ocra_suite: None,
        secret: OtpSecret::new(std::mem::take(&mut p.secret)),
    })
}

/// What adding a code to a [`BatchCollector`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum BatchProgress {
    /// New code taken; `have` of `of` codes so far.
    Added {
        /// Codes collected.
        have: u32,
        /// Codes in the export.
        of: u32,
    },
    /// This code was already scanned (same batch id and index); ignored.
    Duplicate {
        /// Its index.
        index: u32,
    },
    /// A code of another export (different batch id or size); ignored.
    OtherExport,
}

/// Collects the codes of one multi-code export until all are in.
#[derive(Debug, Default)]
pub struct BatchCollector {
    batch: Option<(i32, u32)>,
    seen: Vec<bool>,
    accounts: Vec<(u32, Account)>,
    skipped: Vec<Skipped>,
}

impl BatchCollector {
    /// An empty collector (takes the first code's export).
    pub fn new() -> BatchCollector {
        BatchCollector::default()
    }

    /// Adds one decoded code.
    pub fn add(&mut self, code: MigrationBatch) -> BatchProgress {
        let key = (code.batch_id, code.batch_size);
        match self.batch {
            None => {
                self.batch = Some(key);
                self.seen = vec![false; code.batch_size.min(1024) as usize];
            }
            Some(k) if k != key => return BatchProgress::OtherExport,
            Some(_) => {}
        }
        let idx = code.batch_index as usize;
        match self.seen.get_mut(idx) {
            Some(true) => {
                return BatchProgress::Duplicate {
                    index: code.batch_index,
                }
            }
            Some(s) => *s = true,
            None => return BatchProgress::OtherExport,
        }
        self.accounts
            .extend(code.accounts.into_iter().map(|a| (code.batch_index, a)));
        self.skipped.extend(code.skipped);
        BatchProgress::Added {
            have: self.seen.iter().filter(|s| **s).count() as u32,
            of: self.seen.len() as u32,
        }
    }

    /// 0-based indexes of the codes still to scan.
    pub fn missing(&self) -> Vec<u32> {
        (0..self.seen.len() as u32)
            .filter(|i| !self.seen[*i as usize])
            .collect()
    }

    /// Every code is in.
    pub fn is_complete(&self) -> bool {
        !self.seen.is_empty() && self.seen.iter().all(|s| *s)
    }

    /// The accounts in export order, and the entries left out.
    pub fn finish(mut self) -> (Vec<Account>, Vec<Skipped>) {
        self.accounts.sort_by_key(|(i, _)| *i);
        (
            self.accounts.into_iter().map(|(_, a)| a).collect(),
            self.skipped,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use data_encoding::BASE64;
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
    use prost::Message;

    fn param(
        secret: &[u8],
        name: &str,
        issuer: &str,
        alg: i32,
        digits: i32,
        ty: i32,
        counter: i64,
    ) -> OtpParameters {
        OtpParameters {
            secret: secret.to_vec(),
            name: name.into(),
            issuer: issuer.into(),
            algorithm: alg,
            digits,
            r#type: ty,
            counter,
        }
    }

    fn uri_of(payload: &MigrationPayload) -> String {
        let b64 = BASE64.encode(&payload.encode_to_vec());
        format!(
            "otpauth-migration://offline?data={}",
            utf8_percent_encode(&b64, NON_ALPHANUMERIC)
        )
    }

    fn ok(text: &str) -> MigrationBatch {
        match parse_migration(text) {
            Ok(b) => b,
            Err(e) => panic!("{text}: {e}"),
        }
    }

    fn three() -> MigrationPayload {
        MigrationPayload {
            otp_parameters: vec![
                param(
                    b"Hello!\xde\xad\xbe\xef",
                    "Example:alice@google.com",
                    "Example",
                    1,
                    1,
                    2,
                    0,
                ),
                param(b"12345678901234567890", "bob", "ACME", 2, 2, 1, 5),
                param(b"\x01\x02\x03", "carol", "", 3, 0, 0, 0),
            ],
            version: 1,
            batch_size: 1,
            batch_index: 0,
            batch_id: -123456,
        }
    }

    #[test]
    fn three_accounts_from_prost() {
        let b = ok(&uri_of(&three()));
        assert_eq!(b.accounts.len(), 3);
        assert!(b.skipped.is_empty());
        let [a, h, c] = &b.accounts[..] else {
            panic!("3 accounts")
        };
        assert_eq!(
            (a.issuer.as_deref(), a.name.as_str()),
            (Some("Example"), "alice@google.com")
        );
        assert_eq!(a.secret.expose(), b"Hello!\xde\xad\xbe\xef");
        assert_eq!(
            (a.kind, a.algorithm, a.digits, a.period),
            (OtpKind::Totp, Algorithm::Sha1, 6, 30)
        );
        assert_eq!(
            (h.kind, h.algorithm, h.digits, h.counter),
            (OtpKind::Hotp, Algorithm::Sha256, 8, 5)
        );
        assert_eq!(
            (c.issuer.as_deref(), c.algorithm, c.digits),
            (None, Algorithm::Sha512, 6)
        );
        assert_eq!(
            (b.version, b.batch_size, b.batch_index, b.batch_id),
            (1, 1, 0, -123456)
        );
        for acct in &b.accounts {
            assert_eq!(acct.check(), Ok(()));
        }
    }

    /// A code in the exact form Google Authenticator shows, built here by hand
    /// from protobuf bytes: standard Base64 with `+`, `/` and `=` percent-encoded.
    #[test]
    fn hand_built_real_format_export() {
        #[rustfmt::skip]
        let bytes: &[u8] = &[
            0x0a, 0x2e,                                   // otp_parameters, 46 bytes
              0x0a, 0x0a, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x21, 0xde, 0xad, 0xbe, 0xef, // secret
              0x12, 0x12, b'G', b'i', b't', b'H', b'u', b'b', b':', b'o', b'c', b't',
                          b'o', b'c', b'a', b't', b'@', b'x', b'.', b'y', // name "GitHub:octocat@x.y"
              0x1a, 0x06, b'G', b'i', b't', b'H', b'u', b'b',  // issuer
              0x20, 0x01, 0x28, 0x01, 0x30, 0x02,           // SHA1, six, TOTP
            0x10, 0x01, 0x18, 0x01, 0x20, 0x00, 0x28, 0xfb, 0xff, 0xff, 0xff, 0x07, // v1, 1/0, id
        ];
        assert_eq!(
            BASE64.encode(bytes),
            "Ci4KCkhlbGxvId6tvu8SEkdpdEh1YjpvY3RvY2F0QHgueRoGR2l0SHViIAEoATACEAEYASAAKPv///8H"
        );
        let uri = "otpauth-migration://offline?data=Ci4KCkhlbGxvId6tvu8SEkdpdEh1YjpvY3RvY2F0QHgueRoGR2l0SHViIAEoATACEAEYASAAKPv%2F%2F%2F8H";
        let b = ok(uri);
        assert_eq!(b.accounts.len(), 1);
        assert_eq!(b.accounts[0].issuer.as_deref(), Some("GitHub"));
        assert_eq!(b.accounts[0].name, "octocat@x.y");
        assert_eq!(b.batch_id, 0x7fff_fffb);
        // The same with `/` unescaped, URL-safe Base64, or `+` turned into a space.
        let other = "otpauth-migration://offline?data=Ci4KCkhlbGxvId6tvu8SEkdpdEh1YjpvY3RvY2F0QHgueRoGR2l0SHViIAEoATACEAEYASAAKPv///8H";
        assert_eq!(ok(other), b);
        // (URL-safe in the data only: the scheme's `//` stays.)
        let data = other
            .split_once("data=")
            .map_or(String::new(), |(_, d)| d.replace('/', "_"));
        assert_eq!(ok(&format!("otpauth-migration://offline?data={data}")), b);
        let plus = three();
        let u = uri_of(&plus);
        assert!(u.contains("%2B") || !BASE64.encode(&plus.encode_to_vec()).contains('+'));
        let spaced = u.replace("%2B", "+");
        assert_eq!(ok(&spaced), ok(&u));
        assert_eq!(ok(&u.replace("%2B", "%20")), ok(&u));
    }

    #[test]
    fn batch_fields_and_collection() {
        let mut codes = Vec::new();
        for i in 0..3 {
            let mut p = three();
            p.batch_size = 3;
            p.batch_index = i;
            p.batch_id = 77;
            p.otp_parameters.truncate(1);
            p.otp_parameters[0].name = format!("acct{i}");
            codes.push(ok(&uri_of(&p)));
        }
        assert_eq!((codes[2].batch_index, codes[2].batch_size), (2, 3));
        let mut c = BatchCollector::new();
        assert_eq!(
            c.add(codes[2].clone()),
            BatchProgress::Added { have: 1, of: 3 }
        );
        assert_eq!(
            c.add(codes[2].clone()),
            BatchProgress::Duplicate { index: 2 }
        );
        let mut foreign = codes[0].clone();
        foreign.batch_id = 78;
        assert_eq!(c.add(foreign), BatchProgress::OtherExport);
        assert_eq!(c.missing(), vec![0, 1]);
        assert_eq!(
            c.add(codes[0].clone()),
            BatchProgress::Added { have: 2, of: 3 }
        );
        assert!(!c.is_complete());
        assert_eq!(
            c.add(codes[1].clone()),
            BatchProgress::Added { have: 3, of: 3 }
        );
        assert!(c.is_complete());
        let (accounts, skipped) = c.finish();
        let names: Vec<_> = accounts.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["acct0", "acct1", "acct2"]);
        assert!(skipped.is_empty());

        let mut bad = three();
        bad.batch_size = 2;
        bad.batch_index = 2;
        assert!(matches!(
            parse_migration(&uri_of(&bad)),
            Err(MigrationError::Batch {
                field: "batch_index",
                ..
            })
        ));
    }

    #[test]
    fn bad_entries_are_skipped_with_the_field() {
        let mut p = three();
        p.otp_parameters.push(param(b"k", "md5", "", 4, 1, 2, 0));
        p.otp_parameters.push(param(b"", "nokey", "", 1, 1, 2, 0));
        p.otp_parameters.push(param(b"k", "neg", "", 1, 1, 1, -1));
        p.otp_parameters.push(param(b"k", "d", "", 1, 9, 2, 0));
        p.otp_parameters.push(param(b"k", "t", "", 1, 1, 5, 0));
        p.otp_parameters.push(param(b"k", "X:", "", 1, 1, 2, 0));
        let b = ok(&uri_of(&p));
        assert_eq!(b.accounts.len(), 3);
        let problems: Vec<_> = b.skipped.iter().map(|s| s.problem.clone()).collect();
        assert_eq!(
            problems,
            [
                EntryProblem::Algorithm { value: 4 },
                EntryProblem::Secret,
                EntryProblem::Counter,
                EntryProblem::Digits { value: 9 },
                EntryProblem::Type { value: 5 },
                EntryProblem::Name,
            ]
        );
        assert_eq!(b.skipped[0].index, 3);
        assert!(!format!("{:?}", p.otp_parameters[0]).contains("Hello"));
    }

    #[test]
    fn malformed_codes_are_typed_errors() {
        assert_eq!(
            parse_migration("otpauth://totp/a?secret=A"),
            Err(MigrationError::Scheme)
        );
        assert_eq!(
            parse_migration("otpauth-migration://online?data=AAAA"),
            Err(MigrationError::Scheme)
        );
        assert_eq!(
            parse_migration("otpauth-migration://offline"),
            Err(MigrationError::MissingData)
        );
        assert_eq!(
            parse_migration("otpauth-migration://offline?x=1"),
            Err(MigrationError::MissingData)
        );
        assert_eq!(
            parse_migration("otpauth-migration://offline?data=A&data=B"),
            Err(MigrationError::MissingData)
        );
        assert_eq!(
            parse_migration("otpauth-migration://offline?data=%FF"),
            Err(MigrationError::Percent)
        );
        assert!(matches!(
            parse_migration("otpauth-migration://offline?data=Ci0*"),
            Err(MigrationError::Base64(EncodingError::InvalidChar {
                position: 4,
                ch: '*'
            }))
        ));
        assert!(matches!(
            parse_migration("otpauth-migration://offline?data=Ci0KCkhl"),
            Err(MigrationError::Protobuf { .. })
        ));
        assert!(matches!(
            parse_migration("otpauth-migration://offline?data=%2F%2F%2F%2F"),
            Err(MigrationError::Protobuf { .. })
        ));
        assert_eq!(
            parse_migration("otpauth-migration://offline?data="),
            Err(MigrationError::Base64(EncodingError::Empty))
        );
    }
}
