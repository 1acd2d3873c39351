"""Departments are data: a process admin adds them and renames them; their codes stay (processes name them)."""
from __future__ import annotations

import re

from sqlalchemy.orm import Session

from engine.errors import Conflict, InvalidFormData, NotFound
from engine.models import Department
from engine.services import audit
from engine.services.users import require_admin

CODE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,39}")


def create_department(session: Session, *, actor: str, code: str, name_zh: str, name_en: str) -> Department:
    """A new department (process admins only); Conflict when the code is taken."""
    require_admin(session, actor, "create departments")
    code, name_zh, name_en = code.strip(), name_zh.strip(), name_en.strip()
    errors = _name_problems(name_zh, name_en)
    if not CODE.fullmatch(code):
        errors["code"] = ["a code is up to 40 lower-case letters, digits, '_', '.' or '-', starting with a letter "
                          "or digit"]
    if errors:
        raise InvalidFormData("department", errors)
    if session.get(Department, code) is not None:
        raise Conflict(f"department {code!r} exists already")
    department = Department(code=code, name_zh=name_zh, name_en=name_en)
    session.add(department)
    session.flush()
    audit.record(session, action="department_created", actor=actor,
                 data={"code": code, "name_zh": name_zh, "name_en": name_en})
    return department


def rename_department(session: Session, *, actor: str, code: str, name_zh: str, name_en: str) -> Department:
    """New Chinese and English names for a department (process admins only), audited; the code stays."""
    require_admin(session, actor, "rename departments")
    department = session.get(Department, code)
    if department is None:
        raise NotFound(f"unknown department: {code!r}")
    name_zh, name_en = name_zh.strip(), name_en.strip()
    errors = _name_problems(name_zh, name_en)
    if errors:
        raise InvalidFormData("department", errors)
    before = {"name_zh": department.name_zh, "name_en": department.name_en}
    department.name_zh, department.name_en = name_zh, name_en
    changes = audit.changes(before, {"name_zh": name_zh, "name_en": name_en})
    if changes:
        audit.record(session, action="department_renamed", actor=actor, data={"code": code, "changes": changes})
    return department


def _name_problems(name_zh: str, name_en: str) -> dict[str, list[str]]:
    return {field: ["a name of 1 to 200 characters is required"] for field, name in
            (("name_zh", name_zh), ("name_en", name_en)) if not 0 < len(name) <= 200}
