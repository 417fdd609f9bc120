//! Native evaluation of pass cascades over the corpus written by `qr_corpus`: success
//! rate (every expected text found) and median time per category, for each cascade.
//! Used to choose `Pass::DEFAULT` (docs/QR_BENCHMARK.md).
//!
//! `cargo run --release -p tessera-qr --example qr_eval -- CORPUS_DIR [CASCADE…]`
//! where a cascade is a comma list of pass names (hybrid,inverted,global,classic,
//! downscaled,downscaled-inverted) or `default`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use tessera_qr::Pass;

fn parse(s: &str) -> Result<Vec<Pass>, String> {
    if s == "default" {
        return Ok(Pass::DEFAULT.to_vec());
    }
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| match p {
            "hybrid" => Ok(Pass::Hybrid),
            "inverted" => Ok(Pass::Inverted),
            "global" => Ok(Pass::Global),
            "classic" => Ok(Pass::Classic),
            "downscaled" => Ok(Pass::Downscaled),
            "downscaled-inverted" => Ok(Pass::DownscaledInverted),
            "stretched" => Ok(Pass::Stretched),
            "stretched-inverted" => Ok(Pass::StretchedInverted),
            "upscaled" => Ok(Pass::Upscaled),
            "levels" => Ok(Pass::Levels),
            "subpixel" => Ok(Pass::Subpixel),
            "rotated" => Ok(Pass::Rotated),
            s if s.starts_with("scaled") => s[6..]
                .parse()
                .map(|percent| Pass::Scaled { percent })
                .map_err(|_| format!("bad {s}")),
            other => Err(format!("unknown pass {other}")),
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().ok_or("usage: qr_eval CORPUS_DIR [CASCADE…]")?);
    let cascades: Vec<String> = args.collect();
    let per_file = std::env::var_os("QR_EVAL_PER_FILE").is_some();
    let mut wins: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let cascades = if cascades.is_empty() {
        vec!["default".to_owned()]
    } else {
        cascades
    };
    let manifest: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json"))?)?;
    let filter = std::env::var("QR_EVAL_FILTER").unwrap_or_default();
    for spec in &cascades {
        let cascade = parse(spec)?;
        let mut cells: BTreeMap<String, (u32, u32, Vec<f64>)> = BTreeMap::new();
        for e in &manifest {
            let file = e["file"].as_str().unwrap_or_default();
            if !file.contains(filter.as_str()) {
                continue;
            }
            let (w, h) = (
                e["width"].as_u64().unwrap_or(0) as u32,
                e["height"].as_u64().unwrap_or(0) as u32,
            );
            let rgba = std::fs::read(dir.join(file))?;
            let grey = tessera_qr::rgba_to_luma(&rgba);
            let t = Instant::now();
            let got = tessera_qr::decode_luma_with(&grey, w, h, &cascade).unwrap_or_default();
            let ms = t.elapsed().as_secs_f64() * 1e3;
            let ok = e["texts"]
                .as_array()
                .map(|ts| {
                    ts.iter()
                        .all(|t| got.iter().any(|c| Some(c.text.as_str()) == t.as_str()))
                })
                .unwrap_or(false);
            if !ok && std::env::var_os("QR_EVAL_VERBOSE").is_some() {
                eprintln!(
                    "FAIL {file} (found {:?})",
                    got.iter().map(|c| &c.text).collect::<Vec<_>>()
                );
                if let Some(dump) = std::env::var_os("QR_EVAL_DUMP") {
                    let png =
                        PathBuf::from(dump).join(file.replace('/', "_").replace(".rgba", ".png"));
                    if let Some(img) = image::RgbaImage::from_raw(w, h, rgba.clone()) {
                        img.save(png)?;
                    }
                }
            }
            if per_file && ok {
                wins.entry(file.to_owned()).or_default().push(spec.clone());
            }
            let key = format!(
                "{}/{}",
                e["set"].as_str().unwrap_or(""),
                e["category"].as_str().unwrap_or("")
            );
            for k in [key, format!("{}/ALL", e["set"].as_str().unwrap_or(""))] {
                let cell = cells.entry(k).or_default();
                cell.0 += u32::from(ok);
                cell.1 += 1;
                cell.2.push(ms);
            }
        }
        println!("cascade {spec}");
        for (k, (ok, n, mut times)) in cells {
            times.sort_by(f64::total_cmp);
            let med = times[times.len() / 2];
            let p95 = times[(times.len() * 95 / 100).min(times.len() - 1)];
            println!(
                "  {k:32} {ok:4}/{n:<4} {:6.1}%  median {med:7.2} ms  p95 {p95:7.2} ms",
                100.0 * f64::from(ok) / f64::from(n)
            );
        }
    }
    for (file, specs) in &wins {
        println!("WIN {file}: {}", specs.join(" "));
    }
    Ok(())
}
