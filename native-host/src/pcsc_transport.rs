//! PC/SC transport over the `pcsc` crate (pcsc-lite / WinSCard / CryptoTokenKit):
//! reader listing and a [`SmartCardDevice`] in shared mode, one transaction per
//! operation (PC/SC part 5, `SCardBeginTransaction`).

use std::ffi::CString;
use std::time::Duration;

use pcsc::{Card, Context, Error as PcscError, Protocols, ReaderState, Scope, ShareMode, State};
use tessera_core::protocol::{CardInfo, DevicesList, PcscState, PcscStatus, Reader};

use crate::atr::model_from_atr;
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
pub fn list_readers() -> DevicesList {
    let ctx = match Context::establish(Scope::User) {
        Ok(ctx) => ctx,
        Err(e) => return unavailable(e),
    };
    let names = match ctx.list_readers_owned() {
        Ok(names) => names,
        Err(PcscError::NoReadersAvailable) => vec![],
        Err(e) => return unavailable(e),
    };
    let mut states: Vec<ReaderState> = names
        .into_iter()
        .map(|name| ReaderState::new(name, State::UNAWARE))
        .collect();
    if !states.is_empty() {
        if let Err(e) = ctx.get_status_change(Duration::ZERO, &mut states) {
            return unavailable(e);
        }
    }
    DevicesList {
        pcsc: PcscStatus {
            state: PcscState::Ok,
            message: None,
        },
        readers: states.iter().map(reader_from_state).collect(),
    }
}

fn reader_from_state(rs: &ReaderState) -> Reader {
    let event = rs.event_state();
    let present = event.contains(State::PRESENT) && !event.contains(State::MUTE);
    let card = (present && !rs.atr().is_empty()).then(|| CardInfo {
        atr: hex::encode_upper(rs.atr()),
        model: model_from_atr(rs.atr()),
    });
    Reader {
        name: rs.name().to_string_lossy().into_owned(),
        card,
    }
}

fn unavailable(e: PcscError) -> DevicesList {
    let state = match e {
        PcscError::NoService | PcscError::ServiceStopped => PcscState::NoService,
        _ => PcscState::Error,
    };
    DevicesList {
        pcsc: PcscStatus {
            state,
            message: Some(e.to_string()),
        },
        readers: vec![],
    }
}

/// A card connected in shared mode.
pub struct PcscDevice {
    card: Card,
    atr: Vec<u8>,
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
        Ok(PcscDevice { card, atr })
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

    fn transaction<R>(
        &mut self,
        op: impl FnOnce(&mut dyn SmartCardConnection) -> R,
    ) -> Result<R, TransportError> {
        let tx = self.card.transaction().map_err(map_err)?;
        let result = op(&mut PcscTransaction(&tx));
        // Dropping the transaction ends it with SCARD_LEAVE_CARD.
        drop(tx);
        Ok(result)
    }
}
