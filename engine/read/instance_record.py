"""An instance read as its record: what it was started with, every completed step with its entries and evidence,
the signatures on its decisions, and the instances it raised or was raised by."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import runtime as rt
from engine.bpmn.parsing import start_events
from engine.models import AuditEvent, Evidence, ProcessDefinition, ProcessInstance
from engine.read import queries
from engine.read.steps import Step, directory_names, start_step, task_step
from forms.describe import Names


@dataclass(frozen=True)
class Signature:
    """An electronic signature on a step: who signed, when, and what it means."""

    by: str
    at: datetime
    meaning: str
    signs_for: str | None
    title: str = ""


@dataclass(frozen=True)
class InstanceRecord:
    """Everything an auditor reads of one instance, in the order it happened."""

    instance: ProcessInstance
    definition: ProcessDefinition
    steps: tuple[Step, ...]
    signatures: dict[int, Signature]
    links: list[dict[str, Any]]
    names: Names


def record_of(session: Session, instance: ProcessInstance, *, names: Names | None = None,
              runtime: rt.Runtime | None = None) -> InstanceRecord:
    """The instance's record: its start and every completed step (each round of a loop) in order."""
    names = names or directory_names(session)
    definition = session.get(ProcessDefinition, instance.definition_id)
    assert definition is not None  # foreign key
    spec, _ = (runtime or rt.shared_runtime()).specs(definition.content_hash, lambda: definition.spec_json)
    files: dict[int, list[Evidence]] = defaultdict(list)
    for row in queries.evidence_of(session, instance_id=instance.id):
        files[row.task_id].append(row)
    steps = [task_step(t, names, files) for t in queries.completed_tasks_of(session, instance.id)]
    start = start_step(session, instance, definition, start_events(spec), names)
    return InstanceRecord(instance, definition, tuple(([start] if start else []) + steps),
                          _signatures(session, instance.id), queries.instance_links(session, instance.id), names)


def signature_on(session: Session, task_id: int) -> Signature | None:
    """The signature that completed this task, if it was signed."""
    event = session.scalar(select(AuditEvent).where(AuditEvent.task_id == task_id, AuditEvent.action == "signature")
                           .order_by(AuditEvent.id.desc()).limit(1))
    return _signature(event) if event is not None else None


def _signatures(session: Session, instance_id: int) -> dict[int, Signature]:
    events = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id,
                                                      AuditEvent.action == "signature").order_by(AuditEvent.id))
    return {e.task_id: _signature(e) for e in events if e.task_id is not None}


def _signature(event: AuditEvent) -> Signature:
    return Signature(event.actor, event.at, str(event.data.get("meaning", "")), event.data.get("signs_for"),
                     str(event.data.get("title", "")))
