//! `CrescendoOathSession`: one OATH instance (slot) of the HID Crescendo Key
//! (crescendo-apdu.md §5; the C2300 card has none). One method per
//! instruction. PIN-protected commands need an ACA VERIFY first (the PIN
//! state is card-global, §4); this session never sends VERIFY itself.
//!
//! Touch: HOTP/TOTP/OCRA answer `6985` while the LED blinks (§5.3, §5.6). A
//! single call returns [`SessionError::TouchRequired`]; [`poll_until`]
//! re-sends the very same command until the code arrives.
//!
//! [`poll_until`]: CrescendoOathSession::poll_until

mod button;
mod layout;

pub use button::*;
pub use layout::*;

use std::ops::ControlFlow;
use std::time::Duration;

use zeroize::Zeroizing;

use crate::apdu::{Apdu, Processor, Sw};
use crate::connection::SmartCardConnection;
use crate::sessions::touch::{self, PollPolicy, TouchWait};
use crate::sessions::{select, SessionError};
use crate::tlv;

/// The three OATH instances (§2.1, §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OathSlot {
    /// `A0000000792300`: HOTP only, fired by the button.
    One,
    /// `A0000000792301`: HOTP or TOTP (TOTP in HID's samples).
    Two,
    /// `A0000000792302`: HOTP or TOTP.
    Three,
}

impl OathSlot {
    /// All slots, in order.
    pub const ALL: [OathSlot; 3] = [OathSlot::One, OathSlot::Two, OathSlot::Three];

    /// The instance AID.
    pub fn aid(self) -> [u8; 7] {
        let last = match self {
            OathSlot::One => 0x00,
            OathSlot::Two => 0x01,
            OathSlot::Three => 0x02,
        };
        [0xA0, 0x00, 0x00, 0x00, 0x79, 0x23, last]
    }
}

/// Applet family byte of the OATH instances in the `A5/01` version block (§2.4).
const OATH_FAMILY: u8 = 0x23;
/// Largest key PUT KEY takes (§5.2).
pub const MAX_KEY_LEN: usize = 128;
/// The OCRA challenge field: pre-formatted, zero-padded to 128 bytes (§5.5).
pub const OCRA_CHALLENGE_LEN: usize = 128;

/// Largest configuration: the PUT must fit one short APDU (2 + 2 + 2 + n + 1
/// ≤ 255); PUT chaining (P1 b7?) is undocumented.
pub const MAX_CONFIG_LEN: usize = 248;

/// A prepared OTP command: [`CrescendoOathSession::poll_until`] sends these
/// exact bytes again on every poll.
#[derive(Clone, PartialEq, Eq)]
pub struct OtpRequest {
    apdu: Apdu,
    /// OCRA answers inside `7C/82`; HOTP/TOTP answer bare BCD.
    ocra: bool,
}

impl std::fmt::Debug for OtpRequest {
    /// Header only: OCRA data may carry a PIN hash.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let a = &self.apdu;
        write!(
            f,
            "OtpRequest({:02X} {:02X} {:02X} {:02X}, ",
            a.cla, a.ins, a.p1, a.p2
        )?;
        write!(f, "{} data bytes)", a.data.len())
    }
}

impl OtpRequest {
    /// HOTP AUTHENTICATE `80 88 00 00 00` (§5.3).
    pub fn hotp() -> OtpRequest {
        OtpRequest {
            apdu: Apdu::new(0x80, 0x88, 0x00, 0x00).le(0),
            ocra: false,
        }
    }

    /// TOTP AUTHENTICATE `80 88 11 00 04 <Unix time BE> 00` (§5.4; the card
    /// has no clock, §5.8). HID's usage transcript omits the Le; we send it,
    /// as the command table documents.
    pub fn totp(unix_time: u32) -> OtpRequest {
        OtpRequest {
            apdu: Apdu::new(0x80, 0x88, 0x11, 0x00)
                .data(unix_time.to_be_bytes())
                .le(0),
            ocra: false,
        }
    }

    /// OCRA AUTHENTICATE `80 87 22 00 Lc 7C L {82 00, 81 80 Q, [84 P], [80 S],
    /// [83 04 T]} 00` (§5.5, mandatory order 82, 81, 84, 80, 83). Longer data is
    /// chained by the processor as `90 87 22 00` blocks.
    pub fn ocra(input: &OcraInput) -> Result<OtpRequest, SessionError> {
        if input.challenge.len() > OCRA_CHALLENGE_LEN {
            return Err(SessionError::InvalidArgument(format!(
                "an OCRA challenge is at most {OCRA_CHALLENGE_LEN} bytes"
            )));
        }
        let mut q = Zeroizing::new(input.challenge.to_vec());
        q.resize(OCRA_CHALLENGE_LEN, 0);
        let mut inner = Zeroizing::new(vec![0x82, 0x00]);
        push_tlv(&mut inner, 0x81, &q);
        if let Some(p) = &input.pin_hash {
            push_tlv(&mut inner, 0x84, p);
        }
        if let Some(s) = &input.session {
            push_tlv(&mut inner, 0x80, s);
        }
        if let Some(t) = input.time {
            push_tlv(&mut inner, 0x83, &t.to_be_bytes());
        }
        let mut data = Zeroizing::new(Vec::with_capacity(inner.len() + 4));
        push_tlv(&mut data, 0x7C, &inner);
        Ok(OtpRequest {
            apdu: Apdu::new(0x80, 0x87, 0x22, 0x00).data(&*data).le(0),
            ocra: true,
        })
    }
}

fn push_tlv(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    tlv::encode_len(value.len(), out);
    out.extend_from_slice(value);
}

/// OCRA inputs, already formatted by the client (§5.5 "pre-formatted",
/// "already hashed", "already padded").
#[derive(Clone, Default, PartialEq, Eq)]
pub struct OcraInput {
    /// Q, at most 128 bytes; the session zero-pads it on the right.
    pub challenge: Zeroizing<Vec<u8>>,
    /// `84`: the PIN hash, if the suite has `P`.
    pub pin_hash: Option<Zeroizing<Vec<u8>>>,
    /// `80`: session information, if the suite has `S`.
    pub session: Option<Vec<u8>>,
    /// `83`: 32-bit Unix time, if the suite has `T`.
    pub time: Option<u32>,
}

impl std::fmt::Debug for OcraInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OcraInput")
            .field("challenge_len", &self.challenge.len())
            .field("pin_hash", &self.pin_hash.as_ref().map(|_| "***"))
            .field("session_len", &self.session.as_ref().map(Vec::len))
            .field("time", &self.time)
            .finish()
    }
}

impl OcraInput {
    /// A challenge-only input (`Q…` suites).
    pub fn with_challenge(q: impl AsRef<[u8]>) -> OcraInput {
        OcraInput {
            challenge: Zeroizing::new(q.as_ref().to_vec()),
            ..OcraInput::default()
        }
    }

    /// A numeric (`QN`) challenge, formatted as RFC 6287's reference code
    /// does (protocols.md §6.3): the decimal value as upper-case hex,
    /// left-aligned, right-padded with `0` nibbles. 44444444 → `2A 62 B1 C0`.
    pub fn numeric(decimal: &str) -> Result<OcraInput, SessionError> {
        Ok(OcraInput::with_challenge(numeric_challenge(decimal)?))
    }
}

/// RFC 6287 numeric challenge bytes (see [`OcraInput::numeric`]).
pub fn numeric_challenge(decimal: &str) -> Result<Vec<u8>, SessionError> {
    if decimal.is_empty() || decimal.len() > 64 || !decimal.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SessionError::InvalidArgument(
            "a numeric OCRA challenge is 1–64 decimal digits".into(),
        ));
    }
    // Base conversion on little-endian hex nibbles (values up to 10^64).
    let mut nibbles: Vec<u8> = vec![];
    for d in decimal.bytes() {
        let mut carry = u32::from(d - b'0');
        for n in nibbles.iter_mut() {
            let v = u32::from(*n) * 10 + carry;
            *n = (v & 0xF) as u8;
            carry = v >> 4;
        }
        while carry > 0 {
            nibbles.push((carry & 0xF) as u8);
            carry >>= 4;
        }
    }
    if nibbles.is_empty() {
        nibbles.push(0);
    }
    nibbles.reverse();
    if nibbles.len() % 2 == 1 {
        nibbles.push(0);
    }
    Ok(nibbles
        .chunks(2)
        .map(|p| p.iter().fold(0, |a, n| (a << 4) | n))
        .collect())
}

/// Packed BCD, two digits a byte, most significant first (§5.3, §5.8). With
/// `digits` known and fewer than the nibbles, the extra leading nibbles must
/// be zero and are dropped (odd counts are undocumented).
pub fn decode_bcd(bytes: &[u8], digits: Option<u8>) -> Result<String, SessionError> {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for n in [b >> 4, b & 0x0F] {
            if n > 9 {
                return Err(SessionError::Malformed(format!(
                    "the OTP {} is not BCD",
                    hex::encode_upper(bytes)
                )));
            }
            s.push(char::from(b'0' + n));
        }
    }
    if s.is_empty() {
        return Err(SessionError::Malformed("an empty OTP".into()));
    }
    if let Some(d) = digits.map(usize::from).filter(|d| (1..s.len()).contains(d)) {
        let cut = s.len() - d;
        if s.bytes().take(cut).all(|c| c == b'0') {
            s.drain(..cut);
        }
    }
    Ok(s)
}

/// An open OATH slot session.
pub struct CrescendoOathSession<'c> {
    p: Processor<'c>,
    slot: OathSlot,
    version: [u8; 4],
    flags: Vec<u8>,
    state: Option<SlotState>,
}

fn status(ins: u8, sw: Sw) -> Result<(), SessionError> {
    match sw {
        Sw::Ok => Ok(()),
        Sw::ConditionsNotSatisfied => Err(SessionError::TouchRequired),
        Sw::SecurityNotSatisfied => Err(SessionError::SecurityNotSatisfied),
        // 6A88 "referenced data not found" (ISO 7816-4): e.g. no key in the
        // slot. Not on HID's OATH pages.
        Sw::RefNotFound => Err(SessionError::NotFound),
        Sw::InsNotSupported => Err(SessionError::NotSupported),
        sw => Err(SessionError::Unexpected { ins, sw }),
    }
}

impl<'c> CrescendoOathSession<'c> {
    /// SELECTs a slot and parses `6F { 84 AID, A5 { 01 05 23 vvvvvvvv, 26 …,
    /// 4A … } }` (§2.4). The version block is required; `26` and `4A` are
    /// kept when present and well-formed (HID's published HOTP answer has a
    /// duplicated `26` that breaks them; the version still parses).
    pub fn open(
        conn: &'c mut dyn SmartCardConnection,
        slot: OathSlot,
    ) -> Result<CrescendoOathSession<'c>, SessionError> {
        let mut p = Processor::new(conn);
        let answer = select(&mut p, &slot.aid())?;
        let a5 = tlv::find(&answer, &[0x6F])
            .and_then(|fci| tlv::find(fci, &[0xA5]))
            .unwrap_or_default();
        let version = match tlv::find(a5, &[0x01]) {
            Some(&[OATH_FAMILY, a, b, c, d]) => [a, b, c, d],
            _ => {
                return Err(SessionError::Malformed(
                    "OATH SELECT answer without a 01 05 23… version block".into(),
                ))
            }
        };
        Ok(CrescendoOathSession {
            p,
            slot,
            version,
            flags: tlv::find(a5, &[0x26]).unwrap_or_default().to_vec(),
            state: tlv::find(a5, &[0x4A]).and_then(SlotState::decode),
        })
    }

    /// The selected slot.
    pub fn slot(&self) -> OathSlot {
        self.slot
    }

    /// Applet version (major, minor, patch, build), e.g. 3.0.3.2.
    pub fn version(&self) -> [u8; 4] {
        self.version
    }

    /// The undocumented `26` value (`01 01` in HID's samples).
    pub fn flags(&self) -> &[u8] {
        &self.flags
    }

    /// The slot configuration decoded from `4A` (inferred layout), as of SELECT.
    pub fn state(&self) -> Option<&SlotState> {
        self.state.as_ref()
    }

    /// PUT KEY / CONFIGURATION data: `00 00 L+1 L <value> 00`, BER lengths
    /// (`81 xx` from 80h); an empty value is `00 00 00` ("remove", §5.2).
    fn put_data(value: &[u8]) -> Zeroizing<Vec<u8>> {
        let mut v = Zeroizing::new(vec![0x00, 0x00]);
        if value.is_empty() {
            v.push(0x00);
            return v;
        }
        tlv::encode_len(value.len() + 1, &mut v);
        tlv::encode_len(value.len(), &mut v);
        v.extend_from_slice(value);
        v.push(0x00);
        v
    }

    fn put(&mut self, p1: u8, value: &[u8]) -> Result<(), SessionError> {
        let data = Self::put_data(value);
        let r = self.p.send(&Apdu::new(0x80, 0xD8, p1, 0x00).data(&*data))?;
        status(0xD8, r.sw)
    }

    /// PUT CONFIGURATION `80 D8 05 00 Lc 00 00 L+1 L <config> 00` (§5.2).
    /// Clears the slot's key: call [`put_key`](Self::put_key) next. Empty
    /// `config` removes the configuration. Needs the ACA PIN.
    pub fn put_config(&mut self, config: &[u8]) -> Result<(), SessionError> {
        if config.len() > MAX_CONFIG_LEN {
            return Err(SessionError::InvalidArgument(format!(
                "an OATH configuration is at most {MAX_CONFIG_LEN} bytes"
            )));
        }
        self.put(0x05, config)
    }

    /// PUT KEY `80 D8 04 00 Lc 00 00 L+1 L <key> 00` (§5.2), key ≤ 128 bytes.
    /// Empty `key` removes the key. Needs the ACA PIN.
    pub fn put_key(&mut self, key: &[u8]) -> Result<(), SessionError> {
        if key.len() > MAX_KEY_LEN {
            return Err(SessionError::InvalidArgument(format!(
                "an OATH key is at most {MAX_KEY_LEN} bytes"
            )));
        }
        self.put(0x04, key)
    }

    /// GET BUTTON CONFIGURATION `80 CA 06 00 00` (emulator-defined,
    /// `crescendo_oath/button.rs`): both presses' actions. Slot 1 only; a token without the
    /// command answers `NotSupported`.
    pub fn button_config(&mut self) -> Result<ButtonState, SessionError> {
        if self.slot != OathSlot::One {
            return Err(SessionError::NotSupported);
        }
        let r = self
            .p
            .send(&Apdu::new(0x80, BUTTON_GET_INS, BUTTON_P1, 0x00).le(0))?;
        match r.sw {
            Sw::WrongP1P2 | Sw::InsNotSupported | Sw::ClaNotSupported => {
                return Err(SessionError::NotSupported)
            }
            sw => status(BUTTON_GET_INS, sw)?,
        }
        ButtonState::decode(&r.data)
    }

    /// PUT BUTTON CONFIGURATION `80 D8 06 P2 Lc <action>` (emulator-defined,
    /// `crescendo_oath/button.rs`). Slot 1 only. Needs the ACA PIN.
    pub fn put_button(&mut self, press: Press, action: &ButtonAction) -> Result<(), SessionError> {
        if self.slot != OathSlot::One {
            return Err(SessionError::NotSupported);
        }
        let data = action.encode()?;
        let r = self
            .p
            .send(&Apdu::new(0x80, 0xD8, BUTTON_P1, press.p2()).data(&*data))?;
        match r.sw {
            Sw::WrongData => Err(SessionError::InvalidArgument(
                "the token refused this button action (a key it cannot type?)".into(),
            )),
            Sw::WrongP1P2 => Err(SessionError::NotSupported),
            sw => status(0xD8, sw),
        }
    }

    /// Sends an OTP command once. `TouchRequired` on `6985` (the LED blinks).
    pub fn authenticate(&mut self, req: &OtpRequest) -> Result<String, SessionError> {
        let r = self.p.send(&req.apdu)?;
        status(req.apdu.ins, r.sw)?;
        let digits = self.state.as_ref().map(|s| s.digits);
        if req.ocra {
            let bcd = tlv::find(&r.data, &[0x7C])
                .and_then(|t| tlv::find(t, &[0x82]))
                .ok_or_else(|| SessionError::Malformed("OCRA answer without 7C/82".into()))?;
            decode_bcd(bcd, None)
        } else {
            decode_bcd(&r.data, digits)
        }
    }

    /// HOTP AUTHENTICATE, once (§5.3).
    pub fn hotp(&mut self) -> Result<String, SessionError> {
        self.authenticate(&OtpRequest::hotp())
    }

    /// TOTP AUTHENTICATE, once (§5.4). Needs the ACA PIN.
    pub fn totp(&mut self, unix_time: u32) -> Result<String, SessionError> {
        self.authenticate(&OtpRequest::totp(unix_time))
    }

    /// OCRA AUTHENTICATE, once (§5.5). Needs the ACA PIN.
    pub fn ocra(&mut self, input: &OcraInput) -> Result<String, SessionError> {
        self.authenticate(&OtpRequest::ocra(input)?)
    }

    /// Sends `req` until the code arrives, every `policy.interval`
    /// (100–250 ms), calling `on_touch` on each `6985` (attempt 1 = show
    /// "touch your key"; `Break` cancels). `TouchTimeout` after `policy.timeout`.
    pub fn poll_until(
        &mut self,
        req: &OtpRequest,
        policy: &PollPolicy,
        on_touch: impl FnMut(&TouchWait) -> ControlFlow<()>,
    ) -> Result<String, SessionError> {
        self.poll_until_with(req, policy, on_touch, std::thread::sleep)
    }

    /// [`poll_until`](Self::poll_until) with an injected sleep (tests).
    pub fn poll_until_with(
        &mut self,
        req: &OtpRequest,
        policy: &PollPolicy,
        on_touch: impl FnMut(&TouchWait) -> ControlFlow<()>,
        sleep: impl FnMut(Duration),
    ) -> Result<String, SessionError> {
        touch::poll(policy, on_touch, sleep, || self.authenticate(req))
    }
}

#[cfg(test)]
mod tests;
