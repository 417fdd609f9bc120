//! PIV data objects: tags, access rules and the factory contents
//! (NIST SP 800-73-4 Part 1 §3 and Appendix A; protocols.md §2.2, §2.6, §2.7).

use super::emulator_defined;
use super::tlv;

/// Card Capability Container.
pub const CCC: u32 = 0x5FC107;
/// Card Holder Unique Identifier.
pub const CHUID: u32 = 0x5FC102;
/// Cardholder fingerprints.
pub const FINGERPRINTS: u32 = 0x5FC103;
/// Cardholder facial image.
pub const FACIAL_IMAGE: u32 = 0x5FC108;
/// Printed Information (Yubico tools keep their PIN-protected data here, §2.11).
pub const PRINTED_INFORMATION: u32 = 0x5FC109;
/// Key History object.
pub const KEY_HISTORY: u32 = 0x5FC10C;
/// Cardholder iris images.
pub const IRIS: u32 = 0x5FC121;
/// Pairing Code Reference Data Container (VCI).
pub const PAIRING_CODE: u32 = 0x5FC123;
/// Discovery object (read as `7E`, not wrapped in `53`).
pub const DISCOVERY: u32 = 0x7E;
/// Biometric Information Templates group template (read as `7F61`).
pub const BIT_GROUP: u32 = 0x7F61;
/// Crescendo GET PIV PROPERTIES pseudo-object (crescendo-apdu.md §6.1).
pub const PIV_PROPERTIES: u32 = 0xFFFF7F;

/// The full PIV AID (SP 800-73-4 Part 1 §2.2).
pub const PIV_AID: [u8; 11] = [
    0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00,
];

/// PIN Usage Policy of the Discovery object (`5F2F`, protocols.md §2.7):
/// `40` = only the PIV application PIN satisfies the ACRs, no Global PIN, no
/// OCC, no VCI; `00` = second byte, required when the Global PIN bit is clear.
/// Same on both flavours: YubiKeys send `40 00`; nothing HID-specific is
/// published (crescendo-apdu.md §6.3) and ActivClient's VCI list names only
/// Idemia cards, so the Crescendo Key claims no VCI either.
pub const PIN_USAGE_POLICY: [u8; 2] = [0x40, 0x00];

/// Who may read an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAccess {
    /// Always.
    Always,
    /// After the PIV PIN.
    Pin,
    /// After the PIV PIN, over the contact interface only (pairing code, §2.6).
    PinContact,
}

/// Read rule of a tag; `None` for tags that name no object on this card.
pub fn read_access(tag: u32) -> Option<ReadAccess> {
    match tag {
        FINGERPRINTS | FACIAL_IMAGE | PRINTED_INFORMATION | IRIS => Some(ReadAccess::Pin),
        emulator_defined::STORED_PUK_TAG => Some(ReadAccess::Pin),
        PAIRING_CODE => Some(ReadAccess::PinContact),
        DISCOVERY | BIT_GROUP => Some(ReadAccess::Always),
        // The standard container range and the vendor range Yubico uses.
        0x5FC101..=0x5FC123 | 0x5FFF00..=0x5FFFFF => Some(ReadAccess::Always),
        _ => None,
    }
}

/// Whether PUT DATA may write the tag (Discovery is fixed, as on a YubiKey).
pub fn writable(tag: u32) -> bool {
    tag != DISCOVERY && tag != PIV_PROPERTIES && read_access(tag).is_some()
}

/// The Discovery object as GET DATA returns it:
/// `7E 12 4F 0B <PIV AID> 5F 2F 02 <policy>` (protocols.md §2.6).
pub fn discovery() -> Vec<u8> {
    let mut inner = tlv::encode(0x4F, &PIV_AID);
    tlv::push(&mut inner, 0x5F2F, &PIN_USAGE_POLICY);
    tlv::encode(DISCOVERY, &inner)
}

/// FASC-N of a card without a federal agency code (agency 9999, system 9999,
/// credential 999999), as SP 800-73-4 allows and YubiKeys carry
/// (protocols.md §2.6, CHUID example).
pub const FASC_N: [u8; 25] = [
    0xD4, 0xE7, 0x39, 0xDA, 0x73, 0x9C, 0xED, 0x39, 0xCE, 0x73, 0x9D, 0x83, 0x68, 0x58, 0x21, 0x08,
    0x42, 0x10, 0x84, 0x21, 0x38, 0x42, 0x10, 0xC3, 0xF5,
];

/// CHUID contents: `30 19 <FASC-N> 34 10 <GUID> 35 08 <expiry> 3E 00 FE 00`
/// (SP 800-73-4 Part 1 Table 9; empty issuer signature as ykman writes it).
pub fn chuid(guid: &[u8; 16]) -> Vec<u8> {
    let mut v = tlv::encode(0x30, &FASC_N);
    tlv::push(&mut v, 0x34, guid);
    tlv::push(&mut v, 0x35, emulator_defined::CHUID_EXPIRY);
    tlv::push(&mut v, 0x3E, &[]);
    tlv::push(&mut v, 0xFE, &[]);
    v
}

/// CCC contents (SP 800-73-4 Part 1 Table 8), the layout YubiKeys carry:
/// `F0 15 A0 00 00 01 16 FF 02 <14-byte card id>`, versions `21`, data model
/// `10`, the rest empty (protocols.md §2.6).
pub fn ccc(card_id: &[u8; 14]) -> Vec<u8> {
    let mut id = vec![0xA0, 0x00, 0x00, 0x01, 0x16, 0xFF, 0x02];
    id.extend_from_slice(card_id);
    let mut v = tlv::encode(0xF0, &id);
    for (tag, value) in [
        (0xF1, &[0x21][..]),
        (0xF2, &[0x21]),
        (0xF3, &[]),
        (0xF4, &[0x00]),
        (0xF5, &[0x10]),
        (0xF6, &[]),
        (0xF7, &[]),
        (0xFA, &[]),
        (0xFB, &[]),
        (0xFC, &[]),
        (0xFD, &[]),
        (0xFE, &[]),
    ] {
        tlv::push(&mut v, tag, value);
    }
    v
}

/// Key History contents with no retired keys: `C1 01 00 C2 01 00 FE 00`
/// (SP 800-73-4 Part 1 Table 19; offCardCertURL only when C2 > 0).
pub fn empty_key_history() -> Vec<u8> {
    let mut v = tlv::encode(0xC1, &[0]);
    tlv::push(&mut v, 0xC2, &[0]);
    tlv::push(&mut v, 0xFE, &[]);
    v
}

/// Pairing Code Reference Data Container contents: `99 08 <8 digits> FE 00`
/// (SP 800-73-4 Part 1 Table 43; protocols.md §2.6).
pub fn pairing_code(digits: &[u8; 8]) -> Vec<u8> {
    let mut v = tlv::encode(0x99, digits);
    tlv::push(&mut v, 0xFE, &[]);
    v
}

/// Checks the stored-PUK object contents (emulator-defined, see
/// [`emulator_defined::STORED_PUK_TAG`]).
pub fn stored_puk_is_valid(contents: &[u8]) -> bool {
    tlv::read_single(contents).is_some_and(|t| {
        t.tag == emulator_defined::STORED_PUK_VALUE_TAG
            && emulator_defined::STORED_PUK_LEN.contains(&t.value.len())
    })
}
