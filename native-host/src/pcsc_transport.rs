//! PC/SC transport over the `pcsc` crate (pcsc-lite / WinSCard / CryptoTokenKit):
//! reader listing and a [`SmartCardDevice`] in shared mode, one transaction per
//! operation (PC/SC part 5, `SCardBeginTransaction`).

use std::ffi::CString;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use pcsc::{Card, Context, Error as PcscError, Protocols, ReaderState, Scope, ShareMode, State};

use crate::backend::{Listing, ReaderSnapshot};
use crate::connection::{SmartCardConnection, SmartCardDevice, TransportError};

fn map_err(e: PcscError) -> TransportError {
    match e {
        PcscError::NoService | PcscError::ServiceStopped => {
            TransportError::NoService(e.to_string())
        }
        PcscError::RemovedCard | PcscError::ResetCard => TransportError::Removed,
        other => TransportError::Pcsc(other.to_string()),
    }
}

/// Establishes a user-scope PC/SC context.
pub fn context() -> Result<Context, TransportError> {
    Context::establish(Scope::User).map_err(map_err)
}

/// Lists readers and the card in each, from reader states only (no connect, so
/// no other application is disturbed).
pub fn listing() -> Listing {
    let ctx = match Context::establish(Scope::User) {
        Ok(ctx) => ctx,
        Err(e) => return unavailable(e),
    };
    let mut states = match reader_states(&ctx) {
        Ok(states) => states,
        Err(e) => return unavailable(e),
    };
    if !states.is_empty() {
        if let Err(e) = ctx.get_status_change(Duration::ZERO, &mut states) {
            return unavailable(e);
        }
    }
    Listing::Readers(states.iter().map(snapshot).collect())
}

fn reader_states(ctx: &Context) -> Result<Vec<ReaderState>, PcscError> {
    let names = match ctx.list_readers_owned() {
        Ok(names) => names,
        Err(PcscError::NoReadersAvailable) => vec![],
        Err(e) => return Err(e),
    };
    Ok(names
        .into_iter()
        .map(|name| ReaderState::new(name, State::UNAWARE))
        .collect())
}

fn snapshot(rs: &ReaderState) -> ReaderSnapshot {
    let event = rs.event_state();
    let present = event.contains(State::PRESENT) && !event.contains(State::MUTE);
    ReaderSnapshot {
        name: rs.name().to_string_lossy().into_owned(),
        atr: (present && !rs.atr().is_empty()).then(|| rs.atr().to_vec()),
    }
}

fn unavailable(e: PcscError) -> Listing {
    match e {
        PcscError::NoService | PcscError::ServiceStopped => Listing::NoService(e.to_string()),
        _ => Listing::Error(e.to_string()),
    }
}

/// Watches readers and cards until `stop` is set, calling `on_change` after
/// every insertion, removal, or reader arrival/departure
/// (`SCardGetStatusChange` on every reader plus the PnP pseudo-reader). Keeps
/// working across pcscd restarts.
pub fn watch(stop: &AtomicBool, mut on_change: impl FnMut()) {
    const SLICE: Duration = Duration::from_millis(500);
    while !stop.load(Ordering::Relaxed) {
        let Ok(ctx) = Context::establish(Scope::User) else {
            std::thread::sleep(SLICE);
            continue;
        };
        let Ok(mut states) = reader_states(&ctx) else {
            std::thread::sleep(SLICE);
            continue;
        };
        states.push(ReaderState::new(
            pcsc::PNP_NOTIFICATION().to_owned(),
            State::UNAWARE,
        ));
        if ctx.get_status_change(Duration::ZERO, &mut states).is_err() {
            std::thread::sleep(SLICE);
            continue;
        }
        for rs in &mut states {
            rs.sync_current_state();
        }
        // Wait on this reader set until it changes shape or the service goes.
        loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            match ctx.get_status_change(SLICE, &mut states) {
                Ok(()) => {
                    on_change();
                    let readers_changed = states.iter().any(|rs| {
                        rs.event_state().intersects(State::CHANGED)
                            && rs.name() == pcsc::PNP_NOTIFICATION()
                    });
                    for rs in &mut states {
                        rs.sync_current_state();
                    }
                    if readers_changed {
                        break;
                    }
                }
                Err(PcscError::Timeout) => {}
                Err(_) => break,
            }
        }
    }
}

/// A card connected in shared mode.
pub struct PcscDevice {
    card: Option<Card>,
    atr: Vec<u8>,
}

/// Disconnects with `SCARD_LEAVE_CARD`: the pcsc crate's own drop resets the
/// card, which would throw away the PIN-verified state and a pending unblock
/// challenge after every operation.
impl Drop for PcscDevice {
    fn drop(&mut self) {
        if let Some(card) = self.card.take() {
            if let Err((_, e)) = card.disconnect(pcsc::Disposition::LeaveCard) {
                tracing::debug!(error = %e, "disconnect");
            }
        }
    }
}

impl PcscDevice {
    /// Connects to the card in `reader` (shared mode, T=0 or T=1).
    pub fn connect(ctx: &Context, reader: &str) -> Result<PcscDevice, TransportError> {
        let name = CString::new(reader).map_err(|_| TransportError::NoCard(reader.to_owned()))?;
        let card = ctx
            .connect(&name, ShareMode::Shared, Protocols::ANY)
            .map_err(|e| match e {
                PcscError::NoSmartcard
                | PcscError::UnknownReader
                | PcscError::ReaderUnavailable => TransportError::NoCard(reader.to_owned()),
                other => map_err(other),
            })?;
        let atr = card.status2_owned().map_err(map_err)?.atr().to_vec();
        Ok(PcscDevice {
            card: Some(card),
            atr,
        })
    }
}

struct PcscTransaction<'a>(&'a Card);

impl SmartCardConnection for PcscTransaction<'_> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut buf = vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
        let response = self.0.transmit(apdu, &mut buf).map_err(map_err)?;
        Ok(response.to_vec())
    }
}

impl SmartCardDevice for PcscDevice {
    fn atr(&self) -> &[u8] {
        &self.atr
    }

    fn run(
        &mut self,
        op: &mut dyn FnMut(&mut dyn SmartCardConnection),
    ) -> Result<(), TransportError> {
        let card = self.card.as_mut().ok_or(TransportError::Removed)?;
        let tx = card.transaction().map_err(map_err)?;
        op(&mut PcscTransaction(&tx));
        // Dropping the transaction ends it with SCARD_LEAVE_CARD.
        drop(tx);
        Ok(())
    }

    /// Reconnect with `SCARD_UNPOWER_CARD`: a contactless card (and its FIDO
    /// authenticator) restarts; a USB key's CCID slot only powers the ICC.
    fn power_cycle(&mut self) -> Result<bool, TransportError> {
        let card = self.card.as_mut().ok_or(TransportError::Removed)?;
        card.reconnect(
            ShareMode::Shared,
            Protocols::ANY,
            pcsc::Disposition::UnpowerCard,
        )
        .map_err(map_err)?;
        Ok(true)
    }
}
