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
        let o = offers(&c).expect("test value");
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
            Err(Text::with(
                "err_capture_images_unreadable",
                ["2".to_string()]
            ))
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
                .expect("test value");
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

    /// The popup end to end: a capture opens Add account (or fills the open
    /// one), asks `site.of` for the tab, sends the account with its site, and
    /// walks an export account after account. The first wasm module (no
    /// `full`) asks for the full one instead of opening Add account.
    #[cfg_attr(not(feature = "full"), allow(dead_code, unused_imports))]
    mod flow {
        use super::*;
        use crate::popup::tests::connected;
        use crate::popup::{Browser, Effect, OutCall, Popup, PopupInput, Step};
        use crate::protocol::Response;

        fn reply(p: &mut Popup, call: &OutCall, v: Value) -> Step {
            p.apply(PopupInput::Reply {
                method: call.method.into(),
                response: Response::ok(call.id, v),
            })
        }

        fn ready() -> Popup {
            let mut p = Popup::new(Browser::Chromium);
            let step = connected(&mut p);
            let devices = json!({"pcsc": {"state": "ok"}, "readers": [
                {"name": "R", "card": {"atr": "3B", "model": {"key": "crescendo-key", "name": "HID Crescendo Key"},
                 "token": {"id": "ID1", "applets": {"aca": true, "oath_slots": 3, "piv": true, "ykoath": false, "fido": true},
                           "features": [], "pin": {"state": "verified"}, "must_change_pin": false}}}]});
            let step = reply(&mut p, &step.calls[0], devices);
            let list = step.calls[0].clone();
            assert_eq!(list.method, "otp.list");
            reply(
                &mut p,
                &list,
                json!({"family": "crescendo", "capacity": 3,
                "support": {"kinds": ["hotp", "totp", "ocra"], "algorithms": ["sha1"], "digits": [6, 8],
                            "access": ["always", "never", "pin", "pin_touch"], "touch": false, "names_on_token": false},
                "entries": [
                    {"id": "slot-1", "slot": 1, "configured": false, "touch": false},
                    {"id": "slot-2", "slot": 2, "configured": false, "touch": false},
                    {"id": "slot-3", "slot": 3, "configured": false, "touch": false}]}),
            );
            p
        }

        fn texts(step: &Step) -> String {
            serde_json::to_string(&step.view.dialog).expect("test value")
        }

        fn captured(text: &str, url: Option<&str>) -> PopupInput {
            PopupInput::Captured(Capture {
                source: Source::Menu,
                images: vec![json!({"codes": [code(text)]})],
                failure: None,
                unreadable: 0,
                url: url.map(str::to_owned),
            })
        }

        #[cfg(not(feature = "full"))]
        #[test]
        fn the_first_module_loads_the_full_one_for_a_held_capture() {
            let mut p = Popup::new(Browser::Chromium);
            let step = p.apply(captured(URI, None));
            assert!(step.effects.is_empty(), "held: no token yet");
            let step = connected(&mut p);
            assert!(step.effects.is_empty());
            let mut p = ready();
            let step = p.apply(captured(URI, None));
            assert_eq!(step.effects, vec![Effect::LoadFull]);
            assert!(step.view.dialog.is_none());
        }

        #[cfg(feature = "full")]
        #[test]
        fn a_held_capture_opens_add_account_with_the_site() {
            let mut p = Popup::new(Browser::Chromium);
            // Reported before the host answered: held until a token can take it.
            let step = p.apply(captured(URI, Some("https://login.example.com/2fa")));
            assert!(step.view.dialog.is_none());
            let mut p2 = ready();
            let step = p2.apply(captured(URI, Some("https://login.example.com/2fa")));
            let dialog = step.view.dialog.clone().expect("Add account opened");
            assert_eq!(dialog.kind, crate::popup::Action::OtpAdd);
            assert!(texts(&step).contains("Example:alice"), "{}", texts(&step));
            let site = step.calls.last().expect("site.of").clone();
            assert_eq!(site.method, "site.of");
            assert_eq!(site.params, json!({"url": "https://login.example.com/2fa"}));
            let step = reply(
                &mut p2,
                &site,
                json!({"host": "login.example.com", "registrable": "example.com", "flags": []}),
            );
            assert!(texts(&step).contains("capture_loaded_site"));
            let step = p2.apply(PopupInput::Press {
                id: "submit".into(),
            });
            let add = step.calls[0].clone();
            assert_eq!(add.method, "otp.add");
            assert_eq!(add.params["slot"], json!(2));
            let step = reply(
                &mut p2,
                &add,
                json!({"entry": {"id": "slot-2", "slot": 2, "configured": true, "touch": false},
                       "verified": {"status": "computed"}}),
            );
            let stored = step.effects.iter().find_map(|e| match e {
                Effect::StoreAccounts { accounts } => {
                    Some(serde_json::to_value(accounts).expect("test value"))
                }
                _ => None,
            });
            assert_eq!(
                stored.expect("stored")["ID1/slot-2"],
                json!({"issuer": "Example", "name": "alice", "site": "example.com"})
            );
            // Nothing open, nothing held: the first popup still waits for a token.
            assert!(p.view().dialog.is_none());
        }

        #[cfg(feature = "full")]
        #[test]
        fn several_codes_on_a_page_are_offered_each() {
            let bob = "otpauth://totp/Bank:bob?secret=KRSXG5CTMVRXEZLU&issuer=Bank";
            let mut p = ready();
            let step = p.apply(PopupInput::Captured(Capture {
                source: Source::Images,
                images: vec![json!({"codes": [code(URI)]}), json!({"codes": [code(bob)]})],
                failure: None,
                unreadable: 1,
                url: None,
            }));
            let t = texts(&step);
            assert!(t.contains("field_capture_code"), "{t}");
            assert!(t.contains("Example:alice") && t.contains("Bank:bob"), "{t}");
            p.apply(PopupInput::Field {
                name: "code".into(),
                value: Secret::new("1"),
            });
            let step = p.apply(PopupInput::Press {
                id: "submit".into(),
            });
            let add = &step.calls[0];
            assert_eq!(add.method, "otp.add");
            assert_eq!(add.params["account"]["name"], json!("bob"));
            assert_eq!(add.params["account"]["issuer"], json!("Bank"));
        }

        #[cfg(feature = "full")]
        #[test]
        fn capture_buttons_ask_the_glue_and_errors_come_back_as_text() {
            let mut p = ready();
            let step = p.apply(PopupInput::Open {
                device: "ID1".into(),
                action: crate::popup::Action::OtpAdd,
                entry: None,
            });
            assert!(texts(&step).contains("btn_capture_tab"));
            let step = p.apply(PopupInput::Press {
                id: "capture_region".into(),
            });
            assert!(step.effects.iter().any(|e| matches!(
                e,
                Effect::Capture {
                    source: Source::Region
                }
            )));
            assert_eq!(
                step.view.dialog.as_ref().expect("test value").step,
                "capturing"
            );
            let step = p.apply(PopupInput::Captured(Capture {
                source: Source::Region,
                images: vec![],
                failure: Some("cancelled".into()),
                unreadable: 0,
                url: None,
            }));
            let d = step.view.dialog.clone().expect("test value");
            assert_eq!(d.step, "form");
            assert_eq!(d.error, Some(Text::key("err_capture_cancelled")));
            assert!(step.calls.is_empty());
        }

        #[cfg(feature = "full")]
        #[test]
        fn an_export_is_added_account_after_account_into_free_slots() {
            // Two TOTP and one HOTP, as tests/e2e/capture.test.mjs builds it (protobuf by hand).
            fn field(tag: u8, wire: u8) -> u8 {
                (tag << 3) | wire
            }
            fn bytes(tag: u8, b: &[u8]) -> Vec<u8> {
                let mut v = vec![field(tag, 2), b.len() as u8];
                v.extend_from_slice(b);
                v
            }
            let params = |name: &str, kind: u8| {
                let mut p = bytes(1, &[7; 20]);
                p.extend(bytes(2, name.as_bytes()));
                p.extend([field(6, 0), kind]);
                bytes(1, &p)
            };
            let mut payload = params("a", 2);
            payload.extend(params("b", 2));
            payload.extend(params("c", 1));
            use base64::Engine;
            let data = base64::engine::general_purpose::STANDARD.encode(&payload);
            let uri = format!(
                "otpauth-migration://offline?data={}",
                data.replace('+', "%2B")
                    .replace('/', "%2F")
                    .replace('=', "%3D")
            );
            let mut p = ready();
            let step = p.apply(captured(&uri, None));
            assert!(texts(&step).contains("field_otp_pick"));
            let mut slots = vec![];
            for i in 0..3 {
                let step = p.apply(PopupInput::Press {
                    id: "submit".into(),
                });
                let add = step.calls[0].clone();
                let slot = add.params["slot"].as_u64().expect("test value");
                slots.push(slot);
                let id = format!("slot-{slot}");
                let step = reply(
                    &mut p,
                    &add,
                    json!({"entry": {"id": id, "slot": slot, "configured": true, "touch": false},
                           "verified": {"status": "computed"}}),
                );
                let d = step.view.dialog.clone().expect("test value");
                assert_eq!(d.step, "done");
                if i < 2 {
                    assert!(texts(&step).contains("btn_add_next"), "{}", texts(&step));
                    p.apply(PopupInput::Press { id: "next".into() });
                } else {
                    assert!(!texts(&step).contains("btn_add_next"));
                }
            }
            // The token list is not re-read in between: the dialog counts what it filled.
            assert_eq!(slots, vec![2, 3, 1]);
        }
    }
}
