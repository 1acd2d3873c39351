#!/usr/bin/env bash
# Set everything up and run CarbonFlow: virtualenv, SQLite database, processes, demo users, a walk-through,
# then the background worker.
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

# The main job: keep the cycles running. Timers, yearly schedules, reminders and notifications
# need nobody to click; with no BROKER_URL the worker brings its own in-process broker.
# CARBONFLOW_RUN_ONCE=1 stops here instead (for scripted checks of this command).
if [ "${CARBONFLOW_RUN_ONCE:-}" != "1" ]; then
    echo
    echo "==> the background worker (timers, schedules, reminders); Ctrl-C stops it"
    exec carbonflow worker
fi
