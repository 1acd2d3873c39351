"""Commands for people: list users, add one, import them from a CSV, and read one's notifications."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import click

from cli.base import (
    EXIT_CODES,
    Refusal,
    as_option,
    echo,
    fail_cleanly,
    json_flag,
    reading,
    refuse_unstorable,
    transaction,
)
from engine import people
from engine.errors import InvalidFormData
from engine.read import queries, records
from engine.services import installation, jobs, notifications, users


@click.command("users")
@json_flag
@click.pass_context
@fail_cleanly
def users_(ctx: click.Context, as_json: bool) -> None:
    """List users with their roles and department."""
    with reading(ctx) as session:
        rows = [records.user_record(u) for u in queries.users(session)]
    echo(rows, as_json, lambda rs: "\n".join(
        f"{r['username']:<12} {r['department'] or '-':<14} {', '.join(r['roles'])}" for r in rs))


@click.command("import-users")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@as_option
@click.option("--queue", is_flag=True, help="Import in the background (a job the worker runs).")
@json_flag
@click.pass_context
@fail_cleanly
def import_users(ctx: click.Context, csv_file: Path, actor: str, queue: bool, as_json: bool) -> None:
    """Create users from a CSV (username, display_name, roles, department, email); all or nothing."""
    rows = _csv_rows(csv_file)
    with transaction(ctx) as session:
        if queue:
            users.require_admin(session, actor, "import users")
            result: dict[str, Any] = records.job_record(jobs.enqueue(
                session, kind="import_users", payload={"rows": rows}, actor=actor))
        else:
            result = users.import_users(session, rows=rows, actor=actor)
    echo(result, as_json, lambda r: f"queued as job {r['id']}" if queue else
         f"created {len(r['created'])} users; {len(r['existing'])} existed already")


def _csv_rows(path: Path) -> list[dict[str, Any]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            rows = list(csv.DictReader(file))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise Refusal(f"{path}: not a UTF-8 CSV file ({exc})", EXIT_CODES[InvalidFormData]) from None
    refuse_unstorable(rows, str(path))
    return rows


@click.command("add-user")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="The name shown for them.")
@click.option("--role", "roles", multiple=True, required=True, metavar="ROLE", help="A role id (repeatable).")
@click.option("--department", default=None, help="A department code.")
@click.option("--email", default=None)
@click.option("--as", "actor", default=None, metavar="USER",
              help="The process_admin who adds them; none for an installation's first process_admin.")
@json_flag
@click.pass_context
@fail_cleanly
def add_user(ctx: click.Context, username: str, display_name: str, roles: tuple[str, ...], department: str | None,
             email: str | None, actor: str | None, as_json: bool) -> None:
    """Add a user with a temporary password, shown once and changed at the first sign-in.

    Without --as it adds a new installation's first process_admin, and only while there is none.
    """
    fields = {"username": username, "display_name": display_name, "roles": roles, "department": department,
              "email": email}
    with transaction(ctx) as session:
        if actor is None:
            password = installation.add_first_admin(session, **fields)
        else:
            password = users.add_user(session, actor=actor, **fields)
        added = people.get_actor(session, username.strip())
        record = {"username": added.username, "roles": list(added.role_ids), "department": added.department_code,
                  "password": password}
    echo(record, as_json, lambda r: f"{r['username']} ({', '.join(r['roles'])}): temporary password "
                                    f"{r['password']}, to be changed at the first sign-in")


@click.command("notifications")
@as_option
@click.option("--unread", is_flag=True, help="Only the unread ones.")
@click.option("--mark-read", is_flag=True, help="Mark the listed ones read.")
@json_flag
@click.pass_context
@fail_cleanly
def notifications_(ctx: click.Context, actor: str, unread: bool, mark_read: bool, as_json: bool) -> None:
    """A user's notifications: new tasks, reminders, escalations, decisions, mentions in comments."""
    with transaction(ctx) as session:
        people.get_actor(session, actor)
        rows = notifications.inbox(session, actor, unread_only=unread)
        listed = [records.notification_record(n) for n in rows]
        if mark_read:
            notifications.mark_read(session, username=actor, notification_ids=[n.id for n in rows])
    echo(listed, as_json, lambda rs: "\n".join(
        f"{'*' if not r['read_at'] else ' '} {r['created_at'][:16]} {r['kind']:<11} {r['title']}" for r in rs)
        or "no notifications")
