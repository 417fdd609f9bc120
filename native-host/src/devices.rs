//! Devices: what each token is (probe), its stable id, and a cache of that
//! knowledge invalidated when the card leaves its reader.

pub mod probe;

use std::collections::HashMap;
use std::sync::Mutex;

use tessera_core::pin_policy::CardLimits;
use tessera_core::protocol::TokenInfo;

use crate::backend::{Backend, ReaderSnapshot};

#[derive(Debug, Clone)]
struct Entry {
    info: TokenInfo,
    limits: Option<CardLimits>,
    /// The unblock challenge the card holds (static challenge policy).
    challenge: Option<Vec<u8>>,
}

/// Probe results per (reader, ATR); an entry dies with the card it describes.
#[derive(Debug, Default)]
pub struct DeviceCache {
    probed: Mutex<HashMap<(String, Vec<u8>), Entry>>,
}

impl DeviceCache {
    /// The token in `reader`, probing it on first sight. `None` when the card
    /// cannot be probed (removed meanwhile, exclusive use by another program).
    pub fn token(&self, backend: &dyn Backend, reader: &ReaderSnapshot) -> Option<TokenInfo> {
        self.token_fresh(backend, reader).map(|(info, _)| info)
    }

    /// Like [`DeviceCache::token`], also telling whether it was probed just now
    /// (then its `pin` state is current; a cached one's is not).
    pub fn token_fresh(
        &self,
        backend: &dyn Backend,
        reader: &ReaderSnapshot,
    ) -> Option<(TokenInfo, bool)> {
        let atr = reader.atr.clone()?;
        let key = (reader.name.clone(), atr);
        if let Some(e) = self.lock().get(&key) {
            return Some((e.info.clone(), false));
        }
        let info = probe::probe(backend, &reader.name)
            .map_err(
                |e| tracing::warn!(reader = %reader.name, error = %e, "cannot probe the token"),
            )
            .ok()?;
        self.lock().insert(
            key,
            Entry {
                info: info.clone(),
                limits: None,
                challenge: None,
            },
        );
        Some((info, true))
    }

    /// The PIN limits read from the token in `reader`, if known.
    pub fn limits(&self, reader: &str) -> Option<CardLimits> {
        self.lock()
            .iter()
            .find(|((r, _), _)| r == reader)
            .and_then(|(_, e)| e.limits)
    }

    /// Remembers the PIN limits of the token in `reader` (they only change
    /// with the card, so they live as long as its entry).
    pub fn set_limits(&self, reader: &str, limits: CardLimits) {
        for ((r, _), e) in self.lock().iter_mut() {
            if r == reader {
                e.limits = Some(limits);
            }
        }
    }

    /// Forgets cards no longer present (removal, replug with another ATR).
    pub fn retain_present(&self, present: &[ReaderSnapshot]) {
        self.lock().retain(|(reader, atr), _| {
            present
                .iter()
                .any(|p| &p.name == reader && p.atr.as_ref() == Some(atr))
        });
    }

    /// The unblock challenge kept for the token in `reader`, if any.
    pub fn challenge(&self, reader: &str) -> Option<Vec<u8>> {
        self.lock()
            .iter()
            .find(|((r, _), _)| r == reader)
            .and_then(|(_, e)| e.challenge.clone())
    }

    /// Keeps (or, with `None`, drops) the unblock challenge of `reader`.
    pub fn set_challenge(&self, reader: &str, challenge: Option<Vec<u8>>) {
        for ((r, _), e) in self.lock().iter_mut() {
            if r == reader {
                e.challenge = challenge.clone();
            }
        }
    }

    /// Forgets the token in `reader` (it failed mid-operation: re-probe it
    /// when it is back).
    pub fn forget_reader(&self, reader: &str) {
        self.lock().retain(|(r, _), _| r != reader);
    }

    /// Clear Cache: forget everything.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, Vec<u8>), Entry>> {
        self.probed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
