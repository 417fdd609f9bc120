//! Model recognition from the ATR (ISO/IEC 7816-3 §8.2; Crescendo ATRs in
//! crescendo-apdu.md §1, YubiKey ATRs in protocols.md §0.1).

use tessera_core::protocol::TokenModel;

/// The historical bytes of an ATR, or `None` if the ATR is malformed.
///
/// Walks T0 and the TDi chain (§8.2.2–8.2.3) to skip the interface bytes.
pub fn historical_bytes(atr: &[u8]) -> Option<&[u8]> {
    let t0 = *atr.get(1)?;
    let k = usize::from(t0 & 0x0f);
    let mut pos = 2;
    let mut y = t0 >> 4;
    loop {
        let present = usize::from(y.count_ones() as u8);
        let td_present = y & 0x8 != 0;
        pos += present;
        if !td_present {
            break;
        }
        let td = *atr.get(pos - 1)?;
        y = td >> 4;
    }
    atr.get(pos..pos + k)
}

/// Guesses the token model from its ATR.
pub fn model_from_atr(atr: &[u8]) -> TokenModel {
    let hist = historical_bytes(atr).unwrap_or_default();
    let model = |key: &str, name: &str| TokenModel {
        key: key.to_owned(),
        name: name.to_owned(),
    };
    let contains = |needle: &[u8]| hist.windows(needle.len()).any(|w| w == needle);
    // HID Crescendo: category byte 'C' then the ASCII model string.
    match hist {
        b"C4000-KEY" => return model("crescendo-key-v3", "HID Crescendo Key V3"),
        b"C2300-KEY" => return model("crescendo-key", "HID Crescendo Key"),
        b"C4000" => return model("crescendo-4000", "HID Crescendo 4000"),
        b"C2300" => return model("crescendo-2300", "HID Crescendo 2300"),
        _ => {}
    }
    if contains(b"YubiKey") {
        model("yubikey-5", "YubiKey 5 Series")
    } else if contains(b"YubikeyNEO") {
        model("yubikey-neo", "YubiKey NEO")
    } else if contains(b"Yubikey4") {
        model("yubikey-4", "YubiKey 4")
    } else {
        model("unknown", "Smart card")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).expect("hex"))
            .collect()
    }

    #[test]
    fn crescendo_atrs_from_hid_sdk_page() {
        let cases = [
            (
                "3B D5 96 FF 81 91 FE 1F C3 43 34 30 30 30 C9",
                "crescendo-4000",
            ),
            (
                "3B D9 96 FF 81 91 FE 1F C3 43 34 30 30 30 2D 4B 45 59 BF",
                "crescendo-key-v3",
            ),
            (
                "3B D9 96 FF 81 91 FE 1F C3 43 32 33 30 30 2D 4B 45 59 BA",
                "crescendo-key",
            ),
            (
                "3B D5 96 FF 81 91 FE 1F C3 43 32 33 30 30 CC",
                "crescendo-2300",
            ),
        ];
        for (atr, key) in cases {
            assert_eq!(model_from_atr(&hex(atr)).key, key, "{atr}");
        }
    }

    #[test]
    fn yubikey_atrs() {
        let cases = [
            (
                "3B FD 13 00 00 81 31 FE 15 80 73 C0 21 C0 57 59 75 62 69 4B 65 79 40",
                "yubikey-5",
            ),
            (
                "3B 8D 80 01 80 73 C0 21 C0 57 59 75 62 69 4B 65 79 F9",
                "yubikey-5",
            ),
            (
                "3B F8 13 00 00 81 31 FE 15 59 75 62 69 6B 65 79 34 D4",
                "yubikey-4",
            ),
            (
                "3B FC 13 00 00 81 31 FE 15 59 75 62 69 6B 65 79 4E 45 4F 72 33 E1",
                "yubikey-neo",
            ),
        ];
        for (atr, key) in cases {
            assert_eq!(model_from_atr(&hex(atr)).key, key, "{atr}");
        }
    }

    #[test]
    fn malformed_atrs_do_not_panic() {
        assert_eq!(model_from_atr(&[]).key, "unknown");
        assert_eq!(model_from_atr(&[0x3B]).key, "unknown");
        // every 1- and 2-byte ATR, and a TD chain running off the end
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let _ = model_from_atr(&[a, b]);
            }
        }
        assert_eq!(historical_bytes(&[0x3B, 0xF0, 0, 0, 0, 0xF0]), None);
    }
}
