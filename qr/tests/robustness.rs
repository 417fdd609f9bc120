//! Bad sizes and garbage pixels give errors, never panics.

use tessera_qr::{decode_luma, decode_rgba, DecodeError, MAX_SIDE};

#[test]
fn odd_sizes_are_errors() {
    assert!(matches!(
        decode_rgba(&[], 0, 0),
        Err(DecodeError::TooSmall { .. })
    ));
    assert!(matches!(
        decode_rgba(&[0; 4], 1, 1),
        Err(DecodeError::TooSmall { .. })
    ));
    assert!(matches!(
        decode_luma(&[0; 20 * 100], 20, 100),
        Err(DecodeError::TooSmall { .. })
    ));
    assert!(matches!(
        decode_rgba(&[0; 100], 100, 100),
        Err(DecodeError::SizeMismatch {
            expected: 40_000,
            actual: 100
        })
    ));
    assert!(matches!(
        decode_luma(&[0; 100 * 100 + 1], 100, 100),
        Err(DecodeError::SizeMismatch { .. })
    ));
    assert!(matches!(
        decode_rgba(&[], MAX_SIDE + 1, 100),
        Err(DecodeError::TooLarge { .. })
    ));
    assert!(matches!(
        decode_rgba(&[], u32::MAX, u32::MAX),
        Err(DecodeError::TooLarge { .. })
    ));
}

/// SplitMix64, so the garbage is the same on every run.
fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) as u8
        })
        .collect()
}

#[test]
fn garbage_is_not_found() {
    for (i, &(w, h)) in [
        (21, 21),
        (22, 997),
        (997, 22),
        (64, 64),
        (333, 211),
        (640, 480),
    ]
    .iter()
    .enumerate()
    {
        let n = (w * h) as usize;
        for pixels in [
            noise(i as u64, n),
            vec![0; n],
            vec![255; n],
            (0..n)
                .map(|k| {
                    if (k / 3 + k / w as usize).is_multiple_of(2) {
                        0
                    } else {
                        255
                    }
                })
                .collect(),
        ] {
            assert_eq!(
                decode_luma(&pixels, w, h),
                Err(DecodeError::NotFound),
                "{w}×{h}"
            );
        }
        assert_eq!(
            decode_rgba(&noise(100 + i as u64, n * 4), w, h),
            Err(DecodeError::NotFound)
        );
    }
}
