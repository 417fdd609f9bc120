//! CTAPHID reassembly and INIT parsing on arbitrary reports: no panic, and a
//! message never exceeds the CTAPHID maximum.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_host::fido::ctaphid::{parse_init, Assembler, Event, MAX_MESSAGE};

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let cid = [0, 0, 0, first & 3];
    let mut a = Assembler::new(cid);
    // Report sizes vary (a real device sends 64; broken ones anything).
    let mut input = rest;
    while !input.is_empty() {
        let len = usize::from(input[0] % 70);
        let end = (1 + len).min(input.len());
        let report = &input[1..end];
        input = &input[end..];
        match a.push(report) {
            Ok(Event::Message { payload, .. }) => {
                assert!(payload.len() <= MAX_MESSAGE);
                let _ = parse_init(&payload, [1; 8]);
            }
            Ok(_) => {}
            Err(_) => a = Assembler::new(cid),
        }
    }
});
