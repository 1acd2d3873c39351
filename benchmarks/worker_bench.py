"""CarbonFlow worker benchmark: how many due timers per second `carbonflow worker` fires.

Run from the project root:

    .venv/bin/python benchmarks/worker_bench.py [--quick] [--json] [--no-pg] [--no-redis]

Each run gets a fresh database (migrated, seeded like tests/factories.py, processes/ deployed)
holding N corrective actions waiting at implement_correction with yesterday as the correction
due date, so every boundary timer "correction overdue" is due now. The setup's own background
work (new-task notifications, overdue reminders) is done before the clock starts. Then real
worker processes (`python -m cli worker --threads 2`, a tick every 0.2 s) run until every
instance has fired its timer, and are stopped with SIGTERM.

Runs: SQLite (WAL) with one worker; PostgreSQL with one worker and with two (two through Redis and two with
in-process brokers when Redis answers), each on a copy of one seeded throwaway database (CREATE DATABASE …
TEMPLATE), all dropped afterwards (skipped, with a note, when the server does not answer). The workers share a
Redis queue (database 13, which must be empty) when Redis answers; otherwise each has its own in-process broker
and ticker, which works because firing a timer twice has its effect once. Lateness: every timer is due when
the workers start, so a timer's lateness is the time from the workers' start to its fire (p95 shown).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from engine_bench import PG_ADMIN_URL, progress, table
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from engine import clock
from engine.background import (
    handlers,  # noqa: F401 - registers the job handlers settle_setup_work runs
)
from engine.db import Database
from engine.models import AuditEvent, HumanTask, ProcessInstance
from engine.schema import migrate
from engine.services import instances, jobs, notifications, tasks

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests/ is not installed; its factories seed the database
from tests import factories  # noqa: E402

# Not 15: .ci/run runs the background tests through that one, and two users of one queue take
# each other's messages.
REDIS_URL = "redis://127.0.0.1:6379/13"
THREADS = 2
TICK_SECONDS = 0.2
POLL_SECONDS = 0.1
FULL_COUNT, QUICK_COUNT = 500, 100


@dataclass(frozen=True)
class Result:
    """One run: the workers' setting and how long they took to fire every timer."""

    backend: str
    workers: int
    broker: str
    timers: int
    seconds: float  # worker start -> last timer fired
    lateness_p95: float  # seconds from worker start (every timer already due) to the fire, 95th percentile
    startup_seconds: float  # worker start -> first timer fired
    setup_seconds: float
    fired_once_each: bool
    follow_ups: int  # instances now at follow_up_overdue, as the timer should leave them
    errors: tuple[str, ...]  # instances the sweep put in error, and why

    @property
    def ok(self) -> bool:
        """Every timer fired once, took its instance to follow_up_overdue, and none failed."""
        return self.fired_once_each and self.follow_ups == self.timers and not self.errors

    @property
    def rate(self) -> float:
        """Timers per second from worker start."""
        return self.timers / self.seconds

    @property
    def firing_rate(self) -> float:
        """Timers per second between the first and the last fire (worker start-up left out)."""
        return (self.timers - 1) / max(self.seconds - self.startup_seconds, 1e-9)


# ---------------------------------------------------------------------------------------------
# Setup: a database full of due timers


def prepare(url: str, count: int) -> float:
    """Migrate and seed a fresh database and leave `count` overdue corrections in it; seconds taken."""
    started = time.perf_counter()
    migrate(url)
    db = Database(url)
    try:
        factories.seed(db)
        for number in range(count):
            start_overdue_correction(db, number)
        settle_setup_work(db)
    finally:
        db.dispose()
    return time.perf_counter() - started


def start_overdue_correction(db: Database, number: int) -> int:
    """One corrective action taken to implement_correction with yesterday as its due date."""
    # Completing analyse_cause advances the workflow, which fires a boundary timer already due on
    # the spot; done two days ago (engine clock pinned), the timer is left waiting and is due now.
    with db.transaction() as session, clock.frozen_at(clock.now() - timedelta(days=2)):
        instance_id = instances.start(session, process_id="corrective_action", actor="staff_prod",
                                      business_key=f"NC-{number:05d}", data=factories.raise_data()).id
        complete_open(session, instance_id, "evaluate_consequences", "body",
                      factories.FORM_DATA["evaluate_consequences"])
        # analyse_cause takes any due date (follow-ups refuse past ones).
        complete_open(session, instance_id, "analyse_cause", "head_prod",
                      factories.analyse_data(correction_due=factories.days_ahead(-1)))
        return instance_id


def complete_open(session: Session, instance_id: int, name: str, actor: str, data: dict[str, Any]) -> None:
    """Complete the instance's open task of this name, in the caller's transaction."""
    task = session.scalar(select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.name == name,
                                                  HumanTask.status == "ready"))
    assert task is not None, f"no open task {name} in instance {instance_id}"
    tasks.complete(session, task_id=task.id, actor=actor, data=data,
                   evidence_files=[factories.EVIDENCE] if task.evidence_required else [])


def settle_setup_work(db: Database) -> None:
    """Run the setup's notification jobs and overdue reminders, so the workers find only the timers."""
    while due := jobs.dispatchable(db):
        for job_id in due:
            jobs.run(db, job_id)
    while notifications.remind(db):
        pass


# ---------------------------------------------------------------------------------------------
# The workers


def start_workers(url: str, count: int, broker_url: str | None, logs: Path) -> list[subprocess.Popen[bytes]]:
    """`count` worker processes on the database, each logging to its own file."""
    env = {**os.environ, "DATABASE_URL": url, "CARBONFLOW_TICK_SECONDS": str(TICK_SECONDS)}
    env.pop("BROKER_URL", None)
    if broker_url:
        env["BROKER_URL"] = broker_url
    command = [sys.executable, "-m", "cli", "worker", "--threads", str(THREADS)]
    return [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                             stderr=(logs / f"worker{n}.log").open("wb"))
            for n in range(count)]


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM every worker, then wait for each (kill one that does not stop within 60 s)."""
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def fired_count(db: Database) -> int:
    """Timer fires recorded so far (one audit event each)."""
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "timer_fired")) or 0


def wait_for_fires(db: Database, count: int, workers: list[subprocess.Popen[bytes]], timeout: float,
                   logs: Path) -> None:
    """Poll until `count` timers have fired; fail if a worker exits or time runs out."""
    deadline = time.monotonic() + timeout
    while fired_count(db) < count:
        if dead := [w for w in workers if w.poll() is not None]:
            raise RuntimeError(f"worker exited with {dead[0].returncode}:\n{log_tail(logs)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {fired_count(db)} of {count} timers fired in {timeout:.0f} s:\n"
                               f"{log_tail(logs)}")
        time.sleep(POLL_SECONDS)


def log_tail(logs: Path, lines: int = 20) -> str:
    """The last lines of every worker log, for an error message."""
    return "\n".join(f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
                     for log in sorted(logs.glob("worker*.log")))


# ---------------------------------------------------------------------------------------------
# One run


def measure(backend: str, url: str, workers: int, broker_url: str | None, count: int, timeout: float,
            setup_seconds: float | None = None) -> Result:
    """Set up a fresh database at `url` (or take it as set up, `setup_seconds` ago), run the workers on it until
    every timer fired, and check."""
    if setup_seconds is None:
        progress(f"{backend}, {workers} worker(s): setting up {count} due timers")
        setup_seconds = prepare(url, count)
    db = Database(url)
    try:
        with tempfile.TemporaryDirectory(prefix="cf_worker_logs_") as logs:
            progress(f"{backend}, {workers} worker(s): firing")
            started_at = run_workers(db, url, workers, broker_url, count, timeout, Path(logs))
            first, last = fire_window(db)
            result = Result(backend=backend, workers=workers, broker="Redis" if broker_url else "in-process",
                            timers=count, seconds=(last - started_at).total_seconds(),
                            lateness_p95=lateness_p95(db, started_at),
                            startup_seconds=(first - started_at).total_seconds(), setup_seconds=setup_seconds,
                            fired_once_each=fired_count(db) == count, follow_ups=follow_ups(db),
                            errors=error_messages(db))
            if not result.ok:
                progress(f"check failed; the workers' logs end:\n{log_tail(Path(logs))}")
        return result
    finally:
        db.dispose()


def run_workers(db: Database, url: str, workers: int, broker_url: str | None, count: int, timeout: float,
                logs: Path) -> datetime:
    """Start the workers, wait until `count` timers fired, stop them; when they were started."""
    if broker_url:
        flush_queue(broker_url)  # no messages left over from an earlier run
    started_at = datetime.now(timezone.utc)
    running = start_workers(url, workers, broker_url, logs)
    try:
        wait_for_fires(db, count, running, timeout, logs)
    finally:
        stop_workers(running)
        if broker_url:
            flush_queue(broker_url)  # nor any left behind for the next
    return started_at


def fire_window(db: Database) -> tuple[datetime, datetime]:
    """When the first and the last timer fired: the audit events' wall-clock times, taken in each
    fire's transaction after the workflow moved, a few milliseconds before it commits."""
    with db.reading() as session:
        first, last = session.execute(select(func.min(AuditEvent.at), func.max(AuditEvent.at))
                                      .where(AuditEvent.action == "timer_fired")).one()
    return first, last


def lateness_p95(db: Database, started_at: datetime) -> float:
    """Seconds from the workers' start (when every timer was already due) to a timer's fire: the 95th percentile."""
    with db.reading() as session:
        fired = sorted(session.scalars(select(AuditEvent.at).where(AuditEvent.action == "timer_fired")))
    if not fired:
        return float("nan")
    return (fired[min(len(fired) - 1, round(len(fired) * 0.95) - 1)] - started_at).total_seconds()


def follow_ups(db: Database) -> int:
    """Instances whose timer took them to follow_up_overdue."""
    with db.reading() as session:
        return session.scalar(select(func.count(func.distinct(HumanTask.instance_id))).where(
            HumanTask.name == "follow_up_overdue", HumanTask.status == "ready")) or 0


def error_messages(db: Database) -> tuple[str, ...]:
    """Why instances are in error (a timer the sweep could not fire), one line per instance."""
    with db.reading() as session:
        return tuple(f"instance {instance_id}: {message}" for instance_id, message in session.execute(
            select(ProcessInstance.id, ProcessInstance.error_message)
            .where(ProcessInstance.status == "error").order_by(ProcessInstance.id)))


# ---------------------------------------------------------------------------------------------
# Databases and broker


def sqlite_url(directory: Path) -> str:
    """A SQLite file in a temporary directory (engine/db.py puts it in WAL mode)."""
    return f"sqlite:///{directory / 'worker_bench.db'}"


@contextmanager
def postgres_url(admin_url: str, name: str, template: str | None = None) -> Iterator[str]:
    """A throwaway PostgreSQL database next to the admin one (a copy of ``template`` if named), dropped afterwards."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as connection:
            copy = f' TEMPLATE "{template}"' if template else ""
            connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def postgres_version(admin_url: str) -> str:
    """The server's version ("15.20"); raises SQLAlchemyError when it does not answer."""
    admin = create_engine(admin_url, connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar()).split()[0]
    finally:
        admin.dispose()


def redis_unusable(url: str) -> str | None:
    """None when Redis answers at `url` with an empty database (ours alone), else why not."""
    import redis
    try:
        keys = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).dbsize()
    except redis.RedisError as exc:
        return str(exc).rstrip(".")
    return f"database holds {keys} keys (someone else's queue?)" if keys else None


def flush_queue(url: str) -> None:
    """Drop dramatiq's keys (every queue, whatever the workers name them) from that Redis database."""
    import redis
    client = redis.Redis.from_url(url)
    for key in client.scan_iter("dramatiq:*"):
        client.delete(key)
    client.close()


# ---------------------------------------------------------------------------------------------
# Output


def render(results: dict[str, Any]) -> str:
    """The results as a table, a check line per run and the notes."""
    rows = [[r["backend"], r["workers"], r["broker"], r["timers"], r["seconds"], r["timers_per_s"],
             r["startup_seconds"], r["firing_timers_per_s"], r["lateness_p95"], r["setup_seconds"]]
            for r in results["runs"]]
    out = [f"CarbonFlow worker benchmark ({results['mode']}; Python {sys.version.split()[0]}, "
           f"{os.cpu_count()} CPUs, {results['seconds']:.0f} s)", "",
           f"Due timers fired by `carbonflow worker --threads {THREADS}` processes "
           f"(tick {TICK_SECONDS:g} s), from worker start to the last fire",
           table(["backend", "workers", "broker", "timers", "seconds", "timers/s", "first fire s",
                  "timers/s after first", "lateness p95 s", "setup s"], rows)]
    for r in results["runs"]:
        verdict = "checked" if r["ok"] else (f"FAILED (fired once each: {r['fired_once_each']}, "
                                             f"follow-ups {r['follow_ups']}, in error {len(r['errors'])})")
        out.append(f"   {r['backend']}, {r['workers']} worker(s): every timer fired once and left its "
                   f"instance at follow_up_overdue: {verdict}")
        out += [f"      {error}" for error in r["errors"][:5]]
    out += [""] + [f"note: {note}" for note in results["notes"]]
    return "\n".join(out)


def as_record(result: Result) -> dict[str, Any]:
    """A result as JSON-ready values, with its rates."""
    return {**asdict(result), "ok": result.ok, "timers_per_s": result.rate, "firing_timers_per_s": result.firing_rate}


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    count = options.timers or (QUICK_COUNT if options.quick else FULL_COUNT)
    started = time.perf_counter()
    notes: list[str] = []
    broker_url = choose_broker(options, notes)
    runs: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="cf_worker_bench_") as tmp:
        runs.append(measure("SQLite (WAL)", sqlite_url(Path(tmp)), 1, broker_url, count, options.timeout))
    runs += postgres_runs(options, broker_url, count, notes)
    notes.append("seconds: from spawning the workers to the last timer fired (its audit event); first fire s: "
                 "to the first (interpreter and engine start-up, first tick); timers/s after first: between "
                 "the first and the last fire")
    notes.append("setup (not timed): migrate, seed, start and drive the instances, then run the "
                 "setup's notification jobs and reminders so the workers find only the timers")
    results = {"mode": "quick" if options.quick else "full", "runs": [as_record(r) for r in runs],
               "notes": notes, "seconds": time.perf_counter() - started}
    print(json.dumps(results, indent=2, default=str) if options.json else render(results))
    return 0 if all(r.ok for r in runs) else 1


def choose_broker(options: argparse.Namespace, notes: list[str]) -> str | None:
    """The Redis URL when Redis answers with an empty database (and is wanted), else None: in-process."""
    why_not = "not requested (--no-redis)" if options.no_redis else redis_unusable(options.redis_url)
    if why_not is None:
        notes.append(f"broker: Redis at {options.redis_url}; the workers share one queue")
        return str(options.redis_url)
    notes.append(f"broker: in-process, Redis {why_not}; each worker has its own queue and ticker, "
                 "and a timer fired twice takes effect once")
    return None


def postgres_runs(options: argparse.Namespace, broker_url: str | None, count: int, notes: list[str]) -> list[Result]:
    """One and two workers, each on a fresh throwaway database; none with a note if PostgreSQL is away."""
    if options.no_pg:
        notes.append("PostgreSQL not requested (--no-pg); its rows are skipped")
        return []
    try:
        label = f"PostgreSQL {postgres_version(options.pg_admin_url)}"
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        notes.append(f"PostgreSQL unavailable at {options.pg_admin_url}: {reason}; its rows are skipped")
        return []
    runs = []
    # Set up once, then each run gets a copy (CREATE DATABASE … TEMPLATE): 10,000 timers take minutes to set up.
    with postgres_url(options.pg_admin_url, f"cf_worker_bench_{os.getpid()}_seed") as seed_url:
        progress(f"{label}: setting up {count} due timers (copied for each run)")
        setup_seconds = prepare(seed_url, count)
        seed = make_url(seed_url).database
        brokers = [broker_url] if broker_url is None else [broker_url, None]
        for workers, broker in [(1, broker_url), *((2, b) for b in brokers)]:
            with postgres_url(options.pg_admin_url, f"cf_worker_bench_{os.getpid()}_{workers}_{bool(broker)}",
                              template=seed) as url:
                runs.append(measure(label, url, workers, broker, count, options.timeout, setup_seconds))
    return runs


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_COUNT} timers instead of {FULL_COUNT}")
    parser.add_argument("--timers", type=int, default=None, help="how many due timers (overrides --quick)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead")
    parser.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--no-redis", action="store_true", help="in-process brokers even if Redis answers")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL,
                        help="database to connect to for creating the throwaway ones (default: %(default)s)")
    parser.add_argument("--redis-url", default=REDIS_URL,
                        help="an empty Redis database for the shared queue (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the fires of one run")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
