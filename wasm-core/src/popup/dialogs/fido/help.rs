//! FIDO troubleshooting: the problems a browser user meets, each with its fix,
//! in `tessera doctor`'s words. What the host's answers showed for this key
//! comes first ("Found on this key"); the rest follows as reference.

use crate::protocol::ErrorCode;

use super::super::super::view::{Block, RowView, Text, Tone};
use super::super::{button, Body, Token};
use super::Fido;

/// The problems, in the order doctor checks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// The smart-card service (pcscd) is not running.
    Service,
    /// The Tessera host is not installed for this browser.
    Host,
    /// No FIDO app answering on this key.
    NoApp,
    /// U2F only.
    U2fOnly,
    /// Three wrong PINs in a row.
    PowerCycle,
    /// The FIDO PIN is blocked.
    Blocked,
    /// No room for another passkey.
    Full,
}

const ALL: [Problem; 7] = [
    Problem::Service,
    Problem::Host,
    Problem::NoApp,
    Problem::U2fOnly,
    Problem::PowerCycle,
    Problem::Blocked,
    Problem::Full,
];

fn texts(p: Problem, t: &Token) -> (Text, Text) {
    let (title, fix) = match p {
        Problem::Service => ("fido_help_service", "fido_help_service_fix"),
        Problem::Host => ("fido_help_host", "fido_help_host_fix"),
        Problem::NoApp => ("fido_help_no_app", "fido_help_no_app_fix"),
        Problem::U2fOnly => ("fido_help_u2f", "fido_help_u2f_fix"),
        Problem::PowerCycle => ("fido_help_power_cycle", "fido_help_power_cycle_fix"),
        Problem::Blocked => {
            return (
                Text::key("fido_help_blocked"),
                Text::with("fido_help_blocked_fix", [t.id.clone()]),
            )
        }
        Problem::Full => {
            return (
                Text::key("fido_help_full"),
                Text::with("fido_help_full_fix", [t.id.clone()]),
            )
        }
    };
    (Text::key(title), Text::key(fix))
}

impl Fido {
    /// What the host's answers showed for this key.
    pub fn found(&self) -> Vec<Problem> {
        let mut out = vec![];
        match self.info_error {
            Some(ErrorCode::PcscUnavailable) => out.push(Problem::Service),
            Some(ErrorCode::HostNotFound) => out.push(Problem::Host),
            Some(ErrorCode::NotSupported | ErrorCode::TransportError) => out.push(Problem::NoApp),
            _ => {}
        }
        if let Some(info) = &self.info {
            if info.info.u2f_only {
                out.push(Problem::U2fOnly);
            }
            if self.power_cycle {
                out.push(Problem::PowerCycle);
            }
            if info.blocked() {
                out.push(Problem::Blocked);
            }
            let remaining = self
                .creds
                .as_ref()
                .map(|c| c.metadata.remaining)
                .or(info.info.remaining_discoverable_credentials);
            if remaining == Some(0) {
                out.push(Problem::Full);
            }
        }
        out
    }

    pub(super) fn help_body(&self, t: &Token) -> Body {
        let found = self.found();
        let row = |p: Problem, tone: Tone| {
            let (title, fix) = texts(p, t);
            RowView {
                title,
                detail: Some(fix),
                tone,
                button: None,
            }
        };
        let mut blocks = vec![];
        if found.is_empty() {
            blocks.push(Block::Text {
                text: Text::key("fido_help_none_found"),
                tone: Tone::Ok,
            });
        } else {
            blocks.push(Block::Rows {
                label: Some(Text::key("fido_help_found")),
                items: found.iter().map(|&p| row(p, Tone::Warning)).collect(),
            });
        }
        blocks.push(Block::Rows {
            label: Some(Text::key("fido_help_other")),
            items: ALL
                .iter()
                .filter(|p| !found.contains(p))
                .map(|&p| row(p, Tone::Info))
                .collect(),
        });
        blocks.push(Block::Text {
            text: Text::key("fido_help_doctor"),
            tone: Tone::Info,
        });
        Body {
            step: "help",
            blocks,
            error: None,
            actions: vec![
                button("back", "btn_back", true),
                button("cancel", "btn_close", false),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{info_set, opened};
    use super::*;
    use crate::popup::dialogs::Dialog;
    use crate::protocol::ErrorBody;
    use serde_json::json;

    #[test]
    fn found_problems_come_first() {
        let (mut d, t) = opened(info_set(0));
        assert_eq!(d.found(), vec![Problem::Blocked]);
        d.action(&t, "help");
        let b = d.body(&t);
        assert_eq!(b.step, "help");
        match &b.blocks[0] {
            Block::Rows { label, items } => {
                assert_eq!(label, &Some(Text::key("fido_help_found")));
                assert_eq!(items[0].title, Text::key("fido_help_blocked"));
                assert_eq!(
                    items[0].detail,
                    Some(Text::with("fido_help_blocked_fix", ["ID1".to_string()]))
                );
            }
            other => panic!("{other:?}"),
        }
        d.action(&t, "back");
        assert_eq!(d.body(&t).step, "panel");
    }

    #[test]
    fn each_answer_maps_to_its_problem() {
        let mut v = info_set(5);
        v["info"]["remainingDiscoverableCredentials"] = json!(0);
        v["retries"]["powerCycleState"] = json!(true);
        let (d, _) = opened(v);
        assert_eq!(d.found(), vec![Problem::PowerCycle, Problem::Full]);
        let (d, _) = opened(json!({"pin": "unsupported", "info": {"u2fOnly": true}}));
        assert_eq!(d.found(), vec![Problem::U2fOnly]);
        let (d, t) = opened(info_set(8));
        assert!(d.found().is_empty());
        assert_eq!(
            super::super::tests::keys(&d.help_body(&t))[0],
            "fido_help_none_found"
        );
        for (code, p) in [
            (ErrorCode::PcscUnavailable, Problem::Service),
            (ErrorCode::NotSupported, Problem::NoApp),
            (ErrorCode::TransportError, Problem::NoApp),
        ] {
            let mut t = crate::popup::dialogs::tests::crescendo(Some(6));
            let mut d = Fido::new();
            d.start(&t);
            d.reply(&mut t, "fido.info", Err(ErrorBody::new(code, "x")));
            assert_eq!(d.found(), vec![p]);
        }
    }
}
