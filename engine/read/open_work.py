"""The plant's open work, for those who oversee it: every open task, filtered the way the dashboard counts."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import clock
from engine.models import HumanTask, OpenTaskCount, TaskStatus
from engine.read import access, queries


@dataclass(frozen=True)
class Filters:
    """What the list is narrowed to: a lane's role, a process, past due only."""

    role: str | None = None
    process_id: str | None = None
    overdue: bool = False


@dataclass(frozen=True)
class Page:
    """One page of open tasks, the count of all that match, and what each instance is."""

    tasks: list[HumanTask]
    total: int
    keys: dict[int, str]
    titles: dict[int, str]


def open_work(session: Session, actor: str, filters: Filters, *, now: datetime | None = None, limit: int = 50,
              offset: int = 0) -> Page:
    """Open tasks of the whole plant matching ``filters``, most overdue first; only for those who oversee it."""
    access.require_oversight(session, actor, "the plant's open work")
    now = now or clock.now()
    where = [HumanTask.status == TaskStatus.READY.value]
    if filters.role:
        where.append(HumanTask.role == filters.role)
    if filters.process_id:
        where.append(HumanTask.process_id == filters.process_id)
    if filters.overdue:
        where.append(HumanTask.sort_due_at < now)
    total = _count(session, filters, where)
    tasks = list(session.scalars(select(HumanTask).where(*where).order_by(HumanTask.sort_due_at, HumanTask.id)
                                 .limit(limit).offset(offset)))
    instance_ids = [t.instance_id for t in tasks]
    return Page(tasks, total, queries.business_keys(session, instance_ids), queries.instance_titles(session, instance_ids))


def _count(session: Session, filters: Filters, where: list[object]) -> int:
    """How many match: from the counts kept per process and role unless only the overdue ones are asked for."""
    if filters.overdue:
        return session.scalar(select(func.count()).select_from(HumanTask).where(*where)) or 0
    kept = select(func.coalesce(func.sum(OpenTaskCount.open_count), 0))
    if filters.role:
        kept = kept.where(OpenTaskCount.role == filters.role)
    if filters.process_id:
        kept = kept.where(OpenTaskCount.process_id == filters.process_id)
    return session.scalar(kept) or 0
