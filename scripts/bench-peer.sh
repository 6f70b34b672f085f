#!/usr/bin/env bash
# DirectPipe against EasyEffects 7 on one private PipeWire graph: the latency each adds from a source to the virtual
# microphone it offers apps, and the CPU each process takes, in one run (scripts/peer-easyeffects.py).
# Usage: scripts/bench-peer.sh [--seconds S]
DIRECTPIPE_DEPS=bench . "$(dirname "$0")/lib/prepare.sh"
scripts/lib/python-tools.sh
swift build -c release --product directpipe
.build/venv/bin/python scripts/peer-easyeffects.py "$(swift build -c release --show-bin-path)/directpipe" "$@"
