//! The decoding passes and the cascade that runs them.

use rxing::common::{GlobalHistogramBinarizer, HybridBinarizer};
use rxing::multi::qrcode::QRCodeMultiReader;
use rxing::multi::MultipleBarcodeReader;
use rxing::qrcode::cpp_port::QrReader;
use rxing::{Binarizer, BinaryBitmap, DecodeHints, Luma8Source, RXingResult};

use crate::{luma, subpixel, DecodeError, Point, QrCode};

/// One way of looking at the image. A cascade runs passes in order and stops at the
/// first that finds at least one code (all the codes that pass sees).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// zxing-cpp's QR reader (rxing port) over the hybrid (8×8-block local threshold)
    /// binarizer, every finder-pattern triple tried: all the codes on the page.
    Hybrid,
    /// [`Pass::Hybrid`] on the inverted image: dark mode (light modules on dark).
    Inverted,
    /// zxing-cpp's reader over the global-histogram binarizer (one threshold per row).
    Global,
    /// zxing's classic (Java-port) multi reader over the hybrid binarizer.
    Classic,
    /// [`Pass::Hybrid`] on a 2× box-downscaled image: noisy photos, large captures.
    Downscaled,
    /// [`Pass::Inverted`] on the 2× downscaled image.
    DownscaledInverted,
    /// [`Pass::Hybrid`] after a local contrast stretch: faint, low-contrast codes.
    Stretched,
    /// [`Pass::Stretched`] on the inverted image: faint dark-mode codes.
    StretchedInverted,
    /// [`Pass::Hybrid`] on a bilinear 2× upscale: modules of 1–1.5 pixels.
    Upscaled,
    /// [`Pass::Hybrid`] on the image resized to `percent` % (bilinear): finder
    /// patterns and the sampling grid land differently on distorted codes.
    Scaled {
        /// New size in percent of the old.
        percent: u16,
    },
    /// [`Pass::Hybrid`] on the image turned 90°: the row scan meets the finder
    /// patterns from the other side (curved or skewed photos).
    Rotated,
    /// Global thresholds between the histogram's peaks (up to 6): faint flat-colour
    /// codes next to stronger contrast (a grey code on a white card), either polarity.
    /// The code's own two peaks can be the page's 4th–6th most populated pair.
    Levels,
    /// Finder patterns found on the grey levels and modules read on a sub-pixel grid
    /// (see `subpixel`): modules of 1–2.5 pixels, blurred or zoomed-out codes.
    Subpixel,
}

impl Pass {
    /// The cascade [`crate::decode_rgba`] and [`crate::decode_luma`] use.
    pub const DEFAULT: &'static [Pass] = &[
        Pass::Hybrid,
        Pass::Inverted,
        Pass::Levels,
        Pass::Downscaled,
        Pass::Classic,
        Pass::Subpixel,
        Pass::Upscaled,
        Pass::Scaled { percent: 133 },
    ];
}

/// Runs `cascade` on a validated luma image.
pub fn run(
    grey: &[u8],
    width: u32,
    height: u32,
    cascade: &[Pass],
) -> Result<Vec<QrCode>, DecodeError> {
    let mut inverted: Option<Vec<u8>> = None;
    let mut half: Option<(Vec<u8>, usize, usize)> = None;
    let (w, h) = (width as usize, height as usize);
    for &pass in cascade {
        let found = match pass {
            Pass::Hybrid => guarded(|| cpp(HybridBinarizer::new(source(grey, w, h)?))),
            Pass::Global => guarded(|| cpp(GlobalHistogramBinarizer::new(source(grey, w, h)?))),
            Pass::Classic => guarded(|| classic(HybridBinarizer::new(source(grey, w, h)?))),
            Pass::Inverted => {
                let inv = inverted.get_or_insert_with(|| luma::inverted(grey));
                guarded(|| cpp(HybridBinarizer::new(source(inv, w, h)?)))
            }
            Pass::Stretched | Pass::StretchedInverted => {
                let mut st = luma::stretched(grey, w, h);
                if pass == Pass::StretchedInverted {
                    st = luma::inverted(&st);
                }
                guarded(|| cpp(HybridBinarizer::new(source(&st, w, h)?)))
            }
            Pass::Subpixel => {
                #[cfg(not(any(target_arch = "wasm32", feature = "unguarded")))]
                let codes =
                    std::panic::catch_unwind(|| subpixel::codes(grey, w, h)).unwrap_or_default();
                #[cfg(any(target_arch = "wasm32", feature = "unguarded"))]
                let codes = subpixel::codes(grey, w, h);
                codes
            }
            Pass::Levels => {
                let mut found = vec![];
                for t in luma::level_thresholds(grey, 6) {
                    let bin = luma::thresholded(grey, t);
                    found = guarded(|| cpp(HybridBinarizer::new(source(&bin, w, h)?)));
                    if found.is_empty() {
                        let inv = luma::inverted(&bin);
                        found = guarded(|| cpp(HybridBinarizer::new(source(&inv, w, h)?)));
                    }
                    if !found.is_empty() {
                        break;
                    }
                }
                found
            }
            Pass::Scaled { percent } => {
                let f = f32::from(percent) / 100.0;
                let (nw, nh) = ((w as f32 * f) as usize, (h as f32 * f) as usize);
                if nw < crate::MIN_SIDE as usize
                    || nh < crate::MIN_SIDE as usize
                    || (nw as u64) * (nh as u64) > 1920 * 1080 * 2
                {
                    continue;
                }
                let img = luma::resize(grey, w, h, nw, nh);
                scaled(
                    guarded(|| cpp(HybridBinarizer::new(source(&img, nw, nh)?))),
                    1.0 / f,
                )
            }
            Pass::Rotated => {
                let img = luma::rotated(grey, w, h);
                let mut codes = guarded(|| cpp(HybridBinarizer::new(source(&img, h, w)?)));
                // Back from the turned frame: (x', y') = (h − 1 − y, x).
                for code in &mut codes {
                    for p in &mut code.points {
                        let (xr, yr) = (p.x, p.y);
                        p.x = yr;
                        p.y = (h as f32 - 1.0) - xr;
                    }
                }
                codes
            }
            Pass::Upscaled => {
                // 4× the pixels: only for captures up to 1080p, where 1-pixel modules are.
                if u64::from(width) * u64::from(height) > 1920 * 1080 {
                    continue;
                }
                let (big, bw, bh) = luma::double(grey, w, h);
                scaled(
                    guarded(|| cpp(HybridBinarizer::new(source(&big, bw, bh)?))),
                    0.5,
                )
            }
            Pass::Downscaled | Pass::DownscaledInverted => {
                let (small, sw, sh) = half.get_or_insert_with(|| luma::half(grey, w, h));
                if (*sw as u32) < crate::MIN_SIDE || (*sh as u32) < crate::MIN_SIDE {
                    continue;
                }
                let codes = if pass == Pass::Downscaled {
                    guarded(|| cpp(HybridBinarizer::new(source(small, *sw, *sh)?)))
                } else {
                    let inv = luma::inverted(small);
                    guarded(|| cpp(HybridBinarizer::new(source(&inv, *sw, *sh)?)))
                };
                scaled(codes, 2.0)
            }
        };
        if !found.is_empty() {
            return Ok(tidy(found));
        }
    }
    Err(DecodeError::NotFound)
}

fn source(grey: &[u8], w: usize, h: usize) -> Option<Luma8Source<'_>> {
    Luma8Source::new_with_slice(grey, w as u32, h as u32).ok()
}

fn hints() -> DecodeHints {
    DecodeHints {
        TryHarder: Some(true),
        ..DecodeHints::default()
    }
}

fn cpp<B: Binarizer>(binarizer: B) -> Option<Vec<RXingResult>> {
    QrReader
        .decode_multiple_with_hints(&mut BinaryBitmap::new(binarizer), &hints())
        .ok()
}

fn classic<B: Binarizer>(binarizer: B) -> Option<Vec<RXingResult>> {
    QRCodeMultiReader::new()
        .decode_multiple_with_hints(&mut BinaryBitmap::new(binarizer), &hints())
        .ok()
}

/// Runs one reader, turning "nothing found", errors and (natively) panics into an
/// empty list: a failing pass must never stop the cascade.
fn guarded(f: impl FnOnce() -> Option<Vec<RXingResult>>) -> Vec<QrCode> {
    #[cfg(not(any(target_arch = "wasm32", feature = "unguarded")))]
    let results = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .ok()
        .flatten();
    #[cfg(any(target_arch = "wasm32", feature = "unguarded"))]
    let results = f();
    results
        .unwrap_or_default()
        .iter()
        .filter(|r| matches!(r.getBarcodeFormat(), rxing::BarcodeFormat::QR_CODE))
        .map(|r| QrCode {
            text: r.getText().to_owned(),
            points: r
                .getPoints()
                .iter()
                .map(|p| Point { x: p.x, y: p.y })
                .collect(),
        })
        .collect()
}

fn scaled(mut codes: Vec<QrCode>, factor: f32) -> Vec<QrCode> {
    for code in &mut codes {
        for p in &mut code.points {
            p.x *= factor;
            p.y *= factor;
        }
    }
    codes
}

/// Drops repeats (same text, centres within a few pixels) and sorts top-to-bottom,
/// then left-to-right, so the output does not depend on detection order.
fn tidy(codes: Vec<QrCode>) -> Vec<QrCode> {
    let mut out: Vec<QrCode> = Vec::with_capacity(codes.len());
    for code in codes {
        let c = code.center();
        let dup = out.iter().any(|o| {
            let oc = o.center();
            o.text == code.text && (oc.x - c.x).abs() < 8.0 && (oc.y - c.y).abs() < 8.0
        });
        if !dup {
            out.push(code);
        }
    }
    out.sort_by(|a, b| {
        let (ca, cb) = (a.center(), b.center());
        (ca.y.round() as i64, ca.x.round() as i64, &a.text).cmp(&(
            cb.y.round() as i64,
            cb.x.round() as i64,
            &b.text,
        ))
    });
    out
}
