"""Delivering a named message: start instances that wait for it, continue those that wait in flight."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.bpmn import runtime as rt
from engine.errors import InvalidFormData, NotFound
from engine.models import InstanceStatus, MessageSubscription, ProcessDefinition, ProcessInstance, StartMessage
from engine.services import audit, progress
from engine.services.deployments import latest_definitions
from engine.services.instances import lock_instance, start_with_workflow
from engine.services.users import get_actor


@dataclass
class Delivery:
    """What a message did: the instances it started and the ones it continued."""

    started: list[int] = field(default_factory=list)
    continued: list[int] = field(default_factory=list)


def send_message(session: Session, *, name: str, payload: Any, actor: str,
                 runtime: rt.Runtime | None = None) -> Delivery:
    """Deliver a message by name; NotFound when no process starts on it and no instance waits for it."""
    runtime = runtime or rt.shared_runtime()
    get_actor(session, actor)
    if not isinstance(payload, dict):
        raise InvalidFormData(f"message {name}", {"_schema": ["Message data must be a JSON object."]})
    delivery = Delivery()
    for instance_id in _waiting_instances(session, name, payload, runtime):
        if _continue(session, instance_id, name, payload, actor, runtime):
            delivery.continued.append(instance_id)
    for definition in _starting_definitions(session, name):
        delivery.started.append(_start(session, definition, name, payload, actor, runtime))
    if not delivery.started and not delivery.continued:
        raise NotFound(f"no process starts on message {name!r} and no instance waits for it "
                       "with a matching correlation")
    return delivery


def _starting_definitions(session: Session, name: str) -> list[ProcessDefinition]:
    """The newest version of each process whose start event catches this message."""
    ids = set(session.scalars(select(StartMessage.definition_id).where(StartMessage.message_name == name)))
    return [d for d in latest_definitions(session) if d.id in ids]


def _waiting_instances(session: Session, name: str, payload: dict[str, Any],
                       runtime: rt.Runtime) -> list[int]:
    definition_ids = set(session.scalars(
        select(ProcessInstance.definition_id).join(MessageSubscription)
        .where(MessageSubscription.message_name == name).distinct()))
    specs = []
    for definition in session.scalars(select(ProcessDefinition).where(ProcessDefinition.id.in_(definition_ids))):
        spec, subprocess_specs = runtime.specs(definition.content_hash, lambda d=definition: d.spec_json)
        specs.extend([spec, *subprocess_specs.values()])
    tokens = rt.message_tokens(specs, name, payload, runtime)
    return sorted(set(session.scalars(
        select(MessageSubscription.instance_id).where(
            MessageSubscription.message_name == name,
            or_(MessageSubscription.correlation.is_(None), MessageSubscription.correlation.in_(tokens))))))


def _continue(session: Session, instance_id: int, name: str, payload: dict[str, Any], actor: str,
              runtime: rt.Runtime) -> bool:
    instance = lock_instance(session, instance_id)
    if instance.status != InstanceStatus.RUNNING.value:
        return False
    workflow = progress.load_workflow(session, instance, runtime)
    if not rt.deliver_message(workflow, name, payload, runtime):
        return False
    audit.record(session, action="message_received", actor=actor, instance_id=instance.id,
                 data={"message": name, "payload": payload})
    progress.save(session, instance=instance, workflow=workflow, runtime=runtime, actor=actor,
                  error=rt.advance(workflow))
    return True


def _start(session: Session, definition: ProcessDefinition, name: str, payload: dict[str, Any],
           actor: str, runtime: rt.Runtime) -> int:
    workflow = runtime.new(definition, {})
    error = rt.advance(workflow)
    if error is None and not rt.deliver_message(workflow, name, payload, runtime):
        error = f"start event did not accept message {name!r}"
    error = error or rt.advance(workflow)
    instance = start_with_workflow(session, definition=definition, workflow=workflow, runtime=runtime,
                                   actor=actor, error=error, trigger={"message": name, "payload": payload})
    audit.record(session, action="message_received", actor=actor, instance_id=instance.id,
                 data={"message": name, "payload": payload})
    return instance.id
