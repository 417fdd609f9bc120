//! The administrator's policy: which tokens are managed by the organisation.
//! On a managed token the admin-only actions (`Feature::admin_only`: admin-key
//! and PUK unblock, View PUK, PIN policies, Recycle, Personalize) are withheld,
//! by the host as well as in the popup, as ActivClient does for tokens issued
//! by a card management system; the user unblocks through the helpdesk.
//!
//! The file is machine-wide, writable by administrators only:
//! `/etc/tessera/admin-policy.json` (macOS: `/Library/Application Support/
//! Tessera/admin-policy.json`), or `$TESSERA_ADMIN_POLICY`. Contents:
//! `{"managed": "all"}` or `{"managed": ["<device id>", …]}`. It is read on
//! every lookup, so a change applies at once. A file that exists but cannot
//! be read or parsed manages every token (an administrator meant something).

use std::path::PathBuf;

use serde::Deserialize;
use tessera_core::protocol::TokenInfo;

#[derive(Deserialize)]
#[serde(untagged)]
enum Managed {
    All(String),
    Ids(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    managed: Managed,
}

/// Where the administrator's policy lives.
#[derive(Debug, Clone)]
pub struct AdminPolicy {
    path: PathBuf,
}

impl AdminPolicy {
    /// The machine's policy file (or `$TESSERA_ADMIN_POLICY`).
    pub fn system() -> AdminPolicy {
        if let Some(p) = std::env::var_os("TESSERA_ADMIN_POLICY") {
            return AdminPolicy::at(p);
        }
        let path = if cfg!(target_os = "macos") {
            "/Library/Application Support/Tessera/admin-policy.json"
        } else {
            "/etc/tessera/admin-policy.json"
        };
        AdminPolicy::at(path)
    }

    /// The policy in `path`.
    pub fn at(path: impl Into<PathBuf>) -> AdminPolicy {
        AdminPolicy { path: path.into() }
    }

    /// Whether the token `id` is managed.
    pub fn is_managed(&self, id: &str) -> bool {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return false,
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "admin policy unreadable: every token is managed");
                return true;
            }
        };
        match serde_json::from_slice::<File>(&bytes) {
            Ok(File {
                managed: Managed::All(all),
            }) => {
                all == "all"
                    || {
                        tracing::warn!("admin policy: \"managed\" is neither \"all\" nor a list: every token is managed");
                        true
                    }
            }
            Ok(File {
                managed: Managed::Ids(ids),
            }) => ids.iter().any(|m| m.eq_ignore_ascii_case(id)),
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "admin policy malformed: every token is managed");
                true
            }
        }
    }

    /// Marks `info` managed (and withholds the admin-only features) when it is.
    pub fn apply(&self, info: &mut TokenInfo) {
        info.managed = self.is_managed(&info.id);
        if info.managed {
            info.features.retain(|f| !f.admin_only());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_core::protocol::{Applets, Feature};

    fn token(id: &str) -> TokenInfo {
        let applets = Applets {
            aca: true,
            oath_slots: 3,
            piv: true,
            ykoath: false,
            fido: true,
        };
        TokenInfo {
            id: id.into(),
            features: applets.features(),
            applets,
            pin: None,
            must_change_pin: false,
            managed: false,
        }
    }

    fn policy(contents: Option<&str>) -> (tempfile::TempDir, AdminPolicy) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("admin-policy.json");
        if let Some(c) = contents {
            std::fs::write(&path, c).expect("write");
        }
        (dir, AdminPolicy::at(path))
    }

    #[test]
    fn no_file_manages_nothing() {
        let (_d, p) = policy(None);
        let mut t = token("AB12");
        p.apply(&mut t);
        assert!(!t.managed);
        assert!(t.features.contains(&Feature::Recycle));
    }

    #[test]
    fn listed_ids_are_managed_and_lose_admin_actions() {
        let (_d, p) = policy(Some(r#"{"managed": ["ab12"]}"#));
        let mut t = token("AB12");
        p.apply(&mut t);
        assert!(t.managed);
        assert!(t.features.iter().all(|f| !f.admin_only()));
        assert!(t.features.contains(&Feature::UnblockChallenge));
        assert!(t.features.contains(&Feature::ChangePin));
        assert!(t.features.contains(&Feature::PairingCode));
        let mut other = token("CD34");
        p.apply(&mut other);
        assert!(!other.managed);
    }

    #[test]
    fn all_and_malformed_manage_everything() {
        for c in [
            r#"{"managed": "all"}"#,
            "{not json",
            r#"{"managed": "some"}"#,
        ] {
            let (_d, p) = policy(Some(c));
            assert!(p.is_managed("ANY"), "{c}");
        }
    }
}
