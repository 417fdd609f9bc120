#!/usr/bin/env bash
# Listing all OTP codes: `tessera otp codes` vs `ykman oath accounts code` on the
# same card (the virtual YKOATH key behind a private pcscd + vpcd), as a user
# runs them: whole process, median of N runs. Prints numbers; asserts nothing.
# Needs root (private mount/pid/net namespaces, so the machine's pcscd is untouched);
# run via scripts/bench.sh or directly after scripts/setup.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN=${TESSERA_BIN:-$PWD/target/release/tessera}
YKMAN=$PWD/.venv/bin/ykman
N=${N:-15}
ACCOUNTS=${ACCOUNTS:-10}
exec unshare -m -n -p -f --mount-proc bash -s "$BIN" "$YKMAN" "$N" "$ACCOUNTS" <<'INNER'
set -euo pipefail
BIN=$1 YKMAN=$2 N=$3 ACCOUNTS=$4
ip link set lo up; mount -t tmpfs tmpfs /run; mkdir -p /run/pcscd
work=$(mktemp -d)
# ykman only talks to a USB YubiKey in a reader named like one.
mkdir -p "$work/conf"
cat > "$work/conf/vpcd" <<C
FRIENDLYNAME "Yubico YubiKey OTP+FIDO+CCID"
DEVICENAME   /dev/null:0x8C7B
LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so
CHANNELID    0x8C7B
C
pcscd -f -c "$work/conf" >"$work/pcscd.log" 2>&1 & pcscd_pid=$!
"$BIN" virtual-card --profile ykoath --state "$work/card.json" --vpcd 127.0.0.1:35963 >"$work/card.log" 2>&1 & card_pid=$!
trap 'kill $card_pid $pcscd_pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do "$BIN" devices 2>/dev/null | grep -q '"token"' && break; sleep 0.1; done
R="Yubico YubiKey OTP+FIDO+CCID 00 00"
for i in $(seq "$ACCOUNTS"); do
  printf 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n' | "$BIN" otp add --manual --name "user$i" --issuer "Site$i" --device "$R" >/dev/null 2>&1
done
python3 - "$N" "$BIN" "$YKMAN" "$R" "$ACCOUNTS" <<'PY'
import statistics, subprocess, sys, time
n, tessera, ykman, reader, accounts = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
def run(cmd):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True)
        times.append((time.perf_counter() - t) * 1000)
        if out.returncode != 0:
            sys.exit(f"{cmd[0]} failed: {out.stderr}")
    return statistics.median(times), min(times), out.stdout
t, tmin, tout = run([tessera, "otp", "codes", "--device", reader])
y, ymin, yout = run([ykman, "--reader", reader, "oath", "accounts", "code"])
# Compare codes from one back-to-back pair inside a single 30 s TOTP window
# (the timed runs above end seconds apart and may straddle a window).
while True:
    window = int(time.time()) // 30
    tout = subprocess.run([tessera, "otp", "codes", "--device", reader], capture_output=True, text=True).stdout
    yout = subprocess.run([ykman, "--reader", reader, "oath", "accounts", "code"], capture_output=True, text=True).stdout
    if int(time.time()) // 30 == window:
        break
codes_t = sorted(l.split()[-1] for l in tout.splitlines())
codes_y = sorted(l.split()[-1] for l in yout.splitlines())
print(f"list all codes, {accounts} TOTP accounts, median of {n} runs (whole process):")
print(f"  tessera otp codes          {t:8.1f} ms (min {tmin:.1f})")
print(f"  ykman oath accounts code   {y:8.1f} ms (min {ymin:.1f})")
print(f"  ratio                      {y / t:8.1f}x")
print(f"  same codes: {codes_t == codes_y}")
PY
INNER
