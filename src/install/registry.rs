//! Windows: the browser finds the host manifest through a registry key whose
//! default value is the manifest's absolute path (protocols.md §5.4).

use std::path::Path;

use tessera_core::browser::Browser;
use tessera_core::identity::HOST_NAME;
use winreg::enums::{HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE};
use winreg::RegKey;

use super::{InstallError, Scope};

fn vendor_path(browser: Browser) -> &'static str {
    match browser {
        Browser::Chrome | Browser::Brave => "Software\\Google\\Chrome\\NativeMessagingHosts",
        Browser::Chromium => "Software\\Chromium\\NativeMessagingHosts",
        Browser::Edge => "Software\\Microsoft\\Edge\\NativeMessagingHosts",
        Browser::Firefox => "Software\\Mozilla\\NativeMessagingHosts",
    }
}

fn hive(scope: Scope) -> (RegKey, &'static str) {
    match scope {
        Scope::User => (RegKey::predef(HKEY_CURRENT_USER), "HKCU"),
        Scope::System => (RegKey::predef(HKEY_LOCAL_MACHINE), "HKLM"),
    }
}

/// Creates `<hive>\<vendor>\NativeMessagingHosts\<name>` = manifest path; returns
/// the key as `HKCU\…` for the receipt.
pub fn register(browser: Browser, scope: Scope, manifest: &Path) -> Result<String, InstallError> {
    let (root, name) = hive(scope);
    let sub = format!("{}\\{HOST_NAME}", vendor_path(browser));
    let full = format!("{name}\\{sub}");
    let err = |e: std::io::Error| InstallError::Registry {
        key: full.clone(),
        reason: e.to_string(),
    };
    let (key, _) = root.create_subkey(&sub).map_err(err)?;
    key.set_value("", &manifest.display().to_string())
        .map_err(err)?;
    Ok(full)
}

/// Deletes a key written by [`register`].
pub fn unregister(full: &str) -> Result<(), InstallError> {
    let (root, sub) = match full.split_once('\\') {
        Some(("HKLM", sub)) => (RegKey::predef(HKEY_LOCAL_MACHINE), sub),
        Some((_, sub)) => (RegKey::predef(HKEY_CURRENT_USER), sub),
        None => return Ok(()),
    };
    match root.delete_subkey_all(sub) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(InstallError::Registry {
            key: full.to_owned(),
            reason: e.to_string(),
        }),
    }
}
