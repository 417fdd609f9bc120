#!/usr/bin/env bash
# The demo: builds Tessera, installs it into a fresh Chromium profile and opens the
# popup. With a display, Chromium stays open until you close it; headless, the popup
# is saved as test-artifacts/demo/popup.png. Installs what it needs first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
cargo build --release --locked
export TESSERA_BIN="$PWD/target/release/tessera"
exec node tests/e2e/demo.mjs
