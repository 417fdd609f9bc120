//! Decodes generated captures (tests/support/corpus.rs) and checks the exact texts.

#[path = "support/corpus.rs"]
mod corpus;

use tessera_qr::{decode_luma, decode_rgba, rgba_to_luma};

fn texts_of(category: &str, w: u32, h: u32, seed: u64) -> (Vec<String>, Vec<String>) {
    let cap = corpus::generate(category, w, h, seed);
    let codes = decode_rgba(&cap.rgba, cap.width, cap.height).expect("decodes");
    let mut got: Vec<String> = codes.into_iter().map(|c| c.text).collect();
    let mut want = cap.texts;
    got.sort();
    want.sort();
    (got, want)
}

#[test]
fn nominal_1080p() {
    let (got, want) = texts_of("nominal", 1920, 1080, 1);
    assert_eq!(got, want);
    assert!(got[0].starts_with("otpauth://totp/"));
}

#[test]
fn dark_mode_720p() {
    let (got, want) = texts_of("dark-mode", 1280, 720, 2);
    assert_eq!(got, want);
}

#[test]
fn every_code_of_a_multi_code_page() {
    let (got, want) = texts_of("multi-code", 1920, 1080, 3);
    assert!(want.len() >= 2);
    assert_eq!(got, want);
}

#[test]
fn migration_version_20() {
    let mut rng = corpus::Rng::new(4);
    let (text, code) = corpus::migration(&mut rng, 20);
    assert_eq!(code.version(), qrcode::Version::Normal(20));
    // Draw it 3 px per module with a 4-module quiet zone, black on white.
    let n = code.width();
    let side = (n + 8) * 3;
    let colors = code.to_colors();
    let mut grey = vec![255u8; side * side];
    for y in 0..side {
        for x in 0..side {
            let (u, v) = ((x / 3).wrapping_sub(4), (y / 3).wrapping_sub(4));
            if u < n && v < n && colors[v * n + u] == qrcode::Color::Dark {
                grey[y * side + x] = 0;
            }
        }
    }
    let codes = decode_luma(&grey, side as u32, side as u32).expect("decodes");
    assert_eq!(codes.len(), 1);
    assert_eq!(codes[0].text, text);
    assert!(text.starts_with("otpauth-migration://offline?data="));
    assert!(codes[0].points.len() >= 3);
}

#[test]
fn rgba_and_luma_agree_and_are_deterministic() {
    let cap = corpus::generate("multi-code", 1280, 720, 5);
    let a = decode_rgba(&cap.rgba, cap.width, cap.height).expect("decodes");
    let b = decode_rgba(&cap.rgba, cap.width, cap.height).expect("decodes");
    let c = decode_luma(&rgba_to_luma(&cap.rgba), cap.width, cap.height).expect("decodes");
    assert_eq!(a, b);
    assert_eq!(a, c);
    // Ordered top-to-bottom, then left-to-right.
    for pair in a.windows(2) {
        let (p, q) = (pair[0].center(), pair[1].center());
        assert!(p.y.round() < q.y.round() || (p.y.round() == q.y.round() && p.x <= q.x));
    }
}

#[test]
fn faint_code_whose_levels_are_minor_histogram_peaks() {
    // The corpus' low-contrast-1920x1080-4 and -2560x1440-1: a grey-on-grey code on a
    // card beside black text; its two grey levels are not among the 3 most populated
    // histogram peak pairs.
    for (w, h, i) in [(1920u32, 1080u32, 4u64), (2560, 1440, 1)] {
        let seed = 4u64 << 32 | u64::from(w) << 16 | i;
        let (got, want) = texts_of("low-contrast", w, h, seed);
        assert_eq!(got, want, "low-contrast-{w}x{h}-{i}");
    }
}
