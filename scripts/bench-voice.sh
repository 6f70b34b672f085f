#!/usr/bin/env bash
# The voice benchmark: the noise removers' quality (PESQ wide band and STOI on noisy speech, against each other and
# against pyrnnoise's reference) and their CPU share at 48 kHz (scripts/voice-quality.py).
# Usage: scripts/bench-voice.sh [--quick]
DIRECTPIPE_DEPS=tests . "$(dirname "$0")/lib/prepare.sh"
scripts/lib/python-tools.sh
swift build -c release --product directpipe
.build/venv/bin/python scripts/voice-quality.py "$(swift build -c release --show-bin-path)/directpipe" "$@"
