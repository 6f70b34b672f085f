#!/usr/bin/env bash
# The second command of the README, and what CI runs: the whole test suite.
# Installs what is missing, builds, fuzzes segment validation for a bounded
# time, then runs every Swift test (which start the processes they need).
. "$(dirname "$0")/lib/prepare.sh"

swift build --build-tests
scripts/build-native.sh .build/native
scripts/fuzz.sh "${DIRECTPIPE_FUZZ_SECONDS:-30}"
scripts/check-benchmarks-build.sh
swift test
