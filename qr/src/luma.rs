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

/// Local contrast stretch: each pixel is mapped from its neighbourhood's [min, max]
/// (5×5 tiles of `TILE` pixels around its tile) to [0, 255]. Faint codes (grey on grey,
/// 30–70 levels apart) then look like printed ones to the binarizers; flat areas
/// (range below 8) become white.
pub fn stretched(luma: &[u8], width: usize, height: usize) -> Vec<u8> {
    const TILE: usize = 16;
    let (tw, th) = (width.div_ceil(TILE), height.div_ceil(TILE));
    let mut lo = vec![255u8; tw * th];
    let mut hi = vec![0u8; tw * th];
    for y in 0..height {
        let row = &luma[y * width..(y + 1) * width];
        let t_row = (y / TILE) * tw;
        for (x, &v) in row.iter().enumerate() {
            let t = t_row + x / TILE;
            lo[t] = lo[t].min(v);
            hi[t] = hi[t].max(v);
        }
    }
    // Widen each tile's range to its 5×5 neighbourhood.
    let mut wlo = vec![255u8; tw * th];
    let mut whi = vec![0u8; tw * th];
    for ty in 0..th {
        for tx in 0..tw {
            let (mut l, mut h) = (255u8, 0u8);
            for ny in ty.saturating_sub(2)..(ty + 3).min(th) {
                for nx in tx.saturating_sub(2)..(tx + 3).min(tw) {
                    l = l.min(lo[ny * tw + nx]);
                    h = h.max(hi[ny * tw + nx]);
                }
            }
            wlo[ty * tw + tx] = l;
            whi[ty * tw + tx] = h;
        }
    }
    let mut out = vec![255u8; width * height];
    for y in 0..height {
        let t_row = (y / TILE) * tw;
        for x in 0..width {
            let t = t_row + x / TILE;
            let (l, h) = (u32::from(wlo[t]), u32::from(whi[t]));
            if h >= l + 8 {
                let v = u32::from(luma[y * width + x]).clamp(l, h);
                out[y * width + x] = ((v - l) * 255 / (h - l)) as u8;
            }
        }
    }
    out
}

/// Bilinear 2× upscale, for codes whose modules are 1–1.5 pixels.
pub fn double(luma: &[u8], width: usize, height: usize) -> (Vec<u8>, usize, usize) {
    let (w, h) = (width * 2, height * 2);
    let mut out = vec![0u8; w * h];
    for y in 0..h {
        // Source coordinate of the destination pixel centre, in half-pixel steps.
        let sy = (y as i64 - 1).max(0) as usize / 2;
        let fy = if y % 2 == 0 { 3 } else { 1 };
        let sy1 = (sy + 1).min(height - 1);
        for x in 0..w {
            let sx = (x as i64 - 1).max(0) as usize / 2;
            let fx = if x % 2 == 0 { 3 } else { 1 };
            let sx1 = (sx + 1).min(width - 1);
            let (fy, fx) = if y == 0 { (0, fx) } else { (fy, fx) };
            let fx = if x == 0 { 0 } else { fx };
            let a = u32::from(luma[sy * width + sx]);
            let b = u32::from(luma[sy * width + sx1]);
            let c = u32::from(luma[sy1 * width + sx]);
            let d = u32::from(luma[sy1 * width + sx1]);
            let top = a * (4 - fx) + b * fx;
            let bottom = c * (4 - fx) + d * fx;
            out[y * w + x] = ((top * (4 - fy) + bottom * fy + 8) / 16) as u8;
        }
    }
    (out, w, h)
}

/// Global thresholds worth trying on a screenshot, whose colours are flat: the
/// midpoints between adjacent peaks of the (smoothed) histogram, most populated pairs
/// first, at most `max`. A faint grey code on a white card has its own two peaks,
/// and the midpoint between them separates it cleanly where local thresholds fail.
pub fn level_thresholds(luma: &[u8], max: usize) -> Vec<u8> {
    let mut hist = [0u64; 256];
    for &v in luma {
        hist[usize::from(v)] += 1;
    }
    let smooth: Vec<u64> = (0..256)
        .map(|i: usize| hist[i.saturating_sub(2)..(i + 3).min(256)].iter().sum())
        .collect();
    let floor = luma.len() as u64 / 400; // a peak holds at least 0.25% of the pixels
    let mut peaks: Vec<(usize, u64)> = vec![];
    for i in 0..256 {
        let v = smooth[i];
        let left = if i > 0 { smooth[i - 1] } else { 0 };
        let right = if i < 255 { smooth[i + 1] } else { 0 };
        if v >= floor && v > 0 && v >= left && v > right {
            peaks.push((i, v));
        }
    }
    let mut pairs: Vec<(u64, u8)> = peaks
        .windows(2)
        .filter(|w| w[1].0 - w[0].0 >= 12)
        .map(|w| (w[0].1.min(w[1].1), ((w[0].0 + w[1].0) / 2) as u8))
        .collect();
    pairs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    pairs.into_iter().take(max).map(|(_, t)| t).collect()
}

/// 0 where `luma <= t`, 255 elsewhere.
pub fn thresholded(luma: &[u8], t: u8) -> Vec<u8> {
    luma.iter().map(|&v| if v <= t { 0 } else { 255 }).collect()
}

/// Bilinear resize to `nw`×`nh` (sample centres aligned).
pub fn resize(luma: &[u8], width: usize, height: usize, nw: usize, nh: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(nw * nh);
    let (sx, sy) = (width as f32 / nw as f32, height as f32 / nh as f32);
    for y in 0..nh {
        let fy = ((y as f32 + 0.5) * sy - 0.5).clamp(0.0, (height - 1) as f32);
        let y0 = fy as usize;
        let y1 = (y0 + 1).min(height - 1);
        let wy = fy - y0 as f32;
        for x in 0..nw {
            let fx = ((x as f32 + 0.5) * sx - 0.5).clamp(0.0, (width - 1) as f32);
            let x0 = fx as usize;
            let x1 = (x0 + 1).min(width - 1);
            let wx = fx - x0 as f32;
            let p = |xx: usize, yy: usize| f32::from(luma[yy * width + xx]);
            let top = p(x0, y0) * (1.0 - wx) + p(x1, y0) * wx;
            let bottom = p(x0, y1) * (1.0 - wx) + p(x1, y1) * wx;
            out.push((top * (1.0 - wy) + bottom * wy + 0.5) as u8);
        }
    }
    out
}

/// The image turned 90° clockwise (its size is `height`×`width`).
pub fn rotated(luma: &[u8], width: usize, height: usize) -> Vec<u8> {
    let mut out = vec![0u8; width * height];
    for y in 0..height {
        for x in 0..width {
            // (x, y) → (height − 1 − y, x) in a height-wide image.
            out[x * height + (height - 1 - y)] = luma[y * width + x];
        }
    }
    out
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
