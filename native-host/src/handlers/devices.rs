//! `devices.list`: readers, ATRs and the model guessed from each ATR.

use tessera_core::protocol::{CardInfo, DevicesList, PcscState, PcscStatus, Reader};

use crate::atr::model_from_atr;
use crate::backend::Listing;
use crate::handlers::pin;
use crate::handlers::token::{Ctx, Found};

/// Lists readers and their cards. A stopped smart-card service is a state of
/// the result (`pcsc.state = no_service`), not an error: the popup explains it.
pub fn list(ctx: &Ctx) -> DevicesList {
    let (backend, cache) = (ctx.backend, ctx.cache);
    let (state, message, readers) = match backend.list() {
        Listing::Readers(readers) => (PcscState::Ok, None, readers),
        Listing::NoService(m) => (PcscState::NoService, Some(m), vec![]),
        Listing::Error(m) => (PcscState::Error, Some(m), vec![]),
    };
    cache.retain_present(&readers);
    let list = DevicesList {
        pcsc: PcscStatus { state, message },
        readers: readers
            .into_iter()
            .map(|r| Reader {
                card: r.atr.as_ref().map(|atr| CardInfo {
                    atr: hex::encode_upper(atr),
                    model: model_from_atr(atr),
                    token: cache.token_fresh(backend, &r).map(|(mut info, fresh)| {
                        // A fresh probe read the lock state already.
                        if !fresh {
                            let found = Found {
                                reader: r.name.clone(),
                                info: info.clone(),
                            };
                            info.pin = pin::status(ctx, &found).ok();
                        }
                        info.must_change_pin = ctx.policies.must_change(&info.id);
                        ctx.admin.apply(&mut info);
                        info
                    }),
                }),
                name: r.name,
            })
            .collect(),
    };
    tracing::info!(readers = list.readers.len(), pcsc = ?list.pcsc.state, "devices.list");
    list
}
