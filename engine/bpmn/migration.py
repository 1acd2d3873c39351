"""Moving a running workflow onto another version of its process: where each waiting step goes, and the move.

A waiting step (an open user task, a timer, a message wait) goes to the element of the same id in the new
version, or to the element an explicit mapping names (a renamed element). SpiffWorkflow's own spec diff aligns
the rest of the tree (``SpiffWorkflow.bpmn.util.diff``); the waiting steps are then prepared again on their new
specs, so a changed due time, form or timer applies at once.
"""
from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow

from engine.bpmn.parsing import task_properties
from engine.errors import Reason

# Names a script may read without the instance holding them: the sandbox's helpers and Python's builtins.
HELPERS = frozenset({"today", "add_days", "days_between", "end_of_day", "decimal", "round", "len", "str", "int",
                     "float", "bool", "list", "dict", "set", "tuple", "min", "max", "sum", "abs", "sorted", "range",
                     "enumerate", "zip", "any", "all", "True", "False", "None", "isinstance", "map", "filter"})


@dataclass(frozen=True)
class Move:
    """Where one waiting step of the instance goes in the new version (``to`` None: it cannot go)."""

    element: str
    kind: str  # "task" (an open user task) or "wait" (a timer or message the instance waits for)
    to: str | None
    refusal: Reason | None = None


@dataclass(frozen=True)
class Plan:
    """Every waiting step's move, and what refuses the migration as a whole (empty: it can go)."""

    moves: list[Move]
    refusals: list[Reason] = field(default_factory=list)

    @property
    def possible(self) -> bool:
        return not self.refusals and all(m.refusal is None for m in self.moves)


def plan(workflow: Any, new_spec: Any, mapping: Mapping[str, str], *, form_fields: Mapping[str, set[str]]) -> Plan:
    """Where each waiting step of the workflow would go on ``new_spec``, and why any could not.

    ``form_fields``: each form key's field names, which a task's completion adds to the data.
    """
    refusals = []
    if workflow.subprocesses:
        refusals.append(Reason("subprocess", {}, "it runs a subprocess or a multi-instance step; migrating those "
                                                 "is not supported"))
    unknown = ", ".join(sorted(target for target in mapping.values() if target not in new_spec.task_specs))
    if unknown:
        refusals.append(Reason("mapping_unknown", {"elements": unknown},
                               f"the mapping names {unknown}, which the new version does not have"))
    moves = [_move(task, new_spec, mapping, form_fields, data=workflow.data) for task in waiting(workflow)]
    return Plan(moves, refusals)


def waiting(workflow: Any) -> list[Any]:
    """The workflow's waiting steps: open user tasks, and the timers and messages it waits for."""
    tasks = workflow.get_tasks(state=TaskState.READY | TaskState.WAITING, skip_subprocesses=True)
    return [t for t in tasks if t.task_spec.bpmn_id and (isinstance(t.task_spec, UserTask)
                                                         or t.state == TaskState.WAITING)]


def migrate(workflow: Any, new_spec: Any, new_subprocess_specs: dict[str, Any], mapping: Mapping[str, str],
            registry: Any) -> None:
    """Move the workflow onto the new spec (the plan must be possible); its waiting steps are prepared again."""
    spec_diff = SpecDiff(registry, workflow.spec, new_spec)
    for old_name, new_name in _expanded(mapping, workflow.spec, new_spec).items():
        old = workflow.spec.task_specs[old_name]
        spec_diff.alignment[old] = new_spec.task_specs[new_name]
        if new_spec.task_specs[new_name] in spec_diff.added:
            spec_diff.added.remove(new_spec.task_specs[new_name])
    migrate_workflow(WorkflowDiff(workflow, spec_diff), workflow, new_spec)
    workflow.subprocess_specs = new_subprocess_specs


def _move(task: Any, new_spec: Any, mapping: Mapping[str, str], form_fields: Mapping[str, set[str]],
          data: dict[str, Any]) -> Move:
    element = task.task_spec.bpmn_id
    kind = "task" if isinstance(task.task_spec, UserTask) else "wait"
    target = mapping.get(element, element)
    spec = new_spec.task_specs.get(target)
    if spec is None or spec.bpmn_id != target:
        return Move(element, kind, None, Reason("element_missing", {"element": element},
                                                f"{element} is not in the new version: map it to an element that is"))
    if type(spec).__name__ != type(task.task_spec).__name__:
        return Move(element, kind, target, Reason(
            "type_changed", {"element": element, "target": target, "was": _kind(task.task_spec), "is": _kind(spec)},
            f"{element} is a {_kind(task.task_spec)} but {target} is a {_kind(spec)}"))
    provided = set(task.data) | set(data) | set(form_fields.get(task_properties(spec).get("formKey", ""), set()))
    missing = _missing_names(spec, provided)
    if missing:
        script, names = missing
        return Move(element, kind, target, Reason(
            "script_missing", {"script": script, "names": ", ".join(names)},
            f"script {script} of the new version reads {', '.join(names)}, which this instance does not hold"))
    return Move(element, kind, target)


def _missing_names(start: Any, provided: set[str]) -> tuple[str, list[str]] | None:
    """The first script after ``start`` (before the next person or wait) reading a name nothing provides."""
    seen, frontier, assigned = set(), list(start.outputs), set(provided)
    while frontier:
        spec = frontier.pop(0)
        if spec.name in seen or isinstance(spec, UserTask) or _waits(spec):
            continue
        seen.add(spec.name)
        if isinstance(spec, ScriptTask) and spec.script:
            reads, writes = _names(spec.script)
            missing = sorted(reads - assigned - HELPERS)
            if missing:
                return spec.bpmn_id or spec.name, missing
            assigned |= writes
        frontier.extend(spec.outputs)
    return None


def _names(script: str) -> tuple[set[str], set[str]]:
    """The names a script reads before assigning them, and the names it assigns."""
    reads, writes = set(), set()
    try:
        tree = ast.parse(script)
    except SyntaxError:
        return reads, writes
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (writes if isinstance(node.ctx, ast.Store) else reads).add(node.id)
    return reads - writes, writes


def _expanded(mapping: Mapping[str, str], old_spec: Any, new_spec: Any) -> dict[str, str]:
    """The mapping with the specs SpiffWorkflow derives from each element (a boundary event's parent, …)."""
    expanded = {}
    for old, new in mapping.items():
        if old == new:
            continue
        for name in old_spec.task_specs:
            if name == old or name.startswith(old + "."):
                derived = new + name[len(old):]
                if derived in new_spec.task_specs:
                    expanded[name] = derived
    return expanded


def _waits(spec: Any) -> bool:
    """A timer or message catch, a boundary event or a receive task: the path stops for the outside world."""
    return any(word in type(spec).__name__ for word in ("Catch", "Boundary", "Receive"))


def _kind(spec: Any) -> str:
    return type(spec).__name__
