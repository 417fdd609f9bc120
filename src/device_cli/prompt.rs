//! Reading PINs, PUKs, admin keys and confirmations: from the terminal (secrets
//! without echo, through `rpassword`) or, when stdin is not a terminal, from
//! stdin one per line in prompt order. Never from argv. Prompts go to stderr.

use std::io::{BufRead, IsTerminal, Write};

use tessera_core::protocol::{ErrorBody, ErrorCode};
use tessera_core::secret::Secret;
use zeroize::Zeroize;

use super::host::Failure;

/// Where answers come from.
pub struct Prompter {
    terminal: bool,
    stdin: std::io::StdinLock<'static>,
}

impl Prompter {
    /// Reads from the terminal when stdin is one, else from stdin's lines.
    pub fn new() -> Prompter {
        let stdin = std::io::stdin();
        Prompter {
            terminal: stdin.is_terminal(),
            stdin: stdin.lock(),
        }
    }

    fn show(&self, prompt: &str) {
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let _ = write!(err, "{prompt}: ");
        } else {
            // Piped answers are not echoed: keep each prompt on its own line.
            let _ = writeln!(err, "{prompt}:");
        }
        let _ = err.flush();
    }

    fn ended(what: &str) -> Failure {
        Failure::error(
            ErrorBody::new(
                ErrorCode::BadInput,
                format!("standard input ended before the {what} was read"),
            )
            .with("field", what),
            format!(
                "standard input ended before the {what} was read. Give one answer per line, \
                 in the order of the prompts, or run the command in a terminal."
            ),
        )
    }

    fn read_line(&mut self, what: &str) -> Result<String, Failure> {
        let mut line = String::new();
        match self.stdin.read_line(&mut line) {
            Ok(0) => Err(Prompter::ended(what)),
            Ok(_) => {
                let trimmed = line.trim_end_matches(['\n', '\r']).to_owned();
                line.zeroize();
                Ok(trimmed)
            }
            Err(e) => Err(Failure::error(
                ErrorBody::new(ErrorCode::BadInput, format!("cannot read the {what}: {e}")),
                format!("cannot read the {what} from standard input: {e}."),
            )),
        }
    }

    /// A secret (PIN, PUK, admin key, helpdesk response): no echo on a terminal.
    /// `what` names it in errors ("PIN", "new PIN", …).
    pub fn secret(&mut self, prompt: &str, what: &str) -> Result<Secret, Failure> {
        self.show(prompt);
        let mut typed = if self.terminal {
            rpassword::read_password().map_err(|e| {
                Failure::error(
                    ErrorBody::new(ErrorCode::BadInput, format!("cannot read the {what}: {e}")),
                    format!("cannot read the {what} from the terminal: {e}."),
                )
            })?
        } else {
            self.read_line(what)?
        };
        let secret = Secret::new(typed.as_str());
        typed.zeroize();
        if secret.expose().is_empty() {
            return Err(Failure::error(
                ErrorBody::new(ErrorCode::BadInput, format!("no {what} was entered"))
                    .with("field", what),
                format!(
                    "no {what} was entered; nothing was sent to the token. Run the \
                     command again and enter it."
                ),
            ));
        }
        Ok(secret)
    }

    /// A new PIN, asked twice when a person types it.
    pub fn new_pin(&mut self, prompt: &str) -> Result<Secret, Failure> {
        let first = self.secret(prompt, "new PIN")?;
        if self.terminal {
            let again = self.secret("Repeat the new PIN", "new PIN")?;
            if again != first {
                return Err(Failure::error(
                    ErrorBody::new(ErrorCode::BadInput, "the two new PINs differ")
                        .with("field", "new PIN"),
                    "the two new PINs differ; nothing was sent to the token. Run the command \
                     again.",
                ));
            }
        }
        Ok(first)
    }

    /// An answer shown as it is typed (a typed confirmation, yes/no).
    pub fn line(&mut self, prompt: &str, what: &str) -> Result<String, Failure> {
        self.show(prompt);
        self.read_line(what)
    }
}
