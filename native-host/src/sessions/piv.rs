//! `PivSession`: the PIV card application (NIST SP 800-73-4 Pt2 §3; digest in
//! protocols.md §2) with the Crescendo notes of crescendo-apdu.md §6 and the
//! optional Yubico extensions (protocols.md §2.10). One method per instruction.

mod objects;

pub use objects::{
    Discovery, Metadata, PinUsagePolicy, PivInfo, PivProperties, PrimaryPin, ACTIVID_LABEL,
};

use crate::apdu::{Apdu, Processor, Sw};
use crate::connection::SmartCardConnection;
use crate::sessions::{select, Pin, SessionError};

/// The full PIV AID (SP 800-73-4 Pt1 §2.2; crescendo-apdu.md §2.1).
pub const PIV_AID: &[u8] = &[
    0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00,
];

/// Key reference of the PIV application PIN (protocols.md §2.2).
pub const PIN_REF: u8 = 0x80;
/// Key reference of the PUK.
pub const PUK_REF: u8 = 0x81;

/// Discovery object tag (protocols.md §2.2).
pub const DISCOVERY_TAG: &[u8] = &[0x7E];
/// Pairing Code Reference Data Container (SP 800-73-4; protocols.md §2.6, §2.8).
pub const PAIRING_CODE_TAG: &[u8] = &[0x5F, 0xC1, 0x23];
/// Crescendo GET PIV PROPERTIES object `FFFF7F` (crescendo-apdu.md §6.1).
pub const PIV_PROPERTIES_TAG: &[u8] = &[0xFF, 0xFF, 0x7F];
/// The Crescendo stored-PUK object: **emulator-defined** (HID publishes no
/// PUK object, crescendo-apdu.md §6.3; Yubico tooling stores none either,
/// protocols.md §2.11). The virtual Crescendo Key keeps `53 L 81 L <PUK>`
/// here, readable after the PIN; see docs/VIRTUAL_TOKEN.md.
pub const STORED_PUK_TAG: &[u8] = &[0x5F, 0xFF, 0x40];

/// PIN and PUK field: right-padded with FFh to 8 bytes (SP 800-73-4 Pt2 §2.4.3).
const PIN_FIELD: usize = 8;

/// What an empty VERIFY reports (protocols.md §2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinStatus {
    /// `9000`: verified in this session.
    Verified,
    /// `63CX`: not verified, X tries left.
    TriesLeft(u8),
    /// `6983`: blocked.
    Blocked,
}

/// An open PIV session.
pub struct PivSession<'c> {
    p: Processor<'c>,
    info: PivInfo,
}

/// Status words of the PIN-family instructions (protocols.md §2.4–2.5).
fn pin_error(ins: u8, sw: Sw) -> SessionError {
    match sw {
        Sw::WrongPin { tries } => SessionError::WrongPin { tries },
        Sw::Blocked => SessionError::Blocked,
        Sw::SecurityNotSatisfied => SessionError::SecurityNotSatisfied,
        // 6985: the YubiKey's complexity policy refused the new value.
        Sw::WrongData | Sw::ConditionsNotSatisfied => SessionError::BadPinFormat,
        Sw::RefNotFound | Sw::InsNotSupported => SessionError::NotSupported,
        sw => SessionError::Unexpected { ins, sw },
    }
}

fn ok(ins: u8, sw: Sw) -> Result<(), SessionError> {
    if sw == Sw::Ok {
        Ok(())
    } else {
        Err(pin_error(ins, sw))
    }
}

/// A PIN/PUK padded to 8 bytes. An empty or over-long value is refused before
/// anything is sent: an empty field would cost a try for nothing.
fn pin_field(pin: &Pin) -> Result<zeroize::Zeroizing<Vec<u8>>, SessionError> {
    if pin.is_empty() {
        return Err(SessionError::BadPinFormat);
    }
    pin.padded(PIN_FIELD).ok_or(SessionError::BadPinFormat)
}

fn two_fields(a: &Pin, b: &Pin) -> Result<zeroize::Zeroizing<Vec<u8>>, SessionError> {
    let mut data = pin_field(a)?;
    data.extend_from_slice(&pin_field(b)?);
    Ok(data)
}

impl<'c> PivSession<'c> {
    /// SELECTs the PIV application by its full AID and parses the
    /// Application Property Template (crescendo-apdu.md §2.3).
    pub fn open(conn: &'c mut dyn SmartCardConnection) -> Result<PivSession<'c>, SessionError> {
        let mut p = Processor::new(conn);
        let answer = select(&mut p, PIV_AID)?;
        Ok(PivSession {
            p,
            info: PivInfo::parse(&answer),
        })
    }

    /// What SELECT reported (AID, label: tells HID's ActivID applet apart).
    pub fn info(&self) -> &PivInfo {
        &self.info
    }

    /// VERIFY PIN `00 20 00 80 08 <PIN FF-padded>` (protocols.md §2.4).
    pub fn verify_pin(&mut self, pin: &Pin) -> Result<(), SessionError> {
        let data = pin_field(pin)?;
        let r = self
            .p
            .send(&Apdu::new(0x00, 0x20, 0x00, PIN_REF).data(&*data))?;
        ok(0x20, r.sw)
    }

    /// Empty VERIFY `00 20 00 80` (protocols.md §2.4): the retry probe. It
    /// never costs a try (crescendo-apdu.md §8: a Crescendo Key V3 answers `63C6`).
    pub fn pin_status(&mut self) -> Result<PinStatus, SessionError> {
        let r = self.p.send(&Apdu::new(0x00, 0x20, 0x00, PIN_REF))?;
        match r.sw {
            Sw::Ok => Ok(PinStatus::Verified),
            Sw::WrongPin { tries } => Ok(PinStatus::TriesLeft(tries)),
            Sw::Blocked => Ok(PinStatus::Blocked),
            sw => Err(pin_error(0x20, sw)),
        }
    }

    /// VERIFY with P1 = FF `00 20 FF 80` (protocols.md §2.4): clears the
    /// PIN-verified state, keeps the counter.
    pub fn reset_pin_status(&mut self) -> Result<(), SessionError> {
        let r = self.p.send(&Apdu::new(0x00, 0x20, 0xFF, PIN_REF))?;
        ok(0x20, r.sw)
    }

    /// CHANGE REFERENCE DATA `00 24 00 <ref> 10 <old><new>` (protocols.md §2.5).
    fn change_reference(&mut self, key_ref: u8, old: &Pin, new: &Pin) -> Result<(), SessionError> {
        let data = two_fields(old, new)?;
        let r = self
            .p
            .send(&Apdu::new(0x00, 0x24, 0x00, key_ref).data(&*data))?;
        ok(0x24, r.sw)
    }

    /// CHANGE REFERENCE DATA for the PIN (P2 = 80).
    pub fn change_pin(&mut self, old: &Pin, new: &Pin) -> Result<(), SessionError> {
        self.change_reference(PIN_REF, old, new)
    }

    /// CHANGE REFERENCE DATA for the PUK (P2 = 81).
    pub fn change_puk(&mut self, old: &Pin, new: &Pin) -> Result<(), SessionError> {
        self.change_reference(PUK_REF, old, new)
    }

    /// RESET RETRY COUNTER `00 2C 00 80 10 <PUK><new PIN>` (protocols.md §2.5).
    /// `WrongPin` then counts PUK tries; `NotSupported` when the card has no
    /// PUK (`6D00`/`6A88`).
    pub fn unblock_pin(&mut self, puk: &Pin, new: &Pin) -> Result<(), SessionError> {
        let data = two_fields(puk, new)?;
        let r = self
            .p
            .send(&Apdu::new(0x00, 0x2C, 0x00, PIN_REF).data(&*data))?;
        ok(0x2C, r.sw)
    }

    /// GET DATA `00 CB 3F FF Lc 5C L <tag> 00` (protocols.md §2.6; 61xx is
    /// joined by the processor). Returns the whole answer (e.g. `53 L …` or
    /// `7E L …`); `None` when the object is absent (`6A82`).
    pub fn get_data(&mut self, tag: &[u8]) -> Result<Option<Vec<u8>>, SessionError> {
        let len = u8::try_from(tag.len())
            .ok()
            .filter(|l| (1..=3).contains(l))
            .ok_or_else(|| SessionError::InvalidArgument("a PIV tag is 1–3 bytes".into()))?;
        let mut data = vec![0x5C, len];
        data.extend_from_slice(tag);
        let r = self
            .p
            .send(&Apdu::new(0x00, 0xCB, 0x3F, 0xFF).data(data).le(0))?;
        match r.sw {
            Sw::Ok => Ok(Some(r.data)),
            Sw::NotFound => Ok(None),
            sw => Err(pin_error(0xCB, sw)),
        }
    }

    /// PUT DATA `00 DB 3F FF Lc 5C L <tag> 53 L <contents>` (SP 800-73-4 Pt2
    /// §3.3.2); needs admin rights (Crescendo: PIN or XAUTH, §4).
    pub fn put_object(&mut self, tag: &[u8], contents: &[u8]) -> Result<(), SessionError> {
        let len = u8::try_from(tag.len())
            .ok()
            .filter(|l| (1..=3).contains(l))
            .ok_or_else(|| SessionError::InvalidArgument("a PIV tag is 1–3 bytes".into()))?;
        let mut data = zeroize::Zeroizing::new(vec![0x5C, len]);
        data.extend_from_slice(tag);
        data.push(0x53);
        crate::tlv::encode_len(contents.len(), &mut data);
        data.extend_from_slice(contents);
        let r = self
            .p
            .send(&Apdu::new(0x00, 0xDB, 0x3F, 0xFF).data(&*data))?;
        ok(0xDB, r.sw)
    }

    /// Stores a PUK in [`STORED_PUK_TAG`] (`81 L PUK`, emulator-defined).
    pub fn store_puk(&mut self, puk: &Pin) -> Result<(), SessionError> {
        let mut contents = zeroize::Zeroizing::new(vec![0x81, puk.len() as u8]);
        contents.extend_from_slice(puk.as_bytes());
        self.put_object(STORED_PUK_TAG, &contents)
    }

    /// GET DATA of a `53`-wrapped object, returning its contents.
    fn get_object(&mut self, tag: &[u8]) -> Result<Option<Vec<u8>>, SessionError> {
        match self.get_data(tag)? {
            Some(data) => Ok(Some(objects::object_contents(&data)?.to_vec())),
            None => Ok(None),
        }
    }

    /// The Discovery object with its PIN usage policy (protocols.md §2.7);
    /// `None` if the card has none.
    pub fn discovery(&mut self) -> Result<Option<Discovery>, SessionError> {
        match self.get_data(DISCOVERY_TAG)? {
            Some(data) => Discovery::parse(&data).map(Some),
            None => Ok(None),
        }
    }

    /// The VCI pairing code from `5FC123` (`99 08 <8 digits>`, protocols.md
    /// §2.8). Needs the PIN (and the contact interface) on cards that follow
    /// the spec's ACL: `SecurityNotSatisfied` otherwise. `None` if absent.
    pub fn pairing_code(&mut self) -> Result<Option<Pin>, SessionError> {
        match self.get_object(PAIRING_CODE_TAG)? {
            Some(contents) => objects::pairing_code(&contents).map(Some),
            None => Ok(None),
        }
    }

    /// The PUK stored on the token, from [`STORED_PUK_TAG`] (`53 L 81 L PUK`,
    /// emulator-defined), after the PIN. `None` when the card has no such
    /// object (every documented card: HID and Yubico store no PUK).
    pub fn stored_puk(&mut self) -> Result<Option<Pin>, SessionError> {
        let Some(contents) = self.get_object(STORED_PUK_TAG)? else {
            return Ok(None);
        };
        match crate::tlv::find(&contents, &[0x81]) {
            Some(puk) if !puk.is_empty() && puk.len() <= PIN_FIELD => Ok(Some(Pin::new(puk))),
            _ => Err(SessionError::Malformed(
                "the stored-PUK object has no 81 element of 1–8 bytes".into(),
            )),
        }
    }

    /// Crescendo GET PIV PROPERTIES `00 CB 3F FF 05 5C 03 FF FF 7F 00`
    /// (crescendo-apdu.md §6.1). `None` on cards without the object.
    pub fn piv_properties(&mut self) -> Result<Option<PivProperties>, SessionError> {
        let r = match self.get_data(PIV_PROPERTIES_TAG) {
            Err(SessionError::Unexpected {
                sw: Sw::WrongP1P2, ..
            })
            | Err(SessionError::NotSupported) => return Ok(None),
            r => r?,
        };
        r.map(|data| PivProperties::parse(&data)).transpose()
    }

    /// Yubico GET VERSION `00 FD 00 00` (protocols.md §2.10); `None` on cards
    /// without the extension (a Crescendo answers `6D00`, crescendo-apdu.md §6.3).
    pub fn yubico_version(&mut self) -> Result<Option<[u8; 3]>, SessionError> {
        let r = self.p.send(&Apdu::new(0x00, 0xFD, 0x00, 0x00))?;
        match (r.sw, r.data.as_slice()) {
            (Sw::Ok, &[a, b, c]) => Ok(Some([a, b, c])),
            (Sw::Ok, _) => Err(SessionError::Malformed("GET VERSION: not 3 bytes".into())),
            (Sw::InsNotSupported | Sw::ClaNotSupported | Sw::Other(0x6B00), _) => Ok(None),
            (sw, _) => Err(SessionError::Unexpected { ins: 0xFD, sw }),
        }
    }

    /// Yubico GET METADATA `00 F7 00 <ref>` (protocols.md §2.10, fw ≥ 5.3),
    /// e.g. the PIN's (80) or PUK's (81) retry counters.
    pub fn metadata(&mut self, key_ref: u8) -> Result<Metadata, SessionError> {
        let r = self.p.send(&Apdu::new(0x00, 0xF7, 0x00, key_ref))?;
        match r.sw {
            Sw::Ok => Metadata::parse(&r.data),
            Sw::NotFound => Err(SessionError::NotFound),
            sw => Err(pin_error(0xF7, sw)),
        }
    }
}

#[cfg(test)]
mod tests;
