"""A new installation setting itself up: its bundled processes and its first process admin.

Until an active process_admin exists there is nobody to name as who acts, so the installation acts for
itself, recorded as "system". From then on these are changes like any other, made by a process_admin.
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.orm import Session

from engine.errors import NotPermitted
from engine.people import ADMIN_ROLE, has_admin
from engine.read.definitions import latest_definitions
from engine.services import deployments, user_rows, users
from engine.services.user_rows import UserRow

INSTALLATION = "system"  # the engine's own name in the audit trail, as for timers, schedules and jobs


def acting(session: Session, actor: str | None, what: str) -> str:
    """Who does a setup step: ``actor`` if a process_admin; unnamed, the installation until a process_admin exists."""
    if actor is not None:
        return users.require_admin(session, actor, what).username
    if has_admin(session):
        raise NotPermitted(f"a process_admin exists: only a process_admin may {what} now")
    return INSTALLATION


def install_processes(session: Session, *, directory: Path, actor: str | None) -> list[deployments.Deployment]:
    """Deploy a folder's processes: as ``actor``, a process_admin; unnamed, as the installation, which once a
    process_admin exists may only find them deployed already."""
    if actor is None and has_admin(session):
        changed = undeployed(session, directory=directory)
        if changed:
            raise NotPermitted(f"{', '.join(p.name for p in changed)}: not the deployed version, and a "
                               "process_admin exists: only a process_admin may deploy processes now")
        deployer = INSTALLATION  # every file is deployed already: nothing new is recorded
    else:
        deployer = acting(session, actor, "deploy processes")
    return deployments.deploy_directory(session, directory=directory, actor=deployer)


def undeployed(session: Session, *, directory: Path) -> list[Path]:
    """The ``*.bpmn`` files of a folder whose content is not the newest version of any process."""
    newest = {d.content_hash for d in latest_definitions(session)}
    return [path for path in sorted(directory.glob("*.bpmn"))
            if hashlib.sha256(path.read_bytes()).hexdigest() not in newest]


def add_first_admin(session: Session, *, username: str, display_name: str, roles: Sequence[str],
                    department: str | None = None, email: str | None = None) -> str:
    """The installation's first process_admin, with a temporary password to change at the first sign-in (returned).

    Refused once an active process_admin exists: from then on they add users.
    """
    if has_admin(session):
        raise NotPermitted("a process_admin exists: only a process_admin may add users now")
    row = UserRow(0, username.strip(), display_name.strip(), (email or "").strip() or None, department or None,
                  user_rows.split_roles(roles))
    if ADMIN_ROLE not in row.roles:
        raise NotPermitted(f"the first user of an installation administers it: give them the role {ADMIN_ROLE}")
    problems = user_rows.check_rows(session, [row])
    if problems:
        raise users.RowsRefused(problems, form_key="user")
    password = secrets.token_urlsafe(12)
    user = users.create_user(session, username=row.username, display_name=row.display_name, roles=row.roles,
                             department=row.department, email=row.email, password=password, actor=INSTALLATION)
    user.must_change_password = True
    return password
