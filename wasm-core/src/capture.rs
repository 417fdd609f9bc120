//! QR capture geometry: where a region the user dragged on a page (CSS pixels of
//! the viewport, reported by the injected overlay) lies in a
//! `chrome.tabs.captureVisibleTab` screenshot (device pixels, any page zoom).
//!
//! The screenshot covers exactly the viewport, so the scale is the screenshot's
//! size over the viewport's CSS size on each axis (devicePixelRatio × zoom);
//! `dpr` is only the fallback when the viewport size is missing. The crop grows
//! by a margin ([`MARGIN_CSS`]) because users drag tight around a code and a QR
//! decoder needs the quiet zone, and is clamped to the screenshot.

use serde::{Deserialize, Serialize};

/// CSS pixels added on every side of a dragged region (the QR quiet zone is 4
/// modules; codes on pages are rarely below 2 CSS px per module).
pub const MARGIN_CSS: f64 = 8.0;
/// The smallest crop side worth decoding (a version-1 code at one pixel per module).
pub const MIN_SIDE: u32 = 21;

/// A region the overlay reports, in CSS pixels of the viewport.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Region {
    /// Left edge (CSS px from the viewport's left).
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
    /// `innerWidth` when the region was taken.
    #[serde(default)]
    pub viewport_width: f64,
    /// `innerHeight`.
    #[serde(default)]
    pub viewport_height: f64,
    /// `devicePixelRatio` (used when the viewport size is missing).
    #[serde(default)]
    pub dpr: f64,
}

/// A rectangle in screenshot pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PixelRect {
    /// Left.
    pub x: u32,
    /// Top.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// Why a region cannot be cropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CropError {
    /// Numbers that are not finite or negative sizes, or an empty screenshot.
    #[error("the region or screenshot size is invalid")]
    Invalid,
    /// Less than [`MIN_SIDE`] pixels on a side once clamped to the screenshot.
    #[error("the region is too small to hold a QR code")]
    TooSmall,
}

fn finite(v: f64) -> bool {
    v.is_finite()
}

/// The screenshot pixels of `region` (with the margin), for a screenshot of
/// `image_width` × `image_height`.
pub fn crop(region: &Region, image_width: u32, image_height: u32) -> Result<PixelRect, CropError> {
    let r = region;
    if ![r.x, r.y, r.width, r.height].into_iter().all(finite)
        || r.width < 0.0
        || r.height < 0.0
        || image_width == 0
        || image_height == 0
    {
        return Err(CropError::Invalid);
    }
    let fallback = if finite(r.dpr) && r.dpr > 0.0 {
        r.dpr
    } else {
        1.0
    };
    let scale = |image: u32, viewport: f64| {
        if finite(viewport) && viewport > 0.0 {
            f64::from(image) / viewport
        } else {
            fallback
        }
    };
    let (sx, sy) = (
        scale(image_width, r.viewport_width),
        scale(image_height, r.viewport_height),
    );
    let clamp = |v: f64, max: u32| v.max(0.0).min(f64::from(max));
    let left = clamp(((r.x - MARGIN_CSS) * sx).floor(), image_width);
    let top = clamp(((r.y - MARGIN_CSS) * sy).floor(), image_height);
    let right = clamp(((r.x + r.width + MARGIN_CSS) * sx).ceil(), image_width);
    let bottom = clamp(((r.y + r.height + MARGIN_CSS) * sy).ceil(), image_height);
    // Clamped to [0, u32::MAX as f64]: the casts cannot wrap.
    let (x, y) = (left as u32, top as u32);
    let (width, height) = ((right - left) as u32, (bottom - top) as u32);
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(CropError::TooSmall);
    }
    Ok(PixelRect {
        x,
        y,
        width,
        height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(x: f64, y: f64, w: f64, h: f64, vw: f64, vh: f64, dpr: f64) -> Region {
        Region {
            x,
            y,
            width: w,
            height: h,
            viewport_width: vw,
            viewport_height: vh,
            dpr,
        }
    }

    #[test]
    fn scales_by_the_screenshot_over_the_viewport() {
        // devicePixelRatio 2: a 1000×800 viewport is a 2000×1600 screenshot.
        let r = region(100.0, 50.0, 200.0, 150.0, 1000.0, 800.0, 2.0);
        assert_eq!(
            crop(&r, 2000, 1600),
            Ok(PixelRect {
                x: 184,
                y: 84,
                width: 432,
                height: 332
            })
        );
        // Zoom 150 % at dpr 1 reports innerWidth 667 for a 1000 px screenshot.
        let r = region(0.0, 0.0, 100.0, 100.0, 666.7, 533.3, 1.5);
        let p = crop(&r, 1000, 800).expect("test value");
        assert_eq!((p.x, p.y), (0, 0));
        assert_eq!(p.width, 162); // (100 + 8) × 1.49992… rounded up, from 0 (clamped)
    }

    #[test]
    fn clamps_to_the_screenshot_and_falls_back_to_dpr() {
        let r = region(950.0, 750.0, 200.0, 200.0, 0.0, 0.0, 1.0);
        assert_eq!(
            crop(&r, 1000, 800),
            Ok(PixelRect {
                x: 942,
                y: 742,
                width: 58,
                height: 58
            })
        );
    }

    #[test]
    fn refuses_tiny_and_invalid_regions() {
        let r = region(990.0, 10.0, 5.0, 5.0, 1000.0, 800.0, 1.0);
        assert_eq!(crop(&r, 1000, 800), Err(CropError::TooSmall));
        let r = region(f64::NAN, 0.0, 50.0, 50.0, 1000.0, 800.0, 1.0);
        assert_eq!(crop(&r, 1000, 800), Err(CropError::Invalid));
        let r = region(0.0, 0.0, -50.0, 50.0, 1000.0, 800.0, 1.0);
        assert_eq!(crop(&r, 1000, 800), Err(CropError::Invalid));
        let r = region(0.0, 0.0, 50.0, 50.0, 1000.0, 800.0, 1.0);
        assert_eq!(crop(&r, 0, 800), Err(CropError::Invalid));
        let r = region(1e300, 1e300, 1e300, 1e300, 1e-300, 1e-300, 1.0);
        assert_eq!(crop(&r, 1000, 800), Err(CropError::TooSmall));
    }
}
