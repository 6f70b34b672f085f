#!/usr/bin/env bash
# The first command of the README: install what is missing, build in release
# mode, and start DirectPipe with its defaults. Extra arguments go to DirectPipe.
. "$(dirname "$0")/lib/prepare.sh"
. scripts/lib/build-release.sh
directpipe_build_release

# The engine on the best backend available (a running JACK server, else the
# internal clock with a 440 Hz tone), feeding /DirectPipeAudio for OBS and
# 'directpipe tap'.
echo "setup: starting $release_bin/directpipe run $* (Ctrl-C stops; 'directpipe tap' in another terminal reads the pipe)"
exec "$release_bin/directpipe" run "$@"
