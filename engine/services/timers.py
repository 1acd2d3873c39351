"""The timer sweep: advance every running instance whose next timer is due."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from engine import clock
from engine.bpmn import runtime as rt
from engine.db import Database, is_passing
from engine.errors import Conflict
from engine.models import InstanceStatus, ProcessInstance
from engine.read.definitions import load_workflow
from engine.services import audit, messages, progress

log = logging.getLogger(__name__)
SYSTEM_ACTOR = "system"


@dataclass(frozen=True)
class FiredTimer:
    """One timer event that fired during a sweep."""

    instance_id: int
    timer: str
    due_at: datetime


def fire_due_timers(db: Database, now: datetime | None = None, *, batch: int = 500,
                    runtime: rt.Runtime | None = None) -> list[FiredTimer]:
    """Fire every timer due at ``now``; each instance in its own transaction, safe for many workers."""
    runtime = runtime or rt.shared_runtime()
    now = now or clock.now()
    fired: list[FiredTimer] = []
    after_id = 0
    # Batches in id order, so every due instance is visited once per sweep however many there are.
    while due_ids := due_instances(db, now, after_id=after_id, limit=batch):
        for instance_id in due_ids:
            fired.extend(fire_instance(db, instance_id, now, runtime=runtime))
        after_id = due_ids[-1]
    return fired


def fire_instance(db: Database, instance_id: int, now: datetime | None = None, *,
                  runtime: rt.Runtime | None = None) -> list[FiredTimer]:
    """Fire one instance's due timers in its own transaction (a background job, or part of a sweep).

    Safe to run twice or from two workers at once: the instance is locked and its due time checked.
    """
    runtime = runtime or rt.shared_runtime()
    now = now or clock.now()
    try:
        return _fire_instance(db, instance_id, now, runtime)
    except Exception as exc:  # noqa: BLE001 - one broken instance must not stop the sweep
        if is_passing(exc) or isinstance(exc, Conflict):  # it stays due for the next sweep
            log.warning("timer of instance %s not fired now (%s); the next sweep tries again", instance_id, exc)
        else:
            log.exception("timer sweep failed on instance %s", instance_id)
            _record_failure(db, instance_id, exc)
    return []


def due_instances(db: Database, now: datetime, *, after_id: int = 0, limit: int = 500) -> list[int]:
    """Running instances whose next timer is due, in id order."""
    return _due_batch(db, now, after_id, limit)


def _due_batch(db: Database, now: datetime, after_id: int, size: int) -> list[int]:
    with db.reading() as session:
        return list(session.scalars(
            select(ProcessInstance.id).where(ProcessInstance.status == InstanceStatus.RUNNING.value,
                                             ProcessInstance.next_timer_at <= now,
                                             ProcessInstance.id > after_id)
            .order_by(ProcessInstance.id).limit(size)))


def _record_failure(db: Database, instance_id: int, exc: Exception) -> None:
    """Put an instance the sweep could not advance in error, so it is seen and not retried forever."""
    with db.transaction() as session:
        instance = session.get(ProcessInstance, instance_id, with_for_update=True)
        if instance is None or instance.status != InstanceStatus.RUNNING.value:
            return
        instance.status = InstanceStatus.ERROR.value
        instance.error_message = f"timer sweep: {rt.describe_error(exc)}"
        instance.next_timer_at = None
        audit.record(session, action="error", actor=SYSTEM_ACTOR, instance_id=instance_id,
                     data={"error": instance.error_message})


def _fire_instance(db: Database, instance_id: int, now: datetime, runtime: rt.Runtime) -> list[FiredTimer]:
    with db.transaction() as session, clock.frozen_at(now):
        # SKIP LOCKED: another worker already has this instance; it will fire the timer.
        instance = session.scalar(
            select(ProcessInstance).where(ProcessInstance.id == instance_id)
            .with_for_update(skip_locked=True).execution_options(populate_existing=True))
        if instance is None or instance.status != InstanceStatus.RUNNING.value \
                or instance.next_timer_at is None or instance.next_timer_at > now:
            return []
        workflow = load_workflow(session, instance, runtime)
        snapshot = progress.Snapshot.of(workflow)
        before = rt.waiting_timers(workflow)
        workflow.refresh_timers()
        error = rt.advance(workflow)
        after = rt.waiting_timers(workflow)
        fired = [FiredTimer(instance.id, name, due) for task_id, (name, due) in before.items()
                 if task_id not in after and due <= now]
        for timer in fired:
            audit.record(session, action="timer_fired", actor=SYSTEM_ACTOR, instance_id=instance.id,
                         data={"timer": timer.timer, "due_at": timer.due_at.isoformat(),
                                "swept_for": now.isoformat()})
        thrown = progress.save(session, instance=instance, workflow=workflow, runtime=runtime,
                               actor=SYSTEM_ACTOR, error=error, before=snapshot)
        messages.deliver_thrown(session, source=instance, thrown=thrown, actor=SYSTEM_ACTOR, runtime=runtime)
        return fired
