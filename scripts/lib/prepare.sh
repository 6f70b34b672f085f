# Sourced by the entry scripts (setup, test, bench, soak): go to the checkout,
# install what is missing (with DIRECTPIPE_DEPS=tests, what the tests start
# too), and put the Swift toolchain on PATH.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
scripts/install-deps.sh ${DIRECTPIPE_DEPS:+--$DIRECTPIPE_DEPS}
. scripts/lib/toolchain.sh
directpipe_find_swift
