"""Commands for processes: set up the database, deploy BPMN, list processes, and their schedules."""
from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.engine import make_url

from cli.base import as_option, echo, fail_cleanly, json_flag, moment, reading, transaction
from engine.people import SessionDirectory
from engine.read import records
from engine.read.definitions import latest_definitions
from engine.schema import migrate
from engine.services import deployments, installation, schedules, users


@click.command()
@click.option("--as", "actor", default=None, metavar="USER",
              help="The process_admin who deploys files of processes/ that differ from the deployed versions "
                   "(on a new database, before any process_admin exists, the installation deploys them itself).")
@json_flag
@click.pass_context
@fail_cleanly
def init(ctx: click.Context, actor: str | None, as_json: bool) -> None:
    """Create or migrate the database, seed the roles and deploy processes/ (idempotent)."""
    migrate(ctx.obj.settings.database_url)
    db = ctx.obj.db(require_schema=False)
    with db.transaction() as session:
        users.seed_roles(session)
    with db.transaction() as session:
        done = installation.install_processes(session, directory=ctx.obj.settings.processes_dir, actor=actor)
        processes = [{**records.process_record(d.definition), "created": d.created} for d in done]
    result = {"database": make_url(ctx.obj.settings.database_url).render_as_string(hide_password=True),
              "processes": processes}
    echo(result, as_json, lambda r: "\n".join(
        [f"{p['id']} v{p['version']}: {'deployed' if p['created'] else 'unchanged'}" for p in r["processes"]]
        + [f"database ready: {r['database']}"]))


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "actor", required=True, metavar="USER", help="The process_admin who deploys.")
@click.option("--note", required=True, help="Why: the change note kept with each new version.")
@json_flag
@click.pass_context
@fail_cleanly
def deploy(ctx: click.Context, files: tuple[Path, ...], actor: str, note: str, as_json: bool) -> None:
    """Validate and deploy BPMN files as a process_admin; all or nothing."""
    with transaction(ctx) as session:
        done = [deployments.deploy_as_admin(session, source=f.read_bytes(), file_name=f.name, actor=actor, note=note)
                for f in files]
        rows = [{**records.process_record(d.definition), "created": d.created} for d in done]
    echo(rows, as_json, lambda rs: "\n".join(
        f"{r['id']} v{r['version']}: {'deployed' if r['created'] else 'unchanged'}" for r in rs))


@click.command()
@json_flag
@click.pass_context
@fail_cleanly
def processes(ctx: click.Context, as_json: bool) -> None:
    """List the newest version of each deployed process (with --json, each with its start form as JSON Schema)."""
    with reading(ctx) as session:
        directory = SessionDirectory(session)
        rows = [records.process_record(d, directory=directory) for d in latest_definitions(session)]
    echo(rows, as_json, lambda rs: "\n".join(f"{r['id']:<28} v{r['version']:<3} {r['name']}" for r in rs))


@click.command("schedules")
@json_flag
@click.pass_context
@fail_cleanly
def schedules_(ctx: click.Context, as_json: bool) -> None:
    """List the processes that start on a schedule, with their next start."""
    with reading(ctx) as session:
        rows = [records.schedule_record(s) for s in schedules.schedules(session)]
    echo(rows, as_json, lambda rs: "\n".join(
        f"{r['process_id']:<26} every {r['period']:<6} next {r['next_run_at'] or 'off'}" for r in rs)
        or "no schedules")


@click.command("schedule")
@click.argument("process_id")
@as_option
@click.option("--next", "next_text", default=None, help="Next start, ISO 8601 with offset.")
@click.option("--period", default=None, help="ISO 8601 duration between starts, e.g. P1Y.")
@click.option("--off", is_flag=True, help="Switch the schedule off.")
@json_flag
@click.pass_context
@fail_cleanly
def schedule(ctx: click.Context, process_id: str, actor: str, next_text: str | None, period: str | None,
             off: bool, as_json: bool) -> None:
    """Change when a process next starts by itself (process_admin); a redeploy keeps it."""
    next_run_at = moment(next_text, "--next") if next_text else None
    with transaction(ctx) as session:
        record = records.schedule_record(schedules.configure(
            session, process_id=process_id, actor=actor, next_run_at=next_run_at, period=period, enabled=not off))
    echo(record, as_json, lambda r: f"{r['process_id']}: every {r['period']}, next {r['next_run_at'] or 'off'}")
