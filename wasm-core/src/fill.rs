//! Where a one-time code goes on a login page. The content script only
//! describes the page's inputs ([`Field`]); this module decides, so the
//! heuristics are tested here and the script stays plumbing.
//!
//! Signals, strongest first: `autocomplete="one-time-code"` (HTML Living
//! Standard §4.10.18.7.1), a group of 4–8 adjacent one-character inputs (split
//! boxes), words in the name / id / label / placeholder / aria-label in several
//! languages, `inputmode="numeric"`, `maxlength` 6–8. Never a password, search,
//! hidden, disabled or read-only field, and never an invisible one.

mod words;

use serde::{Deserialize, Serialize};

/// One `<input>` (or `contenteditable`-free textarea) as the content script
/// saw it. Strings are lower-cased by the script or here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Field {
    /// Position in document order (across same-origin frames), echoed back.
    pub index: u32,
    /// Frame index (0 = top document).
    pub frame: u32,
    /// `type` attribute, lower-case (`text`, `tel`, `number`, `password`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// `name`.
    pub name: String,
    /// `id`.
    pub id: String,
    /// `autocomplete`.
    pub autocomplete: String,
    /// `inputmode`.
    pub inputmode: String,
    /// `maxlength` (`None` when absent or invalid).
    pub max_length: Option<u32>,
    /// Text of the associated `<label>` (or `aria-labelledby` target).
    pub label: String,
    /// `placeholder`.
    pub placeholder: String,
    /// `aria-label`.
    pub aria_label: String,
    /// Rendered with a non-zero box and not `visibility: hidden`.
    pub visible: bool,
    /// Not `disabled`.
    pub enabled: bool,
    /// `readonly`.
    pub readonly: bool,
    /// Left edge in CSS px (to order split boxes and check they sit in a row).
    pub x: i32,
    /// Top edge in CSS px.
    pub y: i32,
    /// Width in CSS px.
    pub width: i32,
    /// Index of the enclosing `<form>` (or of the common parent for formless
    /// pages), to keep split boxes of one group together.
    pub group: u32,
}

/// What to fill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Plan {
    /// The whole code into one field.
    Single {
        /// [`Field::index`].
        index: u32,
    },
    /// One character per field, in order.
    Split {
        /// [`Field::index`]es, left to right.
        indices: Vec<u32>,
    },
    /// No field looks like it wants a one-time code.
    Nothing,
}

/// Why a field is never filled.
fn excluded(f: &Field) -> bool {
    let kind = f.kind.to_ascii_lowercase();
    !f.visible
        || !f.enabled
        || f.readonly
        || matches!(
            kind.as_str(),
            "password"
                | "search"
                | "hidden"
                | "email"
                | "checkbox"
                | "radio"
                | "submit"
                | "button"
                | "file"
                | "date"
                | "url"
                | "range"
                | "color"
        )
        || f.autocomplete
            .to_ascii_lowercase()
            .split_whitespace()
            .any(|t| {
                matches!(
                    t,
                    "username" | "current-password" | "new-password" | "email" | "off-search"
                )
            })
        || words::any(&text(f), words::NEGATIVE)
}

/// The field's words: name, id, label, placeholder, aria-label.
fn text(f: &Field) -> String {
    [&f.name, &f.id, &f.label, &f.placeholder, &f.aria_label]
        .iter()
        .map(|s| s.to_lowercase())
        .collect::<Vec<_>>()
        .join(" ")
}

/// How much a single field looks like a one-time-code field (0 = not at all).
pub fn score(f: &Field) -> u32 {
    if excluded(f) {
        return 0;
    }
    let mut s = 0;
    if f.autocomplete
        .to_ascii_lowercase()
        .split_whitespace()
        .any(|t| t == "one-time-code")
    {
        s += 100;
    }
    let words = text(f);
    if words::any(&words, words::STRONG) {
        s += 40;
    } else if words::any(&words, words::WEAK) {
        s += 15;
    }
    if matches!(
        f.inputmode.to_ascii_lowercase().as_str(),
        "numeric" | "decimal"
    ) {
        s += 10;
    }
    if matches!(f.kind.to_ascii_lowercase().as_str(), "tel" | "number") {
        s += 5;
    }
    if matches!(f.max_length, Some(6..=8)) {
        s += 10;
    }
    s
}

/// Lowest score a lone field needs: a strong word, or the autocomplete token,
/// or a weak word backed by numeric input and a 6–8 maxlength.
const THRESHOLD: u32 = 35;

/// A split group: 4–8 visible one-character fields of one group, in a row.
fn split_group(fields: &[Field]) -> Option<Vec<u32>> {
    let mut groups: std::collections::BTreeMap<(u32, u32), Vec<&Field>> = Default::default();
    for f in fields {
        if !excluded(f) && f.max_length == Some(1) {
            groups.entry((f.frame, f.group)).or_default().push(f);
        }
    }
    groups
        .into_values()
        .filter(|g| (4..=8).contains(&g.len()))
        .map(|mut g| {
            g.sort_by_key(|f| (f.y / 8, f.x));
            g
        })
        .filter(|g| {
            let y0 = g.first().map_or(0, |f| f.y);
            g.iter().all(|f| (f.y - y0).abs() <= 8)
        })
        .max_by_key(|g| (g.len(), g.iter().map(|f| score(f)).sum::<u32>()))
        .map(|g| g.iter().map(|f| f.index).collect())
}

/// Decides where a code of `digits` characters goes.
pub fn plan(fields: &[Field], digits: usize) -> Plan {
    if let Some(indices) = split_group(fields) {
        if indices.len() == digits {
            return Plan::Split { indices };
        }
    }
    let best = fields
        .iter()
        .filter(|f| f.max_length != Some(1))
        .filter(|f| f.max_length.is_none_or(|m| m as usize >= digits))
        .map(|f| (score(f), f))
        .filter(|(s, _)| *s >= THRESHOLD)
        // Highest score; ties go to the first in document order.
        .max_by(|(a, fa), (b, fb)| a.cmp(b).then(fb.index.cmp(&fa.index)));
    match best {
        Some((_, f)) => Plan::Single { index: f.index },
        None => Plan::Nothing,
    }
}

#[cfg(test)]
mod tests;
