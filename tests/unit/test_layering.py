"""Import rules: the engine never imports Flask or the web layer."""
from __future__ import annotations

import ast

from engine.config import PROJECT_ROOT

FORBIDDEN = ("flask", "webui", "werkzeug")


def _imports(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_engine_and_forms_import_no_web_framework():
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)} imports {name}"
        for folder in ("engine", "forms")
        for path in (PROJECT_ROOT / folder).rglob("*.py")
        for name in _imports(path)
        if name.split(".")[0] in FORBIDDEN
    ]
    assert offenders == []


def test_only_engine_bpmn_imports_spiffworkflow():
    allowed = {"bpmn"}
    offenders = [
        str(path.relative_to(PROJECT_ROOT))
        for path in (PROJECT_ROOT / "engine").rglob("*.py")
        if path.relative_to(PROJECT_ROOT / "engine").parts[0] not in allowed
        and any(name.startswith("SpiffWorkflow") for name in _imports(path))
    ]
    assert offenders == []
