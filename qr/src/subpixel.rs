//! The sub-pixel pass: codes whose modules are 1–2.5 pixels (a small code on a
//! 1080p page, a zoomed-out or blurred capture), where binarizing pixels first loses
//! the finder patterns' 1:1:3:1:1 runs and the modules themselves.
//!
//! It works on the grey levels instead of a bitmap:
//! 1. finder patterns (ISO/IEC 18004:2015 §6.3.3: a 3×3-module dark centre, a light
//!    ring, a dark ring) are found as box-sum contrasts over an integral image, which
//!    are exact at fractional positions and sizes (the integral of a pixel image is
//!    bilinear inside each pixel), then refined to a fraction of a pixel;
//! 2. three finders forming a right isosceles corner give an affine module grid; the
//!    version (§6.3.1: 17 + 4·V modules) is chosen by the timing patterns (§6.3.5)
//!    and the grid is fitted to the fixed modules (finders, separators, timing);
//! 3. module values are read at the module centres against a local mean, or solved
//!    by a few CGLS iterations of the pixel-area model (each pixel is the mean of the
//!    modules under it, optionally box-blurred), so modules straddling pixels
//!    separate again;
//! 4. rxing's QR decoder (§7.5 Reed–Solomon, §7.9 format, §7.10 version) decodes the
//!    module matrix, with small grid shifts when the first read fails.

use rxing::qrcode::decoder::qrcode_decoder::decode_bool_array;

use crate::{Point, QrCode};

/// The pass runs on images up to this many pixels (the integral image is 4 bytes
/// per pixel; modules of 1–2 pixels come from captures of at most a few megapixels).
const MAX_PIXELS: usize = 2560 * 1600;
/// Module sizes (pixels) the coarse finder search tries.
const SIZES: &[f32] = &[1.0, 1.2, 1.45, 1.75, 2.1, 2.5];
/// Finder candidates kept after non-maximum suppression.
const MAX_CANDIDATES: usize = 30;
/// Smallest grey-level contrast of a finder (a faint code is 40 levels apart).
const MIN_CONTRAST: f32 = 14.0;

/// Summed-area table with one extra row and column of zeros.
struct Integral {
    w: usize,
    h: usize,
    s: Vec<u32>,
}

impl Integral {
    fn new(grey: &[u8], w: usize, h: usize) -> Self {
        let mut s = vec![0u32; (w + 1) * (h + 1)];
        for y in 0..h {
            let mut row = 0u32;
            for x in 0..w {
                row += u32::from(grey[y * w + x]);
                s[(y + 1) * (w + 1) + x + 1] = s[y * (w + 1) + x + 1] + row;
            }
        }
        Integral { w, h, s }
    }

    /// The integral over [0, x] × [0, y] at real coordinates (bilinear between the
    /// table's corners, exact for a piecewise-constant pixel image), clamped.
    fn at(&self, x: f32, y: f32) -> f32 {
        let x = x.clamp(0.0, self.w as f32);
        let y = y.clamp(0.0, self.h as f32);
        let (x0, y0) = ((x as usize).min(self.w - 1), (y as usize).min(self.h - 1));
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let stride = self.w + 1;
        let v = |xx: usize, yy: usize| self.s[yy * stride + xx] as f32;
        let top = v(x0, y0) * (1.0 - fx) + v(x0 + 1, y0) * fx;
        let bottom = v(x0, y0 + 1) * (1.0 - fx) + v(x0 + 1, y0 + 1) * fx;
        top * (1.0 - fy) + bottom * fy
    }

    /// Sum over the square of half side `r` centred at (cx, cy).
    fn square(&self, cx: f32, cy: f32, r: f32) -> f32 {
        let (x0, y0, x1, y1) = (cx - r, cy - r, cx + r, cy + r);
        self.at(x1, y1) - self.at(x0, y1) - self.at(x1, y0) + self.at(x0, y0)
    }

    /// Mean grey of the finder's centre block, light ring and dark ring for a finder
    /// centred at (cx, cy) with modules of `s` pixels.
    fn rings(&self, cx: f32, cy: f32, s: f32) -> (f32, f32, f32) {
        let a = self.square(cx, cy, 1.5 * s);
        let b = self.square(cx, cy, 2.5 * s);
        let c = self.square(cx, cy, 3.5 * s);
        let s2 = s * s;
        (a / (9.0 * s2), (b - a) / (16.0 * s2), (c - b) / (24.0 * s2))
    }
}

/// A finder pattern candidate: centre (pixels), module size, contrast score.
#[derive(Clone, Copy, Debug)]
struct Finder {
    x: f32,
    y: f32,
    s: f32,
    score: f32,
    /// Grey level of the dark parts and of the light ring.
    dark: f32,
    light: f32,
}

/// Both polarities are tried: `dark_on_light` false reads light modules on dark.
fn finder_score(ii: &Integral, x: f32, y: f32, s: f32, dark_on_light: bool) -> (f32, f32, f32) {
    let (a, b, c) = ii.rings(x, y, s);
    let (a, b, c) = if dark_on_light {
        (a, b, c)
    } else {
        (255.0 - a, 255.0 - b, 255.0 - c)
    };
    ((b - a).min(b - c), (a + c) / 2.0, b)
}

fn find_finders(
    grey: &[u8],
    ii: &Integral,
    w: usize,
    h: usize,
    dark_on_light: bool,
) -> Vec<Finder> {
    let mut found: Vec<Finder> = vec![];
    // A centre pixel is a candidate when it is darker (in the pass's polarity) than
    // the mean of its 9×9 neighbourhood: most of a page is background and drops out.
    let stride = w + 1;
    let margin = 4usize;
    let mut mask = vec![false; w * h];
    for y in margin..h.saturating_sub(margin) {
        for x in margin..w.saturating_sub(margin) {
            let (x0, y0, x1, y1) = (x - 4, y - 4, x + 5, y + 5);
            let sum = ii.s[y1 * stride + x1] + ii.s[y0 * stride + x0]
                - ii.s[y0 * stride + x1]
                - ii.s[y1 * stride + x0];
            let mean = sum as f32 / 81.0;
            let v = f32::from(grey[y * w + x]);
            let darker = if dark_on_light { mean - v } else { v - mean };
            mask[y * w + x] = darker >= MIN_CONTRAST * 0.5;
        }
    }
    // A finder's centre is a short dark run both ways (3·s ≤ 7.5 pixels, more when the
    // rings blur into it); text, bars and borders are long runs and drop out.
    const MAX_RUN: usize = 18;
    let mut short = vec![false; w * h];
    for y in 0..h {
        let row = &mask[y * w..(y + 1) * w];
        let mut x = 0;
        while x < w {
            if !row[x] {
                x += 1;
                continue;
            }
            let start = x;
            while x < w && row[x] {
                x += 1;
            }
            if x - start <= MAX_RUN {
                short[y * w + start..y * w + x]
                    .iter_mut()
                    .for_each(|v| *v = true);
            }
        }
    }
    for x in 0..w {
        let mut y = 0;
        while y < h {
            if !mask[y * w + x] {
                y += 1;
                continue;
            }
            let start = y;
            while y < h && mask[y * w + x] {
                y += 1;
            }
            if y - start > MAX_RUN {
                (start..y).for_each(|yy| short[yy * w + x] = false);
            }
        }
    }
    for y in margin..h.saturating_sub(margin) {
        for x in margin..w.saturating_sub(margin) {
            if !short[y * w + x] {
                continue;
            }
            let (cx, cy) = (x as f32 + 0.5, y as f32 + 0.5);
            let mut best: Option<Finder> = None;
            for &s in SIZES {
                if cx < 3.5 * s
                    || cy < 3.5 * s
                    || cx + 3.5 * s > w as f32
                    || cy + 3.5 * s > h as f32
                {
                    continue;
                }
                // The centre against the light ring first (two boxes of three).
                let (a, b) = (ii.square(cx, cy, 1.5 * s), ii.square(cx, cy, 2.5 * s));
                let (ma, mb) = (a / (9.0 * s * s), (b - a) / (16.0 * s * s));
                let inner = if dark_on_light { mb - ma } else { ma - mb };
                if inner < MIN_CONTRAST {
                    continue;
                }
                let (score, dark, light) = finder_score(ii, cx, cy, s, dark_on_light);
                let contrast = light - dark;
                if score >= MIN_CONTRAST
                    && score >= 0.45 * contrast
                    && best.is_none_or(|b| score > b.score)
                {
                    best = Some(Finder {
                        x: cx,
                        y: cy,
                        s,
                        score,
                        dark,
                        light,
                    });
                }
            }
            if let Some(f) = best {
                found.push(f);
            }
        }
    }
    found.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Finder> = vec![];
    for f in found {
        if kept
            .iter()
            .all(|k| (k.x - f.x).hypot(k.y - f.y) > 3.5 * k.s.max(f.s))
        {
            kept.push(f);
            if kept.len() == MAX_CANDIDATES {
                break;
            }
        }
    }
    kept.into_iter()
        .map(|f| refine(ii, f, dark_on_light))
        .collect()
}

/// Coordinate search for the centre and module size that maximise the finder's ring
/// contrast (2·light − centre − dark ring), to a few hundredths of a pixel.
fn refine(ii: &Integral, mut f: Finder, dark_on_light: bool) -> Finder {
    let value = |x: f32, y: f32, s: f32| {
        let (a, b, c) = ii.rings(x, y, s);
        let v = 2.0 * b - a - c;
        if dark_on_light {
            v
        } else {
            -v
        }
    };
    let mut best = value(f.x, f.y, f.s);
    let mut step = 0.4f32;
    for _ in 0..5 {
        loop {
            let mut improved = false;
            for (dx, dy, ds) in [
                (step, 0.0, 0.0),
                (-step, 0.0, 0.0),
                (0.0, step, 0.0),
                (0.0, -step, 0.0),
                (0.0, 0.0, step * 0.25),
                (0.0, 0.0, -step * 0.25),
            ] {
                let s = f.s + ds;
                if s < 0.7 {
                    continue;
                }
                let v = value(f.x + dx, f.y + dy, s);
                if v > best + 1e-3 {
                    best = v;
                    f.x += dx;
                    f.y += dy;
                    f.s = s;
                    improved = true;
                }
            }
            if !improved {
                break;
            }
        }
        step *= 0.5;
    }
    let (score, dark, light) = finder_score(ii, f.x, f.y, f.s, dark_on_light);
    Finder {
        score,
        dark,
        light,
        ..f
    }
}

/// An affine module grid: image point of module coordinate (u, v) (module units,
/// origin at the code's top-left corner).
#[derive(Clone, Copy, Debug)]
struct Grid {
    n: usize,
    origin: (f32, f32),
    ux: (f32, f32),
    uy: (f32, f32),
}

impl Grid {
    fn at(&self, u: f32, v: f32) -> (f32, f32) {
        (
            self.origin.0 + u * self.ux.0 + v * self.uy.0,
            self.origin.1 + u * self.ux.1 + v * self.uy.1,
        )
    }

    /// From the finder centres (top-left, top-right, bottom-left) of an n-module code.
    fn from_finders(tl: (f32, f32), tr: (f32, f32), bl: (f32, f32), n: usize) -> Self {
        let span = n as f32 - 7.0;
        let ux = ((tr.0 - tl.0) / span, (tr.1 - tl.1) / span);
        let uy = ((bl.0 - tl.0) / span, (bl.1 - tl.1) / span);
        let origin = (
            tl.0 - 3.5 * ux.0 - 3.5 * uy.0,
            tl.1 - 3.5 * ux.1 - 3.5 * uy.1,
        );
        Grid { n, origin, ux, uy }
    }
}

/// Bilinear grey level at a real image point (pixel k covers [k, k+1]).
fn bilinear(grey: &[u8], w: usize, h: usize, x: f32, y: f32) -> f32 {
    let x = (x - 0.5).clamp(0.0, (w - 1) as f32);
    let y = (y - 0.5).clamp(0.0, (h - 1) as f32);
    let (x0, y0) = (x as usize, y as usize);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let p = |xx: usize, yy: usize| f32::from(grey[yy * w + xx]);
    let top = p(x0, y0) * (1.0 - fx) + p(x1, y0) * fx;
    let bottom = p(x0, y1) * (1.0 - fx) + p(x1, y1) * fx;
    top * (1.0 - fy) + bottom * fy
}

/// Module lightness (0 dark … 1 light) sampled at module centres against the local
/// mean; with `iterations` > 0, refined by that many CGLS steps of the pixel-area
/// model over the code's pixels (quiet zone, §6.3.8, fixed light), the model followed
/// by `blur` 3×3 box blurs.
#[allow(clippy::too_many_arguments)]
fn modules(
    grey: &[u8],
    w: usize,
    h: usize,
    g: &Grid,
    dark: f32,
    light: f32,
    iterations: usize,
    blur: usize,
    mid: &Mid,
) -> Vec<f32> {
    let n = g.n;
    let span = if (light - dark).abs() < 1.0 {
        1.0
    } else {
        light - dark
    };
    let norm = |v: f32| ((v - dark) / span).clamp(-0.5, 1.5);
    let mut m: Vec<f32> = (0..n * n)
        .map(|k| {
            let (x, y) = g.at((k % n) as f32 + 0.5, (k / n) as f32 + 0.5);
            (0.5 + (bilinear(grey, w, h, x, y) - mid.at(g, x, y)) / span).clamp(0.0, 1.0)
        })
        .collect();
    if iterations == 0 {
        return m;
    }
    // Pixels over the code plus one module of quiet zone.
    let corners = [
        g.at(-1.0, -1.0),
        g.at(n as f32 + 1.0, -1.0),
        g.at(-1.0, n as f32 + 1.0),
        g.at(n as f32 + 1.0, n as f32 + 1.0),
    ];
    let fx0 = corners
        .iter()
        .map(|c| c.0)
        .fold(f32::MAX, f32::min)
        .floor()
        .max(0.0) as usize;
    let fy0 = corners
        .iter()
        .map(|c| c.1)
        .fold(f32::MAX, f32::min)
        .floor()
        .max(0.0) as usize;
    let fx1 = (corners.iter().map(|c| c.0).fold(f32::MIN, f32::max).ceil() as usize).min(w);
    let fy1 = (corners.iter().map(|c| c.1).fold(f32::MIN, f32::max).ceil() as usize).min(h);
    if fx1 <= fx0 || fy1 <= fy0 || (fx1 - fx0) * (fy1 - fy0) > 400 * 400 {
        return m;
    }
    // Inverse of the grid's linear part: image offset → module offset.
    let det = g.ux.0 * g.uy.1 - g.uy.0 * g.ux.1;
    if det.abs() < 1e-6 {
        return m;
    }
    let inv = (g.uy.1 / det, -g.uy.0 / det, -g.ux.1 / det, g.ux.0 / det);
    const SS: usize = 4;
    const QUIET: u32 = u32::MAX;
    // For each pixel: its normalised value and the module of each of its SS² sub-samples.
    let mut rows: Vec<(f32, [u32; SS * SS])> = Vec::with_capacity((fx1 - fx0) * (fy1 - fy0));
    for y in fy0..fy1 {
        for x in fx0..fx1 {
            let mut cell = [QUIET; SS * SS];
            for (k, c) in cell.iter_mut().enumerate() {
                let px = x as f32 + ((k % SS) as f32 + 0.5) / SS as f32 - g.origin.0;
                let py = y as f32 + ((k / SS) as f32 + 0.5) / SS as f32 - g.origin.1;
                let u = inv.0 * px + inv.1 * py;
                let v = inv.2 * px + inv.3 * py;
                if u >= 0.0 && v >= 0.0 && u < n as f32 && v < n as f32 {
                    *c = v as u32 * n as u32 + u as u32;
                }
            }
            rows.push((norm(f32::from(grey[y * w + x])), cell));
        }
    }
    let bw = fx1 - fx0;
    // Least squares by CGLS (conjugate gradients on the normal equations): the blur
    // attenuates single-module detail several-fold, which plain gradient steps
    // recover only after hundreds of iterations. Stopping early regularises.
    let sub = (SS * SS) as f32;
    let forward = |m: &[f32]| -> Vec<f32> {
        let mut f: Vec<f32> = rows
            .iter()
            .map(|(_, cell)| {
                cell.iter()
                    .filter(|&&c| c != QUIET)
                    .map(|&c| m[c as usize])
                    .sum::<f32>()
                    / sub
            })
            .collect();
        box_blur(&mut f, bw, blur);
        f
    };
    let adjoint = |r: &[f32]| -> Vec<f32> {
        let mut f = r.to_vec();
        box_blur(&mut f, bw, blur);
        let mut out = vec![0f32; n * n];
        for (v, (_, cell)) in f.iter().zip(&rows) {
            for &c in cell {
                if c != QUIET {
                    out[c as usize] += v / sub;
                }
            }
        }
        out
    };
    // The quiet zone's fixed light contribution, moved to the data side.
    let mut quiet: Vec<f32> = rows
        .iter()
        .map(|(_, cell)| cell.iter().filter(|&&c| c == QUIET).count() as f32 / sub)
        .collect();
    box_blur(&mut quiet, bw, blur);
    let ax = forward(&m);
    let mut r: Vec<f32> = rows
        .iter()
        .zip(&quiet)
        .zip(&ax)
        .map(|(((v, _), q), a)| v - q - a)
        .collect();
    let mut sv = adjoint(&r);
    let mut p = sv.clone();
    let mut gamma: f32 = sv.iter().map(|v| v * v).sum();
    for _ in 0..iterations {
        if gamma < 1e-9 {
            break;
        }
        let q = forward(&p);
        let qq: f32 = q.iter().map(|v| v * v).sum();
        if qq < 1e-12 {
            break;
        }
        let alpha = gamma / qq;
        for (mv, pv) in m.iter_mut().zip(&p) {
            *mv += alpha * pv;
        }
        for (rv, qv) in r.iter_mut().zip(&q) {
            *rv -= alpha * qv;
        }
        sv = adjoint(&r);
        let next: f32 = sv.iter().map(|v| v * v).sum();
        let beta = next / gamma;
        gamma = next;
        for (pv, s) in p.iter_mut().zip(&sv) {
            *pv = s + beta * *pv;
        }
    }
    m
}

/// `passes` 3×3 box blurs of a `width`-wide field (edges averaged over what exists).
fn box_blur(field: &mut [f32], width: usize, passes: usize) {
    if width == 0 {
        return;
    }
    let height = field.len() / width;
    let mut tmp = vec![0f32; field.len()];
    for _ in 0..passes {
        for y in 0..height {
            for x in 0..width {
                let (lo, hi) = (x.saturating_sub(1), (x + 1).min(width - 1));
                let row = &field[y * width..(y + 1) * width];
                tmp[y * width + x] = row[lo..=hi].iter().sum::<f32>() / (hi - lo + 1) as f32;
            }
        }
        for y in 0..height {
            let (lo, hi) = (y.saturating_sub(1), (y + 1).min(height - 1));
            for x in 0..width {
                field[y * width + x] =
                    (lo..=hi).map(|yy| tmp[yy * width + x]).sum::<f32>() / (hi - lo + 1) as f32;
            }
        }
    }
}

/// The grey level between dark and light at a sample: the mean of the 5×5 modules
/// around it (a local threshold survives blur and uneven light).
struct Mid<'a>(&'a Integral);

impl Mid<'_> {
    fn at(&self, g: &Grid, x: f32, y: f32) -> f32 {
        let r = 2.5 * g.ux.0.hypot(g.ux.1);
        self.0.square(x, y, r) / (4.0 * r * r)
    }
}

/// Fraction of the timing-pattern modules (row and column 6 between the finders,
/// alternating and dark at even indices) that `g` reads as expected.
fn timing(grey: &[u8], w: usize, h: usize, g: &Grid, mid: &Mid, dark_on_light: bool) -> f32 {
    let n = g.n;
    let (mut good, mut all) = (0u32, 0u32);
    for k in 8..n - 8 {
        for (u, v) in [(k, 6), (6, k)] {
            let (x, y) = g.at(u as f32 + 0.5, v as f32 + 0.5);
            let is_dark = (bilinear(grey, w, h, x, y) < mid.at(g, x, y)) == dark_on_light;
            good += u32::from(is_dark == (k % 2 == 0));
            all += 1;
        }
    }
    good as f32 / all.max(1) as f32
}

/// The modules every code of side `n` has (finder patterns §6.3.3, their separators
/// §6.3.4, timing patterns §6.3.5) with their colour (true = dark).
fn fixed_modules(n: usize) -> Vec<(f32, f32, bool)> {
    let mut out = vec![];
    for (ox, oy) in [(0i32, 0i32), (n as i32 - 7, 0), (0, n as i32 - 7)] {
        for j in -1..8i32 {
            for i in -1..8i32 {
                let (x, y) = (ox + i, oy + j);
                if x < 0 || y < 0 || x >= n as i32 || y >= n as i32 {
                    continue;
                }
                let d = (i - 3).abs().max((j - 3).abs());
                out.push((x as f32 + 0.5, y as f32 + 0.5, d != 2 && d != 4));
            }
        }
    }
    for k in 8..n - 8 {
        out.push((k as f32 + 0.5, 6.5, k % 2 == 0));
        out.push((6.5, k as f32 + 0.5, k % 2 == 0));
    }
    out
}

/// How well `g` reads the fixed modules: mean of ±(grey − mid), positive when dark
/// modules are dark; in grey levels.
#[allow(clippy::too_many_arguments)]
fn agreement(
    grey: &[u8],
    w: usize,
    h: usize,
    g: &Grid,
    fixed: &[(f32, f32, bool)],
    mid: &Mid,
    dark_on_light: bool,
) -> f32 {
    let sign = if dark_on_light { 1.0 } else { -1.0 };
    let sum: f32 = fixed
        .iter()
        .map(|&(u, v, dark)| {
            let (x, y) = g.at(u, v);
            let d = sign * (mid.at(g, x, y) - bilinear(grey, w, h, x, y));
            if dark {
                d
            } else {
                -d
            }
        })
        .sum();
    sum / fixed.len().max(1) as f32
}

/// Coordinate ascent on the grid's six affine parameters, maximising [`agreement`]:
/// the finders alone place the grid to a few tenths of a pixel, too little at one
/// pixel per module across a 50-module code.
fn fit(
    grey: &[u8],
    w: usize,
    h: usize,
    mut g: Grid,
    mid: &Mid,
    dark_on_light: bool,
) -> (Grid, f32) {
    let fixed = fixed_modules(g.n);
    let mut best = agreement(grey, w, h, &g, &fixed, mid, dark_on_light);
    let mut step = 0.3f32;
    for _ in 0..4 {
        for _ in 0..6 {
            let mut improved = false;
            for k in 0..12 {
                let mut t = g;
                let (param, sign) = (k / 2, if k % 2 == 0 { 1.0 } else { -1.0 });
                // Origin steps in pixels; axis steps move the far side by `step` pixels.
                let d = if param < 2 { step } else { step / g.n as f32 } * sign;
                match param {
                    0 => t.origin.0 += d,
                    1 => t.origin.1 += d,
                    2 => t.ux.0 += d,
                    3 => t.ux.1 += d,
                    4 => t.uy.0 += d,
                    _ => t.uy.1 += d,
                }
                let a = agreement(grey, w, h, &t, &fixed, mid, dark_on_light);
                if a > best {
                    best = a;
                    g = t;
                    improved = true;
                }
            }
            if !improved {
                break;
            }
        }
        step *= 0.5;
    }
    (g, best)
}

fn decode(values: &[f32], n: usize, threshold: f32) -> Option<String> {
    let bits: Vec<Vec<bool>> = (0..n)
        .map(|y| (0..n).map(|x| values[y * n + x] < threshold).collect())
        .collect();
    decode_bool_array(&bits)
        .ok()
        .map(|r| r.getText().to_owned())
}

/// Tries to read a code from three finders, returning its text and grid.
fn read(
    grey: &[u8],
    ii: &Integral,
    w: usize,
    h: usize,
    tl: &Finder,
    tr: &Finder,
    bl: &Finder,
) -> Option<(String, Grid)> {
    let s = (tl.s + tr.s + bl.s) / 3.0;
    let d = ((tr.x - tl.x).hypot(tr.y - tl.y) + (bl.x - tl.x).hypot(bl.y - tl.y)) / 2.0;
    let dark = (tl.dark + tr.dark + bl.dark) / 3.0;
    let light = (tl.light + tr.light + bl.light) / 3.0;
    // The finders' module size is too rough to tell neighbouring versions apart at
    // 1 pixel per module: every version whose pitch is within ±25 % is scored by its
    // timing patterns (§6.3.5), and the best few are read.
    let mid = Mid(ii);
    let contrast = (light - dark).abs().max(1.0);
    let mut versions: Vec<(f32, usize)> = (1..=40usize)
        .filter_map(|version| {
            let n = 17 + 4 * version;
            let pitch = d / (n as f32 - 7.0);
            if pitch < s * 0.75 || pitch > s * 1.3 {
                return None;
            }
            let g = Grid::from_finders((tl.x, tl.y), (tr.x, tr.y), (bl.x, bl.y), n);
            Some((timing(grey, w, h, &g, &mid, dark < light), n))
        })
        .collect();
    versions.sort_by(|a, b| b.0.total_cmp(&a.0));
    for &(agree, n) in versions.iter().take(3) {
        if agree < 0.6 {
            break;
        }
        let base = Grid::from_finders((tl.x, tl.y), (tr.x, tr.y), (bl.x, bl.y), n);
        let (base, fitness) = fit(grey, w, h, base, &mid, dark < light);
        if fitness < 0.28 * contrast {
            continue;
        }
        // Jitter: the grid as fitted, then shifted by a fifth of a module.
        for &(ox, oy) in &[(0.0f32, 0.0f32), (0.2, 0.2), (-0.2, -0.2)] {
            let g = Grid {
                origin: base.at(ox, oy),
                ..base
            };
            // Deblurring models only where a blur can leave modules readable (≥ 1.6
            // pixels), and only on the fitted grid.
            let pitch = base.ux.0.hypot(base.ux.1);
            let variants: &[(usize, usize)] = if ox != 0.0 || pitch < 1.6 {
                &[(0, 0), (8, 0)]
            } else {
                &[(0, 0), (8, 0), (12, 1), (15, 2)]
            };
            for &(iterations, blur) in variants {
                let m = modules(grey, w, h, &g, dark, light, iterations, blur, &mid);
                for threshold in [0.5f32, 0.4, 0.6] {
                    if let Some(text) = decode(&m, n, threshold) {
                        return Some((text, g));
                    }
                }
            }
        }
    }
    None
}

/// Every code the sub-pixel reader finds in a luma image (empty when none, or when
/// the image is larger than [`MAX_PIXELS`]).
pub fn codes(grey: &[u8], w: usize, h: usize) -> Vec<QrCode> {
    if w * h > MAX_PIXELS || w < 21 || h < 21 || grey.len() != w * h {
        return vec![];
    }
    let ii = Integral::new(grey, w, h);
    let mut out = vec![];
    // Light modules on dark are looked for on dark captures only (dark mode).
    let mean = grey.iter().map(|&v| u64::from(v)).sum::<u64>() / grey.len() as u64;
    let polarities: &[bool] = if mean < 128 { &[false, true] } else { &[true] };
    for &dark_on_light in polarities {
        let finders = find_finders(grey, &ii, w, h, dark_on_light);
        let mut used = vec![false; finders.len()];
        let mut triples: Vec<(f32, usize, usize, usize)> = vec![];
        for c in 0..finders.len() {
            for a in 0..finders.len() {
                for b in 0..finders.len() {
                    if a == c || b == c || a == b {
                        continue;
                    }
                    let (fc, fa, fb) = (&finders[c], &finders[a], &finders[b]);
                    let (smin, smax) = (fc.s.min(fa.s).min(fb.s), fc.s.max(fa.s).max(fb.s));
                    if smax > smin * 1.35 {
                        continue;
                    }
                    let e1 = (fa.x - fc.x, fa.y - fc.y);
                    let e2 = (fb.x - fc.x, fb.y - fc.y);
                    let (l1, l2) = (e1.0.hypot(e1.1), e2.0.hypot(e2.1));
                    // a is the top-right finder: e1 × e2 > 0 in y-down coordinates.
                    let cross = e1.0 * e2.1 - e1.1 * e2.0;
                    if cross <= 0.0 || l1 < 14.0 * smin || (l1 - l2).abs() > 0.12 * l1.max(l2) {
                        continue;
                    }
                    let cos = (e1.0 * e2.0 + e1.1 * e2.1) / (l1 * l2);
                    if cos.abs() > 0.15 {
                        continue;
                    }
                    let quality = fc.score + fa.score + fb.score - 200.0 * cos.abs();
                    triples.push((quality, c, a, b));
                }
            }
        }
        triples.sort_by(|x, y| y.0.total_cmp(&x.0));
        for &(_, c, a, b) in triples.iter().take(60) {
            if used[c] || used[a] || used[b] {
                continue;
            }
            if let Some((text, g)) = read(grey, &ii, w, h, &finders[c], &finders[a], &finders[b]) {
                used[c] = true;
                used[a] = true;
                used[b] = true;
                let n = g.n as f32;
                let p = |(x, y): (f32, f32)| Point { x, y };
                out.push(QrCode {
                    text,
                    points: vec![
                        p(g.at(3.5, n - 3.5)),
                        p(g.at(3.5, 3.5)),
                        p(g.at(n - 3.5, 3.5)),
                        p(g.at(n, n)),
                    ],
                });
            }
        }
        if !out.is_empty() {
            break;
        }
    }
    out
}
