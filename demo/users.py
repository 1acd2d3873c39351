"""Demo users: one for every role, a head for every plant department, auditors from two departments."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import User
from engine.services import users


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


def load_demo_users(session: Session, *, actor: str = "system") -> list[DemoUser]:
    """Create demo users: every role, a head for every plant department, auditors from two departments.

    ``actor`` is recorded as who created them or gave them new passwords.
    """
    users.seed_roles(session)
    for code, (zh, en) in DEPARTMENTS.items():
        users.ensure_department(session, code=code, name_zh=zh, name_en=en)
    created = []
    for username, name, roles, department in _DEMO:
        password = secrets.token_urlsafe(9)
        if session.scalar(select(User.id).where(User.username == username)) is None:
            users.create_user(session, username=username, display_name=name, roles=roles,
                              department=department, password=password, actor=actor)
        else:
            users.reset_password(session, username=username, password=password, actor=actor,
                                 reason="demo users loaded again")
        created.append(DemoUser(username, password, tuple(roles), department, name))
    return created
