//! `tessera qr decode`: a PNG and a JPEG holding QR codes, JSON and text output, and
//! a file that is not an image.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use tempfile::TempDir;

const TEXT: &str =
    "otpauth://totp/Example:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example";

/// Writes `text` as a QR code, 4 pixels a module, black on white.
fn write_qr(path: &Path, text: &str) {
    let code = qrcode::QrCode::new(text.as_bytes()).expect("encodes");
    let n = code.width();
    let colors = code.to_colors();
    let side = ((n + 8) * 4) as u32;
    let img = image::GrayImage::from_fn(side, side, |x, y| {
        let (u, v) = ((x / 4) as usize, (y / 4) as usize);
        let dark = (4..n + 4).contains(&u)
            && (4..n + 4).contains(&v)
            && colors[(v - 4) * n + (u - 4)] == qrcode::Color::Dark;
        image::Luma([if dark { 0 } else { 255 }])
    });
    img.save(path).expect("saves");
}

fn tessera(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn decodes_png_and_jpeg() {
    let dir = TempDir::new().expect("tempdir");
    let png = dir.path().join("code.png");
    let jpg = dir.path().join("code.jpg");
    write_qr(&png, TEXT);
    write_qr(&jpg, "second code");
    let (code, stdout, stderr) = tessera(&[
        "qr",
        "decode",
        png.to_str().expect("utf-8"),
        jpg.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        format!(
            "{}: {TEXT}\n{}: second code\n",
            png.display(),
            jpg.display()
        )
    );

    let (code, stdout, _) = tessera(&["qr", "decode", "--json", png.to_str().expect("utf-8")]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(stdout.trim()).expect("json");
    assert_eq!(v["codes"][0]["text"], TEXT);
    assert!(v["codes"][0]["points"].as_array().expect("points").len() >= 3);
}

#[test]
fn not_an_image_or_no_code_fails() {
    let dir = TempDir::new().expect("tempdir");
    let bogus = dir.path().join("bogus.png");
    std::fs::write(&bogus, b"not a png").expect("writes");
    let blank = dir.path().join("blank.png");
    image::GrayImage::from_pixel(64, 64, image::Luma([255]))
        .save(&blank)
        .expect("saves");
    let (code, stdout, _) = tessera(&[
        "qr",
        "decode",
        "--json",
        bogus.to_str().expect("utf-8"),
        blank.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 1);
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert!(lines[0]["error"]
        .as_str()
        .expect("error")
        .contains("cannot read image"));
    assert_eq!(lines[1]["error"], "no QR code found");
}

/// Writes `text` as a QR code of `module` pixels a module (fractional: each pixel is
/// the dark coverage of a 4×4 sub-sample grid, as a browser's scaling draws it).
fn write_small_qr(path: &Path, text: &str, module: f32) {
    let code = qrcode::QrCode::new(text.as_bytes()).expect("encodes");
    let n = code.width();
    let colors = code.to_colors();
    let side = 200u32;
    let origin = 40.0f32;
    let img = image::GrayImage::from_fn(side, side, |x, y| {
        let mut dark = 0u32;
        for k in 0..16u32 {
            let fx = x as f32 + ((k % 4) as f32 + 0.5) / 4.0;
            let fy = y as f32 + ((k / 4) as f32 + 0.5) / 4.0;
            let (u, v) = ((fx - origin) / module, (fy - origin) / module);
            if u >= 0.0 && v >= 0.0 && (u as usize) < n && (v as usize) < n {
                dark += u32::from(colors[v as usize * n + u as usize] == qrcode::Color::Dark);
            }
        }
        image::Luma([(255 - dark * 255 / 16) as u8])
    });
    img.save(path).expect("saves");
}

#[test]
fn decodes_modules_of_one_and_a_quarter_pixels() {
    let dir = TempDir::new().expect("tempdir");
    let png = dir.path().join("small.png");
    write_small_qr(&png, TEXT, 1.25);
    let (code, stdout, stderr) = tessera(&["qr", "decode", png.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, format!("{}: {TEXT}\n", png.display()));
}
