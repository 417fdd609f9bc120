//! Who we are: the ids the browser and the host use to recognise each other.
//!
//! The Chromium extension id is derived from the `key` in extension/manifest.json
//! (first 32 hex digits of SHA-256 of the DER public key, mapped 0-f → a-p); a test
//! recomputes it from the manifest so the two cannot drift apart.

/// Native-messaging host name (`[a-z0-9._]`, equal to the manifest file stem).
pub const HOST_NAME: &str = "com.tessera.host";

/// Chromium-family extension id (fixed by the manifest `key`).
pub const CHROMIUM_EXTENSION_ID: &str = "fgofncadnffgjfpkhocajhnbdendmlca";

/// Firefox add-on id (`browser_specific_settings.gecko.id`).
pub const FIREFOX_EXTENSION_ID: &str = "tessera@tessera.dev";

/// Product version, as shown in the popup and sent in `hello`.
pub const PRODUCT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The one Chromium origin allowed to talk to the host (trailing slash included,
/// as Chromium passes it in argv[1] and expects it in `allowed_origins`).
pub fn chromium_origin() -> String {
    format!("chrome-extension://{CHROMIUM_EXTENSION_ID}/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use sha2::{Digest, Sha256};

    fn manifest_key(path: &str) -> String {
        let text = std::fs::read_to_string(path).expect("manifest readable");
        let json: serde_json::Value = serde_json::from_str(&text).expect("manifest is JSON");
        json["key"].as_str().expect("manifest has a key").to_owned()
    }

    #[test]
    fn extension_id_matches_manifest_key() {
        let key = manifest_key(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../extension/manifest.json"
        ));
        let der = base64::engine::general_purpose::STANDARD
            .decode(key)
            .expect("key is base64");
        let digest = Sha256::digest(der);
        let id: String = digest[..16]
            .iter()
            .flat_map(|b| [b >> 4, b & 0x0f])
            .map(|nibble| char::from(b'a' + nibble))
            .collect();
        assert_eq!(id, CHROMIUM_EXTENSION_ID);
    }

    #[test]
    fn firefox_manifest_carries_the_gecko_id() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../extension/manifest.firefox.json"
        );
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("readable")).expect("JSON");
        assert_eq!(
            json["browser_specific_settings"]["gecko"]["id"],
            FIREFOX_EXTENSION_ID
        );
    }

    #[test]
    fn host_name_is_valid_for_chromium() {
        assert!(HOST_NAME
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_'));
        assert!(!HOST_NAME.starts_with('.') && !HOST_NAME.ends_with('.'));
        assert!(!HOST_NAME.contains(".."));
    }
}
