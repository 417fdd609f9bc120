//! One connection held per token for the whole host session.
//!
//! pcsc-lite powers a card down a few seconds after its last handle closes,
//! which throws away the card's security state: a verified PIN ("lock open")
//! and a pending unblock challenge (ACA GET CHALLENGE). So the host keeps one
//! shared-mode handle per reader between operations and releases it when the
//! card leaves, when it has been idle for [`IDLE_RELEASE`] (like a PIN cache
//! timeout), or when the session ends. Every operation still runs inside one
//! PC/SC transaction (PC/SC part 5 `SCardBeginTransaction`), and the per-reader
//! lock serialises operations on one token.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::backend::{Backend, ReaderSnapshot};
use crate::connection::{SmartCardConnection, SmartCardDevice, TransportError};

/// How long an unused handle is kept: after that the card may power down and
/// forget a verified PIN.
pub const IDLE_RELEASE: Duration = Duration::from_secs(5 * 60);

/// Why an operation did not run or did not finish.
#[derive(Debug)]
pub enum HeldError {
    /// The card was removed or reset since the last operation and the token
    /// now in the reader is not the one asked for; nothing was sent.
    Replaced,
    /// Connecting or running failed.
    Transport(TransportError),
}

#[derive(Default)]
struct Slot {
    device: Option<Box<dyn SmartCardDevice>>,
    last_used: Option<Instant>,
}

/// Held handles per reader name.
#[derive(Default)]
pub struct HeldConnections {
    slots: Mutex<HashMap<String, Arc<Mutex<Slot>>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl HeldConnections {
    fn slot(&self, reader: &str) -> Arc<Mutex<Slot>> {
        lock(&self.slots)
            .entry(reader.to_owned())
            .or_default()
            .clone()
    }

    /// Runs `op` in one transaction on the card in `reader`, over the held
    /// handle (connecting first when there is none). When an old handle can no
    /// longer begin a transaction (the card was removed or reset since), it is
    /// dropped and, if `same_card()` confirms the token now in the reader is
    /// still the one the caller means, `op` runs over a new handle; otherwise
    /// [`HeldError::Replaced`]. Nothing is sent before that check.
    pub fn run<R>(
        &self,
        backend: &dyn Backend,
        reader: &str,
        same_card: impl FnOnce() -> bool,
        op: impl FnOnce(&mut dyn SmartCardConnection) -> R,
    ) -> Result<R, HeldError> {
        let slot = self.slot(reader);
        let mut slot = lock(&slot);
        let mut op = Some(op);
        let mut same_card = Some(same_card);
        loop {
            let fresh = slot.device.is_none();
            if fresh {
                slot.device = Some(backend.connect(reader).map_err(HeldError::Transport)?);
            }
            let Some(device) = slot.device.as_mut() else {
                return Err(HeldError::Transport(TransportError::NoCard(reader.into())));
            };
            let mut out = None;
            let begun = device.run(&mut |conn| {
                if let Some(f) = op.take() {
                    out = Some(f(conn));
                }
            });
            slot.last_used = Some(Instant::now());
            match (begun, out) {
                (Ok(()), Some(out)) => return Ok(out),
                (Ok(()), None) => {
                    return Err(HeldError::Transport(TransportError::Pcsc(
                        "the transaction did not run".into(),
                    )))
                }
                (Err(e), ran) => {
                    slot.device = None;
                    if ran.is_some() || fresh {
                        return Err(HeldError::Transport(e));
                    }
                    if !same_card.take().is_some_and(|check| check()) {
                        return Err(HeldError::Replaced);
                    }
                }
            }
        }
    }

    /// Drops the handle of `reader` (its card failed mid-operation).
    pub fn release(&self, reader: &str) {
        lock(&self.slots).remove(reader);
    }

    /// Drops handles of readers whose card is gone or changed ATR.
    pub fn retain_present(&self, present: &[ReaderSnapshot]) {
        lock(&self.slots).retain(|reader, slot| {
            let Some(p) = present.iter().find(|p| &p.name == reader) else {
                return false;
            };
            // A slot in use right now is left to its operation, which
            // notices a removal itself.
            let Ok(slot) = slot.try_lock() else {
                return true;
            };
            match (&p.atr, slot.device.as_ref()) {
                (Some(atr), Some(device)) => device.atr() == atr.as_slice(),
                (Some(_), None) => true,
                (None, _) => false,
            }
        });
    }

    /// Drops handles unused for `max_idle` (skipping any in use right now).
    pub fn release_idle(&self, max_idle: Duration) {
        lock(&self.slots).retain(|_, slot| match slot.try_lock() {
            Ok(s) => s.last_used.is_none_or(|t| t.elapsed() < max_idle),
            Err(_) => true,
        });
    }

    /// Number of handles held (tests, status).
    pub fn held(&self) -> usize {
        lock(&self.slots)
            .values()
            .filter(|s| s.try_lock().map_or(true, |s| s.device.is_some()))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Listing;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// A card whose handles count connects and can be made stale.
    #[derive(Default)]
    struct Counting {
        connects: AtomicUsize,
        stale: Arc<AtomicBool>,
    }

    struct Dev(Arc<AtomicBool>);

    impl SmartCardDevice for Dev {
        fn atr(&self) -> &[u8] {
            &[0x3B, 0x00]
        }
        fn run(
            &mut self,
            op: &mut dyn FnMut(&mut dyn SmartCardConnection),
        ) -> Result<(), TransportError> {
            if self.0.swap(false, Ordering::SeqCst) {
                return Err(TransportError::Removed);
            }
            struct Echo;
            impl SmartCardConnection for Echo {
                fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
                    Ok(apdu.to_vec())
                }
            }
            op(&mut Echo);
            Ok(())
        }
    }

    impl Backend for Counting {
        fn list(&self) -> Listing {
            Listing::Readers(vec![])
        }
        fn connect(&self, _: &str) -> Result<Box<dyn SmartCardDevice>, TransportError> {
            self.connects.fetch_add(1, Ordering::SeqCst);
            Ok(Box::new(Dev(self.stale.clone())))
        }
        fn watch(&self, _: &AtomicBool, _: &mut dyn FnMut()) {}
    }

    fn echo(c: &mut dyn SmartCardConnection) -> Vec<u8> {
        c.transmit(&[1, 2]).unwrap_or_default()
    }

    #[test]
    fn one_connection_serves_many_operations() {
        let (b, held) = (Counting::default(), HeldConnections::default());
        for _ in 0..5 {
            assert_eq!(held.run(&b, "R", || true, echo).ok(), Some(vec![1, 2]));
        }
        assert_eq!(b.connects.load(Ordering::SeqCst), 1);
        assert_eq!(held.held(), 1);
    }

    #[test]
    fn a_stale_handle_is_replaced_only_for_the_same_card() {
        let (b, held) = (Counting::default(), HeldConnections::default());
        held.run(&b, "R", || true, echo).ok();
        b.stale.store(true, Ordering::SeqCst);
        assert!(matches!(
            held.run(&b, "R", || false, echo),
            Err(HeldError::Replaced)
        ));
        assert_eq!(held.run(&b, "R", || true, echo).ok(), Some(vec![1, 2]));
        b.stale.store(true, Ordering::SeqCst);
        assert_eq!(held.run(&b, "R", || true, echo).ok(), Some(vec![1, 2]));
        assert_eq!(b.connects.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn a_fresh_handle_that_fails_is_a_transport_error() {
        let (b, held) = (Counting::default(), HeldConnections::default());
        b.stale.store(true, Ordering::SeqCst);
        assert!(matches!(
            held.run(&b, "R", || true, echo),
            Err(HeldError::Transport(TransportError::Removed))
        ));
    }

    #[test]
    fn absent_changed_and_idle_cards_are_released() {
        let (b, held) = (Counting::default(), HeldConnections::default());
        held.run(&b, "A", || true, echo).ok();
        held.run(&b, "B", || true, echo).ok();
        held.run(&b, "C", || true, echo).ok();
        held.retain_present(&[
            ReaderSnapshot {
                name: "A".into(),
                atr: Some(vec![0x3B, 0x00]),
            },
            ReaderSnapshot {
                name: "B".into(),
                atr: Some(vec![0x3B, 0x01]),
            },
        ]);
        assert_eq!(held.held(), 1, "B changed ATR, C left");
        held.release_idle(Duration::from_secs(3600));
        assert_eq!(held.held(), 1);
        held.release_idle(Duration::ZERO);
        assert_eq!(held.held(), 0);
    }
}
