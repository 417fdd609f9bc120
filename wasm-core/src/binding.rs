//! Origin binding for one-click fill: each OTP account is bound to the
//! registrable domain (eTLD+1, Public Suffix List, computed by the host's
//! `site.of`) it was enrolled on, plus any domain the user confirmed one by
//! one. A code is computed for a page only when the tab's registrable domain
//! (taken from the browser, never from the page) is one of them; otherwise the
//! popup shows both domains and asks.
//!
//! Plain-http pages, IP addresses and localhost are allowed when bound but carry
//! a warning: the binding is to the exact host name / address, and the local
//! demo runs there. Unknown suffixes (`.test`, intranet names) bind to the name
//! as `site.of` reports it.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use thiserror::Error;

use crate::popup::{entry_title, meta_key, AccountMeta, Accounts, Text};
use crate::protocol::{OtpAccess, OtpKind, OtpList};

/// The tab's site as the host's `site.of` answered (docs/PROTOCOL.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TabSite {
    /// Host name, lowercase, no port.
    pub host: String,
    /// eTLD+1 (or the host itself for IPs and localhost).
    pub registrable: String,
    /// Warnings `site.of` raised.
    #[serde(default)]
    pub flags: Vec<SiteFlag>,
}

/// `site.of` flags (unknown future ones are kept as `other`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteFlag {
    /// `http://`.
    Insecure,
    /// An IP address.
    IpAddress,
    /// `localhost`.
    Localhost,
    /// Suffix not in the PSL.
    UnknownSuffix,
    /// A flag this version does not know.
    #[serde(other)]
    Other,
}

/// What the user is told next to an allowed fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Warning {
    /// The page is plain http: anyone on the network could change it.
    Insecure,
    /// The page is addressed by IP (or localhost): bound to that exact address.
    IpAddress,
}

/// Lower-case, no surrounding dots or blanks.
pub fn normalize(domain: &str) -> String {
    domain.trim().trim_matches('.').to_lowercase()
}

/// Every domain an account is bound to, in the order they were added.
pub fn domains(meta: &AccountMeta) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for d in meta.site.iter().chain(meta.sites.iter()) {
        let d = normalize(d);
        if !d.is_empty() && !out.contains(&d) {
            out.push(d);
        }
    }
    out
}

/// The warnings for a page.
pub fn warnings(site: &TabSite) -> Vec<Warning> {
    let mut w = vec![];
    if site.flags.contains(&SiteFlag::Insecure) {
        w.push(Warning::Insecure);
    }
    if site.flags.contains(&SiteFlag::IpAddress) || site.flags.contains(&SiteFlag::Localhost) {
        w.push(Warning::IpAddress);
    }
    w
}

/// Whether an account bound to `bound` may fill on `site`: exact match of
/// registrable domains (a look-alike such as `examp1e.com` never matches
/// `example.com`; a sub-domain shares its eTLD+1 and matches).
pub fn allowed(bound: &[String], site: &TabSite) -> bool {
    let current = normalize(&site.registrable);
    !current.is_empty() && bound.contains(&current)
}

/// One account that could fill, as the popup lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// `"<device>/<entry>"` (the `accounts` storage key).
    pub key: String,
    /// Device id.
    pub device: String,
    /// Entry id.
    pub entry: String,
    /// What the popup calls it.
    pub title: Text,
    /// Bound to the current tab's registrable domain.
    pub bound: bool,
    /// The domains it is bound to.
    pub domains: Vec<String>,
    /// Code length.
    pub digits: u8,
    /// The token waits for a touch.
    pub touch: bool,
    /// The token wants its PIN first (typed in the popup only).
    pub pin: bool,
}

/// One token's `otp.list` answer.
#[derive(Debug, Clone, Deserialize)]
pub struct DeviceList {
    /// Device id.
    pub device: String,
    /// The list.
    pub list: OtpList,
}

/// Accounts that can fill a code (configured TOTP/HOTP, not `never`), those
/// bound to the page first; document order within each group.
pub fn candidates(
    site: Option<&TabSite>,
    accounts: &Accounts,
    lists: &[DeviceList],
) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = vec![];
    for d in lists {
        for e in &d.list.entries {
            if !e.configured
                || !matches!(e.kind, Some(OtpKind::Totp | OtpKind::Hotp))
                || e.access == Some(OtpAccess::Never)
            {
                continue;
            }
            let key = meta_key(&d.device, &e.id);
            let meta = accounts.get(&key);
            let domains = meta.map(domains).unwrap_or_default();
            out.push(Candidate {
                bound: site.is_some_and(|s| allowed(&domains, s)),
                title: entry_title(e, meta),
                device: d.device.clone(),
                entry: e.id.clone(),
                key,
                domains,
                digits: e.digits.unwrap_or(6),
                touch: e.touch || e.access == Some(OtpAccess::PinTouch),
                pin: matches!(e.access, Some(OtpAccess::Pin | OtpAccess::PinTouch)),
            });
        }
    }
    out.sort_by_key(|c| !c.bound);
    out
}

/// What to do on a fill request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Choice {
    /// Compute the code of `candidate` and fill it.
    Fill {
        /// The account.
        candidate: Candidate,
        /// Shown next to the result.
        warnings: Vec<Warning>,
    },
    /// Not bound to this page: nothing is computed; the popup shows both
    /// domains and offers to add `current` to the account.
    Refuse {
        /// The account asked for.
        key: String,
        /// Its name.
        title: Text,
        /// The domains it is bound to (may be empty).
        bound: Vec<String>,
        /// The tab's registrable domain.
        current: String,
        /// The tab's host.
        host: String,
    },
    /// Needs the popup (PIN typed there, or the user must pick/confirm).
    Popup {
        /// Why.
        reason: PopupReason,
        /// The account concerned (a PIN account: the popup opens its code dialog).
        #[serde(skip_serializing_if = "Option::is_none")]
        key: Option<String>,
    },
}

/// Why a shortcut / context-menu fill hands over to the popup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PopupReason {
    /// The account wants the PIN.
    Pin,
    /// No account is bound to this page.
    NoneBound,
    /// The tab is not an http(s) page.
    NoSite,
    /// The account asked for is not on a connected key.
    Unknown,
    /// The right-clicked frame belongs to another site than the tab (an
    /// embedded third party): the code would leave the bound site.
    ForeignFrame,
}

/// Whether a code may go into a frame at `frame` of a tab at `tab` (context
/// menu on a field inside an iframe): same registrable domain only.
pub fn frame_allowed(tab: &TabSite, frame: &TabSite) -> bool {
    let t = normalize(&tab.registrable);
    !t.is_empty() && t == normalize(&frame.registrable)
}

/// Decides a fill: `want` names the account the user clicked in the popup;
/// `None` (shortcut, context menu) takes the best bound account: the first
/// that needs no PIN.
pub fn choose(site: Option<&TabSite>, candidates: &[Candidate], want: Option<&str>) -> Choice {
    let Some(site) = site else {
        return Choice::Popup {
            reason: PopupReason::NoSite,
            key: None,
        };
    };
    let pick = match want {
        Some(k) => match candidates.iter().find(|c| c.key == k) {
            Some(c) if !c.bound => {
                return Choice::Refuse {
                    key: c.key.clone(),
                    title: c.title.clone(),
                    bound: c.domains.clone(),
                    current: normalize(&site.registrable),
                    host: site.host.clone(),
                }
            }
            Some(c) => c,
            None => {
                return Choice::Popup {
                    reason: PopupReason::Unknown,
                    key: None,
                }
            }
        },
        None => {
            let mut bound = candidates.iter().filter(|c| c.bound);
            match bound.clone().find(|c| !c.pin).or_else(|| bound.next()) {
                Some(c) => c,
                None => {
                    return Choice::Popup {
                        reason: PopupReason::NoneBound,
                        key: None,
                    }
                }
            }
        }
    };
    if pick.pin {
        return Choice::Popup {
            reason: PopupReason::Pin,
            key: Some(pick.key.clone()),
        };
    }
    Choice::Fill {
        candidate: pick.clone(),
        warnings: warnings(site),
    }
}

/// Adds `domain` to the account `key` (the user confirmed it for that one
/// account); returns whether anything changed. An account without metadata
/// (enrolled elsewhere) gets an entry holding only the domain.
pub fn bind(accounts: &mut Accounts, key: &str, domain: &str) -> bool {
    let domain = normalize(domain);
    if domain.is_empty() {
        return false;
    }
    let meta = accounts.entry(key.to_owned()).or_default();
    if domains(meta).contains(&domain) {
        return false;
    }
    if meta.site.is_none() {
        meta.site = Some(domain);
    } else {
        meta.sites.push(domain);
    }
    true
}

/// The export file's `format`.
pub const EXPORT_FORMAT: &str = "tessera-site-bindings";

/// The JSON a user exports: names and domains, never a secret (there is none
/// in the metadata).
pub fn export(accounts: &Accounts) -> Value {
    json!({"format": EXPORT_FORMAT, "version": 1, "accounts": accounts})
}

/// Why an import file was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ImportError {
    /// Not JSON.
    #[error("the file is not JSON: {0}")]
    NotJson(String),
    /// JSON but not a Tessera export.
    #[error("the file is not a Tessera site-binding export")]
    Format,
    /// Larger than any real export.
    #[error("the file is too large")]
    TooLarge,
}

/// Largest import read (a few hundred accounts).
const MAX_IMPORT: usize = 256 * 1024;

/// Merges an export into `accounts`: domains are added, never removed; a name
/// is taken only where none is kept (no silent overwrite). Returns how many
/// domains were added.
pub fn import(accounts: &mut Accounts, text: &str) -> Result<usize, ImportError> {
    if text.len() > MAX_IMPORT {
        return Err(ImportError::TooLarge);
    }
    let v: Value = serde_json::from_str(text).map_err(|e| ImportError::NotJson(e.to_string()))?;
    if v.get("format").and_then(Value::as_str) != Some(EXPORT_FORMAT) {
        return Err(ImportError::Format);
    }
    let theirs: Accounts = v
        .get("accounts")
        .cloned()
        .and_then(|a| serde_json::from_value(a).ok())
        .ok_or(ImportError::Format)?;
    let mut added = 0;
    for (key, meta) in theirs {
        let mine = accounts.entry(key.clone()).or_default();
        if mine.name.is_empty() && mine.issuer.is_none() {
            mine.name = meta.name.clone();
            mine.issuer = meta.issuer.clone();
        }
        for d in domains(&meta) {
            if bind(accounts, &key, &d) {
                added += 1;
            }
        }
    }
    Ok(added)
}

#[cfg(test)]
mod tests;
