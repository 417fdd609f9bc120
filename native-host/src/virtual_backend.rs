//! The in-process virtual token as a [`Backend`]: one reader, "Tessera Virtual
//! Token", whose card is a `tessera_virtual_token::card::VirtualCard` (used by
//! `--virtual` in the CLI). Only its APDU interface is used: the host's drivers
//! talk to it exactly as to a card behind PC/SC.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tessera_virtual_token::card::VirtualCard;
use tessera_virtual_token::platform::{ButtonMode, Platform};
use tessera_virtual_token::profile::Profile;
use tessera_virtual_token::state_file::StateFile;

use crate::backend::{Backend, Listing, ReaderSnapshot};
use crate::connection::{SmartCardConnection, SmartCardDevice, TransportError};

/// Reader name of the in-process token.
pub const VIRTUAL_READER: &str = "Tessera Virtual Token";

struct Shared {
    card: VirtualCard,
    state: Option<StateFile>,
}

/// A virtual token kept in this process, saved to its state file after changes.
#[derive(Clone)]
pub struct VirtualBackend(Arc<Mutex<Shared>>);

impl VirtualBackend {
    /// A token of `profile` whose state lives in `state` (created if missing).
    pub fn open(profile: &str, state: &Path, button: ButtonMode) -> Result<VirtualBackend, String> {
        let profile = Profile::from_name(profile).ok_or_else(|| {
            format!("unknown virtual profile {profile:?} (crescendo-key or ykoath)")
        })?;
        let (file, saved) = StateFile::open(state, profile.name()).map_err(|e| e.to_string())?;
        let mut card = profile.build(Platform::system(button));
        match saved {
            Some(s) => card
                .load_state(s)
                .map_err(|e| format!("{}: {e}", state.display()))?,
            None => file.save(&card.save_state()).map_err(|e| e.to_string())?,
        }
        Ok(VirtualBackend(Arc::new(Mutex::new(Shared {
            card,
            state: Some(file),
        }))))
    }

    /// A token with no state file (tests).
    pub fn ephemeral(card: VirtualCard) -> VirtualBackend {
        VirtualBackend(Arc::new(Mutex::new(Shared { card, state: None })))
    }
}

impl Backend for VirtualBackend {
    fn list(&self) -> Listing {
        let shared = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        Listing::Readers(vec![ReaderSnapshot {
            name: VIRTUAL_READER.to_owned(),
            atr: Some(shared.card.atr().to_vec()),
        }])
    }

    fn connect(&self, reader: &str) -> Result<Box<dyn SmartCardDevice>, TransportError> {
        if reader != VIRTUAL_READER {
            return Err(TransportError::NoCard(reader.to_owned()));
        }
        let atr = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .card
            .atr()
            .to_vec();
        Ok(Box::new(VirtualDevice {
            shared: self.0.clone(),
            atr,
        }))
    }

    /// The in-process token never leaves: nothing to report.
    fn watch(&self, stop: &AtomicBool, _on_change: &mut dyn FnMut()) {
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

struct VirtualDevice {
    shared: Arc<Mutex<Shared>>,
    atr: Vec<u8>,
}

struct Locked<'a>(&'a mut VirtualCard);

impl SmartCardConnection for Locked<'_> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        Ok(self.0.transmit(apdu))
    }
}

impl SmartCardDevice for VirtualDevice {
    fn atr(&self) -> &[u8] {
        &self.atr
    }

    /// Holds the card for the whole operation (a transaction), then saves.
    fn run(
        &mut self,
        op: &mut dyn FnMut(&mut dyn SmartCardConnection),
    ) -> Result<(), TransportError> {
        let mut shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        op(&mut Locked(&mut shared.card));
        if shared.card.take_dirty() {
            let state = shared.card.save_state();
            if let Some(file) = &shared.state {
                file.save(&state).map_err(|e| {
                    TransportError::Pcsc(format!("cannot save the virtual token: {e}"))
                })?;
            }
        }
        Ok(())
    }

    /// ICC power off and on. Over contact the virtual key's authenticator stays
    /// powered (USB), as on a real key: FIDO reset still needs a replug.
    fn power_cycle(&mut self) -> Result<bool, TransportError> {
        let mut shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        shared.card.power_off();
        shared.card.power_on();
        Ok(true)
    }
}
