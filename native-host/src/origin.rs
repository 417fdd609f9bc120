//! Who started the host, from argv (protocols.md §5.2), and whether we serve them.
//!
//! Chromium-family browsers pass the caller origin `chrome-extension://ID/` as
//! argv[1] (plus `--parent-window=N` on Windows); Firefox passes the absolute
//! path of the host manifest and then the add-on id. The browser already checks
//! `allowed_origins`; the host checks again against its own allow-list.

use tessera_core::identity::{chromium_origin, FIREFOX_EXTENSION_ID};
use thiserror::Error;

/// The browser-side caller of a host process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A Chromium-family extension origin (`chrome-extension://ID/`).
    Chromium {
        /// The origin as passed.
        origin: String,
    },
    /// A Firefox add-on.
    Firefox {
        /// Host manifest path Firefox passed.
        manifest: String,
        /// Add-on id.
        extension_id: String,
    },
}

/// The caller is not one of ours.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("caller {caller} is not the Tessera extension")]
pub struct ForbiddenCaller {
    /// What the caller presented.
    pub caller: String,
}

impl Caller {
    /// Recognises a browser launch from argv (without argv[0]); `None` means the
    /// process was started as a CLI.
    pub fn from_args(args: &[String]) -> Option<Caller> {
        let first = args.first()?;
        if first.starts_with("chrome-extension://") {
            return Some(Caller::Chromium {
                origin: first.clone(),
            });
        }
        let second = args.get(1)?;
        // Firefox passes the manifest's absolute path.
        let path = std::path::Path::new(first);
        let is_manifest = path.is_absolute()
            && path
                .extension()
                .is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
        if is_manifest && !second.starts_with('-') {
            return Some(Caller::Firefox {
                manifest: first.clone(),
                extension_id: second.clone(),
            });
        }
        None
    }

    /// Accepts exactly our extension's ids, nothing wider.
    pub fn authorize(&self) -> Result<(), ForbiddenCaller> {
        let ok = match self {
            Caller::Chromium { origin } => *origin == chromium_origin(),
            Caller::Firefox { extension_id, .. } => extension_id == FIREFOX_EXTENSION_ID,
        };
        if ok {
            Ok(())
        } else {
            Err(ForbiddenCaller {
                caller: self.to_string(),
            })
        }
    }
}

impl std::fmt::Display for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Caller::Chromium { origin } => write!(f, "{origin}"),
            Caller::Firefox { extension_id, .. } => write!(f, "firefox:{extension_id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn recognises_launches() {
        let ours = chromium_origin();
        let c = Caller::from_args(&args(&[&ours, "--parent-window=0"])).expect("chromium");
        assert_eq!(c.authorize(), Ok(()));
        let c = Caller::from_args(&args(&[
            "/usr/lib/mozilla/native-messaging-hosts/com.tessera.host.json",
            FIREFOX_EXTENSION_ID,
        ]))
        .expect("firefox");
        assert_eq!(c.authorize(), Ok(()));
        assert_eq!(
            Caller::from_args(&args(&["install", "--browser", "all"])),
            None
        );
        assert_eq!(Caller::from_args(&args(&[])), None);
        assert_eq!(Caller::from_args(&args(&["x.json", "--help"])), None);
        assert_eq!(Caller::from_args(&args(&["notes.json", "hello"])), None);
    }

    #[test]
    fn refuses_other_extensions() {
        for origin in [
            "chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/",
            // no trailing slash, prefix and suffix tricks
            chromium_origin().trim_end_matches('/'),
            &format!("{}x/", chromium_origin()),
        ] {
            let c = Caller::from_args(&args(&[origin])).expect("chromium");
            assert!(c.authorize().is_err(), "{origin}");
        }
        let c = Caller::from_args(&args(&["/m.json", "evil@example.com"])).expect("firefox");
        assert!(c.authorize().is_err());
    }
}
