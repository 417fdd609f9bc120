#!/usr/bin/env bash
# QR benchmark: writes the corpus into target/qr-corpus (synthetic otpauth captures
# + the ZXing public photos from ../shared/data/qr-blackbox, as raw RGBA), builds the
# wasm decoder (cargo build --release stages it), then runs our wasm and jsQR on the
# same pixels in node and prints the table (docs/QR_BENCHMARK.md).
#   PER_CELL=8 scripts/bench-qr.sh          # images per category × resolution
#   QR_NATIVE=1 scripts/bench-qr.sh         # also the native cascade table (qr_eval)
#   QR_BENCH_REPEAT=3 scripts/bench-qr.sh   # each warm decode 3×, median kept (shared CPUs)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
PER_CELL=${PER_CELL:-8}
ZXING=${ZXING:-../shared/data/qr-blackbox}
[ -d "$ZXING" ] || ZXING=/work/shared/data/qr-blackbox
cargo build --release
cargo build --release -p tessera-qr --examples
corpus=target/qr-corpus
if [ ! -f "$corpus/manifest.json" ] || [ "$(cat "$corpus/.per" 2>/dev/null)" != "$PER_CELL" ]; then
  rm -rf "$corpus"
  target/release/examples/qr_corpus "$corpus" "$PER_CELL" "$ZXING"
  echo "$PER_CELL" > "$corpus/.per"
fi
glue=$(ls -td target/release/build/tessera-*/out/extension/wasm 2>/dev/null | head -1)
wasm="$glue/tessera_qr_bg.wasm"
echo "wasm decoder: $(stat -c %s "$wasm") bytes raw, $(gzip -9c "$wasm" | wc -c) bytes gzip -9"
node benches/qr/bench.mjs "$corpus" "$glue" target/qr-bench.json
if [ -n "${QR_NATIVE:-}" ]; then
  target/release/examples/qr_eval "$corpus" default
fi
