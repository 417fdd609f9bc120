//! Probing a token: which applets answer SELECT, and a stable device id. One
//! transaction, one SELECT per applet, one GET DATA for the id.

use tessera_core::protocol::{Applets, PinStatus, TokenInfo};

use crate::apdu::{Apdu, Processor, Sw};
use crate::backend::Backend;
use crate::connection::{transaction, SmartCardConnection};
use crate::sessions::aca::ACA_AID;
use crate::sessions::SessionError;
use crate::tlv;

/// PIV (SP 800-73-4 §2.2).
const PIV_AID: &[u8] = &[0xA0, 0x00, 0x00, 0x03, 0x08];
/// Crescendo OATH instances (crescendo-apdu.md §2.1).
const OATH_SLOT_AIDS: [&[u8]; 3] = [
    &[0xA0, 0x00, 0x00, 0x00, 0x79, 0x23, 0x00],
    &[0xA0, 0x00, 0x00, 0x00, 0x79, 0x23, 0x01],
    &[0xA0, 0x00, 0x00, 0x00, 0x79, 0x23, 0x02],
];
/// YKOATH (protocols.md §0.1 AIDs).
const YKOATH_AID: &[u8] = &[0xA0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01];
/// FIDO (CTAP over ISO 7816, protocols.md §4.1).
const FIDO_AID: &[u8] = &[0xA0, 0x00, 0x00, 0x06, 0x47, 0x2F, 0x00, 0x01];

fn select(p: &mut Processor, aid: &[u8]) -> Result<Option<Vec<u8>>, SessionError> {
    match crate::sessions::select(p, aid) {
        Ok(data) => Ok(Some(data)),
        Err(SessionError::AppletNotFound) => Ok(None),
        Err(SessionError::Unexpected { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// CHUID GUID (SP 800-73-4 Part 1 §3.1.2, tag 34) via GET DATA 5FC102.
fn chuid_guid(p: &mut Processor) -> Result<Option<Vec<u8>>, SessionError> {
    let get = Apdu::new(0x00, 0xCB, 0x3F, 0xFF)
        .data([0x5C, 0x03, 0x5F, 0xC1, 0x02])
        .le(0);
    let r = p.send(&get)?;
    if r.sw != Sw::Ok {
        return Ok(None);
    }
    Ok(tlv::find(&r.data, &[0x53])
        .and_then(|chuid| tlv::find(chuid, &[0x34]))
        .filter(|g| g.len() == 16 && g.iter().any(|&b| b != 0))
        .map(<[u8]>::to_vec))
}

fn probe_applets(
    conn: &mut dyn SmartCardConnection,
    reader: &str,
) -> Result<TokenInfo, SessionError> {
    let mut p = Processor::new(conn);
    let mut applets = Applets {
        aca: select(&mut p, ACA_AID)?.is_some(),
        ..Applets::default()
    };
    for aid in OATH_SLOT_AIDS {
        if select(&mut p, aid)?.is_some() {
            applets.oath_slots += 1;
        }
    }
    let ykoath = select(&mut p, YKOATH_AID)?;
    applets.ykoath = ykoath.is_some();
    applets.fido = select(&mut p, FIDO_AID)?.is_some();
    // PIV last: its GET DATA needs it selected.
    applets.piv = select(&mut p, PIV_AID)?.is_some();
    let guid = if applets.piv {
        chuid_guid(&mut p)?
    } else {
        None
    };
    // The lock state while PIV is selected: one empty VERIFY (SP 800-73-4 Pt2 §3.2.1).
    let pin = if applets.piv {
        let r = p.send(&Apdu::new(0x00, 0x20, 0x00, 0x80))?;
        match r.sw {
            Sw::Ok => Some(PinStatus::Verified),
            Sw::WrongPin { tries } => Some(PinStatus::Locked {
                tries_left: Some(tries),
            }),
            Sw::Blocked => Some(PinStatus::Blocked),
            _ => None,
        }
    } else {
        None
    };
    // YKOATH SELECT carries the device id as the PBKDF2 salt (tag 71, §1.3).
    let ykoath_id = ykoath
        .as_deref()
        .and_then(|a| tlv::find(a, &[0x71]))
        .map(<[u8]>::to_vec);
    let id = match (guid, ykoath_id) {
        (Some(g), _) => hex::encode_upper(&g[..8]),
        (None, Some(y)) => hex::encode_upper(y),
        (None, None) => format!("reader:{reader}"),
    };
    Ok(TokenInfo {
        id,
        features: applets.features(),
        applets,
        pin,
        must_change_pin: false,
        managed: false,
    })
}

/// Probes the token in `reader` in one transaction.
pub fn probe(backend: &dyn Backend, reader: &str) -> Result<TokenInfo, SessionError> {
    let mut device = backend
        .connect(reader)
        .map_err(|e| SessionError::Apdu(e.into()))?;
    transaction(device.as_mut(), |conn| probe_applets(conn, reader))
        .map_err(|e| SessionError::Apdu(e.into()))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scripted::ScriptedConnection;

    #[test]
    fn a_piv_only_card_gets_its_chuid_guid_as_id() {
        let chuid = "5312 3410 00112233445566778899AABBCCDDEEFF 9000";
        let mut c = ScriptedConnection::new(&[
            ("00A4040007A000000079100000", "6A82"),
            ("00A4040007A000000079230000", "6A82"),
            ("00A4040007A000000079230100", "6A82"),
            ("00A4040007A000000079230200", "6A82"),
            ("00A4040007A000000527210100", "6A82"),
            ("00A4040008A0000006472F000100", "6A82"),
            (
                "00A4040005A00000030800",
                "61114F06000010000100790B4F0900000000000000009000",
            ),
            ("00CB3FFF055C035FC10200", chuid),
            ("00200080", "63C3"),
        ]);
        let info = probe_applets(&mut c, "R").expect("probe");
        c.finish();
        assert_eq!(info.id, "0011223344556677");
        assert!(info.applets.piv && !info.applets.aca && info.applets.oath_slots == 0);
        assert_eq!(
            info.pin,
            Some(PinStatus::Locked {
                tries_left: Some(3)
            })
        );
    }
}
