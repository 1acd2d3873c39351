"""Commands for background work: one sweep (cron), the worker, incidents, and a job's retry or cancel."""
from __future__ import annotations

import signal
import subprocess
import sys
import threading
from datetime import datetime

import click

from cli.base import RecordId, echo, fail_cleanly, json_flag, moment, reading, transaction
from engine import clock
from engine.background import handlers  # noqa: F401 - registers the job handlers a sweep runs
from engine.errors import NotFound, NotPermitted
from engine.models import Job
from engine.read import records
from engine.services import audit, jobs, notifications, schedules, timers, users


@click.command("fire-timers")
@click.option("--now", "now_text", default=None, help="ISO 8601 time to fire for (default: now).")
@click.option("--as", "actor", default=None, metavar="USER",
              help="The process_admin who looks ahead (a --now later than now fires timers early).")
@json_flag
@click.pass_context
@fail_cleanly
def fire_timers(ctx: click.Context, now_text: str | None, actor: str | None, as_json: bool) -> None:
    """Run one sweep: fire due timers, start due schedules, send reminders, run queued jobs."""
    now = moment(now_text, "--now") if now_text else None
    ahead = now if now is not None and now > clock.now() else None
    if ahead is not None or actor is not None:
        _look_ahead(ctx, actor, ahead)
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
    echo(result, as_json, lambda r: "\n".join(
        [f"instance {f['instance_id']}: {f['timer']} (due {f['due_at']})" for f in r["fired"]]
        + [f"started instance {i} on its schedule" for i in r["scheduled_starts"]]
        + ([f"{r['reminders']} reminders sent"] if r["reminders"] else [])
        + ([f"{len(r['jobs'])} background jobs run"] if r["jobs"] else [])) or "nothing due")


def _look_ahead(ctx: click.Context, actor: str | None, ahead: datetime | None) -> None:
    """What is due is the system's to do; firing timers before they are due is a process_admin's decision, recorded."""
    if actor is None:
        raise NotPermitted("--now is later than now: only a process_admin may fire timers before they are due")
    with transaction(ctx) as session:
        users.require_admin(session, actor, "fire timers ahead of the clock")
        if ahead is not None:
            audit.record(session, action="look_ahead", actor=actor, data={"now": ahead.isoformat()})


@click.command("worker")
@click.option("--threads", default=2, show_default=True, help="Worker threads per process.")
@click.option("--processes", default=1, show_default=True, help="Worker processes (each with its own threads).")
@click.pass_context
@fail_cleanly
def worker(ctx: click.Context, threads: int, processes: int) -> None:
    """Run background work (timers, schedules, reminders, jobs) until stopped; BROKER_URL shares it out."""
    # The broker and its threads: imported by this command only, so that a sweep from cron stays light.
    from engine.background.worker import Background

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
    children = [subprocess.Popen([sys.executable, "-P", "-m", "cli", "worker", "--threads", str(threads)])
                for _ in range(count)]

    def stop(*_: object) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    for child in children:
        child.wait()


@click.command("incidents")
@json_flag
@click.pass_context
@fail_cleanly
def incidents(ctx: click.Context, as_json: bool) -> None:
    """Failed background jobs and instances in error, for an admin to fix and retry."""
    with reading(ctx) as session:
        rows = jobs.incidents(session)
    echo(rows, as_json, lambda rs: "\n".join(
        f"{r['type']:<8} instance {r['instance_id'] or '-'} {r.get('kind') or r.get('process_id')}: {r['error']}"
        for r in rs) or "no incidents")


@click.command("job")
@click.argument("job_id", type=RecordId("job"))
@click.option("--retry", "retry_it", is_flag=True, help="Run a failed job again after a fix.")
@click.option("--cancel", "cancel_reason", default=None, metavar="REASON", help="Dismiss a failed job.")
@click.option("--as", "actor", default=None, metavar="USER", help="The process_admin who retries or cancels.")
@json_flag
@click.pass_context
@fail_cleanly
def job(ctx: click.Context, job_id: int, retry_it: bool, cancel_reason: str | None, actor: str | None,
        as_json: bool) -> None:
    """Show a background job; a process_admin may retry a failed one or cancel it."""
    if (retry_it or cancel_reason) and not actor:
        raise click.UsageError("--retry and --cancel need --as USER")
    with transaction(ctx) as session:
        if retry_it:
            jobs.retry_failed(session, actor=actor or "", job_id=job_id)
        elif cancel_reason:
            jobs.cancel(session, job_id=job_id, actor=actor or "", reason=cancel_reason)
        row = session.get(Job, job_id)
        if row is None:
            raise NotFound(f"no job {job_id}")
        record = records.job_record(row)
    echo(record, as_json, lambda r: f"job {r['id']} {r['kind']} [{r['status']}] attempts {r['attempts']}"
                                    + (f": {r['error']}" if r["error"] else ""))
