"""The import contracts in pyproject.toml (import-linter) hold, and each one fails when its rule is broken."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.config import PROJECT_ROOT

PACKAGES = ("cli", "webui", "demo", "engine", "forms")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    # PYTHONPATH first, so that a copy's packages are the ones analysed, not the installed project.
    env = {**os.environ, "PYTHONPATH": str(root), "COLUMNS": "200"}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120)


def test_the_project_keeps_every_import_contract():
    result = _lint(PROJECT_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout and "7 kept, 0 broken" in result.stdout


@pytest.fixture(scope="module")
def copy_of_the_tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tree")
    shutil.copy(PROJECT_ROOT / "pyproject.toml", root)
    for package in PACKAGES:
        shutil.copytree(PROJECT_ROOT / package, root / package,
                        ignore=shutil.ignore_patterns("__pycache__", "static", "templates", "translations"))
    return root


# One violation per contract: (file to append to, the import it gains, the contract that must then break).
VIOLATIONS = {
    "the engine imports the web app": (
        "engine/read/queries.py", "import webui.app", "Entry points over the engine, the engine over forms"),
    "the engine imports Flask": (
        "engine/services/tasks.py", "import flask",
        "The engine imports no web framework, command-line library or entry point"),
    "the read side imports a use case": (
        "engine/read/records.py", "from engine.services import tasks",
        "The read side never imports the write side's use cases or the worker"),
    "a use case imports the worker": (
        "engine/services/tasks.py", "from engine.background import worker", "Use cases never import the worker"),
    "forms import the engine": ("forms/fields.py", "import engine.people", "Forms import nothing of ours"),
    "a service imports SpiffWorkflow": (
        "engine/services/instances.py", "import SpiffWorkflow", "Only engine.bpmn imports SpiffWorkflow"),
    "two modules import each other": (
        "engine/people.py", "from engine.services import users", "No import circles"),
}


@pytest.mark.parametrize("violation", VIOLATIONS)
def test_each_contract_fails_when_its_rule_is_broken(copy_of_the_tree, violation):
    path, line, contract = VIOLATIONS[violation]
    target = copy_of_the_tree / path
    original = target.read_text()
    target.write_text(original + f"\n{line}\n")
    try:
        result = _lint(copy_of_the_tree)
    finally:
        target.write_text(original)
    assert result.returncode != 0, result.stdout
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(line.startswith(contract) for line in broken), result.stdout
