"""The nonconformity register page and the dashboard at scale, over HTTP: git HEAD's code beside the working tree's.

Run from the project root:

    .venv/bin/python benchmarks/register_bench.py [--size 5000] [--runs 15] [--no-pg] [--before REV]

On a temporary SQLite file, and on a throwaway PostgreSQL database created next to `test` when the
server answers (dropped afterwards), it raises a few dozen nonconformities through the engine in four
states (just raised, consequences evaluated, closed on time, closed late), copies them up to --size
with their steps, facts and dates spread over two years back (older open ones run overdue), serves
the web app with waitress on a loopback port, signs the auditor and the general manager in, and times
GET of each page (median over --runs, ms) twice: "before" with engine/read/nonconformities.py and the
register view as git revision --before has them (default HEAD; once issue 21 is committed, give the
commit before it: every nonconformity read, then filtered, counted and paged in Python, the dashboard
counting the whole register), "after" with the working tree's (SQL). Before timing a page it checks
that both give the same page. The revision is read with `git show`; the git state is left alone.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import SQLAlchemyError  # noqa: E402

from demo import users as demo_users  # noqa: E402
from engine import clock  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.db import Database  # noqa: E402
from engine.models import HumanTask, ProcessInstance  # noqa: E402
from engine.models.tasks import NO_DUE_DATE  # noqa: E402
from engine.read import dashboard, nonconformities  # noqa: E402
from engine.read.exports import nonconformity_exports  # noqa: E402
from benchmarks.web_client import signed_in  # noqa: E402
from engine.schema import migrate  # noqa: E402
from engine.services import deployments, evidence, instances, tasks  # noqa: E402
from tests.browser.live import serving  # noqa: E402
from webui.app import create_app  # noqa: E402

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PLANT = ZoneInfo("Asia/Shanghai")
TEMPLATES = 40  # raised through the engine; the rest are copies of them
SPREAD_DAYS = 730
TITLES = ("Kiln meter drift", "Boiler gas meter uncalibrated", "Missing calibration record", "Late monthly data")
CLAUSES = ("8.1.3", "8.1.2", "8.2.1", "6.3.2", "7.5.1", "9.2.3")
DEPARTMENTS = ("production", "energy", "quality")
EVIDENCE = evidence.Upload("record.pdf", b"%PDF-1.7 bench record", "application/pdf")


def forms_today() -> dict[str, tuple[str, dict[str, Any]]]:
    """Who completes each step of the corrective action, with valid data (dates as of today at the plant)."""
    today = clock.now().astimezone(PLANT).date().isoformat()
    return {
        "evaluate_consequences": ("li.carbon", {"consequences": "Data uncertain.", "immediate_handling": "Flagged."}),
        "analyse_cause": ("wang.prod", {
            "severity": "major", "root_cause": "No calibration plan.", "similar_checked": True, "similar_findings": "",
            "preventive_measures": "A calendar for every meter.", "corrective_plan": "Calibrate.",
            "owner": "zhao.staff", "correction_due": "2099-12-31"}),
        "implement_correction": ("zhao.staff", {"actions_taken": "Calibrated.", "completed_on": today,
                                                "evidence_description": "Certificate."}),
        "review_effectiveness": ("li.carbon", {"effective": True, "review_comment": "Stable."}),
        "close_nonconformity": ("li.carbon", {"closure_summary": "Done.", "records_complete": True}),
    }


# ---------------------------------------------------------------------------------------------
# The plant: templates through the engine, then copies


def setup(url: str) -> tuple[Database, dict[str, str]]:
    """A migrated database with processes/ deployed and the demo users; their passwords."""
    migrate(url)
    db = Database(url)
    with db.transaction() as session:
        created = demo_users.load_demo_users(session)
        deployments.deploy_directory(session, directory=ROOT / "processes", actor="bench")
    return db, {user.username: user.password for user in created}


def raise_templates(db: Database) -> list[int]:
    """TEMPLATES nonconformities: a quarter just raised, evaluated, closed on time, closed a week late."""
    steps = forms_today()
    today = clock.now().astimezone(PLANT).date().isoformat()
    ids = []
    for n in range(TEMPLATES):
        with db.transaction() as session:
            ids.append(instances.start(session, process_id="corrective_action", actor="zhao.staff",
                                       business_key=f"NC-T{n:03d}", data={
                                           "title": TITLES[n % 4], "description": "Found on the round.",
                                           "source": "raised_by_hand", "clause": "8.1.3",
                                           "department": "production", "detected_on": today}).id)
        walk = {0: [], 1: ["evaluate_consequences"]}.get(n % 4, list(steps))
        with clock.frozen_at(clock.now() + timedelta(days=10) if n % 4 == 3 else None):  # past the first due time
            for name in walk:
                complete(db, ids[-1], name, *steps[name])
    return ids


def complete(db: Database, instance_id: int, name: str, actor: str, data: dict[str, Any]) -> None:
    with db.transaction() as session:
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                       HumanTask.status == "ready")).one()
        assert task.name == name, (task.name, name)
        tasks.complete(session, task_id=task.id, actor=actor, data=data,
                       evidence_files=[EVIDENCE] if task.evidence_required else [])


def copy_up_to(db: Database, templates: list[int], size: int) -> None:
    """Copies of the templates, with their steps, until there are ``size``: raised 0 to SPREAD_DAYS days ago."""
    with db.reading() as session:
        originals = {i.id: i for i in session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(templates)))}
        steps: dict[int, list[HumanTask]] = {}
        for task in session.scalars(select(HumanTask).where(HumanTask.instance_id.in_(templates))):
            steps.setdefault(task.instance_id, []).append(task)
    for start in range(0, size - len(templates), 500):
        with db.transaction() as session:
            for k in range(start + len(templates), min(start + 500 + len(templates), size)):
                original = originals[templates[k % len(templates)]]
                back = timedelta(days=(k * SPREAD_DAYS) // size, minutes=k)
                copy = _copied(original, k, back)
                session.add(copy)
                session.flush()
                session.add_all(_copied_step(task, copy.id, back) for task in steps.get(original.id, []))


def _copied(original: ProcessInstance, k: int, back: timedelta) -> ProcessInstance:
    data = dict(original.data, title=f"{TITLES[k % 4]} {k}", clause=CLAUSES[k % len(CLAUSES)],
                department=DEPARTMENTS[k % 3], detected_on=(original.started_at - back).date().isoformat())
    if "severity" in data:
        data["severity"] = nonconformities.SEVERITIES[k % 3]
    return ProcessInstance(
        definition_id=original.definition_id, process_id=original.process_id, business_key=f"NC-{k:05d}",
        title=data["title"], status=original.status, state_json=original.state_json, data=data,
        started_by=original.started_by, started_at=original.started_at - back, updated_at=original.updated_at - back,
        ended_at=original.ended_at and original.ended_at - back, next_timer_at=original.next_timer_at and
        original.next_timer_at - back)


def _copied_step(task: HumanTask, instance_id: int, back: timedelta) -> HumanTask:
    moved = {name: getattr(task, name) and getattr(task, name) - back
             for name in ("due_at", "created_at", "completed_at", "reminded_at", "overdue_notified_at")}
    kept = {name: getattr(task, name) for name in (
        "process_id", "name", "title", "title_en", "role", "candidate_user", "candidate_department", "excluded_users",
        "excluded_department", "evidence_required", "signature", "assignee", "form_key", "clauses", "documentation",
        "priority", "status", "completed_by", "submitted_data", "prefill")}
    return HumanTask(instance_id=instance_id, spiff_task_id=str(uuid.uuid4()), **kept, **moved,
                     sort_due_at=task.sort_due_at if task.sort_due_at == NO_DUE_DATE else task.sort_due_at - back)


# ---------------------------------------------------------------------------------------------
# Before and after


def old_module(revision: str, path: str, name: str) -> ModuleType:
    """A module as a git revision has it (read with `git show`), imported under another name."""
    source = subprocess.run(["git", "show", f"{revision}:{path}"], cwd=ROOT, check=True, capture_output=True,
                            text=True).stdout
    module = ModuleType(name)
    module.__file__ = f"{revision}:{path}"
    sys.modules[name] = module  # dataclasses look their module up while the class is made
    exec(compile(source, module.__file__, "exec"), module.__dict__)  # noqa: S102
    return module


class Code:
    """Switches the served app between an older revision's register code and the working tree's."""

    def __init__(self, app: Any, revision: str):
        self.app = app
        self.after_view = app.view_functions["audit.register"]
        self.old = old_module(revision, "engine/read/nonconformities.py", "old_nonconformities")
        view = old_module(revision, "webui/audit.py", "old_audit")
        view.nonconformities, view.NonconformityFilter = self.old, self.old.NonconformityFilter
        self.before_view = view.register

    def before(self) -> None:
        self.app.view_functions["audit.register"] = self.before_view
        dashboard.nonconformities = SimpleNamespace(open_figures=self._old_figures)
        nonconformity_exports.nonconformities = self.old

    def after(self) -> None:
        self.app.view_functions["audit.register"] = self.after_view
        dashboard.nonconformities = nonconformities
        nonconformity_exports.nonconformities = nonconformities

    def _old_figures(self, session: Any, *, now: datetime) -> nonconformities.OpenFigures:
        """The old dashboard's way: the whole register read, its open rows counted in Python."""
        opened = [nc for nc in self.old.register(session, now=now) if nc.is_open]
        return nonconformities.OpenFigures(len(opened), sum(nc.status == "overdue" for nc in opened),
                                           Counter(nc.age_days for nc in opened), Counter(nc.severity for nc in opened))


def fetch(opener: urllib.request.OpenerDirector, url: str) -> str:
    with opener.open(url, timeout=120) as response:
        assert response.status == 200, url
        return response.read().decode("utf-8-sig")


def comparable(page: str) -> str:
    """A page without what differs from one request to the next (tokens, nonces, the export's moment)."""
    page = re.sub(r'(csrf_token" value|nonce)="[^"]*"', "", page)
    return "\n".join(line for line in page.splitlines() if not line.startswith("# "))


def median_ms(work: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(db: Database, passwords: dict[str, str], options: argparse.Namespace,
            data_dir: Path) -> list[tuple[str, float, float]]:
    """(page, before ms, after ms) for each page, after checking both codes give the same page."""
    settings = Settings(database_url=db.url, processes_dir=ROOT / "processes", data_dir=data_dir,
                        secret_key="bench", secure_cookies=False)
    app = create_app(settings, db=db)
    code, runs = Code(app, options.before), options.runs
    year = clock.now().astimezone(PLANT).year
    with db.reading() as session:
        last = -(-nonconformities.counts(session, where=nonconformities.NonconformityFilter()).matching // 50)
    with serving(app) as base:
        verifier = signed_in(base, "he.verifier", passwords["he.verifier"])
        gm = signed_in(base, "zhang.gm", passwords["zhang.gm"])
        pages = [("sign-in page (yardstick: no register)", urllib.request.build_opener(), "/sign-in", runs),
                 ("register, first page", verifier, "/audit/nonconformities", runs),
                 ("register, overdue", verifier, "/audit/nonconformities?status=overdue", runs),
                 ("register, clause 8.1 + search", verifier, "/audit/nonconformities?clause=8.1&q=meter", runs),
                 ("register, this year, closed", verifier, f"/audit/nonconformities?from={year}-01-01&status=closed",
                  runs),
                 (f"register, last page ({last})", verifier, f"/audit/nonconformities?page={last}", runs),
                 ("dashboard (the plant)", gm, "/dashboard", runs),
                 ("register CSV export (every row)", verifier, "/audit/export/nonconformities.csv?lang=en",
                  max(runs // 3, 3))]
        rows = []
        for name, opener, path, n in pages:
            url = base + path
            code.before()
            before_page = comparable(fetch(opener, url))
            before = median_ms(lambda: fetch(opener, url), n)  # noqa: B023
            code.after()
            assert comparable(fetch(opener, url)) == before_page, f"{name}: the two codes give different pages"
            rows.append((name, before, median_ms(lambda: fetch(opener, url), n)))  # noqa: B023
    return rows


# ---------------------------------------------------------------------------------------------
# Backends


@contextmanager
def sqlite_url(directory: Path) -> Iterator[str]:
    yield f"sqlite:///{directory / 'bench.db'}"


@contextmanager
def postgres_url(admin_url: str) -> Iterator[str | None]:
    """A throwaway database next to the admin URL's, dropped afterwards; None when the server does not answer."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    name = f"cf_register_bench_{os.getpid()}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except SQLAlchemyError as exc:
        admin.dispose()
        print(f"PostgreSQL skipped: {str(getattr(exc, 'orig', None) or exc).strip().splitlines()[0]}")
        yield None
        return
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(url: str, options: argparse.Namespace,
        data_dir: Path) -> tuple[str, Counter[str], list[tuple[str, float, float]]]:
    db, passwords = setup(url)
    try:
        started = time.perf_counter()
        copy_up_to(db, raise_templates(db), options.size)
        print(f"  {db.engine.dialect.name}: {options.size} nonconformities made in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
        with db.reading() as session:
            assert session.scalar(select(func.count()).select_from(ProcessInstance)) == options.size
            states = Counter(nc.status for nc in nonconformities.register(session))
            version = session.scalar(text("select sqlite_version()" if db.is_sqlite else "show server_version"))
        name = f"{'SQLite' if db.is_sqlite else 'PostgreSQL'} {str(version).split()[0]}"
        return name, states, measure(db, passwords, options, data_dir)
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    parser.add_argument("--before", default="HEAD", help="git revision whose register code is 'before'")
    options = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as directory:
        with sqlite_url(Path(directory)) as url:
            results.append(run(url, options, Path(directory)))
        if not options.no_pg:
            with postgres_url(options.pg_admin_url) as url:
                if url is not None:
                    results.append(run(url, options, Path(directory)))
    print(f"\nNonconformity register and dashboard over HTTP, {options.size} nonconformities "
          f"(Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}); "
          f"median ms of {options.runs} GETs (export: of {max(options.runs // 3, 3)})")
    for name, states, rows in results:
        print(f"\n{name} — " + ", ".join(f"{status} {n}" for status, n in sorted(states.items())))
        width = max(len(row[0]) for row in rows)
        before_head = f"before ({options.before})"
        print(f"{'page':<{width}}  {before_head:>13}  {'after (SQL)':>11}  {'speed-up':>8}")
        for page, before, after in rows:
            print(f"{page:<{width}}  {before:{max(len(before_head), 13)}.1f}  {after:11.1f}  {before / after:7.1f}×")


if __name__ == "__main__":
    main()
