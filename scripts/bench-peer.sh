#!/usr/bin/env bash
# DirectPipe against EasyEffects 7 on one private PipeWire graph: the latency each adds from a source to the virtual
# microphone it offers apps, and the CPU each process takes, in one run (scripts/peer-easyeffects.py). With no
# option, the three configurations the README reports: DirectPipe's guard as its limiter, both with a lookahead
# limiter, both gates 3 ms ahead.
# Usage: scripts/bench-peer.sh [peer-easyeffects.py options]
DIRECTPIPE_DEPS=bench . "$(dirname "$0")/lib/prepare.sh"
scripts/lib/python-tools.sh
swift build -c release --product directpipe
directpipe="$(swift build -c release --show-bin-path)/directpipe"
if [ $# -gt 0 ]; then
    exec .build/venv/bin/python scripts/peer-easyeffects.py "$directpipe" "$@"
fi
for options in "" "--limiter" "--gate-lookahead 3"; do
    # shellcheck disable=SC2086 # each configuration is its words
    .build/venv/bin/python scripts/peer-easyeffects.py "$directpipe" $options
done
