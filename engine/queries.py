"""The read side: inbox, overdue, instance views and audit trail as indexed queries."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from engine import clock
from engine.models import AuditEvent, HumanTask, ProcessDefinition, ProcessInstance, TaskStatus, User

Scope = Literal["mine", "candidate", "all"]


def tasks_for_user(session: Session, user: User, *, scope: Scope = "all", overdue: bool = False,
                   process_id: str | None = None, now: datetime | None = None,
                   limit: int = 200, offset: int = 0) -> list[HumanTask]:
    """Open tasks the user can act on: assigned to them, offered to their roles, or both; by due time."""
    mine = HumanTask.assignee == user.username
    offered = and_(
        HumanTask.assignee.is_(None), HumanTask.role.in_(user.role_ids),
        or_(HumanTask.candidate_department.is_(None),
            HumanTask.candidate_department == user.department_code))
    visible = {"mine": mine, "candidate": offered, "all": or_(mine, offered)}[scope]
    query = select(HumanTask).where(HumanTask.status == TaskStatus.READY.value, visible)
    if overdue:
        query = query.where(HumanTask.due_at < (now or clock.now()))
    if process_id:
        query = query.join(ProcessInstance).where(ProcessInstance.process_id == process_id)
    query = query.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
    tasks = session.scalars(query.limit(limit).offset(offset)).all()
    # Segregation of duties also hides a task from those who may not do it.
    return [t for t in tasks if user.username not in (t.excluded_users or [])]


def overdue_tasks(session: Session, *, now: datetime | None = None, limit: int = 500) -> list[HumanTask]:
    """Every open task past its due time, oldest first."""
    return list(session.scalars(
        select(HumanTask).where(HumanTask.status == TaskStatus.READY.value,
                                HumanTask.due_at < (now or clock.now()))
        .order_by(HumanTask.due_at).limit(limit)))


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


def definition_version(session: Session, instance: ProcessInstance) -> int:
    return session.scalar(select(ProcessDefinition.version)
                          .where(ProcessDefinition.id == instance.definition_id)) or 0


def audit_events(session: Session, *, instance_id: int | None = None,
                 limit: int = 1000, offset: int = 0) -> list[AuditEvent]:
    query = select(AuditEvent)
    if instance_id is not None:
        query = query.where(AuditEvent.instance_id == instance_id)
    return list(session.scalars(query.order_by(AuditEvent.id).limit(limit).offset(offset)))


def users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def as_dict(row: Any, fields: list[str]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in fields}
