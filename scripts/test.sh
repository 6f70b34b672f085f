#!/usr/bin/env bash
# The second command of the README, and what CI runs: the whole test suite.
# Installs what is missing, builds, fuzzes segment validation for a bounded
# time, then runs every Swift test (which start the servers and processes they
# need: jackd with the dummy driver, readers, writers).
DIRECTPIPE_DEPS=tests . "$(dirname "$0")/lib/prepare.sh"  # the servers the tests start, too

swift build --build-tests
scripts/build-native.sh .build/native
scripts/fuzz.sh "${DIRECTPIPE_FUZZ_SECONDS:-30}"
scripts/check-benchmarks-build.sh
# Serially: the real-time tests (jackd without real-time scheduling, the clock's
# pacing, xrun-free ramps) must not fight each other for this machine's cores.
swift test --no-parallel
