"""Every process file carries a diagram of all its elements, so the web modeller can show it."""
from __future__ import annotations

import subprocess
import sys

from engine.config import PROJECT_ROOT


def test_every_process_file_has_a_complete_diagram():
    files = sorted(str(p) for p in (PROJECT_ROOT / "processes").glob("*.bpmn"))
    check = subprocess.run([sys.executable, str(PROJECT_ROOT / "scripts" / "layout_bpmn.py"), "--check", *files],
                           capture_output=True, text=True)
    assert check.returncode == 0, f"run scripts/layout_bpmn.py on these files:\n{check.stdout}{check.stderr}"
