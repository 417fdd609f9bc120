//! **Emulator-defined** PIV encodings: everything HID (and, for the Yubico
//! flavour, Yubico) does not publish, defined here and nowhere else so it can be
//! corrected in one place when a real transcript turns up.
//!
//! Documented facts these choices sit next to: crescendo-apdu.md §6.1 (GET PIV
//! PROPERTIES: TLV order and total sizes, tag 01 = `21 03 00 03 06`), §6.3 ("PUK
//! viewing, pairing code and VCI: nothing Crescendo-specific found"), protocols.md
//! §2.8 (pairing code `5FC123`), §2.11 (no Yubico tool stores the PUK on the card).

/// Stored PUK ("View PUK", standalone devices): a PIV data object in the
/// vendor range `5FFFxx` (Yubico uses 5FFF00–5FFF15; this tag avoids them).
/// Read: PIV PIN verified. Write (PUT DATA): admin rights. Absent in factory
/// state (the host's Personalize writes it).
pub const STORED_PUK_TAG: u32 = 0x5F_FF_40;

/// Inside [`STORED_PUK_TAG`]: the object contents are exactly
/// `81 L <PUK bytes as the host entered them>`, with L in
/// [`STORED_PUK_LEN`]; `53 00` deletes the object.
pub const STORED_PUK_VALUE_TAG: u32 = 0x81;

/// Allowed PUK lengths in the stored-PUK object (long enough for a 3DES-192 admin
/// key written as 48 hex characters, crescendo-apdu.md §3.6).
pub const STORED_PUK_LEN: std::ops::RangeInclusive<usize> = 1..=64;

/// Whether a Crescendo Key leaves the factory with a pairing code in `5FC123`
/// (8 random digits drawn once per card, kept across RESET CARD like the number
/// printed on a card's back; protocols.md §2.8). The Yubico flavour has none.
pub const CRESCENDO_HAS_PAIRING_CODE: bool = true;

/// CHUID expiration date (`35 08 YYYYMMDD`, SP 800-73-4 Part 1 Table 9) of the
/// factory CHUID the emulator writes on a Crescendo Key.
pub const CHUID_EXPIRY: &[u8; 8] = b"20351231";

/// Version reported by the Yubico flavour's GET VERSION (`00 FD 00 00`). 5.4.3:
/// new enough for GET METADATA (5.3) and AES management keys (5.4), old enough
/// that the default management key is still 3DES (protocols.md §2.3).
pub const YUBICO_VERSION: [u8; 3] = [5, 4, 3];

/// Range of the random serial (GET SERIAL `00 F8 00 00`) drawn once per
/// Yubico-flavour card: eight decimal digits, as current YubiKeys print.
pub const YUBICO_SERIAL_RANGE: std::ops::Range<u32> = 10_000_000..100_000_000;

/// GET PIV PROPERTIES (crescendo-apdu.md §6.1) values whose meaning is
/// undocumented ("?" in HID's table). Only their total TLV sizes are published
/// (39: 3, 3A: 9, 3B: 2, 45: 7 bytes); the emulator fills them with zeros.
pub mod properties {
    /// `39 01 ..`
    pub const TAG_39: [u8; 1] = [0x00];
    /// `3A 07 ..`
    pub const TAG_3A: [u8; 7] = [0x00; 7];
    /// `3B 00`
    pub const TAG_3B: [u8; 0] = [];
    /// `45 05 ..`
    pub const TAG_45: [u8; 5] = [0x00; 5];

    /// Access-rule bytes `26 02 <read> <write>` inside each `50`/`51` entry.
    /// The live C2300 trace shows tag 26 with no decode; these codes are ours.
    pub mod access {
        /// Readable or usable without authentication.
        pub const ALWAYS: u8 = 0x00;
        /// Needs the PIN ("PIN or PIV PIN").
        pub const PIN: u8 = 0x01;
        /// Needs admin rights (PIN or XAUTH1, crescendo-apdu.md §4).
        pub const ADMIN: u8 = 0x02;
        /// Needs the PIN over the contact interface (pairing code).
        pub const PIN_CONTACT: u8 = 0x03;
    }

    /// One generic container (`50 0C`): SP 800-73-4 ContainerID (`47 02`),
    /// access rules (`26 02`), maximum size in bytes (`42 02`).
    pub struct Container {
        /// ContainerID, SP 800-73-4 Part 1 Table 2.
        pub id: u16,
        /// `[read, write]` in [`access`] codes.
        pub access: [u8; 2],
        /// Maximum contents size (emulator's limit).
        pub max_size: u16,
    }

    const fn container(id: u16, read: u8, max_size: u16) -> Container {
        Container {
            id,
            access: [read, access::ADMIN],
            max_size,
        }
    }

    /// The generic containers listed, in this order.
    pub const CONTAINERS: &[Container] = &[
        container(0xDB00, access::ALWAYS, 266),     // CCC
        container(0x3000, access::ALWAYS, 3377),    // CHUID
        container(0x9000, access::ALWAYS, 1336),    // Security Object
        container(0x6010, access::PIN, 4016),       // Fingerprints
        container(0x6030, access::PIN, 12710),      // Facial image
        container(0x3001, access::PIN, 245),        // Printed Information
        container(0x6050, access::ALWAYS, 19),      // Discovery
        container(0x6060, access::ALWAYS, 128),     // Key History
        container(0x1015, access::PIN, 7100),       // Iris
        container(0x1016, access::ALWAYS, 61),      // BIT group template
        container(0x1017, access::ALWAYS, 2000),    // SM certificate signer
        container(0x1018, access::PIN_CONTACT, 12), // Pairing code
    ];

    /// One PKI slot (`51 15`): ContainerID of its certificate (`47 02`), access
    /// rules (`26 02`), key reference (`48 01`), crypto parameters (`43 04`:
    /// algorithm, key length, private-key status, public-key status), maximum
    /// certificate size (`42 02`).
    pub struct PkiSlot {
        /// Certificate ContainerID, SP 800-73-4 Part 1 Table 2.
        pub container: u16,
        /// Key reference (9A, 9C, 9D, 9E, 82–95).
        pub key_ref: u8,
        /// `[use, write]` in [`access`] codes.
        pub access: [u8; 2],
    }

    /// Algorithm byte of every slot: `07` RSA-2048 (the C4000 algorithm table,
    /// crescendo-apdu.md §6.1; INJECT PKI KEY sends 128-byte CRT parts, §6.2).
    pub const SLOT_ALGORITHM: u8 = 0x07;
    /// Key-length byte while no key is present.
    pub const NO_KEY_LENGTH: u8 = 0x00;
    /// Key status "not initialized" (documented, 3rd-party: 00 / 01 / 81).
    pub const KEY_NOT_INITIALIZED: u8 = 0x00;
    /// Maximum certificate size per slot.
    pub const CERT_MAX_SIZE: u16 = 2000;

    /// 9A, 9C, 9D, 9E, then the 20 retired key-management slots 82–95.
    pub fn pki_slots() -> impl Iterator<Item = PkiSlot> {
        let primary = [
            (0x0101, 0x9A, access::PIN),
            (0x0100, 0x9C, access::PIN),
            (0x0102, 0x9D, access::PIN),
            (0x0500, 0x9E, access::ALWAYS),
        ];
        let retired = (0u8..20).map(|i| (0x1001 + u16::from(i), 0x82 + i, access::PIN));
        primary
            .into_iter()
            .chain(retired)
            .map(|(container, key_ref, use_)| PkiSlot {
                container,
                key_ref,
                access: [use_, access::ADMIN],
            })
    }
}
