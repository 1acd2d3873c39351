"""Commands for tasks: list a user's open tasks, claim, give back, delegate and complete (signed when required)."""
from __future__ import annotations

import mimetypes
import sys
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from cli.base import (
    RecordId,
    as_option,
    echo,
    fail_cleanly,
    json_flag,
    json_option,
    reading,
    transaction,
    verb_command,
)
from engine import people
from engine.errors import NotPermitted
from engine.models import HumanTask
from engine.read import queries, records
from engine.read.steps import directory_names
from engine.services import evidence, tasks


@click.command("tasks")
@as_option
@click.option("--overdue", is_flag=True, help="Only tasks past their due time.")
@click.option("--scope", type=click.Choice(["all", "mine", "candidate"]), default="all", show_default=True)
@click.option("--process", "process_id", default=None)
@json_flag
@click.pass_context
@fail_cleanly
def tasks_(ctx: click.Context, actor: str, overdue: bool, scope: str, process_id: str | None,
           as_json: bool) -> None:
    """List the open tasks a user can work on (assigned to them or offered to their roles)."""
    with reading(ctx) as session:
        user = people.get_actor(session, actor)
        directory = people.SessionDirectory(session)
        found = queries.tasks_for_user(session, user, scope=scope, overdue=overdue,
                                       process_id=process_id)  # type: ignore[arg-type]
        titles = queries.instance_titles(session, [t.instance_id for t in found])
        names = directory_names(session)
        rows = [records.task_record(session, t, directory=directory, instance_titles=titles, with_context=True,
                                    names=names) for t in found]
    echo(rows, as_json, lambda rs: "\n".join(
        f"#{r['id']:<5} {r['name']:<24} {r['title']:<16} instance {r['instance_id']:<5} "
        f"{r['assignee'] or 'role ' + r['role']:<22} due {r['due_at'] or '-'}" for r in rs) or "no tasks")


def _task_line(r: dict[str, Any]) -> str:
    return f"task {r['id']} ({r['name']}): assignee {r['assignee'] or '-'}"


def _show_task(session: Session, task: Any) -> dict[str, Any]:
    return records.task_record(session, task, with_form=False)


claim = verb_command("claim", tasks.claim, "Claim a task offered to your role.",
                     target="task", show=_show_task, line=_task_line)
unclaim = verb_command("unclaim", tasks.unclaim, "Give a claimed task back to its role.",
                       target="task", show=_show_task, line=_task_line)


@click.command()
@click.argument("task_id", type=RecordId("task"))
@as_option
@click.option("--to", "to_user", required=True, metavar="USER")
@click.option("--reason", default=None, help="Why (required when a process_admin hands it outside the lane's role).")
@json_flag
@click.pass_context
@fail_cleanly
def delegate(ctx: click.Context, task_id: int, actor: str, to_user: str, reason: str | None, as_json: bool) -> None:
    """Hand a task to another user."""
    with transaction(ctx) as session:
        task = tasks.delegate(session, task_id=task_id, actor=actor, to_user=to_user, reason=reason)
        record = records.task_record(session, task, with_form=False)
    echo(record, as_json, lambda r: f"task {r['id']} delegated to {r['assignee']}")


@click.command()
@click.argument("task_id", type=RecordId("task"))
@as_option
@click.option("--data", required=True, help="The form data as a JSON object.")
@click.option("--attach", "attachments", multiple=True, metavar="FILE",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Attach an evidence file (repeatable); stored with its SHA-256, never altered.")
@click.option("--password-stdin", is_flag=True,
              help="Sign a task whose BPMN requires a signature with the password read from stdin (one line); "
                   "at a terminal it is asked for, hidden.")
@json_flag
@click.pass_context
@fail_cleanly
def complete(ctx: click.Context, task_id: int, actor: str, data: str, attachments: tuple[Path, ...],
             password_stdin: bool, as_json: bool) -> None:
    """Complete a task with its form data and any evidence files; a decision to sign needs the password."""
    payload = json_option(data, "--data")
    uploads = [evidence.Upload(path.name, path.read_bytes(),
                               mimetypes.guess_type(path.name)[0] or "application/octet-stream")
               for path in attachments]
    password = _signing_password(ctx, task_id, from_stdin=password_stdin)
    with transaction(ctx) as session:
        if password is None:
            task = tasks.complete(session, task_id=task_id, actor=actor, data=payload, evidence_files=uploads)
        else:
            task = tasks.complete_signed(session, task_id=task_id, actor=actor, data=payload, password=password,
                                         evidence_files=uploads)
        record = records.task_record(session, task, with_form=False)
        record["instance"] = records.instance_record(session, queries.get_instance(session, task.instance_id))
    echo(record, as_json, lambda r: f"task {r['id']} ({r['name']}) completed; instance "
                                    f"{r['instance_id']} is {r['instance']['status']}")


def _signing_password(ctx: click.Context, task_id: int, *, from_stdin: bool) -> str | None:
    """The password that signs the task, when it is a decision to sign: from stdin, or asked for at a terminal."""
    # Asked before the write transaction opens, so that no lock is held while someone types.
    with reading(ctx) as session:
        task = session.get(HumanTask, task_id)
        if task is None or not task.requires_signature:
            return None
        name = task.name
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if _at_a_terminal():
        return str(click.prompt("Password (signs the decision)", hide_input=True, err=True))
    raise NotPermitted(f"task {task_id} ({name}) is a decision that must be signed: give the password "
                       "with --password-stdin, or run the command at a terminal to be asked for it")


def _at_a_terminal() -> bool:
    return sys.stdin.isatty()
