//! opensk's persistent storage, kept in the card's state file instead of a flash
//! image: a key → bytes map behind opensk's `Persist` trait.
//!
//! opensk documents the contract of its key-value accessors (`api/persist.rs`):
//! keys 0–4095, values of at most 1023 bytes. Everything above them (credentials,
//! PIN hash, counters, master keys, attestation) is opensk's own encoding. Nothing
//! here can panic on a stored value: [`Store::from_value`] validates a loaded state
//! and says what is wrong with it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use opensk::api::persist::{Persist, PersistIter};
use opensk::ctap::status_code::{Ctap2StatusCode, CtapResult};
use serde_json::{json, Value};

/// Keys opensk may use (`api/persist.rs`: "Keys within 0 and 4095").
pub const MAX_KEY: usize = 4095;
/// Longest value opensk writes (`api/persist.rs`: "Values of at most 1023 bytes").
pub const MAX_VALUE_LEN: usize = 1023;
/// Total bytes the store holds, like the 20 × 4 KiB flash pages of opensk's own
/// test environment; a write beyond it is `CTAP2_ERR_KEY_STORE_FULL` (as
/// wasefire-store's `NoCapacity`). **Emulator-defined.**
pub const CAPACITY: usize = 20 * 4096;
/// Version of the saved form (`{"format": 1, "entries": {"<key>": "<hex>"}}`).
const FORMAT: u64 = 1;

/// The entries, and a counter of changes (to tell the card to save).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Store {
    entries: BTreeMap<usize, Vec<u8>>,
    generation: u64,
}

impl Store {
    /// Number of changes since this store was created or loaded.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub(super) fn set_generation(&mut self, generation: u64) {
        self.generation = generation;
    }

    fn used(&self) -> usize {
        self.entries.values().map(Vec::len).sum()
    }

    /// The saved form: entries as hex strings keyed by decimal key.
    pub fn to_value(&self) -> Value {
        let entries: serde_json::Map<String, Value> = self
            .entries
            .iter()
            .map(|(k, v)| (k.to_string(), Value::String(hex::encode(v))))
            .collect();
        json!({ "format": FORMAT, "entries": entries })
    }

    /// Reads the saved form back; a clear error for anything opensk could not have
    /// written (wrong format, key out of range, value too long, store overfull).
    pub fn from_value(value: &Value) -> Result<Store, String> {
        let format = value.get("format").and_then(Value::as_u64);
        if format != Some(FORMAT) {
            return Err(format!("FIDO store: unknown format {format:?}"));
        }
        let Some(entries) = value.get("entries").and_then(Value::as_object) else {
            return Err("FIDO store: \"entries\" is not an object".to_owned());
        };
        let mut store = Store::default();
        for (key, bytes) in entries {
            let k: usize = key
                .parse()
                .ok()
                .filter(|k| *k <= MAX_KEY)
                .ok_or_else(|| format!("FIDO store: key {key:?} is not in 0..={MAX_KEY}"))?;
            let v = bytes
                .as_str()
                .and_then(|s| hex::decode(s).ok())
                .ok_or_else(|| format!("FIDO store: entry {key} is not a hex string"))?;
            if v.len() > MAX_VALUE_LEN {
                return Err(format!(
                    "FIDO store: entry {key} has {} bytes (at most {MAX_VALUE_LEN})",
                    v.len()
                ));
            }
            store.entries.insert(k, v);
        }
        if store.used() > CAPACITY {
            return Err(format!(
                "FIDO store: {} bytes exceed the capacity of {CAPACITY}",
                store.used()
            ));
        }
        Ok(store)
    }
}

/// The store shared by the authenticator thread (opensk's `Persist`) and the
/// applet (`save`/`load`).
#[derive(Debug, Clone, Default)]
pub struct SharedStore(Arc<Mutex<Store>>);

impl SharedStore {
    /// Locks the store.
    pub fn lock(&self) -> MutexGuard<'_, Store> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Persist for SharedStore {
    fn find(&self, key: usize) -> CtapResult<Option<Vec<u8>>> {
        Ok(self.lock().entries.get(&key).cloned())
    }

    fn insert(&mut self, key: usize, value: &[u8]) -> CtapResult<()> {
        if key > MAX_KEY || value.len() > MAX_VALUE_LEN {
            // wasefire-store's InvalidArgument, as opensk maps it.
            return Err(Ctap2StatusCode::CTAP2_ERR_VENDOR_INTERNAL_ERROR);
        }
        let mut store = self.lock();
        let old = store.entries.get(&key).map_or(0, Vec::len);
        if store.used() - old + value.len() > CAPACITY {
            return Err(Ctap2StatusCode::CTAP2_ERR_KEY_STORE_FULL);
        }
        store.entries.insert(key, value.to_vec());
        store.generation += 1;
        Ok(())
    }

    fn remove(&mut self, key: usize) -> CtapResult<()> {
        let mut store = self.lock();
        if store.entries.remove(&key).is_some() {
            store.generation += 1;
        }
        Ok(())
    }

    fn iter(&self) -> CtapResult<PersistIter<'_>> {
        let keys: Vec<usize> = self.lock().entries.keys().copied().collect();
        Ok(Box::new(keys.into_iter().map(Ok)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_counts_changes() {
        let mut s = SharedStore::default();
        s.insert(3, &[1, 2, 3]).expect("insert");
        s.insert(1700, &[]).expect("insert empty");
        s.remove(9).expect("remove absent");
        assert_eq!(s.lock().generation(), 2);
        let saved = s.lock().to_value();
        assert_eq!(
            saved,
            json!({"format": 1, "entries": {"3": "010203", "1700": ""}})
        );
        let back = Store::from_value(&saved).expect("load");
        assert_eq!(back.entries, s.lock().entries);
    }

    #[test]
    fn refuses_what_opensk_cannot_have_written() {
        let bad = [
            json!({"format": 2, "entries": {}}),
            json!({"format": 1}),
            json!({"format": 1, "entries": {"4096": ""}}),
            json!({"format": 1, "entries": {"-1": ""}}),
            json!({"format": 1, "entries": {"1": "zz"}}),
            json!({"format": 1, "entries": {"1": 5}}),
            json!({"format": 1, "entries": {"1": "00".repeat(1024)}}),
        ];
        for v in bad {
            assert!(Store::from_value(&v).is_err(), "{v}");
        }
        let full: serde_json::Map<String, Value> = (0..81)
            .map(|k| (k.to_string(), Value::String("00".repeat(1023))))
            .collect();
        let err = Store::from_value(&json!({"format": 1, "entries": full})).expect_err("full");
        assert!(err.contains("capacity"), "{err}");
    }

    #[test]
    fn full_store_refuses_growth_only() {
        let mut s = SharedStore::default();
        for k in 0..80 {
            s.insert(k, &[0; 1023]).expect("fits");
        }
        assert_eq!(
            s.insert(100, &[0; 1023]),
            Err(Ctap2StatusCode::CTAP2_ERR_KEY_STORE_FULL)
        );
        s.insert(5, &[1; 1000]).expect("shrinking an entry fits");
        assert_eq!(
            s.insert(5000, &[]),
            Err(Ctap2StatusCode::CTAP2_ERR_VENDOR_INTERNAL_ERROR)
        );
    }
}
