//! PIV applet, both flavours, driven through `VirtualCard::transmit` with
//! published transcripts: crescendo-apdu.md §2.3, §3.2, §6 (HID and 3rd-party
//! C2300 bench notes), protocols.md §2 and its Appendix A.2 checklist, and the
//! opensc-tool transcripts of the Yubico .NET SDK PIV APDU pages.

use des::cipher::generic_array::GenericArray;
use des::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use serde_json::Value;
use tessera_virtual_token::apdu::{Command, Status};
use tessera_virtual_token::applet::{Applet, CardRequest, Env, Interface, PinState};
use tessera_virtual_token::applets::piv::{PivApplet, PivFlavour};
use tessera_virtual_token::card::VirtualCard;
use tessera_virtual_token::platform::{ButtonMode, Platform};

fn h(s: &str) -> Vec<u8> {
    hex::decode(s.replace([' ', '\n'], "")).expect("hex")
}

/// Sends one APDU; returns (data, SW).
fn tx(card: &mut VirtualCard, apdu: &str) -> (Vec<u8>, u16) {
    let mut r = card.transmit(&h(apdu));
    let sw = r.split_off(r.len() - 2);
    (r, u16::from_be_bytes([sw[0], sw[1]]))
}

fn sw(card: &mut VirtualCard, apdu: &str) -> u16 {
    tx(card, apdu).1
}

/// Sends one APDU and fetches the rest with GET RESPONSE while the card says 61xx.
fn tx_all(card: &mut VirtualCard, apdu: &str) -> (Vec<u8>, u16) {
    let (mut data, mut sw) = tx(card, apdu);
    while sw >> 8 == 0x61 {
        let (more, s) = tx(card, &format!("00C00000{:02X}", sw & 0xFF));
        data.extend(more);
        sw = s;
    }
    (data, sw)
}

/// A stand-in for the Crescendo ACA (AID A0000000791000, crescendo-apdu.md §3):
/// VERIFY PIN `00 20 00 00`, a stub EXTERNAL AUTHENTICATE `00 82 00 01` that
/// grants XAUTH1, and RESET CARD `00 38 00 00`. Only what PIV depends on.
struct AcaStub;

impl Applet for AcaStub {
    fn name(&self) -> &'static str {
        "aca-stub"
    }
    fn aid(&self) -> &[u8] {
        &[0xA0, 0x00, 0x00, 0x00, 0x79, 0x10, 0x00]
    }
    fn select(&mut self, _: &mut Env, _: &mut Vec<u8>) -> Result<(), Status> {
        Ok(())
    }
    fn call(&mut self, cmd: &Command, env: &mut Env, _: &mut Vec<u8>) -> Result<(), Status> {
        match cmd.ins {
            0x20 => {
                let r = env.pin.check(&cmd.data);
                env.security.pin_verified = r.is_ok();
                r
            }
            0x82 => {
                env.security.xauth = true;
                Ok(())
            }
            0x38 => {
                env.request(CardRequest::FactoryReset);
                Ok(())
            }
            _ => Err(Status::INS_NOT_SUPPORTED),
        }
    }
    fn save(&self) -> Value {
        Value::Null
    }
    fn load(&mut self, _: Value) -> Result<(), String> {
        Ok(())
    }
}

const C2300_KEY_ATR: &str = "3BD996FF8191FE1FC34332333030 2D4B4559BA";
const YK5_ATR: &str = "3BFD1300008131FE158073C021C057597562694B657940";

/// Card PIN of a Crescendo Key: "00000000", 4–8 digits (crescendo-apdu.md §4);
/// 6 tries, the count a Crescendo Key V3 reported to an empty PIV VERIFY (§3.2).
fn crescendo_pin() -> PinState {
    PinState {
        value: PinState::pad(b"00000000"),
        tries_left: 6,
        max_tries: 6,
        min_len: 4,
        max_len: 8,
        numeric_only: true,
    }
}

fn crescendo() -> VirtualCard {
    VirtualCard::new(
        "crescendo-key",
        h(C2300_KEY_ATR),
        Platform::deterministic(7, ButtonMode::Never).0,
        crescendo_pin(),
        vec![
            Box::new(AcaStub),
            Box::new(PivApplet::new(PivFlavour::Crescendo)),
        ],
    )
}

fn yubico() -> VirtualCard {
    VirtualCard::new(
        "ykoath",
        h(YK5_ATR),
        Platform::deterministic(7, ButtonMode::Never).0,
        // Not used by the Yubico flavour (it keeps its own PIN and PUK).
        crescendo_pin(),
        vec![
            Box::new(AcaStub),
            Box::new(PivApplet::new(PivFlavour::Yubico)),
        ],
    )
}

const SELECT_PIV: &str = "00A4040009A00000030800001000";
const SELECT_ACA: &str = "00A4040007A0000000791000";
const VERIFY_ACA_DEFAULT: &str = "00200000083030303030303030";
const VERIFY_PIV_CRESCENDO_DEFAULT: &str = "00200080083030303030303030";
const VERIFY_PIV_YUBICO_DEFAULT: &str = "0020008008313233343536FFFF";
const PROBE: &str = "00200080";

fn selected(mut card: VirtualCard) -> VirtualCard {
    assert_eq!(tx(&mut card, SELECT_PIV).1, 0x9000);
    card
}

/// The default 3DES management key (protocols.md §2.3).
const DEFAULT_MGMT: &str = "010203040506070801020304050607080102030405060708";

fn tdes(key: &[u8], block: &[u8], encrypt: bool) -> Vec<u8> {
    let c = des::TdesEde3::new_from_slice(key).expect("key");
    let mut b = GenericArray::clone_from_slice(block);
    if encrypt {
        c.encrypt_block(&mut b);
    } else {
        c.decrypt_block(&mut b);
    }
    b.to_vec()
}

/// Single (external) authentication with the 9B key, as a host does it.
fn mgmt_auth(card: &mut VirtualCard, key: &str) {
    let (r, s) = tx(card, "008703 9B 04 7C028100");
    assert_eq!(s, 0x9000);
    assert_eq!(r[..4], h("7C0A8108"));
    let response = tdes(&h(key), &r[4..12], true);
    let apdu = format!("0087039B0C7C0A8208{}", hex::encode(response));
    assert_eq!(sw(card, &apdu), 0x9000);
}

// ---------------------------------------------------------------- SELECT

#[test]
fn crescendo_select_full_and_truncated_aid_golden() {
    // crescendo-apdu.md §2.3: 61 <2Ah+AIDlen> 4F 0B <AID> 79 07 4F 05 <RID> 50 L <label>,
    // with the live C2300 label (31 bytes), so 50 1F and 61 37.
    let expected = "61 37 4F 0B A0000003080000100001 00 79 07 4F 05 A000000308 \
                    50 1F 48494420476C6F62616C2041637469764944204170706C657420332E302E33";
    let mut card = crescendo();
    let (r, s) = tx(&mut card, "00A404000BA000000308000010000100 00");
    assert_eq!(
        (hex::encode_upper(&r), s),
        (hex::encode_upper(h(expected)), 0x9000)
    );
    assert_eq!(&r[r.len() - 31..], b"HID Global ActivID Applet 3.0.3");
    let (r2, s2) = tx(&mut card, "00A4040005A000000308");
    assert_eq!((r2, s2), (r, 0x9000));
}

#[test]
fn yubico_select_golden() {
    // Yubico .NET SDK transcripts (opensc-tool, 9-byte AID) and protocols.md §2.1.
    let mut card = yubico();
    let (r, s) = tx(&mut card, SELECT_PIV);
    assert_eq!(
        r,
        h("61 11 4F 06 00 00 10 00 01 00 79 07 4F 05 A0 00 00 03 08")
    );
    assert_eq!(s, 0x9000);
    assert_eq!(tx(&mut card, "00A4040005A000000308").0, r);
}

// ---------------------------------------------------------------- Discovery

#[test]
fn a2_discovery_object_bytes_both_flavours() {
    // protocols.md §2.6/§2.7 and A.2: 7E 12 4F 0B <AID> 5F 2F 02 40 00.
    for card in [crescendo(), yubico()] {
        let mut card = selected(card);
        let (r, s) = tx(&mut card, "00CB3FFF035C017E00");
        assert_eq!(s, 0x9000);
        assert_eq!(
            r,
            h("7E 12 4F 0B A0 00 00 03 08 00 00 10 00 01 00 5F 2F 02 40 00")
        );
    }
}

#[test]
fn discovery_is_fixed() {
    let mut card = selected(yubico());
    mgmt_auth(&mut card, DEFAULT_MGMT);
    assert_eq!(sw(&mut card, "00DB3FFF0A5C017E7E054F03A00000"), 0x6982);
}

// ---------------------------------------------------------------- GET PIV PROPERTIES

#[test]
fn crescendo_get_piv_properties_shape_and_chaining() {
    // crescendo-apdu.md §6.1: 53 <81xx|82xxxx>, then 01(07) 39(03) 3A(09) 3B(02),
    // 50 (0E each), 51 (17 each), 45(07); tag 01 = 21 03 00 03 06; 61LL chaining.
    let mut card = selected(crescendo());
    let (first, s) = tx(&mut card, "00CB3FFF055C03FFFF7F00");
    assert_eq!(s >> 8, 0x61, "a long answer comes in parts");
    assert_eq!(first.len(), 256);
    let (all, s) = tx_all(&mut card, "00CB3FFF055C03FFFF7F00");
    assert_eq!(s, 0x9000);
    assert_eq!(all[..256], first[..]);
    assert_eq!(all[0], 0x53);
    let (len, body) = match all[1] {
        0x81 => (usize::from(all[2]), &all[3..]),
        0x82 => (usize::from(u16::from_be_bytes([all[2], all[3]])), &all[4..]),
        _ => panic!("length form"),
    };
    assert_eq!(len, body.len());
    // Walk the simple TLVs (one-byte tags and lengths inside).
    let mut tlvs = vec![];
    let mut rest = body;
    while !rest.is_empty() {
        let (tag, l) = (rest[0], usize::from(rest[1]));
        tlvs.push((tag, &rest[2..2 + l]));
        rest = &rest[2 + l..];
    }
    let tags: Vec<u8> = tlvs.iter().map(|t| t.0).collect();
    assert_eq!(tags[..4], [0x01, 0x39, 0x3A, 0x3B]);
    assert_eq!(tlvs[0].1, h("2103000306"));
    let sizes = |tag| {
        tlvs.iter()
            .filter(|t| t.0 == tag)
            .map(|t| t.1.len() + 2)
            .collect::<Vec<_>>()
    };
    assert_eq!(sizes(0x01), [7]);
    assert_eq!(sizes(0x39), [3]);
    assert_eq!(sizes(0x3A), [9]);
    assert_eq!(sizes(0x3B), [2]);
    assert_eq!(sizes(0x45), [7]);
    assert!(sizes(0x50).iter().all(|&n| n == 0x0E) && !sizes(0x50).is_empty());
    let pki = sizes(0x51);
    assert!(pki.iter().all(|&n| n == 0x17) && pki.len() >= 4);
    assert_eq!(*tags.last().expect("tags"), 0x45);
    // Order: all 50s, then all 51s, then 45.
    let first51 = tags.iter().position(|&t| t == 0x51).expect("51");
    assert!(tags[4..first51].iter().all(|&t| t == 0x50));
    assert!(tags[first51..tags.len() - 1].iter().all(|&t| t == 0x51));
    // Inside 51: 47/26/48/43/42 with 43 four bytes (the live C2300 trace).
    let slot = tlvs[first51].1;
    assert_eq!(
        (slot[0], slot[4], slot[8], slot[11], slot[12], slot[17]),
        (0x47, 0x26, 0x48, 0x43, 0x04, 0x42)
    );
    assert_eq!(slot[10], 0x9A, "the first PKI slot is PIV Authentication");
}

#[test]
fn get_piv_properties_wrong_p1p2_and_yubico() {
    let mut card = selected(crescendo());
    assert_eq!(sw(&mut card, "00CB3F00055C03FFFF7F00"), 0x6A86);
    let mut card = selected(yubico());
    assert_eq!(sw(&mut card, "00CB3FFF055C03FFFF7F00"), 0x6A82);
}

// ---------------------------------------------------------------- VERIFY

#[test]
fn a2_crescendo_verify_probe_counters_and_block() {
    let mut card = selected(crescendo());
    // (3rd-party) an empty PIV VERIFY on a Crescendo Key answered 63C6 (§3.2, §8).
    assert_eq!(sw(&mut card, PROBE), 0x63C6);
    assert_eq!(sw(&mut card, "0020008008313131313131FFFF"), 0x63C5);
    assert_eq!(sw(&mut card, PROBE), 0x63C5);
    assert_eq!(sw(&mut card, VERIFY_PIV_CRESCENDO_DEFAULT), 0x9000);
    assert_eq!(sw(&mut card, PROBE), 0x9000, "verified in this session");
    assert_eq!(sw(&mut card, "0020FF80"), 0x9000, "P1=FF resets the status");
    assert_eq!(
        sw(&mut card, PROBE),
        0x63C6,
        "the counter went back to the limit"
    );
    for left in (1..6).rev() {
        assert_eq!(sw(&mut card, "0020008008313131313131FFFF"), 0x63C0 | left);
    }
    // The try that exhausts the card PIN answers 6983, as on the ACA (§3.2).
    assert_eq!(sw(&mut card, "0020008008313131313131FFFF"), 0x6983);
    assert_eq!(sw(&mut card, VERIFY_PIV_CRESCENDO_DEFAULT), 0x6983);
    assert_eq!(sw(&mut card, PROBE), 0x6983);
    // Blocked for the ACA too: it is the same PIN.
    assert_eq!(sw(&mut card, SELECT_ACA), 0x9000);
    assert_eq!(sw(&mut card, VERIFY_ACA_DEFAULT), 0x6983);
}

#[test]
fn a2_yubico_verify_probe_counters_and_block() {
    let mut card = selected(yubico());
    assert_eq!(sw(&mut card, PROBE), 0x63C3);
    // Yubico .NET SDK "Verify PIN" transcript: 00 20 00 80 08 "123456" FF FF → 9000.
    assert_eq!(sw(&mut card, VERIFY_PIV_YUBICO_DEFAULT), 0x9000);
    assert_eq!(sw(&mut card, PROBE), 0x9000);
    assert_eq!(sw(&mut card, "0020FF80"), 0x9000);
    assert_eq!(sw(&mut card, PROBE), 0x63C3);
    assert_eq!(sw(&mut card, "0020008008313131313131FFFF"), 0x63C2);
    assert_eq!(sw(&mut card, "0020008008313131313131FFFF"), 0x63C1);
    assert_eq!(sw(&mut card, "0020008008313131313131FFFF"), 0x63C0);
    assert_eq!(sw(&mut card, VERIFY_PIV_YUBICO_DEFAULT), 0x6983);
    assert_eq!(sw(&mut card, PROBE), 0x6983);
}

#[test]
fn verify_refuses_bad_references_and_formats() {
    for (card, good) in [
        (crescendo(), VERIFY_PIV_CRESCENDO_DEFAULT),
        (yubico(), VERIFY_PIV_YUBICO_DEFAULT),
    ] {
        let mut card = selected(card);
        let before = sw(&mut card, PROBE);
        // Global PIN (00), PUK (81) and pairing code (98): Discovery 40 00 claims
        // neither a Global PIN nor VCI (protocols.md §2.7).
        assert_eq!(sw(&mut card, "0020000008313233343536FFFF"), 0x6A88);
        assert_eq!(sw(&mut card, "0020009808 3132333435363738"), 0x6A88);
        assert_eq!(sw(&mut card, "0020008108 3132333435363738"), 0x6A88);
        assert_eq!(sw(&mut card, "0020018008313233343536FFFF"), 0x6A86);
        // Badly padded or short data: 6A80 and no try counted (§2.4).
        assert_eq!(sw(&mut card, "002000800631323334FFFF"), 0x6A80);
        assert_eq!(sw(&mut card, "0020008008FF31323334353637"), 0x6A80);
        assert_eq!(sw(&mut card, "002000800831FF3233343536FF"), 0x6A80);
        assert_eq!(sw(&mut card, PROBE), before);
        assert_eq!(sw(&mut card, good), 0x9000);
    }
}

#[test]
fn crescendo_pin_verified_on_the_aca_counts_for_piv() {
    // crescendo-apdu.md §4: the card-global PIN status survives selecting another
    // applet, and PIV accepts "PIN or PIV PIN".
    let mut card = crescendo();
    assert_eq!(sw(&mut card, SELECT_ACA), 0x9000);
    assert_eq!(sw(&mut card, VERIFY_ACA_DEFAULT), 0x9000);
    assert_eq!(sw(&mut card, SELECT_PIV), 0x9000);
    assert_eq!(sw(&mut card, PROBE), 0x9000);
    assert_eq!(
        sw(&mut card, "00CB3FFF055C035FC109"),
        0x6A82,
        "past the PIN check"
    );
    card.reset();
    assert_eq!(sw(&mut card, SELECT_PIV), 0x9000);
    assert_eq!(sw(&mut card, PROBE), 0x63C6, "power off drops it");
}

#[test]
fn yubico_selecting_another_applet_drops_piv_status() {
    let mut card = selected(yubico());
    assert_eq!(sw(&mut card, VERIFY_PIV_YUBICO_DEFAULT), 0x9000);
    assert_eq!(sw(&mut card, SELECT_ACA), 0x9000);
    assert_eq!(sw(&mut card, SELECT_PIV), 0x9000);
    assert_eq!(sw(&mut card, PROBE), 0x63C3);
}

// ---------------------------------------------------------------- objects

#[test]
fn crescendo_chuid_ccc_and_key_history() {
    let mut card = selected(crescendo());
    let (chuid, s) = tx(&mut card, "00CB3FFF055C035FC10200");
    assert_eq!(s, 0x9000);
    // SP 800-73-4 CHUID: 53 3B 30 19 <FASC-N 9999/9999/999999> 34 10 <GUID> 35 08 <date> 3E 00 FE 00,
    // the layout of the published YubiKey example (protocols.md §2.6).
    assert_eq!(
        chuid[..31],
        h("533B3019D4E739DA739CED39CE739D836858210842108421384210C3F53410")
    );
    assert_eq!(chuid[47..57], h("3508 3230333531323331"));
    assert_eq!(chuid[57..], h("3E00FE00"));
    let (ccc, s) = tx(&mut card, "00CB3FFF055C035FC10700");
    assert_eq!(s, 0x9000);
    assert_eq!(ccc[..11], h("5333F015A000000116FF02"));
    assert_eq!(
        ccc[25..],
        h("F10121F20121F300F40100F50110F600F700FA00FB00FC00FD00FE00")
    );
    assert_eq!(
        tx(&mut card, "00CB3FFF055C035FC10C00"),
        (h("5308C10100C20100FE00"), 0x9000)
    );
    // The identity is drawn once and kept across power cycles.
    card.reset();
    assert_eq!(tx(&mut selected(card), "00CB3FFF055C035FC10200").0, chuid);
}

#[test]
fn certificates_and_absent_objects_answer_6a82() {
    for card in [crescendo(), yubico()] {
        let mut card = selected(card);
        for tag in [
            "5FC105", "5FC10A", "5FC10B", "5FC101", "5FC10D", "5FC120", "5FC106",
        ] {
            assert_eq!(
                sw(&mut card, &format!("00CB3FFF055C03{tag}00")),
                0x6A82,
                "{tag}"
            );
        }
        assert_eq!(sw(&mut card, "00CB3FFF045C027F6100"), 0x6A82);
        assert_eq!(sw(&mut card, "00CB3FFF055C03123456"), 0x6A82, "unknown tag");
    }
}

#[test]
fn get_data_refuses_malformed_requests() {
    let mut card = selected(crescendo());
    assert_eq!(sw(&mut card, "00CB3FFE055C035FC102"), 0x6A86);
    assert_eq!(sw(&mut card, "00CB3FFF055D035FC102"), 0x6A80);
    assert_eq!(sw(&mut card, "00CB3FFF065C045FC10200"), 0x6A80);
    assert_eq!(sw(&mut card, "00CB3FFF045C035FC1"), 0x6A80);
    assert_eq!(sw(&mut card, "00CB3FFF"), 0x6A80);
    assert_eq!(
        sw(&mut card, "10CB3FFF035C017E"),
        0x9000,
        "a chained block is held"
    );
    assert_eq!(sw(&mut card, "0CCB3FFF035C017E"), 0x6E00);
}

#[test]
fn yubico_chuid_round_trip_with_the_published_object() {
    // Yubico .NET SDK "Get data" transcript: the CHUID as a YubiKey returns it.
    let published =
        "533B3019D4E739DA739CED39CE739D836858210842108421384210C3F53410AD64BEAC16114A5693\
                     A29D583B74CB44350832303330303130313E00FE00";
    let mut card = selected(yubico());
    assert_eq!(
        sw(&mut card, "00CB3FFF055C035FC102"),
        0x6A82,
        "a YubiKey has no CHUID"
    );
    let put = format!("00DB3FFF42 5C035FC102 {published}");
    assert_eq!(
        sw(&mut card, &put),
        0x6982,
        "PUT DATA needs the management key"
    );
    mgmt_auth(&mut card, DEFAULT_MGMT);
    assert_eq!(sw(&mut card, &put), 0x9000);
    assert_eq!(
        tx(&mut card, "00CB3FFF055C035FC102"),
        (h(published), 0x9000)
    );
    // 53 00 deletes.
    assert_eq!(sw(&mut card, "00DB3FFF075C035FC1025300"), 0x9000);
    assert_eq!(sw(&mut card, "00CB3FFF055C035FC102"), 0x6A82);
}

#[test]
fn a2_printed_information_behind_the_pin_with_protected_mgmt_key() {
    // protocols.md §2.11 and A.2: 5FC109 = 53 L 88 L 89 L <key>, readable after PIN.
    let object = format!("531C881A8918{DEFAULT_MGMT}");
    let mut card = selected(yubico());
    mgmt_auth(&mut card, DEFAULT_MGMT);
    assert_eq!(
        sw(&mut card, &format!("00DB3FFF23 5C035FC109 {object}")),
        0x9000
    );
    assert_eq!(sw(&mut card, "00CB3FFF055C035FC109"), 0x6982);
    assert_eq!(sw(&mut card, VERIFY_PIV_YUBICO_DEFAULT), 0x9000);
    assert_eq!(tx(&mut card, "00CB3FFF055C035FC109"), (h(&object), 0x9000));
}

#[test]
fn crescendo_printed_information_written_with_the_pin() {
    // SP 800-73-4 Part 1 Table 10 contents: 01 name … FE 00.
    let contents = "5314 010A 4A4F484E20534D495448 0504 31323334 FE00";
    let mut card = selected(crescendo());
    assert_eq!(sw(&mut card, "00CB3FFF055C035FC109"), 0x6982);
    let put = format!("00DB3FFF1B 5C035FC109 {contents}");
    assert_eq!(sw(&mut card, &put), 0x6982, "admin = PIN or XAUTH (§4)");
    assert_eq!(sw(&mut card, VERIFY_PIV_CRESCENDO_DEFAULT), 0x9000);
    assert_eq!(
        sw(&mut card, "00CB3FFF055C035FC109"),
        0x6A82,
        "empty by default"
    );
    assert_eq!(sw(&mut card, &put), 0x9000);
    assert_eq!(tx(&mut card, "00CB3FFF055C035FC109"), (h(contents), 0x9000));
}

#[test]
fn crescendo_put_data_with_xauth_admin() {
    let mut card = crescendo();
    assert_eq!(sw(&mut card, SELECT_ACA), 0x9000);
    assert_eq!(sw(&mut card, "00820001 08 617B3A0CE8F07100"), 0x9000);
    assert_eq!(sw(&mut card, SELECT_PIV), 0x9000);
    assert_eq!(sw(&mut card, PROBE), 0x63C6, "XAUTH is not the PIN");
    assert_eq!(
        sw(&mut card, "00DB3FFF0C 5C035FFF00 5305 8003 810102"),
        0x9000
    );
}

#[test]
fn a2_admin_object_flags_readable_without_pin() {
    // protocols.md §2.11: ADMIN data 5FFF00 = 53 L 80 L [81 01 flags] …, no PIN to read.
    let object = "5305 8003 810102";
    let mut card = selected(yubico());
    mgmt_auth(&mut card, DEFAULT_MGMT);
    assert_eq!(
        sw(&mut card, &format!("00DB3FFF0C 5C035FFF00 {object}")),
        0x9000
    );
    card.reset();
    let mut card = selected(card);
    assert_eq!(tx(&mut card, "00CB3FFF055C035FFF00"), (h(object), 0x9000));
}

#[test]
fn crescendo_pairing_code_after_pin_over_contact_only() {
    // protocols.md §2.6/§2.8: 5FC123 = 53 0C 99 08 <8 digits> FE 00; read with the
    // PIN over contact.
    let mut card = selected(crescendo());
    assert_eq!(sw(&mut card, "00CB3FFF055C035FC123"), 0x6982);
    assert_eq!(sw(&mut card, VERIFY_PIV_CRESCENDO_DEFAULT), 0x9000);
    let (r, s) = tx(&mut card, "00CB3FFF055C035FC123");
    assert_eq!(s, 0x9000);
    assert_eq!(r[..4], h("530C9908"));
    assert!(r[4..12].iter().all(u8::is_ascii_digit));
    assert_eq!(r[12..], h("FE00"));
    card.set_interface(Interface::Contactless);
    assert_eq!(sw(&mut card, "00CB3FFF055C035FC123"), 0x6982);
    // Other PIN-protected objects still read contactless.
    assert_eq!(sw(&mut card, "00CB3FFF055C035FC109"), 0x6A82);
}

#[test]
fn yubico_pairing_code_absent_but_still_guarded() {
    let mut card = selected(yubico());
    assert_eq!(sw(&mut card, "00CB3FFF055C035FC123"), 0x6982);
    assert_eq!(sw(&mut card, VERIFY_PIV_YUBICO_DEFAULT), 0x9000);
    assert_eq!(sw(&mut card, "00CB3FFF055C035FC123"), 0x6A82);
}

#[test]
fn stored_puk_behind_the_pin_emulator_defined() {
    // Emulator-defined (emulator_defined.rs): tag 5FFF40, contents 81 L <PUK>.
    let mut card = selected(crescendo());
    let put = "00DB3FFF11 5C035FFF40 530A 8108 3132333435363738";
    assert_eq!(sw(&mut card, put), 0x6982);
    assert_eq!(sw(&mut card, VERIFY_PIV_CRESCENDO_DEFAULT), 0x9000);
    assert_eq!(
        sw(&mut card, "00CB3FFF055C035FFF40"),
        0x6A82,
        "none in factory state"
    );
    assert_eq!(sw(&mut card, "00DB3FFF0B 5C035FFF40 5304 82023132"), 0x6A80);
    assert_eq!(sw(&mut card, "00DB3FFF09 5C035FFF40 5302 8100"), 0x6A80);
    assert_eq!(sw(&mut card, put), 0x9000);
    card.reset();
    let mut card = selected(card);
    assert_eq!(sw(&mut card, "00CB3FFF055C035FFF40"), 0x6982);
    assert_eq!(sw(&mut card, VERIFY_PIV_CRESCENDO_DEFAULT), 0x9000);
    assert_eq!(
        tx(&mut card, "00CB3FFF055C035FFF40"),
        (h("530A81083132333435363738"), 0x9000)
    );
}

#[test]
fn long_objects_come_back_with_61xx() {
    let mut card = selected(yubico());
    mgmt_auth(&mut card, DEFAULT_MGMT);
    let cert = "AB".repeat(1000);
    let contents = format!("538203F1 7082 03E8 {cert} 710100 FE00");
    // Chained PUT DATA blocks of 255 bytes (CLA 10 on all but the last), as ykman
    // sends them (protocols.md §0.1).
    let data = h(&format!("5C035FC105 {contents}"));
    let blocks: Vec<&[u8]> = data.chunks(255).collect();
    for (i, block) in blocks.iter().enumerate() {
        let cla = if i + 1 < blocks.len() { 0x10 } else { 0x00 };
        let mut apdu = vec![cla, 0xDB, 0x3F, 0xFF, block.len() as u8];
        apdu.extend_from_slice(block);
        assert_eq!(card.transmit(&apdu), h("9000"));
    }
    let (r, s) = tx_all(&mut card, "00CB3FFF055C035FC10500");
    assert_eq!((r, s), (h(&contents), 0x9000));
}

// ---------------------------------------------------------------- Crescendo: no 9B, no Yubico INS

#[test]
fn crescendo_has_no_management_key_and_no_yubico_extensions() {
    // crescendo-apdu.md §3.5/§6.3 (3rd-party): GENERAL AUTHENTICATE on 9B → 6D00;
    // Yubico INS FD/F8/F9/F7 → 6D00.
    let mut card = selected(crescendo());
    assert_eq!(sw(&mut card, "0087039B047C028100"), 0x6D00);
    assert_eq!(sw(&mut card, "0087039B047C028000"), 0x6D00);
    for apdu in [
        "00FD0000", "00F80000", "00F99A00", "00F70080", "00FB0000", "00FA0505",
    ] {
        assert_eq!(sw(&mut card, apdu), 0x6D00, "{apdu}");
    }
    // No PUK: RESET RETRY COUNTER is not supported, CHANGE of 81 has no data.
    assert_eq!(
        sw(&mut card, "002C0080103132333435363738 3030303030303030"),
        0x6D00
    );
    assert_eq!(
        sw(&mut card, "00240081103132333435363738 3837363534333231"),
        0x6A88
    );
    // INJECT PKI KEY (§6.2) is not implemented.
    assert_eq!(sw(&mut card, "80D8009A05 00A3818100"), 0x6D00);
}

#[test]
fn crescendo_change_pin_follows_the_card_pin_policy() {
    let mut card = selected(crescendo());
    // New PIN too short (4–8 digits), and not numeric: 6A80, no try counted.
    assert_eq!(
        sw(&mut card, "00240080103030303030303030 313233FFFFFFFFFF"),
        0x6A80
    );
    assert_eq!(
        sw(&mut card, "00240080103030303030303030 31323361FFFFFFFF"),
        0x6A80
    );
    assert_eq!(sw(&mut card, PROBE), 0x63C6);
    assert_eq!(
        sw(&mut card, "00240080103131313131313131 31323334FFFFFFFF"),
        0x63C5
    );
    assert_eq!(
        sw(&mut card, "00240080103030303030303030 31323334FFFFFFFF"),
        0x9000
    );
    // The ACA sees the new PIN (one PIN on the card).
    assert_eq!(sw(&mut card, SELECT_ACA), 0x9000);
    assert_eq!(sw(&mut card, "002000000831323334FFFFFFFF"), 0x9000);
}

// ---------------------------------------------------------------- Yubico PIN/PUK flows

#[test]
fn yubico_change_pin_and_puk_then_unblock() {
    let mut card = selected(yubico());
    // CHANGE PIN 123456 → 654321.
    assert_eq!(
        sw(&mut card, "0024008010313233343536FFFF 363534333231FFFF"),
        0x9000
    );
    assert_eq!(sw(&mut card, VERIFY_PIV_YUBICO_DEFAULT), 0x63C2);
    assert_eq!(sw(&mut card, "0020008008363534333231FFFF"), 0x9000);
    // CHANGE PUK 12345678 → 87654321; wrong old PUK counts on the PUK.
    assert_eq!(
        sw(&mut card, "00240081103131313131313131 3837363534333231"),
        0x63C2
    );
    assert_eq!(
        sw(&mut card, "00240081103132333435363738 3837363534333231"),
        0x9000
    );
    // Block the PIN, then RESET RETRY COUNTER with the new PUK.
    for _ in 0..3 {
        sw(&mut card, "0020008008313131313131FFFF");
    }
    assert_eq!(sw(&mut card, PROBE), 0x6983);
    assert_eq!(
        sw(&mut card, "002C0080103132333435363738 31323334353637FF"),
        0x63C2,
        "the old PUK no longer works"
    );
    assert_eq!(
        sw(&mut card, "002C0080103837363534333231 31323334353637FF"),
        0x9000
    );
    assert_eq!(
        sw(&mut card, PROBE),
        0x63C3,
        "counter reset, PIN not verified"
    );
    assert_eq!(sw(&mut card, "002000800831323334353637FF"), 0x9000);
}

#[test]
fn yubico_reset_retry_counter_golden() {
    // Yubico .NET SDK "Reset retry" transcript: PUK 12345678, new PIN 1234567 → 9000.
    let mut card = selected(yubico());
    assert_eq!(
        sw(&mut card, "002C008010313233343536373831323334353637FF"),
        0x9000
    );
    assert_eq!(sw(&mut card, "002000800831323334353637FF"), 0x9000);
}

#[test]
fn yubico_puk_blocks_and_pin_policy() {
    let mut card = selected(yubico());
    // New PIN shorter than 6: 6A80 without a try.
    assert_eq!(
        sw(&mut card, "002C0080103132333435363738 3132333435FFFFFF"),
        0x6A80
    );
    for left in [2u16, 1, 0] {
        assert_eq!(
            sw(&mut card, "002C0080103131313131313131 313233343536FFFF"),
            0x63C0 | left
        );
    }
    assert_eq!(
        sw(&mut card, "002C0080103132333435363738 313233343536FFFF"),
        0x6983
    );
    assert_eq!(
        sw(&mut card, "00240081103132333435363738 3837363534333231"),
        0x6983
    );
}

// ---------------------------------------------------------------- Yubico management key and extensions

#[test]
fn yubico_general_authenticate_published_transcripts() {
    // Yubico .NET SDK "Authenticate: management key": P1 00, single auth; the
    // response they sent was wrong → 6982.
    let mut card = selected(yubico());
    let (r, s) = tx(&mut card, "0087009B047C028100");
    assert_eq!((r.len(), &r[..4], s), (12, &h("7C0A8108")[..], 0x9000));
    assert_eq!(sw(&mut card, "0087009B0C7C0A82088350D1814C72BA09"), 0x6982);
    // Mutual, with the published host values: a wrong decrypted witness → 6982.
    let (r, s) = tx(&mut card, "0087009B047C028000");
    assert_eq!((r.len(), &r[..4], s), (12, &h("7C0A8008")[..], 0x9000));
    assert_eq!(
        sw(
            &mut card,
            "0087009B187C1680088350D1814C72BA0981081122334455667788 8200"
        ),
        0x6982
    );
    assert_eq!(sw(&mut card, "00DB3FFF0A5C035FC1025303300100"), 0x6982);
}

#[test]
fn yubico_mutual_authentication_with_the_default_key() {
    let key = h(DEFAULT_MGMT);
    let mut card = selected(yubico());
    let (r, s) = tx(&mut card, "0087039B047C028000");
    assert_eq!(s, 0x9000);
    let nonce = tdes(&key, &r[4..12], false);
    let challenge = h("1122334455667788");
    let apdu = format!(
        "0087039B167C1480 08{}8108{}",
        hex::encode(&nonce),
        hex::encode(&challenge)
    );
    let (r, s) = tx(&mut card, &apdu);
    assert_eq!(s, 0x9000);
    assert_eq!(r[..4], h("7C0A8208"));
    assert_eq!(
        r[4..],
        tdes(&key, &challenge, true)[..],
        "the card knows the key"
    );
    assert_eq!(sw(&mut card, "00DB3FFF0A5C035FC1025303300100"), 0x9000);
    // A nonce is good once.
    assert_eq!(sw(&mut card, &apdu), 0x6982);
    // P1 must name the key's algorithm.
    assert_eq!(sw(&mut card, "0087089B047C028000"), 0x6A86);
}

#[test]
fn yubico_set_management_key_and_metadata_golden() {
    let mut card = selected(yubico());
    // .NET SDK transcript: SET MANAGEMENT KEY without authentication → 6982.
    let set = "00FFFFFF1B039B18 0102030405060708 0807060504030201 0807060504030201";
    assert_eq!(sw(&mut card, set), 0x6982);
    // Factory metadata: 9B default 3DES, PIN and PUK default with 3 tries.
    assert_eq!(
        tx(&mut card, "00F7009B"),
        (h("010103 02020001 050101"), 0x9000)
    );
    assert_eq!(
        tx(&mut card, "00F70080"),
        (h("0101FF 050101 06020303"), 0x9000)
    );
    assert_eq!(
        tx(&mut card, "00F70081"),
        (h("0101FF 050101 06020303"), 0x9000)
    );
    mgmt_auth(&mut card, DEFAULT_MGMT);
    assert_eq!(sw(&mut card, set), 0x9000);
    // .NET SDK "Get metadata" on a non-default 3DES management key.
    assert_eq!(
        tx(&mut card, "00F7009B"),
        (h("01 01 03 02 02 00 01 05 01 00"), 0x9000)
    );
    card.reset();
    let mut card = selected(card);
    mgmt_auth(
        &mut card,
        "010203040506070808070605040302010807060504030201",
    );
    assert_eq!(sw(&mut card, "00F7009A"), 0x6A88, "no key in 9A");
    assert_eq!(
        sw(
            &mut card,
            "00FFFFFE1B039B18 0102030405060708 0807060504030201 0807060504030201"
        ),
        0x6A86
    );
    assert_eq!(
        sw(
            &mut card,
            "00FFFFFF1B089B18 0102030405060708 0807060504030201 0807060504030201"
        ),
        0x6A80
    );
    // AES-128 management key (fw ≥ 5.4).
    assert_eq!(
        sw(
            &mut card,
            "00FFFFFF13089B10 000102030405060708090A0B0C0D0E0F"
        ),
        0x9000
    );
    assert_eq!(tx(&mut card, "00F7009B").0, h("010108 02020001 050100"));
    let (r, s) = tx(&mut card, "0087089B047C028100");
    assert_eq!((&r[..4], s), (&h("7C128110")[..], 0x9000));
}

#[test]
fn a2_set_pin_retries_resets_pin_and_puk_to_defaults() {
    let mut card = selected(yubico());
    // .NET SDK transcript: 00 FA 05 05 without authentication → 6982.
    assert_eq!(sw(&mut card, "00FA0505"), 0x6982);
    assert_eq!(
        sw(&mut card, "0024008010313233343536FFFF 363534333231FFFF"),
        0x9000
    );
    assert_eq!(
        sw(&mut card, "00240081103132333435363738 3837363534333231"),
        0x9000
    );
    mgmt_auth(&mut card, DEFAULT_MGMT);
    assert_eq!(sw(&mut card, "00FA0505"), 0x6982, "needs the PIN as well");
    assert_eq!(sw(&mut card, "0020008008363534333231FFFF"), 0x9000);
    assert_eq!(sw(&mut card, "00FA0505"), 0x9000);
    // .NET SDK "Get metadata" PIN and PUK examples: default value, 5 of 5.
    assert_eq!(
        tx(&mut card, "00F70080"),
        (h("01 01 FF 05 01 01 06 02 05 05"), 0x9000)
    );
    assert_eq!(
        tx(&mut card, "00F70081"),
        (h("01 01 FF 05 01 01 06 02 05 05"), 0x9000)
    );
    assert_eq!(sw(&mut card, PROBE), 0x63C5);
    assert_eq!(sw(&mut card, VERIFY_PIV_YUBICO_DEFAULT), 0x9000);
}

#[test]
fn a2_reset_only_when_pin_and_puk_are_blocked() {
    let mut card = selected(yubico());
    mgmt_auth(&mut card, DEFAULT_MGMT);
    assert_eq!(sw(&mut card, "00DB3FFF0A5C035FC1025303300100"), 0x9000);
    assert_eq!(sw(&mut card, "00FB0000"), 0x6985);
    for _ in 0..3 {
        sw(&mut card, "0020008008313131313131FFFF");
    }
    assert_eq!(sw(&mut card, "00FB0000"), 0x6985, "the PUK still works");
    for _ in 0..3 {
        sw(&mut card, "002C0080103131313131313131 313233343536FFFF");
    }
    // .NET SDK "Reset the PIV application" transcript: 00 FB 00 00 → 9000.
    assert_eq!(sw(&mut card, "00FB0000"), 0x9000);
    assert_eq!(sw(&mut card, PROBE), 0x63C3);
    assert_eq!(sw(&mut card, VERIFY_PIV_YUBICO_DEFAULT), 0x9000);
    assert_eq!(
        sw(&mut card, "00CB3FFF055C035FC102"),
        0x6A82,
        "objects gone"
    );
    assert_eq!(tx(&mut card, "00F7009B").0, h("010103 02020001 050101"));
}

#[test]
fn yubico_version_and_serial() {
    let mut card = selected(yubico());
    // Emulator-defined version 5.4.3 (emulator_defined.rs).
    assert_eq!(tx(&mut card, "00FD0000"), (h("050403"), 0x9000));
    let (serial, s) = tx(&mut card, "00F80000");
    assert_eq!((serial.len(), s), (4, 0x9000));
    let n = u32::from_be_bytes([serial[0], serial[1], serial[2], serial[3]]);
    assert!((10_000_000..100_000_000).contains(&n));
    card.reset();
    assert_eq!(tx(&mut selected(card), "00F80000").0, serial);
}

// ---------------------------------------------------------------- RESET CARD, persistence, robustness

#[test]
fn crescendo_reset_card_clears_the_piv_containers() {
    // crescendo-apdu.md §3.8: RESET CARD clears all PIV data containers; the
    // factory objects (CHUID, CCC, Key History, pairing code) come back.
    let mut card = selected(crescendo());
    let chuid = tx(&mut card, "00CB3FFF055C035FC102").0;
    assert_eq!(sw(&mut card, VERIFY_PIV_CRESCENDO_DEFAULT), 0x9000);
    assert_eq!(
        sw(
            &mut card,
            "00DB3FFF11 5C035FFF40 530A 8108 3132333435363738"
        ),
        0x9000
    );
    assert_eq!(sw(&mut card, "00DB3FFF0A5C035FC1025303300100"), 0x9000);
    assert_eq!(sw(&mut card, SELECT_ACA), 0x9000);
    assert_eq!(sw(&mut card, "00380000"), 0x9000);
    assert_eq!(sw(&mut card, SELECT_PIV), 0x9000);
    assert_eq!(sw(&mut card, VERIFY_PIV_CRESCENDO_DEFAULT), 0x9000);
    assert_eq!(sw(&mut card, "00CB3FFF055C035FFF40"), 0x6A82);
    assert_eq!(tx(&mut card, "00CB3FFF055C035FC102").0, chuid);
}

#[test]
fn state_survives_save_and_load() {
    for (flavour, profile) in [
        (PivFlavour::Crescendo, "crescendo-key"),
        (PivFlavour::Yubico, "ykoath"),
    ] {
        // Different seeds: what comes back must come from the state, not the rng.
        let make = |seed| {
            VirtualCard::new(
                profile,
                h(C2300_KEY_ATR),
                Platform::deterministic(seed, ButtonMode::Never).0,
                crescendo_pin(),
                vec![Box::new(PivApplet::new(flavour))],
            )
        };
        let mut card = selected(make(1));
        assert!(card.take_dirty(), "the identity was drawn");
        let chuid_before = tx(&mut card, "00CB3FFF055C035FC102");
        sw(&mut card, "0020008008313131313131FFFF");
        assert!(card.take_dirty(), "a try counted is saved");
        let probe = sw(&mut card, PROBE);
        let saved = card.save_state();
        let json = serde_json::to_string(&saved).expect("json");

        let mut other = make(2);
        other
            .load_state(serde_json::from_str(&json).expect("state"))
            .expect("load");
        let mut other = selected(other);
        assert!(!other.take_dirty(), "nothing new to draw");
        assert_eq!(sw(&mut other, PROBE), probe);
        assert_eq!(tx(&mut other, "00CB3FFF055C035FC102"), chuid_before);
    }
}

#[test]
fn foreign_or_corrupt_state_is_refused() {
    let mut piv = PivApplet::new(PivFlavour::Yubico);
    let crescendo = PivApplet::new(PivFlavour::Crescendo).save();
    assert!(piv.load(crescendo).is_err());
    assert!(piv.load(serde_json::json!({"flavour": "yubico"})).is_err());
    let mut good = PivApplet::new(PivFlavour::Yubico).save();
    good["objects"] = serde_json::json!({"7E": "00"});
    assert!(piv.load(good).is_err(), "Discovery is not stored");
    let mut good = PivApplet::new(PivFlavour::Yubico).save();
    good["credentials"]["management"]["key"] = Value::from("0102");
    assert!(piv.load(good).is_err());
    assert!(piv.load(PivApplet::new(PivFlavour::Yubico).save()).is_ok());
}

#[test]
fn no_input_panics() {
    for card in [crescendo(), yubico()] {
        let mut card = selected(card);
        let mut seed = 0x1234_5678u32;
        for i in 0..4000 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let ins = [
                0x20, 0x24, 0x2C, 0xCB, 0xDB, 0x87, 0xF7, 0xF8, 0xFA, 0xFB, 0xFD, 0xFF,
            ][(seed >> 8) as usize % 12];
            let len = (seed >> 16) as usize % 40;
            let mut apdu = vec![0x00, ins, (seed >> 3) as u8, (seed >> 11) as u8];
            if len > 0 {
                apdu.push(len as u8);
                apdu.extend(
                    (0..len).map(|j| {
                        [0x5C, 0x53, 0x7C, 0x80, 0x81, 0x82, 0x03, 0x00, 0xFF][(i + j) % 9]
                    }),
                );
            }
            let r = card.transmit(&apdu);
            assert!(r.len() >= 2);
        }
    }
}
