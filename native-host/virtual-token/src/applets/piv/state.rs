//! PIV state: persistent (data objects, card identity, Yubico-flavour PIN, PUK
//! and management key) and volatile (security status, pending challenge).

use std::collections::BTreeMap;

use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

use super::emulator_defined;
use super::mgmt::{ManagementKey, Pending};
use super::objects;
use super::PivFlavour;
use crate::applet::PinState;

/// Random per-card values, drawn once (on first use) and kept across resets,
/// like numbers printed on the card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// CHUID GUID (16 bytes).
    #[serde(with = "hex_bytes")]
    pub guid: Vec<u8>,
    /// CCC card identifier tail (14 bytes).
    #[serde(with = "hex_bytes")]
    pub card_id: Vec<u8>,
    /// Serial number (Yubico GET SERIAL).
    pub serial: u32,
    /// VCI pairing code, 8 ASCII digits.
    pub pairing_code: String,
}

impl Identity {
    /// Draws a new identity.
    pub fn generate(rng: &mut dyn RngCore) -> Identity {
        let mut guid = vec![0u8; 16];
        rng.fill_bytes(&mut guid);
        let mut card_id = vec![0u8; 14];
        rng.fill_bytes(&mut card_id);
        let serial = rng.gen_range(emulator_defined::YUBICO_SERIAL_RANGE);
        let pairing_code = (0..8)
            .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
            .collect();
        Identity {
            guid,
            card_id,
            serial,
            pairing_code,
        }
    }

    fn is_valid(&self) -> bool {
        self.guid.len() == 16
            && self.card_id.len() == 14
            && self.pairing_code.len() == 8
            && self.pairing_code.bytes().all(|b| b.is_ascii_digit())
    }
}

/// PIN, PUK and management key of the Yubico flavour (the Crescendo flavour
/// uses the card PIN and the ACA's XAUTH instead).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// PIV PIN (reference 80).
    pub pin: PinState,
    /// PUK (reference 81).
    pub puk: PinState,
    /// Card management key (9B).
    pub management: ManagementKey,
}

/// Default PIV PIN of a YubiKey: `123456` (protocols.md §2.3).
pub const DEFAULT_PIN: &[u8] = b"123456";
/// Default PUK of a YubiKey: `12345678`.
pub const DEFAULT_PUK: &[u8] = b"12345678";
/// Default retry limit of PIN and PUK.
pub const DEFAULT_TRIES: u8 = 3;

impl Credentials {
    /// Factory values with the given retry limits.
    pub fn with_tries(pin_tries: u8, puk_tries: u8) -> Credentials {
        // PIN and PUK: 6–8 bytes, any value but the FF pad (protocols.md §2.3).
        let secret = |value: &[u8], tries| PinState {
            value: PinState::pad(value),
            tries_left: tries,
            max_tries: tries,
            min_len: 6,
            max_len: 8,
            numeric_only: false,
        };
        Credentials {
            pin: secret(DEFAULT_PIN, pin_tries),
            puk: secret(DEFAULT_PUK, puk_tries),
            management: ManagementKey::default(),
        }
    }

    fn is_valid(&self) -> bool {
        let ok = |p: &PinState| p.value.len() == 8 && p.tries_left <= p.max_tries;
        ok(&self.pin) && ok(&self.puk) && self.management.is_valid()
    }
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials::with_tries(DEFAULT_TRIES, DEFAULT_TRIES)
    }
}

/// Everything the state file keeps for the PIV applet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Persistent {
    /// Which flavour wrote the state.
    pub flavour: PivFlavour,
    /// Per-card random values; `None` until the card is first used.
    pub identity: Option<Identity>,
    /// Data objects by tag: the contents inside `53` (or `7F61`).
    #[serde(with = "object_map")]
    pub objects: BTreeMap<u32, Vec<u8>>,
    /// Yubico flavour only.
    pub credentials: Option<Credentials>,
}

impl Persistent {
    /// Factory state before the identity is drawn.
    pub fn new(flavour: PivFlavour) -> Persistent {
        Persistent {
            flavour,
            identity: None,
            objects: BTreeMap::new(),
            credentials: (flavour == PivFlavour::Yubico).then(Credentials::default),
        }
    }

    /// Draws the identity and writes the factory objects, once per card.
    /// Returns whether anything changed.
    pub fn ensure_identity(&mut self, rng: &mut dyn RngCore) -> bool {
        if self.identity.is_some() {
            return false;
        }
        self.identity = Some(Identity::generate(rng));
        self.objects = self.factory_objects();
        true
    }

    /// Back to factory state; the identity stays.
    pub fn reset_to_factory(&mut self) {
        self.objects = self.factory_objects();
        if self.flavour == PivFlavour::Yubico {
            self.credentials = Some(Credentials::default());
        }
    }

    /// Objects a card of this flavour leaves the factory with. A YubiKey has
    /// none (protocols.md §2.6: tools write CHUID and CCC). The Crescendo Key is
    /// an issued PIV card: CHUID and CCC (mandatory, SP 800-73-4 Part 1 §3.1),
    /// an empty Key History, and the pairing code (emulator-defined).
    fn factory_objects(&self) -> BTreeMap<u32, Vec<u8>> {
        let mut map = BTreeMap::new();
        let Some(id) = &self.identity else {
            return map;
        };
        if self.flavour == PivFlavour::Crescendo {
            let mut guid = [0u8; 16];
            guid.copy_from_slice(id.guid.get(..16).unwrap_or(&[0; 16]));
            let mut card_id = [0u8; 14];
            card_id.copy_from_slice(id.card_id.get(..14).unwrap_or(&[0; 14]));
            map.insert(objects::CHUID, objects::chuid(&guid));
            map.insert(objects::CCC, objects::ccc(&card_id));
            map.insert(objects::KEY_HISTORY, objects::empty_key_history());
            if emulator_defined::CRESCENDO_HAS_PAIRING_CODE {
                let mut digits = [b'0'; 8];
                for (d, c) in digits.iter_mut().zip(id.pairing_code.bytes()) {
                    *d = c;
                }
                map.insert(objects::PAIRING_CODE, objects::pairing_code(&digits));
            }
        }
        map
    }

    /// Checks a state read from a file.
    pub fn validate(&self, flavour: PivFlavour) -> Result<(), String> {
        if self.flavour != flavour {
            return Err(format!(
                "PIV state of flavour {:?}, the applet is {:?}",
                self.flavour, flavour
            ));
        }
        if self.identity.as_ref().is_some_and(|i| !i.is_valid()) {
            return Err("malformed PIV identity".into());
        }
        match (&self.credentials, flavour) {
            (Some(c), PivFlavour::Yubico) if c.is_valid() => {}
            (None, PivFlavour::Crescendo) => {}
            _ => return Err("malformed or missing PIV credentials".into()),
        }
        if let Some(tag) = self.objects.keys().find(|&&t| !objects::writable(t)) {
            return Err(format!("PIV object {tag:06X} cannot be stored"));
        }
        Ok(())
    }
}

/// Volatile state (lost on power off; on the Yubico flavour also on deselect).
#[derive(Debug, Default)]
pub struct Volatile {
    /// Yubico flavour: PIV PIN verified. (Crescendo: the card-global flag.)
    pub pin_verified: bool,
    /// Yubico flavour: management key authenticated.
    pub admin: bool,
    /// First half of a 9B GENERAL AUTHENTICATE.
    pub pending: Option<Pending>,
}

/// Byte strings as upper-case hex in the state file.
pub mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes hex.
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode_upper(v))
    }

    /// Reads hex.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        hex::decode(s).map_err(serde::de::Error::custom)
    }
}

/// Objects as `{ "5FC102": "3019…" }` in the state file.
mod object_map {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(m: &BTreeMap<u32, Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(
            m.iter()
                .map(|(tag, v)| (format!("{tag:02X}"), hex::encode_upper(v))),
        )
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<u32, Vec<u8>>, D::Error> {
        let raw = BTreeMap::<String, String>::deserialize(d)?;
        raw.into_iter()
            .map(|(tag, v)| {
                let tag = u32::from_str_radix(&tag, 16).map_err(serde::de::Error::custom)?;
                let v = hex::decode(v).map_err(serde::de::Error::custom)?;
                Ok((tag, v))
            })
            .collect()
    }
}
