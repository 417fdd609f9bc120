//! Small edits of opensk's CTAP2 responses (CTAP 2.1 §6.4 authenticatorGetInfo).

use sk_cbor::Value;

/// authenticatorGetInfo command byte (CTAP 2.1 §6.4; protocols.md §4.3).
pub const GET_INFO: u8 = 0x04;
/// getInfo key `transports` (protocols.md §4.4, key 09).
const TRANSPORTS: u64 = 0x09;

/// Replaces getInfo's `transports` in the CBOR map `info` (without the status
/// byte). `None` if `info` is not a CBOR map.
pub fn set_transports(info: &[u8], transports: &[&str]) -> Option<Vec<u8>> {
    let mut entries = sk_cbor::read(info).ok()?.extract_map()?;
    let list = Value::array(
        transports
            .iter()
            .map(|t| Value::text_string((*t).to_owned()))
            .collect(),
    );
    let key = Value::unsigned(TRANSPORTS);
    match entries.iter_mut().find(|(k, _)| *k == key) {
        Some(entry) => entry.1 = list,
        None => entries.push((key, list)),
    }
    // The keys were read in strictly increasing order (sk-cbor refuses anything
    // else), so `map` finds no duplicate.
    let mut out = Vec::new();
    sk_cbor::write(Value::map(entries), &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_and_adds_transports() {
        // {1: ["FIDO_2_0"], 9: ["usb"]}
        let info = hex::decode("a20181684649444f5f325f30098163757362").expect("hex");
        let out = set_transports(&info, &["nfc", "usb"]).expect("map");
        assert_eq!(
            hex::encode(out),
            "a20181684649444f5f325f300982636e666363757362"
        );
        // {1: 0} gains key 9.
        let out = set_transports(&[0xA1, 0x01, 0x00], &["nfc"]).expect("map");
        assert_eq!(hex::encode(out), "a201000981636e6663");
        assert_eq!(set_transports(&[0x80], &["nfc"]), None);
        assert_eq!(set_transports(&[0xFF, 0x00], &["nfc"]), None);
    }
}
