"""The `carbonflow` command line: every use case, with stable --json output for scripts."""
from __future__ import annotations

import csv
import json
import mimetypes
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any

import click
from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from engine import clauses, clock, queries, records
from engine.config import Settings
from engine.db import Database
from engine.errors import CarbonFlowError, Conflict, InvalidFormData, InvalidProcess, NotFound, NotPermitted
from engine.schema import migrate
from engine.background.worker import Background
from engine.models import HumanTask, Job
from engine.services import audit as audit_service
from engine.services import (
    access, deployments, evidence, instances, jobs, messages, notifications, schedules, tasks, timers, users,
)

EXIT_CODES = {NotFound: 3, NotPermitted: 4, Conflict: 5, InvalidFormData: 6, InvalidProcess: 7}
EXIT_TAMPERED = 8  # `audit --verify`: the audit trail's hash chain is broken


class _State:
    def __init__(self) -> None:
        self.settings = Settings.from_env()
        self._db: Database | None = None

    def db(self, *, require_schema: bool = True) -> Database:
        if self._db is None:
            self._db = Database(self.settings.database_url)
            if require_schema and not inspect(self._db.engine).has_table("alembic_version"):
                raise click.ClickException("the database is not initialised: run `carbonflow init` first")
        return self._db


def _fail_cleanly(command: Callable[..., Any]) -> Callable[..., Any]:
    """Translate CarbonFlow errors into a message on stderr and a distinct exit code."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except InvalidFormData as exc:
            click.echo(f"error: invalid data for form {exc.form_key}:", err=True)
            for name, messages_ in sorted(exc.errors.items()):
                click.echo(f"  {name}: {' '.join(map(str, messages_)) if isinstance(messages_, list) else messages_}",
                           err=True)
            sys.exit(EXIT_CODES[InvalidFormData])
        except CarbonFlowError as exc:
            click.echo(f"error: {exc}", err=True)
            if isinstance(exc, NotPermitted):
                _audit_refusal(exc)
            sys.exit(next((code for cls, code in EXIT_CODES.items() if isinstance(exc, cls)), 1))

    return run


def _audit_refusal(exc: NotPermitted) -> None:
    """A refused command is an audit event of its own (what it tried was rolled back)."""
    ctx = click.get_current_context()
    actor = ctx.params.get("actor")
    if not actor or ctx.obj is None:
        return
    with ctx.obj.db().transaction() as session:
        audit_service.record(session, action="refused", actor=str(actor)[:80],
                     data={"command": ctx.command_path, "reason": str(exc)})


@contextmanager
def _transaction(ctx: click.Context) -> Iterator[Session]:
    with ctx.obj.db().transaction() as session:
        yield session


@contextmanager
def _reading(ctx: click.Context) -> Iterator[Session]:
    with ctx.obj.db().reading() as session:
        yield session


def _echo(value: Any, as_json: bool, text: Callable[[Any], str] | None = None) -> None:
    if as_json or text is None:
        click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(text(value))


def _json_option(value: str | None, name: str) -> Any:
    if value is None:
        return {}
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not valid JSON: {exc}", param_hint=name) from exc


def _instance_line(r: dict[str, Any]) -> str:
    open_tasks = ", ".join(f"#{t['id']} {t['name']}" for t in r["open_tasks"]) or "none"
    return (f"instance {r['id']} {r['process_id']} v{r['version']} [{r['status']}] "
            f"key={r['business_key'] or '-'} open tasks: {open_tasks}")


as_option = click.option("--as", "actor", required=True, metavar="USER", help="Act as this user.")
json_flag = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """CarbonFlow: run the carbon-emission management cycles as BPMN processes."""
    ctx.obj = _State()


@main.command()
@click.option("--as", "actor", default="system", show_default=True, help="Recorded as the deployer.")
@json_flag
@click.pass_context
@_fail_cleanly
def init(ctx: click.Context, actor: str, as_json: bool) -> None:
    """Create or migrate the database, seed the roles and deploy processes/ (idempotent)."""
    migrate(ctx.obj.settings.database_url)
    with ctx.obj.db(require_schema=False).transaction() as session:
        users.seed_roles(session)
        done = deployments.deploy_directory(session, directory=ctx.obj.settings.processes_dir, actor=actor)
        processes = [{**records.process_record(d.definition), "created": d.created} for d in done]
    result = {"database": make_url(ctx.obj.settings.database_url).render_as_string(hide_password=True),
              "processes": processes}
    _echo(result, as_json, lambda r: "\n".join(
        [f"{p['id']} v{p['version']}: {'deployed' if p['created'] else 'unchanged'}" for p in r["processes"]]
        + [f"database ready: {r['database']}"]))


@main.command("demo-users")
@json_flag
@click.pass_context
@_fail_cleanly
def demo_users(ctx: click.Context, as_json: bool) -> None:
    """Create one demo user per role (new passwords each run) and print their sign-ins."""
    with _transaction(ctx) as session:
        created = users.load_demo_users(session)
    rows = [{"username": u.username, "password": u.password, "roles": list(u.roles),
             "department": u.department, "display_name": u.display_name} for u in created]
    _echo(rows, as_json, lambda rs: "\n".join(
        f"{r['username']:<12} {r['password']:<14} {', '.join(r['roles'])}" for r in rs))


@main.command("demo-data")
@json_flag
@click.pass_context
@_fail_cleanly
def demo_data(ctx: click.Context, as_json: bool) -> None:
    """Seed a Shanxi cement plant: departments, a user per role and a year of instances (once only)."""
    from engine import demo

    try:
        created, seeded = demo.seed(ctx.obj.db())
    except demo.AlreadySeeded as exc:
        raise Conflict(f"{exc}; nothing changed (use `carbonflow demo-users` for new passwords)") from exc
    result = {"users": [{"username": u.username, "password": u.password, "roles": list(u.roles),
                         "department": u.department, "display_name": u.display_name} for u in created],
              "instances": seeded.instances, "fired_timers": seeded.fired_timers}
    _echo(result, as_json, lambda r: "\n".join(
        [f"{demo.COMPANY}: {len(r['instances'])} demo instances"]
        + [f"  {key:<18} instance {iid}" for key, iid in r["instances"].items()]
        + ["sign in as:"] + [f"  {u['username']:<12} {u['password']:<14} {', '.join(u['roles'])}"
                             for u in r["users"]]))


@main.command("users")
@json_flag
@click.pass_context
@_fail_cleanly
def users_(ctx: click.Context, as_json: bool) -> None:
    """List users with their roles and department."""
    with _reading(ctx) as session:
        rows = [records.user_record(u) for u in queries.users(session)]
    _echo(rows, as_json, lambda rs: "\n".join(
        f"{r['username']:<12} {r['department'] or '-':<14} {', '.join(r['roles'])}" for r in rs))


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "actor", default="system", show_default=True, help="Recorded as the deployer.")
@json_flag
@click.pass_context
@_fail_cleanly
def deploy(ctx: click.Context, files: tuple[Path, ...], actor: str, as_json: bool) -> None:
    """Validate and deploy BPMN files; all or nothing."""
    with _transaction(ctx) as session:
        done = [deployments.deploy(session, source=f.read_bytes(), file_name=f.name, actor=actor) for f in files]
        rows = [{**records.process_record(d.definition), "created": d.created} for d in done]
    _echo(rows, as_json, lambda rs: "\n".join(
        f"{r['id']} v{r['version']}: {'deployed' if r['created'] else 'unchanged'}" for r in rs))


@main.command()
@json_flag
@click.pass_context
@_fail_cleanly
def processes(ctx: click.Context, as_json: bool) -> None:
    """List the newest version of each deployed process."""
    with _reading(ctx) as session:
        rows = [records.process_record(d) for d in deployments.latest_definitions(session)]
    _echo(rows, as_json, lambda rs: "\n".join(f"{r['id']:<28} v{r['version']:<3} {r['name']}" for r in rs))


@main.command()
@click.argument("process_id")
@as_option
@click.option("--business-key", default=None)
@click.option("--data", default=None, help="Start form data as a JSON object.")
@json_flag
@click.pass_context
@_fail_cleanly
def start(ctx: click.Context, process_id: str, actor: str, business_key: str | None,
          data: str | None, as_json: bool) -> None:
    """Start an instance of a process."""
    payload = _json_option(data, "--data")
    with _transaction(ctx) as session:
        instance = instances.start(session, process_id=process_id, actor=actor,
                                   business_key=business_key, data=payload)
        record = records.instance_record(session, instance)
    _echo(record, as_json, _instance_line)


@main.command("tasks")
@as_option
@click.option("--overdue", is_flag=True, help="Only tasks past their due time.")
@click.option("--scope", type=click.Choice(["all", "mine", "candidate"]), default="all", show_default=True)
@click.option("--process", "process_id", default=None)
@json_flag
@click.pass_context
@_fail_cleanly
def tasks_(ctx: click.Context, actor: str, overdue: bool, scope: str, process_id: str | None,
           as_json: bool) -> None:
    """List the open tasks a user can work on (assigned to them or offered to their roles)."""
    with _reading(ctx) as session:
        user = users.get_actor(session, actor)
        directory = users.SessionDirectory(session)
        rows = [records.task_record(session, t, directory=directory) for t in queries.tasks_for_user(
            session, user, scope=scope, overdue=overdue, process_id=process_id)]  # type: ignore[arg-type]
    _echo(rows, as_json, lambda rs: "\n".join(
        f"#{r['id']:<5} {r['name']:<24} {r['title']:<16} instance {r['instance_id']:<5} "
        f"{r['assignee'] or 'role ' + r['role']:<22} due {r['due_at'] or '-'}" for r in rs) or "no tasks")


def _verb_command(name: str, verb: Callable[..., Any], help_text: str, *, target: str,
                  show: Callable[[Session, Any], dict[str, Any]], line: Callable[[dict[str, Any]], str]) -> None:
    """Register `carbonflow NAME ID --as USER`: one use case on one task or instance."""

    @main.command(name, help=help_text)
    @click.argument("target_id", type=int, metavar=target.upper())
    @as_option
    @json_flag
    @click.pass_context
    @_fail_cleanly
    def command(ctx: click.Context, target_id: int, actor: str, as_json: bool) -> None:
        with _transaction(ctx) as session:
            record = show(session, verb(session, **{f"{target}_id": target_id}, actor=actor))
        _echo(record, as_json, line)


def _task_line(r: dict[str, Any]) -> str:
    return f"task {r['id']} ({r['name']}): assignee {r['assignee'] or '-'}"


def _show_task(session: Session, task: Any) -> dict[str, Any]:
    return records.task_record(session, task, with_form=False)


_verb_command("claim", tasks.claim, "Claim a task offered to your role.",
              target="task", show=_show_task, line=_task_line)
_verb_command("unclaim", tasks.unclaim, "Give a claimed task back to its role.",
              target="task", show=_show_task, line=_task_line)


@main.command()
@click.argument("task_id", type=int)
@as_option
@click.option("--to", "to_user", required=True, metavar="USER")
@json_flag
@click.pass_context
@_fail_cleanly
def delegate(ctx: click.Context, task_id: int, actor: str, to_user: str, as_json: bool) -> None:
    """Hand a task to another user."""
    with _transaction(ctx) as session:
        task = tasks.delegate(session, task_id=task_id, actor=actor, to_user=to_user)
        record = records.task_record(session, task, with_form=False)
    _echo(record, as_json, lambda r: f"task {r['id']} delegated to {r['assignee']}")


@main.command()
@click.argument("task_id", type=int)
@as_option
@click.option("--data", required=True, help="The form data as a JSON object.")
@click.option("--attach", "attachments", multiple=True, metavar="FILE",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Attach an evidence file (repeatable); stored with its SHA-256, never altered.")
@click.option("--password-stdin", is_flag=True,
              help="Sign a decision of top management with the password read from stdin (one line); "
                   "at a terminal it is asked for, hidden.")
@json_flag
@click.pass_context
@_fail_cleanly
def complete(ctx: click.Context, task_id: int, actor: str, data: str, attachments: tuple[Path, ...],
             password_stdin: bool, as_json: bool) -> None:
    """Complete a task with its form data and any evidence files; a decision to sign needs the password."""
    payload = _json_option(data, "--data")
    uploads = [evidence.Upload(path.name, path.read_bytes(),
                               mimetypes.guess_type(path.name)[0] or "application/octet-stream")
               for path in attachments]
    password = _signing_password(ctx, task_id, from_stdin=password_stdin)
    with _transaction(ctx) as session:
        if password is None:
            task = tasks.complete(session, task_id=task_id, actor=actor, data=payload, evidence_files=uploads)
        else:
            task = tasks.complete_signed(session, task_id=task_id, actor=actor, data=payload, password=password,
                                         evidence_files=uploads)
        record = records.task_record(session, task, with_form=False)
        record["instance"] = records.instance_record(session, instances.get_instance(session, task.instance_id))
    _echo(record, as_json, lambda r: f"task {r['id']} ({r['name']}) completed; instance "
                                     f"{r['instance_id']} is {r['instance']['status']}")


def _signing_password(ctx: click.Context, task_id: int, *, from_stdin: bool) -> str | None:
    """The password that signs the task, when it is a decision to sign: from stdin, or asked for at a terminal."""
    # Asked before the write transaction opens, so that no lock is held while someone types.
    with _reading(ctx) as session:
        task = session.get(HumanTask, task_id)
        if task is None or not tasks.requires_signature(task):
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


@main.command()
@click.argument("instance_id", type=int)
@json_flag
@click.pass_context
@_fail_cleanly
def instance(ctx: click.Context, instance_id: int, as_json: bool) -> None:
    """Show an instance: status, data, open tasks, completed steps."""
    with _reading(ctx) as session:
        record = records.instance_record(session, instances.get_instance(session, instance_id), detail=True)
    _echo(record, as_json, _instance_line)


@main.command("instances")
@click.option("--process", "process_id", default=None)
@click.option("--status", type=click.Choice(["running", "suspended", "completed", "terminated", "error"]))
@json_flag
@click.pass_context
@_fail_cleanly
def instances_(ctx: click.Context, process_id: str | None, status: str | None, as_json: bool) -> None:
    """List instances, newest first."""
    with _reading(ctx) as session:
        rows = [records.instance_record(session, i) for i in
                queries.instances(session, process_id=process_id, status=status)]
    _echo(rows, as_json, lambda rs: "\n".join(_instance_line(r) for r in rs) or "no instances")


@main.command("send-message")
@click.argument("name")
@as_option
@click.option("--data", default=None, help="The message payload as a JSON object.")
@click.option("--queue", is_flag=True, help="Deliver in the background (a job the worker runs).")
@click.option("--key", default=None, help="With --queue: a second send with the same key is the first one.")
@json_flag
@click.pass_context
@_fail_cleanly
def send_message(ctx: click.Context, name: str, actor: str, data: str | None, queue: bool, key: str | None,
                 as_json: bool) -> None:
    """Send a message: starts processes waiting for it, continues instances waiting for it."""
    payload = _json_option(data, "--data")
    if queue:
        with _transaction(ctx) as session:
            messages.check_sender(session, name=name, actor=actor)
            queued = jobs.enqueue(session, kind="deliver_message", payload={"name": name, "data": payload},
                                  actor=actor, key=f"message:{key}" if key else None)
            record = records.job_record(queued)
        _echo(record, as_json, lambda r: f"queued as job {r['id']}; the worker delivers it")
        return
    with _transaction(ctx) as session:
        delivery = messages.send_message(session, name=name, payload=payload, actor=actor)
    result = {"started": delivery.started, "continued": delivery.continued}
    _echo(result, as_json, lambda r: f"started {r['started'] or 'none'}; continued {r['continued'] or 'none'}")


for _name, _verb, _help in [
    ("suspend", instances.suspend, "Suspend a running instance (process_admin)."),
    ("resume", instances.resume, "Resume a suspended instance (process_admin)."),
    ("terminate", instances.terminate, "Terminate an instance for good (process_admin)."),
]:
    _verb_command(_name, _verb, _help, target="instance", line=_instance_line,
                  show=lambda session, instance: records.instance_record(session, instance))


@main.command()
@click.argument("instance_id", type=int)
@as_option
@click.option("--data", default=None, help="Corrected data (JSON object) for the failed step.")
@json_flag
@click.pass_context
@_fail_cleanly
def retry(ctx: click.Context, instance_id: int, actor: str, data: str | None, as_json: bool) -> None:
    """After a fix: run an instance in error again from its failed step, and its failed jobs (process_admin)."""
    payload = _json_option(data, "--data")
    with _transaction(ctx) as session:
        requeued = [j.id for j in jobs.retry_failed(session, actor=actor, instance_id=instance_id)]
        instance = instances.get_instance(session, instance_id)
        if instance.status == "error" or not requeued:
            instance = instances.retry(session, instance_id=instance_id, actor=actor, data=payload)
        record = {**records.instance_record(session, instance), "requeued_jobs": requeued}
    _echo(record, as_json, lambda r: _instance_line(r) + (f"; jobs queued again: {r['requeued_jobs']}"
                                                          if r["requeued_jobs"] else ""))


@main.command("fire-timers")
@click.option("--now", "now_text", default=None, help="ISO 8601 time to fire for (default: now).")
@json_flag
@click.pass_context
@_fail_cleanly
def fire_timers(ctx: click.Context, now_text: str | None, as_json: bool) -> None:
    """Run one sweep: fire due timers, start due schedules, send reminders, run queued jobs."""
    now = _moment(now_text, "--now") if now_text else None
    db = ctx.obj.db()
    fired = timers.fire_due_timers(db, now)
    started = schedules.start_due(db, now)
    # Looking ahead (--now later than now) fires timers as asked, but sends no reminder and runs
    # no job as if it were that late: those happen at their real time.
    real = None if now is None or now <= clock.now() else clock.now()
    reminders = notifications.remind(db, real or now)
    # Jobs run here too, including those the jobs queue (a few rounds): cron needs no worker.
    ran: dict[int, str] = {}
    for _ in range(5):
        due = jobs.dispatchable(db, real or now)
        ran.update((job_id, jobs.run(db, job_id, now=real or now)) for job_id in due)
        if not due:
            break
    result = {"fired": [{"instance_id": f.instance_id, "timer": f.timer, "due_at": f.due_at.isoformat()}
                        for f in fired],
              "scheduled_starts": started, "reminders": reminders,
              "jobs": [{"id": job_id, "outcome": outcome} for job_id, outcome in ran.items()]}
    _echo(result, as_json, lambda r: "\n".join(
        [f"instance {f['instance_id']}: {f['timer']} (due {f['due_at']})" for f in r["fired"]]
        + [f"started instance {i} on its schedule" for i in r["scheduled_starts"]]
        + ([f"{r['reminders']} reminders sent"] if r["reminders"] else [])
        + ([f"{len(r['jobs'])} background jobs run"] if r["jobs"] else [])) or "nothing due")


@main.command("worker")
@click.option("--threads", default=2, show_default=True, help="Worker threads per process.")
@click.option("--processes", default=1, show_default=True, help="Worker processes (each with its own threads).")
@click.pass_context
@_fail_cleanly
def worker(ctx: click.Context, threads: int, processes: int) -> None:
    """Run background work (timers, schedules, reminders, jobs) until stopped; BROKER_URL shares it out."""
    if processes > 1:
        _run_processes(processes, threads)
        return
    settings = ctx.obj.settings
    background = Background(ctx.obj.db(), broker_url=settings.broker_url, threads=threads,
                            tick_seconds=settings.tick_seconds)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    background.start()
    click.echo(f"worker running: {threads} threads, broker {settings.broker_url or 'in-process'}, "
               f"tick every {settings.tick_seconds:g} s", err=True)
    stop.wait()
    background.stop()


def _run_processes(count: int, threads: int) -> None:
    """Several worker processes (not daemonic: each keeps its own script workers); stopped together."""
    children = [subprocess.Popen([sys.executable, "-m", "engine.cli", "worker", "--threads", str(threads)])
                for _ in range(count)]

    def stop(*_: object) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    for child in children:
        child.wait()


@main.command("incidents")
@json_flag
@click.pass_context
@_fail_cleanly
def incidents(ctx: click.Context, as_json: bool) -> None:
    """Failed background jobs and instances in error, for an admin to fix and retry."""
    with _reading(ctx) as session:
        rows = jobs.incidents(session)
    _echo(rows, as_json, lambda rs: "\n".join(
        f"{r['type']:<8} instance {r['instance_id'] or '-'} {r.get('kind') or r.get('process_id')}: {r['error']}"
        for r in rs) or "no incidents")


@main.command("job")
@click.argument("job_id", type=int)
@click.option("--retry", "retry_it", is_flag=True, help="Run a failed job again after a fix.")
@click.option("--cancel", "cancel_reason", default=None, metavar="REASON", help="Dismiss a failed job.")
@click.option("--as", "actor", default=None, metavar="USER", help="The process_admin who retries or cancels.")
@json_flag
@click.pass_context
@_fail_cleanly
def job(ctx: click.Context, job_id: int, retry_it: bool, cancel_reason: str | None, actor: str | None,
        as_json: bool) -> None:
    """Show a background job; a process_admin may retry a failed one or cancel it."""
    if (retry_it or cancel_reason) and not actor:
        raise click.UsageError("--retry and --cancel need --as USER")
    with _transaction(ctx) as session:
        if retry_it:
            jobs.retry_failed(session, actor=actor or "", job_id=job_id)
        elif cancel_reason:
            jobs.cancel(session, job_id=job_id, actor=actor or "", reason=cancel_reason)
        row = session.get(Job, job_id)
        if row is None:
            raise NotFound(f"no job {job_id}")
        record = records.job_record(row)
    _echo(record, as_json, lambda r: f"job {r['id']} {r['kind']} [{r['status']}] attempts {r['attempts']}"
                                     + (f": {r['error']}" if r["error"] else ""))


@main.command("notifications")
@as_option
@click.option("--unread", is_flag=True, help="Only the unread ones.")
@click.option("--mark-read", is_flag=True, help="Mark the listed ones read.")
@json_flag
@click.pass_context
@_fail_cleanly
def notifications_(ctx: click.Context, actor: str, unread: bool, mark_read: bool, as_json: bool) -> None:
    """A user's notifications: new tasks, reminders, escalations, decisions."""
    with _transaction(ctx) as session:
        users.get_actor(session, actor)
        rows = notifications.inbox(session, actor, unread_only=unread)
        listed = [records.notification_record(n) for n in rows]
        if mark_read:
            notifications.mark_read(session, username=actor, notification_ids=[n.id for n in rows])
    _echo(listed, as_json, lambda rs: "\n".join(
        f"{'*' if not r['read_at'] else ' '} {r['created_at'][:16]} {r['kind']:<11} {r['title']}" for r in rs)
        or "no notifications")


@main.command("import-users")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@as_option
@click.option("--queue", is_flag=True, help="Import in the background (a job the worker runs).")
@json_flag
@click.pass_context
@_fail_cleanly
def import_users(ctx: click.Context, csv_file: Path, actor: str, queue: bool, as_json: bool) -> None:
    """Create users from a CSV (username, display_name, roles, department, email); all or nothing."""
    with csv_file.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    with _transaction(ctx) as session:
        if queue:
            users.require_admin(session, actor, "import users")
            result: dict[str, Any] = records.job_record(jobs.enqueue(
                session, kind="import_users", payload={"rows": rows}, actor=actor))
        else:
            result = users.import_users(session, rows=rows, actor=actor)
    _echo(result, as_json, lambda r: f"queued as job {r['id']}" if queue else
          f"created {len(r['created'])} users; {len(r['existing'])} existed already")


@main.command("schedules")
@json_flag
@click.pass_context
@_fail_cleanly
def schedules_(ctx: click.Context, as_json: bool) -> None:
    """List the processes that start on a schedule, with their next start."""
    with _reading(ctx) as session:
        rows = [records.schedule_record(s) for s in schedules.schedules(session)]
    _echo(rows, as_json, lambda rs: "\n".join(
        f"{r['process_id']:<26} every {r['period']:<6} next {r['next_run_at'] or 'off'}" for r in rs)
        or "no schedules")


@main.command("schedule")
@click.argument("process_id")
@as_option
@click.option("--next", "next_text", default=None, help="Next start, ISO 8601 with offset.")
@click.option("--period", default=None, help="ISO 8601 duration between starts, e.g. P1Y.")
@click.option("--off", is_flag=True, help="Switch the schedule off.")
@json_flag
@click.pass_context
@_fail_cleanly
def schedule(ctx: click.Context, process_id: str, actor: str, next_text: str | None, period: str | None,
             off: bool, as_json: bool) -> None:
    """Change when a process next starts by itself (process_admin); a redeploy keeps it."""
    next_run_at = _moment(next_text, "--next") if next_text else None
    with _transaction(ctx) as session:
        record = records.schedule_record(schedules.configure(
            session, process_id=process_id, actor=actor, next_run_at=next_run_at, period=period, enabled=not off))
    _echo(record, as_json, lambda r: f"{r['process_id']}: every {r['period']}, next {r['next_run_at'] or 'off'}")


@main.command("links")
@click.argument("instance_id", type=int)
@json_flag
@click.pass_context
@_fail_cleanly
def links(ctx: click.Context, instance_id: int, as_json: bool) -> None:
    """Instances this one raised (out) and the ones that raised it (in)."""
    with _reading(ctx) as session:
        instances.get_instance(session, instance_id)
        rows = queries.instance_links(session, instance_id)
    _echo(rows, as_json, lambda rs: "\n".join(
        f"{'->' if r['direction'] == 'out' else '<-'} instance {r['instance_id']} {r['process_id']} "
        f"[{r['status']}] ({r['kind']})" for r in rs) or "no links")


@main.command("evidence")
@as_option
@click.option("--instance", "instance_id", type=int, default=None, help="List an instance's evidence files.")
@click.option("--get", "evidence_id", type=int, default=None, help="Write this evidence file out.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where --get writes the file (default: evidence-ID-NAME in the current folder).")
@json_flag
@click.pass_context
@_fail_cleanly
def evidence_(ctx: click.Context, actor: str, instance_id: int | None, evidence_id: int | None, out: Path | None,
              as_json: bool) -> None:
    """List evidence files, or write one out after checking its SHA-256 (the reading is audited)."""
    if (instance_id is None) == (evidence_id is None):
        raise click.UsageError("give either --instance or --get")
    if evidence_id is None:
        with _reading(ctx) as session:
            files = access.readable_instance(session, instance_id, actor)[1]
            rows = [records.evidence_record(e) for e in files]
        _echo(rows, as_json, lambda rs: "\n".join(
            f"{r['id']:>5} task {r['task_id']:<6} {r['sha256'][:12]} {r['size']:>9} B {r['file_name']}"
            for r in rs) or "no evidence files")
        return
    with _transaction(ctx) as session:
        row, content = access.read_evidence(session, evidence_id, actor)
        record = records.evidence_record(row)
    target = out or Path(f"evidence-{record['id']}-{record['file_name']}")
    try:
        with open(target, "xb") as file:  # never over an existing file or through a symlink
            file.write(content)
    except FileExistsError as exc:
        raise click.ClickException(f"{target} exists; choose another --out") from exc
    _echo({**record, "written_to": str(target)}, as_json, lambda r: f"wrote {r['written_to']} (sha256 {r['sha256']})")


@main.command("clauses")
@click.option("--since", "since_text", default=None, help="Only records completed from this time (ISO 8601).")
@click.option("--until", "until_text", default=None, help="Only records completed before this time (ISO 8601).")
@click.option("--queue", is_flag=True, help="Build the report in the background (needs --as).")
@click.option("--as", "actor", default=None, metavar="USER", help="Who asks for a queued report.")
@json_flag
@click.pass_context
@_fail_cleanly
def clauses_(ctx: click.Context, since_text: str | None, until_text: str | None, queue: bool, actor: str | None,
             as_json: bool) -> None:
    """For every clause of the guideline: the tasks that cover it and the completed instances holding its records."""
    since = _moment(since_text, "--since") if since_text else None
    until = _moment(until_text, "--until") if until_text else None
    if queue:
        if not actor:
            raise click.UsageError("a queued report needs --as USER")
        with _transaction(ctx) as session:
            users.get_actor(session, actor)
            queued = records.job_record(jobs.enqueue(session, kind="clause_report", actor=actor, payload={
                "since": since.isoformat() if since else None, "until": until.isoformat() if until else None}))
        _echo(queued, as_json, lambda r: f"queued as job {r['id']}; `carbonflow job {r['id']}` shows the report")
        return
    with _reading(ctx) as session:
        report = clauses.coverage(session, since=since, until=until)
    _echo(report, as_json, _clauses_text)


def _clauses_text(report: dict[str, Any]) -> str:
    lines = []
    for row in report["clauses"]:
        processes = sorted({c["process_id"] for c in row["covered_by"]})
        lines.append(f"{row['clause']:<18} {'R' if row['records_required'] else ' '} "
                     f"records {len(row['records']):>4}  {', '.join(processes) or 'NOT COVERED'}")
    summary = report["summary"]
    lines.append(f"{summary['covered']} of {summary['clauses']} clauses covered; record clauses not covered: "
                 f"{', '.join(summary['records_required_uncovered']) or 'none'}")
    return "\n".join(lines)


def _moment(text: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from exc
    if moment.tzinfo is None:
        raise click.BadParameter("give a timezone, e.g. 2027-03-01T09:00:00+08:00", param_hint=option)
    return moment


@main.command()
@click.option("--instance", "instance_id", type=int, default=None)
@click.option("--verify", is_flag=True, help="Check the whole hash chain; exit 8 naming the first bad event.")
@json_flag
@click.pass_context
@_fail_cleanly
def audit(ctx: click.Context, instance_id: int | None, verify: bool, as_json: bool) -> None:
    """Print the audit trail (of one instance, or all), or --verify its hash chain."""
    if verify:
        with _reading(ctx) as session:
            result = audit_service.verify_chain(session)
        _echo(records.chain_record(result), as_json, lambda _r: result.summary)
        if not result.ok:
            sys.exit(EXIT_TAMPERED)
        return
    with _reading(ctx) as session:
        rows = [records.audit_record(e) for e in queries.audit_events(session, instance_id=instance_id)]
    _echo(rows, as_json, lambda rs: "\n".join(
        f"{r['id']:>5} {r['at'][:19]} {r['actor']:<12} {r['action']:<18} "
        f"instance {r['instance_id'] or '-'} task {r['task_id'] or '-'}" for r in rs))


# Registers `carbonflow export` on main (kept in engine/exports, beside what it exports).
from engine.exports import command as _export_command  # noqa: E402,F401

if __name__ == "__main__":
    main()
