"""Delivering a named message: start instances that wait for it, continue those that wait in flight.

Messages come from outside (``send_message``) or are thrown by a running process: each use case
that moves a workflow passes what ``progress.save`` gave back to ``deliver_thrown``, in the same
transaction. An instance a thrown message starts is linked to the one that threw it.
"""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine import clock
from engine.bpmn import runtime as rt
from engine.bpmn.parsing import StartEventInfo, start_events
from engine.errors import Conflict, InvalidFormData, NotFound, NotPermitted
from engine.models import (
    InstanceLink,
    InstanceStatus,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
    StartMessage,
)
from engine.people import ADMIN_ROLE, Actor, get_writer
from engine.read import access
from engine.read.definitions import latest_definitions, load_workflow
from engine.read.gathered import bind_to
from engine.services import audit, form_data, progress


@dataclass
class Delivery:
    """What a message did: the instances it started and the ones it continued."""

    started: list[int] = field(default_factory=list)
    continued: list[int] = field(default_factory=list)


# How many thrown messages deep this delivery is: a model whose messages start each other in a
# circle would otherwise recurse until the stack gives out.
_depth: ContextVar[int] = ContextVar("message_depth", default=0)
MAX_DEPTH = 8


def send_message(session: Session, *, name: str, payload: Any, actor: str,
                 runtime: rt.Runtime | None = None) -> Delivery:
    """Deliver a message by name; NotFound when no process starts on it and no instance waits for it."""
    sender = get_writer(session, actor)
    return _deliver(session, name, payload, actor, runtime or rt.shared_runtime(), None, sender)


def _deliver(session: Session, name: str, payload: Any, actor: str, runtime: rt.Runtime,
             source: ProcessInstance | None, sender: Actor | None = None) -> Delivery:
    """Deliver one message; ``source`` threw it, and each instance it starts is linked to it.

    ``sender``: the person who sent it from outside, who needs a role that may start the process.
    """
    if not isinstance(payload, dict):
        raise InvalidFormData(f"message {name}", {"_schema": ["Message data must be a JSON object."]})
    delivery = Delivery()
    waiting = _waiting_instances(session, name, payload, runtime)
    if sender is not None:
        _check_may_continue(session, waiting, name, sender)
    for instance_id in waiting:
        if source is not None and instance_id == source.id:
            continue  # a process does not answer its own message
        if _continue(session, instance_id, name, payload, actor, runtime):
            delivery.continued.append(instance_id)
    definitions = _starting_definitions(session, name)
    if sender is not None:
        _check_may_start(definitions, name, sender, runtime)
    for definition in definitions:
        delivery.started.append(_start(session, definition, name, payload, actor, runtime, source))
    if not delivery.started and not delivery.continued:
        raise NotFound(f"no process starts on message {name!r} and no instance waits for it "
                       "with a matching correlation")
    return delivery


def check_sender(session: Session, *, name: str, actor: str, payload: Any = None,
                 runtime: rt.Runtime | None = None) -> None:
    """Refuse now what delivering later would refuse: an unknown sender, one who may not start what it starts
    or continue an instance it would continue, or a message nothing starts on and no instance waits for (it
    would only fail as a job, again and again)."""
    sender = get_writer(session, actor)
    runtime = runtime or rt.shared_runtime()
    definitions = _starting_definitions(session, name)
    if not definitions and session.scalar(select(MessageSubscription.id).where(
            MessageSubscription.message_name == name).limit(1)) is None:
        raise NotFound(f"no process starts on message {name!r} and no instance waits for it")
    _check_may_start(definitions, name, sender, runtime)
    if isinstance(payload, dict):
        _check_may_continue(session, _waiting_instances(session, name, payload, runtime), name, sender)


def _check_may_continue(session: Session, instance_ids: list[int], name: str, sender: Actor) -> None:
    """A message from outside moves an instance on only for someone who could read and work on it."""
    for instance_id in instance_ids:
        instance = session.get(ProcessInstance, instance_id)
        if instance is not None and not access.may_read(session, instance, sender):
            raise NotPermitted(f"{sender.username} may not continue {instance.process_id} instance {instance_id} "
                               f"with message {name!r}: it is for those who take part in it or oversee the system")


def deliver_thrown(session: Session, *, source: ProcessInstance, thrown: list[rt.ThrownMessage],
                   actor: str, runtime: rt.Runtime) -> None:
    """Deliver the messages an instance threw, in this transaction: a list payload is one message per item."""
    if not thrown:
        return
    depth = _depth.get()
    if depth >= MAX_DEPTH:
        raise Conflict(f"messages thrown by {source.process_id} instance {source.id} start each other "
                       f"more than {MAX_DEPTH} deep; check the models for a circle")
    token = _depth.set(depth + 1)
    try:
        for message in thrown:
            items = message.payload if isinstance(message.payload, list) else [message.payload]
            for item in items:
                _deliver_one(session, source, message.name, item, actor, runtime)
    finally:
        _depth.reset(token)


def _deliver_one(session: Session, source: ProcessInstance, name: str, payload: Any, actor: str,
                 runtime: rt.Runtime) -> None:
    where = f"message {name} thrown by {source.process_id} instance {source.id}"
    try:
        # The actor may be the timer sweep's "system": no user row to check.
        _deliver(session, name, payload if payload is not None else {}, actor, runtime, source)
    except InvalidFormData as exc:
        raise InvalidFormData(f"{exc.form_key} ({where})", exc.errors) from exc
    except NotFound as exc:
        raise NotFound(f"{where}: {exc}") from exc


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
    instance = progress.lock_instance(session, instance_id)
    if instance.status != InstanceStatus.RUNNING.value:
        return False
    workflow = load_workflow(session, instance, runtime)
    if not rt.deliver_message(workflow, name, payload, runtime):
        return False
    audit.record(session, action="message_received", actor=actor, instance_id=instance.id,
                 data={"message": name, "payload": payload})
    thrown = progress.save(session, instance=instance, workflow=workflow, runtime=runtime, actor=actor,
                           error=rt.advance(workflow))
    deliver_thrown(session, source=instance, thrown=thrown, actor=actor, runtime=runtime)
    return True


def _start(session: Session, definition: ProcessDefinition, name: str, payload: dict[str, Any],
           actor: str, runtime: rt.Runtime, source: ProcessInstance | None) -> int:
    event = _message_start(definition, name, runtime)
    # The message data becomes the process data, checked by the start event's form if it has one.
    data = form_data.validate(session, event.form_key, payload) if event.form_key else dict(payload)
    workflow = bind_to(runtime.new(definition, data, start_event=event.event_id), session)
    error = rt.advance(workflow)
    if error is None and not rt.deliver_message(workflow, name, payload, runtime):
        error = f"start event {event.event_id!r} did not accept message {name!r}"
    error = error or rt.advance(workflow)
    trigger = {"message": name, "payload": payload}
    if source is not None:
        trigger["raised_by"] = {"instance_id": source.id, "process_id": source.process_id}
    instance = progress.new_instance(session, definition=definition, workflow=workflow, runtime=runtime, actor=actor,
                                     business_key=None, data=trigger)
    thrown = progress.save(session, instance=instance, workflow=workflow, runtime=runtime, actor=actor, error=error)
    deliver_thrown(session, source=instance, thrown=thrown, actor=actor, runtime=runtime)
    audit.record(session, action="message_received", actor=actor, instance_id=instance.id,
                 data={"message": name, "payload": payload})
    if source is not None:
        link(session, source=source, target=instance, kind=name, actor=actor)
    return instance.id


def link(session: Session, *, source: ProcessInstance, target: ProcessInstance, kind: str, actor: str) -> None:
    """Record that one instance led to another, with its audit event on both ends."""
    session.add(InstanceLink(source_instance_id=source.id, target_instance_id=target.id, kind=kind,
                             created_by=actor, created_at=clock.now()))
    for instance_id, other in ((source.id, target), (target.id, source)):
        audit.record(session, action="link", actor=actor, instance_id=instance_id, data={
            "kind": kind, "source": source.id, "target": target.id, "other_process_id": other.process_id})


def _check_may_start(definitions: list[ProcessDefinition], name: str, sender: Actor, runtime: rt.Runtime) -> None:
    """A message from outside starts a process only for someone who may start it.

    The message start event's ``startRoles`` decide, or else those of the process's hand start.
    """
    if ADMIN_ROLE in sender.role_ids:
        return
    for definition in definitions:
        spec, _ = runtime.specs(definition.content_hash, lambda d=definition: d.spec_json)
        starts = start_events(spec)
        by_message = next(s for s in starts if s.message == name)
        by_hand = next((s for s in starts if s.trigger == "none"), None)
        roles = by_message.start_roles or (by_hand.start_roles if by_hand else ())
        if roles and not set(roles) & set(sender.role_ids):
            raise NotPermitted(f"{sender.username} may not start {definition.process_id} with message {name!r}: "
                               f"it needs role {' or '.join(roles)}")


def _message_start(definition: ProcessDefinition, name: str, runtime: rt.Runtime) -> StartEventInfo:
    spec, _ = runtime.specs(definition.content_hash, lambda: definition.spec_json)
    return next(s for s in start_events(spec) if s.message == name)
