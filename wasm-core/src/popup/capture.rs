//! QR capture in the Add account dialog: which capture paths the dialog offers,
//! what the glue reports back (the decoder's JSON per image, or why nothing could
//! be captured) and what the dialog makes of it: the codes it offers (each
//! `otpauth://` once, each export once; several codes on one page: one choice
//! each), or a text that says what went wrong and what to do next.
//!
//! The glue does the browser work (extension/popup-capture.js): visible-tab
//! screenshot, region overlay through the background, page images, clipboard;
//! decoding runs in a worker (extension/qr-worker.js, tessera-qr).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::otp::{classify, Explanation, QrContent};
use crate::secret::Secret;

use super::view::{Block, RowButton, Text};

/// Where a capture comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `chrome.tabs.captureVisibleTab` of the tab the popup belongs to.
    Tab,
    /// A rectangle dragged over the page (overlay run by the background).
    Region,
    /// The page's `<img>`, `<canvas>` and inline `<svg>` elements.
    Images,
    /// An image on the clipboard.
    Clipboard,
    /// The page image the user right-clicked ("Add to security key").
    Menu,
}

impl Source {
    /// The `press` id of its button.
    pub fn button_id(self) -> &'static str {
        match self {
            Source::Tab => "capture_tab",
            Source::Region => "capture_region",
            Source::Images => "capture_images",
            Source::Clipboard => "capture_clipboard",
            Source::Menu => "capture_menu",
        }
    }

    /// The source a `press` id asks for.
    pub fn from_button(id: &str) -> Option<Source> {
        [
            Source::Tab,
            Source::Region,
            Source::Images,
            Source::Clipboard,
        ]
        .into_iter()
        .find(|s| s.button_id() == id)
    }
}

/// What the glue reports after a capture (the `captured` popup input).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Capture {
    /// The path taken.
    pub source: Source,
    /// The decoder's JSON per image read (`{"codes":[…]}` or `{"error":…}`).
    #[serde(default)]
    pub images: Vec<Value>,
    /// Why nothing could be captured (see [`failure_text`]).
    #[serde(default)]
    pub failure: Option<String>,
    /// Page images that could not be read (another site's, the page forbids it).
    #[serde(default)]
    pub unreadable: u32,
    /// The URL of the tab the capture came from, as the browser reports it.
    #[serde(default)]
    pub url: Option<String>,
}

/// One code the dialog offers.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    /// The code's text (an `otpauth://` or `otpauth-migration://` URI).
    pub text: Secret,
    /// What the user sees: "Issuer:name", or "3 accounts (export)".
    pub label: Text,
}

/// The choice among several codes, at most this many.
pub const MAX_OFFERS: usize = 10;

/// The codes worth offering from a capture, in the decoder's order (top to
/// bottom), each once; or the text saying why there is none and what to do.
pub fn offers(c: &Capture) -> Result<Vec<Offer>, Text> {
    if let Some(f) = &c.failure {
        return Err(failure_text(f));
    }
    let mut found: Vec<Offer> = vec![];
    let mut texts: Vec<String> = vec![];
    let mut first_other: Option<Text> = None;
    let mut decoder_error: Option<&str> = None;
    for image in &c.images {
        if let Some(e) = image.get("error").and_then(Value::as_str) {
            decoder_error.get_or_insert(e);
            continue;
        }
        let codes = image.get("codes").and_then(Value::as_array);
        for code in codes.into_iter().flatten() {
            let Some(text) = code.get("text").and_then(Value::as_str) else {
                continue;
            };
            let trimmed = text.trim();
            if texts.iter().any(|t| t == trimmed) {
                continue;
            }
            texts.push(trimmed.to_owned());
            let label = match classify(trimmed) {
                QrContent::Otpauth(p) => Text::literal(p.account.label()),
                QrContent::Migration(b) if b.accounts.len() == 1 => {
                    Text::literal(b.accounts[0].label())
                }
                QrContent::Migration(b) if !b.accounts.is_empty() => {
                    Text::with("capture_export_accounts", [b.accounts.len().to_string()])
                }
                QrContent::Migration(_) => {
                    first_other.get_or_insert(Text::key("err_migration_empty"));
                    continue;
                }
                QrContent::BadOtpauth(_) => {
                    first_other.get_or_insert(Text::key("err_capture_bad_otpauth"));
                    continue;
                }
                QrContent::BadMigration(_) => {
                    first_other.get_or_insert(Text::key("err_migration"));
                    continue;
                }
                QrContent::NotEnrollment(e) => {
                    first_other.get_or_insert(explanation_text(&e));
                    continue;
                }
            };
            if found.len() < MAX_OFFERS {
                found.push(Offer {
                    text: Secret::new(trimmed),
                    label,
                });
            }
        }
    }
    if !found.is_empty() {
        return Ok(found);
    }
    if let Some(t) = first_other {
        return Err(t);
    }
    if c.images.is_empty() && c.unreadable > 0 {
        return Err(Text::with(
            "err_capture_images_unreadable",
            [c.unreadable.to_string()],
        ));
    }
    Err(match (c.source, decoder_error) {
        (_, Some("too_small")) => Text::key("err_capture_too_small"),
        (_, Some("too_large")) => Text::key("err_capture_too_large"),
        (Source::Images, _) if c.images.is_empty() => Text::key("err_capture_no_images"),
        (Source::Images, _) => Text::key("err_capture_images_none"),
        (Source::Clipboard, _) => Text::key("err_capture_clipboard_none"),
        (Source::Region, _) => Text::key("err_capture_region_none"),
        _ => Text::key("err_capture_none"),
    })
}

/// A non-enrollment code, in words (`content.rs`'s explanation codes).
fn explanation_text(e: &Explanation) -> Text {
    match e {
        Explanation::Empty => Text::key("qr_empty"),
        Explanation::WebLink { host } => Text::with("qr_web_link", [host.clone()]),
        Explanation::MicrosoftPairing => Text::key("qr_microsoft_pairing"),
        Explanation::AppPairing { scheme } => Text::with("qr_app_pairing", [scheme.clone()]),
        Explanation::OtpauthWithoutSecret => Text::key("qr_otpauth_without_secret"),
        Explanation::Json => Text::key("qr_json"),
        Explanation::OtherScheme { scheme } => Text::with("qr_other_scheme", [scheme.clone()]),
        Explanation::PlainText => Text::key("qr_plain_text"),
    }
}

/// Why the glue could not capture, in words with the next step. Codes:
/// `no_tab` (no page tab, or a browser page), `permission` (the browser refused:
/// open the popup from the toolbar on that tab), `cancelled` (Esc on the
/// overlay), `too_small` (the dragged region), `clipboard_empty`,
/// `clipboard_denied`, `decoder` (the decoder could not start or crashed).
pub fn failure_text(code: &str) -> Text {
    Text::key(match code {
        "no_tab" => "err_capture_no_tab",
        "permission" => "err_capture_permission",
        "cancelled" => "err_capture_cancelled",
        "too_small" => "err_capture_region_small",
        "clipboard_empty" => "err_capture_clipboard_empty",
        "clipboard_denied" => "err_capture_clipboard_denied",
        "decoder" => "err_capture_decoder",
        _ => "err_capture_failed",
    })
}

/// The capture buttons of the Add account dialog.
pub fn buttons() -> Block {
    let item = |s: Source, label: &'static str, aria: &'static str| RowButton {
        id: s.button_id().to_owned(),
        label: Text::key(label),
        aria: Text::key(aria),
        danger: false,
    };
    Block::Capture {
        label: Text::key("capture_heading"),
        items: vec![
            item(Source::Tab, "btn_capture_tab", "aria_capture_tab"),
            item(Source::Region, "btn_capture_region", "aria_capture_region"),
            item(Source::Images, "btn_capture_images", "aria_capture_images"),
            item(
                Source::Clipboard,
                "btn_capture_clipboard",
                "aria_capture_clipboard",
            ),
        ],
    }
}

/// What the dialog shows while a capture runs.
pub fn progress_text(s: Source) -> Text {
    Text::key(match s {
        Source::Region => "progress_capture_region",
        _ => "progress_capture",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const URI: &str = "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example";

    fn capture(source: Source, images: Vec<Value>) -> Capture {
        Capture {
            source,
            images,
            failure: None,
            unreadable: 0,
            url: None,
        }
    }

    fn code(text: &str) -> Value {
        json!({"text": text, "points": [[1.0, 2.0]]})
    }

    #[test]
    fn offers_each_enrollment_once_in_order() {
        let other = "otpauth://hotp/Bank:bob?secret=JBSWY3DPEHPK3PXP&counter=3";
        let c = capture(
            Source::Images,
            vec![
                json!({"codes": [code(URI), code("https://example.com/x")]}),
                json!({"error": "not_found", "message": "no QR code found"}),
                json!({"codes": [code(&format!(" {URI}\n")), code(other)]}),
            ],
        );
        let o = offers(&c).unwrap();
        assert_eq!(o.len(), 2);
        assert_eq!(o[0].text.expose(), URI);
        assert_eq!(o[0].label, Text::literal("Example:alice"));
        assert_eq!(o[1].label, Text::literal("Bank:bob"));
    }

    #[test]
    fn a_web_link_alone_is_explained() {
        let c = capture(
            Source::Tab,
            vec![json!({"codes": [code("https://Example.com/x")]})],
        );
        assert_eq!(
            offers(&c),
            Err(Text::with("qr_web_link", ["example.com".to_string()]))
        );
    }

    #[test]
    fn nothing_found_says_what_to_do_per_source() {
        let none = json!({"error": "not_found", "message": "no QR code found"});
        assert_eq!(
            offers(&capture(Source::Tab, vec![none.clone()])),
            Err(Text::key("err_capture_none"))
        );
        assert_eq!(
            offers(&capture(Source::Region, vec![none.clone()])),
            Err(Text::key("err_capture_region_none"))
        );
        assert_eq!(
            offers(&capture(Source::Clipboard, vec![none])),
            Err(Text::key("err_capture_clipboard_none"))
        );
        assert_eq!(
            offers(&capture(Source::Images, vec![])),
            Err(Text::key("err_capture_no_images"))
        );
        let mut c = capture(Source::Images, vec![]);
        c.unreadable = 2;
        assert_eq!(
            offers(&c),
            Err(Text::with("err_capture_images_unreadable", ["2".to_string()]))
        );
        c.failure = Some("permission".into());
        assert_eq!(offers(&c), Err(Text::key("err_capture_permission")));
        c.failure = Some("whatever".into());
        assert_eq!(offers(&c), Err(Text::key("err_capture_failed")));
        let tiny = json!({"error": "too_small", "message": "…"});
        assert_eq!(
            offers(&capture(Source::Menu, vec![tiny])),
            Err(Text::key("err_capture_too_small"))
        );
    }

    #[test]
    fn malformed_input_is_not_a_panic() {
        let c = capture(
            Source::Tab,
            vec![
                json!(null),
                json!({"codes": "x"}),
                json!({"codes": [{"text": 3}, null]}),
            ],
        );
        assert_eq!(offers(&c), Err(Text::key("err_capture_none")));
        let c: Capture =
            serde_json::from_value(json!({"source": "menu", "images": [], "url": "https://a.b/"}))
                .unwrap();
        assert_eq!(c.url.as_deref(), Some("https://a.b/"));
    }

    #[test]
    fn buttons_round_trip() {
        for s in [
            Source::Tab,
            Source::Region,
            Source::Images,
            Source::Clipboard,
        ] {
            assert_eq!(Source::from_button(s.button_id()), Some(s));
        }
        assert_eq!(Source::from_button("capture_menu"), None);
    }
}
