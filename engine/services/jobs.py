"""Background jobs kept in the database: enqueued with the change that needs them, done once in effect.

A job row is written in the same transaction as the change that asks for it; a broker message only
tells a worker to look. The worker runs the job's handler and marks it done in one transaction,
so a worker killed half-way leaves it pending, and running it twice finds it already done. A job
that keeps failing becomes an incident an admin retries after a fix.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine import clock
from engine.bpmn.runtime import describe_error
from engine.db import Database, is_passing
from engine.errors import Conflict, InvalidFormData, NotFound, NotPermitted
from engine.models import InstanceStatus, Job, JobStatus, ProcessInstance
from engine.people import ADMIN_ROLE, get_actor
from engine.services import audit

log = logging.getLogger(__name__)
SYSTEM = "system"
MAX_ATTEMPTS = 5


def lease() -> timedelta:
    """How long a broker message may go unanswered before it is taken as lost and sent again."""
    return timedelta(seconds=float(os.environ.get("CARBONFLOW_JOB_LEASE_SECONDS", "60")))

Handler = Callable[[Session, Job], "dict[str, Any] | None"]
IoHandler = Callable[[Database, Job], "dict[str, Any] | None"]
HANDLERS: dict[str, Handler] = {}
# Handlers that talk to the outside world (mail) or read a lot (reports): they run outside the
# database's write lock and manage their own transactions, so they count at least once, not once.
IO_HANDLERS: dict[str, IoHandler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that does jobs of this kind, in the transaction that marks them done."""
    def register(function: Handler) -> Handler:
        HANDLERS[kind] = function
        return function
    return register


def io_handler(kind: str) -> Callable[[IoHandler], IoHandler]:
    """Register a job function that does slow outside work; it is given the database, not a session."""
    def register(function: IoHandler) -> IoHandler:
        IO_HANDLERS[kind] = function
        return function
    return register


def enqueue(session: Session, *, kind: str, payload: dict[str, Any], actor: str, instance_id: int | None = None,
            key: str | None = None, run_after: datetime | None = None) -> Job:
    """Record a job in this transaction; with a ``key``, a job already recorded under it is returned instead."""
    now = clock.now()
    values = {"kind": kind, "key": key, "instance_id": instance_id, "payload": payload,
              "status": JobStatus.PENDING.value, "attempts": 0, "run_after": run_after or now,
              "created_by": actor, "created_at": now}
    if key is None:
        job = Job(**values)
        session.add(job)
        session.flush()
        return job
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Job).values(values)
    session.execute(insert.on_conflict_do_nothing(index_elements=["key"]))
    job = session.scalar(select(Job).where(Job.key == key))
    assert job is not None
    return job


def run(db: Database, job_id: int, *, now: datetime | None = None) -> str:
    """Run a pending job that is due; "done", "retry", "failed" (an incident) or "skipped"."""
    now = now or clock.now()
    try:
        claimed = _claim(db, job_id, now)
        if claimed is None:
            return "skipped"  # done already, taken by another worker, not due, or given up
        if claimed.kind in IO_HANDLERS:
            result = IO_HANDLERS[claimed.kind](db, claimed)
            return _finish(db, job_id, now, result)
        with db.transaction() as session, clock.frozen_at(now):
            job = _lock(session, job_id)
            if job is None or job.status != JobStatus.PENDING.value:
                return "skipped"
            job.result = HANDLERS[job.kind](session, job)
            job.status, job.finished_at = JobStatus.DONE.value, now
            return "done"
    except Exception as exc:  # noqa: BLE001 - a failing job is recorded, never lost
        if is_passing(exc):  # the database, not the job: taken up again after the lease
            log.warning("job %s met passing database trouble: %s", job_id, exc)
            return "retry"
        log.warning("job %s failed: %s", job_id, exc)
        return _record_failure(db, job_id, now, exc)


def _claim(db: Database, job_id: int, now: datetime) -> Job | None:
    """Take a due job for this worker in a short transaction; every take counts an attempt."""
    with db.transaction() as session:
        job = _lock(session, job_id, skip_locked=True)
        if job is None or job.status != JobStatus.PENDING.value or job.run_after > now:
            return None
        if job.claimed_at is not None and job.claimed_at > now - lease():
            return None  # another worker is on it
        if job.kind not in HANDLERS and job.kind not in IO_HANDLERS:
            raise InvalidFormData("job", {"kind": [f"No handler for jobs of kind {job.kind!r}."]})
        if job.attempts >= MAX_ATTEMPTS:  # it took its worker down every time
            _give_up(session, job, now, job.last_error or "the worker stopped while running it, every time")
            return None
        job.attempts += 1
        job.claimed_at = now
        session.flush()
        session.expunge(job)
        return job


def _finish(db: Database, job_id: int, now: datetime, result: dict[str, Any] | None) -> str:
    with db.transaction() as session:
        job = _lock(session, job_id)
        if job is None or job.status != JobStatus.PENDING.value:
            return "skipped"
        job.result, job.status, job.finished_at = result, JobStatus.DONE.value, now
        return "done"


def _record_failure(db: Database, job_id: int, now: datetime, exc: Exception) -> str:
    with db.transaction() as session:
        job = _lock(session, job_id)
        if job is None or job.status != JobStatus.PENDING.value:
            return "skipped"
        job.last_error = describe_error(exc)
        # Refused for its data or its sender: running it again cannot help, so it is an incident now.
        if job.attempts >= MAX_ATTEMPTS or isinstance(exc, (NotPermitted, InvalidFormData)):
            _give_up(session, job, now, job.last_error)
            return "failed"
        # Backoff: 10 s, 20 s, 40 s, ... at most an hour.
        job.run_after = now + min(timedelta(seconds=10 * 2 ** max(job.attempts - 1, 0)), timedelta(hours=1))
        job.dispatched_at = job.claimed_at = None
        return "retry"


def _give_up(session: Session, job: Job, now: datetime, error: str) -> None:
    job.status, job.finished_at, job.last_error = JobStatus.FAILED.value, now, error
    audit.record(session, action="incident", actor=SYSTEM, instance_id=job.instance_id, data={
        "job_id": job.id, "kind": job.kind, "attempts": job.attempts, "error": error})


def _lock(session: Session, job_id: int, *, skip_locked: bool = False) -> Job | None:
    return session.scalar(select(Job).where(Job.id == job_id).with_for_update(skip_locked=skip_locked)
                          .execution_options(populate_existing=True))


def dispatchable(db: Database, now: datetime | None = None, *, limit: int = 500) -> list[int]:
    """Due pending jobs with no broker message in flight; marked as sent now."""
    now = now or clock.now()
    with db.transaction() as session:
        jobs = list(session.scalars(
            select(Job).where(Job.status == JobStatus.PENDING.value, Job.run_after <= now,
                              or_(Job.dispatched_at.is_(None), Job.dispatched_at < now - lease()),
                              or_(Job.claimed_at.is_(None), Job.claimed_at < now - lease()))
            .order_by(Job.id).limit(limit).with_for_update(skip_locked=True)))
        for job in jobs:
            job.dispatched_at = now
        return [job.id for job in jobs]


def incidents(session: Session) -> list[dict[str, Any]]:
    """What needs an admin: jobs that gave up, and instances in error."""
    failed = session.scalars(select(Job).where(Job.status == JobStatus.FAILED.value).order_by(Job.id))
    broken = session.scalars(select(ProcessInstance).where(ProcessInstance.status == InstanceStatus.ERROR.value)
                             .order_by(ProcessInstance.id))
    return ([{"type": "job", "job_id": j.id, "kind": j.kind, "instance_id": j.instance_id, "attempts": j.attempts,
              "error": j.last_error, "at": j.finished_at.isoformat() if j.finished_at else None} for j in failed]
            + [{"type": "instance", "instance_id": i.id, "process_id": i.process_id, "error": i.error_message,
                "at": i.updated_at.isoformat()} for i in broken])


def retry_failed(session: Session, *, actor: str, instance_id: int | None = None,
                 job_id: int | None = None) -> list[Job]:
    """Run failed jobs again (all of an instance's, or one), after a fix; process admins only."""
    user = get_actor(session, actor)
    if ADMIN_ROLE not in user.role_ids:
        raise NotPermitted(f"{actor} may not retry jobs (needs role {ADMIN_ROLE})")
    query = select(Job).where(Job.status == JobStatus.FAILED.value).with_for_update()
    if instance_id is not None:
        query = query.where(Job.instance_id == instance_id)
    if job_id is not None:
        query = query.where(Job.id == job_id)
    jobs = list(session.scalars(query))
    if job_id is not None and not jobs:
        raise NotFound(f"no failed job {job_id}")
    now = clock.now()
    for job in jobs:
        job.status, job.attempts, job.run_after, job.dispatched_at, job.claimed_at, job.finished_at = (
            JobStatus.PENDING.value, 0, now, None, None, None)
        audit.record(session, action="retry_job", actor=actor, instance_id=job.instance_id,
                     data={"job_id": job.id, "kind": job.kind, "last_error": job.last_error})
    return jobs


def cancel(session: Session, *, job_id: int, actor: str, reason: str) -> Job:
    """Dismiss a failed job that should not run again (process admins only)."""
    user = get_actor(session, actor)
    if ADMIN_ROLE not in user.role_ids:
        raise NotPermitted(f"{actor} may not cancel jobs (needs role {ADMIN_ROLE})")
    job = _lock(session, job_id)
    if job is None:
        raise NotFound(f"no job {job_id}")
    if job.status != JobStatus.FAILED.value:
        raise Conflict(f"job {job_id} is {job.status}; only a failed job can be cancelled")
    job.status = JobStatus.CANCELLED.value
    audit.record(session, action="cancel_job", actor=actor, instance_id=job.instance_id,
                 data={"job_id": job.id, "kind": job.kind, "reason": reason})
    return job
