//! What a token's tile offers: the lock icon, the kebab menu (every action, the
//! ones the token cannot do or cannot do now disabled with a reason), and the
//! one thing to do first (unblock a blocked PIN, change a PIN the policy
//! demands to change).

use crate::protocol::{Feature, PinStatus, TokenInfo};

use super::view::{Action, LockState, LockView, MenuItem, Text};

/// The menu, in the order ActivClient's Devices view lists its actions.
const ORDER: [Action; 9] = [
    Action::Authenticate,
    Action::ChangePin,
    Action::Unblock,
    Action::ViewPuk,
    Action::PairingCode,
    Action::PinPolicy,
    Action::ClearCache,
    Action::Recycle,
    Action::Personalize,
];

/// The tile's parts derived from a probed token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileActions {
    /// Lock icon.
    pub lock: Option<LockView>,
    /// What to do first.
    pub notice: Option<Text>,
    /// The button for it.
    pub primary: Option<MenuItem>,
    /// Kebab menu.
    pub menu: Vec<MenuItem>,
}

/// The lock icon for a PIN state.
pub fn lock_view(pin: Option<PinStatus>) -> Option<LockView> {
    Some(match pin? {
        PinStatus::Verified => LockView {
            state: LockState::Verified,
            label: Text::key("lock_verified"),
        },
        PinStatus::Locked {
            tries_left: Some(1),
        } => LockView {
            state: LockState::Locked,
            label: Text::key("lock_locked_one"),
        },
        PinStatus::Locked {
            tries_left: Some(n),
        } => LockView {
            state: LockState::Locked,
            label: Text::with("lock_locked_tries", [n.to_string()]),
        },
        PinStatus::Locked { tries_left: None } => LockView {
            state: LockState::Locked,
            label: Text::key("lock_locked"),
        },
        PinStatus::Blocked => LockView {
            state: LockState::Blocked,
            label: Text::key("lock_blocked"),
        },
    })
}

/// Menu label of an action.
pub fn action_label(action: Action) -> &'static str {
    match action {
        Action::Authenticate => "action_authenticate",
        Action::Lock => "action_lock",
        Action::ChangePin => "action_change_pin",
        Action::Unblock => "action_unblock",
        Action::ViewPuk => "action_view_puk",
        Action::PairingCode => "action_pairing_code",
        Action::PinPolicy => "action_pin_policy",
        Action::ClearCache => "action_clear_cache",
        Action::Recycle => "action_recycle",
        Action::Personalize => "action_personalize",
        Action::OtpCode => "action_otp_code",
        Action::OtpAdd => "action_otp_add",
        Action::OtpDelete => "action_otp_delete",
        Action::OtpUnlock => "otp_unlock",
        Action::Fido => "fido_menu",
        Action::Button => "action_button",
    }
}

/// Whether the token has what `action` needs.
pub fn supports(token: &TokenInfo, action: Action) -> bool {
    let has = |f: Feature| token.features.contains(&f);
    match action {
        Action::Authenticate | Action::Lock => has(Feature::Authenticate),
        Action::ChangePin => has(Feature::ChangePin),
        Action::Unblock => {
            has(Feature::UnblockAdminKey)
                || has(Feature::UnblockChallenge)
                || has(Feature::UnblockPuk)
        }
        Action::ViewPuk => has(Feature::ViewPuk),
        Action::PairingCode => has(Feature::PairingCode),
        Action::PinPolicy => has(Feature::PinPolicy),
        Action::ClearCache => true,
        Action::Recycle => has(Feature::Recycle),
        Action::Personalize => has(Feature::Personalize),
        Action::OtpCode | Action::OtpAdd | Action::OtpDelete => has_otp(token),
        Action::OtpUnlock => token.applets.ykoath,
        Action::Fido => token.applets.fido,
        // The button types OATH slot 1's HOTP (Crescendo Key, crescendo-apdu.md §5.1).
        Action::Button => token.applets.oath_slots > 0,
    }
}

/// Whether the token has an OTP applet (Crescendo OATH slots or YKOATH).
pub fn has_otp(token: &TokenInfo) -> bool {
    token.applets.oath_slots > 0 || token.applets.ykoath
}

/// Actions the organisation keeps on a managed token
/// ([`crate::protocol::Feature::admin_only`]; Unblock stays, by the
/// helpdesk challenge).
fn admin_only(action: Action) -> bool {
    matches!(
        action,
        Action::ViewPuk | Action::PinPolicy | Action::Recycle | Action::Personalize
    )
}

/// Why `action` cannot be used now (`None` = it can).
fn blocked_reason(token: &TokenInfo, action: Action) -> Option<&'static str> {
    if token.managed && admin_only(action) {
        return Some("reason_managed");
    }
    if !supports(token, action) {
        return Some("reason_unsupported");
    }
    let blocked = token.pin == Some(PinStatus::Blocked);
    match action {
        // Always possible: they are the way out of a blocked or forced state.
        Action::Unblock | Action::ClearCache | Action::Lock => None,
        // The OTP applets have their own access control (the host says).
        Action::OtpCode
        | Action::OtpAdd
        | Action::OtpDelete
        | Action::OtpUnlock
        | Action::Button => None,
        // The FIDO app has its own PIN: the smart-card PIN's state does not matter.
        Action::Fido => None,
        Action::ChangePin if blocked => Some("reason_blocked"),
        Action::ChangePin => None,
        _ if blocked => Some("reason_blocked"),
        _ if token.must_change_pin => Some("reason_must_change"),
        _ => None,
    }
}

fn item(token: &TokenInfo, action: Action) -> MenuItem {
    let reason = blocked_reason(token, action);
    MenuItem {
        action,
        label: Text::key(action_label(action)),
        enabled: reason.is_none(),
        reason: reason.map(Text::key),
        danger: matches!(action, Action::Recycle | Action::Personalize),
    }
}

/// Whether `action` is offered and enabled for `token` (the popup refuses the rest).
pub fn allowed(token: &TokenInfo, action: Action) -> bool {
    tile_actions(token)
        .menu
        .iter()
        .any(|m| m.action == action && m.enabled)
}

/// Everything the tile of `token` shows besides its name.
pub fn tile_actions(token: &TokenInfo) -> TileActions {
    let mut menu = ORDER
        .iter()
        .map(|&a| {
            if a == Action::Authenticate && token.pin == Some(PinStatus::Verified) {
                item(token, Action::Lock)
            } else {
                item(token, a)
            }
        })
        .collect::<Vec<_>>();
    if token.applets.fido {
        menu.push(item(token, Action::Fido));
    }
    if supports(token, Action::Button) {
        menu.push(item(token, Action::Button));
    }
    let (notice, primary) = if token.pin == Some(PinStatus::Blocked) {
        (
            Some(Text::key("tile_blocked")),
            supports(token, Action::Unblock).then(|| item(token, Action::Unblock)),
        )
    } else if token.must_change_pin {
        (
            Some(Text::key("tile_must_change")),
            supports(token, Action::ChangePin).then(|| item(token, Action::ChangePin)),
        )
    } else if token.managed {
        (Some(Text::key("tile_managed")), None)
    } else {
        (None, None)
    };
    TileActions {
        lock: lock_view(token.pin),
        notice,
        primary,
        menu,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Applets;

    fn crescendo(pin: Option<PinStatus>, must_change: bool) -> TokenInfo {
        let applets = Applets {
            aca: true,
            oath_slots: 3,
            piv: true,
            ykoath: false,
            fido: true,
        };
        TokenInfo {
            id: "ABCD".into(),
            features: applets.features(),
            applets,
            pin,
            must_change_pin: must_change,
            managed: false,
        }
    }

    fn enabled(t: &TileActions) -> Vec<Action> {
        t.menu
            .iter()
            .filter(|m| m.enabled)
            .map(|m| m.action)
            .collect()
    }

    #[test]
    fn crescendo_offers_everything_and_lock_when_verified() {
        let t = tile_actions(&crescendo(
            Some(PinStatus::Locked {
                tries_left: Some(6),
            }),
            false,
        ));
        let mut all = ORDER.to_vec();
        all.push(Action::Fido);
        all.push(Action::Button);
        assert_eq!(
            enabled(&t),
            all,
            "FIDO, then the key button, for a token with FIDO and OATH slots"
        );
        assert_eq!(
            t.lock.expect("lock").label,
            Text::with("lock_locked_tries", ["6".to_string()])
        );
        assert_eq!(t.primary, None);
        let t = tile_actions(&crescendo(Some(PinStatus::Verified), false));
        assert_eq!(t.menu[0].action, Action::Lock);
        assert_eq!(t.lock.expect("lock").state, LockState::Verified);
    }

    #[test]
    fn last_try_label() {
        let l = lock_view(Some(PinStatus::Locked {
            tries_left: Some(1),
        }))
        .expect("lock");
        assert_eq!(l.label, Text::key("lock_locked_one"));
    }

    #[test]
    fn blocked_pin_leads_to_unblock() {
        let t = tile_actions(&crescendo(Some(PinStatus::Blocked), false));
        assert_eq!(t.notice, Some(Text::key("tile_blocked")));
        assert_eq!(t.primary.as_ref().map(|p| p.action), Some(Action::Unblock));
        assert_eq!(
            enabled(&t),
            vec![
                Action::Unblock,
                Action::ClearCache,
                Action::Fido,
                Action::Button
            ],
            "the FIDO PIN is not the smart-card PIN, the button has its own access"
        );
        let auth = &t.menu[0];
        assert_eq!(auth.reason, Some(Text::key("reason_blocked")));
        assert_eq!(t.lock.expect("lock").label, Text::key("lock_blocked"));
    }

    #[test]
    fn must_change_demands_a_pin_change_first() {
        let token = crescendo(
            Some(PinStatus::Locked {
                tries_left: Some(6),
            }),
            true,
        );
        let t = tile_actions(&token);
        assert_eq!(
            t.primary.as_ref().map(|p| p.action),
            Some(Action::ChangePin)
        );
        assert_eq!(
            enabled(&t),
            vec![
                Action::ChangePin,
                Action::Unblock,
                Action::ClearCache,
                Action::Fido,
                Action::Button
            ]
        );
        assert!(!allowed(&token, Action::Recycle));
        assert!(allowed(&token, Action::ChangePin));
    }

    #[test]
    fn generic_piv_lacks_crescendo_features_with_a_reason() {
        let applets = Applets {
            piv: true,
            ykoath: true,
            fido: true,
            ..Applets::default()
        };
        let token = TokenInfo {
            id: "Y".into(),
            features: applets.features(),
            applets,
            pin: None,
            must_change_pin: false,
            managed: false,
        };
        let t = tile_actions(&token);
        for m in &t.menu {
            let expect = matches!(
                m.action,
                Action::Authenticate
                    | Action::ChangePin
                    | Action::Unblock
                    | Action::ClearCache
                    | Action::Fido
            );
            assert_eq!(m.enabled, expect, "{:?}", m.action);
            if !expect {
                assert_eq!(m.reason, Some(Text::key("reason_unsupported")));
            }
        }
        assert_eq!(t.lock, None);
        let no_fido = TokenInfo {
            applets: Applets {
                fido: false,
                ..token.applets
            },
            ..token
        };
        assert!(
            !tile_actions(&no_fido)
                .menu
                .iter()
                .any(|m| m.action == Action::Fido),
            "no FIDO entry without the FIDO app"
        );
        assert!(!allowed(&no_fido, Action::Fido));
    }

    #[test]
    fn a_managed_token_keeps_its_admin_actions_for_the_organisation() {
        let applets = Applets {
            aca: true,
            oath_slots: 3,
            piv: true,
            ykoath: false,
            fido: true,
        };
        let token = TokenInfo {
            id: "M".into(),
            // As the host sends it: the admin-only features withheld.
            features: applets
                .features()
                .into_iter()
                .filter(|f| !f.admin_only())
                .collect(),
            applets,
            pin: Some(PinStatus::Locked {
                tries_left: Some(6),
            }),
            must_change_pin: false,
            managed: true,
        };
        let t = tile_actions(&token);
        assert_eq!(t.notice, Some(Text::key("tile_managed")));
        for m in &t.menu {
            let theirs = admin_only(m.action);
            assert_eq!(m.enabled, !theirs, "{:?}", m.action);
            assert_eq!(
                m.reason,
                theirs.then(|| Text::key("reason_managed")),
                "{:?}",
                m.action
            );
        }
        assert!(
            allowed(&token, Action::Unblock),
            "by the helpdesk challenge"
        );
    }
}
