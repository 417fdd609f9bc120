//! The browsers Tessera supports, and recognising the one the popup runs in
//! (`navigator.userAgentData.brands`, the extension URL scheme).

use serde::{Deserialize, Serialize};

/// Browsers Tessera supports, in `tessera install --browser all` order.
pub const ALL_BROWSERS: [Browser; 5] = [
    Browser::Chrome,
    Browser::Chromium,
    Browser::Edge,
    Browser::Brave,
    Browser::Firefox,
];

/// A browser `tessera install --browser` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Browser {
    /// Google Chrome.
    Chrome,
    /// Chromium.
    Chromium,
    /// Microsoft Edge.
    Edge,
    /// Brave.
    Brave,
    /// Mozilla Firefox.
    Firefox,
}

impl Browser {
    /// The `--browser` argument of `tessera install`.
    pub fn install_arg(self) -> &'static str {
        match self {
            Browser::Chrome => "chrome",
            Browser::Chromium => "chromium",
            Browser::Edge => "edge",
            Browser::Brave => "brave",
            Browser::Firefox => "firefox",
        }
    }

    /// Firefox takes `allowed_extensions` and the Firefox manifest variant.
    pub fn is_firefox(self) -> bool {
        self == Browser::Firefox
    }

    /// Guesses the browser from the extension URL scheme and UA brand names.
    /// Chromium-based browsers all list "Chromium"; the vendor brand wins.
    pub fn detect(extension_url: &str, brands: &[String]) -> Browser {
        if extension_url.starts_with("moz-extension:") {
            return Browser::Firefox;
        }
        let has = |needle: &str| brands.iter().any(|b| b.contains(needle));
        if has("Edge") {
            Browser::Edge
        } else if has("Brave") {
            Browser::Brave
        } else if has("Google Chrome") {
            Browser::Chrome
        } else {
            Browser::Chromium
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brands(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn detects_vendors() {
        let url = "chrome-extension://x/popup.html";
        assert_eq!(
            Browser::detect(url, &brands(&["Chromium", "Not=A?Brand"])),
            Browser::Chromium
        );
        assert_eq!(
            Browser::detect(url, &brands(&["Chromium", "Google Chrome"])),
            Browser::Chrome
        );
        assert_eq!(
            Browser::detect(url, &brands(&["Microsoft Edge", "Chromium"])),
            Browser::Edge
        );
        assert_eq!(
            Browser::detect("moz-extension://u/popup.html", &[]),
            Browser::Firefox
        );
    }
}
