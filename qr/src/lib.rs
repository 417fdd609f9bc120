//! Tessera's QR decoder: finds and decodes every QR code in a capture of a web page
//! (a visible-tab screenshot, a dragged region, a page image, a clipboard image).
//!
//! The browser decodes the PNG to RGBA; [`decode_rgba`] (or [`decode_luma`] for 8-bit
//! grey) returns all the codes it finds, with their text and corner points, ordered
//! top-to-bottom then left-to-right. The same crate compiles natively (the `tessera qr
//! decode` CLI) and to wasm32 (a module the extension loads on demand; see
//! `bindings`).
//!
//! The work is done by [rxing](https://crates.io/crates/rxing)'s port of zxing-cpp's QR
//! reader, run as a cascade of passes (see [`Pass`] and docs/QR_BENCHMARK.md for the
//! measurements that chose them): later passes only run when earlier ones found nothing.
//! Every input is validated first; nothing here panics on any pixel data.

#[cfg(target_arch = "wasm32")]
mod bindings;
mod json;
mod luma;
mod passes;
mod subpixel;

pub use json::to_json;
pub use passes::Pass;

/// Largest side accepted, in pixels (a 4× HiDPI 4K capture is 15360 wide).
pub const MAX_SIDE: u32 = 16_384;
/// Largest pixel count accepted (about 8K × 8K), bounding memory in a wasm instance.
pub const MAX_PIXELS: u64 = 64 * 1024 * 1024;
/// Smallest side that can hold a QR code (version 1 is 21 modules, at one pixel each).
pub const MIN_SIDE: u32 = 21;

/// A point in image coordinates (pixels, origin top-left, may be fractional).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Horizontal coordinate, growing to the right.
    pub x: f32,
    /// Vertical coordinate, growing downwards.
    pub y: f32,
}

/// One decoded QR code.
#[derive(Clone, Debug, PartialEq)]
pub struct QrCode {
    /// The payload as text (byte segments decoded per ECI, UTF-8 or ISO-8859-1 guessed).
    pub text: String,
    /// Where the decoder located the code: the finder-pattern centres and, when the
    /// reader reports it, the fourth corner. At least one point, in image pixels.
    pub points: Vec<Point>,
}

impl QrCode {
    /// The centre of the points (a stable place to sort and deduplicate by).
    pub fn center(&self) -> Point {
        let n = self.points.len().max(1) as f32;
        let (sx, sy) = self
            .points
            .iter()
            .fold((0.0, 0.0), |(sx, sy), p| (sx + p.x, sy + p.y));
        Point {
            x: sx / n,
            y: sy / n,
        }
    }
}

/// Why a capture could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A side is smaller than a QR code can be (including 0×0).
    #[error("image {width}×{height} is too small to hold a QR code (min side {MIN_SIDE})")]
    TooSmall {
        /// Width given.
        width: u32,
        /// Height given.
        height: u32,
    },
    /// A side or the pixel count is above [`MAX_SIDE`] / [`MAX_PIXELS`].
    #[error("image {width}×{height} is too large (max side {MAX_SIDE}, max {MAX_PIXELS} pixels)")]
    TooLarge {
        /// Width given.
        width: u32,
        /// Height given.
        height: u32,
    },
    /// The buffer length is not width × height × bytes per pixel.
    #[error("pixel buffer has {actual} bytes, expected {expected} for the given size")]
    SizeMismatch {
        /// Bytes expected from the dimensions.
        expected: u64,
        /// Bytes given.
        actual: u64,
    },
    /// The image is valid but no QR code could be read in it.
    #[error("no QR code found")]
    NotFound,
}

/// Checks the dimensions and the buffer length (`bpp` bytes per pixel).
fn validate(len: usize, width: u32, height: u32, bpp: u64) -> Result<(), DecodeError> {
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(DecodeError::TooSmall { width, height });
    }
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(DecodeError::TooLarge { width, height });
    }
    let expected = u64::from(width) * u64::from(height) * bpp;
    if expected != len as u64 {
        return Err(DecodeError::SizeMismatch {
            expected,
            actual: len as u64,
        });
    }
    Ok(())
}

/// Decodes every QR code in an RGBA image (4 bytes per pixel, row-major, no padding,
/// as `ImageData.data` in a browser). Alpha is composited over white, so transparent
/// PNG codes read as printed.
///
/// Returns the codes ordered top-to-bottom then left-to-right, or
/// [`DecodeError::NotFound`] when there is none.
pub fn decode_rgba(pixels: &[u8], width: u32, height: u32) -> Result<Vec<QrCode>, DecodeError> {
    validate(pixels.len(), width, height, 4)?;
    let grey = luma::from_rgba(pixels);
    passes::run(&grey, width, height, Pass::DEFAULT)
}

/// Decodes every QR code in an 8-bit greyscale image (1 byte per pixel, row-major).
/// Same result as [`decode_rgba`].
pub fn decode_luma(luma: &[u8], width: u32, height: u32) -> Result<Vec<QrCode>, DecodeError> {
    validate(luma.len(), width, height, 1)?;
    passes::run(luma, width, height, Pass::DEFAULT)
}

/// Like [`decode_luma`] with an explicit cascade of passes: for the benchmarks that
/// choose [`Pass::DEFAULT`]. Every pass runs until one finds a code.
pub fn decode_luma_with(
    luma: &[u8],
    width: u32,
    height: u32,
    cascade: &[Pass],
) -> Result<Vec<QrCode>, DecodeError> {
    validate(luma.len(), width, height, 1)?;
    passes::run(luma, width, height, cascade)
}

/// Converts RGBA to the luma [`decode_luma`] takes (integer BT.601 weights, alpha over white).
pub fn rgba_to_luma(pixels: &[u8]) -> Vec<u8> {
    luma::from_rgba(pixels)
}
