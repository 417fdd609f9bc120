//! GET PIV PROPERTIES on the Crescendo Key (crescendo-apdu.md §6.1):
//! `00 CB 3F FF 05 5C 03 FF FF 7F 00` → `53 <len>` with, in order, `01` (applet
//! version), `39`, `3A`, `3B`, one `50` per generic container, one `51` per PKI
//! slot, and `45`. Only the order, the total TLV sizes and tag 01 are published;
//! the rest comes from [`emulator_defined::properties`].

use super::emulator_defined::properties as def;
use super::tlv;

/// Applet Version Block value: family 21h (PIV), version 3.0.3.6 (a live C2300,
/// 3rd-party; crescendo-apdu.md §6.1 and §8).
pub const APPLET_VERSION: [u8; 5] = [0x21, 0x03, 0x00, 0x03, 0x06];

/// The whole response data (`53 …`).
pub fn response() -> Vec<u8> {
    let mut v = tlv::encode(0x01, &APPLET_VERSION);
    tlv::push(&mut v, 0x39, &def::TAG_39);
    tlv::push(&mut v, 0x3A, &def::TAG_3A);
    tlv::push(&mut v, 0x3B, &def::TAG_3B);
    for c in def::CONTAINERS {
        let mut e = tlv::encode(0x47, &c.id.to_be_bytes());
        tlv::push(&mut e, 0x26, &c.access);
        tlv::push(&mut e, 0x42, &c.max_size.to_be_bytes());
        tlv::push(&mut v, 0x50, &e);
    }
    for s in def::pki_slots() {
        let mut e = tlv::encode(0x47, &s.container.to_be_bytes());
        tlv::push(&mut e, 0x26, &s.access);
        tlv::push(&mut e, 0x48, &[s.key_ref]);
        tlv::push(
            &mut e,
            0x43,
            &[
                def::SLOT_ALGORITHM,
                def::NO_KEY_LENGTH,
                def::KEY_NOT_INITIALIZED,
                def::KEY_NOT_INITIALIZED,
            ],
        );
        tlv::push(&mut e, 0x42, &def::CERT_MAX_SIZE.to_be_bytes());
        tlv::push(&mut v, 0x51, &e);
    }
    tlv::push(&mut v, 0x45, &def::TAG_45);
    tlv::encode(0x53, &v)
}
