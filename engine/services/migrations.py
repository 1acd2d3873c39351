"""Migrating running instances to a newer version of their process: a preview per instance, then the move.

Running instances stay on the version they started on until an admin moves them. Each instance moves in a
transaction of its own, entirely or not at all, audited with its versions and the mapping used.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import forms
from engine import clock
from engine.bpmn import migration
from engine.bpmn import runtime as rt
from engine.bpmn.parsing import task_properties
from engine.db import Database
from engine.errors import CarbonFlowError, Conflict, NotFound, Reason
from engine.models import HumanTask, InstanceStatus, ProcessDefinition, ProcessInstance, TaskStatus
from engine.people import get_admin
from engine.read.definitions import load_workflow
from engine.services import audit, progress

MOVABLE = frozenset({InstanceStatus.RUNNING.value, InstanceStatus.SUSPENDED.value})


@dataclass(frozen=True)
class Preview:
    """What migrating one instance would do: its versions, each waiting step's move, and any refusal."""

    instance_id: int
    title: str | None
    from_version: int
    to_version: int
    moves: list[migration.Move]
    refusals: list[Reason]

    @property
    def possible(self) -> bool:
        return not self.refusals and all(m.refusal is None for m in self.moves)

    @property
    def reasons(self) -> list[Reason]:
        return self.refusals + [m.refusal for m in self.moves if m.refusal]


@dataclass(frozen=True)
class Outcome:
    """One instance of a migration: moved, or refused with the reasons."""

    instance_id: int
    done: bool
    reasons: tuple[Reason, ...] = ()


def preview(session: Session, *, instance_ids: Sequence[int], to_version: int, mapping: Mapping[str, str],
            actor: str, runtime: rt.Runtime | None = None) -> list[Preview]:
    """Where each chosen instance's waiting steps would go on ``to_version``, and what refuses it; nothing stored."""
    runtime = runtime or rt.shared_runtime()
    get_admin(session, actor)
    return [_preview(session, _instance(session, i), to_version, mapping, runtime)[0] for i in instance_ids]


def migrate(session: Session, *, instance_id: int, to_version: int, mapping: Mapping[str, str], actor: str,
            runtime: rt.Runtime | None = None) -> ProcessInstance:
    """Move one instance onto ``to_version``; Conflict naming every reason when it cannot move."""
    runtime = runtime or rt.shared_runtime()
    get_admin(session, actor)
    instance = progress.lock_instance(session, instance_id)
    found, workflow, target = _preview(session, instance, to_version, mapping, runtime)
    if not found.possible:
        raise _Refused(f"instance {instance_id} cannot move to version {to_version}: "
                       f"{'; '.join(map(str, found.reasons))}", found.reasons)
    assert workflow is not None and target is not None
    spec, subprocess_specs = runtime.specs(target.content_hash, lambda: target.spec_json)
    old = {str(t.id): t.task_spec for t in migration.waiting(workflow)}
    migration.migrate(workflow, spec, subprocess_specs, mapping, runtime.serializer.spec_registry)
    instance.definition_id = target.id
    error = rt.advance(workflow)
    reread = _reread_changed_tasks(session, instance, workflow, old, runtime) if error is None else []
    progress.save(session, instance=instance, workflow=workflow, runtime=runtime, actor=actor, error=error)
    instance.updated_at = clock.now()
    audit.record(session, action="migrate", actor=actor, instance_id=instance.id, data={
        "from_version": found.from_version, "to_version": to_version, "mapping": dict(mapping),
        "moves": {m.element: m.to for m in found.moves}, "tasks_reread": reread})
    return instance


def migrate_each(db: Database, *, instance_ids: Sequence[int], to_version: int, mapping: Mapping[str, str],
                 actor: str) -> list[Outcome]:
    """Migrate each instance in its own transaction; one that cannot move stops no other."""
    outcomes = []
    for instance_id in dict.fromkeys(instance_ids):
        try:
            with db.transaction() as session:
                migrate(session, instance_id=instance_id, to_version=to_version, mapping=mapping, actor=actor)
            outcomes.append(Outcome(instance_id, True))
        except CarbonFlowError as exc:
            outcomes.append(Outcome(instance_id, False, tuple(_reasons(exc))))
    return outcomes


def _preview(session: Session, instance: ProcessInstance, to_version: int, mapping: Mapping[str, str],
             runtime: rt.Runtime) -> tuple[Preview, Any, ProcessDefinition | None]:
    current = session.get(ProcessDefinition, instance.definition_id)
    assert current is not None  # foreign key
    target = session.scalar(select(ProcessDefinition).where(ProcessDefinition.process_id == instance.process_id,
                                                             ProcessDefinition.version == to_version))
    refusals = []
    if target is None:
        refusals.append(Reason("no_version", {"process": instance.process_id, "version": str(to_version)},
                               f"process {instance.process_id} has no version {to_version}"))
    elif to_version <= current.version:
        refusals.append(Reason("not_newer", {"version": str(current.version)},
                               f"it runs on version {current.version}; migrate only to a newer version"))
    if instance.status not in MOVABLE:
        refusals.append(Reason("not_movable", {"status": instance.status},
                               f"it is {instance.status}; only running or suspended instances move"))
    if refusals or target is None:
        return Preview(instance.id, instance.title, current.version, to_version, [], refusals), None, None
    workflow = load_workflow(session, instance, runtime)
    spec, _subprocess_specs = runtime.specs(target.content_hash, lambda: target.spec_json)
    found = migration.plan(workflow, spec, mapping, form_fields=_form_fields())
    return Preview(instance.id, instance.title, current.version, to_version, found.moves, found.refusals), \
        workflow, target


def _reread_changed_tasks(session: Session, instance: ProcessInstance, workflow: Any, old: dict[str, Any],
                          runtime: rt.Runtime) -> list[str]:
    """Read again the open tasks whose element or properties changed (``old``: their specs before, by task id).

    An unchanged task keeps its row as it was, claim and due time included. Gives back the elements re-read.
    """
    ready = {str(t.id): t for t in rt.ready_user_tasks(workflow)}
    changed = []
    for row in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                       HumanTask.status == TaskStatus.READY.value)):
        task, before = ready.get(row.spiff_task_id), old.get(row.spiff_task_id)
        if task is None or before is None:
            continue  # gone with the move: progress.save closes its row
        now = task.task_spec
        if (before.bpmn_id, before.lane, task_properties(before)) != (now.bpmn_id, now.lane, task_properties(now)):
            progress.reread_task(session, instance, row, task, runtime)
            changed.append(now.bpmn_id)
    return changed


def _reasons(exc: CarbonFlowError) -> list[Reason]:
    """Why an instance did not move: the preview's reasons when that was it, else the error itself."""
    if isinstance(exc, _Refused):
        return exc.reasons
    return [exc.reason or Reason("refused", {"detail": str(exc)}, str(exc))]


class _Refused(Conflict):
    """A migration refused by its preview, carrying the preview's reasons."""

    def __init__(self, message: str, reasons: list[Reason]):
        super().__init__(message)
        self.reasons = reasons


def _instance(session: Session, instance_id: int) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"no instance {instance_id}")
    return instance


def _form_fields() -> dict[str, set[str]]:
    return {key: set(spec.schema().fields) for key, spec in forms.FORMS.items()}
