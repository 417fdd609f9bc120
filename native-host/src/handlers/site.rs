//! `site.of`: the registrable domain (eTLD+1 by the Public Suffix List) of a
//! tab URL, for binding an OTP account to the site it was enrolled on. The PSL
//! lives here, in the native host: compiled into the popup's wasm it would add
//! ~270 KB gzip. The URL comes from the browser (`tab.url`), never from a page.

use serde::Deserialize;
use tessera_core::otp::site::{site_of, Site};
use tessera_core::protocol::{ErrorBody, ErrorCode};

/// `site.of` params.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteParams {
    /// The tab's URL.
    pub url: String,
}

/// Longest URL looked at (browsers cap theirs at 2 MB; a tab URL we bind to
/// is far shorter).
const MAX_URL: usize = 8192;

/// `site.of`.
pub fn of(p: &SiteParams) -> Result<Site, ErrorBody> {
    if p.url.len() > MAX_URL {
        return Err(ErrorBody::new(ErrorCode::BadInput, "url: too long").with("field", "url"));
    }
    site_of(&p.url)
        .map_err(|e| ErrorBody::new(ErrorCode::BadInput, e.to_string()).with("field", "url"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(url: &str) -> Result<Site, ErrorBody> {
        of(&SiteParams { url: url.into() })
    }

    #[test]
    fn registrable_domains_and_flags() {
        let s = site("https://login.accounts.example.co.uk/2fa?x=1").expect("site");
        assert_eq!(s.registrable, "example.co.uk");
        assert!(s.flags.is_empty());
        let s = site("http://127.0.0.1:8080/login").expect("site");
        assert_eq!(s.registrable, "127.0.0.1");
        assert_eq!(
            serde_json::to_value(&s.flags).expect("json"),
            serde_json::json!(["insecure", "ip_address"])
        );
        assert_eq!(
            site("chrome://settings").map_err(|e| e.code),
            Err(ErrorCode::BadInput)
        );
        assert!(site(&"a".repeat(MAX_URL + 1)).is_err());
    }
}
