"""The walk-through scripts/run.sh shows a newcomer runs through on a new database, today (its dates included)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from engine.config import PROJECT_ROOT


def test_the_readme_walk_through_runs_to_its_end_on_a_new_database(tmp_path):
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cf.db'}", "CARBONFLOW_DATA": str(tmp_path),
           "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    exe = shutil.which("carbonflow", path=str(bin_dir))
    assert exe is not None
    for command in (["init"], ["demo-users"]):
        subprocess.run([exe, *command], env=env, check=True, capture_output=True)
    walked = subprocess.run([sys.executable, str(PROJECT_ROOT / "scripts" / "walkthrough.py")], env=env,
                            capture_output=True, text=True, timeout=300)
    assert walked.returncode == 0, walked.stdout[-2000:] + walked.stderr[-2000:]
