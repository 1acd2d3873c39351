"""The read side: inbox, overdue, instance views and audit trail as indexed queries."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, func, literal, or_, select, tuple_, union_all
from sqlalchemy.orm import Session

from engine import clock
from engine.errors import Conflict, NotFound
from engine.models import (
    AuditEvent,
    Evidence,
    EvidenceBlob,
    HumanTask,
    InstanceLink,
    ProcessDefinition,
    ProcessInstance,
    TaskExclusion,
    TaskStatus,
    User,
)
from engine.people import Actor
from engine.read import text_search

Scope = Literal["mine", "candidate", "all"]
# A search matching more open tasks than this walks the inbox's index instead (engine/read/text_search.py).
SEARCH_CAP = 500
# Inbox counts stop here: a tab says "99+" rather than count every open task to say 84,213.
COUNT_CAP = 99
# Inbox due filters: due by the end of today, or of the sixth day after it, on the plant's calendar.
DUE_WITHIN_DAYS = {"today": 0, "week": 6}


def due_horizon(choice: str, now: datetime, zone: str) -> datetime:
    """The last moment a task may be due to pass the inbox filter ``choice`` (today, week)."""
    local = now.astimezone(ZoneInfo(zone)).date() + timedelta(days=DUE_WITHIN_DAYS[choice] + 1)
    return datetime.combine(local, time(), tzinfo=ZoneInfo(zone)) - timedelta(microseconds=1)


@dataclass(frozen=True)
class Cursor:
    """A place in the inbox's order (due time, then id): a page starts after it, or ends before it."""

    due: datetime
    task_id: int

    @classmethod
    def of(cls, task: HumanTask) -> Cursor:
        return cls(task.sort_due_at, task.id)

    def token(self) -> str:
        """The cursor as it travels in an address: microseconds since the epoch, a dot, the task id."""
        return f"{round(self.due.timestamp() * 1_000_000)}.{self.task_id}"

    @classmethod
    def parse(cls, token: str | None) -> Cursor | None:
        """The cursor a token names; None for none or for anything that is not one."""
        micros, _, task_id = (token or "").partition(".")
        if not (micros.lstrip("-").isdigit() and task_id.isdigit()) or len(micros) > 20 or len(task_id) > 10:
            return None
        try:
            due = datetime.fromtimestamp(int(micros) / 1_000_000, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
        return cls(due, int(task_id))


def tasks_for_user(session: Session, user: Actor, *, scope: Scope = "all", overdue: bool = False,
                   process_id: str | None = None, now: datetime | None = None, priority: int | None = None,
                   search: str | None = None, due_by: datetime | None = None, limit: int = 200,
                   offset: int = 0, after: Cursor | None = None, before: Cursor | None = None) -> list[HumanTask]:
    """Open tasks the user can act on: assigned to them, offered to their roles, or both; by due time.

    ``search`` matches the task title (either language) or the instance's business key; ``due_by`` keeps
    the tasks due at or before that moment (overdue ones included; none without a due time). ``after`` and
    ``before`` page by keyset: the ``limit`` tasks just after, or just before, a cursor (see Cursor).
    """
    window = limit + offset
    found = text_search.open_task_ids(session, search, cap=SEARCH_CAP) if search else None
    if found is not None and not found:
        return []
    conditions = _inbox_conditions(user, scope)
    if not conditions:
        return []
    allowed = and_(_allowed(user), *_filters(priority, None if found is not None else search))
    if found is not None:  # a few tasks match: read them by id rather than walk every branch to find them
        conditions = [and_(HumanTask.id.in_(found), or_(*conditions))]
    branches = [_inbox_branch(and_(condition, allowed), window, overdue=overdue, process_id=process_id, now=now,
                              due_by=due_by, after=after, before=before, by_id=found is not None)
                for condition in conditions]
    merged = union_all(*branches).subquery()
    backwards = before is not None and after is None
    order = (merged.c.sort_due_at.desc(), merged.c.id.desc()) if backwards else (merged.c.sort_due_at, merged.c.id)
    ids = list(session.scalars(select(merged.c.id).order_by(*order).limit(limit).offset(offset)))
    if backwards:
        ids.reverse()
    rows = {t.id: t for t in session.scalars(select(HumanTask).where(HumanTask.id.in_(ids)))}
    return [rows[i] for i in ids]


def count_tasks_for_user(session: Session, user: Actor, *, scope: Scope = "all", overdue: bool = False,
                         now: datetime | None = None, cap: int | None = None) -> int:
    """How many open tasks ``tasks_for_user`` would list without paging; with ``cap``, at most cap + 1.

    A capped count reads at most cap + 1 index entries per branch, whatever the number of open tasks."""
    conditions = _inbox_conditions(user, scope)
    if not conditions:
        return 0
    if cap is not None:
        return min(session.scalar(select(_capped_count(user, conditions, overdue, now, cap))) or 0, cap + 1)
    query = select(func.count()).select_from(HumanTask).where(
        HumanTask.status == TaskStatus.READY.value, _allowed(user), or_(*conditions))
    if overdue:
        query = query.where(HumanTask.sort_due_at < (now or clock.now()))
    return session.scalar(query) or 0


def count_tabs(session: Session, user: Actor, *, now: datetime, cap: int) -> dict[str, int]:
    """The inbox's tab counts (mine, candidate, all, overdue), each at most cap + 1, in one round trip."""
    mine, candidate = _inbox_conditions(user, "mine"), _inbox_conditions(user, "candidate")
    counts = session.execute(select(
        _capped_count(user, mine, False, now, cap), _capped_count(user, candidate, False, now, cap),
        _capped_count(user, mine + candidate, True, now, cap))).one()
    found = {"mine": counts[0] or 0, "candidate": counts[1] or 0, "overdue": counts[2] or 0}
    found["all"] = found["mine"] + found["candidate"]  # assigned and offered never overlap
    return {tab: min(n, cap + 1) for tab, n in found.items()}


def _capped_count(user: Actor, conditions: list[Any], overdue: bool, now: datetime | None, cap: int) -> Any:
    """A scalar subquery counting the open tasks of these branches, reading at most cap + 1 of each."""
    if not conditions:
        return literal(0)
    branches = [_inbox_branch(and_(condition, _allowed(user)), cap + 1, overdue=overdue, process_id=None,
                              now=now, due_by=None) for condition in conditions]
    return select(func.count()).select_from(union_all(*branches).subquery()).scalar_subquery()


def inbox_tally(session: Session, user: Actor, *, now: datetime, cap: int) -> list[tuple[str, str, bool, int]]:
    """The user's open tasks counted by role, process and whether overdue, in one query reading at most cap + 1
    tasks per branch (the soonest due first, so the overdue ones are all counted up to the cap)."""
    branches = [_inbox_branch(and_(condition, _allowed(user)), cap + 1, overdue=False, process_id=None, now=None,
                              due_by=None) for condition in _inbox_conditions(user, "all")]
    if not branches:
        return []
    ids = select(union_all(*branches).subquery().c.id)
    late = case((HumanTask.sort_due_at < now, True), else_=False)
    return [tuple(row) for row in session.execute(  # type: ignore[misc]
        select(HumanTask.role, HumanTask.process_id, late, func.count()).where(HumanTask.id.in_(ids))
        .group_by(HumanTask.role, HumanTask.process_id, late))]


def _allowed(user: Actor) -> Any:
    """Segregation of duties also hides a task from those who may not do it."""
    allowed = ~exists().where(TaskExclusion.task_id == HumanTask.id, TaskExclusion.username == user.username)
    if user.department_code:
        allowed = and_(allowed, or_(HumanTask.excluded_department.is_(None),
                                    HumanTask.excluded_department != user.department_code))
    return allowed


def _filters(priority: int | None, search: str | None) -> list[Any]:
    filters: list[Any] = []
    if priority is not None:
        filters.append(HumanTask.priority == priority)
    if search:
        pattern = text_search.scan_pattern(search)
        filters.append(or_(HumanTask.title.ilike(pattern, escape="\\"), HumanTask.title_en.ilike(pattern, escape="\\"),
                           HumanTask.instance_id.in_(select(ProcessInstance.id).where(or_(
                               ProcessInstance.business_key.ilike(pattern, escape="\\"),
                               ProcessInstance.title.ilike(pattern, escape="\\"))))))
    return filters


def _inbox_conditions(user: Actor, scope: Scope) -> list[Any]:
    """One condition per index range: the user's own tasks, then each role with and without department."""
    conditions: list[Any] = []
    if scope in ("mine", "all"):
        conditions.append(HumanTask.assignee == user.username)
    if scope in ("candidate", "all"):
        departments: list[Any] = [HumanTask.candidate_department.is_(None)]
        if user.department_code:
            departments.append(HumanTask.candidate_department == user.department_code)
        conditions.extend(and_(HumanTask.role == role, HumanTask.assignee.is_(None), department)
                          for role in user.role_ids for department in departments)
    return conditions


def _inbox_branch(condition: Any, window: int, *, overdue: bool, process_id: str | None,
                  now: datetime | None, due_by: datetime | None, after: Cursor | None = None,
                  before: Cursor | None = None, by_id: bool = False) -> Any:
    # Each branch walks one index range in due order and stops after `window` rows, so a page
    # costs the same with 100 or 100,000 open tasks; the union then merges a few small lists.
    # By id, the status is compared as an expression: no index on it can tempt SQLite to walk every open task
    # in due order rather than look the few ids up.
    status = text_search.unindexed(HumanTask.status) if by_id else HumanTask.status
    query = select(HumanTask.id, HumanTask.sort_due_at).where(status == TaskStatus.READY.value, condition)
    if overdue:
        query = query.where(HumanTask.sort_due_at < (now or clock.now()))
    if due_by is not None:
        query = query.where(HumanTask.sort_due_at <= due_by)
    if process_id:
        query = query.where(HumanTask.process_id == process_id)
    key = tuple_(HumanTask.sort_due_at, HumanTask.id)
    if after is not None:
        query = query.where(key > _key_of(after))
    if before is not None:
        query = query.where(key < _key_of(before))
    if before is not None and after is None:  # the page before: walk the index backwards from the cursor
        inner = query.order_by(HumanTask.sort_due_at.desc(), HumanTask.id.desc()).limit(window).subquery()
        return select(inner.c.id, inner.c.sort_due_at)
    inner = query.order_by(HumanTask.sort_due_at, HumanTask.id).limit(window).subquery()
    return select(inner.c.id, inner.c.sort_due_at)


def _key_of(cursor: Cursor) -> Any:
    # Typed like the columns, so the due time is stored-form on every backend (SQLite keeps text).
    return tuple_(literal(cursor.due, HumanTask.sort_due_at.type), literal(cursor.task_id, HumanTask.id.type))


def overdue_tasks(session: Session, *, now: datetime | None = None, limit: int = 500) -> list[HumanTask]:
    """Every open task past its due time, oldest first."""
    return list(session.scalars(
        select(HumanTask).where(HumanTask.status == TaskStatus.READY.value,
                                HumanTask.sort_due_at < (now or clock.now()))
        .order_by(HumanTask.sort_due_at).limit(limit)))


def open_tasks_of(session: Session, instance_id: int) -> list[HumanTask]:
    return list(session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.status == TaskStatus.READY.value)
        .order_by(HumanTask.id)))


def completed_tasks_of(session: Session, instance_id: int) -> list[HumanTask]:
    return list(session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.status == TaskStatus.COMPLETED.value)
        .order_by(HumanTask.completed_at, HumanTask.id)))


def instances(session: Session, *, process_id: str | None = None, status: str | None = None,
              limit: int = 200, offset: int = 0) -> list[ProcessInstance]:
    query = select(ProcessInstance)
    if process_id:
        query = query.where(ProcessInstance.process_id == process_id)
    if status:
        query = query.where(ProcessInstance.status == status)
    return list(session.scalars(query.order_by(ProcessInstance.id.desc()).limit(limit).offset(offset)))


def business_keys(session: Session, instance_ids: list[int]) -> dict[int, str | None]:
    """The business key of each of these instances, in one query."""
    return _of_instances(session, instance_ids, ProcessInstance.business_key)


def instance_titles(session: Session, instance_ids: list[int]) -> dict[int, str | None]:
    """The title of each of these instances, in one query."""
    return _of_instances(session, instance_ids, ProcessInstance.title)


def _of_instances(session: Session, instance_ids: list[int], column: Any) -> dict[int, Any]:
    if not instance_ids:
        return {}
    return dict(session.execute(select(ProcessInstance.id, column).where(ProcessInstance.id.in_(instance_ids))).all())


def definition_version(session: Session, instance: ProcessInstance) -> int:
    return session.scalar(select(ProcessDefinition.version)
                          .where(ProcessDefinition.id == instance.definition_id)) or 0


@dataclass(frozen=True)
class AuditFilter:
    """Which audit events: a time window [since, until), an actor, an action, an instance (each optional)."""

    since: datetime | None = None
    until: datetime | None = None
    actor: str | None = None
    action: str | None = None
    instance_id: int | None = None

    def apply(self, query: Any) -> Any:
        if self.since is not None:
            query = query.where(AuditEvent.at >= self.since)
        if self.until is not None:
            query = query.where(AuditEvent.at < self.until)
        if self.actor:
            query = query.where(AuditEvent.actor == self.actor)
        if self.action:
            query = query.where(AuditEvent.action == self.action)
        if self.instance_id is not None:
            query = query.where(AuditEvent.instance_id == self.instance_id)
        return query


def audit_events(session: Session, *, instance_id: int | None = None, where: AuditFilter | None = None,
                 limit: int | None = 1000, offset: int = 0, newest_first: bool = False) -> list[AuditEvent]:
    """Audit events in chain order (the newest first if asked), filtered; ``limit=None`` for all of them."""
    where = where or AuditFilter(instance_id=instance_id)
    order = (AuditEvent.seq.desc(), AuditEvent.id.desc()) if newest_first else (AuditEvent.seq, AuditEvent.id)
    query = where.apply(select(AuditEvent)).order_by(*order)
    return list(session.scalars(query.limit(limit).offset(offset)))


def count_audit_events(session: Session, where: AuditFilter) -> int:
    return session.scalar(where.apply(select(func.count(AuditEvent.id)))) or 0


def audit_actions(session: Session) -> list[str]:
    """Every action the trail holds (for a filter's choices)."""
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def instance_links(session: Session, instance_id: int) -> list[dict[str, Any]]:
    """The instances this one led to ("out") and the ones that led to it ("in"), oldest first."""
    rows = session.execute(
        select(InstanceLink, ProcessInstance.process_id, ProcessInstance.status, ProcessInstance.business_key,
               ProcessInstance.title)
        .join(ProcessInstance, ProcessInstance.id == case(
            (InstanceLink.source_instance_id == instance_id, InstanceLink.target_instance_id),
            else_=InstanceLink.source_instance_id))
        .where(or_(InstanceLink.source_instance_id == instance_id, InstanceLink.target_instance_id == instance_id))
        .order_by(InstanceLink.id)).all()
    return [{"direction": "out" if link.source_instance_id == instance_id else "in", "kind": link.kind,
             "instance_id": link.target_instance_id if link.source_instance_id == instance_id
             else link.source_instance_id,
             "process_id": process_id, "status": status, "business_key": business_key, "title": title,
             "created_at": link.created_at.isoformat(), "created_by": link.created_by}
            for link, process_id, status, business_key, title in rows]


def evidence_of(session: Session, *, instance_id: int | None = None, task_id: int | None = None) -> list[Evidence]:
    """Evidence files attached to an instance's (or one task's) completions, in upload order."""
    query = select(Evidence)
    if instance_id is not None:
        query = query.where(Evidence.instance_id == instance_id)
    if task_id is not None:
        query = query.where(Evidence.task_id == task_id)
    return list(session.scalars(query.order_by(Evidence.id)))


def evidence_content(session: Session, row: Evidence) -> bytes:
    """An evidence file's stored content, checked against its SHA-256 (Conflict when it no longer matches)."""
    content = session.scalar(select(EvidenceBlob.content).where(EvidenceBlob.sha256 == row.sha256))
    if content is None or hashlib.sha256(content).hexdigest() != row.sha256:
        raise Conflict(f"evidence file {row.id} no longer matches its SHA-256 {row.sha256}")
    return content


def users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)).unique())


def get_instance(session: Session, instance_id: int) -> ProcessInstance:
    """The instance; NotFound when there is none."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"no process instance {instance_id}")
    return instance


def completed_by_user(session: Session, username: str, *, limit: int = 25, offset: int = 0) -> list[HumanTask]:
    """The tasks this user completed, the latest first."""
    return list(session.scalars(select(HumanTask).where(
        HumanTask.completed_by == username, HumanTask.status == TaskStatus.COMPLETED.value)
        .order_by(HumanTask.completed_at.desc(), HumanTask.id.desc()).limit(limit).offset(offset)))


def count_completed_by_user(session: Session, username: str) -> int:
    return session.scalar(select(func.count()).select_from(HumanTask).where(
        HumanTask.completed_by == username, HumanTask.status == TaskStatus.COMPLETED.value)) or 0
