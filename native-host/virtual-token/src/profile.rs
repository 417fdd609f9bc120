//! Device profiles: which applets, ATR and factory values make up a token.
//!
//! - `crescendo-key`: HID Crescendo Key on the C2300 platform (crescendo-apdu.md
//!   §1.1, §4): ACA, three OATH slot instances, PIV, FIDO2.
//! - `ykoath`: a YKOATH key (YubiKey-style): YKOATH, PIV, FIDO2 (protocols.md §1–2).

use crate::applet::{Applet, PinState};
use crate::applets::aca::{AcaApplet, XauthKey};
use crate::applets::crescendo_oath::CrescendoOathSlot;
use crate::applets::fido::{Authenticator, FidoApplet, FidoOptions};
use crate::applets::piv::{PivApplet, PivFlavour};
use crate::applets::ykoath::YkOathApplet;
use crate::card::VirtualCard;
use crate::platform::Platform;

/// A device profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// HID Crescendo Key (C2300 platform).
    CrescendoKey,
    /// A multi-account YKOATH key.
    YkOath,
}

/// Crescendo Key ATR, historical bytes "C2300-KEY" (crescendo-apdu.md §1).
const CRESCENDO_KEY_ATR: [u8; 19] = [
    0x3B, 0xD9, 0x96, 0xFF, 0x81, 0x91, 0xFE, 0x1F, 0xC3, 0x43, 0x32, 0x33, 0x30, 0x30, 0x2D, 0x4B,
    0x45, 0x59, 0xBA,
];

/// YubiKey 5 USB ATR (protocols.md §0.1 "YubiKey ATRs").
const YUBIKEY5_ATR: [u8; 23] = [
    0x3B, 0xFD, 0x13, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x15, 0x80, 0x73, 0xC0, 0x21, 0xC0, 0x57, 0x59,
    0x75, 0x62, 0x69, 0x4B, 0x65, 0x79, 0x40,
];

/// Crescendo PIN retry limit: not documented (a Key V3 answered 63C6 to an empty
/// VERIFY, crescendo-apdu.md §4); **emulator-defined** as 6.
pub const CRESCENDO_PIN_TRIES: u8 = 6;

impl Profile {
    /// Every profile.
    pub const ALL: [Profile; 2] = [Profile::CrescendoKey, Profile::YkOath];

    /// Name used on the command line and in state files.
    pub fn name(self) -> &'static str {
        match self {
            Profile::CrescendoKey => "crescendo-key",
            Profile::YkOath => "ykoath",
        }
    }

    /// Parses a profile name.
    pub fn from_name(name: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The token's ATR.
    pub fn atr(self) -> Vec<u8> {
        match self {
            Profile::CrescendoKey => CRESCENDO_KEY_ATR.to_vec(),
            Profile::YkOath => YUBIKEY5_ATR.to_vec(),
        }
    }

    /// Factory PIN: Crescendo "00000000", 4–8 digits (§1.1, §3.4); YKOATH-key PIV
    /// "123456", 6–8 characters, 3 tries (protocols.md §2.3).
    pub fn factory_pin(self) -> PinState {
        match self {
            Profile::CrescendoKey => PinState {
                value: PinState::pad(b"00000000"),
                tries_left: CRESCENDO_PIN_TRIES,
                max_tries: CRESCENDO_PIN_TRIES,
                min_len: 4,
                max_len: 8,
                numeric_only: true,
            },
            Profile::YkOath => PinState {
                value: PinState::pad(b"123456"),
                tries_left: 3,
                max_tries: 3,
                min_len: 6,
                max_len: 8,
                numeric_only: false,
            },
        }
    }

    /// Fresh applets in factory state (FIDO is added by [`Profile::build`], as it
    /// needs the platform).
    pub fn applets(self) -> Vec<Box<dyn Applet>> {
        match self {
            Profile::CrescendoKey => vec![
                Box::new(AcaApplet::new(Some(XauthKey::factory_aes()))),
                Box::new(CrescendoOathSlot::new(1)),
                Box::new(CrescendoOathSlot::new(2)),
                Box::new(CrescendoOathSlot::new(3)),
                Box::new(PivApplet::new(PivFlavour::Crescendo)),
            ],
            Profile::YkOath => vec![
                Box::new(YkOathApplet::new()),
                Box::new(PivApplet::new(PivFlavour::Yubico)),
            ],
        }
    }

    /// A powered card of this profile in factory state.
    pub fn build(self, platform: Platform) -> VirtualCard {
        self.build_with_fido(platform).0
    }

    /// A powered card, and a handle on its FIDO authenticator (for the
    /// CTAPHID side of the same key, [`crate::ctaphid::CtapHidDevice`]).
    pub fn build_with_fido(self, mut platform: Platform) -> (VirtualCard, Authenticator) {
        let fido = Authenticator::from_platform(&mut platform, FidoOptions::default());
        let mut applets = self.applets();
        applets.push(Box::new(FidoApplet::new(fido.clone())));
        let card = VirtualCard::new(
            self.name(),
            self.atr(),
            platform,
            self.factory_pin(),
            applets,
        );
        (card, fido)
    }
}
