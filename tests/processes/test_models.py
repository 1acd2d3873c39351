"""What every process model owes the people who work it: bilingual titles, instructions and clauses."""
from __future__ import annotations

import re

import pytest
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask

from engine.bpmn.parsing import parse_bpmn, task_properties
from engine.clauses import clause_number
from engine.config import PROJECT_ROOT
from engine.services.users import ROLES
import forms

FILES = sorted((PROJECT_ROOT / "processes").glob("*.bpmn"))
CHINESE = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{3,}")


def _user_tasks(path):
    parsed = parse_bpmn(path.read_bytes(), path.name, roles=ROLES, form_keys=forms.FORMS)
    return [t for spec in [parsed.spec, *parsed.subprocess_specs.values()]
            for t in spec.task_specs.values() if isinstance(t, UserTask)]


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_user_task_has_bilingual_title_and_instructions_and_names_its_clauses(path):
    for task in _user_tasks(path):
        props = task_properties(task)
        where = f"{path.stem}.{task.bpmn_id}"
        assert CHINESE.search(task.bpmn_name or ""), f"{where}: the task name is the Chinese title"
        assert LATIN.search(props.get("titleEn", "")), f"{where}: titleEn is missing"
        assert CHINESE.search(task.documentation or "") and LATIN.search(task.documentation or ""), \
            f"{where}: documentation tells the person what to do in Chinese and English"
        clauses = [c.strip() for c in props.get("clauses", "").split(",") if c.strip()]
        assert clauses and all(clause_number(c) for c in clauses), f"{where}: clauses {clauses!r}"
