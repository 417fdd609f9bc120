//! `tessera install` / `tessera uninstall`: unpack the embedded extension, copy the
//! host binary, write the host manifest where each browser looks, and record every
//! path created in a receipt so uninstall reverses it exactly.

pub mod locations;
mod receipt;
#[cfg(windows)]
mod registry;

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tessera_core::browser::Browser;
use tessera_core::identity::{chromium_origin, FIREFOX_EXTENSION_ID};
use thiserror::Error;

pub use locations::Scope;
use receipt::Receipt;

use crate::embedded;

/// Why install or uninstall failed.
#[derive(Debug, Error)]
pub enum InstallError {
    /// No home directory to install into.
    #[error("cannot find your home directory; set HOME and try again")]
    NoHome,
    /// `--user-data-dir` given for Firefox.
    #[error("--user-data-dir applies to Chromium-family browsers only; Firefox reads ~/.mozilla/native-messaging-hosts")]
    UserDataDirFirefox,
    /// A file operation failed.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What we tried.
        action: &'static str,
        /// On which path.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The receipt is missing.
    #[error("Tessera is not installed here (no receipt at {0}); nothing to remove")]
    NotInstalled(PathBuf),
    /// The receipt is unreadable.
    #[error("the install receipt {path} is damaged ({reason}); remove the files by hand (see docs/ARCHITECTURE.md \"Install\")")]
    BadReceipt {
        /// Receipt path.
        path: PathBuf,
        /// Parse error.
        reason: String,
    },
    /// A Windows registry operation failed.
    #[cfg(windows)]
    #[error("cannot write the registry key {key}: {reason}")]
    Registry {
        /// Key path.
        key: String,
        /// Why.
        reason: String,
    },
}

pub(crate) fn io_err<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> InstallError + 'a {
    move |source| InstallError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// What to install.
#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// Browsers to register the host with.
    pub browsers: Vec<Browser>,
    /// User or machine-wide.
    pub scope: Scope,
    /// A Chromium `--user-data-dir` to register into instead of the default profile root.
    pub user_data_dir: Option<PathBuf>,
    /// Staging root for packagers (`DESTDIR`): files land under it, paths inside
    /// them do not include it.
    pub destdir: Option<PathBuf>,
}

/// What install did, for the CLI to print.
#[derive(Debug)]
pub struct InstallReport {
    /// Installed host binary.
    pub binary: PathBuf,
    /// Unpacked extension folders (chromium, firefox).
    pub extensions: Vec<PathBuf>,
    /// Host manifests written.
    pub manifests: Vec<PathBuf>,
}

/// Maps a final path to where it is written (under DESTDIR when set).
struct Target<'a> {
    destdir: Option<&'a Path>,
    receipt: Receipt,
}

impl Target<'_> {
    fn real(&self, path: &Path) -> PathBuf {
        match self.destdir {
            Some(d) => d.join(path.strip_prefix("/").unwrap_or(path)),
            None => path.to_path_buf(),
        }
    }

    /// Creates `dir` and its missing parents, recording each one created.
    fn ensure_dir(&mut self, dir: &Path) -> Result<(), InstallError> {
        let mut missing = vec![];
        let mut cur = Some(dir);
        while let Some(d) = cur {
            if self.real(d).is_dir() {
                break;
            }
            missing.push(d.to_path_buf());
            cur = d.parent();
        }
        for d in missing.into_iter().rev() {
            let real = self.real(&d);
            fs::create_dir(&real).map_err(io_err("create", &real))?;
            self.receipt.add_dir(d);
        }
        Ok(())
    }

    /// Writes a file atomically (temp + rename), so a running host binary or a
    /// manifest the browser is reading is replaced, never half-written.
    fn write(&mut self, path: &Path, bytes: &[u8]) -> Result<(), InstallError> {
        if let Some(parent) = path.parent() {
            self.ensure_dir(parent)?;
        }
        let real = self.real(path);
        let mut tmp_name = real.file_name().unwrap_or_default().to_os_string();
        tmp_name.push(".tessera-tmp");
        let tmp = real.with_file_name(tmp_name);
        fs::write(&tmp, bytes).map_err(io_err("write", &tmp))?;
        fs::rename(&tmp, &real).map_err(io_err("replace", &real))?;
        self.receipt.add_file(path.to_path_buf());
        Ok(())
    }
}

fn host_manifest(browser: Browser, binary: &Path) -> Result<Vec<u8>, InstallError> {
    let template = if browser.is_firefox() {
        include_str!("../manifests/firefox-host.json")
    } else {
        include_str!("../manifests/chromium-host.json")
    };
    let mut json: Value = serde_json::from_str(template).map_err(|e| InstallError::BadReceipt {
        path: PathBuf::from("manifests/"),
        reason: e.to_string(),
    })?;
    json["path"] = Value::String(binary.display().to_string());
    if browser.is_firefox() {
        json["allowed_extensions"] = serde_json::json!([FIREFOX_EXTENSION_ID]);
    } else {
        json["allowed_origins"] = serde_json::json!([chromium_origin()]);
    }
    let mut bytes = serde_json::to_vec_pretty(&json).map_err(|e| InstallError::BadReceipt {
        path: PathBuf::from("manifests/"),
        reason: e.to_string(),
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn unpack_extension(t: &mut Target, dir: &Path, firefox: bool) -> Result<(), InstallError> {
    for (rel, bytes) in embedded::FILES {
        let name = match *rel {
            "manifest.json" if firefox => continue,
            "manifest.firefox.json" if !firefox => continue,
            "manifest.firefox.json" => "manifest.json",
            other => other,
        };
        t.write(&dir.join(name), bytes)?;
    }
    Ok(())
}

/// Installs for the given browsers; merges with an earlier install's receipt.
///
/// Options are checked before anything is written; if a write fails midway, the
/// receipt still records what was written, so `tessera uninstall` cleans it up.
pub fn install(opts: &InstallOptions) -> Result<InstallReport, InstallError> {
    if opts.user_data_dir.is_some() && opts.browsers.iter().any(|b| b.is_firefox()) {
        return Err(InstallError::UserDataDirFirefox);
    }
    // The receipt must hold absolute paths: uninstall may run from anywhere.
    let absolute = |p: &Option<PathBuf>| -> Result<Option<PathBuf>, InstallError> {
        p.as_deref()
            .map(|p| std::path::absolute(p).map_err(io_err("resolve", p)))
            .transpose()
    };
    let opts = &InstallOptions {
        user_data_dir: absolute(&opts.user_data_dir)?,
        destdir: absolute(&opts.destdir)?,
        ..opts.clone()
    };
    let root = locations::data_root(opts.scope)?;
    let receipt_path = root.join(receipt::FILE_NAME);
    let mut t = Target {
        destdir: opts.destdir.as_deref(),
        receipt: Receipt::default(),
    };
    let real_receipt = t.real(&receipt_path);
    t.receipt = Receipt::load(&real_receipt)?.unwrap_or_default();
    let result = install_files(&mut t, opts, &root);
    t.ensure_dir(&root)?;
    t.receipt.save(&real_receipt)?;
    result
}

fn install_files(
    t: &mut Target,
    opts: &InstallOptions,
    root: &Path,
) -> Result<InstallReport, InstallError> {
    let binary = root.join("bin").join(if cfg!(windows) {
        "tessera.exe"
    } else {
        "tessera"
    });
    let exe = std::env::current_exe().map_err(io_err("locate", Path::new("tessera")))?;
    let real_binary = t.real(&binary);
    if fs::canonicalize(&exe).ok() != fs::canonicalize(&real_binary).ok() {
        let bytes = fs::read(&exe).map_err(io_err("read", &exe))?;
        t.write(&binary, &bytes)?;
        set_executable(&real_binary)?;
    }

    // The udev rule `tessera doctor` points to when FIDO HID access is denied.
    #[cfg(target_os = "linux")]
    t.write(
        &root.join("70-tessera-fido.rules"),
        include_bytes!("../manifests/70-tessera-fido.rules"),
    )?;

    let mut extensions = vec![];
    for firefox in [false, true] {
        if opts.browsers.iter().any(|b| b.is_firefox() == firefox) {
            let dir = root
                .join("extension")
                .join(if firefox { "firefox" } else { "chromium" });
            unpack_extension(t, &dir, firefox)?;
            extensions.push(dir);
        }
    }

    let mut manifests = vec![];
    for &browser in &opts.browsers {
        let path = locations::manifest_path(browser, opts.scope, opts.user_data_dir.as_deref())?;
        if manifests.contains(&path) {
            continue; // e.g. Chrome and Brave share /etc/opt/chrome, or one --user-data-dir
        }
        let bytes = host_manifest(browser, &binary)?;
        t.write(&path, &bytes)?;
        #[cfg(windows)]
        if opts.user_data_dir.is_none() {
            let key = registry::register(browser, opts.scope, &path)?;
            t.receipt.add_registry_key(key);
        }
        tracing::debug!(browser = browser.install_arg(), "host manifest written");
        manifests.push(path);
    }
    Ok(InstallReport {
        binary,
        extensions,
        manifests,
    })
}

#[cfg(unix)]
fn set_executable(path: &Path) -> Result<(), InstallError> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).map_err(io_err("chmod", path))
}

#[cfg(not(unix))]
fn set_executable(_path: &Path) -> Result<(), InstallError> {
    Ok(())
}

/// Removes everything the receipt lists (files, then empty created dirs, then
/// registry keys). Returns the paths removed.
pub fn uninstall(scope: Scope, destdir: Option<&Path>) -> Result<Vec<PathBuf>, InstallError> {
    let root = locations::data_root(scope)?;
    let receipt_path = root.join(receipt::FILE_NAME);
    let destdir = destdir
        .map(|d| std::path::absolute(d).map_err(io_err("resolve", d)))
        .transpose()?;
    let t = Target {
        destdir: destdir.as_deref(),
        receipt: Receipt::default(),
    };
    let real_receipt = t.real(&receipt_path);
    let receipt = Receipt::load(&real_receipt)?
        .ok_or_else(|| InstallError::NotInstalled(real_receipt.clone()))?;
    let mut removed = vec![];
    for file in receipt.files() {
        let real = t.real(file);
        match fs::remove_file(&real) {
            Ok(()) => removed.push(file.clone()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err("remove", &real)(e)),
        }
    }
    #[cfg(windows)]
    for key in receipt.registry_keys() {
        registry::unregister(key)?;
    }
    fs::remove_file(&real_receipt).map_err(io_err("remove", &real_receipt))?;
    for dir in receipt.dirs_deepest_first() {
        // Only directories we created, and only if nothing else lives there now.
        if fs::remove_dir(t.real(&dir)).is_ok() {
            removed.push(dir);
        }
    }
    Ok(removed)
}
