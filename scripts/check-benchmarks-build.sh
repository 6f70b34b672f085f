#!/usr/bin/env bash
# Builds the benchmarks package (no run: timing belongs to scripts/bench.sh),
# so CI notices when a change breaks it. Skip with DIRECTPIPE_SKIP_BENCHMARK_BUILD=1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ "${DIRECTPIPE_SKIP_BENCHMARK_BUILD:-0}" = 1 ]; then
    echo "benchmarks: build skipped (DIRECTPIPE_SKIP_BENCHMARK_BUILD=1)"
    exit 0
fi
. "$root/scripts/lib/toolchain.sh"
directpipe_find_swift
echo "benchmarks: building the benchmark package"
swift build --package-path "$root/Benchmarks" -c release 2>&1 | grep -E 'error|warning: |Build complete' || true
exit "${PIPESTATUS[0]}"
