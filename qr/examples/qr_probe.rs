//! Debug probe: decode one raw RGBA file after an optional linear stretch of the luma.
//! `qr_probe FILE W H [LO HI]`
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let rgba = std::fs::read(&a[1]).unwrap_or_default();
    let (w, h): (u32, u32) = (a[2].parse().unwrap_or(0), a[3].parse().unwrap_or(0));
    let mut grey = tessera_qr::rgba_to_luma(&rgba);
    if a.len() > 5 {
        let (lo, hi): (f32, f32) = (a[4].parse().unwrap_or(0.0), a[5].parse().unwrap_or(255.0));
        for v in &mut grey {
            *v = ((f32::from(*v) - lo) * 255.0 / (hi - lo)).clamp(0.0, 255.0) as u8;
        }
    }
    for pass in [tessera_qr::Pass::Hybrid, tessera_qr::Pass::Global, tessera_qr::Pass::Classic] {
        println!("{pass:?}: {:?}", tessera_qr::decode_luma_with(&grey, w, h, &[pass]).map(|c| c.len()));
    }
    let px = |x: usize, y: usize| grey[y * w as usize + x];
    println!("sample {} {} {}", px(600, 560), px(620, 560), px(640, 600));
}
