//! The sub-pixel pass (`Pass::Subpixel`) on generated captures the bitmap passes
//! cannot read: modules of 1–1.5 pixels and blurred 2–3 pixel modules. Each test
//! checks first that the rest of the cascade really misses the code, so it fails if
//! the pass stops doing its work.

#[path = "support/corpus.rs"]
mod corpus;

use tessera_qr::{decode_luma, decode_luma_with, rgba_to_luma, DecodeError, Pass};

/// The corpus seed of image `i` of `category` at width `w` (as qr_corpus writes them).
fn seed(category: &str, w: u32, i: u64) -> u64 {
    let ci = corpus::CATEGORIES
        .iter()
        .position(|c| *c == category)
        .expect("category") as u64;
    ci << 32 | u64::from(w) << 16 | i
}

fn without_subpixel() -> Vec<Pass> {
    Pass::DEFAULT
        .iter()
        .copied()
        .filter(|p| *p != Pass::Subpixel)
        .collect()
}

fn check(category: &str, w: u32, h: u32, i: u64) {
    let cap = corpus::generate(category, w, h, seed(category, w, i));
    let grey = rgba_to_luma(&cap.rgba);
    assert_eq!(
        decode_luma_with(&grey, w, h, &without_subpixel()),
        Err(DecodeError::NotFound),
        "{category}-{w}x{h}-{i}: the bitmap passes should not read this one"
    );
    for cascade in [&[Pass::Subpixel][..], Pass::DEFAULT] {
        let codes = decode_luma_with(&grey, w, h, cascade).expect("sub-pixel pass reads it");
        let texts: Vec<&str> = codes.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, cap.texts, "{category}-{w}x{h}-{i}");
        let code = &codes[0];
        assert_eq!(code.points.len(), 4);
        for p in &code.points {
            assert!(p.x >= 0.0 && p.y >= 0.0 && p.x <= w as f32 && p.y <= h as f32);
        }
    }
}

#[test]
fn one_pixel_modules_720p() {
    check("small-modules", 1280, 720, 0);
}

#[test]
fn one_pixel_modules_1080p() {
    check("small-modules", 1920, 1080, 1);
}

#[test]
fn blurred_two_pixel_modules_720p() {
    check("blur", 1280, 720, 0);
}

#[test]
fn zoomed_out_page_720p() {
    check("zoom", 1280, 720, 3);
}

#[test]
fn the_finder_corners_frame_the_code() {
    let (w, h) = (1280, 720);
    let cap = corpus::generate("small-modules", w, h, seed("small-modules", w, 0));
    let codes =
        decode_luma_with(&rgba_to_luma(&cap.rgba), w, h, &[Pass::Subpixel]).expect("decodes");
    // bottom-left, top-left, top-right finder centres and the far corner: a square.
    let p = &codes[0].points;
    let side = |a: usize, b: usize| (p[a].x - p[b].x).hypot(p[a].y - p[b].y);
    let (left, top) = (side(0, 1), side(1, 2));
    assert!((left - top).abs() < 0.03 * top, "{left} vs {top}");
    assert!(top > 20.0 && top < 120.0);
}

#[test]
fn nothing_on_plain_noisy_and_striped_images() {
    let (w, h) = (200usize, 150usize);
    let mut state = 0x1234_5678u32;
    let noise: Vec<u8> = (0..w * h)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect();
    let stripes: Vec<u8> = (0..w * h)
        .map(|i| if (i % w) % 3 == 0 { 0 } else { 255 })
        .collect();
    let checks: Vec<u8> = (0..w * h)
        .map(|i| if ((i % w) + (i / w)) % 2 == 0 { 0 } else { 255 })
        .collect();
    for img in [vec![0u8; w * h], vec![255u8; w * h], noise, stripes, checks] {
        assert_eq!(
            decode_luma_with(&img, w as u32, h as u32, &[Pass::Subpixel]),
            Err(DecodeError::NotFound)
        );
    }
    // The smallest image the crate accepts.
    assert_eq!(
        decode_luma(&[0u8; 21 * 21], 21, 21),
        Err(DecodeError::NotFound)
    );
}
