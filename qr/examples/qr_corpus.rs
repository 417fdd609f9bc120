//! Writes the QR benchmark corpus: synthetic otpauth captures (tests/support/corpus.rs)
//! and the ZXing public photos, both as raw RGBA (`*.rgba`, 4 bytes per pixel, no
//! header) plus `manifest.json` ({file, set, category, width, height, texts}), so the
//! native and wasm/jsQR harnesses read identical pixels without an image decoder.
//!
//! `cargo run --release -p tessera-qr --example qr_corpus -- OUT_DIR [PER_CELL] [ZXING_DIR]`

#[path = "../tests/support/corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(
        args.next()
            .ok_or("usage: qr_corpus OUT_DIR [PER_CELL] [ZXING_DIR]")?,
    );
    let per: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(8);
    let zxing = args.next().map(PathBuf::from);
    std::fs::create_dir_all(out.join("synthetic"))?;
    let mut manifest = vec![];
    for (ci, category) in corpus::CATEGORIES.iter().enumerate() {
        for &(w, h) in corpus::RESOLUTIONS {
            for i in 0..per {
                let seed = (ci as u64) << 32 | u64::from(w) << 16 | i;
                let cap = corpus::generate(category, w, h, seed);
                let file = format!("synthetic/{category}-{w}x{h}-{i}.rgba");
                std::fs::write(out.join(&file), &cap.rgba)?;
                manifest.push(serde_json::json!({
                    "file": file, "set": "synthetic", "category": category,
                    "width": w, "height": h, "texts": cap.texts,
                }));
            }
        }
        eprintln!("qr_corpus: {category} done");
    }
    if let Some(dir) = zxing {
        convert_zxing(&dir, &out, &mut manifest)?;
    }
    std::fs::write(
        out.join("manifest.json"),
        serde_json::to_vec_pretty(&manifest)?,
    )?;
    eprintln!("qr_corpus: {} images in {}", manifest.len(), out.display());
    Ok(())
}

fn convert_zxing(
    dir: &Path,
    out: &Path,
    manifest: &mut Vec<serde_json::Value>,
) -> Result<(), Box<dyn std::error::Error>> {
    let list: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json"))?)?;
    std::fs::create_dir_all(out.join("zxing"))?;
    for entry in list {
        let src = entry["file"].as_str().ok_or("zxing manifest: file")?;
        let img = image::open(dir.join(src))?.to_rgba8();
        let (w, h) = img.dimensions();
        let file = format!("zxing/{}.rgba", src.replace(['/', '.'], "_"));
        std::fs::write(out.join(&file), img.into_raw())?;
        manifest.push(serde_json::json!({
            "file": file, "set": "zxing", "category": entry["category"],
            "width": w, "height": h, "texts": entry["texts"],
        }));
    }
    Ok(())
}
