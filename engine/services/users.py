"""Users, roles and departments: seeding, creating and looking them up."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import CarbonFlowError, InvalidFormData, NotFound, NotPermitted
from engine.models import Department, Membership, Role, User
from engine.people import ADMIN_ROLE, READ_ONLY_ROLE, ROLES, Actor, get_actor
from engine.services import audit

_hasher = PasswordHasher()


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
    known = set(session.scalars(select(Role.id)))
    unknown = [r for r in roles if r not in known]
    if unknown:
        raise NotFound(f"unknown role(s): {', '.join(unknown)}")
    if READ_ONLY_ROLE in roles and len(set(roles)) > 1:
        raise InvalidFormData("user", {"roles": [f"{READ_ONLY_ROLE} is read-only and cannot be combined "
                                                 f"with other roles ({', '.join(sorted(set(roles) - {READ_ONLY_ROLE}))})"]})
    if department is not None and session.get(Department, department) is None:
        raise NotFound(f"unknown department: {department!r}")
    user = User(username=username, display_name=display_name, department_code=department,
                email=email, password_hash=_hasher.hash(password) if password else None)
    user.memberships = [Membership(role_id=r) for r in roles]
    session.add(user)
    session.flush()
    # Who may do what is state an auditor must be able to trace: the grant is an event like any other.
    audit.record(session, action="user_created", actor=actor,
                 data={"username": username, "display_name": display_name, "roles": sorted(set(roles)),
                       "department": department, "email": email, "password_set": bool(password)})
    return user


def verify_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except Exception:  # noqa: BLE001 - argon2 raises several types for "no"
        return False


def require_admin(session: Session, actor: str, what: str) -> Actor:
    """The actor, if they are a process admin; NotPermitted naming what they may not do otherwise."""
    user = get_actor(session, actor)
    if ADMIN_ROLE not in user.role_ids:
        raise NotPermitted(f"{actor} may not {what} (needs role {ADMIN_ROLE})")
    return user


def import_users(session: Session, *, rows: Sequence[dict[str, Any]], actor: str) -> dict[str, Any]:
    """Create the users of the rows that do not exist yet (process admins only); every bad row is named."""
    require_admin(session, actor, "import users")
    problems, created, existing = [], [], []
    for number, row in enumerate(rows, start=1):
        username = str(row.get("username") or "").strip()
        roles = [r.strip() for r in str(row.get("roles") or "").replace(";", ",").split(",") if r.strip()]
        if not username or not roles:
            problems.append(f"row {number}: username and roles are required")
            continue
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            existing.append(username)
            continue
        try:
            create_user(session, username=username, display_name=str(row.get("display_name") or username),
                        roles=roles, department=(str(row.get("department") or "").strip() or None),
                        email=(str(row.get("email") or "").strip() or None), actor=actor)
        except CarbonFlowError as exc:
            problems.append(f"row {number} ({username}): {exc}")
            continue
        created.append(username)
    if problems:
        # All or nothing: a half-imported file is worse than none.
        raise InvalidFormData("import_users", {"rows": problems})
    return {"created": created, "existing": existing}


def reset_password(session: Session, *, username: str, password: str, actor: str, reason: str) -> None:
    """Give an existing user a new password, audited with the reason."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"unknown user: {username!r}")
    user.password_hash = _hasher.hash(password)
    audit.record(session, action="password_reset", actor=actor, data={"username": username, "reason": reason})
