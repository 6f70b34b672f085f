#!/usr/bin/env bash
# Fuzzes segment validation (libFuzzer + ASan + UBSan) for a bounded time.
# Usage: scripts/fuzz.sh [SECONDS]   (default 30)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-30}
native=$root/.build/native
fuzzer=$native/segment-validate-fuzz
[ -x "$fuzzer" ] || "$root/scripts/build-native.sh" "$native"
if [ ! -x "$fuzzer" ]; then
    echo "fuzz: no clang with libFuzzer here, so no fuzz target" >&2
    exit 1
fi

# Seeds: a valid segment and a few near misses, so the fuzzer starts past the magic.
corpus=$root/.build/fuzz-corpus
mkdir -p "$corpus"
python3 - "$corpus" <<'PY'
import struct, sys, pathlib
out = pathlib.Path(sys.argv[1])
def segment(rate=48000, channels=2, frames=1024, version=1, header=256, magic=0x50495044, extra=0):
    h = bytearray(256)
    struct.pack_into('<IIIIIIIII', h, 128, rate, channels, frames, version, 1, magic, header, 1, 1)
    return bytes(h) + bytes(frames * channels * 4 + extra)
seeds = {'valid': segment(), 'mono': segment(channels=1), 'short': segment()[:-4],
         'v2': segment(version=2), 'npot': segment(frames=1000)}
for name, data in seeds.items():
    (out / name).write_bytes(data)
PY

echo "fuzz: segment validation for ${seconds}s"
"$fuzzer" -max_total_time="$seconds" -max_len=70000 -print_final_stats=1 "$corpus" 2>&1 |
    grep -E '^(#[0-9]+ +DONE|Done|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)' || true
exit "${PIPESTATUS[0]}"
