//! What the browser's native-messaging error strings mean (protocols.md §5.5).

use crate::protocol::ErrorCode;

/// Maps `chrome.runtime.lastError.message` (or Firefox's port error) to a code.
///
/// Chromium: `native_message_host.cc`; Firefox: MDN "Native messaging".
pub fn classify_disconnect(message: &str) -> ErrorCode {
    let m = message.trim();
    if m.starts_with("Specified native messaging host not found")
        || m.starts_with("No such native application")
        || m.starts_with("Invalid native messaging host name")
        || m.starts_with("Invalid application")
        || (m.starts_with("File at path") && m.contains("does not exist"))
        || m.starts_with("Failed to start native messaging host")
    {
        ErrorCode::HostNotFound
    } else if m.starts_with("Access to the specified native messaging host is forbidden")
        || m.starts_with("This extension does not have permission to use native application")
    {
        ErrorCode::HostForbidden
    } else {
        ErrorCode::HostDisconnected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chromium_strings() {
        assert_eq!(
            classify_disconnect("Specified native messaging host not found."),
            ErrorCode::HostNotFound
        );
        assert_eq!(
            classify_disconnect("Access to the specified native messaging host is forbidden."),
            ErrorCode::HostForbidden
        );
        assert_eq!(
            classify_disconnect("Native host has exited."),
            ErrorCode::HostDisconnected
        );
        assert_eq!(
            classify_disconnect("Error when communicating with the native messaging host."),
            ErrorCode::HostDisconnected
        );
    }

    #[test]
    fn firefox_strings() {
        assert_eq!(
            classify_disconnect("No such native application com.tessera.host"),
            ErrorCode::HostNotFound
        );
        assert_eq!(
            classify_disconnect(
                "This extension does not have permission to use native application com.tessera.host"
            ),
            ErrorCode::HostForbidden
        );
    }
}
