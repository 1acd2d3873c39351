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
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from engine import clock
from engine.bpmn.runtime import describe_error
from engine.db import Database
from engine.errors import CarbonFlowError, NotFound, NotPermitted
from engine.models import InstanceStatus, Job, JobStatus, ProcessInstance
from engine.services import audit
from engine.services.users import ADMIN_ROLE, get_actor

log = logging.getLogger(__name__)
SYSTEM = "system"
MAX_ATTEMPTS = 5


def lease() -> timedelta:
    """How long a broker message may go unanswered before it is taken as lost and sent again."""
    return timedelta(seconds=float(os.environ.get("CARBONFLOW_JOB_LEASE_SECONDS", "60")))

Handler = Callable[[Session, Job], "dict[str, Any] | None"]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that does jobs of this kind (in the job's transaction)."""
    def register(function: Handler) -> Handler:
        HANDLERS[kind] = function
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
        with db.transaction() as session, clock.frozen_at(now):
            job = _lock(session, job_id, skip_locked=True)
            if job is None or job.status != JobStatus.PENDING.value or job.run_after > now:
                return "skipped"  # done already, another worker has it, or not yet due
            do = HANDLERS.get(job.kind)
            if do is None:
                raise CarbonFlowError(f"no handler for jobs of kind {job.kind!r}")
            job.result = do(session, job)
            job.status, job.attempts, job.finished_at = JobStatus.DONE.value, job.attempts + 1, now
            return "done"
    except DBAPIError:  # the database, not the job: it stays pending and is sent again after the lease
        log.exception("job %s could not reach the database", job_id)
        return "retry"
    except Exception as exc:  # noqa: BLE001 - a failing job is recorded, never lost
        log.warning("job %s failed: %s", job_id, exc)
        return _record_failure(db, job_id, now, exc)


def _record_failure(db: Database, job_id: int, now: datetime, exc: Exception) -> str:
    with db.transaction() as session:
        job = _lock(session, job_id)
        if job is None or job.status != JobStatus.PENDING.value:
            return "skipped"
        job.attempts += 1
        job.last_error = describe_error(exc)
        if job.attempts >= MAX_ATTEMPTS:
            job.status, job.finished_at = JobStatus.FAILED.value, now
            audit.record(session, action="incident", actor=SYSTEM, instance_id=job.instance_id, data={
                "job_id": job.id, "kind": job.kind, "attempts": job.attempts, "error": job.last_error})
            return "failed"
        # Backoff: 10 s, 20 s, 40 s, ... at most an hour.
        job.run_after = now + min(timedelta(seconds=10 * 2 ** (job.attempts - 1)), timedelta(hours=1))
        job.dispatched_at = None
        return "retry"


def _lock(session: Session, job_id: int, *, skip_locked: bool = False) -> Job | None:
    return session.scalar(select(Job).where(Job.id == job_id).with_for_update(skip_locked=skip_locked)
                          .execution_options(populate_existing=True))


def dispatchable(db: Database, now: datetime | None = None, *, limit: int = 500) -> list[int]:
    """Due pending jobs with no broker message in flight; marked as sent now."""
    now = now or clock.now()
    with db.transaction() as session:
        jobs = list(session.scalars(
            select(Job).where(Job.status == JobStatus.PENDING.value, Job.run_after <= now,
                              or_(Job.dispatched_at.is_(None), Job.dispatched_at < now - lease()))
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
        job.status, job.attempts, job.run_after, job.dispatched_at, job.finished_at = (
            JobStatus.PENDING.value, 0, now, None, None)
        audit.record(session, action="retry_job", actor=actor, instance_id=job.instance_id,
                     data={"job_id": job.id, "kind": job.kind, "last_error": job.last_error})
    return jobs
