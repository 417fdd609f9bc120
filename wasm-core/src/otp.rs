//! One-time-password accounts: the model, the enrollment formats that carry
//! them (Google's Key Uri Format, Google Authenticator's export), QR-text
//! classification, OCRA suites (RFC 6287), the OTP algorithms themselves
//! (RFC 4226 / 6238 / 6287) to verify a slot after writing, whether an
//! account fits a token's slot, and (feature `site`) the site an account was
//! enrolled on.
//!
//! Everything here is pure: no I/O, no clock (callers pass the time), and no
//! panic on any input (`fuzz/` runs both URI parsers).

pub mod account;
pub mod compute;
pub mod content;
pub mod encoding;
pub mod fit;
pub mod migration;
pub mod ocra;
#[cfg(feature = "site")]
pub mod site;
pub mod uri;

pub use account::{Account, AccountError, Algorithm, OtpKind, OtpSecret};
pub use content::{classify, Explanation, QrContent};
pub use fit::{fits, Misfit, TokenKind};
pub use migration::{parse_migration, BatchCollector, MigrationBatch, MigrationError};
pub use ocra::{OcraError, OcraSuite};
pub use uri::{parse_uri, to_uri, ParsedUri, UriError, UriWarning};
