"""Who someone is to the engine: the guideline's roles, the acting user, and which tasks they may work on.

Both sides use this: use cases to check who acts, the read side to decide who sees what.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.config import Settings
from engine.errors import NotFound, NotPermitted
from engine.models import Department, HumanTask, Membership, User

# The guideline's roles (4.1-4.3, 9.2), with the ids every process lane uses.
ROLES: dict[str, tuple[str, str]] = {
    "top_management": ("最高管理者", "Top management"),
    "carbon_body": ("碳排放管理机构", "Carbon management body"),
    "department_head": ("部门负责人", "Department head"),
    "carbon_staff": ("碳排放管理人员", "Carbon management staff"),
    "internal_auditor": ("内部审核员", "Internal auditor"),
    "document_controller": ("文件管理员", "Document controller"),
    "process_admin": ("流程管理员", "Process administrator"),
    "auditor": ("审核员（只读）", "Auditor (read-only)"),
}

# Administers processes: deploys, suspends, resumes, terminates, retries, delegates anywhere.
ADMIN_ROLE = "process_admin"
# Internal and external auditors (a verifier, a regulator): read everything, change nothing.
READ_ONLY_ROLE = "auditor"
# The roles whose holders do the work of the processes (and so may be handed it in a form).
WORKING_ROLES = tuple(role for role in ROLES if role not in (ADMIN_ROLE, READ_ONLY_ROLE))


@dataclass(frozen=True)
class Actor:
    """Who is acting in a use case: an active user with their roles and department."""

    username: str
    department_code: str | None
    role_ids: tuple[str, ...]


def get_actor(session: Session, username: str) -> Actor:
    """The active user with this username, as an Actor; NotFound or NotPermitted otherwise."""
    # Plain rows, one query: this runs at the start of every use case.
    rows = session.execute(
        select(User.department_code, User.active, Membership.role_id)
        .outerjoin(Membership, Membership.user_id == User.id).where(User.username == username)).all()
    if not rows:
        raise NotFound(f"unknown user: {username!r}")
    if not rows[0].active:
        raise NotPermitted(f"user {username!r} is deactivated")
    roles = tuple(sorted(r.role_id for r in rows if r.role_id is not None))
    return Actor(username, rows[0].department_code, roles)


def get_writer(session: Session, username: str) -> Actor:
    """The acting user of a use case that changes something; an auditor is refused (NotPermitted)."""
    user = get_actor(session, username)
    if READ_ONLY_ROLE in user.role_ids:
        raise NotPermitted(f"{username} holds the {READ_ONLY_ROLE} role, which is read-only: it may change nothing")
    return user


def get_admin(session: Session, username: str) -> Actor:
    """The acting user of an administrative use case; NotPermitted unless they hold the process_admin role."""
    user = get_actor(session, username)
    if ADMIN_ROLE not in user.role_ids:
        raise NotPermitted(f"{username} may not administer processes (needs role {ADMIN_ROLE})")
    return user


def has_admin(session: Session) -> bool:
    """Is there an active process_admin? Until there is, a new installation sets itself up."""
    return session.scalar(
        select(User.id).join(Membership, Membership.user_id == User.id)
        .where(User.active.is_(True), Membership.role_id == ADMIN_ROLE).limit(1)) is not None


class SessionDirectory:
    """The users and departments forms may pick from, read once per use case.

    A user picker offers those who can do the work it hands over: active users holding one of its roles (any
    role that does work, when it names none), never the read-only auditor and never an account that only
    administers processes.
    """

    def __init__(self, session: Session):
        self._session = session
        self._users: dict[tuple[str, ...], list[str]] = {}
        self._departments: list[str] | None = None
        self._labels: dict[str, dict[str, str]] = {}

    def has_user(self, username: str, roles: Sequence[str] = ()) -> bool:
        return username in self.usernames(roles)

    def has_department(self, code: str) -> bool:
        return self._session.get(Department, code) is not None

    def usernames(self, roles: Sequence[str] = ()) -> list[str]:
        key = tuple(roles)
        if key not in self._users:
            holders = select(Membership.user_id).where(Membership.role_id.in_(key or WORKING_ROLES))
            read_only = select(Membership.user_id).where(Membership.role_id == READ_ONLY_ROLE)
            self._users[key] = list(self._session.scalars(
                select(User.username).where(User.active.is_(True), User.id.in_(holders), User.id.not_in(read_only))
                .order_by(User.username)))
        return self._users[key]

    def departments(self) -> list[str]:
        if self._departments is None:
            self._departments = list(self._session.scalars(select(Department.code).order_by(Department.code)))
        return self._departments

    def user_labels(self) -> dict[str, str]:
        """Each active user's display name, by username."""
        if "users" not in self._labels:
            self._labels["users"] = {username: name for username, name in self._session.execute(
                select(User.username, User.display_name).where(User.active.is_(True)))}
        return self._labels["users"]

    def department_labels(self) -> dict[str, str]:
        """Each department's names as a choice reads them (``生产部 / Production``), by code."""
        if "departments" not in self._labels:
            self._labels["departments"] = {code: f"{zh} / {en}" for code, zh, en in self._session.execute(
                select(Department.code, Department.name_zh, Department.name_en))}
        return self._labels["departments"]

    def today(self) -> date:
        """The date at the plant, by the engine's clock (what date fields are bounded by)."""
        return clock.now().astimezone(ZoneInfo(Settings.from_env().timezone)).date()


def may_work_on(task: HumanTask, user: Actor) -> bool:
    """True when the user may claim or complete the task (its assignee, or an eligible candidate)."""
    if task.assignee is not None:
        return task.assignee == user.username and not excluded(task, user)
    return eligible_ignoring_assignee(task, user)


def eligible_ignoring_assignee(task: HumanTask, user: Actor) -> bool:
    """Is the user one of those the task is offered to, claimed or not? (Then a clash is a conflict.)"""
    if excluded(task, user):
        return False
    if task.candidate_user is not None:
        return user.username == task.candidate_user
    return task.role in user.role_ids and (
        task.candidate_department is None or task.candidate_department == user.department_code)


def excluded(task: HumanTask, user: Actor) -> bool:
    """Is the user kept from the task (named by notCompletedBy, or of its excluded department)?"""
    return user.username in (task.excluded_users or []) or (
        task.excluded_department is not None and task.excluded_department == user.department_code)
