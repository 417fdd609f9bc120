//! otpauth-migration:// parsing never panics, on raw text and on arbitrary
//! protobuf bytes wrapped as an export code.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::otp::migration::{parse_migration, BatchCollector};

fn b64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut s = String::new();
    for c in data.chunks(3) {
        let n = c.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=c.len() {
            s.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    s
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_migration(text);
        let _ = parse_migration(&format!("otpauth-migration://offline?data={text}"));
    }
    if let Ok(batch) = parse_migration(&format!("otpauth-migration://offline?data={}", b64(data))) {
        for a in &batch.accounts {
            let _ = a.check();
        }
        let mut c = BatchCollector::new();
        c.add(batch.clone());
        c.add(batch);
        let _ = c.missing();
        let _ = c.finish();
    }
});
