"""The nonconformity register: every corrective-action instance as a nonconformity with its state and age.

A nonconformity is one instance of the ``corrective_action`` process (10.2): raised by hand or by
an internal audit, a compliance evaluation or a management review (which links to it). Its
facts come from the forms completed in it; its status from the instance and its tasks:

- ``open``: not closed yet, and no step of it is past its due time;
- ``overdue``: not closed, and an open step of it is past its due time;
- ``closed``: the process ended on time;
- ``closed_late``: the process ended, but the correction ran overdue or a step was completed after its due time.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.models import HumanTask, InstanceLink, InstanceStatus, ProcessInstance, TaskStatus

PROCESS_ID = "corrective_action"
RAISED_LINK = "nonconformity_raised"
STATUSES = ("open", "overdue", "closed", "closed_late")
OPEN_STATUSES = frozenset({"open", "overdue"})
SOURCES = ("internal_audit", "compliance_evaluation", "management_review", "data_quality", "communication",
           "reduction_measure", "raised_by_hand")
SEVERITIES = ("minor", "major", "critical")


@dataclass(frozen=True)
class RaisedBy:
    """The instance whose finding raised the nonconformity (an audit, an evaluation, a review)."""

    instance_id: int
    process_id: str
    business_key: str | None


@dataclass(frozen=True)
class RaisedCase:
    """A nonconformity the instance raised (an audit's finding), which its records include (9.2.3)."""

    instance_id: int
    business_key: str | None
    status: str


@dataclass(frozen=True)
class Nonconformity:
    """One row of the register."""

    instance_id: int
    business_key: str | None
    title: str
    source: str | None
    clause: str | None
    severity: str | None
    owner: str | None
    department: str | None
    detected_on: date
    raised_at: datetime
    raised_by_user: str
    due: date | None
    status: str
    age_days: int
    closed_at: datetime | None
    instance_status: str
    review_rounds: int
    overdue_rounds: int
    raised_by: RaisedBy | None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True)
class NonconformityFilter:
    """Which nonconformities: status ("open" includes the overdue), source, severity, clause prefix,
    department, raised in [since, until), and a search over title and business key."""

    status: str | None = None
    source: str | None = None
    severity: str | None = None
    clause: str | None = None
    department: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    search: str | None = None

    def keeps(self, nc: Nonconformity) -> bool:
        if self.status == "open" and not nc.is_open:
            return False
        if self.status and self.status != "open" and nc.status != self.status:
            return False
        if self.clause and not _within_clause(nc.clause, self.clause):
            return False
        if self.search:
            needle = self.search.strip().lower()
            if needle not in nc.title.lower() and needle not in (nc.business_key or "").lower():
                return False
        return all(not wanted or getattr(nc, name) == wanted for name, wanted in
                   (("source", self.source), ("severity", self.severity), ("department", self.department)))


def register(session: Session, *, where: NonconformityFilter | None = None,
             now: datetime | None = None) -> list[Nonconformity]:
    """The nonconformities that pass the filter, newest first."""
    where = where or NonconformityFilter()
    now = now or clock.now()
    query = select(ProcessInstance).where(ProcessInstance.process_id == PROCESS_ID)
    if where.since is not None:
        query = query.where(ProcessInstance.started_at >= where.since)
    if where.until is not None:
        query = query.where(ProcessInstance.started_at < where.until)
    found = list(session.scalars(query.order_by(ProcessInstance.id.desc())))
    ids = [i.id for i in found]
    overdue, late, raised_by = _overdue_now(session, ids, now), _late_steps(session, ids), _raisers(session, ids)
    rows = (_nonconformity(i, now, i.id in overdue, i.id in late, raised_by.get(i.id)) for i in found)
    return [nc for nc in rows if where.keeps(nc)]


def get(session: Session, instance_id: int, *, now: datetime | None = None) -> Nonconformity | None:
    """The nonconformity of this instance; None if the instance is not one."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None or instance.process_id != PROCESS_ID:
        return None
    now = now or clock.now()
    ids = [instance_id]
    return _nonconformity(instance, now, bool(_overdue_now(session, ids, now)), bool(_late_steps(session, ids)),
                          _raisers(session, ids).get(instance_id))


def _nonconformity(instance: ProcessInstance, now: datetime, overdue: bool, late: bool,
                   raised_by: RaisedBy | None) -> Nonconformity:
    data = instance.data or {}
    closed = instance.status == InstanceStatus.COMPLETED.value
    overdue_rounds = int(data.get("overdue_rounds") or 0)
    if closed:
        status = "closed_late" if late or overdue_rounds else "closed"
    else:
        status = "overdue" if overdue else "open"
    detected_on = _date(data.get("detected_on")) or instance.started_at.date()
    until = (instance.ended_at or now).date() if closed else now.date()
    return Nonconformity(
        instance_id=instance.id, business_key=instance.business_key, title=str(data.get("title") or ""),
        source=data.get("source"), clause=data.get("clause"), severity=data.get("severity"),
        owner=data.get("owner"), department=data.get("department"), detected_on=detected_on,
        raised_at=instance.started_at, raised_by_user=instance.started_by, due=_date(data.get("correction_due")),
        status=status, age_days=max((until - detected_on).days, 0), closed_at=instance.ended_at if closed else None,
        instance_status=instance.status, review_rounds=int(data.get("review_rounds") or 0),
        overdue_rounds=overdue_rounds, raised_by=raised_by)


def _overdue_now(session: Session, ids: list[int], now: datetime) -> set[int]:
    """The instances with an open step past its due time."""
    if not ids:
        return set()
    return set(session.scalars(select(HumanTask.instance_id).distinct().where(
        HumanTask.instance_id.in_(ids), HumanTask.status == TaskStatus.READY.value, HumanTask.sort_due_at < now)))


def _late_steps(session: Session, ids: list[int]) -> set[int]:
    """The instances with a step completed after its due time."""
    if not ids:
        return set()
    return set(session.scalars(select(HumanTask.instance_id).distinct().where(
        HumanTask.instance_id.in_(ids), HumanTask.status == TaskStatus.COMPLETED.value,
        HumanTask.due_at.is_not(None), HumanTask.completed_at > HumanTask.due_at)))


def _raisers(session: Session, ids: list[int]) -> dict[int, RaisedBy]:
    if not ids:
        return {}
    rows = session.execute(
        select(InstanceLink.target_instance_id, ProcessInstance.id, ProcessInstance.process_id,
               ProcessInstance.business_key)
        .join(ProcessInstance, ProcessInstance.id == InstanceLink.source_instance_id)
        .where(InstanceLink.target_instance_id.in_(ids), InstanceLink.kind == RAISED_LINK)).all()
    return {target: RaisedBy(source, process_id, key) for target, source, process_id, key in rows}


def raised_from(session: Session, instance_ids: set[int]) -> dict[int, tuple[RaisedCase, ...]]:
    """The nonconformities each of these instances (audits, evaluations, reviews) raised, oldest first."""
    if not instance_ids:
        return {}
    rows = session.execute(
        select(InstanceLink.source_instance_id, ProcessInstance.id, ProcessInstance.business_key,
               ProcessInstance.status)
        .join(ProcessInstance, ProcessInstance.id == InstanceLink.target_instance_id)
        .where(InstanceLink.source_instance_id.in_(instance_ids), InstanceLink.kind == RAISED_LINK)
        .order_by(InstanceLink.id)).all()
    cases: dict[int, list[RaisedCase]] = defaultdict(list)
    for source, *case in rows:
        cases[source].append(RaisedCase(*case))
    return {source: tuple(found) for source, found in cases.items()}


def _within_clause(clause: str | None, prefix: str) -> bool:
    """``8.1.3`` is within ``8.1`` and ``8.1.3``, not within ``8.10``."""
    if not clause:
        return False
    prefix = prefix.strip()
    return clause == prefix or clause.startswith(prefix + ".") or (clause.startswith(prefix) and
                                                                    clause[len(prefix):].isalpha())


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None
