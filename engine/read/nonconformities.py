"""The nonconformity register: every corrective-action instance as a nonconformity with its state and age.

A nonconformity is one instance of the ``corrective_action`` process (10.2): raised by hand or by
an internal audit, a compliance evaluation or a management review (which links to it). Its
facts come from the forms completed in it; its status from the instance and its tasks:

- ``open``: not closed yet, and no step of it is past its due time;
- ``overdue``: not closed, and an open step of it is past its due time;
- ``closed``: the process ended on time;
- ``closed_late``: the process ended, but the correction ran overdue or a step was completed after its due time.

The status is derived in SQL (a CASE over the instance's status, its data's ``overdue_rounds`` and its
steps' due times), so the register is filtered, counted and paged by the database: a page reads its
rows only, and the dashboard its counts.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, case, distinct, exists, func, or_, select, true
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
COMPLETED = InstanceStatus.COMPLETED.value
RAISERS_AT_ONCE = 500  # ids per IN list when the whole register is read (an export)
CLAUSES_READ = "nonconformity_clauses"  # session.info key
PY_LOWER = "carbonflow_lower"  # SQLite's lower() folds ASCII letters only; a search folds as Python does


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


@dataclass(frozen=True)
class RegisterCounts:
    """The register page's figures: per status tab over the filter's period alone ("" every one, "open"
    with the overdue), and how many pass the whole filter."""

    tabs: dict[str, int]
    matching: int


@dataclass(frozen=True)
class OpenFigures:
    """The nonconformities not closed yet, counted: in all, the overdue ones, by age in days, by severity."""

    count: int
    overdue: int
    by_age: Counter[int]
    by_severity: Counter[str | None]


def register(session: Session, *, where: NonconformityFilter | None = None, now: datetime | None = None,
             limit: int | None = None, offset: int = 0) -> list[Nonconformity]:
    """The nonconformities that pass the filter, newest first; with ``limit``, that many from ``offset``."""
    where = where or NonconformityFilter()
    now = now or clock.now()
    query = _rows(now).where(*_in_period(where), *_beside_status(session, where))
    if where.status:
        query = query.where(_status_is(_status(now), where.status))
    query = query.order_by(ProcessInstance.id.desc()).limit(limit).offset(offset or None)
    return _nonconformities(session, session.execute(query).all(), now)


def get(session: Session, instance_id: int, *, now: datetime | None = None) -> Nonconformity | None:
    """The nonconformity of this instance; None if the instance is not one."""
    now = now or clock.now()
    rows = session.execute(_rows(now).where(ProcessInstance.id == instance_id,
                                            ProcessInstance.process_id == PROCESS_ID)).all()
    found = _nonconformities(session, rows, now)
    return found[0] if found else None


def counts(session: Session, *, where: NonconformityFilter, now: datetime | None = None) -> RegisterCounts:
    """How many nonconformities raised in the filter's period have each status, and how many pass the filter."""
    now = now or clock.now()
    kept = and_(true(), *_beside_status(session, where))
    rows = select(_status(now).label("status"), case((kept, 1), else_=0).label("kept")) \
        .where(*_in_period(where)).subquery()
    # Grouped outside: PostgreSQL would not match a GROUP BY whose CASE carries its own bound parameters.
    tally = session.execute(select(rows.c.status, func.count(), func.sum(rows.c.kept)).group_by(rows.c.status)).all()
    tabs = {wanted: sum(n for status, n, _ in tally if not wanted or _status_passes(status, wanted))
            for wanted in ("", *STATUSES)}
    matching = sum(int(k or 0) for status, _, k in tally if not where.status or _status_passes(status, where.status))
    return RegisterCounts(tabs, matching)


def open_figures(session: Session, *, now: datetime | None = None) -> OpenFigures:
    """The open nonconformities (the overdue ones too) counted in SQL by status, severity and the day found."""
    now = now or clock.now()
    rows = select(case((_step_overdue(now), 1), else_=0).label("overdue"), _fact("severity").label("severity"),
                  _fact("detected_on").label("detected_on")) \
        .where(ProcessInstance.process_id == PROCESS_ID, ProcessInstance.status != COMPLETED).subquery()
    groups = session.execute(select(rows.c.overdue, rows.c.severity, rows.c.detected_on, func.count())
                             .group_by(rows.c.overdue, rows.c.severity, rows.c.detected_on)).all()
    overdue, by_age, by_severity = 0, Counter[int](), Counter[str | None]()
    undated: set[Any] = set()  # days found that the data lacks or that do not read as dates
    for late, severity, detected, n in groups:
        overdue += n if late else 0
        by_severity[severity] += n
        day = _date(detected)
        if day is None:
            undated.add(detected)
        else:
            by_age[max((now.date() - day).days, 0)] += n
    by_age.update(_ages_from_start(session, undated, now))
    return OpenFigures(by_severity.total(), overdue, by_age, by_severity)


def _ages_from_start(session: Session, undated: set[Any], now: datetime) -> Counter[int]:
    """The ages of open nonconformities whose data holds no day found: counted from the day they were raised."""
    if not undated:
        return Counter()
    named = [value for value in undated if value is not None]
    detected = _fact("detected_on")
    started = session.scalars(select(ProcessInstance.started_at).where(
        ProcessInstance.process_id == PROCESS_ID, ProcessInstance.status != COMPLETED,
        or_(detected.is_(None), detected.in_(named))))
    return Counter(max((now.date() - moment.date()).days, 0) for moment in started)


def _rows(now: datetime) -> Select[Any]:
    """The instance columns a register row is built from (not its saved workflow), and its status at ``now``."""
    return select(ProcessInstance.id, ProcessInstance.business_key, ProcessInstance.data, ProcessInstance.status,
                  ProcessInstance.started_at, ProcessInstance.started_by, ProcessInstance.ended_at,
                  _status(now).label("nc_status"))


def _nonconformities(session: Session, rows: Sequence[Row[Any]], now: datetime) -> list[Nonconformity]:
    ids = [row.id for row in rows]
    raised_by: dict[int, RaisedBy] = {}
    for at in range(0, len(ids), RAISERS_AT_ONCE):
        raised_by.update(_raisers(session, ids[at:at + RAISERS_AT_ONCE]))
    return [_nonconformity(row, now, raised_by.get(row.id)) for row in rows]


def _nonconformity(row: Row[Any], now: datetime, raised_by: RaisedBy | None) -> Nonconformity:
    data = row.data or {}
    closed = row.status == COMPLETED
    detected_on = _date(data.get("detected_on")) or row.started_at.date()
    until = (row.ended_at or now).date() if closed else now.date()
    return Nonconformity(
        instance_id=row.id, business_key=row.business_key, title=str(data.get("title") or ""),
        source=data.get("source"), clause=data.get("clause"), severity=data.get("severity"),
        owner=data.get("owner"), department=data.get("department"), detected_on=detected_on,
        raised_at=row.started_at, raised_by_user=row.started_by, due=_date(data.get("correction_due")),
        status=row.nc_status, age_days=max((until - detected_on).days, 0), closed_at=row.ended_at if closed else None,
        instance_status=row.status, review_rounds=int(data.get("review_rounds") or 0),
        overdue_rounds=int(data.get("overdue_rounds") or 0), raised_by=raised_by)


def _status(now: datetime) -> ColumnElement[str]:
    """Each nonconformity's status at ``now``, as the module's docstring defines it."""
    closed = ProcessInstance.status == COMPLETED
    ran_overdue = func.coalesce(ProcessInstance.data["overdue_rounds"].as_float(), 0) != 0
    return case((and_(closed, or_(_step_done_late(), ran_overdue)), "closed_late"), (closed, "closed"),
                (_step_overdue(now), "overdue"), else_="open")


def _step_overdue(now: datetime) -> ColumnElement[bool]:
    """The instance has an open step past its due time."""
    return _step_where(TaskStatus.READY, HumanTask.sort_due_at < now)


def _step_done_late() -> ColumnElement[bool]:
    """The instance has a step completed after its due time."""
    return _step_where(TaskStatus.COMPLETED, HumanTask.due_at.is_not(None), HumanTask.completed_at > HumanTask.due_at)


def _step_where(status: TaskStatus, *conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """The instance has a step in this status that meets the conditions (a correlated EXISTS)."""
    # ``status || ''`` keeps the status term off the indexes that lead with it: without ANALYZE's statistics,
    # SQLite would rather range-scan ix_human_tasks_due (status, sort_due_at) for every row than look the
    # instance's few steps up by ix_human_tasks_instance_id (7 s instead of 8 ms at 5,000 nonconformities).
    return exists().where(HumanTask.instance_id == ProcessInstance.id, HumanTask.status.concat("") == status.value,
                          *conditions)


def _status_is(status: ColumnElement[str], wanted: str) -> ColumnElement[bool]:
    return status.in_(sorted(OPEN_STATUSES)) if wanted == "open" else status == wanted


def _status_passes(status: str, wanted: str) -> bool:
    """Whether a status is the one asked for ("open" includes the overdue)."""
    return status in OPEN_STATUSES if wanted == "open" else status == wanted


def _fact(name: str) -> ColumnElement[Any]:
    """A value of the instance's data, as SQL reads it on SQLite and PostgreSQL alike."""
    return ProcessInstance.data[name].as_string()


def _in_period(where: NonconformityFilter) -> list[ColumnElement[bool]]:
    """The corrective actions started within the filter's period."""
    conditions = [ProcessInstance.process_id == PROCESS_ID]
    if where.since is not None:
        conditions.append(ProcessInstance.started_at >= where.since)
    if where.until is not None:
        conditions.append(ProcessInstance.started_at < where.until)
    return conditions


def _beside_status(session: Session, where: NonconformityFilter) -> list[ColumnElement[bool]]:
    """The rest of the filter as WHERE clauses: source, severity, department, clause and search."""
    conditions = [_fact(name) == wanted for name, wanted in
                  (("source", where.source), ("severity", where.severity), ("department", where.department)) if wanted]
    if where.clause:
        conditions.append(_fact("clause").in_(_clauses_within(session, where.clause)))
    needle = (where.search or "").strip().lower()
    if needle:
        conditions.append(or_(*(_lower(session, func.coalesce(text, "")).contains(needle, autoescape=True)
                                for text in (_fact("title"), ProcessInstance.business_key))))
    return conditions


def _clauses_within(session: Session, prefix: str) -> list[str]:
    """The clauses recorded on nonconformities that fall within ``prefix`` (a few dozen distinct values)."""
    # Read once per session: a page asks counts() and register() the same, and on SQLite the scan reads every
    # instance's data past its saved workflow.
    recorded = session.info.get(CLAUSES_READ)
    if recorded is None:
        recorded = session.info[CLAUSES_READ] = list(session.scalars(
            select(distinct(_fact("clause"))).where(ProcessInstance.process_id == PROCESS_ID)))
    return [clause for clause in recorded if _within_clause(clause, prefix)]


def _lower(session: Session, text: ColumnElement[Any]) -> ColumnElement[Any]:
    """``text`` in lower case as Python's ``str.lower`` has it (PostgreSQL's lower() folds Unicode already)."""
    if session.get_bind().dialect.name != "sqlite":
        return func.lower(text)
    session.connection().connection.driver_connection.create_function(  # type: ignore[union-attr]
        PY_LOWER, 1, _python_lower, deterministic=True)
    return getattr(func, PY_LOWER)(text)


def _python_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


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
    for source, *raised in rows:
        cases[source].append(RaisedCase(*raised))
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
