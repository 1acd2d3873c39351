"""Processes that start on a schedule: a timer start event's repeating interval, kept per process.

Deploying a process with a timer start event creates (or follows) its schedule; an admin can move
the next date, change the period or switch it off, and a redeploy keeps what the admin set. The
timer sweep starts the processes whose schedule is due.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import clock
from engine.bpmn import runtime as rt
from engine.bpmn.parsing import ScheduleSpec
from engine.config import Settings
from engine.db import Database, is_passing
from engine.errors import Conflict, InvalidFormData, NotFound, NotPermitted
from engine.models import ProcessInstance, StartSchedule
from engine.people import ADMIN_ROLE, get_actor, get_admin
from engine.periods import InvalidPeriod, Period
from engine.read.definitions import latest_definition
from engine.read.gathered import bind_to
from engine.services import audit
from engine.services.instances import start_with_workflow

log = logging.getLogger(__name__)
SCHEDULER = "system"


def follow_deploy(session: Session, *, process_id: str, schedule: ScheduleSpec | None, actor: str) -> None:
    """Bring a process's schedule in line with the version just deployed."""
    row = session.scalar(select(StartSchedule).where(StartSchedule.process_id == process_id))
    now = clock.now()
    if schedule is None:
        if row is not None and row.next_run_at is not None:
            row.next_run_at, row.updated_by, row.updated_at = None, actor, now
            audit.record(session, action="schedule", actor=actor, data={
                "process_id": process_id, "next_run_at": None, "reason": "no timer start event"})
        return
    if row is None:
        row = StartSchedule(process_id=process_id, configured=False)
        session.add(row)
    elif row.configured:
        row.event_id = schedule.event_id  # keep the admin's date and period
        return
    row.event_id, row.period, row.anchor_at = schedule.event_id, schedule.period, schedule.first_run
    # A run already due and not yet swept stays due: the sweep will start it.
    due = row.next_run_at if row.next_run_at is not None and row.next_run_at <= now else None
    row.next_run_at = due or _first_after(row, now)
    row.updated_by, row.updated_at = actor, now
    audit.record(session, action="schedule", actor=actor, data={
        "process_id": process_id, "period": row.period, "next_run_at": row.next_run_at.isoformat()})


def configure(session: Session, *, process_id: str, actor: str, next_run_at: datetime | None = None,
              period: str | None = None, enabled: bool = True) -> StartSchedule:
    """Move a schedule's next start, change its period or switch it off (process admins only)."""
    user = get_actor(session, actor)
    if ADMIN_ROLE not in user.role_ids:
        raise NotPermitted(f"{actor} may not change schedules (needs role {ADMIN_ROLE})")
    row = session.scalar(select(StartSchedule).where(StartSchedule.process_id == process_id)
                         .with_for_update())
    if row is None:
        raise NotFound(f"process {process_id!r} has no schedule: it has no timer start event")
    before = _settings(row)
    if period is not None:
        try:
            Period.parse(period)
        except InvalidPeriod as exc:
            raise InvalidFormData("schedule", {"period": [str(exc)]}) from exc
        row.period = period
    if next_run_at is not None and next_run_at.tzinfo is None:
        raise InvalidFormData("schedule", {"next_run_at": ["Give the time with its UTC offset."]})
    if enabled and next_run_at is not None and next_run_at <= clock.now():
        # A past start would be due at once and start that period's cycle now: "start now" says so openly.
        raise InvalidFormData("schedule", {"next_run_at": [
            "the next start must be in the future; to start one now, use start now"]})
    if not enabled:
        row.next_run_at = None
    elif next_run_at is not None:
        row.next_run_at = row.anchor_at = next_run_at.astimezone(timezone.utc)
    elif row.next_run_at is None:
        raise InvalidFormData("schedule", {"next_run_at": ["Give the next start to switch the schedule on."]})
    row.configured, row.updated_by, row.updated_at = True, actor, clock.now()
    audit.record(session, action="schedule", actor=actor, data={
        "process_id": process_id, **_settings(row), "changes": audit.changes(before, _settings(row))})
    session.flush()
    return row


def _settings(row: StartSchedule) -> dict[str, Any]:
    return {"period": row.period, "next_run_at": row.next_run_at.isoformat() if row.next_run_at else None}


def _first_after(row: StartSchedule, moment: datetime, *, strictly: bool = False) -> datetime:
    """The schedule's first start at (or after) ``moment``, counted on the plant's calendar."""
    plant = ZoneInfo(Settings.from_env().timezone)
    anchor = row.anchor_at.astimezone(plant)
    return Period.parse(row.period).first_after(anchor, moment, strictly=strictly).astimezone(timezone.utc)


def schedules(session: Session) -> list[StartSchedule]:
    return list(session.scalars(select(StartSchedule).order_by(StartSchedule.process_id)))


def last_runs(session: Session) -> dict[str, datetime]:
    """When each scheduled process last started by its schedule."""
    return dict(session.execute(select(ProcessInstance.process_id, func.max(ProcessInstance.started_at))
                                .where(ProcessInstance.started_by == SCHEDULER)
                                .group_by(ProcessInstance.process_id)).all())


def start_due(db: Database, now: datetime | None = None, *, runtime: rt.Runtime | None = None) -> list[int]:
    """Start every process whose schedule is due at ``now``; each in its own transaction. Returns instance ids."""
    runtime = runtime or rt.shared_runtime()
    now = now or clock.now()
    started = [start_one(db, schedule_id, now, runtime=runtime) for schedule_id in due_schedules(db, now)]
    return [instance_id for instance_id in started if instance_id is not None]


def due_schedules(db: Database, now: datetime) -> list[int]:
    """Schedules whose next start is due, earliest first."""
    with db.reading() as session:
        return list(session.scalars(select(StartSchedule.id).where(StartSchedule.next_run_at <= now)
                                    .order_by(StartSchedule.next_run_at, StartSchedule.id)))


def start_one(db: Database, schedule_id: int, now: datetime | None = None, *,
              runtime: rt.Runtime | None = None) -> int | None:
    """Start one due schedule's process in its own transaction; safe to run twice or from two workers."""
    runtime = runtime or rt.shared_runtime()
    now = now or clock.now()
    try:
        return _start_one(db, schedule_id, now, runtime)
    except Exception as exc:  # noqa: BLE001 - a start that cannot happen must not block the others
        if is_passing(exc) or isinstance(exc, Conflict):  # it stays due for the next sweep
            log.warning("could not start schedule %s now (%s); the next sweep tries again", schedule_id, exc)
        else:
            log.exception("scheduled start %s failed", schedule_id)
            _skip(db, schedule_id, now, exc)
    return None


def _start_one(db: Database, schedule_id: int, now: datetime, runtime: rt.Runtime) -> int | None:
    with db.transaction() as session, clock.frozen_at(now):
        row = _lock_due(session, schedule_id, now)
        if row is None:
            return None
        due_at = row.next_run_at
        assert due_at is not None
        _advance(row, now)
        definition = latest_definition(session, row.process_id)
        assert definition is not None
        # In the plant's time, so a script reading the year or date of it gets the local one.
        scheduled_for = due_at.astimezone(runtime.timezone).isoformat()
        workflow = bind_to(runtime.new(definition, {"scheduled_for": scheduled_for},
                                       start_event=row.event_id, fire_timer=True), session)
        instance = start_with_workflow(session, definition=definition, workflow=workflow, runtime=runtime,
                                       actor=SCHEDULER, error=rt.advance(workflow),
                                       trigger={"schedule": row.event_id, "scheduled_for": scheduled_for})
        return instance.id


def start_now(session: Session, *, process_id: str, actor: str, runtime: rt.Runtime | None = None) -> int:
    """Start a scheduled process at once, as its schedule would, leaving the next start where it is (admins only)."""
    runtime = runtime or rt.shared_runtime()
    get_admin(session, actor)
    row = session.scalar(select(StartSchedule).where(StartSchedule.process_id == process_id))
    if row is None:
        raise NotFound(f"process {process_id!r} has no schedule: it has no timer start event")
    definition = latest_definition(session, process_id)
    assert definition is not None
    scheduled_for = clock.now().astimezone(runtime.timezone).isoformat()
    workflow = bind_to(runtime.new(definition, {"scheduled_for": scheduled_for},
                                   start_event=row.event_id, fire_timer=True), session)
    instance = start_with_workflow(session, definition=definition, workflow=workflow, runtime=runtime, actor=actor,
                                   error=rt.advance(workflow),
                                   trigger={"schedule": row.event_id, "scheduled_for": scheduled_for, "by_hand": True})
    return instance.id


def _lock_due(session: Session, schedule_id: int, now: datetime) -> StartSchedule | None:
    # SKIP LOCKED: another worker is starting this one.
    row = session.scalar(select(StartSchedule).where(StartSchedule.id == schedule_id)
                         .with_for_update(skip_locked=True).execution_options(populate_existing=True))
    if row is None or row.next_run_at is None or row.next_run_at > now:
        return None
    return row


def _advance(row: StartSchedule, now: datetime) -> None:
    """Move to the next start after ``now``: runs missed while nothing swept are not made up one by one."""
    assert row.next_run_at is not None
    row.next_run_at = _first_after(row, max(now, row.next_run_at), strictly=True)
    row.updated_by, row.updated_at = SCHEDULER, now


def _skip(db: Database, schedule_id: int, now: datetime, exc: Exception) -> None:
    with db.transaction() as session:
        row = _lock_due(session, schedule_id, now)
        if row is None:
            return
        missed = row.next_run_at
        _advance(row, now)
        audit.record(session, action="schedule_failed", actor=SCHEDULER, data={
            "process_id": row.process_id, "due_at": missed.isoformat() if missed else None,
            "error": rt.describe_error(exc), "next_run_at": row.next_run_at.isoformat() if row.next_run_at else None})
