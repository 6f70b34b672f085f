#!/usr/bin/env bash
# Runs DirectPipe's benchmarks (Benchmarks/, ordo-one/benchmark). Every target
# figure is printed as a ratio (%) against an anchor measured in the same run.
# Usage: scripts/bench.sh [benchmark options, e.g. --filter 'Wake.*']
. "$(dirname "$0")/lib/prepare.sh"
scripts/build-native.sh .build/native  # wake-probe, the reader in another process
cd Benchmarks
swift package --disable-sandbox benchmark --no-progress "$@"
