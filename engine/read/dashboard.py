"""The dashboard's figures: open tasks by role and process, overdue items, open nonconformities by age,
and this year's management cycles with whether they ran.

Who sees what follows the engine's reading rules: those who oversee the system (engine/read/access.py
``require_oversight``: top management, the carbon management body, process admins, auditors) see the
whole plant, its nonconformities and its cycles; anyone else sees the tasks of their own inbox.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import clock
from engine.errors import NotPermitted
from engine.models import HumanTask, InstanceStatus, OpenTaskCount, ProcessInstance, StartSchedule, TaskStatus
from engine.people import get_actor
from engine.periods import InvalidPeriod, Period
from engine.read import access, nonconformities, queries
from engine.read.definitions import latest_definitions

OVERDUE_SHOWN = 15
AGE_BUCKETS = ((0, 30, "< 30"), (30, 90, "30–89"), (90, 180, "90–179"), (180, None, "≥ 180"))
SEVERITY_ORDER = ("critical", "major", "minor", None)


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: what it counts and how many."""

    key: str | None
    label: str
    value: int


@dataclass(frozen=True)
class OverdueItem:
    task_id: int
    instance_id: int
    business_key: str | None
    title: str
    title_en: str | None
    role: str
    assignee: str | None
    due_at: datetime
    days_overdue: int
    instance_title: str | None = None


@dataclass(frozen=True)
class Cycle:
    """A process that runs on a schedule, for one calendar year: when it was due and what happened."""

    process_id: str
    name: str
    due_at: datetime | None
    enabled: bool
    instance_id: int | None
    instance_status: str | None
    started_at: datetime | None
    ended_at: datetime | None
    state: str  # completed, running, missed, due, not_due


@dataclass(frozen=True)
class Dashboard:
    plant_wide: bool
    year: int
    open_tasks: int
    tasks_by_role: list[Bar]
    tasks_by_process: list[Bar]
    overdue_count: int
    overdue: list[OverdueItem]
    open_nonconformities: int
    overdue_nonconformities: int
    nonconformities_by_age: list[Bar]
    nonconformities_by_severity: list[Bar]
    cycles: list[Cycle]
    cap: int | None = None  # one's own inbox is counted up to this in each list: past it, say "99+"


def snapshot(session: Session, actor: str, *, zone: ZoneInfo, now: datetime | None = None) -> Dashboard:
    """The dashboard as this person may see it, at ``now``."""
    now = now or clock.now()
    year = now.astimezone(zone).year
    names = {d.process_id: d.name for d in latest_definitions(session)}
    try:
        access.require_oversight(session, actor, "the plant")
    except NotPermitted:
        return _own(session, actor, now, year, names)
    open_ncs = nonconformities.open_figures(session, now=now)
    overdue = queries.overdue_tasks(session, now=now, limit=OVERDUE_SHOWN)
    return Dashboard(
        plant_wide=True, year=year, open_tasks=_kept_total(session),
        tasks_by_role=_kept(session, OpenTaskCount.role, {}),
        tasks_by_process=_kept(session, OpenTaskCount.process_id, names),
        overdue_count=_count_open(session, overdue_at=now), overdue=_overdue_items(session, overdue, now),
        open_nonconformities=open_ncs.count, overdue_nonconformities=open_ncs.overdue,
        nonconformities_by_age=_by_age(open_ncs.by_age), nonconformities_by_severity=_by_severity(open_ncs.by_severity),
        cycles=cycles(session, year=year, zone=zone, now=now, names=names))


def _own(session: Session, actor: str, now: datetime, year: int, names: dict[str, str]) -> Dashboard:
    """Someone who does not oversee the plant: the figures of their own inbox."""
    user = get_actor(session, actor)
    late = queries.tasks_for_user(session, user, overdue=True, now=now, limit=OVERDUE_SHOWN)
    tally = queries.inbox_tally(session, user, now=now, cap=queries.COUNT_CAP)
    by_role: Counter[str] = Counter()
    by_process: Counter[str] = Counter()
    for role, process_id, _overdue, count in tally:
        by_role[role] += count
        by_process[process_id] += count
    return Dashboard(
        plant_wide=False, year=year, open_tasks=sum(by_role.values()), tasks_by_role=_bars(by_role, {}),
        tasks_by_process=_bars(by_process, names), overdue_count=sum(n for *_, overdue, n in tally if overdue),
        overdue=_overdue_items(session, late, now), open_nonconformities=0,
        overdue_nonconformities=0, nonconformities_by_age=[], nonconformities_by_severity=[], cycles=[],
        cap=queries.COUNT_CAP)


def _kept_total(session: Session) -> int:
    """Every open task, from the counts the transactions keep (engine/models/task_counts.py)."""
    return session.scalar(select(func.coalesce(func.sum(OpenTaskCount.open_count), 0))) or 0


def _kept(session: Session, column: object, names: dict[str, str]) -> list[Bar]:
    rows = session.execute(select(column, func.sum(OpenTaskCount.open_count)).group_by(column)
                           .having(func.sum(OpenTaskCount.open_count) > 0)).all()
    return _bars(Counter(dict(rows)), names)


def _count_open(session: Session, *, overdue_at: datetime | None = None) -> int:
    query = select(func.count()).select_from(HumanTask).where(HumanTask.status == TaskStatus.READY.value)
    if overdue_at is not None:
        query = query.where(HumanTask.sort_due_at < overdue_at)
    return session.scalar(query) or 0


def _bars(counts: Counter, names: dict[str, str]) -> list[Bar]:
    """Largest first, then by key, so the chart reads from the top."""
    return [Bar(key, names.get(key, key), value) for key, value in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _overdue_items(session: Session, overdue: list[HumanTask], now: datetime) -> list[OverdueItem]:
    keys = queries.business_keys(session, [t.instance_id for t in overdue])
    titles = queries.instance_titles(session, [t.instance_id for t in overdue])
    return [OverdueItem(t.id, t.instance_id, keys.get(t.instance_id), t.title, t.title_en, t.role, t.assignee,
                        t.sort_due_at, max((now - t.sort_due_at).days, 0), titles.get(t.instance_id))
            for t in overdue]


def _by_age(ages: Counter[int]) -> list[Bar]:
    return [Bar(label, label, sum(n for age, n in ages.items() if low <= age and (high is None or age < high)))
            for low, high, label in AGE_BUCKETS]


def _by_severity(counts: Counter[str | None]) -> list[Bar]:
    return [Bar(severity, severity or "not assessed", counts[severity]) for severity in SEVERITY_ORDER
            if counts[severity]]


def cycles(session: Session, *, year: int, zone: ZoneInfo, now: datetime,
           names: dict[str, str] | None = None) -> list[Cycle]:
    """Every scheduled process for the calendar year at the plant: its due date, its instance, its state."""
    names = names if names is not None else {d.process_id: d.name for d in latest_definitions(session)}
    start = datetime(year, 1, 1, tzinfo=zone)
    end = datetime(year + 1, 1, 1, tzinfo=zone)
    rows = []
    for schedule in session.scalars(select(StartSchedule).order_by(StartSchedule.process_id)):
        due = _due_in(schedule, start, end)
        latest = _most_telling(list(session.scalars(
            select(ProcessInstance).where(ProcessInstance.process_id == schedule.process_id,
                                          ProcessInstance.started_at >= start, ProcessInstance.started_at < end)
            .order_by(ProcessInstance.started_at.desc()))))
        rows.append(Cycle(
            process_id=schedule.process_id, name=names.get(schedule.process_id, schedule.process_id), due_at=due,
            enabled=schedule.next_run_at is not None, instance_id=latest.id if latest else None,
            instance_status=latest.status if latest else None, started_at=latest.started_at if latest else None,
            ended_at=latest.ended_at if latest else None, state=_state(latest, due, now)))
    return rows


def _most_telling(instances: list[ProcessInstance]) -> ProcessInstance | None:
    """A completed run of the year if there is one, else the latest one started."""
    done = [i for i in instances if i.status == InstanceStatus.COMPLETED.value]
    return done[0] if done else (instances[0] if instances else None)


def _state(instance: ProcessInstance | None, due: datetime | None, now: datetime) -> str:
    if instance is not None:
        return "completed" if instance.status == InstanceStatus.COMPLETED.value else "running"
    if due is None:
        return "not_due"
    return "missed" if due < now else "due"


def _due_in(schedule: StartSchedule, start: datetime, end: datetime) -> datetime | None:
    """The schedule's first run within [start, end), counted from its anchor backwards or forwards."""
    try:
        period = Period.parse(schedule.period)
    except InvalidPeriod:
        return None
    anchor, n = schedule.anchor_at, 0
    while period.times(anchor, n) >= start and n > -1000:
        n -= 1  # step back before the year, then forward to its first run in it
    first = period.first_after(period.times(anchor, n), start)
    return first if first < end else None
