//! The OTP section of a YKOATH key whose applet has an OATH password
//! (protocols.md §1.9): Unlock, wrong password, the kept password on later
//! calls, forgotten when the key refuses it.

use super::*;

const PASSWORD: &str = "correct horse";
const WRONG: &str = "hunter2";

fn yk_devices() -> Value {
    json!({"pcsc": {"state": "ok"}, "readers": [
        {"name": "Yubico YubiKey OTP+FIDO+CCID 00 00", "card": {"atr": "3B", "model": {"key": "ykoath", "name": "YubiKey"},
         "token": {"id": "Y1", "applets": {"aca": false, "oath_slots": 0, "piv": false, "ykoath": true, "fido": false},
                   "features": [], "must_change_pin": false}}}
    ]})
}

fn yk_list() -> Value {
    json!({"family": "ykoath", "capacity": 32,
        "support": {"kinds": ["hotp", "totp"], "algorithms": ["sha1", "sha256", "sha512"], "digits": [6, 7, 8],
                    "access": [], "touch": true, "names_on_token": true},
        "entries": [{"id": "Example:alice", "configured": true, "kind": "totp", "algorithm": "sha1",
                     "period": 30, "issuer": "Example", "name": "alice", "touch": false}]})
}

fn pin_required() -> ErrorBody {
    ErrorBody::new(ErrorCode::PinRequired, "enter the PIN first")
}

fn wrong() -> ErrorBody {
    ErrorBody::new(ErrorCode::WrongPin, "wrong OATH password")
}

fn yk_open(p: &mut Popup, action: Action, entry: Option<&str>) -> Step {
    p.apply(PopupInput::Open {
        device: "Y1".into(),
        action,
        entry: entry.map(str::to_owned),
    })
}

fn relist(p: &mut Popup) -> Step {
    p.apply(PopupInput::Reply {
        method: "devices.list".into(),
        response: Response::ok(900, yk_devices()),
    })
}

fn json_of(step: &Step) -> String {
    serde_json::to_string(&step.view).expect("view json")
}

/// A popup showing "Y1" whose `otp.list` answered `pin_required`.
fn locked() -> Popup {
    let mut p = Popup::new(Browser::Chromium);
    connected(&mut p);
    let step = relist(&mut p);
    let list = step.calls[0].clone();
    assert_eq!(list.params, json!({"device": "Y1"}));
    let step = reply(&mut p, &list, Err(pin_required()));
    let otp = step.view.tokens.items[0].otp.clone().expect("otp section");
    assert_eq!(otp.state, OtpState::Locked);
    assert_eq!(otp.message, Some(Text::key("otp_locked")));
    assert_eq!(otp.unlock, Some(Text::key("otp_unlock")));
    assert!(otp.entries.is_empty() && otp.add.is_none());
    assert!(json_of(&step).contains("\"unlock\""));
    p
}

/// `locked()`, unlocked with [`PASSWORD`].
fn unlocked() -> Popup {
    let mut p = locked();
    yk_open(&mut p, Action::OtpUnlock, None);
    field(&mut p, "pin", PASSWORD);
    let call = press(&mut p, "submit").calls[0].clone();
    reply(&mut p, &call, Ok(yk_list()));
    p
}

#[cfg(feature = "full")]
#[test]
fn unlock_lists_the_accounts_and_keeps_the_password_out_of_the_view() {
    let mut p = locked();
    let step = yk_open(&mut p, Action::OtpUnlock, None);
    let dlg = step.view.dialog.clone().expect("unlock dialog");
    assert_eq!(dlg.kind, Action::OtpUnlock);
    assert!(step.calls.is_empty(), "nothing sent before the user types");
    let step = field(&mut p, "pin", PASSWORD);
    assert!(!json_of(&step).contains(PASSWORD), "typed, not echoed");
    let step = press(&mut p, "submit");
    assert_eq!(methods(&step.calls), vec!["otp.list"]);
    assert_eq!(
        step.calls[0].params,
        json!({"device": "Y1", "pin": PASSWORD})
    );
    let step = reply(&mut p, &step.calls[0].clone(), Ok(yk_list()));
    assert!(step.view.dialog.is_none(), "closed on success");
    let otp = step.view.tokens.items[0].otp.clone().expect("otp section");
    assert_eq!(otp.state, OtpState::Ready);
    assert_eq!(otp.entries[0].title, Text::literal("Example: alice"));
    assert!(otp.unlock.is_none());
    assert!(!json_of(&step).contains(PASSWORD));
    assert!(!serde_json::to_string(&p.view())
        .expect("json")
        .contains(PASSWORD));
}

#[cfg(feature = "full")]
#[test]
fn wrong_password_shows_the_error_and_is_never_retried() {
    let mut p = locked();
    yk_open(&mut p, Action::OtpUnlock, None);
    field(&mut p, "pin", WRONG);
    let call = press(&mut p, "submit").calls[0].clone();
    let step = reply(&mut p, &call, Err(wrong()));
    assert!(step.calls.is_empty(), "no automatic retry");
    let dlg = step.view.dialog.clone().expect("still open");
    assert_eq!(dlg.kind, Action::OtpUnlock);
    let text = json_of(&step);
    assert!(text.contains("err_oath_password_wrong"), "{text}");
    assert!(!text.contains(WRONG));
    let otp = step.view.tokens.items[0].otp.clone().expect("otp section");
    assert_eq!(otp.state, OtpState::Locked, "still locked");
    // Submitting again without typing sends nothing: the field was wiped.
    let step = press(&mut p, "submit");
    assert!(step.calls.is_empty());
    assert!(json_of(&step).contains("err_oath_password_empty"));
    // Nothing kept: a relist still asks without a password.
    p.apply(PopupInput::Close);
    let step = relist(&mut p);
    assert_eq!(step.calls[0].params, json!({"device": "Y1"}));
}

#[cfg(feature = "full")]
#[test]
fn the_kept_password_goes_with_the_keys_later_calls() {
    let mut p = unlocked();
    let step = yk_open(&mut p, Action::OtpCode, Some("Example:alice"));
    assert_eq!(methods(&step.calls), vec!["otp.code"]);
    assert_eq!(
        step.calls[0].params,
        json!({"device": "Y1", "entry": "Example:alice", "pin": PASSWORD})
    );
    assert!(!json_of(&step).contains(PASSWORD));
    let step = reply(
        &mut p,
        &step.calls[0].clone(),
        Ok(json!({"code": "123456", "valid_until": 1_700_000_030u64, "period": 30})),
    );
    assert_eq!(step.view.dialog.map(|d| d.step), Some("code"));
    p.apply(PopupInput::Close);
    // Delete (full module) gets it too.
    yk_open(&mut p, Action::OtpDelete, Some("Example:alice"));
    field(&mut p, "confirm", "Example:alice");
    let step = press(&mut p, "submit");
    assert_eq!(
        step.calls[0].params,
        json!({"device": "Y1", "entry": "Example:alice", "confirm": "Example:alice", "pin": PASSWORD})
    );
    p.apply(PopupInput::Close);
    // And the list after devices.list.
    let step = relist(&mut p);
    assert_eq!(
        step.calls[0].params,
        json!({"device": "Y1", "pin": PASSWORD})
    );
    let step = reply(&mut p, &step.calls[0].clone(), Ok(yk_list()));
    assert_eq!(
        step.view.tokens.items[0].otp.as_ref().map(|o| o.state),
        Some(OtpState::Ready)
    );
}

#[cfg(feature = "full")]
#[test]
fn a_refused_password_is_forgotten_and_unlock_shows_again() {
    for refusal in [pin_required(), wrong()] {
        let mut p = unlocked();
        let step = yk_open(&mut p, Action::OtpCode, Some("Example:alice"));
        let step = reply(&mut p, &step.calls[0].clone(), Err(refusal));
        assert!(step.view.dialog.is_none(), "no PIN prompt, no retry");
        assert!(step.calls.is_empty());
        assert_eq!(
            step.view.notice.map(|n| n.text),
            Some(Text::key("notice_otp_relocked"))
        );
        let otp = step.view.tokens.items[0].otp.clone().expect("otp section");
        assert_eq!(otp.state, OtpState::Locked);
        assert!(yk_open(&mut p, Action::OtpCode, Some("Example:alice"))
            .calls
            .is_empty());
        let step = relist(&mut p);
        assert_eq!(step.calls[0].params, json!({"device": "Y1"}), "forgotten");
    }
    // The same when the background list is the one refused.
    let mut p = unlocked();
    let step = relist(&mut p);
    let step = reply(&mut p, &step.calls[0].clone(), Err(wrong()));
    let otp = step.view.tokens.items[0].otp.clone().expect("otp section");
    assert_eq!(otp.state, OtpState::Locked);
    let step = relist(&mut p);
    assert_eq!(step.calls[0].params, json!({"device": "Y1"}));
}

#[cfg(feature = "full")]
#[test]
fn unlock_opens_only_on_a_locked_key() {
    let mut p = unlocked();
    assert!(yk_open(&mut p, Action::OtpUnlock, None)
        .view
        .dialog
        .is_none());
    let mut p = with_otp();
    assert!(open_entry(&mut p, Action::OtpUnlock, None)
        .view
        .dialog
        .is_none());
}

/// The popup's first module has no Unlock dialog: it asks for the full one.
#[cfg(not(feature = "full"))]
#[test]
fn first_module_loads_the_full_one_for_unlock() {
    let mut p = locked();
    let step = yk_open(&mut p, Action::OtpUnlock, None);
    assert_eq!(step.effects, vec![Effect::LoadFull]);
    assert!(step.calls.is_empty() && step.view.dialog.is_none());
}
