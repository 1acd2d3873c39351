"""What the people pages read: users with their department and roles, departments, who holds each role."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.models import Department, HumanTask, Membership, ProcessInstance, TaskStatus, User
from engine.people import READ_ONLY_ROLE, Actor, eligible_ignoring_assignee, excluded


@dataclass(frozen=True)
class UserSummary:
    """A user as the users page lists them."""

    username: str
    display_name: str
    email: str | None
    department_code: str | None
    roles: tuple[str, ...]
    active: bool
    must_change_password: bool
    has_password: bool


@dataclass(frozen=True)
class DepartmentSummary:
    code: str
    name_zh: str
    name_en: str
    members: int  # active users


@dataclass(frozen=True)
class ClaimedTask:
    """An open task a user holds: it goes back to its role when they are deactivated."""

    task_id: int
    instance_id: int
    business_key: str | None
    title: str
    title_en: str | None
    role: str


def users(session: Session, *, text: str | None = None, department: str | None = None, role: str | None = None,
          active: bool | None = None) -> list[UserSummary]:
    """Users by username; ``text`` matches username, display name or e-mail, ignoring case."""
    query = select(User).order_by(User.username)
    if text:
        pattern = f"%{text.lower()}%"
        query = query.where(or_(func.lower(User.username).like(pattern), func.lower(User.display_name).like(pattern),
                                func.lower(User.email).like(pattern)))
    if department:
        query = query.where(User.department_code == department)
    if role:
        query = query.where(User.id.in_(select(Membership.user_id).where(Membership.role_id == role)))
    if active is not None:
        query = query.where(User.active.is_(active))
    return [_summary(u) for u in session.scalars(query).unique()]


def user(session: Session, username: str) -> UserSummary:
    """One user; NotFound when there is none by that name."""
    found = session.scalars(select(User).where(User.username == username)).unique().one_or_none()
    if found is None:
        raise NotFound(f"unknown user: {username!r}")
    return _summary(found)


def departments(session: Session) -> list[DepartmentSummary]:
    """Every department by code, with how many active users belong to it."""
    members = (select(User.department_code, func.count().label("n")).where(User.active.is_(True))
               .group_by(User.department_code).subquery())
    rows = session.execute(select(Department, func.coalesce(members.c.n, 0))
                           .outerjoin(members, members.c.department_code == Department.code)
                           .order_by(Department.code)).all()
    return [DepartmentSummary(d.code, d.name_zh, d.name_en, n) for d, n in rows]


def role_holders(session: Session) -> dict[str, int]:
    """How many active users hold each role (roles nobody holds are left out)."""
    rows = session.execute(select(Membership.role_id, func.count()).join(User, User.id == Membership.user_id)
                           .where(User.active.is_(True)).group_by(Membership.role_id)).all()
    return {role: count for role, count in rows}


def claimed_tasks(session: Session, username: str) -> list[HumanTask]:
    """The open tasks assigned to this user, oldest first."""
    return list(session.scalars(select(HumanTask).where(
        HumanTask.status == TaskStatus.READY.value, HumanTask.assignee == username).order_by(HumanTask.id)))


def claimed_task_list(session: Session, username: str) -> list[ClaimedTask]:
    """The open tasks assigned to this user with their instance's business key, as the deactivation page lists them."""
    tasks = claimed_tasks(session, username)
    keys = dict(session.execute(select(ProcessInstance.id, ProcessInstance.business_key).where(
        ProcessInstance.id.in_({t.instance_id for t in tasks}))).tuples().all())
    return [ClaimedTask(t.id, t.instance_id, keys.get(t.instance_id), t.title, t.title_en, t.role) for t in tasks]


def _summary(u: User) -> UserSummary:
    return UserSummary(u.username, u.display_name, u.email, u.department_code, tuple(u.role_ids), u.active,
                       u.must_change_password, u.password_hash is not None)


def hand_over_choices(session: Session, task: HumanTask, *, but: str) -> tuple[list[User], list[User]]:
    """Whom a task may be handed to: those it is offered to, and the other active users (a process_admin's
    choice, with a reason); neither the read-only auditor, nor anyone the task excludes, nor ``but``, nor
    whoever holds it now."""
    offered, others = [], []
    leave_out = {but, task.assignee}
    for user in session.scalars(select(User).where(User.active.is_(True)).order_by(User.username)).unique():
        if user.username in leave_out:
            continue
        actor = Actor(user.username, user.department_code, tuple(user.role_ids))
        if READ_ONLY_ROLE in actor.role_ids or excluded(task, actor):
            continue
        (offered if eligible_ignoring_assignee(task, actor) else others).append(user)
    return offered, others
