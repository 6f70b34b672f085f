#!/usr/bin/env bash
# Runs DirectPipe's benchmarks (Benchmarks/, ordo-one/benchmark). Every target
# figure is printed as a ratio (%) against an anchor measured in the same run.
# Usage: scripts/bench.sh [benchmark options, e.g. --filter 'Wake.*']
DIRECTPIPE_DEPS=tests . "$(dirname "$0")/lib/prepare.sh"  # the servers the tests start, too
scripts/build-native.sh .build/native  # wake-probe, jack-passthrough: the other sides of two benchmarks
swift build -c release --product directpipe  # the engine CPU benchmark runs the real program
cd Benchmarks
swift package --disable-sandbox benchmark --no-progress "$@"
