//! The host's probe against the in-process virtual token of each profile: the
//! drivers (written from the documents) recognise the emulated applets.

use tessera_host::backend::Backend;
use tessera_host::devices::probe::probe;
use tessera_host::virtual_backend::{VirtualBackend, VIRTUAL_READER};
use tessera_virtual_token::platform::{ButtonMode, Platform};
use tessera_virtual_token::profile::Profile;

fn backend(profile: Profile) -> VirtualBackend {
    VirtualBackend::ephemeral(profile.build(Platform::deterministic(5, ButtonMode::Never).0))
}

#[test]
fn crescendo_key_has_aca_three_oath_slots_piv_and_fido() {
    let b = backend(Profile::CrescendoKey);
    let info = probe(&b, VIRTUAL_READER).expect("probe");
    assert!(info.applets.aca && info.applets.piv && info.applets.fido && !info.applets.ykoath);
    assert_eq!(info.applets.oath_slots, 3);
    assert_eq!(info.id.len(), 16, "id from the CHUID GUID: {}", info.id);
    // Stable: the same token probes to the same id.
    assert_eq!(probe(&b, VIRTUAL_READER).expect("again").id, info.id);
}

#[test]
fn ykoath_key_has_ykoath_piv_and_fido() {
    let b = backend(Profile::YkOath);
    let info = probe(&b, VIRTUAL_READER).expect("probe");
    assert!(info.applets.ykoath && info.applets.piv && info.applets.fido && !info.applets.aca);
    assert_eq!(info.applets.oath_slots, 0);
    assert!(!info.id.starts_with("reader:"), "id: {}", info.id);
}

#[test]
fn unknown_reader_is_refused() {
    let b = backend(Profile::CrescendoKey);
    assert!(b.connect("Other Reader").is_err());
}
