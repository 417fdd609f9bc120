//! RGBA → 8-bit luma, and the 2× box downscale used by the `Downscaled` passes.

/// Integer BT.601 luma of each RGBA pixel, composited over white by its alpha.
/// A trailing partial pixel (len not a multiple of 4) is ignored.
pub fn from_rgba(pixels: &[u8]) -> Vec<u8> {
    pixels
        .chunks_exact(4)
        .map(|px| {
            let y = (u32::from(px[0]) * 77 + u32::from(px[1]) * 150 + u32::from(px[2]) * 29) >> 8;
            let a = u32::from(px[3]);
            if a == 255 {
                y as u8
            } else {
                ((y * a + 255 * (255 - a)) / 255) as u8
            }
        })
        .collect()
}

/// Averages each 2×2 block (odd last row/column dropped). Returns the image and its size.
pub fn half(luma: &[u8], width: usize, height: usize) -> (Vec<u8>, usize, usize) {
    let (w, h) = (width / 2, height / 2);
    let mut out = Vec::with_capacity(w * h);
    for y in 0..h {
        let top = &luma[2 * y * width..2 * y * width + width];
        let bottom = &luma[(2 * y + 1) * width..(2 * y + 1) * width + width];
        for x in 0..w {
            let sum = u32::from(top[2 * x])
                + u32::from(top[2 * x + 1])
                + u32::from(bottom[2 * x])
                + u32::from(bottom[2 * x + 1]);
            out.push(((sum + 2) / 4) as u8);
        }
    }
    (out, w, h)
}

/// 255 − v for every pixel (dark-mode pages draw light modules on a dark background).
pub fn inverted(luma: &[u8]) -> Vec<u8> {
    luma.iter().map(|v| 255 - v).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luma_of_white_black_and_transparent() {
        let px = [255, 255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 0, 1, 2];
        assert_eq!(from_rgba(&px), vec![255, 0, 255]);
    }

    #[test]
    fn half_averages_blocks() {
        let img = [0, 255, 9, 0, 255, 9, 7, 7, 7];
        assert_eq!(half(&img, 3, 3), (vec![128], 1, 1));
    }
}
