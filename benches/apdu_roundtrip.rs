//! Benchmark: APDU round trip through the real pcscd + vpcd to the virtual card
//! (`tessera virtual-card`), median of 500 (prints numbers; no pass/fail).

#[path = "../tests/support/pcsc_env.rs"]
mod pcsc_env;

use std::ffi::CString;
use std::time::Instant;

fn main() {
    let _pcscd = pcsc_env::Pcscd::start();
    let card = pcsc_env::VirtualCard::start("crescendo-key", "auto");
    let ctx = pcsc::Context::establish(pcsc::Scope::User).expect("context");
    let reader = CString::new(card.reader).expect("name");
    let card_conn = ctx
        .connect(&reader, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)
        .expect("connect");
    let mut buf = [0u8; 512];
    let select = hex::decode("00A4040007A0000000791000").expect("hex");
    let probe = hex::decode("0020000000").expect("hex");
    card_conn.transmit(&select, &mut buf).expect("select");
    let mut times = Vec::with_capacity(500);
    for _ in 0..500 {
        let t = Instant::now();
        card_conn.transmit(&probe, &mut buf).expect("probe");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "APDU round trip via pcscd+vpcd (VERIFY probe), median of 500: {:.3} ms (p10 {:.3}, p90 {:.3})",
        times[250], times[50], times[450]
    );
}
