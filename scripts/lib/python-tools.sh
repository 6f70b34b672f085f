#!/usr/bin/env bash
# Python tools the tests use from PyPI, in a virtual environment of the project's own (.build/venv), so the
# system's Python stays untouched: schemathesis, which fuzzes the control API against its OpenAPI document,
# and selenium, which drives Chromium through the web panel. Idempotent: a second run checks the versions.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv=$root/.build/venv
version=4.32.5
selenium=4.51.0  # 4.52 needs a certifi newer than PyPI offers here
if [ -x "$venv/bin/st" ] && "$venv/bin/st" --version 2>/dev/null | grep -q "$version" \
    && "$venv/bin/python" -c "import selenium, sys; sys.exit(selenium.__version__ != '$selenium')" 2>/dev/null; then
    exit 0
fi
/usr/bin/python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version" "selenium==$selenium"
