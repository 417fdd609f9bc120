//! Native decode time on generated captures (criterion): `cargo bench -p tessera-qr`.
#![allow(missing_docs)]

#[path = "../tests/support/corpus.rs"]
mod corpus;

use criterion::{criterion_group, criterion_main, Criterion};

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode_rgba");
    group.sample_size(20);
    for (category, w, h) in [
        ("nominal", 1920, 1080),
        ("nominal", 2560, 1440),
        ("dark-mode", 1920, 1080),
        ("multi-code", 1920, 1080),
        ("migration", 1920, 1080),
        ("low-contrast", 1280, 720),
        ("small-modules", 1920, 1080),
        ("blur", 1280, 720),
    ] {
        let cap = corpus::generate(category, w, h, 7);
        group.bench_function(format!("{category}-{w}x{h}"), |b| {
            b.iter(|| tessera_qr::decode_rgba(&cap.rgba, cap.width, cap.height))
        });
    }
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
