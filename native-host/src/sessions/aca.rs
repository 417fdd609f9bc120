//! `AcaSession`: HID's Access Control Applet (crescendo-apdu.md §3), one method
//! per instruction.

mod admin_key;

pub use admin_key::AdminKey;

use crate::apdu::{Apdu, Processor, Sw};
use crate::connection::SmartCardConnection;
use crate::sessions::{select, Pin, SessionError};
use crate::tlv;

/// ACA instance AID (§2.1).
pub const ACA_AID: &[u8] = &[0xA0, 0x00, 0x00, 0x00, 0x79, 0x10, 0x00];

/// ACA PIN field: ASCII right-padded with FFh to 8 bytes (§3).
const PIN_FIELD: usize = 8;

/// What GET PIN PROPERTIES reports (§3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinProperties {
    /// Minimum length.
    pub min_len: u8,
    /// Maximum length.
    pub max_len: u8,
    /// Whether only digits are allowed (the byte's encoding is not published:
    /// non-zero is read as numeric-only).
    pub numeric_only: bool,
}

/// An open ACA session.
pub struct AcaSession<'c> {
    p: Processor<'c>,
    version: [u8; 4],
}

fn pin_error(ins: u8, sw: Sw) -> SessionError {
    match sw {
        Sw::WrongPin { tries } => SessionError::WrongPin { tries },
        Sw::Blocked => SessionError::Blocked,
        Sw::SecurityNotSatisfied => SessionError::SecurityNotSatisfied,
        Sw::WrongData => SessionError::BadPinFormat,
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

impl<'c> AcaSession<'c> {
    /// SELECTs the ACA and reads its version (§2.2: `6F … A5 … 01 05 10 vv vv vv bb`).
    pub fn open(conn: &'c mut dyn SmartCardConnection) -> Result<AcaSession<'c>, SessionError> {
        let mut p = Processor::new(conn);
        let answer = select(&mut p, ACA_AID)?;
        let version = tlv::find(&answer, &[0x6F])
            .and_then(|fci| tlv::find(fci, &[0xA5]))
            .and_then(|a5| tlv::find(a5, &[0x01]))
            .filter(|v| v.len() == 5 && v[0] == 0x10)
            .map(|v| [v[1], v[2], v[3], v[4]])
            .ok_or_else(|| {
                SessionError::Malformed("ACA SELECT answer without a version block".into())
            })?;
        Ok(AcaSession { p, version })
    }

    /// Applet version (major, minor, patch, build).
    pub fn version(&self) -> [u8; 4] {
        self.version
    }

    /// An empty PIN is refused before anything is sent: eight FFh bytes would
    /// cost a try for nothing.
    fn pin_field(pin: &Pin) -> Result<Vec<u8>, SessionError> {
        if pin.is_empty() {
            return Err(SessionError::BadPinFormat);
        }
        pin.padded(PIN_FIELD)
            .map(|v| v.to_vec())
            .ok_or(SessionError::BadPinFormat)
    }

    /// VERIFY PIN `00 20 00 00 08 <PIN>` (§3.2).
    pub fn verify_pin(&mut self, pin: &Pin) -> Result<(), SessionError> {
        let data = Self::pin_field(pin)?;
        let r = self.p.send(&Apdu::new(0x00, 0x20, 0x00, 0x00).data(data))?;
        ok(0x20, r.sw)
    }

    /// CHANGE PIN `00 24 01 00 10 <old><new>` (§3.3).
    pub fn change_pin(&mut self, old: &Pin, new: &Pin) -> Result<(), SessionError> {
        let mut data = Self::pin_field(old)?;
        data.extend_from_slice(&Self::pin_field(new)?);
        let r = self.p.send(&Apdu::new(0x00, 0x24, 0x01, 0x00).data(data))?;
        ok(0x24, r.sw)
    }

    /// GET PIN PROPERTIES `00 56 02 00 01 31 00` (§3.4).
    pub fn pin_properties(&mut self) -> Result<PinProperties, SessionError> {
        let r = self
            .p
            .send(&Apdu::new(0x00, 0x56, 0x02, 0x00).data([0x31]).le(0))?;
        ok(0x56, r.sw)?;
        match tlv::find(&r.data, &[0x31]) {
            Some([min, max, _, _, numeric, ..]) => Ok(PinProperties {
                min_len: *min,
                max_len: *max,
                numeric_only: *numeric != 0,
            }),
            _ => Err(SessionError::Malformed(
                "PIN properties without 31 05 …".into(),
            )),
        }
    }

    /// GET CHALLENGE `00 84 00 00 00` (§3.5): 8 bytes for TDES, 16 for AES.
    pub fn get_challenge(&mut self) -> Result<Vec<u8>, SessionError> {
        let r = self.p.send(&Apdu::new(0x00, 0x84, 0x00, 0x00).le(0))?;
        ok(0x84, r.sw)?;
        match r.data.len() {
            8 | 16 => Ok(r.data),
            n => Err(SessionError::Malformed(format!("a {n}-byte challenge"))),
        }
    }

    /// EXTERNAL AUTHENTICATE `00 82 00 01 Lc <cryptogram>` (§3.5).
    pub fn external_authenticate(&mut self, cryptogram: &[u8]) -> Result<(), SessionError> {
        let r = self
            .p
            .send(&Apdu::new(0x00, 0x82, 0x00, 0x01).data(cryptogram))?;
        match r.sw {
            Sw::Ok => Ok(()),
            Sw::VerifyFailed => Err(SessionError::WrongAdminKey),
            Sw::RefNotFound => Err(SessionError::NotSupported),
            sw => Err(pin_error(0x82, sw)),
        }
    }

    /// Admin (XAUTH1) authentication: GET CHALLENGE, then EXTERNAL AUTHENTICATE
    /// with ECB(key, challenge). The challenge length must match the key type.
    pub fn authenticate_admin(&mut self, key: &AdminKey) -> Result<(), SessionError> {
        let challenge = self.get_challenge()?;
        let cryptogram = key.respond(&challenge).ok_or_else(|| {
            SessionError::Malformed(format!(
                "a {}-byte challenge does not fit a {} admin key",
                challenge.len(),
                key.name()
            ))
        })?;
        self.external_authenticate(&cryptogram)
    }

    /// PUT XAUTH KEY 1 `00 D8 01 00 Lc 00 <alg> <L+1> <L> <key> 00` (§3.6).
    pub fn put_admin_key(&mut self, key: &AdminKey) -> Result<(), SessionError> {
        let r = self
            .p
            .send(&Apdu::new(0x00, 0xD8, 0x01, 0x00).data(key.put_data()))?;
        ok(0xD8, r.sw)
    }

    /// UNLOCK PIN `00 2C 02 00 08 <new PIN>` (§3.7), after admin authentication.
    pub fn unlock_pin(&mut self, new: &Pin) -> Result<(), SessionError> {
        let data = Self::pin_field(new)?;
        let r = self.p.send(&Apdu::new(0x00, 0x2C, 0x02, 0x00).data(data))?;
        ok(0x2C, r.sw)
    }

    /// RESET CARD `00 38 00 00` (§3.8), after PIN or admin authentication.
    pub fn reset_card(&mut self) -> Result<(), SessionError> {
        let r = self.p.send(&Apdu::new(0x00, 0x38, 0x00, 0x00))?;
        ok(0x38, r.sw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scripted::ScriptedConnection;

    const SELECT: (&str, &str) = (
        "00A4040007A000000079100000",
        "6F128407A0000000791000A507010510030003019000",
    );

    #[test]
    fn select_and_verify_as_in_hids_sequences() {
        // oath-perso-sequences.htm (§5.7): Select ACA, Verify PIN "00000000".
        // (HID's sample omits Le on SELECT; we send Le = 00, as §2.1 documents.)
        let mut c = ScriptedConnection::new(&[SELECT, ("00200000083030303030303030", "9000")]);
        let mut aca = AcaSession::open(&mut c).expect("open");
        assert_eq!(aca.version(), [3, 0, 3, 1]);
        aca.verify_pin(&Pin::new("00000000")).expect("verify");
        c.finish();
    }

    #[test]
    fn wrong_and_blocked_pins_are_typed() {
        let mut c = ScriptedConnection::new(&[
            SELECT,
            ("00200000083131313131313131", "63C2"),
            ("00200000083131313131313131", "6983"),
        ]);
        let mut aca = AcaSession::open(&mut c).expect("open");
        assert!(matches!(
            aca.verify_pin(&Pin::new("11111111")),
            Err(SessionError::WrongPin { tries: 2 })
        ));
        assert!(matches!(
            aca.verify_pin(&Pin::new("11111111")),
            Err(SessionError::Blocked)
        ));
        c.finish();
    }

    #[test]
    fn change_pin_constructed_example() {
        // §3.3: 00000000 → 123456.
        let mut c = ScriptedConnection::new(&[
            SELECT,
            ("00240100103030303030303030313233343536FFFF", "9000"),
            ("00240100103030303030303030313233FFFFFFFFFF", "6A80"),
        ]);
        let mut aca = AcaSession::open(&mut c).expect("open");
        aca.change_pin(&Pin::new("00000000"), &Pin::new("123456"))
            .expect("change");
        assert!(matches!(
            aca.change_pin(&Pin::new("00000000"), &Pin::new("123")),
            Err(SessionError::BadPinFormat)
        ));
        c.finish();
    }

    #[test]
    fn pin_properties_parse() {
        let mut c = ScriptedConnection::new(&[SELECT, ("00560200013100", "310504080000019000")]);
        let mut aca = AcaSession::open(&mut c).expect("open");
        assert_eq!(
            aca.pin_properties().expect("props"),
            PinProperties {
                min_len: 4,
                max_len: 8,
                numeric_only: true
            }
        );
        c.finish();
    }

    #[test]
    fn admin_unblock_constructed_sequence() {
        // §3.7: GET CHALLENGE (16 bytes) → EXTERNAL AUTHENTICATE with
        // AES-ECB(0¹⁶, challenge) (§3.5 constructed example) → UNLOCK PIN 123456.
        let mut c = ScriptedConnection::new(&[
            SELECT,
            ("0084000000", "00112233445566778899AABBCCDDEEFF9000"),
            ("0082000110C8A331FF8EDD3DB175E1545DBEFB760B", "9000"),
            ("002C020008313233343536FFFF", "9000"),
        ]);
        let mut aca = AcaSession::open(&mut c).expect("open");
        aca.authenticate_admin(&AdminKey::aes128([0; 16]))
            .expect("xauth");
        aca.unlock_pin(&Pin::new("123456")).expect("unlock");
        c.finish();
    }

    #[test]
    fn tdes_admin_key_and_wrong_cryptogram() {
        // §3.5: 3DES(0²⁴) on 0123456789ABCDEF = 617B3A0CE8F07100.
        let mut c = ScriptedConnection::new(&[
            SELECT,
            ("0084000000", "0123456789ABCDEF9000"),
            ("0082000108617B3A0CE8F07100", "6300"),
        ]);
        let mut aca = AcaSession::open(&mut c).expect("open");
        assert!(matches!(
            aca.authenticate_admin(&AdminKey::tdes([0; 24])),
            Err(SessionError::WrongAdminKey)
        ));
        c.finish();
    }

    #[test]
    fn put_admin_key_and_reset_card() {
        // §3.6 constructed AES example; §3.8 RESET CARD.
        let put = format!("00D801001500081110{}00", "00".repeat(16));
        let mut c = ScriptedConnection::new(&[SELECT, (&put, "9000"), ("00380000", "6982")]);
        let mut aca = AcaSession::open(&mut c).expect("open");
        aca.put_admin_key(&AdminKey::aes128([0; 16])).expect("put");
        assert!(matches!(
            aca.reset_card(),
            Err(SessionError::SecurityNotSatisfied)
        ));
        c.finish();
    }

    #[test]
    fn a_failing_script_names_the_step() {
        let mut c = ScriptedConnection::new(&[SELECT, ("00380000", "9000")]);
        let mut aca = AcaSession::open(&mut c).expect("open");
        let err = aca.verify_pin(&Pin::new("00000000")).expect_err("mismatch");
        assert!(
            err.to_string()
                .contains("at step 2 expected 00380000, got 00200000083030303030303030"),
            "{err}"
        );
    }
}
