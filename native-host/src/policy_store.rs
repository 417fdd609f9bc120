//! Stored PIN policies, per device id, on the host (crescendo-apdu.md §3.9:
//! force-change, weak-PIN control and the challenge type are middleware
//! policies; no card APDU stores them). One JSON file, written atomically.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use tessera_core::pin_policy::PinPolicy;

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

    fn read_all(&self) -> BTreeMap<String, PinPolicy> {
        fs::read(&self.path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// The stored policy of `device`, if any.
    pub fn get(&self, device: &str) -> Option<PinPolicy> {
        self.read_all().remove(device)
    }

    /// Stores `policy` for `device`.
    pub fn set(&self, device: &str, policy: &PinPolicy) -> std::io::Result<()> {
        let mut all = self.read_all();
        all.insert(device.to_owned(), policy.clone());
        write_atomic(&self.path, &serde_json::to_vec_pretty(&all)?)
    }

    /// Forgets `device` (recycle).
    pub fn remove(&self, device: &str) -> std::io::Result<()> {
        let mut all = self.read_all();
        if all.remove(device).is_some() {
            write_atomic(&self.path, &serde_json::to_vec_pretty(&all)?)?;
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
        assert_eq!(store.get("A"), Some(p));
        assert_eq!(store.get("B"), None);
        store.remove("A").expect("remove");
        assert_eq!(store.get("A"), None);
        let _ = fs::remove_dir_all(dir);
    }
}
