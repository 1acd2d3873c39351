#!/usr/bin/env bash
# Create .venv (once) and install CarbonFlow with its pinned dependencies (again when they change).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "CarbonFlow needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2
    exit 1
fi

if [ ! -x .venv/bin/python ]; then
    echo "==> creating the virtualenv in .venv"
    if ! "$PYTHON" -m venv .venv 2>/dev/null; then
        # Debian's python3 without python3-venv: fall back to virtualenv from PyPI.
        rm -rf .venv
        "$PYTHON" -m pip install --quiet --user virtualenv
        "$PYTHON" -m virtualenv --quiet .venv
    fi
fi

stamp=.venv/.carbonflow-installed
wanted=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "==> installing CarbonFlow and its pinned dependencies"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade "pip==26.3"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test]"
    echo "$wanted" > "$stamp"
fi
