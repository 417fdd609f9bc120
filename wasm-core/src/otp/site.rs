//! The site an account is bound to: the registrable domain (eTLD+1, by the
//! Public Suffix List, <https://publicsuffix.org/>) of the tab the QR came
//! from, so codes are only offered on that site later.
//!
//! The URL is read the way browsers report `tab.url` (WHATWG URL: the host is
//! already lowercase and punycoded); Unicode hosts are lowercased and looked
//! up as they are. IP addresses, `localhost`, plain-http pages and unknown
//! suffixes are flagged for the UI to warn about.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde::Serialize;
use thiserror::Error;

/// Something the user should know about the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteFlag {
    /// The page is plain `http://`: the QR may have been tampered with.
    Insecure,
    /// The host is an IP address (bound to the exact address).
    IpAddress,
    /// `localhost` or a name under it.
    Localhost,
    /// The suffix is not in the Public Suffix List (an intranet name).
    UnknownSuffix,
}

/// Why no site can be taken from a URL.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum SiteError {
    /// `url`: not an http(s) page (chrome://, file://, about:…).
    #[error("url: not an http or https page")]
    Scheme,
    /// `url`: no host.
    #[error("url: no host")]
    Host,
}

/// The site of a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Site {
    /// The host, lowercase, without port or trailing dot.
    pub host: String,
    /// What the account is bound to: eTLD+1, or the host itself when there is
    /// none (IP address, localhost, a bare public suffix).
    pub registrable: String,
    /// Warnings.
    pub flags: Vec<SiteFlag>,
}

/// The site of `url` (a tab's address).
pub fn site_of(url: &str) -> Result<Site, SiteError> {
    let url = url.trim();
    let (scheme, rest) = url.split_once("://").ok_or(SiteError::Scheme)?;
    let mut flags = Vec::new();
    if scheme.eq_ignore_ascii_case("http") {
        flags.push(SiteFlag::Insecure);
    } else if !scheme.eq_ignore_ascii_case("https") {
        return Err(SiteError::Scheme);
    }
    let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or("");
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        let inner = v6.split(']').next().unwrap_or("");
        if inner.parse::<Ipv6Addr>().is_err() {
            return Err(SiteError::Host);
        }
        flags.push(SiteFlag::IpAddress);
        let host = format!("[{}]", inner.to_ascii_lowercase());
        return Ok(Site {
            registrable: host.clone(),
            host,
            flags,
        });
    } else {
        hostport.split(':').next().unwrap_or("")
    };
    let host = host.trim_end_matches('.').to_lowercase();
    if host.is_empty() || host.contains("..") {
        return Err(SiteError::Host);
    }
    if host.parse::<Ipv4Addr>().is_ok() {
        flags.push(SiteFlag::IpAddress);
        return Ok(Site {
            registrable: host.clone(),
            host,
            flags,
        });
    }
    if host == "localhost" || host.ends_with(".localhost") {
        flags.push(SiteFlag::Localhost);
        return Ok(Site {
            registrable: "localhost".into(),
            host,
            flags,
        });
    }
    let domain = psl::domain(host.as_bytes());
    let known = domain.is_some_and(|d| d.suffix().is_known())
        || psl::suffix(host.as_bytes()).is_some_and(|s| s.is_known());
    if !known {
        flags.push(SiteFlag::UnknownSuffix);
    }
    let registrable = domain
        .and_then(|d| std::str::from_utf8(d.as_bytes()).ok())
        .map_or_else(|| host.clone(), str::to_owned);
    Ok(Site {
        host,
        registrable,
        flags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(url: &str) -> Site {
        match site_of(url) {
            Ok(s) => s,
            Err(e) => panic!("{url}: {e}"),
        }
    }

    #[test]
    fn registrable_domains() {
        let s = site("https://www.example.co.uk/login");
        assert_eq!(
            (s.host.as_str(), s.registrable.as_str()),
            ("www.example.co.uk", "example.co.uk")
        );
        assert!(s.flags.is_empty());
        assert_eq!(
            site("https://a.b.example.com:8443/x?y#z").registrable,
            "example.com"
        );
        assert_eq!(
            site("https://user:pw@Login.Example.COM./").registrable,
            "example.com"
        );
        // Private-section suffixes count: each github.io site is its own.
        assert_eq!(
            site("https://alice.github.io/").registrable,
            "alice.github.io"
        );
    }

    #[test]
    fn flagged_hosts() {
        let s = site("http://localhost:8080/");
        assert_eq!(s.registrable, "localhost");
        assert_eq!(s.flags, vec![SiteFlag::Insecure, SiteFlag::Localhost]);
        let s = site("http://127.0.0.1/");
        assert_eq!(s.registrable, "127.0.0.1");
        assert_eq!(s.flags, vec![SiteFlag::Insecure, SiteFlag::IpAddress]);
        let s = site("https://[::1]:443/");
        assert_eq!(
            (s.registrable.as_str(), s.flags.as_slice()),
            ("[::1]", &[SiteFlag::IpAddress][..])
        );
        let s = site("https://intranet.corp/");
        assert!(s.flags.contains(&SiteFlag::UnknownSuffix), "{s:?}");
        assert_eq!(site("http://example.com").flags, vec![SiteFlag::Insecure]);
    }

    #[test]
    fn idn_hosts() {
        // Browsers report punycode.
        assert_eq!(
            site("https://www.xn--mnchen-3ya.de/").registrable,
            "xn--mnchen-3ya.de"
        );
        // Unicode as typed is looked up as is.
        assert_eq!(site("https://www.München.de/").registrable, "münchen.de");
        let s = site("https://shop.xn--80ak6aa92e.xn--p1ai/");
        assert_eq!(s.registrable, "xn--80ak6aa92e.xn--p1ai");
        assert!(s.flags.is_empty(), "{s:?}");
    }

    #[test]
    fn refusals() {
        assert_eq!(site_of("chrome://extensions"), Err(SiteError::Scheme));
        assert_eq!(site_of("file:///etc/passwd"), Err(SiteError::Scheme));
        assert_eq!(site_of("about:blank"), Err(SiteError::Scheme));
        assert_eq!(site_of("https:///path"), Err(SiteError::Host));
        assert_eq!(site_of("https://a..b/"), Err(SiteError::Host));
        assert_eq!(site_of("https://[zz]/"), Err(SiteError::Host));
    }
}
