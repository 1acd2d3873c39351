"""A command loads only what it uses: listing users or tasks starts neither the worker, nor the web app, nor the
PDF and spreadsheet libraries."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("engine.background", "dramatiq", "reportlab", "openpyxl", "flask", "waitress", "webui", "demo")
# Runs the command as the installed `carbonflow` would, then prints the modules it loaded.
PROBE = """
import json, sys
from cli.main import main
try:
    main(sys.argv[1:], prog_name="carbonflow")
except SystemExit as exc:
    assert not exc.code, exc.code
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> dict[str, str]:
    directory = tmp_path_factory.mktemp("lazy")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{directory / 'cf.db'}"}
    exe = shutil.which("carbonflow", path=str(Path(sys.executable).parent))
    subprocess.run([exe, "init"], env=env, check=True, capture_output=True)
    subprocess.run([exe, "demo-users"], env=env, check=True, capture_output=True)
    return env


def _run(env: dict[str, str], *args: str) -> tuple[str, set[str]]:
    """The command's output and the modules it loaded."""
    done = subprocess.run([sys.executable, "-c", PROBE, *args], env=env, capture_output=True, text=True,
                          check=True, timeout=120)
    return done.stdout, set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize("args", [("users", "--json"), ("tasks", "--as", "li.carbon", "--json")])
def test_listing_imports_no_worker_web_app_or_report_library(database, args):
    output, modules = _run(database, *args)
    assert isinstance(json.loads(output), list)
    assert sorted(m for m in modules if m.split(".")[0] in HEAVY or m.startswith(HEAVY)) == []


def test_the_probe_sees_what_a_command_does_load(database):
    # The same probe on `serve --help` finds the web app and the worker, so an empty list above means something.
    _, modules = _run(database, "serve", "--help")
    assert {"webui.app", "engine.background.worker", "waitress"} <= modules
