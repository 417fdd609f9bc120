//! A token's OTP section: one tile per Crescendo slot or YKOATH account, named
//! from the token (YKOATH) or from the metadata the extension keeps (Crescendo
//! slots hold no name the card gives back).

use std::collections::BTreeMap;

use crate::protocol::{OtpAccess, OtpEntry, OtpFamily, OtpKind, OtpList};

use super::dialogs::AccountMeta;
use super::view::{OtpState, OtpTile, OtpView, Text};

/// Account metadata by `"<deviceId>/<entryId>"` (chrome.storage.local `accounts`).
pub type Accounts = BTreeMap<String, AccountMeta>;

/// The storage key of an entry's metadata.
pub fn meta_key(device: &str, entry: &str) -> String {
    format!("{device}/{entry}")
}

/// "HOTP", "TOTP", "OCRA".
pub fn kind_text(kind: OtpKind) -> Text {
    Text::key(match kind {
        OtpKind::Hotp => "otp_kind_hotp",
        OtpKind::Totp => "otp_kind_totp",
        OtpKind::Ocra => "otp_kind_ocra",
    })
}

/// "TOTP", "HOTP", "OCRA" as values (proper names, not translated).
pub fn kind_upper(k: OtpKind) -> &'static str {
    match k {
        OtpKind::Totp => "TOTP",
        OtpKind::Hotp => "HOTP",
        OtpKind::Ocra => "OCRA",
    }
}

/// Who may compute a code.
pub fn access_text(access: OtpAccess) -> Text {
    Text::key(match access {
        OtpAccess::Always => "otp_access_always",
        OtpAccess::Never => "otp_access_never",
        OtpAccess::Pin => "otp_access_pin",
        OtpAccess::PinTouch => "otp_access_pin_touch",
    })
}

/// What the popup calls an entry.
pub fn entry_title(e: &OtpEntry, meta: Option<&AccountMeta>) -> Text {
    if let Some(name) = e.name.as_deref().filter(|n| !n.is_empty()) {
        let m = AccountMeta {
            issuer: e.issuer.clone(),
            name: name.to_owned(),
            site: None,
            sites: vec![],
        };
        return Text::literal(m.title());
    }
    match (e.configured, meta, e.slot) {
        (false, _, _) => Text::key("otp_empty_slot"),
        (true, Some(m), _) => Text::literal(m.title()),
        (true, None, Some(n)) => Text::with("otp_slot_n", [n.to_string()]),
        (true, None, None) => Text::literal(e.id.clone()),
    }
}

fn details(e: &OtpEntry) -> Vec<Text> {
    let mut out = vec![];
    if let Some(n) = e.slot {
        out.push(Text::with("otp_slot_n", [n.to_string()]));
    }
    if let Some(a) = e.algorithm {
        out.push(Text::literal(a.as_str()));
    }
    if let Some(d) = e.digits {
        out.push(Text::with("otp_digits", [d.to_string()]));
    }
    if let Some(p) = e.period {
        out.push(Text::with("otp_period", [p.to_string()]));
    }
    if e.touch {
        out.push(Text::key("otp_touch"));
    }
    out
}

/// The tile of one entry.
pub fn tile(device: &str, e: &OtpEntry, accounts: &Accounts) -> OtpTile {
    let title = entry_title(e, accounts.get(&meta_key(device, &e.id)));
    let empty = !e.configured;
    let label = if empty {
        Text::with(
            "otp_tile_empty_label",
            [e.slot.unwrap_or_default().to_string()],
        )
    } else {
        Text::key("otp_tile_label")
    };
    OtpTile {
        entry: e.id.clone(),
        kind: (!empty).then_some(e.kind.map(kind_text)).flatten(),
        access: (!empty).then_some(e.access.map(access_text)).flatten(),
        details: if empty { vec![] } else { details(e) },
        empty,
        label,
        menu_label: (!empty).then(|| Text::key("otp_menu_label")),
        title,
    }
}

/// The OTP section of a YKOATH key whose applet wants its OATH password
/// (`otp.list` answered `pin_required`, protocols.md §1.9).
pub fn locked_section() -> OtpView {
    OtpView {
        state: OtpState::Locked,
        heading: Text::key("otp_heading"),
        message: Some(Text::key("otp_locked")),
        entries: vec![],
        add: None,
        unlock: Some(Text::key("otp_unlock")),
    }
}

/// The OTP section of a token: loading, its tiles, or why listing failed.
pub fn section(device: &str, list: Option<&Result<OtpList, Text>>, accounts: &Accounts) -> OtpView {
    let heading = Text::key("otp_heading");
    match list {
        None => OtpView {
            state: OtpState::Loading,
            heading,
            message: Some(Text::key("otp_loading")),
            entries: vec![],
            add: None,
            unlock: None,
        },
        Some(Err(text)) => OtpView {
            state: OtpState::Error,
            heading,
            message: Some(text.clone()),
            entries: vec![],
            add: None,
            unlock: None,
        },
        Some(Ok(l)) => {
            let entries: Vec<OtpTile> = l
                .entries
                .iter()
                .map(|e| tile(device, e, accounts))
                .collect();
            let room = match l.family {
                OtpFamily::Crescendo => true,
                OtpFamily::Ykoath => (l.entries.len() as u64) < u64::from(l.capacity),
            };
            OtpView {
                state: OtpState::Ready,
                heading,
                message: entries.is_empty().then(|| Text::key("otp_none")),
                entries,
                add: room.then(|| Text::key("otp_add")),
                unlock: None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub fn crescendo_list() -> OtpList {
        serde_json::from_value(json!({
            "family": "crescendo", "capacity": 3,
            "support": {"kinds": ["hotp", "totp", "ocra"], "algorithms": ["sha1", "sha256", "sha512"],
                        "digits": [6, 7, 8], "access": ["always", "never", "pin", "pin_touch"],
                        "touch": false, "names_on_token": false},
            "entries": [
                {"id": "slot-1", "slot": 1, "configured": false, "kind": "hotp", "algorithm": "sha1", "digits": 6, "access": "pin_touch", "touch": true},
                {"id": "slot-2", "slot": 2, "configured": true, "kind": "totp", "algorithm": "sha1", "digits": 6, "period": 30, "access": "always", "touch": false},
                {"id": "slot-3", "slot": 3, "configured": true, "kind": "ocra", "algorithm": "sha1", "digits": 8, "access": "pin", "touch": false}
            ]}))
        .expect("list")
    }

    #[test]
    fn tiles_name_slots_from_metadata_or_number() {
        let mut accounts = Accounts::new();
        accounts.insert(
            meta_key("ID1", "slot-2"),
            AccountMeta {
                issuer: Some("Example".into()),
                name: "alice".into(),
                site: None,
                sites: vec![],
            },
        );
        let v = section("ID1", Some(&Ok(crescendo_list())), &accounts);
        assert_eq!(v.state, OtpState::Ready);
        let t: Vec<_> = v.entries.iter().map(|e| e.title.clone()).collect();
        assert_eq!(
            t,
            vec![
                Text::key("otp_empty_slot"),
                Text::literal("Example: alice"),
                Text::with("otp_slot_n", ["3".to_string()])
            ]
        );
        assert!(v.entries[0].empty && v.entries[0].menu_label.is_none());
        assert_eq!(v.entries[1].kind, Some(Text::key("otp_kind_totp")));
        assert_eq!(v.entries[2].access, Some(Text::key("otp_access_pin")));
        assert!(v.entries[1]
            .details
            .contains(&Text::with("otp_period", ["30".to_string()])));
        assert_eq!(v.add, Some(Text::key("otp_add")));
    }

    #[test]
    fn ykoath_names_come_from_the_token() {
        let e: OtpEntry = serde_json::from_value(json!({"id": "GitHub:bob", "configured": true,
            "kind": "totp", "issuer": "GitHub", "name": "bob", "touch": true}))
        .expect("entry");
        assert_eq!(
            tile("Y", &e, &Accounts::new()).title,
            Text::literal("GitHub: bob")
        );
        assert_eq!(
            section("Y", None, &Accounts::new()).state,
            OtpState::Loading
        );
    }
}
