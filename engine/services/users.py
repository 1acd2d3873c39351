"""Users, roles and departments: seeding, creating, editing, deactivating, importing; their passwords."""
from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import CarbonFlowError, Conflict, InvalidFormData, NotFound, NotPermitted, Reason, WrongPassword
from engine.models import Department, HumanTask, Membership, Role, User
from engine.people import ADMIN_ROLE, ROLES, Actor, get_actor
from engine.read import people as people_read
from engine.services import audit, credentials, sign_ins, user_rows
from engine.services.credentials import hash_password, verify_password
from engine.services.user_rows import RowProblem, UserRow

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 1024


def seed_roles(session: Session) -> None:
    """Create the guideline's roles that do not exist yet (idempotent)."""
    existing = set(session.scalars(select(Role.id)))
    for role_id, (zh, en) in ROLES.items():
        if role_id not in existing:
            session.add(Role(id=role_id, name_zh=zh, name_en=en))
    session.flush()


def ensure_department(session: Session, *, code: str, name_zh: str, name_en: str) -> Department:
    department = session.get(Department, code)
    if department is None:
        department = Department(code=code, name_zh=name_zh, name_en=name_en)
        session.add(department)
        session.flush()
    return department


def create_user(session: Session, *, username: str, display_name: str, roles: Sequence[str],
                department: str | None = None, password: str | None = None,
                email: str | None = None, actor: str = "system") -> User:
    """Create a user with roles, audited; refuses an existing username or an unknown role or department."""
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise CarbonFlowError(f"user {username!r} already exists")
    if roles:
        check_roles(session, roles)
    if department is not None and session.get(Department, department) is None:
        raise NotFound(f"unknown department: {department!r}")
    user = User(username=username, display_name=display_name, department_code=department,
                email=email, password_hash=hash_password(password) if password else None)
    user.memberships = [Membership(role_id=r) for r in roles]
    session.add(user)
    session.flush()
    # Who may do what is state an auditor must be able to trace: the grant is an event like any other.
    audit.record(session, action="user_created", actor=actor,
                 data={"username": username, "display_name": display_name, "roles": sorted(set(roles)),
                       "department": department, "email": email, "password_set": bool(password)})
    return user


def check_roles(session: Session, roles: Sequence[str]) -> None:
    """NotFound for an unknown role; InvalidFormData for none, or for the read-only auditor beside a writing role."""
    for code, _value, message in user_rows.role_problems(roles, set(session.scalars(select(Role.id)))):
        if code == "unknown_role":
            raise NotFound(message)
        raise InvalidFormData("user", {"roles": [message]})


def require_admin(session: Session, actor: str, what: str) -> Actor:
    """The actor, if they are a process admin; NotPermitted naming what they may not do otherwise."""
    user = get_actor(session, actor)
    if ADMIN_ROLE not in user.role_ids:
        raise NotPermitted(f"{actor} may not {what} (needs role {ADMIN_ROLE})")
    return user




def add_user(session: Session, *, actor: str, username: str, display_name: str, roles: Sequence[str],
             department: str | None = None, email: str | None = None, password: str | None = None) -> str:
    """Create a user (process admins only) with a temporary password, given or made here, to change at first sign-in.

    Returns the temporary password: the only time anyone sees it.
    """
    require_admin(session, actor, "create users")
    row = UserRow(0, username.strip(), display_name.strip(), (email or "").strip() or None, department or None,
                  user_rows.split_roles(roles))
    problems = user_rows.check_rows(session, [row])
    if problems:
        raise RowsRefused(problems, form_key="user")
    password = _temporary_password(password)
    user = create_user(session, username=row.username, display_name=row.display_name, roles=row.roles,
                       department=row.department, email=row.email, password=password, actor=actor)
    user.must_change_password = True
    return password


def update_user(session: Session, *, actor: str, username: str, display_name: str, roles: Sequence[str],
                department: str | None = None, email: str | None = None) -> User:
    """Change a user's display name, e-mail, department and roles (process admins only), audited field by field."""
    require_admin(session, actor, "edit users")
    user = _user(session, username)
    row = UserRow(0, username, display_name.strip(), (email or "").strip() or None, department or None,
                  user_rows.split_roles(roles))
    found = [f for f in user_rows.field_problems(row, set(session.scalars(select(Role.id))),
                                                 set(session.scalars(select(Department.code))))
             if f[0] != "username"]  # the name stays as it is
    if found:
        raise RowsRefused([RowProblem(0, *f) for f in found], form_key="user")
    if username == actor and ADMIN_ROLE not in row.roles:
        # Else an admin could lock the last administrator out with one click.
        raise NotPermitted(f"{actor} may not take the {ADMIN_ROLE} role from themselves: another admin must")
    before = _fields(user)
    user.display_name, user.email, user.department_code = row.display_name, row.email, row.department
    kept = [m for m in user.memberships if m.role_id in row.roles]
    user.memberships = kept + [Membership(role_id=r) for r in row.roles if r not in {m.role_id for m in kept}]
    session.flush()
    changes = audit.changes(before, _fields(user))
    if changes:
        audit.record(session, action="user_updated", actor=actor, data={"username": username, "changes": changes})
    return user


def deactivate_user(session: Session, *, actor: str, username: str) -> list[HumanTask]:
    """Deactivate a user (process admins only): their sign-ins end and their open claimed tasks go back to the role.

    Returns the tasks given back, each audited on its instance as an unclaim.
    """
    require_admin(session, actor, "deactivate users")
    user = _user(session, username)
    if username == actor:
        raise NotPermitted(f"{actor} may not deactivate themselves: another admin must")
    if not user.active:
        raise Conflict(f"user {username!r} is deactivated already")
    released = people_read.claimed_tasks(session, username)
    for task in released:
        task.assignee = None
        if task.candidate_user == username:
            # Named by the process (candidateUser): no one else could take it while it names them.
            task.candidate_user = None
        audit.record(session, action="unclaim", actor=actor, instance_id=task.instance_id, task_id=task.id,
                     data={"previous_assignee": username, "reason": "user deactivated"})
    user.active = False
    user.credentials_epoch += 1
    sign_ins.end_all(session, user.username)  # the epoch already refuses them; their rows say so too
    audit.record(session, action="user_deactivated", actor=actor,
                 data={"username": username, "tasks_returned": [t.id for t in released]})
    session.flush()
    return released


def reactivate_user(session: Session, *, actor: str, username: str) -> User:
    """Let a deactivated user sign in and act again (process admins only)."""
    require_admin(session, actor, "reactivate users")
    user = _user(session, username)
    if user.active:
        raise Conflict(f"user {username!r} is active already")
    user.active = True
    audit.record(session, action="user_reactivated", actor=actor, data={"username": username})
    session.flush()
    return user


def import_users(session: Session, *, rows: Sequence[dict[str, Any]], actor: str,
                 strict: bool = False) -> dict[str, Any]:
    """Create the users of the rows (process admins only), all or none; RowsRefused names every bad row.

    The command line and the job skip a username that exists already and take the username for a missing
    display name; ``strict`` (the import page) refuses both, and gives each user a temporary password
    to change at first sign-in, returned under "passwords".
    """
    require_admin(session, actor, "import users")
    parsed = user_rows.user_rows(rows)
    existing: list[str] = []
    if not strict:
        taken = set(session.scalars(select(User.username).where(User.username.in_([r.username for r in parsed]))))
        existing = [r.username for r in parsed if r.username in taken]
        parsed = [replace(r, display_name=r.display_name or r.username) for r in parsed if r.username not in taken]
    problems = user_rows.check_rows(session, parsed)
    if problems:
        # All or nothing: a half-imported file is worse than none.
        raise RowsRefused(problems)
    passwords = {}
    for row in parsed:
        password = _temporary_password(None) if strict else None
        user = create_user(session, username=row.username, display_name=row.display_name, roles=row.roles,
                           department=row.department, email=row.email, password=password, actor=actor)
        if password:
            user.must_change_password, passwords[row.username] = True, password
    return {"created": [r.username for r in parsed], "existing": existing, **({"passwords": passwords} if strict else {})}


def reset_password(session: Session, *, username: str, password: str, actor: str, reason: str,
                   temporary: bool = False) -> User:
    """Give an existing user a new password, audited with the reason; their sessions and API tokens end.

    ``temporary``: they must choose their own at the next sign-in.
    """
    user = _user(session, username)
    user.password_hash = hash_password(password)
    user.must_change_password = temporary
    user.credentials_epoch += 1
    sign_ins.end_all(session, user.username)  # the epoch already refuses them; their rows say so too
    audit.record(session, action="password_reset", actor=actor,
                 data={"username": username, "reason": reason, "temporary": temporary})
    return user


def reset_password_as_admin(session: Session, *, actor: str, username: str, password: str | None = None) -> str:
    """A process admin's reset: a temporary password (given, or made here) to change at the next sign-in.

    Returns it: the only time anyone sees it.
    """
    require_admin(session, actor, "reset passwords")
    password = _temporary_password(password)
    reset_password(session, username=username, password=password, actor=actor,
                   reason="reset by a process admin", temporary=True)
    return password


def change_password(session: Session, *, username: str, current: str, new: str, address: str | None = None) -> int:
    """The signed-in user's own new password; their other sessions and tokens end. Returns the new epoch.

    A wrong current password counts as a wrong sign-in password (``address`` is the client's, when known).
    """
    get_actor(session, username)  # an active user
    try:
        user = credentials.check(session, credentials.Attempt(username, "password_change", address), current)
    except WrongPassword:
        raise WrongPassword("the current password is wrong",
                            reason=Reason("wrong_password", {}, "the current password is wrong")) from None
    problems = password_problems(new)
    if not problems and verify_password(user, new):
        problems = ["choose a password other than the current one"]
    if problems:
        raise InvalidFormData("password", {"new_password": problems})
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.credentials_epoch += 1
    sign_ins.end_all(session, user.username)  # the epoch already refuses them; their rows say so too
    audit.record(session, action="password_changed", actor=username, data={"username": username})
    return user.credentials_epoch


def password_problems(password: str) -> list[str]:
    """Why this password may not be chosen ([] when it may): long enough, not absurdly long."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return [f"a password has at least {PASSWORD_MIN_LENGTH} characters"]
    if len(password) > PASSWORD_MAX_LENGTH:
        return [f"a password has at most {PASSWORD_MAX_LENGTH} characters"]
    return []


class RowsRefused(InvalidFormData):
    """Raised when users to create or edit have problems; ``problems`` holds each at its row and column.

    ``errors`` lists them under "rows" for an import, by column for the one user of a form ("user").
    """

    def __init__(self, problems: Sequence[RowProblem], *, form_key: str = "import_users"):
        self.problems = list(problems)
        super().__init__(form_key, _by_column(problems) if form_key == "user" else {"rows": [p.text for p in problems]})


def _temporary_password(given: str | None) -> str:
    if not given:
        return secrets.token_urlsafe(12)
    problems = password_problems(given)
    if problems:
        raise InvalidFormData("user", {"password": problems})
    return given


def _user(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).unique().one_or_none()
    if user is None:
        raise NotFound(f"unknown user: {username!r}")
    return user


def _fields(user: User) -> dict[str, Any]:
    return {"display_name": user.display_name, "email": user.email, "department": user.department_code,
            "roles": user.role_ids}


def _by_column(problems: Sequence[RowProblem]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for problem in problems:
        errors.setdefault(problem.column, []).append(problem.message)
    return errors
