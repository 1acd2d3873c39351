"""Users, roles and departments: seeding, creating and looking them up."""
from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import CarbonFlowError, InvalidFormData, NotFound, NotPermitted
from engine.models import Department, Membership, Role, User
from engine.services import audit

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


def verify_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except Exception:  # noqa: BLE001 - argon2 raises several types for "no"
        return False


class SessionDirectory:
    """The users and departments forms may pick from, read once per use case."""

    def __init__(self, session: Session):
        self._session = session
        self._users: list[str] | None = None
        self._departments: list[str] | None = None

    def has_user(self, username: str, role: str | None = None) -> bool:
        return username in self.usernames(role) if role else self._session.scalar(select(User.id).where(
            User.username == username, User.active.is_(True))) is not None

    def has_department(self, code: str) -> bool:
        return self._session.get(Department, code) is not None

    def usernames(self, role: str | None = None) -> list[str]:
        if role is not None:
            return list(self._session.scalars(
                select(User.username).join(Membership, Membership.user_id == User.id)
                .where(User.active.is_(True), Membership.role_id == role).order_by(User.username)))
        if self._users is None:
            self._users = list(self._session.scalars(
                select(User.username).where(User.active.is_(True)).order_by(User.username)))
        return self._users

    def departments(self) -> list[str]:
        if self._departments is None:
            self._departments = list(self._session.scalars(select(Department.code).order_by(Department.code)))
        return self._departments


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


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    roles: tuple[str, ...]
    department: str | None
    display_name: str


DEPARTMENTS = {
    "carbon_office": ("碳排放管理办公室", "Carbon management office"),
    "production": ("生产部", "Production"),
    "energy": ("能源动力部", "Energy and utilities"),
    "quality": ("质量部", "Quality"),
    "executive": ("总经理办公室", "Executive office"),
}

_DEMO = [
    ("zhang.gm", "张总 Zhang (GM)", ("top_management", "carbon_body"), "executive"),
    ("li.carbon", "李工 Li (carbon office head)", ("carbon_body", "department_head"), "carbon_office"),
    ("wang.prod", "王主任 Wang (production head)", ("department_head",), "production"),
    ("zhao.staff", "赵敏 Zhao (carbon staff)", ("carbon_staff",), "production"),
    ("chen.staff", "陈晨 Chen (carbon staff)", ("carbon_staff",), "energy"),
    ("liu.energy", "刘主任 Liu (energy head)", ("department_head",), "energy"),
    ("qian.quality", "钱主任 Qian (quality head)", ("department_head",), "quality"),
    ("sun.audit", "孙审 Sun (internal auditor)", ("internal_auditor",), "quality"),
    ("ma.audit", "马审 Ma (internal auditor)", ("internal_auditor",), "production"),
    ("zhou.docs", "周文 Zhou (document controller)", ("document_controller",), "carbon_office"),
    ("admin", "系统管理员 Admin", ("process_admin",), "carbon_office"),
    ("he.verifier", "何审 He (external verifier, read-only)", ("auditor",), None),
]


def load_demo_users(session: Session) -> list[DemoUser]:
    """Create demo users: every role, a head for every plant department, auditors from two departments."""
    seed_roles(session)
    for code, (zh, en) in DEPARTMENTS.items():
        ensure_department(session, code=code, name_zh=zh, name_en=en)
    created = []
    for username, name, roles, department in _DEMO:
        user = session.scalar(select(User).where(User.username == username))
        password = secrets.token_urlsafe(9)
        if user is None:
            create_user(session, username=username, display_name=name, roles=roles,
                        department=department, password=password)
        else:
            user.password_hash = _hasher.hash(password)
            audit.record(session, action="password_reset", actor="system",
                         data={"username": username, "reason": "demo users loaded again"})
        created.append(DemoUser(username, password, tuple(roles), department, name))
    return created
