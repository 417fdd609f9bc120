//! Deterministic generator of realistic otpauth captures: web pages (light or dark,
//! with header, cards and text-like lines) holding one or more QR codes, degraded the
//! way screenshots are (fractional module sizes, page zoom, JPEG, blur, low contrast,
//! rotation). Shared by the tests, the criterion bench and the `qr_corpus` example
//! (which writes the benchmark corpus into target/). Everything derives from a seed.
#![allow(dead_code, missing_docs)]

use std::f32::consts::PI;

use qrcode::{EcLevel, QrCode, Version};

/// Categories of the synthetic corpus, in table order.
pub const CATEGORIES: &[&str] = &[
    "nominal",
    "small-modules",
    "jpeg",
    "blur",
    "low-contrast",
    "dark-mode",
    "rotated",
    "zoom",
    "multi-code",
    "migration",
];

/// Resolutions of the synthetic corpus.
pub const RESOLUTIONS: &[(u32, u32)] = &[(1280, 720), (1920, 1080), (2560, 1440)];

/// SplitMix64: small, seedable, the same everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [lo, hi).
    pub fn f32(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32)
    }
    /// Uniform in [lo, hi].
    pub fn int(&mut self, lo: u32, hi: u32) -> u32 {
        lo + (self.next_u64() % u64::from(hi - lo + 1)) as u32
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

const ISSUERS: &[&str] = &[
    "GitHub",
    "Example Bank",
    "Acme Corp",
    "Contoso",
    "Fabrikam",
    "Northwind",
    "Tessera Demo",
    "Mail.example",
    "Cloud Console",
    "VPN Gateway",
];
const USERS: &[&str] = &[
    "alice",
    "bob",
    "carol.smith",
    "dave",
    "eve_ops",
    "frank",
    "grace.h",
];

fn base32(data: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in data {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn url_escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '.' | '_' | '~' => c.to_string(),
            _ => format!("%{:02X}", c as u32),
        })
        .collect()
}

/// A plausible `otpauth://totp/…` URI.
pub fn otpauth(rng: &mut Rng) -> String {
    let issuer = *rng.pick(ISSUERS);
    let user = *rng.pick(USERS);
    let len = *rng.pick(&[10usize, 20, 32]);
    let secret = base32(&rng.bytes(len));
    let (digits, period, algo) = *rng.pick(&[
        (6, 30, "SHA1"),
        (6, 30, "SHA256"),
        (8, 30, "SHA1"),
        (6, 60, "SHA512"),
    ]);
    format!(
        "otpauth://totp/{}:{}%40example.com?secret={secret}&issuer={}&algorithm={algo}&digits={digits}&period={period}",
        url_escape(issuer),
        user,
        url_escape(issuer)
    )
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7F) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn field_bytes(out: &mut Vec<u8>, field: u64, data: &[u8]) {
    varint(out, field << 3 | 2);
    varint(out, data.len() as u64);
    out.extend_from_slice(data);
}

fn field_int(out: &mut Vec<u8>, field: u64, v: u64) {
    varint(out, field << 3);
    varint(out, v);
}

fn migration_account(rng: &mut Rng) -> Vec<u8> {
    let mut p = vec![];
    field_bytes(&mut p, 1, &rng.bytes(20));
    let issuer = *rng.pick(ISSUERS);
    let name = format!(
        "{}:{}{}@example.com",
        issuer,
        rng.pick(USERS),
        rng.int(1, 999)
    );
    field_bytes(&mut p, 2, name.as_bytes());
    field_bytes(&mut p, 3, issuer.as_bytes());
    field_int(&mut p, 4, 1); // SHA1
    field_int(&mut p, 5, 1); // six digits
    field_int(&mut p, 6, 2); // TOTP
    p
}

fn migration_uri(accounts: &[Vec<u8>], batch_id: u64) -> String {
    let mut payload = vec![];
    for a in accounts {
        field_bytes(&mut payload, 1, a);
    }
    field_int(&mut payload, 2, 1);
    field_int(&mut payload, 3, 1);
    field_int(&mut payload, 4, 0);
    field_int(&mut payload, 5, batch_id);
    format!(
        "otpauth-migration://offline?data={}",
        url_escape(&base64(&payload))
    )
}

/// An otpauth-migration URI filling a QR code of exactly `version` (EC level M),
/// and that code.
pub fn migration(rng: &mut Rng, version: i16) -> (String, QrCode) {
    let batch_id = rng.next_u64() >> 33;
    let mut accounts = vec![migration_account(rng)];
    let mut best = None;
    loop {
        let uri = migration_uri(&accounts, batch_id);
        match QrCode::with_version(uri.as_bytes(), Version::Normal(version), EcLevel::M) {
            Ok(code) => best = Some((uri, code)),
            Err(_) => break,
        }
        accounts.push(migration_account(rng));
    }
    best.unwrap_or_else(|| {
        let uri = migration_uri(&accounts[..1], batch_id);
        let code = QrCode::with_error_correction_level(uri.as_bytes(), EcLevel::L)
            .expect("one account always fits");
        (uri, code)
    })
}

/// An RGBA image with the texts of the codes drawn on it.
pub struct Capture {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
    pub texts: Vec<String>,
}

struct Canvas {
    w: usize,
    h: usize,
    px: Vec<[f32; 3]>,
}

impl Canvas {
    fn fill_rect(&mut self, x0: i64, y0: i64, x1: i64, y1: i64, c: [f32; 3]) {
        let (x0, y0) = (x0.max(0) as usize, y0.max(0) as usize);
        let (x1, y1) = (
            (x1.max(0) as usize).min(self.w),
            (y1.max(0) as usize).min(self.h),
        );
        for y in y0..y1 {
            for x in x0..x1 {
                self.px[y * self.w + x] = c;
            }
        }
    }
}

/// How one code is drawn.
struct Placement {
    cx: f32,
    cy: f32,
    module: f32,
    angle: f32,
    quiet: f32,
    fg: [f32; 3],
    bg: [f32; 3],
}

/// Draws `code` centred at (cx, cy): each pixel is the coverage of dark modules over a
/// 4×4 supersampling grid (what a browser's filtered image scaling amounts to).
fn draw_code(c: &mut Canvas, code: &QrCode, p: &Placement) {
    let n = code.width() as f32;
    let colors = code.to_colors();
    let side = (n + 2.0 * p.quiet) * p.module;
    let half = side / 2.0;
    let (sin, cos) = p.angle.sin_cos();
    let reach = half * (sin.abs() + cos.abs()) + 2.0;
    let (x0, x1) = ((p.cx - reach).floor() as i64, (p.cx + reach).ceil() as i64);
    let (y0, y1) = ((p.cy - reach).floor() as i64, (p.cy + reach).ceil() as i64);
    const SS: usize = 4;
    for y in y0.max(0)..y1.min(c.h as i64) {
        for x in x0.max(0)..x1.min(c.w as i64) {
            let (mut dark, mut inside) = (0u32, 0u32);
            for sy in 0..SS {
                for sx in 0..SS {
                    let fx = x as f32 + (sx as f32 + 0.5) / SS as f32 - p.cx;
                    let fy = y as f32 + (sy as f32 + 0.5) / SS as f32 - p.cy;
                    // Inverse rotation into the code's frame, then to module units.
                    let u = (cos * fx + sin * fy + half) / p.module - p.quiet;
                    let v = (-sin * fx + cos * fy + half) / p.module - p.quiet;
                    if u < -p.quiet || v < -p.quiet || u >= n + p.quiet || v >= n + p.quiet {
                        continue;
                    }
                    inside += 1;
                    if u >= 0.0 && v >= 0.0 && u < n && v < n {
                        let idx = v as usize * code.width() + u as usize;
                        if colors[idx] == qrcode::Color::Dark {
                            dark += 1;
                        }
                    }
                }
            }
            if inside == 0 {
                continue;
            }
            let total = (SS * SS) as f32;
            let (fd, fl) = (dark as f32 / total, (inside - dark) as f32 / total);
            let old = c.px[y as usize * c.w + x as usize];
            let out: [f32; 3] =
                std::array::from_fn(|k| p.fg[k] * fd + p.bg[k] * fl + old[k] * (1.0 - fd - fl));
            c.px[y as usize * c.w + x as usize] = out;
        }
    }
}

fn page(rng: &mut Rng, w: usize, h: usize, dark: bool) -> Canvas {
    let bg = if dark {
        rng.f32(14.0, 40.0)
    } else {
        rng.f32(236.0, 255.0)
    };
    let mut c = Canvas {
        w,
        h,
        px: vec![[bg; 3]; w * h],
    };
    let scale = w as f32 / 1920.0;
    // Header bar in a brand colour.
    let header = [
        rng.f32(20.0, 80.0),
        rng.f32(40.0, 120.0),
        rng.f32(90.0, 200.0),
    ];
    c.fill_rect(0, 0, w as i64, (64.0 * scale) as i64, header);
    // Text-like lines: rows of short dark bars (the false finder candidates of a page).
    let ink = if dark { 200.0 } else { 40.0 };
    let line_h = (14.0 * scale).max(6.0) as i64;
    let mut y = (100.0 * scale) as i64;
    while y < h as i64 - 40 {
        let mut x = (40.0 * scale) as i64;
        let end = (rng.f32(0.3, 0.95) * w as f32) as i64;
        while x < end {
            let word = (rng.f32(20.0, 110.0) * scale) as i64;
            c.fill_rect(x, y, x + word, y + line_h * 2 / 3, [ink; 3]);
            x += word + (9.0 * scale) as i64;
        }
        y += line_h * 2;
    }
    c
}

fn finish(c: Canvas) -> Vec<u8> {
    let mut out = Vec::with_capacity(c.w * c.h * 4);
    for p in &c.px {
        for k in p {
            out.push(k.round().clamp(0.0, 255.0) as u8);
        }
        out.push(255);
    }
    out
}

/// Separable box blur of radius `r`, run `passes` times (≈ Gaussian).
fn blur(c: &mut Canvas, r: usize, passes: usize) {
    let (w, h) = (c.w, c.h);
    for _ in 0..passes {
        let mut tmp = c.px.clone();
        for y in 0..h {
            for x in 0..w {
                let (lo, hi) = (x.saturating_sub(r), (x + r).min(w - 1));
                let mut s = [0.0; 3];
                for px in &c.px[y * w + lo..=y * w + hi] {
                    for (acc, v) in s.iter_mut().zip(px) {
                        *acc += v;
                    }
                }
                let n = (hi - lo + 1) as f32;
                tmp[y * w + x] = [s[0] / n, s[1] / n, s[2] / n];
            }
        }
        for y in 0..h {
            for x in 0..w {
                let (lo, hi) = (y.saturating_sub(r), (y + r).min(h - 1));
                let mut s = [0.0; 3];
                for yy in lo..=hi {
                    for (acc, v) in s.iter_mut().zip(&tmp[yy * w + x]) {
                        *acc += v;
                    }
                }
                let n = (hi - lo + 1) as f32;
                c.px[y * w + x] = [s[0] / n, s[1] / n, s[2] / n];
            }
        }
    }
}

fn jpeg(rgba: &[u8], w: u32, h: u32, quality: u8) -> Vec<u8> {
    let rgb: Vec<u8> = rgba
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    let mut buf = vec![];
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, quality)
        .encode(&rgb, w, h, image::ExtendedColorType::Rgb8)
        .expect("jpeg encode");
    image::load_from_memory(&buf)
        .expect("jpeg decode")
        .to_rgba8()
        .into_raw()
}

fn light() -> ([f32; 3], [f32; 3]) {
    ([0.0; 3], [255.0; 3])
}

/// One capture of `category` at `width`×`height`, fully determined by `seed`.
pub fn generate(category: &str, width: u32, height: u32, seed: u64) -> Capture {
    let mut rng = Rng::new(seed);
    let (w, h) = (width as usize, height as usize);
    let scale = width as f32 / 1920.0;
    let dark = category == "dark-mode";
    // Low contrast is either a faint code on a normal page, or a normal code on a
    // dimmed page (modal backdrop, disabled view).
    let dim = category == "low-contrast" && rng.int(0, 1) == 0;
    let mut canvas = page(&mut rng, w, h, dark);
    let mut texts = vec![];
    let count = if category == "multi-code" {
        rng.int(2, 4)
    } else {
        1
    };
    // Codes go in distinct cells of a grid over the page below the header.
    let cols = count.min(2) as f32;
    let rows = count.div_ceil(2) as f32;
    for i in 0..count {
        let (code, text) = if category == "migration" {
            let version = rng.int(15, 25) as i16;
            let (text, code) = migration(&mut rng, version);
            (code, text)
        } else {
            let text = otpauth(&mut rng);
            let ec = *rng.pick(&[EcLevel::L, EcLevel::M, EcLevel::M, EcLevel::Q]);
            (
                QrCode::with_error_correction_level(text.as_bytes(), ec).expect("fits"),
                text,
            )
        };
        let (mut fg, mut bg) = light();
        let mut angle = 0.0;
        let mut module = rng.f32(3.0, 6.0) * scale.max(0.67);
        match category {
            "small-modules" => module = rng.f32(1.0, 1.5),
            "jpeg" | "multi-code" => module = rng.f32(2.0, 4.0) * scale.max(0.75),
            "blur" => module = rng.f32(2.5, 4.5) * scale.max(0.75),
            "migration" => module = rng.f32(2.0, 4.0) * scale.max(0.75),
            "zoom" => {
                module =
                    4.0 * rng.pick(&[0.67f32, 0.8, 0.9, 1.1, 1.25, 1.5, 1.75]) * scale.max(0.67)
            }
            "rotated" => {
                angle =
                    rng.f32(3.0, 45.0) * if rng.int(0, 1) == 0 { -1.0 } else { 1.0 } * PI / 180.0;
                if rng.int(0, 3) == 0 {
                    angle += PI / 2.0 * rng.int(1, 3) as f32;
                }
            }
            "low-contrast" if !dim => {
                let mid = rng.f32(110.0, 170.0);
                let d = rng.f32(20.0, 35.0);
                let tint = [
                    rng.f32(-15.0, 15.0),
                    rng.f32(-15.0, 15.0),
                    rng.f32(-15.0, 15.0),
                ];
                fg = [mid - d + tint[0], mid - d + tint[1], mid - d + tint[2]];
                bg = [mid + d + tint[0], mid + d + tint[1], mid + d + tint[2]];
            }
            "dark-mode" => {
                fg = [rng.f32(200.0, 240.0); 3];
                bg = [rng.f32(18.0, 45.0); 3];
            }
            _ => {}
        }
        let n = code.width() as f32;
        let side = (n + 8.0) * module;
        let (cell_w, cell_h) = (w as f32 / cols, (h as f32 - 80.0 * scale) / rows);
        let (col, row) = ((i % 2) as f32, (i / 2) as f32);
        let slack_x = ((cell_w - side * 1.45) / 2.0).max(0.0);
        let slack_y = ((cell_h - side * 1.45) / 2.0).max(0.0);
        let cx = cell_w * (col + 0.5) + rng.f32(-slack_x, slack_x + 0.01);
        let cy = 80.0 * scale + cell_h * (row + 0.5) + rng.f32(-slack_y, slack_y + 0.01);
        // A card behind the code, as sites draw it.
        let card = side * 0.5 + 24.0 * scale;
        let card_color = if dark { [bg[0] + 8.0; 3] } else { [255.0; 3] };
        if angle == 0.0 {
            canvas.fill_rect(
                (cx - card) as i64,
                (cy - card) as i64,
                (cx + card) as i64,
                (cy + card * 1.3) as i64,
                card_color,
            );
        }
        draw_code(
            &mut canvas,
            &code,
            &Placement {
                cx,
                cy,
                module,
                angle,
                quiet: 4.0,
                fg,
                bg,
            },
        );
        texts.push(text);
    }
    match category {
        "blur" => {
            // σ ≈ 0.8–1.2 px: a scaled-up image or a soft screenshot.
            let passes = *rng.pick(&[1usize, 2]);
            blur(&mut canvas, 1, passes);
        }
        "zoom" => blur(&mut canvas, 1, 1),
        _ => {}
    }
    if dim {
        // A dimmed page (modal backdrop, disabled view): everything squeezed into a
        // narrow band of greys.
        let (a, base) = (rng.f32(0.2, 0.35), rng.f32(40.0, 120.0));
        for p in &mut canvas.px {
            for k in p.iter_mut() {
                *k = *k * a + base * (1.0 - a);
            }
        }
    }
    let mut rgba = finish(canvas);
    if category == "jpeg" {
        rgba = jpeg(&rgba, width, height, rng.int(30, 70) as u8);
    }
    Capture {
        width,
        height,
        rgba,
        texts,
    }
}
