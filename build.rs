//! Builds tessera-core (the popup) and tessera-qr (the QR decoder the extension loads
//! on demand) for wasm32-unknown-unknown, generates their JS glue with
//! wasm-bindgen-cli-support (same exact version as wasm-bindgen), runs wasm-opt when
//! a working one (binaryen ≥ 110) is installed, and stages the complete extension
//! into OUT_DIR, where src/embedded.rs includes it. See docs/ARCHITECTURE.md "Build".

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const WASM_PROFILE: &str = "wasm-release";
/// The QR decoder's profile: wasm-release at opt-level 3 (it runs on megapixel captures).
const QR_WASM_PROFILE: &str = "wasm-qr";
/// Environment variables a build script inherits that must not reach the inner
/// cargo (they leak host flags into wasm or point it at the outer build's dirs).
const SCRUBBED_ENV: &[&str] = &[
    "CARGO_ENCODED_RUSTFLAGS",
    "RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "RUSTC_WORKSPACE_WRAPPER",
    "CLIPPY_ARGS",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "CARGO_BUILD_BUILD_DIR",
    "CARGO_PRIMARY_PACKAGE",
];

fn main() {
    if let Err(message) = run() {
        for line in message.lines() {
            println!("cargo::error={line}");
        }
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let out_dir = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?);
    for watched in [
        "wasm-core/src",
        "wasm-core/Cargo.toml",
        "qr/src",
        "qr/Cargo.toml",
        "extension",
        "Cargo.lock",
    ] {
        println!("cargo::rerun-if-changed={}", root.join(watched).display());
    }
    println!("cargo::rerun-if-env-changed=WASM_OPT");

    check_wasm_target()?;
    // OUT_DIR = <target>/<profile>/build/<pkg>-<hash>/out: keep the inner build
    // beside it so `cargo clean` removes it, in its own dir so the outer cargo's
    // lock cannot deadlock it.
    let profile_dir = out_dir
        .ancestors()
        .nth(3)
        .ok_or("unexpected OUT_DIR layout")?
        .to_path_buf();
    let wasm_target_dir = profile_dir.join("wasm-target");
    // The popup's first module: tiles and the OTP code dialog (no `full`, no `site`).
    let wasm = build_wasm(
        &root,
        &wasm_target_dir,
        "tessera-core",
        WASM_PROFILE,
        Some(""),
    )?;
    let wasm = keep_as(&wasm, "tessera_core")?;
    // Every dialog (loaded when the user opens one, Effect::LoadFull) and the
    // background's fill decisions.
    let full = build_wasm(
        &root,
        &wasm_target_dir,
        "tessera-core",
        WASM_PROFILE,
        Some("full"),
    )?;
    let full = keep_as(&full, "tessera_core_full")?;
    // A separate cargo run, so the decoder's dependencies cannot change the popup's features.
    let qr_wasm = build_wasm(&root, &wasm_target_dir, "tessera-qr", QR_WASM_PROFILE, None)?;

    let staged = out_dir.join("extension");
    if staged.exists() {
        fs::remove_dir_all(&staged)
            .map_err(|e| format!("cannot clear {}: {e}", staged.display()))?;
    }
    copy_dir(&root.join("extension"), &staged)?;
    let wasm_dir = staged.join("wasm");
    bindgen(&wasm, &wasm_dir)?;
    optimize(&wasm_dir.join("tessera_core_bg.wasm"), "-Oz");
    bindgen(&full, &wasm_dir)?;
    optimize(&wasm_dir.join("tessera_core_full_bg.wasm"), "-Oz");
    bindgen(&qr_wasm, &wasm_dir)?;
    optimize(&wasm_dir.join("tessera_qr_bg.wasm"), "-O3");
    write_file_table(&staged, &out_dir.join("extension_files.rs"))
}

fn check_wasm_target() -> Result<(), String> {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc)
        .args(["--print", "target-libdir", "--target", WASM_TARGET])
        .output()
        .map_err(|e| format!("cannot run rustc: {e}"))?;
    let libdir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let has_core = fs::read_dir(&libdir)
        .map(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("libcore-"))
        })
        .unwrap_or(false);
    if has_core {
        Ok(())
    } else {
        Err(format!(
            "the {WASM_TARGET} Rust target is not installed.\nFix: rustup target add {WASM_TARGET}"
        ))
    }
}

fn build_wasm(
    root: &Path,
    target_dir: &Path,
    package: &str,
    profile: &str,
    features: Option<&str>,
) -> Result<PathBuf, String> {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args(["build", "--locked", "-p", package, "--lib"])
        .args(["--target", WASM_TARGET, "--profile", profile])
        .arg("--target-dir")
        .arg(target_dir)
        .arg("--config")
        .arg(format!(
            "build.build-dir={:?}",
            target_dir.display().to_string()
        ))
        // The inner cargo's stdout must not be read as `cargo:` directives.
        .stdout(Stdio::from(std::io::stderr()))
        .stderr(Stdio::inherit());
    // `Some(list)`: exactly these features; `None`: the package's defaults.
    if let Some(features) = features {
        cmd.arg("--no-default-features");
        if !features.is_empty() {
            cmd.args(["--features", features]);
        }
    }
    for var in SCRUBBED_ENV {
        cmd.env_remove(var);
    }
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start the inner cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "building {package} for {WASM_TARGET} failed ({status}); the compiler's messages are above"
        ));
    }
    Ok(target_dir
        .join(WASM_TARGET)
        .join(profile)
        .join(format!("{}.wasm", package.replace('-', "_"))))
}

/// Copies a cargo artifact to `<dir>/<name>.wasm` (the next build of the same
/// package overwrites cargo's copy; the file stem names wasm-bindgen's output).
fn keep_as(wasm: &Path, name: &str) -> Result<PathBuf, String> {
    let dir = wasm.parent().ok_or("wasm artifact without a directory")?;
    let kept = dir.join("kept");
    fs::create_dir_all(&kept).map_err(|e| format!("cannot create {}: {e}", kept.display()))?;
    let to = kept.join(format!("{name}.wasm"));
    fs::copy(wasm, &to).map_err(|e| format!("cannot copy {}: {e}", wasm.display()))?;
    Ok(to)
}

fn bindgen(wasm: &Path, out: &Path) -> Result<(), String> {
    let mut b = wasm_bindgen_cli_support::Bindgen::new();
    b.input_path(wasm)
        .web(true)
        .map_err(|e| format!("wasm-bindgen: {e}"))?
        .omit_default_module_path(false)
        .typescript(false);
    b.generate(out).map_err(|e| format!("wasm-bindgen: {e:#}"))
}

/// Runs wasm-opt (`level`: -Oz, -O3) when a binaryen ≥ 110 is found (WASM_OPT or PATH);
/// older ones (Debian's 108) break wasm-bindgen's externref table, so they are skipped.
fn optimize(wasm: &Path, level: &str) {
    let tool = env::var("WASM_OPT").unwrap_or_else(|_| "wasm-opt".into());
    let Ok(out) = Command::new(&tool).arg("--version").output() else {
        println!("cargo::warning=wasm-opt not found; the wasm is not size-optimised");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let version: Option<u32> = text
        .split(|c: char| !c.is_ascii_digit())
        .find(|s| !s.is_empty())
        .and_then(|s| s.parse().ok());
    match version {
        Some(v) if v >= 110 => {
            let status = Command::new(&tool)
                .arg(level)
                .args([
                    "--enable-bulk-memory",
                    "--enable-multivalue",
                    "--enable-mutable-globals",
                    "--enable-nontrapping-float-to-int",
                    "--enable-reference-types",
                    "--enable-sign-ext",
                ])
                .arg(wasm)
                .arg("-o")
                .arg(wasm)
                .status();
            if !matches!(status, Ok(s) if s.success()) {
                println!("cargo::warning=wasm-opt failed; the wasm is not size-optimised");
            }
        }
        _ => println!(
            "cargo::warning=wasm-opt {} is older than binaryen 110 and breaks wasm-bindgen output; skipped",
            text.trim()
        ),
    }
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let entries = fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| e.to_string())?;
        let path = entry.path();
        let dest = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &dest)?;
        } else {
            fs::copy(&path, &dest).map_err(|e| format!("cannot copy {}: {e}", path.display()))?;
        }
    }
    Ok(())
}

fn collect(dir: &Path, base: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            collect(&path, base, files)?;
        } else {
            files.push(
                path.strip_prefix(base)
                    .map_err(|e| e.to_string())?
                    .to_path_buf(),
            );
        }
    }
    Ok(())
}

fn write_file_table(staged: &Path, table: &Path) -> Result<(), String> {
    let mut files = vec![];
    collect(staged, staged, &mut files)?;
    files.sort();
    let mut code = String::from("/// Every file of the staged extension: (relative path, bytes).\npub static FILES: &[(&str, &[u8])] = &[\n");
    for rel in &files {
        let rel_str = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let _ = writeln!(
            code,
            "    ({rel_str:?}, include_bytes!({:?})),",
            staged.join(rel).display().to_string()
        );
    }
    code.push_str("];\n");
    fs::write(table, code).map_err(|e| format!("cannot write {}: {e}", table.display()))
}
