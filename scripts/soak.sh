#!/usr/bin/env bash
# A soak run: DirectPipe on a real-time dummy jackd at 48 kHz / 64 frames for
# MINUTES (default 10) while stress-ng keeps the other core busy, with audio
# flowing (jack-ramp feeds and checks it). Prints DirectPipe's final status
# (callbacks, xruns, CPU) and jack-ramp's check. Not a pass/fail test: timing
# on a shared machine is a measurement, not a verdict.
# Usage: scripts/soak.sh [MINUTES]
DIRECTPIPE_DEPS=tests . "$(dirname "$0")/lib/prepare.sh"  # the servers the tests start, too
minutes=${1:-10}
seconds=$((minutes * 60))
dpkg-query -W -f='${Status}' stress-ng 2>/dev/null | grep -q 'install ok installed' || {
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get install -y -qq --no-install-recommends stress-ng >/dev/null
}
swift build -c release --product directpipe >/dev/null
scripts/build-native.sh .build/native >/dev/null
bin=$(swift build -c release --show-bin-path)
server=dp-soak-$$
realtime=-R; [ "$(id -u)" -eq 0 ] || realtime=--no-realtime
jackd -n "$server" "$realtime" -d dummy -r 48000 -p 64 >/dev/null 2>&1 & jackd=$!
trap 'kill $jackd 2>/dev/null; wait $jackd 2>/dev/null' EXIT
jack_wait -s "$server" -w -t 10 >/dev/null 2>&1
echo "soak: ${minutes} min at 48 kHz / 64 frames (1.33 ms), jackd $realtime, one core loaded by stress-ng"
stress-ng --cpu 1 --timeout "${seconds}s" --quiet & stress=$!
"$bin/directpipe" run --no-api --backend jack --jack-server "$server" --input none --pipe "soak-$$" \
    --seconds "$seconds" --json --quiet > ".build/soak-$$.json" & directpipe=$!
sleep 2
.build/native/jack-ramp --server "$server" --feed directpipe:in_1,directpipe:in_2 \
    --check directpipe:mic_out_1,directpipe:mic_out_2 --seconds $((seconds - 5))
wait $directpipe
wait $stress 2>/dev/null
tail -n 1 ".build/soak-$$.json"
rm -f ".build/soak-$$.json"
