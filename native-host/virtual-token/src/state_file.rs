//! The card's state file: one JSON document ([`CardState`]), written atomically
//! (temp file, fsync, rename, fsync of the directory) so a crash at any instant
//! leaves either the old or the new state; locked so two processes cannot share it.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::card::{CardState, STATE_KIND};

/// Why the state file cannot be used.
#[derive(Debug, Error)]
pub enum StateError {
    /// Another process holds the file.
    #[error("{0} is in use by another virtual card; stop it or pick another --state file")]
    Locked(PathBuf),
    /// The file is not JSON or not a card state.
    #[error("{path} is damaged ({reason}); move it away to start from factory state")]
    Corrupt {
        /// File.
        path: PathBuf,
        /// Parse error.
        reason: String,
    },
    /// The file belongs to something else, or to another profile.
    #[error("{path} is not a state file for this card ({reason}); pick another --state file")]
    Foreign {
        /// File.
        path: PathBuf,
        /// What did not match.
        reason: String,
    },
    /// A file operation failed.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What we tried.
        action: &'static str,
        /// Which file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> StateError + 'a {
    move |source| StateError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// An open, locked state file.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    _lock: File,
}

impl StateFile {
    /// Locks `path` (through `path.lock`) and reads the state in it, if any.
    pub fn open(path: &Path, profile: &str) -> Result<(StateFile, Option<CardState>), StateError> {
        let lock_path = path.with_extension("lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io("open", &lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(StateError::Locked(path.to_path_buf())),
            Err(TryLockError::Error(e)) => return Err(io("lock", &lock_path)(e)),
        }
        let state = match fs::read(path) {
            Ok(bytes) => Some(parse(path, &bytes, profile)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io("read", path)(e)),
        };
        Ok((
            StateFile {
                path: path.to_path_buf(),
                _lock: lock,
            },
            state,
        ))
    }

    /// Path of the state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Replaces the state atomically.
    pub fn save(&self, state: &CardState) -> Result<(), StateError> {
        let bytes = serde_json::to_vec(state).map_err(|e| StateError::Corrupt {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        let tmp = self.path.with_extension("tmp");
        let mut f = File::create(&tmp).map_err(io("create", &tmp))?;
        f.write_all(&bytes).map_err(io("write", &tmp))?;
        f.sync_all().map_err(io("sync", &tmp))?;
        drop(f);
        fs::rename(&tmp, &self.path).map_err(io("replace", &self.path))?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Make the rename itself durable (POSIX: fsync the directory).
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

/// Parses and checks a state file's bytes.
pub fn parse(path: &Path, bytes: &[u8], profile: &str) -> Result<CardState, StateError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| StateError::Corrupt {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    if value.get("kind").and_then(|k| k.as_str()) != Some(STATE_KIND) {
        return Err(StateError::Foreign {
            path: path.to_path_buf(),
            reason: format!("no \"kind\": \"{STATE_KIND}\" marker"),
        });
    }
    let state: CardState = serde_json::from_value(value).map_err(|e| StateError::Corrupt {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    if state.profile != profile {
        return Err(StateError::Foreign {
            path: path.to_path_buf(),
            reason: format!("it holds a {:?} card, not {profile:?}", state.profile),
        });
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::{ButtonMode, Platform};
    use crate::profile::Profile;

    fn temp_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "tessera-state-{}-{}",
            std::process::id(),
            rand::random::<u64>()
        ));
        fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn round_trip_lock_and_errors() {
        let dir = temp_dir();
        let path = dir.join("card.json");
        let card = Profile::CrescendoKey.build(Platform::deterministic(1, ButtonMode::Never).0);
        {
            let (file, state) = StateFile::open(&path, "crescendo-key").expect("open");
            assert!(state.is_none());
            file.save(&card.save_state()).expect("save");
            assert!(matches!(
                StateFile::open(&path, "crescendo-key"),
                Err(StateError::Locked(_))
            ));
        }
        let (_file, state) = StateFile::open(&path, "crescendo-key").expect("reopen");
        assert_eq!(state, Some(card.save_state()));
        drop(_file);
        assert!(matches!(
            StateFile::open(&path, "ykoath"),
            Err(StateError::Foreign { .. })
        ));
        fs::write(&path, b"{\"kind\":\"x\"}").expect("write");
        assert!(matches!(
            StateFile::open(&path, "crescendo-key"),
            Err(StateError::Foreign { .. })
        ));
        fs::write(&path, b"{garbage").expect("write");
        assert!(matches!(
            StateFile::open(&path, "crescendo-key"),
            Err(StateError::Corrupt { .. })
        ));
        let _ = fs::remove_dir_all(dir);
    }
}
