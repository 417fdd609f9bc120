//! Where each browser looks for native-messaging host manifests (protocols.md
//! §5.4) and where Tessera puts its own files.

use std::path::{Path, PathBuf};

use tessera_core::browser::Browser;
use tessera_core::identity::HOST_NAME;

use super::InstallError;

/// Install scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The current user's home.
    User,
    /// Machine-wide (needs root / admin).
    System,
}

/// Tessera's own data root: binary, unpacked extension, receipt.
pub fn data_root(scope: Scope) -> Result<PathBuf, InstallError> {
    match scope {
        Scope::User => dirs::data_dir()
            .map(|d| d.join("tessera"))
            .ok_or(InstallError::NoHome),
        Scope::System => Ok(system_data_root()),
    }
}

#[cfg(target_os = "macos")]
fn system_data_root() -> PathBuf {
    PathBuf::from("/Library/Application Support/Tessera")
}

#[cfg(windows)]
fn system_data_root() -> PathBuf {
    PathBuf::from(std::env::var_os("ProgramFiles").unwrap_or_else(|| "C:\\Program Files".into()))
        .join("Tessera")
}

#[cfg(not(any(target_os = "macos", windows)))]
fn system_data_root() -> PathBuf {
    PathBuf::from("/opt/tessera")
}

/// Directory that receives `<HOST_NAME>.json` for `browser`.
///
/// `user_data_dir` (Chromium family only) is a `--user-data-dir` profile root:
/// Chromium then reads `DIR/NativeMessagingHosts/` instead of the home default.
/// On Windows the manifest sits in Tessera's data root and the registry points at it.
pub fn manifest_dir(
    browser: Browser,
    scope: Scope,
    user_data_dir: Option<&Path>,
) -> Result<PathBuf, InstallError> {
    if let Some(dir) = user_data_dir {
        if browser.is_firefox() {
            return Err(InstallError::UserDataDirFirefox);
        }
        return Ok(dir.join("NativeMessagingHosts"));
    }
    platform_manifest_dir(browser, scope)
}

#[cfg(windows)]
fn platform_manifest_dir(browser: Browser, scope: Scope) -> Result<PathBuf, InstallError> {
    Ok(data_root(scope)?
        .join("manifests")
        .join(browser.install_arg()))
}

#[cfg(target_os = "macos")]
fn platform_manifest_dir(browser: Browser, scope: Scope) -> Result<PathBuf, InstallError> {
    let rel = match browser {
        Browser::Chrome => "Google/Chrome/NativeMessagingHosts",
        Browser::Chromium => "Chromium/NativeMessagingHosts",
        Browser::Edge => "Microsoft Edge/NativeMessagingHosts",
        Browser::Brave => "BraveSoftware/Brave-Browser/NativeMessagingHosts",
        Browser::Firefox => "Mozilla/NativeMessagingHosts",
    };
    Ok(match scope {
        Scope::User => dirs::home_dir()
            .ok_or(InstallError::NoHome)?
            .join("Library/Application Support")
            .join(rel),
        Scope::System => match browser {
            // Chrome and Edge read /Library/<Vendor>/…, the others /Library/Application Support/….
            Browser::Chrome => PathBuf::from("/Library/Google/Chrome/NativeMessagingHosts"),
            Browser::Edge => PathBuf::from("/Library/Microsoft/Edge/NativeMessagingHosts"),
            _ => Path::new("/Library/Application Support").join(rel),
        },
    })
}

#[cfg(not(any(target_os = "macos", windows)))]
fn platform_manifest_dir(browser: Browser, scope: Scope) -> Result<PathBuf, InstallError> {
    Ok(match scope {
        // Chromium-family profiles live under $XDG_CONFIG_HOME (default ~/.config);
        // Firefox keeps ~/.mozilla.
        Scope::User if browser.is_firefox() => dirs::home_dir()
            .ok_or(InstallError::NoHome)?
            .join(".mozilla/native-messaging-hosts"),
        Scope::User => dirs::config_dir()
            .ok_or(InstallError::NoHome)?
            .join(match browser {
                Browser::Chrome => "google-chrome",
                Browser::Edge => "microsoft-edge",
                Browser::Brave => "BraveSoftware/Brave-Browser",
                _ => "chromium",
            })
            .join("NativeMessagingHosts"),
        Scope::System => PathBuf::from(match browser {
            Browser::Chrome => "/etc/opt/chrome/native-messaging-hosts",
            Browser::Chromium => "/etc/chromium/native-messaging-hosts",
            Browser::Edge => "/etc/opt/edge/native-messaging-hosts",
            // Brave's system directory is not documented; Brave reads Chrome's.
            Browser::Brave => "/etc/opt/chrome/native-messaging-hosts",
            Browser::Firefox => "/usr/lib/mozilla/native-messaging-hosts",
        }),
    })
}

/// Full path of the host manifest for `browser`.
pub fn manifest_path(
    browser: Browser,
    scope: Scope,
    user_data_dir: Option<&Path>,
) -> Result<PathBuf, InstallError> {
    Ok(manifest_dir(browser, scope, user_data_dir)?.join(format!("{HOST_NAME}.json")))
}
