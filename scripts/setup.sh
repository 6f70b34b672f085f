#!/usr/bin/env bash
# The first command of the README: install what is missing, build in release
# mode, and start DirectPipe with its defaults. Extra arguments go to DirectPipe.
. "$(dirname "$0")/lib/prepare.sh"

echo "setup: building (release)..."
swift build -c release --static-swift-stdlib --product directpipe
scripts/build-native.sh .build/native
bin=$(swift build -c release --show-bin-path)

# Until the audio engine lands (issue 3), DirectPipe starts its pipe sender:
# a 440 Hz tone on /DirectPipeAudio that OBS and 'directpipe tap' can read.
echo "setup: starting $bin/directpipe send $* (Ctrl-C stops; 'directpipe tap' in another terminal reads it)"
exec "$bin/directpipe" send "$@"
