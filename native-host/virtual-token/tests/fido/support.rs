//! Helpers shared by the `fido_*` tests (included with `#[path]`, so not a test
//! crate of its own): a card
//! holding only the FIDO applet on a manual clock, CTAP over ISO 7816 as
//! python-fido2's `CtapPcscDevice` speaks it, and CBOR helpers.
#![allow(dead_code)]

use std::time::Duration;

use ciborium::Value;
use tessera_virtual_token::applet::PinState;
use tessera_virtual_token::applets::fido::{Authenticator, FidoApplet, FidoOptions};
use tessera_virtual_token::card::VirtualCard;
use tessera_virtual_token::platform::{Button, ButtonMode, ManualClock, Platform};

/// SELECT of the FIDO AID (protocols.md §4.1).
pub const SELECT_FIDO: &str = "00A4040008A0000006472F0001";

/// A virtual key with only the FIDO applet.
pub struct Key {
    /// The card (FIDO applet only).
    pub card: VirtualCard,
    /// Its manual clock.
    pub clock: ManualClock,
    /// Its button.
    pub button: Button,
    /// The authenticator behind the applet.
    pub auth: Authenticator,
}

impl Default for Key {
    fn default() -> Self {
        Key::new()
    }
}

impl Key {
    /// Seed 1, manual button, default options.
    pub fn new() -> Key {
        Key::with(1, ButtonMode::Manual, FidoOptions::default())
    }

    /// A key with this rng seed, button mode and options.
    pub fn with(seed: u64, mode: ButtonMode, options: FidoOptions) -> Key {
        let (mut platform, clock) = Platform::deterministic(seed, mode);
        let button = platform.button.clone();
        let auth = Authenticator::from_platform(&mut platform, options);
        let pin = PinState {
            value: PinState::pad(b"00000000"),
            tries_left: 3,
            max_tries: 3,
            min_len: 4,
            max_len: 8,
            numeric_only: true,
        };
        let applets: Vec<Box<dyn tessera_virtual_token::applet::Applet>> =
            vec![Box::new(FidoApplet::new(auth.clone()))];
        let card = VirtualCard::new("test", vec![0x3B, 0x00], platform, pin, applets);
        Key {
            card,
            clock,
            button,
            auth,
        }
    }

    /// One APDU → (data, SW).
    pub fn tx(&mut self, apdu: &[u8]) -> (Vec<u8>, u16) {
        let mut r = self.card.transmit(apdu);
        let n = r.len() - 2;
        let sw = u16::from_be_bytes([r[n], r[n + 1]]);
        r.truncate(n);
        (r, sw)
    }

    /// One APDU in hex → response in upper-case hex (data ‖ SW).
    pub fn txh(&mut self, apdu: &str) -> String {
        hex::encode_upper(self.card.transmit(&h(apdu)))
    }

    /// SELECT FIDO, expecting `U2F_V2`.
    pub fn select(&mut self) {
        assert_eq!(self.txh(SELECT_FIDO), "5532465F56329000", "SELECT → U2F_V2");
    }

    /// Unplug and plug in again: the card and the authenticator lose power.
    pub fn replug(&mut self) {
        self.card.power_off();
        self.auth.power_off();
        self.card.power_on();
    }

    /// Like python-fido2's `_chain_apdus`: CLA-90 blocks of 250 bytes, then the
    /// last block with Le 00, then GET RESPONSE while 61xx.
    pub fn chain(&mut self, cla: u8, ins: u8, p1: u8, p2: u8, data: &[u8]) -> (Vec<u8>, u16) {
        let mut rest = data;
        while rest.len() > 250 {
            let (block, tail) = rest.split_at(250);
            let mut apdu = vec![0x10 | cla, ins, p1, p2, 250];
            apdu.extend_from_slice(block);
            let (r, sw) = self.tx(&apdu);
            if sw != 0x9000 {
                return (r, sw);
            }
            rest = tail;
        }
        let mut apdu = vec![cla, ins, p1, p2];
        if !rest.is_empty() {
            apdu.push(rest.len() as u8);
            apdu.extend_from_slice(rest);
        }
        apdu.push(0);
        let (mut resp, mut sw) = self.tx(&apdu);
        while sw >> 8 == 0x61 {
            let (more, next) = self.tx(&[0x00, 0xC0, 0x00, 0x00, sw as u8]);
            resp.extend(more);
            sw = next;
        }
        (resp, sw)
    }

    /// One CTAP2 command over NFCCTAP_MSG, polling NFCCTAP_GETRESPONSE while
    /// 9100; `touch` presses the button whenever the key says UPNEEDED.
    /// Returns (CTAP status byte, CBOR) and the keepalive statuses seen.
    pub fn ctap_polled(
        &mut self,
        command: u8,
        params: Option<&Value>,
        touch: bool,
    ) -> (u8, Vec<u8>, Vec<u8>) {
        let mut data = vec![command];
        if let Some(p) = params {
            ciborium::into_writer(p, &mut data).expect("cbor");
        }
        let (mut resp, mut sw) = self.chain(0x80, 0x10, 0x80, 0x00, &data);
        let mut statuses = vec![];
        for _ in 0..600 {
            if sw != 0x9100 {
                break;
            }
            assert_eq!(resp.len(), 1, "9100 carries one status byte");
            statuses.push(resp[0]);
            if touch && resp[0] == 0x02 {
                self.button.press();
            }
            (resp, sw) = self.chain(0x80, 0x11, 0x00, 0x00, &[]);
        }
        assert_eq!(sw, 0x9000, "CTAP errors come in the status byte");
        assert!(!resp.is_empty(), "status byte");
        (resp[0], resp[1..].to_vec(), statuses)
    }

    /// [`Key::ctap_polled`] without the statuses.
    pub fn ctap(&mut self, command: u8, params: Option<&Value>, touch: bool) -> (u8, Vec<u8>) {
        let (status, body, _) = self.ctap_polled(command, params, touch);
        (status, body)
    }

    /// Sends NFCCTAP_MSG and polls until the key waits for the button.
    pub fn start_until_up_needed(&mut self, command: u8, params: Option<&Value>) {
        let mut data = vec![command];
        if let Some(p) = params {
            ciborium::into_writer(p, &mut data).expect("cbor");
        }
        let (mut resp, mut sw) = self.chain(0x80, 0x10, 0x80, 0x00, &data);
        for _ in 0..600 {
            assert_eq!(sw, 0x9100, "still running: {}", hex::encode(&resp));
            if resp == [0x02] {
                assert!(self.button.is_waiting(), "the LED blinks");
                return;
            }
            (resp, sw) = self.chain(0x80, 0x11, 0x00, 0x00, &[]);
        }
        panic!("the key never asked for the button");
    }
}

/// Hex (spaces allowed) to bytes.
pub fn h(s: &str) -> Vec<u8> {
    hex::decode(s.replace(' ', "")).expect("hex")
}

/// Decodes one CBOR item.
pub fn decode(cbor: &[u8]) -> Value {
    ciborium::from_reader(cbor).expect("CBOR")
}

/// Integer-keyed CBOR map (keys in canonical order as given).
pub fn imap(entries: Vec<(i64, Value)>) -> Value {
    Value::Map(
        entries
            .into_iter()
            .map(|(k, v)| (Value::from(k), v))
            .collect(),
    )
}

/// Text-keyed CBOR map.
pub fn tmap(entries: Vec<(&str, Value)>) -> Value {
    Value::Map(
        entries
            .into_iter()
            .map(|(k, v)| (Value::Text(k.to_owned()), v))
            .collect(),
    )
}

/// Map lookup by integer key.
pub fn get(map: &Value, key: i64) -> Option<&Value> {
    map.as_map()?
        .iter()
        .find(|(k, _)| k.as_integer() == Some(key.into()))
        .map(|(_, v)| v)
}

/// Map lookup by text key.
pub fn get_t<'a>(map: &'a Value, key: &str) -> Option<&'a Value> {
    map.as_map()?
        .iter()
        .find(|(k, _)| k.as_text() == Some(key))
        .map(|(_, v)| v)
}

/// The text strings of a CBOR array.
pub fn texts(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_text().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// makeCredential (CTAP 2.1 §6.1) for rp "example.com", a resident key when `rk`.
pub fn make_credential(user_id: &[u8], name: &str, rk: bool, extra: Vec<(i64, Value)>) -> Value {
    let mut entries = vec![
        (1, Value::Bytes(vec![0x11; 32])),
        (
            2,
            tmap(vec![
                ("id", Value::Text("example.com".into())),
                ("name", Value::Text("Example".into())),
            ]),
        ),
        (
            3,
            tmap(vec![
                ("id", Value::Bytes(user_id.to_vec())),
                ("name", Value::Text(name.into())),
                ("displayName", Value::Text(name.to_uppercase())),
            ]),
        ),
        (
            4,
            Value::Array(vec![tmap(vec![
                ("alg", Value::from(-7)),
                ("type", Value::Text("public-key".into())),
            ])]),
        ),
    ];
    if rk {
        entries.push((7, tmap(vec![("rk", Value::Bool(true))])));
    }
    entries.extend(extra);
    entries.sort_by_key(|(k, _)| *k);
    imap(entries)
}

/// getAssertion (CTAP 2.1 §6.2) for "example.com" without allowList.
pub fn get_assertion() -> Value {
    imap(vec![
        (1, Value::Text("example.com".into())),
        (2, Value::Bytes(vec![0x22; 32])),
    ])
}

/// Long enough for opensk's presence loop to notice a clock jump.
pub const SETTLE: Duration = Duration::from_millis(300);
