//! A scripted [`SmartCardConnection`] for session tests: it replays
//! command/response pairs in strict order and fails naming the step
//! ("at step N expected X, got Y"), like web-eid's PcscMock.

use std::collections::VecDeque;

use crate::connection::{SmartCardConnection, TransportError};

/// Replays a script of (command hex, response hex) pairs.
#[derive(Debug)]
pub struct ScriptedConnection {
    steps: VecDeque<(Vec<u8>, Vec<u8>)>,
    step: usize,
    failure: Option<String>,
}

fn unhex(s: &str) -> Vec<u8> {
    let clean: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    hex::decode(&clean).unwrap_or_else(|e| panic!("bad hex in script {s:?}: {e}"))
}

impl ScriptedConnection {
    /// A script; hex may contain spaces.
    pub fn new(script: &[(&str, &str)]) -> ScriptedConnection {
        ScriptedConnection {
            steps: script.iter().map(|(c, r)| (unhex(c), unhex(r))).collect(),
            step: 0,
            failure: None,
        }
    }

    /// Panics unless every step ran and none failed.
    pub fn finish(&self) {
        if let Some(f) = &self.failure {
            panic!("{f}");
        }
        assert!(
            self.steps.is_empty(),
            "script not finished: {} step(s) left, next expected {}",
            self.steps.len(),
            self.steps
                .front()
                .map(|(c, _)| hex::encode_upper(c))
                .unwrap_or_default()
        );
    }
}

impl SmartCardConnection for ScriptedConnection {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.step += 1;
        let got = hex::encode_upper(apdu);
        let message = match self.steps.pop_front() {
            Some((expected, response)) if expected == apdu => return Ok(response),
            Some((expected, _)) => format!(
                "at step {} expected {}, got {got}",
                self.step,
                hex::encode_upper(expected)
            ),
            None => format!("at step {}: script ended, got {got}", self.step),
        };
        self.failure.get_or_insert(message.clone());
        Err(TransportError::Pcsc(message))
    }
}
