#!/usr/bin/env bash
# README command 1, as a user runs it: scripts/setup.sh (what is missing installed, the release build, then
# `directpipe run`) for a few seconds on the internal clock, in a config folder of its own. It fails unless
# DirectPipe comes up: the panel's address printed, the pipe written (a `directpipe tap` reads it) and a
# clean exit.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
work=$(mktemp -d)
pipe=/DirectPipeAudio-setup-check-$$
tap_pid=
cleanup() {
    [ -n "$tap_pid" ] && kill "$tap_pid" 2>/dev/null || true
    rm -rf "$work" "/dev/shm$pipe"
}
trap cleanup EXIT
fail() {
    echo "setup-check: FAILED: $*"
    echo "--- setup.sh's output:"; cat "$work/out" "$work/err"
    echo "--- directpipe tap's:"; tail -3 "$work/tap"
    exit 1
}

# A reader waiting for the pipe before the engine starts: the release build setup.sh is about to find up
# to date (test.sh made it with the same function).
release_bin=$(swift build -c release --static-swift-stdlib --show-bin-path)
"$release_bin/directpipe" tap --pipe "$pipe" --wait --json --seconds 600 > "$work/tap" 2>&1 &
tap_pid=$!
status=0
XDG_CONFIG_HOME=$work/config scripts/setup.sh --backend clock --seconds 4 --json --pipe "$pipe" > "$work/out" 2> "$work/err" || status=$?
[ "$status" -eq 0 ] || fail "setup.sh exited with $status"
grep -q '^directpipe run: panel http://127\.0\.0\.1:[0-9]*/#token=[0-9a-f]\{64\}$' "$work/err" || fail "no panel address printed"
grep -q '"event":"final"' "$work/out" || fail "no final status"
kill -INT "$tap_pid" 2>/dev/null || true
wait "$tap_pid" || true
tap_pid=
frames=$(grep '"event":"final"' "$work/tap" | sed -n 's/.*"frames":\([0-9]*\).*/\1/p')
[ "${frames:-0}" -gt 0 ] || fail "the pipe was not written (a tap read ${frames:-nothing})"
echo "setup-check: scripts/setup.sh came up: panel address printed, $frames frames read from $pipe, clean exit"
