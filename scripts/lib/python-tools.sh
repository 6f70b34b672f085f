#!/usr/bin/env bash
# Python tools the tests use from PyPI, in a virtual environment of the project's own (.build/venv), so the
# system's Python stays untouched: schemathesis, which fuzzes the control API against its OpenAPI document.
# Idempotent: a second run checks the version and does nothing.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv=$root/.build/venv
version=4.32.5
if [ -x "$venv/bin/st" ] && "$venv/bin/st" --version 2>/dev/null | grep -q "$version"; then exit 0; fi
/usr/bin/python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
