//! Typed PIV objects: the SELECT answer, the Discovery object's PIN usage
//! policy, Crescendo's GET PIV PROPERTIES and Yubico's GET METADATA. Every
//! parser takes card bytes and never panics.

use crate::sessions::{Pin, SessionError};
use crate::tlv;

/// The label prefix of HID's PIV applet (crescendo-apdu.md §2.3, §8: a live
/// C2300 answers "HID Global ActivID Applet 3.0.3").
pub const ACTIVID_LABEL: &str = "HID Global ActivID Applet";

/// The SELECT answer's Application Property Template `61` (SP 800-73-4
/// Pt2 §3.1.1; crescendo-apdu.md §2.3; protocols.md §2.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PivInfo {
    /// `4F`: the AID or, on YubiKeys, only the PIX.
    pub aid: Vec<u8>,
    /// `79/4F`: the coexistent tag allocation authority (RID).
    pub authority: Vec<u8>,
    /// `50`: the application label, e.g. "HID Global ActivID Applet 3.0.3".
    pub label: Option<String>,
    /// `5F50`: the application URL.
    pub url: Option<String>,
}

impl PivInfo {
    /// Parses `61 L {4F, 79, 50, 5F50, AC}`; absent or malformed members are
    /// left empty (the answer only helps recognise the model).
    pub fn parse(answer: &[u8]) -> PivInfo {
        let apt = tlv::find(answer, &[0x61]).unwrap_or_default();
        let text = |tag: &[u8]| {
            tlv::find(apt, tag).map(|v| String::from_utf8_lossy(v).trim_end().to_owned())
        };
        PivInfo {
            aid: tlv::find(apt, &[0x4F]).unwrap_or_default().to_vec(),
            authority: tlv::find(apt, &[0x79])
                .and_then(|a| tlv::find(a, &[0x4F]))
                .unwrap_or_default()
                .to_vec(),
            label: text(&[0x50]),
            url: text(&[0x5F, 0x50]),
        }
    }

    /// Whether this is HID's ActivID PIV applet (Crescendo family).
    pub fn is_activid(&self) -> bool {
        self.label
            .as_deref()
            .is_some_and(|l| l.starts_with(ACTIVID_LABEL))
    }

    /// The version after the ActivID label ("3.0.3"), if any.
    pub fn activid_version(&self) -> Option<&str> {
        let rest = self.label.as_deref()?.strip_prefix(ACTIVID_LABEL)?.trim();
        (!rest.is_empty()).then_some(rest)
    }
}

/// Which PIN is primary (Discovery `5F2F` second byte, protocols.md §2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrimaryPin {
    /// `10`: the PIV application PIN.
    Piv,
    /// `20`: the Global PIN.
    Global,
    /// `00`: not stated (required when the Global PIN is not usable).
    Unspecified,
    /// Any other value (not permitted by the spec; kept, not rejected).
    Other(u8),
}

/// The PIN usage policy `5F2F` of the Discovery object (SP 800-73-4 Pt1
/// §3.3.2; protocols.md §2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinUsagePolicy {
    /// b7 (40h): the PIV application PIN satisfies the ACRs.
    pub piv_pin: bool,
    /// b6 (20h): the Global PIN satisfies the ACRs.
    pub global_pin: bool,
    /// b5 (10h): on-card comparison (biometrics) satisfies the ACRs.
    pub occ: bool,
    /// b4 (08h): the virtual contact interface (VCI) is implemented.
    pub vci: bool,
    /// b3 (04h): VCI is allowed without the pairing code.
    pub vci_without_pairing_code: bool,
    /// Second byte.
    pub primary: PrimaryPin,
    /// The two bytes as read.
    pub raw: [u8; 2],
}

impl PinUsagePolicy {
    /// Decodes the two policy bytes.
    pub fn from_bytes(raw: [u8; 2]) -> PinUsagePolicy {
        let [b1, b2] = raw;
        PinUsagePolicy {
            piv_pin: b1 & 0x40 != 0,
            global_pin: b1 & 0x20 != 0,
            occ: b1 & 0x10 != 0,
            vci: b1 & 0x08 != 0,
            vci_without_pairing_code: b1 & 0x04 != 0,
            primary: match b2 {
                0x10 => PrimaryPin::Piv,
                0x20 => PrimaryPin::Global,
                0x00 => PrimaryPin::Unspecified,
                other => PrimaryPin::Other(other),
            },
            raw,
        }
    }

    /// Whether the pairing code matters: VCI implemented and not waived.
    pub fn pairing_code_required(&self) -> bool {
        self.vci && !self.vci_without_pairing_code
    }

    /// Whether the first byte is one of the values the spec permits
    /// (`40 48 4C 50 58 5C 60 68 6C 70 78 7C`).
    pub fn is_conformant(&self) -> bool {
        let [b1, _] = self.raw;
        matches!(
            b1,
            0x40 | 0x48 | 0x4C | 0x50 | 0x58 | 0x5C | 0x60 | 0x68 | 0x6C | 0x70 | 0x78 | 0x7C
        )
    }
}

/// The Discovery object `7E` (SP 800-73-4 Pt1 §3.3.2; protocols.md §2.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    /// `4F`: the PIV AID.
    pub aid: Vec<u8>,
    /// `5F2F`: the PIN usage policy.
    pub pin_policy: PinUsagePolicy,
}

impl Discovery {
    /// Parses `7E L 4F L aid 5F2F 02 b1 b2`.
    pub fn parse(data: &[u8]) -> Result<Discovery, SessionError> {
        let bad = |what: &str| SessionError::Malformed(format!("Discovery object: {what}"));
        let body = tlv::find(data, &[0x7E]).ok_or_else(|| bad("no 7E template"))?;
        let policy = match tlv::find(body, &[0x5F, 0x2F]) {
            Some(&[b1, b2]) => PinUsagePolicy::from_bytes([b1, b2]),
            _ => return Err(bad("no 2-byte PIN usage policy 5F2F")),
        };
        Ok(Discovery {
            aid: tlv::find(body, &[0x4F]).unwrap_or_default().to_vec(),
            pin_policy: policy,
        })
    }
}

/// Unwraps a data object's `53` container (SP 800-73-4 Pt2 §3.1.2).
pub(crate) fn object_contents(data: &[u8]) -> Result<&[u8], SessionError> {
    tlv::find(data, &[0x53])
        .ok_or_else(|| SessionError::Malformed("a data object without its 53 container".into()))
}

/// Parses the Pairing Code Reference Data Container contents `99 08 <8
/// digits> FE 00` (SP 800-73-4 Pt1 §3.3.5; protocols.md §2.6, §2.8).
pub(crate) fn pairing_code(contents: &[u8]) -> Result<Pin, SessionError> {
    match tlv::find(contents, &[0x99]) {
        Some(code) if code.len() == 8 && code.iter().all(u8::is_ascii_digit) => Ok(Pin::new(code)),
        _ => Err(SessionError::Malformed(
            "the pairing code object has no 8-digit 99 element".into(),
        )),
    }
}

/// Crescendo GET PIV PROPERTIES (crescendo-apdu.md §6.1), minimal parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PivProperties {
    /// Tag `01` byte 0: applet family (`21` = PIV).
    pub family: u8,
    /// Tag `01` bytes 1–4: version (3.0.3.6 on a live C2300).
    pub version: [u8; 4],
    /// Number of `50` (generic container) entries.
    pub containers: usize,
    /// Number of `51` (PKI object) entries: the maximum number of PKI slots.
    pub pki_slots: usize,
}

impl PivProperties {
    /// Parses `53 L { 01 05 fam v v v v, 39, 3A, 3B, 50…, 51…, 45 }`.
    pub fn parse(data: &[u8]) -> Result<PivProperties, SessionError> {
        let body = object_contents(data)?;
        let mut props = None;
        let (mut containers, mut pki_slots) = (0, 0);
        for t in tlv::parse(body) {
            let t = t.map_err(|e| SessionError::Malformed(format!("PIV properties: {e}")))?;
            match (t.tag, t.value) {
                ([0x01], &[family, a, b, c, d]) => props = Some((family, [a, b, c, d])),
                ([0x50], _) => containers += 1,
                ([0x51], _) => pki_slots += 1,
                _ => {}
            }
        }
        let (family, version) = props.ok_or_else(|| {
            SessionError::Malformed("PIV properties without a 01 05 version block".into())
        })?;
        Ok(PivProperties {
            family,
            version,
            containers,
            pki_slots,
        })
    }
}

/// Yubico GET METADATA (protocols.md §2.10), the fields a PIN dialog needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    /// `01`: algorithm id (`FF` for PIN/PUK).
    pub algorithm: Option<u8>,
    /// `02`: [PIN policy, touch policy].
    pub policy: Option<[u8; 2]>,
    /// `03`: origin (1 generated, 2 imported).
    pub origin: Option<u8>,
    /// `05`: whether the value is still the factory default.
    pub is_default: Option<bool>,
    /// `06`: (total, remaining) retries.
    pub retries: Option<(u8, u8)>,
}

impl Metadata {
    /// Parses the flat TLV list; unknown tags (e.g. `04` public key) are skipped.
    pub fn parse(data: &[u8]) -> Result<Metadata, SessionError> {
        let mut m = Metadata::default();
        for t in tlv::parse(data) {
            let t = t.map_err(|e| SessionError::Malformed(format!("metadata: {e}")))?;
            match (t.tag, t.value) {
                ([0x01], &[alg]) => m.algorithm = Some(alg),
                ([0x02], &[pin, touch]) => m.policy = Some([pin, touch]),
                ([0x03], &[origin]) => m.origin = Some(origin),
                ([0x05], &[default]) => m.is_default = Some(default != 0),
                ([0x06], &[total, left]) => m.retries = Some((total, left)),
                _ => {}
            }
        }
        Ok(m)
    }
}
