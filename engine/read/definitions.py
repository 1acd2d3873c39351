"""Reading deployed process definitions (the newest version of one process, or of every process) and restoring an
instance's workflow onto its own version."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.bpmn import runtime as rt
from engine.errors import NotFound
from engine.read.gathered import bind_to
from engine.models import ProcessDefinition, ProcessInstance


def latest_definition(session: Session, process_id: str, *, required: bool = True) -> ProcessDefinition | None:
    """The newest version of a process; NotFound when required and none is deployed."""
    definition = session.scalar(
        select(ProcessDefinition).where(ProcessDefinition.process_id == process_id)
        .order_by(ProcessDefinition.version.desc()).limit(1))
    if definition is None and required:
        raise NotFound(f"no process deployed with id {process_id!r}")
    return definition


def latest_definitions(session: Session) -> list[ProcessDefinition]:
    """The newest version of every deployed process, by process id."""
    newest = (select(ProcessDefinition.process_id, func.max(ProcessDefinition.version).label("v"))
              .group_by(ProcessDefinition.process_id).subquery())
    return list(session.scalars(
        select(ProcessDefinition).join(newest, (ProcessDefinition.process_id == newest.c.process_id)
                                       & (ProcessDefinition.version == newest.c.v))
        .order_by(ProcessDefinition.process_id)))


def load_workflow(session: Session, instance: ProcessInstance, runtime: rt.Runtime,
                  content_hash: str | None = None) -> Any:
    """The instance's workflow, restored onto its own version's spec (read from the database on a cache miss)."""
    by_id = ProcessDefinition.id == instance.definition_id
    if content_hash is None:
        content_hash = session.scalar(select(ProcessDefinition.content_hash).where(by_id))
    assert content_hash is not None  # foreign key
    workflow = runtime.load(content_hash, lambda: session.scalar(select(ProcessDefinition.spec_json).where(by_id)),
                            instance.state_json)
    return bind_to(workflow, session)  # its service tasks gather in this session
