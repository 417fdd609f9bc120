//! `devices.list`: readers, ATRs and the model guessed from each ATR.

use tessera_core::protocol::DevicesList;

use crate::pcsc_transport;

/// Lists PC/SC readers and their cards. A stopped smart-card service is a state
/// of the result (`pcsc.state = no_service`), not an error: the popup explains it.
pub fn list() -> DevicesList {
    let list = pcsc_transport::list_readers();
    tracing::info!(readers = list.readers.len(), pcsc = ?list.pcsc.state, "devices.list");
    list
}
