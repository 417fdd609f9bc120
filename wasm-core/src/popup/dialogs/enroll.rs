//! Add account: paste an `otpauth://` (or `otpauth-migration://`) URI, or fill
//! the manual form (kind, secret in Base32/hex/Base64, algorithm, digits,
//! period, counter, OCRA suite, issuer, name); then where it goes (Crescendo
//! slot, first free that suits by default) and who may use it. One `otp.add`
//! with the secret as hex; `would_overwrite` asks before replacing (naming what
//! is lost), `otp.touch` shows "touch your key to confirm" during the host's
//! check. The secret stays in this dialog's [`Form`] (zeroized) and nowhere else.

use serde_json::{json, Value};

use crate::otp::encoding::{decode, EncodingError, SecretEncoding};
use crate::otp::uri::UriField;
use crate::otp::{
    fits, parse_migration, parse_uri, Account, AccountError, Misfit, OcraSuite, OtpKind, TokenKind,
};
use crate::protocol::{ErrorBody, ErrorCode, PinStatus};
use crate::protocol::{OtpAccess, OtpAdded, OtpEntry, OtpFamily, OtpSupport, Verification};
use crate::secret::Secret;

use super::super::capture::{self, Capture, Offer, Source};
use super::super::otp_view::{access_text, kind_text, kind_upper};
use super::super::view::{Action, Block, Choice, FieldView, InputKind, Text, Tone};
use super::form::{check_pin_entry, pin_entry, Form};
use super::{
    blocked_body, button, cancel, host_error_text, para, para_with, pin_failure, touch_block,
    touch_seconds, AccountMeta, Body, Dialog, Failure, Out, Token,
};

/// The OCRA suite the manual form starts with (RFC 6287's one-way challenge).
const DEFAULT_SUITE: &str = "OCRA-1:HOTP-SHA1-6:QN08";

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Form,
    Pin,
    Overwrite(OtpEntry),
    /// The glue is capturing (screenshot, region, images, clipboard).
    Capturing(Source),
    Waiting,
    Done(OtpAdded),
}

/// The Add account dialog.
#[derive(Debug)]
pub struct Enroll {
    form: Form,
    pin_form: Form,
    step: Step,
    /// Entry id the user agreed to replace.
    replace: Option<String>,
    /// The user picked a slot (else it follows the kind).
    slot_chosen: bool,
    /// Names the popup shows for the token's entries (what a replace loses).
    titles: Vec<(String, Text)>,
    touch: Option<u64>,
    error: Option<Text>,
    /// Issuer and name of what was sent (stored after success).
    sent: Option<AccountMeta>,
    /// Codes a capture found (several: the user picks one).
    offers: Vec<Offer>,
    /// The registrable domain of the tab a capture came from (`site.of`).
    site: Option<String>,
    /// Slots this dialog filled (a migration export enrolls account after account).
    used_slots: Vec<u8>,
    /// The next export account to add, after one was added.
    next_pick: Option<usize>,
    /// The link came from a QR capture (not typed).
    captured: bool,
}

fn kinds() -> [(OtpKind, &'static str); 3] {
    [
        (OtpKind::Totp, "totp"),
        (OtpKind::Hotp, "hotp"),
        (OtpKind::Ocra, "ocra"),
    ]
}

fn kind_of(s: &str) -> OtpKind {
    kinds()
        .into_iter()
        .find(|(_, v)| *v == s)
        .map_or(OtpKind::Totp, |(k, _)| k)
}

fn family(t: &Token) -> OtpFamily {
    t.otp.as_ref().map_or(OtpFamily::Crescendo, |l| l.family)
}

fn support(t: &Token) -> OtpSupport {
    t.otp.as_ref().map_or(
        OtpSupport {
            kinds: vec![OtpKind::Hotp, OtpKind::Totp, OtpKind::Ocra],
            algorithms: vec![crate::otp::Algorithm::Sha1],
            digits: vec![6, 8],
            access: vec![],
            touch: false,
            names_on_token: false,
        },
        |l| l.support.clone(),
    )
}

fn entries(t: &Token) -> Vec<OtpEntry> {
    t.otp
        .as_ref()
        .map(|l| l.entries.clone())
        .unwrap_or_default()
}

/// Whether a Crescendo slot takes `kind` (slot 1 is the button's HOTP).
fn slot_takes(slot: u8, kind: OtpKind) -> bool {
    let probe = Account {
        kind,
        ..Account::totp(None, "probe", crate::otp::OtpSecret::new(vec![0; 20]))
    };
    !fits(&probe, TokenKind::CrescendoSlot { slot })
        .iter()
        .any(|m| matches!(m, Misfit::Kind { .. } | Misfit::NoSuchSlot { .. }))
}

/// The first free slot that takes `kind` (slot 1 last), else the first that takes it.
fn default_slot(t: &Token, kind: OtpKind) -> u8 {
    default_slot_besides(t, kind, &[])
}

/// [`default_slot`], counting `used` (filled since the token was listed) as taken.
fn default_slot_besides(t: &Token, kind: OtpKind, used: &[u8]) -> u8 {
    let list = entries(t);
    let free =
        |n: u8| !used.contains(&n) && !list.iter().any(|e| e.slot == Some(n) && e.configured);
    [2, 3, 1]
        .into_iter()
        .find(|&n| slot_takes(n, kind) && free(n))
        .or_else(|| [2, 3, 1].into_iter().find(|&n| slot_takes(n, kind)))
        .unwrap_or(2)
}

fn uri_error_text(field: UriField) -> Text {
    Text::key(match field {
        UriField::Scheme => "err_uri_scheme",
        UriField::Type => "err_uri_type",
        UriField::Label => "err_uri_label",
        UriField::Secret => "err_uri_secret",
        UriField::Issuer => "err_uri_issuer",
        UriField::Algorithm => "err_uri_algorithm",
        UriField::Digits => "err_uri_digits",
        UriField::Period => "err_uri_period",
        UriField::Counter => "err_uri_counter",
        UriField::Query => "err_uri_query",
    })
}

fn encoding_error_text(e: &EncodingError) -> Text {
    match e {
        EncodingError::Empty => Text::key("err_secret_empty"),
        EncodingError::InvalidChar { position, .. } => {
            Text::with("err_secret_char", [position.to_string()])
        }
        EncodingError::Length { .. } => Text::key("err_secret_length"),
    }
}

impl Enroll {
    /// A fresh dialog; `slot` preselects a Crescendo slot (an empty slot's tile).
    pub fn new(t: &Token, slot: Option<u8>) -> Enroll {
        let mut form = Form::default();
        for (k, v) in [
            ("source", "uri"),
            ("kind", "totp"),
            ("encoding", "base32"),
            ("algorithm", "sha1"),
            ("digits", "6"),
            ("period", "30"),
            ("counter", "0"),
            ("ocra_suite", DEFAULT_SUITE),
            ("access", "always"),
            ("touch", "false"),
            ("pick", "0"),
        ] {
            form.set_plain(k, v);
        }
        let chosen = slot.is_some();
        let slot = slot.unwrap_or_else(|| default_slot(t, OtpKind::Totp));
        form.set_plain("slot", slot.to_string());
        Enroll {
            form,
            pin_form: Form::default(),
            step: Step::Form,
            replace: None,
            slot_chosen: chosen,
            titles: vec![],
            touch: None,
            error: None,
            sent: None,
            offers: vec![],
            site: None,
            used_slots: vec![],
            next_pick: None,
            captured: false,
        }
    }

    /// The names the popup shows for the token's entries.
    pub fn with_titles(mut self, titles: Vec<(String, Text)>) -> Enroll {
        self.titles = titles;
        self
    }

    fn uri_mode(&self) -> bool {
        self.form.get("source") != "manual"
    }

    fn title_of(&self, e: &OtpEntry) -> Text {
        self.titles
            .iter()
            .find(|(id, _)| *id == e.id)
            .map_or_else(|| Text::literal(e.id.clone()), |(_, t)| t.clone())
    }

    fn select(&self, name: &'static str, label: &'static str, options: Vec<Choice>) -> FieldView {
        let mut f = self.form.field(name, InputKind::Select, Text::key(label));
        f.options = options;
        f
    }

    fn text(&self, name: &'static str, label: &'static str, mono: bool) -> Block {
        let mut f = self.form.field(name, InputKind::Text, Text::key(label));
        f.mono = mono;
        Block::Field(f)
    }

    /// The account the form describes (URI or manual), or the field errors.
    fn account(&mut self, crescendo: bool) -> Option<Account> {
        if self.uri_mode() {
            let text = self.form.get("uri").trim().to_owned();
            if text.is_empty() {
                self.form.error("uri", Text::key("err_uri_empty"));
                return None;
            }
            if text
                .get(..20)
                .is_some_and(|p| p.eq_ignore_ascii_case("otpauth-migration://"))
            {
                return match parse_migration(&text) {
                    Ok(mut batch) if !batch.accounts.is_empty() => {
                        let i = self.form.get("pick").parse::<usize>().unwrap_or(0);
                        let i = i.min(batch.accounts.len() - 1);
                        Some(batch.accounts.swap_remove(i))
                    }
                    Ok(_) => {
                        self.form.error("uri", Text::key("err_migration_empty"));
                        None
                    }
                    Err(_) => {
                        self.form.error("uri", Text::key("err_migration"));
                        None
                    }
                };
            }
            return match parse_uri(&text) {
                Ok(p) => Some(p.account),
                Err(e) => {
                    self.form.error("uri", uri_error_text(e.field()));
                    None
                }
            };
        }
        let encoding = match self.form.get("encoding") {
            "hex" => SecretEncoding::Hex,
            "base64" => SecretEncoding::Base64,
            _ => SecretEncoding::Base32,
        };
        let secret = match decode(self.form.get("secret"), encoding) {
            Ok(s) => Some(s),
            Err(e) => {
                self.form.error("secret", encoding_error_text(&e));
                None
            }
        };
        let kind = kind_of(self.form.get("kind"));
        let issuer = Some(self.form.get("issuer").trim().to_owned()).filter(|s| !s.is_empty());
        let name = self.form.get("name").trim().to_owned();
        let mut ok = true;
        if name.is_empty() {
            self.form.error("name", Text::key("err_name_empty"));
            ok = false;
        }
        let suite = if kind == OtpKind::Ocra {
            match OcraSuite::parse(self.form.get("ocra_suite").trim()) {
                Ok(s) => Some(s),
                Err(e) => {
                    self.form
                        .error("ocra_suite", Text::with("err_ocra_suite", [e.to_string()]));
                    ok = false;
                    None
                }
            }
        } else {
            None
        };
        let number = |form: &mut Form, field: &'static str, max: u64| -> Option<u64> {
            match form.get(field).trim().parse::<u64>() {
                Ok(n) if n <= max => Some(n),
                _ => {
                    form.error(field, Text::with("err_number", [max.to_string()]));
                    None
                }
            }
        };
        let period = if kind == OtpKind::Totp {
            let max = if crescendo { 255 } else { 3600 };
            number(&mut self.form, "period", max).filter(|&p| p > 0)
        } else {
            Some(30)
        };
        if period.is_none() {
            if self.form.errors("period").is_empty() {
                self.form
                    .error("period", Text::with("err_number", ["255".to_string()]));
            }
            ok = false;
        }
        let counter = if kind == OtpKind::Hotp {
            number(&mut self.form, "counter", u64::from(u32::MAX))
        } else {
            Some(0)
        };
        ok &= counter.is_some();
        let digits = self.form.get("digits").parse::<u8>().unwrap_or(6);
        let algorithm = crate::otp::Algorithm::parse(self.form.get("algorithm"))
            .unwrap_or(crate::otp::Algorithm::Sha1);
        let secret = secret?;
        if !ok {
            return None;
        }
        let account = match suite {
            Some(s) => Account::ocra(issuer, name, secret, s),
            None => Account {
                kind,
                algorithm,
                digits,
                period: u32::try_from(period.unwrap_or(30)).unwrap_or(30),
                counter: counter.unwrap_or(0),
                ..Account::totp(issuer, name, secret)
            },
        };
        if let Err(e) = account.check() {
            let (field, text) = match e {
                AccountError::Secret => ("secret", Text::key("err_secret_empty")),
                AccountError::Name => ("name", Text::key("err_name_empty")),
                AccountError::Digits { .. } => ("digits", Text::key("err_digits")),
                AccountError::Period => ("period", Text::with("err_number", ["255".to_string()])),
                AccountError::OcraSuite { reason } => (
                    "ocra_suite",
                    Text::with("err_ocra_suite", [reason.to_string()]),
                ),
            };
            self.form.error(field, text);
            return None;
        }
        Some(account)
    }

    /// `otp.add` params from the form (the secret converted to hex).
    fn params(&mut self, t: &Token, pin: Option<&str>) -> Option<Value> {
        self.form.clear_errors();
        let crescendo = family(t) == OtpFamily::Crescendo;
        let account = self.account(crescendo)?;
        let slot = self.form.get("slot").parse::<u8>().unwrap_or(2);
        if crescendo && !slot_takes(slot, account.kind) {
            self.form.error("slot", Text::key("reason_slot_hotp_only"));
            return None;
        }
        let s = support(t);
        if !s.kinds.contains(&account.kind) {
            self.form
                .error("kind", Text::key("reason_kind_unsupported"));
            return None;
        }
        if !s.algorithms.contains(&account.algorithm) {
            self.form
                .error("algorithm", Text::key("reason_algorithm_unsupported"));
            return None;
        }
        if !s.digits.contains(&account.digits) {
            self.form.error("digits", Text::key("err_digits"));
            return None;
        }
        let secret = Secret::new(hex(account.secret.expose()));
        let mut a = json!({
            "kind": account.kind,
            "algorithm": account.algorithm,
            "digits": account.digits,
            "name": account.name,
            "secret": secret,
        });
        match account.kind {
            OtpKind::Totp => a["period"] = json!(account.period),
            OtpKind::Hotp => a["counter"] = json!(account.counter),
            OtpKind::Ocra => {
                a["ocra_suite"] = json!(account.ocra_suite.as_ref().map(OcraSuite::as_str))
            }
        }
        if let Some(i) = &account.issuer {
            a["issuer"] = json!(i);
        }
        let mut p = json!({"device": t.id, "account": a});
        if crescendo {
            p["slot"] = json!(slot);
            p["account"]["access"] = json!(self.form.get("access"));
        } else if s.touch {
            p["account"]["touch"] = json!(self.form.flag("touch"));
        }
        if let Some(r) = &self.replace {
            p["replace"] = json!(r);
        }
        if let Some(pin) = pin {
            p["pin"] = json!(pin);
        }
        self.sent = Some(AccountMeta {
            issuer: account.issuer.clone(),
            name: account.name.clone(),
            site: self.site.clone(),
            sites: vec![],
        });
        Some(p)
    }

    fn send(&mut self, t: &Token, pin: bool) -> Out {
        let pin_value = pin.then(|| self.pin_form.get("pin").to_owned());
        match self.params(t, pin_value.as_deref()) {
            Some(p) => {
                self.pin_form.reset();
                self.step = Step::Waiting;
                self.touch = None;
                self.error = None;
                Out::call("otp.add", p)
            }
            None => {
                self.step = Step::Form;
                Out::none()
            }
        }
    }

    fn form_blocks(&self, t: &Token) -> Vec<Block> {
        let mut blocks = vec![];
        let mut source = self
            .form
            .field("source", InputKind::Radio, Text::key("field_otp_source"));
        source.options = vec![
            Choice::new("uri", Text::key("otp_source_uri")),
            Choice::new("manual", Text::key("otp_source_manual")),
        ];
        blocks.push(Block::Field(source));
        let s = support(t);
        let crescendo = family(t) == OtpFamily::Crescendo;
        if self.uri_mode() {
            blocks.push(capture::buttons());
            if self.captured {
                blocks.push(match &self.site {
                    Some(site) => para_with("capture_loaded_site", [site.clone()], Tone::Ok),
                    None => para("capture_loaded", Tone::Ok),
                });
            }
            if self.offers.len() > 1 {
                let mut pick = self.select("code", "field_capture_code", vec![]);
                pick.options = self
                    .offers
                    .iter()
                    .enumerate()
                    .take(PICK_VALUES.len())
                    .map(|(i, o)| Choice::new(PICK_VALUES[i], o.label.clone()))
                    .collect();
                blocks.push(Block::Field(pick));
            }
            let mut f = self
                .form
                .field("uri", InputKind::Text, Text::key("field_otp_uri"));
            f.mono = true;
            f.hint = Some(Text::key("hint_otp_uri"));
            blocks.push(Block::Field(f));
            let text = self.form.get("uri").trim();
            if let Ok(batch) = parse_migration(text) {
                if batch.accounts.len() > 1 {
                    let mut pick = self.select("pick", "field_otp_pick", vec![]);
                    pick.options = batch
                        .accounts
                        .iter()
                        .enumerate()
                        .take(PICK_VALUES.len())
                        .map(|(i, a)| Choice::new(PICK_VALUES[i], Text::literal(a.label())))
                        .collect();
                    blocks.push(Block::Field(pick));
                }
            } else if let Ok(p) = parse_uri(text) {
                let a = &p.account;
                blocks.push(para_with(
                    "otp_uri_preview",
                    [
                        kind_upper(a.kind).to_owned(),
                        a.label(),
                        a.algorithm.as_str().to_owned(),
                        a.digits.to_string(),
                    ],
                    Tone::Info,
                ));
            }
        } else {
            let kind = kind_of(self.form.get("kind"));
            let slot = self.form.get("slot").parse::<u8>().unwrap_or(2);
            let kinds = kinds()
                .into_iter()
                .map(|(k, v)| Choice {
                    reason: if !s.kinds.contains(&k) {
                        Some(Text::key("reason_kind_unsupported"))
                    } else if crescendo && !slot_takes(slot, k) && self.slot_chosen {
                        Some(Text::key("reason_slot_hotp_only"))
                    } else {
                        None
                    },
                    ..Choice::new(v, kind_text(k))
                })
                .collect();
            blocks.push(Block::Field(self.select("kind", "field_otp_kind", kinds)));
            let mut secret =
                self.form
                    .field("secret", InputKind::Text, Text::key("field_otp_secret"));
            secret.mono = true;
            blocks.push(Block::Field(secret));
            blocks.push(Block::Field(self.select(
                "encoding",
                "field_otp_encoding",
                vec![
                    Choice::new("base32", Text::key("otp_encoding_base32")),
                    Choice::new("hex", Text::key("otp_encoding_hex")),
                    Choice::new("base64", Text::key("otp_encoding_base64")),
                ],
            )));
            if kind == OtpKind::Ocra {
                let mut f =
                    self.form
                        .field("ocra_suite", InputKind::Text, Text::key("field_ocra_suite"));
                f.mono = true;
                f.hint = Some(Text::key("hint_ocra_suite"));
                blocks.push(Block::Field(f));
            } else {
                let algs = [
                    crate::otp::Algorithm::Sha1,
                    crate::otp::Algorithm::Sha256,
                    crate::otp::Algorithm::Sha512,
                ]
                .into_iter()
                .map(|a| Choice {
                    reason: (!s.algorithms.contains(&a))
                        .then(|| Text::key("reason_algorithm_unsupported")),
                    ..Choice::new(alg_value(a), Text::literal(a.as_str()))
                })
                .collect();
                blocks.push(Block::Field(self.select(
                    "algorithm",
                    "field_otp_algorithm",
                    algs,
                )));
                let digits = [6u8, 7, 8]
                    .into_iter()
                    .map(|d| Choice {
                        reason: (!s.digits.contains(&d))
                            .then(|| Text::key("reason_digits_unsupported")),
                        ..Choice::new(
                            DIGIT_VALUES[usize::from(d - 6)],
                            Text::literal(d.to_string()),
                        )
                    })
                    .collect();
                blocks.push(Block::Field(self.select(
                    "digits",
                    "field_otp_digits",
                    digits,
                )));
            }
            if kind == OtpKind::Totp {
                let mut f =
                    self.form
                        .field("period", InputKind::Number, Text::key("field_otp_period"));
                f.inputmode = Some("numeric");
                blocks.push(Block::Field(f));
            }
            if kind == OtpKind::Hotp {
                let mut f =
                    self.form
                        .field("counter", InputKind::Number, Text::key("field_otp_counter"));
                f.inputmode = Some("numeric");
                blocks.push(Block::Field(f));
            }
            blocks.push(self.text("issuer", "field_otp_issuer", false));
            blocks.push(self.text("name", "field_otp_name", false));
        }
        if crescendo {
            let kind = self.current_kind();
            let list = entries(t);
            let slots = [1u8, 2, 3]
                .into_iter()
                .map(|n| {
                    let used = list.iter().find(|e| e.slot == Some(n) && e.configured);
                    let label = match used.and_then(|e| e.kind) {
                        Some(k) => {
                            Text::with("otp_slot_used", [n.to_string(), kind_upper(k).to_owned()])
                        }
                        None => Text::with("otp_slot_free", [n.to_string()]),
                    };
                    Choice {
                        reason: kind
                            .filter(|&k| !slot_takes(n, k))
                            .map(|_| Text::key("reason_slot_hotp_only")),
                        ..Choice::new(SLOT_VALUES[usize::from(n - 1)], label)
                    }
                })
                .collect();
            let mut f = self.select("slot", "field_otp_slot", slots);
            f.hint = Some(Text::key("hint_otp_slot"));
            blocks.push(Block::Field(f));
        }
        let access = [
            OtpAccess::Always,
            OtpAccess::Pin,
            OtpAccess::PinTouch,
            OtpAccess::Never,
        ]
        .into_iter()
        .map(|a| Choice {
            reason: (!s.access.contains(&a)).then(|| Text::key("reason_access_unsupported")),
            ..Choice::new(access_value(a), access_text(a))
        })
        .collect();
        let mut f = self.select("access", "field_otp_access", access);
        if s.access.is_empty() {
            f.disabled = true;
            f.hint = Some(Text::key("hint_access_ykoath"));
        }
        blocks.push(Block::Field(f));
        if s.touch {
            blocks.push(Block::Field(self.form.checkbox("touch", "field_otp_touch")));
        }
        blocks
    }

    /// Unless the user chose a slot, the slot follows what the form describes.
    fn follow_kind(&mut self, t: &Token) {
        if !self.slot_chosen && family(t) == OtpFamily::Crescendo {
            if let Some(k) = self.current_kind() {
                let slot = default_slot_besides(t, k, &self.used_slots);
                self.form.set_plain("slot", slot.to_string());
            }
        }
    }

    /// Accounts in the export the form holds (0: not an export).
    fn export_len(&self) -> usize {
        if !self.uri_mode() {
            return 0;
        }
        parse_migration(self.form.get("uri").trim()).map_or(0, |b| b.accounts.len())
    }

    /// After adding export account `pick`, the next one (if any).
    fn next_export_account(&self) -> Option<usize> {
        let i = self.form.get("pick").parse::<usize>().unwrap_or(0);
        (i + 1 < self.export_len().min(PICK_VALUES.len())).then_some(i + 1)
    }

    /// The kind the form describes, when it can tell.
    fn current_kind(&self) -> Option<OtpKind> {
        if !self.uri_mode() {
            return Some(kind_of(self.form.get("kind")));
        }
        let text = self.form.get("uri").trim();
        if let Ok(p) = parse_uri(text) {
            return Some(p.account.kind);
        }
        if let Ok(b) = parse_migration(text) {
            let i = self.form.get("pick").parse::<usize>().unwrap_or(0);
            return b.accounts.get(i).map(|a| a.kind);
        }
        None
    }
}

/// Lowercase hex (the protocol's secret form), straight into the [`Secret`].
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

const PICK_VALUES: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
const DIGIT_VALUES: [&str; 3] = ["6", "7", "8"];
const SLOT_VALUES: [&str; 3] = ["1", "2", "3"];

fn alg_value(a: crate::otp::Algorithm) -> &'static str {
    match a {
        crate::otp::Algorithm::Sha1 => "sha1",
        crate::otp::Algorithm::Sha256 => "sha256",
        crate::otp::Algorithm::Sha512 => "sha512",
    }
}

fn access_value(a: OtpAccess) -> &'static str {
    match a {
        OtpAccess::Always => "always",
        OtpAccess::Never => "never",
        OtpAccess::Pin => "pin",
        OtpAccess::PinTouch => "pin_touch",
    }
}

impl Dialog for Enroll {
    fn kind(&self) -> Action {
        Action::OtpAdd
    }

    fn body(&self, t: &Token) -> Body {
        match &self.step {
            Step::Form => Body {
                step: "form",
                blocks: self.form_blocks(t),
                error: self.error.clone(),
                actions: vec![button("submit", "btn_add_account", true), cancel()],
            },
            Step::Pin if t.pin == Some(PinStatus::Blocked) => blocked_body(t),
            Step::Pin => {
                let mut blocks = vec![para("dlg_otp_add_pin_intro", Tone::Info)];
                blocks.extend(pin_entry(&self.pin_form, t, "pin", "field_pin"));
                Body {
                    step: "pin",
                    blocks,
                    error: self.error.clone(),
                    actions: vec![button("submit", "btn_add_account", true), cancel()],
                }
            }
            Step::Overwrite(e) => {
                let kind = e
                    .kind
                    .map_or_else(String::new, |k| kind_upper(k).to_owned());
                let mut replace = button("replace", "btn_replace", true);
                replace.danger = true;
                Body {
                    step: "overwrite",
                    blocks: vec![
                        para("dlg_otp_overwrite_intro", Tone::Warning),
                        Block::Output {
                            name: "overwrite",
                            label: self.title_of(e),
                            value: format!("{} · {kind}", e.id),
                            copy: false,
                        },
                        para("dlg_otp_overwrite_loss", Tone::Danger),
                    ],
                    error: None,
                    actions: vec![replace, button("back", "btn_back", false)],
                }
            }
            Step::Capturing(source) => Body {
                step: "capturing",
                blocks: vec![Block::Progress {
                    text: capture::progress_text(*source),
                }],
                error: None,
                actions: vec![button("back", "btn_back", false)],
            },
            Step::Waiting => Body {
                step: if self.touch.is_some() {
                    "touch"
                } else {
                    "writing"
                },
                blocks: vec![match self.touch {
                    Some(s) => touch_block("otp_touch_confirm", s),
                    None => Block::Progress {
                        text: Text::key("progress_otp_writing"),
                    },
                }],
                error: None,
                actions: vec![cancel()],
            },
            Step::Done(added) => {
                let mut blocks = vec![match &added.verified {
                    Verification::Computed => para("dlg_otp_verified", Tone::Ok),
                    Verification::NotChecked { reason } => {
                        para_with("dlg_otp_not_checked", [reason.clone()], Tone::Warning)
                    }
                }];
                blocks.push(Block::Output {
                    name: "entry",
                    label: Text::key("otp_entry_label"),
                    value: added.entry.id.clone(),
                    copy: false,
                });
                let actions = match self.next_pick {
                    Some(i) => {
                        let total = self.export_len();
                        blocks.push(para_with(
                            "dlg_otp_export_next",
                            [(i + 1).to_string(), total.to_string()],
                            Tone::Info,
                        ));
                        vec![
                            button("next", "btn_add_next", true),
                            button("cancel", "btn_done", false),
                        ]
                    }
                    None => vec![button("cancel", "btn_done", true)],
                };
                Body {
                    step: "done",
                    blocks,
                    error: None,
                    actions,
                }
            }
        }
    }

    fn form_gen(&self) -> u32 {
        self.form.gen() + self.pin_form.gen()
    }

    fn input(&mut self, t: &Token, name: &str, value: Secret) -> Out {
        if self.step == Step::Pin {
            self.pin_form.set(name, value);
            return Out::none();
        }
        match name {
            "slot" => self.slot_chosen = true,
            "code" => {
                let i = value.expose().parse::<usize>().unwrap_or(0);
                if let Some(o) = self.offers.get(i) {
                    self.form.set("uri", o.text.clone());
                    self.form.set_plain("pick", "0");
                }
            }
            "uri" | "source" => {
                // Typed, not captured: no longer bound to the captured page's site.
                self.offers.clear();
                self.captured = false;
                self.site = None;
            }
            _ => {}
        }
        self.form.set(name, value);
        self.follow_kind(t);
        Out::none()
    }

    fn action(&mut self, t: &Token, id: &str) -> Out {
        if let (Some(source), Step::Form) = (Source::from_button(id), &self.step) {
            self.error = None;
            self.step = Step::Capturing(source);
            return Out {
                capture: Some(source),
                ..Out::none()
            };
        }
        match (id, &self.step) {
            ("unblock", _) => Out::open(Action::Unblock),
            ("back", Step::Capturing(_)) => {
                self.step = Step::Form;
                Out::none()
            }
            ("next", Step::Done(_)) => {
                if let Some(i) = self.next_pick.take() {
                    self.form.set_plain("pick", i.to_string());
                    self.slot_chosen = false;
                    self.step = Step::Form;
                    self.follow_kind(t);
                }
                Out::none()
            }
            ("submit", Step::Form) => {
                self.error = None;
                self.replace = None;
                self.send(t, false)
            }
            ("submit", Step::Pin) if t.pin != Some(PinStatus::Blocked) => {
                self.pin_form.clear_errors();
                self.error = None;
                if !check_pin_entry(&mut self.pin_form, t, "pin") {
                    return Out::none();
                }
                self.send(t, true)
            }
            ("replace", Step::Overwrite(e)) => {
                self.replace = Some(e.id.clone());
                if let Some(n) = e.slot {
                    self.form.set_plain("slot", n.to_string());
                }
                self.send(t, false)
            }
            ("back", Step::Overwrite(_)) => {
                self.step = Step::Form;
                Out::none()
            }
            _ => Out::none(),
        }
    }

    fn reply(&mut self, t: &mut Token, method: &str, result: Result<Value, ErrorBody>) -> Out {
        if method == "site.of" {
            // Where the code came from; without it the account is kept unbound.
            self.site = result.ok().and_then(|v| {
                v.get("registrable")
                    .or_else(|| v.get("host"))
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
            });
            return Out::none();
        }
        self.touch = None;
        match result {
            Ok(v) => match serde_json::from_value::<OtpAdded>(v) {
                Ok(added) => {
                    let meta = self.sent.take().unwrap_or(AccountMeta {
                        issuer: None,
                        name: String::new(),
                        site: None,
                        sites: vec![],
                    });
                    let id = added.entry.id.clone();
                    if let Some(n) = added.entry.slot {
                        self.used_slots.push(n);
                    }
                    self.step = Step::Done(added);
                    self.next_pick = self.next_export_account();
                    if self.next_pick.is_none() {
                        self.form = Form::default();
                        self.offers.clear();
                    }
                    Out {
                        store: Some((id, Some(meta))),
                        relist: true,
                        ..Out::none()
                    }
                }
                Err(e) => {
                    self.step = Step::Form;
                    self.error = Some(Text::with("err_unexpected", [e.to_string()]));
                    Out::none()
                }
            },
            Err(e) => {
                self.step = Step::Form;
                match e.code {
                    ErrorCode::WouldOverwrite => {
                        match e
                            .details
                            .get("entry")
                            .cloned()
                            .and_then(|v| serde_json::from_value::<OtpEntry>(v).ok())
                        {
                            Some(entry) => self.step = Step::Overwrite(entry),
                            None => self.error = Some(host_error_text(&e)),
                        }
                    }
                    ErrorCode::Full => self.error = Some(Text::key("err_otp_full")),
                    ErrorCode::TouchTimeout => {
                        self.error = Some(Text::key("err_otp_add_touch_timeout"))
                    }
                    ErrorCode::VerifyFailed => {
                        self.error = Some(Text::key("err_otp_verify_failed"))
                    }
                    ErrorCode::PinRequired | ErrorCode::WrongPin | ErrorCode::PinBlocked => {
                        self.step = Step::Pin;
                        if let Failure::Other(text) = pin_failure(t, &mut self.pin_form, "pin", &e)
                        {
                            self.error = Some(text);
                        }
                    }
                    ErrorCode::BadInput => {
                        let field = e.details.get("field").and_then(Value::as_str).unwrap_or("");
                        let text = Text::with("err_bad_input", [e.message.clone()]);
                        match FIELDS.iter().find(|f| **f == field) {
                            Some(f) if !(self.uri_mode() && MANUAL_ONLY.contains(f)) => {
                                self.form.error(f, text)
                            }
                            _ => self.error = Some(text),
                        }
                    }
                    _ => self.error = Some(host_error_text(&e)),
                }
                Out::none()
            }
        }
    }

    fn captured(&mut self, t: &Token, c: Capture) -> Out {
        if matches!(self.step, Step::Waiting | Step::Pin) {
            return Out::none();
        }
        self.step = Step::Form;
        match capture::offers(&c) {
            Ok(offers) => {
                self.error = None;
                self.form.set_plain("source", "uri");
                if let Some(first) = offers.first() {
                    self.form.set("uri", first.text.clone());
                }
                self.form.set_plain("pick", "0");
                self.form.set_plain("code", "0");
                self.offers = offers;
                self.captured = true;
                self.next_pick = None;
                self.follow_kind(t);
                self.site = None;
                match c.url {
                    Some(url) if !url.is_empty() => Out::call("site.of", json!({ "url": url })),
                    _ => Out::none(),
                }
            }
            Err(text) => {
                self.error = Some(text);
                Out::none()
            }
        }
    }

    fn event(&mut self, _t: &Token, name: &str, data: &Value) -> Out {
        if name == "otp.touch" && self.step == Step::Waiting {
            self.touch = Some(touch_seconds(data));
        }
        Out::none()
    }
}

/// Form fields a host `bad_input` may name.
const FIELDS: [&str; 9] = [
    "secret",
    "name",
    "digits",
    "period",
    "counter",
    "ocra_suite",
    "slot",
    "issuer",
    "algorithm",
];
/// Fields shown only in the manual form.
const MANUAL_ONLY: [&str; 7] = [
    "secret",
    "name",
    "digits",
    "period",
    "counter",
    "issuer",
    "algorithm",
];

#[cfg(test)]
mod tests {
    use super::super::tests::{crescendo, field_errors, has_field};
    use super::*;

    const URI: &str =
        "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example&period=30";

    fn token() -> Token {
        let mut t = crescendo(Some(6));
        t.otp = Some(
            serde_json::from_value(json!({
                "family": "crescendo", "capacity": 3,
                "support": {"kinds": ["hotp", "totp", "ocra"], "algorithms": ["sha1", "sha256", "sha512"],
                            "digits": [6, 7, 8], "access": ["always", "never", "pin", "pin_touch"],
                            "touch": false, "names_on_token": false},
                "entries": [
                    {"id": "slot-1", "slot": 1, "configured": false, "touch": false},
                    {"id": "slot-2", "slot": 2, "configured": true, "kind": "totp", "touch": false},
                    {"id": "slot-3", "slot": 3, "configured": false, "touch": false}
                ]}))
            .expect("list"),
        );
        t
    }

    fn set(d: &mut Enroll, t: &Token, name: &str, v: &str) {
        d.input(t, name, Secret::new(v));
    }

    #[test]
    fn uri_is_parsed_and_sent_as_hex_to_the_first_free_slot() {
        let mut t = token();
        let mut d = Enroll::new(&t, None);
        assert_eq!(
            d.form.get("slot"),
            "3",
            "slot 2 is in use, slot 1 is HOTP only"
        );
        set(&mut d, &t, "uri", URI);
        let body = d.body(&t);
        assert!(body
            .blocks
            .iter()
            .any(|b| matches!(b, Block::Text { text, .. } if text.key == "otp_uri_preview")));
        let out = d.action(&t, "submit");
        let (method, p) = out.call.expect("call");
        assert_eq!(method, "otp.add");
        assert_eq!(p["slot"], json!(3));
        assert_eq!(p["account"]["secret"], json!("48656c6c6f21deadbeef"));
        assert_eq!(p["account"]["kind"], json!("totp"));
        assert_eq!(p["account"]["issuer"], json!("Example"));
        assert_eq!(p["account"]["access"], json!("always"));
        assert_eq!(p.get("replace"), None);
        d.event(&t, "otp.touch", &json!({"remaining_ms": 12_000}));
        assert_eq!(d.body(&t).step, "touch");
        let out = d.reply(
            &mut t,
            "otp.add",
            Ok(json!({"entry": {"id": "slot-3", "slot": 3, "configured": true, "kind": "totp", "touch": false},
                      "verified": {"status": "computed"}})),
        );
        assert!(out.relist);
        let (id, meta) = out.store.expect("store");
        assert_eq!(id, "slot-3");
        assert_eq!(meta.expect("meta").title(), "Example: alice");
        let body = d.body(&t);
        assert_eq!(body.step, "done");
        assert_eq!(body.blocks[0], para("dlg_otp_verified", Tone::Ok));
        assert_eq!(d.form.get("uri"), "", "the secret left the dialog");
    }

    #[test]
    fn uri_errors_name_the_field() {
        let t = token();
        let mut d = Enroll::new(&t, None);
        set(
            &mut d,
            &t,
            "uri",
            "otpauth://totp/Example:alice?secret=JBSWY3D!&issuer=Example",
        );
        assert_eq!(d.action(&t, "submit").call, None);
        assert_eq!(
            field_errors(&d.body(&t), "uri"),
            vec![Text::key("err_uri_secret")]
        );
        set(
            &mut d,
            &t,
            "uri",
            "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&digits=5",
        );
        d.action(&t, "submit");
        assert_eq!(
            field_errors(&d.body(&t), "uri"),
            vec![Text::key("err_uri_digits")]
        );
        set(&mut d, &t, "uri", "https://example.com");
        d.action(&t, "submit");
        assert_eq!(
            field_errors(&d.body(&t), "uri"),
            vec![Text::key("err_uri_scheme")]
        );
    }

    #[test]
    fn manual_hotp_on_slot_one_with_hex_secret() {
        let t = token();
        let mut d = Enroll::new(&t, Some(1));
        set(&mut d, &t, "source", "manual");
        assert!(has_field(&d.body(&t), "secret"));
        set(&mut d, &t, "kind", "hotp");
        set(&mut d, &t, "encoding", "hex");
        set(
            &mut d,
            &t,
            "secret",
            "3132333435363738393031323334353637383930",
        );
        set(&mut d, &t, "name", "button");
        assert!(has_field(&d.body(&t), "counter"));
        assert!(!has_field(&d.body(&t), "period"));
        let (_, p) = d.action(&t, "submit").call.expect("call");
        assert_eq!(p["slot"], json!(1));
        assert_eq!(p["account"]["counter"], json!(0));
        assert_eq!(
            p["account"]["secret"],
            json!("3132333435363738393031323334353637383930")
        );
    }

    #[test]
    fn manual_checks_before_sending() {
        let t = token();
        let mut d = Enroll::new(&t, Some(1));
        set(&mut d, &t, "source", "manual");
        set(&mut d, &t, "secret", "JBSWY3D!");
        assert_eq!(d.action(&t, "submit").call, None);
        let body = d.body(&t);
        assert_eq!(
            field_errors(&body, "secret"),
            vec![Text::with("err_secret_char", ["8".to_string()])]
        );
        assert_eq!(
            field_errors(&body, "name"),
            vec![Text::key("err_name_empty")]
        );
        set(&mut d, &t, "secret", "JBSWY3DPEHPK3PXP");
        set(&mut d, &t, "name", "alice");
        assert_eq!(
            d.action(&t, "submit").call,
            None,
            "TOTP does not fit slot 1"
        );
        assert_eq!(
            field_errors(&d.body(&t), "slot"),
            vec![Text::key("reason_slot_hotp_only")]
        );
        set(&mut d, &t, "kind", "ocra");
        set(&mut d, &t, "slot", "3");
        set(&mut d, &t, "ocra_suite", "OCRA-1:HOTP-SHA1-6:XX");
        assert_eq!(d.action(&t, "submit").call, None);
        assert_eq!(field_errors(&d.body(&t), "ocra_suite").len(), 1);
        set(&mut d, &t, "ocra_suite", "OCRA-1:HOTP-SHA1-6:QN08");
        let (_, p) = d.action(&t, "submit").call.expect("call");
        assert_eq!(p["account"]["ocra_suite"], json!("OCRA-1:HOTP-SHA1-6:QN08"));
        assert_eq!(p["account"]["digits"], json!(6));
    }

    #[test]
    fn would_overwrite_names_what_is_lost_and_resends_with_replace() {
        let mut t = token();
        let mut d = Enroll::new(&t, Some(2))
            .with_titles(vec![("slot-2".into(), Text::literal("Old: bob"))]);
        set(&mut d, &t, "uri", URI);
        d.action(&t, "submit");
        let e = ErrorBody::new(ErrorCode::WouldOverwrite, "x").with(
            "entry",
            json!({"id": "slot-2", "slot": 2, "configured": true, "kind": "totp", "touch": false}),
        );
        d.reply(&mut t, "otp.add", Err(e));
        let body = d.body(&t);
        assert_eq!(body.step, "overwrite");
        assert!(body
            .blocks
            .iter()
            .any(|b| matches!(b, Block::Output { label, value, .. }
            if *label == Text::literal("Old: bob") && value == "slot-2 · TOTP")));
        let (_, p) = d.action(&t, "replace").call.expect("call");
        assert_eq!(p["replace"], json!("slot-2"));
        assert_eq!(p["slot"], json!(2));
    }

    #[test]
    fn pin_required_then_pin_sent_once() {
        let mut t = token();
        let mut d = Enroll::new(&t, None);
        set(&mut d, &t, "uri", URI);
        d.action(&t, "submit");
        let out = d.reply(
            &mut t,
            "otp.add",
            Err(ErrorBody::new(ErrorCode::PinRequired, "x")),
        );
        assert_eq!(out.call, None);
        assert_eq!(d.body(&t).step, "pin");
        set(&mut d, &t, "pin", "00000000");
        let (_, p) = d.action(&t, "submit").call.expect("call");
        assert_eq!(p["pin"], json!("00000000"));
        assert_eq!(d.pin_form.get("pin"), "");
        d.reply(
            &mut t,
            "otp.add",
            Err(ErrorBody::new(ErrorCode::TouchTimeout, "x")),
        );
        let body = d.body(&t);
        assert_eq!(
            (body.step, body.error),
            ("form", Some(Text::key("err_otp_add_touch_timeout")))
        );
    }

    #[test]
    fn ykoath_greys_access_and_offers_touch() {
        let mut t = token();
        if let Some(l) = t.otp.as_mut() {
            l.family = OtpFamily::Ykoath;
            l.support.access = vec![];
            l.support.touch = true;
            l.entries.clear();
        }
        let mut d = Enroll::new(&t, None);
        let body = d.body(&t);
        assert!(has_field(&body, "touch") && !has_field(&body, "slot"));
        let access = body.blocks.iter().find_map(|b| match b {
            Block::Field(f) if f.name == "access" => Some(f.clone()),
            _ => None,
        });
        let access = access.expect("access");
        assert!(access.disabled && access.options.iter().all(|o| o.reason.is_some()));
        set(&mut d, &t, "uri", URI);
        set(&mut d, &t, "touch", "true");
        let (_, p) = d.action(&t, "submit").call.expect("call");
        assert_eq!(p.get("slot"), None);
        assert_eq!(p["account"]["touch"], json!(true));
        assert_eq!(p["account"].get("access"), None);
    }
}
