//! PivSession against scripted cards: command bytes from SP 800-73-4 as
//! digested in protocols.md §2 and crescendo-apdu.md §2.3, §6, §8.

use super::*;
use crate::scripted::ScriptedConnection;

/// SELECT with the full AID and Le (crescendo-apdu.md §2.1).
const SELECT_CMD: &str = "00A404000BA00000030800001000010000";

/// HID's documented template (§2.3) with the label a live C2300 returns
/// (§8: "HID Global ActivID Applet 3.0.3", 31 bytes, so 50 1F and 61 37).
const SELECT_ACTIVID: (&str, &str) = (
    SELECT_CMD,
    "61374F0BA00000030800001000010079074F05A000000308501F\
     48494420476C6F62616C2041637469764944204170706C657420332E302E33 9000",
);

fn open(c: &mut ScriptedConnection) -> PivSession<'_> {
    PivSession::open(c).expect("open")
}

#[test]
fn select_tells_the_activid_applet_apart() {
    let mut c = ScriptedConnection::new(&[SELECT_ACTIVID]);
    let piv = open(&mut c);
    let info = piv.info();
    assert!(info.is_activid());
    assert_eq!(info.activid_version(), Some("3.0.3"));
    assert_eq!(info.aid, PIV_AID);
    assert_eq!(info.authority, [0xA0, 0x00, 0x00, 0x03, 0x08]);
    drop(piv);
    c.finish();

    // A real YubiKey (protocols.md §2.1): 4F holds only the PIX, no label.
    let mut c =
        ScriptedConnection::new(&[(SELECT_CMD, "6111 4F06000010000100 79074F05A000000308 9000")]);
    let piv = open(&mut c);
    assert!(!piv.info().is_activid());
    assert_eq!(piv.info().label, None);
    assert_eq!(piv.info().aid, [0x00, 0x00, 0x10, 0x00, 0x01, 0x00]);
    drop(piv);
    c.finish();
}

#[test]
fn select_failures_and_sloppy_answers() {
    let mut c = ScriptedConnection::new(&[(SELECT_CMD, "6A82")]);
    assert!(matches!(
        PivSession::open(&mut c),
        Err(SessionError::AppletNotFound)
    ));
    // A truncated template is not fatal: SELECT only helps recognise the model.
    let mut c = ScriptedConnection::new(&[(SELECT_CMD, "61374F0BA000009000")]);
    assert_eq!(open(&mut c).info(), &PivInfo::default());
}

#[test]
fn verify_pin_and_its_status_words() {
    // protocols.md §2.4; crescendo-apdu.md §1.1 default PIN 00000000.
    let mut c = ScriptedConnection::new(&[
        SELECT_ACTIVID,
        ("00200080083030303030303030", "9000"),
        ("0020008008313233343536FFFF", "63C5"),
        ("0020008008313233343536FFFF", "6983"),
    ]);
    let mut piv = open(&mut c);
    piv.verify_pin(&Pin::new("00000000")).expect("verify");
    assert!(matches!(
        piv.verify_pin(&Pin::new("123456")),
        Err(SessionError::WrongPin { tries: 5 })
    ));
    assert!(matches!(
        piv.verify_pin(&Pin::new("123456")),
        Err(SessionError::Blocked)
    ));
    // Nothing is sent for an empty or a 9-byte PIN.
    for bad in ["", "123456789"] {
        assert!(matches!(
            piv.verify_pin(&Pin::new(bad)),
            Err(SessionError::BadPinFormat)
        ));
    }
    drop(piv);
    c.finish();
}

#[test]
fn empty_verify_probes_the_retry_counter() {
    // crescendo-apdu.md §3.2/§8: a Crescendo Key V3 answered 63C6.
    let mut c = ScriptedConnection::new(&[
        SELECT_ACTIVID,
        ("00200080", "63C6"),
        ("00200080", "9000"),
        ("00200080", "6983"),
        ("0020FF80", "9000"),
    ]);
    let mut piv = open(&mut c);
    assert_eq!(piv.pin_status().expect("probe"), PinStatus::TriesLeft(6));
    assert_eq!(piv.pin_status().expect("probe"), PinStatus::Verified);
    assert_eq!(piv.pin_status().expect("probe"), PinStatus::Blocked);
    piv.reset_pin_status().expect("logout");
    drop(piv);
    c.finish();
}

#[test]
fn change_pin_change_puk_and_unblock() {
    // protocols.md §2.5 (YubiKey defaults: PIN 123456, PUK 12345678).
    let mut c = ScriptedConnection::new(&[
        SELECT_ACTIVID,
        ("0024008010313233343536FFFF3635343332313030", "9000"),
        ("00240081103132333435363738 3837363534333231", "63C2"),
        ("002C0080103132333435363738 313233343536FFFF", "9000"),
        ("002C0080103132333435363738 313233343536FFFF", "6D00"),
        ("0024008010313233343536FFFF31FFFFFFFFFFFFFF", "6A80"),
    ]);
    let mut piv = open(&mut c);
    piv.change_pin(&Pin::new("123456"), &Pin::new("65432100"))
        .expect("change PIN");
    assert!(matches!(
        piv.change_puk(&Pin::new("12345678"), &Pin::new("87654321")),
        Err(SessionError::WrongPin { tries: 2 })
    ));
    piv.unblock_pin(&Pin::new("12345678"), &Pin::new("123456"))
        .expect("unblock");
    assert!(matches!(
        piv.unblock_pin(&Pin::new("12345678"), &Pin::new("123456")),
        Err(SessionError::NotSupported)
    ));
    assert!(matches!(
        piv.change_pin(&Pin::new("123456"), &Pin::new("1")),
        Err(SessionError::BadPinFormat)
    ));
    drop(piv);
    c.finish();
}

#[test]
fn discovery_pin_usage_policy() {
    // protocols.md §2.6/§2.7: YubiKey 40 00, Nitrokey 40 10; a VCI card 48 10.
    let discovery = |policy: &str| {
        (
            "00CB3FFF035C017E00",
            format!("7E124F0BA0000003080000100001005F2F02{policy}9000"),
        )
    };
    let (yk, nk, vci) = (discovery("4000"), discovery("4010"), discovery("4C10"));
    let mut c = ScriptedConnection::new(&[
        SELECT_ACTIVID,
        (yk.0, &yk.1),
        (nk.0, &nk.1),
        (vci.0, &vci.1),
        ("00CB3FFF035C017E00", "6A82"),
        ("00CB3FFF035C017E00", "7E045F2F01409000"),
    ]);
    let mut piv = open(&mut c);
    let d = piv.discovery().expect("read").expect("present");
    assert_eq!(d.aid, PIV_AID);
    let p = d.pin_policy;
    assert!(p.piv_pin && !p.global_pin && !p.occ && !p.vci);
    assert_eq!(p.primary, PrimaryPin::Unspecified);
    assert!(p.is_conformant() && !p.pairing_code_required());

    let p = piv.discovery().expect("read").expect("present").pin_policy;
    assert_eq!(p.primary, PrimaryPin::Piv);

    let p = piv.discovery().expect("read").expect("present").pin_policy;
    assert!(p.vci && p.vci_without_pairing_code && !p.pairing_code_required());
    assert_eq!(p.raw, [0x4C, 0x10]);

    assert_eq!(piv.discovery().expect("absent"), None);
    assert!(matches!(piv.discovery(), Err(SessionError::Malformed(_))));
    drop(piv);
    c.finish();
}

#[test]
fn pairing_code_after_the_pin() {
    // protocols.md §2.6: GET DATA 5FC123 → 53 0C 99 08 <digits> FE 00.
    let get = "00CB3FFF055C035FC12300";
    let mut c = ScriptedConnection::new(&[
        SELECT_ACTIVID,
        (get, "6982"),
        ("00200080083030303030303030", "9000"),
        (get, "530C99083837363534333231FE009000"),
        (get, "530C990838373635343332FFFE009000"),
        (get, "6A82"),
    ]);
    let mut piv = open(&mut c);
    assert!(matches!(
        piv.pairing_code(),
        Err(SessionError::SecurityNotSatisfied)
    ));
    piv.verify_pin(&Pin::new("00000000")).expect("verify");
    let code = piv.pairing_code().expect("read").expect("present");
    assert_eq!(code.as_bytes(), b"87654321");
    assert_eq!(format!("{code:?}"), "Pin(***)");
    assert!(matches!(
        piv.pairing_code(),
        Err(SessionError::Malformed(_))
    ));
    assert!(piv.pairing_code().expect("absent").is_none());
    drop(piv);
    c.finish();
}

#[test]
fn stored_puk_object() {
    let get = "00CB3FFF055C035FFF4000";
    let mut c = ScriptedConnection::new(&[
        SELECT_ACTIVID,
        (get, "530A81083132333435363738 9000"),
        (get, "6A82"),
        (get, "6982"),
    ]);
    let mut piv = open(&mut c);
    let puk = piv.stored_puk().expect("read").expect("present");
    assert_eq!(puk.as_bytes(), b"12345678");
    assert!(piv.stored_puk().expect("absent").is_none());
    assert!(matches!(
        piv.stored_puk(),
        Err(SessionError::SecurityNotSatisfied)
    ));
    drop(piv);
    c.finish();
}

/// A GET PIV PROPERTIES answer shaped like crescendo-apdu.md §6.1 (TLV sizes
/// 01:07, 39:03, 3A:09, 3B:02, 50:0E each, 51:17 each, 45:07), tag 01 as the
/// live C2300 (`21 03 00 03 06`).
fn piv_properties_answer(containers: usize, pkis: usize) -> Vec<u8> {
    let mut body =
        hex::decode("0105210300030639010A3A0700000000000000 3B00".replace(' ', "")).expect("hex");
    for _ in 0..containers {
        body.extend([0x50, 0x0C]);
        body.extend([0; 12]);
    }
    for _ in 0..pkis {
        body.extend([0x51, 0x15]);
        body.extend([0; 21]);
    }
    body.extend([0x45, 0x05, 0, 0, 0, 0, 0]);
    let mut v = vec![0x53];
    crate::tlv::encode_len(body.len(), &mut v);
    v.extend(body);
    v
}

#[test]
fn piv_properties_with_get_response_chaining() {
    let answer = piv_properties_answer(2, 10);
    let (first, rest) = answer.split_at(200);
    let mut r1 = hex::encode_upper(first);
    r1.push_str(&format!("61{:02X}", rest.len()));
    let mut r2 = hex::encode_upper(rest);
    r2.push_str("9000");
    let get_response = format!("00C00000{:02X}", rest.len());
    let mut c = ScriptedConnection::new(&[
        SELECT_ACTIVID,
        ("00CB3FFF055C03FFFF7F00", &r1),
        (&get_response, &r2),
        ("00CB3FFF055C03FFFF7F00", "6A82"),
        ("00CB3FFF055C03FFFF7F00", "6A86"),
    ]);
    let mut piv = open(&mut c);
    let props = piv.piv_properties().expect("read").expect("present");
    assert_eq!(
        props,
        PivProperties {
            family: 0x21,
            version: [3, 0, 3, 6],
            containers: 2,
            pki_slots: 10
        }
    );
    assert!(piv.piv_properties().expect("absent").is_none());
    assert!(piv.piv_properties().expect("wrong P1P2").is_none());
    drop(piv);
    c.finish();
}

#[test]
fn yubico_extensions_are_optional() {
    // protocols.md §2.10: GET VERSION 05 02 04; metadata PIN example.
    // crescendo-apdu.md §6.3: Yubico INS answer 6D00 on a Crescendo.
    let mut c = ScriptedConnection::new(&[
        SELECT_ACTIVID,
        ("00FD0000", "6D00"),
        ("00FD0000", "0502049000"),
        ("00F70080", "010 1FF 0501 01 0602 0505 9000"),
        ("00F70081", "6D00"),
    ]);
    let mut piv = open(&mut c);
    assert_eq!(piv.yubico_version().expect("probe"), None);
    assert_eq!(piv.yubico_version().expect("probe"), Some([5, 2, 4]));
    let m = piv.metadata(PIN_REF).expect("metadata");
    assert_eq!(m.algorithm, Some(0xFF));
    assert_eq!(m.is_default, Some(true));
    assert_eq!(m.retries, Some((5, 5)));
    assert!(matches!(
        piv.metadata(PUK_REF),
        Err(SessionError::NotSupported)
    ));
    drop(piv);
    c.finish();
}

#[test]
fn card_garbage_never_panics() {
    for junk in [
        &[][..],
        &[0x53][..],
        &[0x53, 0x82, 0xFF][..],
        &[0x7E, 0x03, 0x5F, 0x2F, 0x02][..],
        &[0x53, 0x02, 0x99, 0x08][..],
    ] {
        let _ = Discovery::parse(junk);
        let _ = PivProperties::parse(junk);
        let _ = Metadata::parse(junk);
        let _ = PivInfo::parse(junk);
        let _ = objects::object_contents(junk).map(objects::pairing_code);
    }
}
