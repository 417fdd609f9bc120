#!/usr/bin/env bash
# Benchmarks (numbers, not pass/fail): host start → hello, host memory, popup
# open → hello in Chromium, wasm size. Uses the release build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
cargo build --release --locked
export TESSERA_BIN="$PWD/target/release/tessera"
wasm=$(ls -t target/release/build/tessera-*/out/extension/wasm/tessera_core_bg.wasm | head -n1)
echo "popup wasm (first module): $(stat -c %s "$wasm") bytes raw, $(gzip -9c "$wasm" | wc -c) bytes gzip -9"
full="${wasm%/*}/tessera_core_full_bg.wasm"
echo "full wasm (dialogs, background; on demand): $(stat -c %s "$full") bytes raw, $(gzip -9c "$full" | wc -c) bytes gzip -9"
node benches/host-hello.mjs
node benches/popup-hello.mjs
node benches/fill-latency.mjs
cargo bench --locked --bench apdu_roundtrip
benches/otp-codes.sh
