"""What a task shows above its form: the earlier steps of its instance that matter to it, as labelled read-outs.

Which steps is declared on the user task in its BPMN (``context``: the ids of start events and user tasks,
comma-separated); without it, every earlier step. A step read several times (a loop) shows its latest round.
A task reached again through a loop also says what sent it back, and starts from its previous round's entries.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from engine.bpmn import runtime as rt
from engine.bpmn.parsing import start_events, task_properties
from engine.models import Evidence, HumanTask, ProcessDefinition
from engine.read import queries
from engine.read.gathered import LINK_PREFIX
from engine.read.steps import Step, directory_names, start_step, task_step
from forms.describe import Names


@dataclass(frozen=True)
class TaskContext:
    """The steps a task shows, what sent it back (a loop), the entries of its previous round, and the records
    of other instances its instance gathered (links: instance id, process, title, the query that read it)."""

    steps: tuple[Step, ...]
    sent_back_by: Step | None = None
    previous_entries: dict[str, Any] | None = None
    sources: tuple[dict[str, Any], ...] = ()


def context_of(session: Session, task: HumanTask, *, names: Names | None = None,
               runtime: rt.Runtime | None = None) -> TaskContext:
    """The context of this task, as declared by its BPMN (every earlier step by default)."""
    names = names or directory_names(session)
    instance = queries.get_instance(session, task.instance_id)
    definition = session.get(ProcessDefinition, instance.definition_id)
    assert definition is not None  # foreign key
    spec, subprocess_specs = (runtime or rt.shared_runtime()).specs(definition.content_hash,
                                                                    lambda: definition.spec_json)
    declared = _declared(task.name, [spec, *subprocess_specs.values()])
    earlier = [t for t in queries.completed_tasks_of(session, task.instance_id)
               if t.id != task.id and t.completed_at is not None and t.completed_at <= task.created_at]
    files: dict[int, list[Evidence]] = defaultdict(list)
    for row in queries.evidence_of(session, instance_id=task.instance_id):
        files[row.task_id].append(row)
    latest = {t.name: t for t in earlier}  # in completion order: the last round of each step wins
    steps = [task_step(t, names, files) for t in sorted(latest.values(), key=lambda t: (t.completed_at, t.id))]
    start = start_step(session, instance, definition, start_events(spec), names)
    if start is not None:
        steps.insert(0, start)
    shown = tuple(s for s in steps if declared is None or s.element in declared)
    sources = tuple({**link, "query": link["kind"][len(LINK_PREFIX):]}
                    for link in queries.instance_links(session, instance.id)
                    if link["direction"] == "in" and link["kind"].startswith(LINK_PREFIX))
    rounds = [t for t in earlier if t.name == task.name]
    if not rounds or _along_the_usual_path(earlier, rounds[0], task.name):
        return TaskContext(shown, sources=sources)
    # The step completed last before this round opened closed the loop: its decision sent the task back.
    return TaskContext(shown, task_step(earlier[-1], names, files), dict(rounds[-1].submitted_data or {}), sources)


def _along_the_usual_path(earlier: list[HumanTask], first_round: HumanTask, name: str) -> bool:
    """True when this round follows the same step its first round did (a new round, e.g. the approval of a
    revision), rather than a later step that sent it back (a rejection, a correction found not effective)."""
    # By position in completion order, not by time: steps completed in the same second keep their order.
    before_first = earlier[:earlier.index(first_round)]
    upstream = next((t.name for t in reversed(before_first) if t.name != name), None)
    return earlier[-1].name in (name, upstream)


def _declared(task_name: str, specs: list[Any]) -> set[str] | None:
    for spec in specs:
        task_spec = spec.task_specs.get(task_name)
        if task_spec is not None:
            ids = task_properties(task_spec).get("context")
            return {i.strip() for i in ids.split(",") if i.strip()} if ids else None
    return None
