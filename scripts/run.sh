#!/usr/bin/env bash
# Set everything up and run CarbonFlow: virtualenv, SQLite database, processes, demo users, a walk-through,
# then the web UI with the background worker.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

echo "==> initialising the database and deploying processes/"
# A new database: the installation deploys processes/ itself. Once the demo's process admin exists,
# they deploy what changed in processes/ since the last run (init refuses that to anyone unnamed).
if carbonflow users --json 2>/dev/null | grep '"username": "admin"' > /dev/null; then
    carbonflow init --as admin
else
    carbonflow init
fi
echo "==> a Shanxi cement plant's year of carbon management (demo data; loaded once)"
if carbonflow demo-data > /dev/null; then
    echo "    loaded"
else
    status=$?
    [ "$status" -eq 5 ] || exit "$status"  # 5: already loaded, nothing changed
    echo "    already loaded"
fi
echo "==> demo users (one per role; new passwords each run, given by the demo's process admin)"
carbonflow demo-users --as admin
echo
echo "==> a corrective action, step by step through the CLI"
python scripts/walkthrough.py

# The main job: the web UI on localhost, with the background worker in the same process (timers,
# yearly schedules, reminders and notifications need nobody to click; no broker server needed).
# CARBONFLOW_RUN_ONCE=1 stops here instead (for scripted checks of this command).
if [ "${CARBONFLOW_RUN_ONCE:-}" != "1" ]; then
    echo
    echo "==> serving CarbonFlow on http://127.0.0.1:8080/ (sign in with a demo user above; Ctrl-C stops it)"
    exec carbonflow serve --host 127.0.0.1 --port "${PORT:-8080}"
fi
