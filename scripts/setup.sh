#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine (run as root): apt packages,
# the wasm32 Rust target, and the npm tools (playwright-core, binaryen) in ./node_modules.
# Sourced by scripts/test.sh and scripts/demo.sh; safe to run again and again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

APT_PACKAGES=(chromium chromium-driver pcscd libpcsclite-dev pcsc-tools opensc vsmartcard-vpcd
  libudev-dev pkg-config binaryen)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing apt packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "setup: adding the wasm32-unknown-unknown Rust target"
  rustup target add wasm32-unknown-unknown
fi

# npm tools, reinstalled only when package-lock.json changed.
stamp=node_modules/.tessera-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing npm tools (playwright-core, binaryen, jsqr)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
export WASM_OPT="$PWD/node_modules/.bin/wasm-opt"

# Python test clients (python-fido2, pyscard) in ./.venv, reinstalled when tests/requirements.txt changes.
pystamp=.venv/.tessera-req.sha256
pywant=$(sha256sum tests/requirements.txt | cut -d' ' -f1)
if [ ! -f "$pystamp" ] || [ "$(cat "$pystamp")" != "$pywant" ]; then
  echo "setup: installing Python test clients into .venv"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
  echo "$pywant" > "$pystamp"
fi
export TESSERA_PYTHON="$PWD/.venv/bin/python"
