#!/usr/bin/env bash
# Runs every test: formatting, lints, Rust unit + integration tests (host over real
# pipes, installer), then the end-to-end tests in real Chromium with real pcscd.
# Installs what it needs first (scripts/setup.sh). Called by .ci/run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh

step() { printf '\n==> %s\n' "$*"; }

step "rustfmt"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy -p tessera-core --target wasm32-unknown-unknown --locked -- -D warnings
cargo clippy -p tessera-core --target wasm32-unknown-unknown --no-default-features --locked -- -D warnings
cargo clippy -p tessera-core --all-targets --no-default-features --locked -- -D warnings
cargo clippy -p tessera-qr --target wasm32-unknown-unknown --locked -- -D warnings

step "Rust tests (unit, host protocol over pipes, install/uninstall)"
cargo test --workspace --locked
# The popup's first wasm module is tessera-core without its `full` feature.
cargo test -p tessera-core --lib --no-default-features --locked

if [[ "${TESSERA_FUZZ_SECONDS:-0}" -gt 0 ]]; then
  step "Fuzz smoke: ${TESSERA_FUZZ_SECONDS} s per target (native-host/fuzz)"
  command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
  (cd native-host && for t in ctaphid_framing ctap_responses; do
    RUSTC_BOOTSTRAP=1 cargo fuzz run "$t" -- -max_total_time="$TESSERA_FUZZ_SECONDS"
  done)
fi

step "End-to-end tests in Chromium (artifacts in test-artifacts/)"
export TESSERA_BIN="$PWD/target/debug/tessera"
rm -f test-artifacts/host.log test-artifacts/learned-secrets.txt
node --test --test-concurrency=1 --test-reporter=spec tests/e2e/
