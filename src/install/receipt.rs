//! The install receipt: every file and directory `tessera install` created, so
//! `tessera uninstall` removes exactly those. Written atomically (temp + rename).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{io_err, InstallError};

/// Receipt file name, in Tessera's data root.
pub const FILE_NAME: &str = "install-receipt.json";
const FORMAT: u32 = 1;

/// Paths created by install.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Receipt {
    format: u32,
    files: BTreeSet<PathBuf>,
    dirs: BTreeSet<PathBuf>,
    #[serde(default)]
    registry_keys: BTreeSet<String>,
}

impl Receipt {
    /// Loads a receipt; `None` when there is none.
    pub fn load(path: &Path) -> Result<Option<Receipt>, InstallError> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err("read", path)(e)),
        };
        let receipt: Receipt =
            serde_json::from_str(&text).map_err(|e| InstallError::BadReceipt {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        if receipt.format != FORMAT {
            return Err(InstallError::BadReceipt {
                path: path.to_path_buf(),
                reason: format!("format {} is not {FORMAT}", receipt.format),
            });
        }
        Ok(Some(receipt))
    }

    /// Saves atomically.
    pub fn save(&mut self, path: &Path) -> Result<(), InstallError> {
        self.format = FORMAT;
        let tmp = path.with_extension("json.tmp");
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| InstallError::BadReceipt {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        fs::write(&tmp, bytes).map_err(io_err("write", &tmp))?;
        fs::rename(&tmp, path).map_err(io_err("rename", path))
    }

    /// Records a file written.
    pub fn add_file(&mut self, path: PathBuf) {
        self.files.insert(path);
    }

    /// Records a directory created.
    pub fn add_dir(&mut self, path: PathBuf) {
        self.dirs.insert(path);
    }

    /// Records a registry key created (Windows).
    #[cfg(windows)]
    pub fn add_registry_key(&mut self, key: String) {
        self.registry_keys.insert(key);
    }

    /// Files written.
    pub fn files(&self) -> impl Iterator<Item = &PathBuf> {
        self.files.iter()
    }

    /// Registry keys created.
    #[cfg(windows)]
    pub fn registry_keys(&self) -> impl Iterator<Item = &String> {
        self.registry_keys.iter()
    }

    /// Created directories, children before parents.
    pub fn dirs_deepest_first(&self) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = self.dirs.iter().cloned().collect();
        dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        dirs
    }
}
