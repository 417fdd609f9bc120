//! Stored PIN policies, per device id, on the host (crescendo-apdu.md §3.9:
//! force-change, weak-PIN control and the challenge type are middleware
//! policies; no card APDU stores them). One JSON file, written atomically.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tessera_core::pin_policy::PinPolicy;

/// One device's entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    policy: PinPolicy,
    #[serde(default)]
    must_change: bool,
}

/// The policy file.
#[derive(Debug, Clone)]
pub struct PolicyStore {
    path: PathBuf,
}

impl PolicyStore {
    /// The store at `path` (created on first write).
    pub fn new(path: impl Into<PathBuf>) -> PolicyStore {
        PolicyStore { path: path.into() }
    }

    /// The user's default store (`$XDG_DATA_HOME/tessera/pin-policies.json`).
    pub fn default_location() -> PolicyStore {
        let dir = dirs_data().join("tessera");
        PolicyStore::new(dir.join("pin-policies.json"))
    }

    fn read_all(&self) -> BTreeMap<String, Entry> {
        fs::read(&self.path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    fn write_all(&self, all: &BTreeMap<String, Entry>) -> std::io::Result<()> {
        write_atomic(&self.path, &serde_json::to_vec_pretty(all)?)
    }

    /// The stored policy of `device`, if any.
    pub fn get(&self, device: &str) -> Option<PinPolicy> {
        self.read_all().remove(device).map(|e| e.policy)
    }

    /// Stores `policy` for `device`. Turning force-change on makes the next
    /// use demand a PIN change.
    pub fn set(&self, device: &str, policy: &PinPolicy) -> std::io::Result<()> {
        let mut all = self.read_all();
        let was_forced = all.get(device).is_some_and(|e| e.policy.force_change);
        let must_change =
            all.get(device).is_some_and(|e| e.must_change) || (policy.force_change && !was_forced);
        all.insert(
            device.to_owned(),
            Entry {
                policy: policy.clone(),
                must_change: must_change && policy.force_change,
            },
        );
        self.write_all(&all)
    }

    /// Whether `device` must change its PIN before anything else.
    pub fn must_change(&self, device: &str) -> bool {
        self.read_all().get(device).is_some_and(|e| e.must_change)
    }

    /// Sets or clears the must-change flag (set by Personalize under a
    /// force-change policy, cleared by a successful PIN change).
    pub fn set_must_change(&self, device: &str, value: bool) -> std::io::Result<()> {
        let mut all = self.read_all();
        match all.get_mut(device) {
            Some(e) if e.must_change != value => {
                e.must_change = value && e.policy.force_change;
                self.write_all(&all)
            }
            _ => Ok(()),
        }
    }

    /// Forgets `device` (recycle).
    pub fn remove(&self, device: &str) -> std::io::Result<()> {
        let mut all = self.read_all();
        if all.remove(device).is_some() {
            self.write_all(&all)?;
        }
        Ok(())
    }
}

fn dirs_data() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/share")))
        .unwrap_or_else(std::env::temp_dir)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, bytes)?;
    fs::rename(tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_core::pin_policy::CardLimits;

    #[test]
    fn round_trip_per_device() {
        let dir = std::env::temp_dir().join(format!("tessera-policy-{}", std::process::id()));
        let store = PolicyStore::new(dir.join("p.json"));
        let p = PinPolicy::from_limits(CardLimits {
            min_len: 4,
            max_len: 8,
            numeric_only: true,
        });
        assert_eq!(store.get("A"), None);
        store.set("A", &p).expect("set");
        assert_eq!(store.get("A"), Some(p.clone()));
        assert!(!store.must_change("A"));
        let forced = PinPolicy {
            force_change: true,
            ..p
        };
        store.set("A", &forced).expect("force");
        assert!(
            store.must_change("A"),
            "turning force-change on demands a change"
        );
        store.set_must_change("A", false).expect("changed");
        assert!(!store.must_change("A"));
        store.set("A", &forced).expect("again");
        assert!(
            !store.must_change("A"),
            "re-saving the same policy does not"
        );
        assert_eq!(store.get("B"), None);
        store.remove("A").expect("remove");
        assert_eq!(store.get("A"), None);
        let _ = fs::remove_dir_all(dir);
    }
}
