//! wasm32 only: wasm-bindgen glue, no logic. Each function decodes and returns
//! [`crate::to_json`]'s JSON string.

use wasm_bindgen::prelude::wasm_bindgen;

/// Decodes every QR code in RGBA pixels (`ImageData.data`): JSON, see [`crate::to_json`].
#[wasm_bindgen(js_name = decodeRgba)]
pub fn decode_rgba(pixels: &[u8], width: u32, height: u32) -> String {
    crate::to_json(&crate::decode_rgba(pixels, width, height))
}

/// Decodes every QR code in 8-bit grey pixels: JSON, see [`crate::to_json`].
#[wasm_bindgen(js_name = decodeLuma)]
pub fn decode_luma(luma: &[u8], width: u32, height: u32) -> String {
    crate::to_json(&crate::decode_luma(luma, width, height))
}
