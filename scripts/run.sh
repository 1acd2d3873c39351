#!/usr/bin/env bash
# Set everything up and run CarbonFlow: virtualenv, SQLite database, processes, demo users, a walk-through.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

echo "==> initialising the database and deploying processes/"
carbonflow init
echo "==> demo users (one per role; new passwords each run)"
carbonflow demo-users
echo
echo "==> a corrective action, step by step through the CLI"
python scripts/walkthrough.py
