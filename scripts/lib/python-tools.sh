#!/usr/bin/env bash
# Python tools the tests and benchmarks use from PyPI, in a virtual environment of the project's own (.build/venv),
# so the system's Python stays untouched: schemathesis, which fuzzes the control API against its OpenAPI
# document; selenium, which drives Chromium through the web panel; pyrnnoise, RNNoise's reference processing;
# pyloudnorm (a loudness reference), pesq and pystoi (speech quality scores). Idempotent: a second run checks
# the versions.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv=$root/.build/venv
pins=(
    schemathesis==4.32.5
    selenium==4.51.0  # 4.52 needs a certifi newer than PyPI offers here
    pyrnnoise==0.4.5
    pyloudnorm==0.2.0
    pesq==0.0.4
    pystoi==0.4.1
)
if [ -x "$venv/bin/python" ] && "$venv/bin/python" - "${pins[@]}" <<'PY' 2>/dev/null; then
import sys
from importlib.metadata import version
sys.exit(any(version(name) != wanted for name, wanted in (pin.split("==") for pin in sys.argv[1:])))
PY
    exit 0
fi
/usr/bin/python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}"
