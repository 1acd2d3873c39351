"""What every process model owes the people who work it: bilingual titles, instructions and clauses."""
from __future__ import annotations

import re

import pytest
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask

import forms
from engine.bpmn.parsing import parse_bpmn, signature_of, task_properties
from engine.config import PROJECT_ROOT
from engine.people import ROLES
from engine.read.clauses import clause_number
from engine.read.gathered import PARAMETERS

FILES = sorted((PROJECT_ROOT / "processes").glob("*.bpmn"))
CHINESE = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{3,}")


def _elements(path):
    parsed = parse_bpmn(path.read_bytes(), path.name, roles=ROLES, form_keys=forms.FORMS, queries=PARAMETERS)
    return [t for spec in [parsed.spec, *parsed.subprocess_specs.values()] for t in spec.task_specs.values()]


def _user_tasks(path):
    return [t for t in _elements(path) if isinstance(t, UserTask)]


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


def _old_signature_rule(task) -> bool:
    """How the engine guessed before the BPMN said so: top management deciding on an approval form."""
    fields = forms.get_form(task_properties(task)["formKey"]).schema._declared_fields
    return task.lane == "top_management" and (
        "approval_decision" in fields or any(n == "approved" or n.endswith("_approved") for n in fields))


def test_the_shipped_tasks_declaring_a_signature_are_the_decisions_the_old_rule_signed():
    shipped = [(f"{path.stem}.{task.bpmn_id}", task) for path in FILES for task in _user_tasks(path)]
    declared = {name for name, task in shipped if signature_of(task_properties(task)) is not None}
    guessed = {name for name, task in shipped if _old_signature_rule(task)}
    assert guessed  # the rule still finds the approvals, so the comparison means something
    assert declared == guessed


def test_every_start_event_of_the_shipped_models_titles_the_instances_it_starts():
    untitled = [f"{path.stem}.{t.bpmn_id}" for path in FILES
                for t in parse_bpmn(path.read_bytes(), path.name, roles=ROLES, form_keys=forms.FORMS, queries=PARAMETERS).spec
                .task_specs.values() if isinstance(t, StartEvent) and t.bpmn_id
                and not task_properties(t).get("instanceTitle")]
    assert untitled == []


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_user_task_declares_the_earlier_steps_it_shows(path):
    elements = _elements(path)
    readable = {t.bpmn_id for t in elements if isinstance(t, (StartEvent, UserTask)) and t.bpmn_id}
    for task in [t for t in elements if isinstance(t, UserTask)]:
        where = f"{path.stem}.{task.bpmn_id}"
        declared = [i.strip() for i in task_properties(task).get("context", "").split(",") if i.strip()]
        assert declared, f"{where}: context names the earlier steps the task shows above its form"
        assert set(declared) <= readable, \
            f"{where}: context names {sorted(set(declared) - readable)}, not start events or user tasks of the process"
