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
#[cfg(feature = "full")]
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

/// `fillDecide(JSON.stringify({site, accounts, lists, want, frame?}))` → `{candidates, choice, warnings}`
/// (see [`crate::binding`]): `site` is the host's `site.of` answer for the
/// browser-reported tab URL (or null), `lists` the `otp.list` answers per
/// device, `want` the account the user clicked (null: shortcut / menu).
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = fillDecide)]
pub fn fill_decide(input_json: &str) -> Result<String, JsError> {
    use crate::binding::{candidates, choose, DeviceList, TabSite};
    #[derive(serde::Deserialize)]
    struct Input {
        site: Option<TabSite>,
        #[serde(default)]
        accounts: serde_json::Value,
        #[serde(default)]
        lists: Vec<DeviceList>,
        #[serde(default)]
        want: Option<String>,
        /// The `site.of` of the frame to fill, when not the top one.
        #[serde(default)]
        frame: Option<TabSite>,
    }
    let input: Input =
        serde_json::from_str(input_json).map_err(|e| JsError::new(&e.to_string()))?;
    let accounts: crate::popup::Accounts =
        serde_json::from_value(input.accounts).unwrap_or_default();
    let c = candidates(input.site.as_ref(), &accounts, &input.lists);
    let mut choice = choose(input.site.as_ref(), &c, input.want.as_deref());
    if let (Some(tab), Some(frame)) = (input.site.as_ref(), input.frame.as_ref()) {
        if !crate::binding::frame_allowed(tab, frame) {
            choice = crate::binding::Choice::Popup {
                reason: crate::binding::PopupReason::ForeignFrame,
                key: None,
            };
        }
    }
    let warnings = input.site.as_ref().map(crate::binding::warnings);
    serde_json::to_string(
        &serde_json::json!({"candidates": c, "choice": choice, "warnings": warnings}),
    )
    .map_err(|e| JsError::new(&e.to_string()))
}

/// `bindSite(accountsJson, key, domain)` → the accounts with `domain` added to
/// `key` (the user confirmed it), as JSON.
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = bindSite)]
pub fn bind_site(accounts_json: &str, key: &str, domain: &str) -> Result<String, JsError> {
    let mut accounts: crate::popup::Accounts =
        serde_json::from_str(accounts_json).unwrap_or_default();
    crate::binding::bind(&mut accounts, key, domain);
    serde_json::to_string(&accounts).map_err(|e| JsError::new(&e.to_string()))
}

/// `exportBindings(accountsJson)` → the export file's text (names and domains only).
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = exportBindings)]
pub fn export_bindings(accounts_json: &str) -> Result<String, JsError> {
    let accounts: crate::popup::Accounts = serde_json::from_str(accounts_json).unwrap_or_default();
    serde_json::to_string_pretty(&crate::binding::export(&accounts))
        .map_err(|e| JsError::new(&e.to_string()))
}

/// `importBindings(accountsJson, fileText)` → `{accounts, added}` or
/// `{error}` (the reason, for the user).
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = importBindings)]
pub fn import_bindings(accounts_json: &str, text: &str) -> Result<String, JsError> {
    let mut accounts: crate::popup::Accounts =
        serde_json::from_str(accounts_json).unwrap_or_default();
    let out = match crate::binding::import(&mut accounts, text) {
        Ok(added) => serde_json::json!({"accounts": accounts, "added": added}),
        Err(e) => serde_json::json!({"error": e.to_string()}),
    };
    serde_json::to_string(&out).map_err(|e| JsError::new(&e.to_string()))
}
