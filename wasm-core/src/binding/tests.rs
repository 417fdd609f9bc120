use super::*;
use serde_json::json;

fn site(host: &str, registrable: &str, flags: &[SiteFlag]) -> TabSite {
    TabSite {
        host: host.into(),
        registrable: registrable.into(),
        flags: flags.to_vec(),
    }
}

fn meta(name: &str, site: Option<&str>, sites: &[&str]) -> AccountMeta {
    AccountMeta {
        issuer: Some("Demo".into()),
        name: name.into(),
        site: site.map(str::to_owned),
        sites: sites.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn lists() -> Vec<DeviceList> {
    vec![DeviceList {
        device: "D1".into(),
        list: serde_json::from_value(json!({
            "family": "crescendo", "capacity": 3,
            "support": {"kinds": ["hotp", "totp", "ocra"], "algorithms": ["sha1"], "digits": [6, 8],
                        "access": ["always", "never", "pin", "pin_touch"], "touch": false, "names_on_token": false},
            "entries": [
                {"id": "slot-1", "slot": 1, "configured": true, "kind": "totp", "digits": 6, "access": "pin", "touch": false},
                {"id": "slot-2", "slot": 2, "configured": true, "kind": "totp", "digits": 8, "access": "always", "touch": false},
                {"id": "slot-3", "slot": 3, "configured": true, "kind": "ocra", "digits": 6, "access": "always", "touch": false}
            ]}))
        .expect("list"),
    }]
}

fn accounts() -> Accounts {
    let mut a = Accounts::new();
    a.insert("D1/slot-1".into(), meta("pin", Some("example.com"), &[]));
    a.insert(
        "D1/slot-2".into(),
        meta("alice", Some("other.org"), &["Example.COM."]),
    );
    a
}

#[test]
fn exact_registrable_domain_only() {
    let bound = vec!["example.com".to_owned()];
    assert!(allowed(
        &bound,
        &site("login.example.com", "example.com", &[])
    ));
    assert!(!allowed(&bound, &site("examp1e.com", "examp1e.com", &[])));
    assert!(!allowed(
        &bound,
        &site("example.com.evil.net", "evil.net", &[])
    ));
    assert!(!allowed(&bound, &site("x", "", &[])));
    assert!(!allowed(&[], &site("example.com", "example.com", &[])));
}

#[test]
fn domains_are_normalised_and_deduplicated() {
    let m = meta("a", Some("Example.com"), &["example.com", " Other.ORG. "]);
    assert_eq!(domains(&m), vec!["example.com", "other.org"]);
}

#[test]
fn candidates_put_bound_accounts_first_and_skip_ocra() {
    let s = site("www.example.com", "example.com", &[]);
    let c = candidates(Some(&s), &accounts(), &lists());
    let keys: Vec<_> = c.iter().map(|c| (c.key.as_str(), c.bound)).collect();
    assert_eq!(keys, vec![("D1/slot-1", true), ("D1/slot-2", true)]);
    assert!(c[0].pin && !c[1].pin);
    assert_eq!(c[1].digits, 8);
    let elsewhere = site("other.org", "other.org", &[]);
    let c = candidates(Some(&elsewhere), &accounts(), &lists());
    assert_eq!(c[0].key, "D1/slot-2");
    assert!(c[0].bound && !c[1].bound);
}

#[test]
fn shortcut_takes_the_bound_account_without_pin() {
    let s = site("example.com", "example.com", &[]);
    let c = candidates(Some(&s), &accounts(), &lists());
    match choose(Some(&s), &c, None) {
        Choice::Fill {
            candidate,
            warnings,
        } => {
            assert_eq!(candidate.key, "D1/slot-2");
            assert!(warnings.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_look_alike_is_refused_with_both_domains() {
    let s = site("www.examp1e.com", "examp1e.com", &[]);
    let c = candidates(Some(&s), &accounts(), &lists());
    assert_eq!(
        choose(Some(&s), &c, None),
        Choice::Popup {
            reason: PopupReason::NoneBound,
            key: None
        }
    );
    match choose(Some(&s), &c, Some("D1/slot-2")) {
        Choice::Refuse {
            bound,
            current,
            host,
            ..
        } => {
            assert_eq!(bound, vec!["other.org", "example.com"]);
            assert_eq!(current, "examp1e.com");
            assert_eq!(host, "www.examp1e.com");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn pin_accounts_and_odd_pages_go_to_the_popup() {
    let s = site("example.com", "example.com", &[]);
    let c = candidates(Some(&s), &accounts(), &lists());
    assert_eq!(
        choose(Some(&s), &c, Some("D1/slot-1")),
        Choice::Popup {
            reason: PopupReason::Pin,
            key: Some("D1/slot-1".into())
        }
    );
    assert_eq!(
        choose(Some(&s), &c, Some("D9/slot-1")),
        Choice::Popup {
            reason: PopupReason::Unknown,
            key: None
        }
    );
    assert_eq!(
        choose(None, &c, None),
        Choice::Popup {
            reason: PopupReason::NoSite,
            key: None
        }
    );
    // Only a PIN account bound: the shortcut hands over to the popup.
    let mut a = accounts();
    a.remove("D1/slot-2");
    let c = candidates(Some(&s), &a, &lists());
    assert_eq!(
        choose(Some(&s), &c, None),
        Choice::Popup {
            reason: PopupReason::Pin,
            key: Some("D1/slot-1".into())
        }
    );
}

#[test]
fn http_and_ip_pages_fill_with_a_warning() {
    let mut a = Accounts::new();
    a.insert("D1/slot-2".into(), meta("alice", Some("127.0.0.1"), &[]));
    let s = site(
        "127.0.0.1",
        "127.0.0.1",
        &[SiteFlag::Insecure, SiteFlag::IpAddress],
    );
    let c = candidates(Some(&s), &a, &lists());
    match choose(Some(&s), &c, None) {
        Choice::Fill { warnings, .. } => {
            assert_eq!(warnings, vec![Warning::Insecure, Warning::IpAddress])
        }
        other => panic!("{other:?}"),
    }
    let flags: TabSite = serde_json::from_value(json!({"host": "h", "registrable": "h",
        "flags": ["localhost", "something_new"]}))
    .expect("site");
    assert_eq!(warnings(&flags), vec![Warning::IpAddress]);
}

#[test]
fn bind_adds_one_domain_once() {
    let mut a = accounts();
    assert!(bind(&mut a, "D1/slot-2", "Examp1e.com"));
    assert!(!bind(&mut a, "D1/slot-2", "examp1e.com"));
    assert!(!bind(&mut a, "D1/slot-2", " "));
    assert_eq!(
        domains(&a["D1/slot-2"]),
        vec!["other.org", "example.com", "examp1e.com"]
    );
    assert!(bind(&mut a, "D2/slot-1", "new.org"));
    assert_eq!(a["D2/slot-1"].site.as_deref(), Some("new.org"));
}

#[test]
fn export_import_round_trip_merges_without_overwriting() {
    let a = accounts();
    let text = export(&a).to_string();
    assert!(!text.contains("secret"));
    let mut b = Accounts::new();
    b.insert("D1/slot-2".into(), meta("kept", Some("mine.net"), &[]));
    assert_eq!(import(&mut b, &text), Ok(3));
    assert_eq!(b["D1/slot-2"].name, "kept");
    assert_eq!(
        domains(&b["D1/slot-2"]),
        vec!["mine.net", "other.org", "example.com"]
    );
    assert_eq!(b["D1/slot-1"].name, "pin");
    assert_eq!(import(&mut b, &text), Ok(0));
    assert_eq!(import(&mut b, "{}"), Err(ImportError::Format));
    assert!(matches!(
        import(&mut b, "nope"),
        Err(ImportError::NotJson(_))
    ));
    assert_eq!(
        import(&mut b, &" ".repeat(MAX_IMPORT + 1)),
        Err(ImportError::TooLarge)
    );
}

#[test]
fn frames_of_other_sites_are_refused() {
    let tab = site("www.example.com", "example.com", &[]);
    assert!(frame_allowed(
        &tab,
        &site("auth.example.com", "example.com", &[])
    ));
    assert!(!frame_allowed(
        &tab,
        &site("ads.other.net", "other.net", &[])
    ));
    assert!(!frame_allowed(&site("", "", &[]), &site("", "", &[])));
}
