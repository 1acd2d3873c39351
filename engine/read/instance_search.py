"""Finding instances as an admin does: by process, version, status, title or key, start date and waiting element."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from engine.models import HumanTask, Job, JobStatus, ProcessDefinition, ProcessInstance
from engine.read.process_versions import STATUSES

PAGE_SIZE = 50
EXPORT_LIMIT = 50_000  # a CSV beyond this is a database dump, not a list


@dataclass(frozen=True)
class InstanceFilter:
    """What the instances page filters by; None (or empty) leaves a filter out."""

    process_id: str | None = None
    version: int | None = None
    status: str | None = None
    text: str | None = None  # in the title or the business key
    started_from: date | None = None  # dates at the plant
    started_to: date | None = None
    waiting_at: str | None = None  # the BPMN id of an open user task


@dataclass(frozen=True)
class InstanceRow:
    """One instance as the list shows it."""

    id: int
    process_id: str
    version: int
    title: str | None
    business_key: str | None
    status: str
    started_by: str
    started_at: datetime
    updated_at: datetime
    error_message: str | None
    waiting_at: list[str] = field(default_factory=list)  # the ids of its open user tasks
    waiting_titles: list[tuple[str, str | None]] = field(default_factory=list)  # their (Chinese, English) titles


@dataclass(frozen=True)
class InstancePage:
    """A page of the list, the number of instances matching, and how many of them have each status."""

    rows: list[InstanceRow]
    total: int
    by_status: dict[str, int]
    page: int
    pages: int


def search(session: Session, filters: InstanceFilter, *, page: int = 1, plant: Any = timezone.utc) -> InstancePage:
    """The instances matching the filters, newest first, PAGE_SIZE to a page (``plant``: the zone of the dates)."""
    counts = dict(session.execute(_filtered(select(ProcessInstance.status, func.count()),
                                            InstanceFilter(**{**vars(filters), "status": None}), plant)
                                  .group_by(ProcessInstance.status)).all())
    by_status = {status: counts.get(status, 0) for status in STATUSES}
    total = by_status[filters.status] if filters.status in by_status else (0 if filters.status else sum(counts.values()))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = _rows(session, _filtered(_columns(), filters, plant).order_by(ProcessInstance.id.desc())
                 .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return InstancePage(rows, total, by_status, page, pages)


def export_rows(session: Session, filters: InstanceFilter, *, plant: Any = timezone.utc) -> list[InstanceRow]:
    """Every instance matching the filters (up to EXPORT_LIMIT), newest first, for the CSV."""
    return _rows(session, _filtered(_columns(), filters, plant).order_by(ProcessInstance.id.desc())
                 .limit(EXPORT_LIMIT))


def waiting_elements(session: Session, process_id: str, version: int | None = None) -> dict[str, int]:
    """How many instances wait at each user task of a process (of one version, if given)."""
    query = (select(HumanTask.name, func.count(func.distinct(HumanTask.instance_id)))
             .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
             .where(HumanTask.process_id == process_id, HumanTask.status == "ready")
             .group_by(HumanTask.name))
    if version is not None:
        query = query.join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id).where(
            ProcessDefinition.version == version)
    return dict(session.execute(query).all())


def incidents_at(session: Session, process_id: str, version: int | None = None) -> dict[str, int]:
    """How many instances of a process are in error at each element (read from their error's first words)."""
    query = select(ProcessInstance.error_message).where(ProcessInstance.process_id == process_id,
                                                        ProcessInstance.status == "error")
    if version is not None:
        query = query.join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id).where(
            ProcessDefinition.version == version)
    found: dict[str, int] = {}
    for message in session.scalars(query):
        element = element_of_error(message)
        if element:
            found[element] = found.get(element, 0) + 1
    return found


def element_of_error(message: str | None) -> str | None:
    """The element an instance's error names (runtime.describe_error starts with "task '<id>': ")."""
    match = re.match(r"task '([^']+)'", message or "")
    return match.group(1) if match else None


def incident_count(session: Session) -> int:
    """How many incidents wait for an admin: background jobs that gave up, and instances in error."""
    jobs = session.scalar(select(func.count()).select_from(Job).where(Job.status == JobStatus.FAILED.value)) or 0
    broken = session.scalar(select(func.count()).select_from(ProcessInstance)
                            .where(ProcessInstance.status == "error")) or 0
    return jobs + broken


def _columns() -> Select[Any]:
    return select(ProcessInstance.id, ProcessInstance.process_id, ProcessDefinition.version, ProcessInstance.title,
                  ProcessInstance.business_key, ProcessInstance.status, ProcessInstance.started_by,
                  ProcessInstance.started_at, ProcessInstance.updated_at, ProcessInstance.error_message)


def _filtered(query: Select[Any], filters: InstanceFilter, plant: Any) -> Select[Any]:
    query = query.select_from(ProcessInstance).join(ProcessDefinition,
                                                    ProcessDefinition.id == ProcessInstance.definition_id)
    if filters.process_id:
        query = query.where(ProcessInstance.process_id == filters.process_id)
    if filters.version:
        query = query.where(ProcessDefinition.version == filters.version)
    if filters.status:
        query = query.where(ProcessInstance.status == filters.status)
    if filters.text:
        pattern = "%" + filters.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(ProcessInstance.title.ilike(pattern, escape="\\"),
                                ProcessInstance.business_key.ilike(pattern, escape="\\")))
    if filters.started_from:
        query = query.where(ProcessInstance.started_at >= _start_of(filters.started_from, plant))
    if filters.started_to and filters.started_to < date.max:  # up to the calendar's last day: no upper bound
        query = query.where(ProcessInstance.started_at < _start_of(filters.started_to + timedelta(days=1), plant))
    if filters.waiting_at:
        query = query.where(exists().where(HumanTask.instance_id == ProcessInstance.id, HumanTask.status == "ready",
                                           HumanTask.name == filters.waiting_at))
    return query


def _start_of(day: date, plant: Any) -> datetime:
    try:
        return datetime.combine(day, time.min, tzinfo=plant).astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01 east of UTC begins before the first moment a datetime holds
        return datetime.min.replace(tzinfo=timezone.utc)


def _rows(session: Session, query: Select[Any]) -> list[InstanceRow]:
    found = [InstanceRow(*row) for row in session.execute(query)]
    if not found:
        return found
    waiting: dict[int, list[tuple[str, str, str | None]]] = {}
    for instance_id, name, title, title_en in session.execute(
            select(HumanTask.instance_id, HumanTask.name, HumanTask.title, HumanTask.title_en).where(
                HumanTask.instance_id.in_([r.id for r in found]), HumanTask.status == "ready")
            .order_by(HumanTask.id)):
        waiting.setdefault(instance_id, []).append((name, title, title_en))
    return [InstanceRow(**{**vars(r), "waiting_at": [w[0] for w in waiting.get(r.id, [])],
                           "waiting_titles": [(w[1], w[2]) for w in waiting.get(r.id, [])]}) for r in found]
