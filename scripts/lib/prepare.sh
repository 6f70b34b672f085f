# Sourced by the entry scripts (setup, test, bench): go to the checkout,
# install what is missing, and put the Swift toolchain on PATH.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
scripts/install-deps.sh
. scripts/lib/toolchain.sh
directpipe_find_swift
