//! Arbitrary sizes and pixels into decode_luma / decode_rgba: errors, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    // Raw sizes straight from the input: the validation paths.
    let w = u32::from(data[0]);
    let h = u32::from(data[1]);
    let _ = tessera_qr::decode_luma(&data[3..], w, h);
    let _ = tessera_qr::decode_rgba(&data[3..], w / 4, h);
    // A valid size filled with the input (tiled), so the passes see structured data.
    let (w, h) = (21 + w % 140, 21 + h % 140);
    let body = &data[3..];
    if body.is_empty() {
        return;
    }
    let luma: Vec<u8> = (0..(w * h) as usize).map(|i| body[i % body.len()]).collect();
    let luma: Vec<u8> = if data[2] & 1 == 1 {
        // Threshold to black/white: finder-like patterns appear far more often.
        luma.iter().map(|&v| if v & 0x80 == 0 { 0 } else { 255 }).collect()
    } else {
        luma
    };
    let _ = tessera_qr::decode_luma(&luma, w, h);
});
