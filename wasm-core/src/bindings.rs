//! wasm-bindgen glue: JSON strings in and out, no logic (that lives in [`crate::popup`]).

use wasm_bindgen::prelude::*;

use crate::popup::{Browser, Popup, PopupInput};

/// The popup state machine, as seen from JavaScript.
#[wasm_bindgen]
pub struct PopupCore(Popup);

#[wasm_bindgen]
impl PopupCore {
    /// `new PopupCore(location.href, JSON.stringify(brands))`.
    #[wasm_bindgen(constructor)]
    pub fn new(extension_url: &str, brands_json: &str) -> PopupCore {
        let brands: Vec<String> = serde_json::from_str(brands_json).unwrap_or_default();
        PopupCore(Popup::new(Browser::detect(extension_url, &brands)))
    }

    /// The current view, as JSON.
    pub fn view(&self) -> Result<String, JsError> {
        serde_json::to_string(&self.0.view()).map_err(|e| JsError::new(&e.to_string()))
    }

    /// Applies one input (JSON); returns the step `{view, calls}` as JSON.
    pub fn apply(&mut self, input_json: &str) -> Result<String, JsError> {
        let input: PopupInput =
            serde_json::from_str(input_json).map_err(|e| JsError::new(&e.to_string()))?;
        serde_json::to_string(&self.0.apply(input)).map_err(|e| JsError::new(&e.to_string()))
    }
}

/// Protocol version this extension speaks (sent in `hello`).
#[wasm_bindgen(js_name = protocolVersion)]
pub fn protocol_version() -> u32 {
    crate::protocol::PROTOCOL_VERSION
}

/// Where a code of `digits` characters goes: `fillPlan(JSON.stringify(fields), 6)`
/// → a [`crate::fill::Plan`] as JSON (see `extension/fill.js`).
#[wasm_bindgen(js_name = fillPlan)]
pub fn fill_plan(fields_json: &str, digits: usize) -> Result<String, JsError> {
    let fields: Vec<crate::fill::Field> =
        serde_json::from_str(fields_json).map_err(|e| JsError::new(&e.to_string()))?;
    serde_json::to_string(&crate::fill::plan(&fields, digits))
        .map_err(|e| JsError::new(&e.to_string()))
}

/// Where a dragged region lies in a screenshot: `cropRect(JSON.stringify(region), w, h)`
/// → `{"x","y","width","height"}` in screenshot pixels, or `{"error":"too_small"|"invalid"}`
/// (see [`crate::capture::crop`]).
#[wasm_bindgen(js_name = cropRect)]
pub fn crop_rect(region_json: &str, image_width: u32, image_height: u32) -> String {
    let region: Result<crate::capture::Region, _> = serde_json::from_str(region_json);
    let result = region
        .map_err(|_| crate::capture::CropError::Invalid)
        .and_then(|r| crate::capture::crop(&r, image_width, image_height));
    match result {
        Ok(rect) => serde_json::to_string(&rect).unwrap_or_default(),
        Err(crate::capture::CropError::TooSmall) => r#"{"error":"too_small"}"#.to_owned(),
        Err(crate::capture::CropError::Invalid) => r#"{"error":"invalid"}"#.to_owned(),
    }
}
