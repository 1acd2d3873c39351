"""The pages and endpoints people use, timed over HTTP with 10,000 and 100,000 open tasks, on SQLite and PostgreSQL.

Run from the project root:

    .venv/bin/python benchmarks/scale_bench.py [--runs 20] [--sizes 10000,100000] [--no-postgres]

Each backend gets a new database: demo users, processes/ deployed, then open tasks bulk-inserted as
benchmarks/engine_bench.py seeds them (spread over roles, departments, assignees and due times). The web
app is served by waitress on a loopback port; each page is fetched --runs times by a signed-in user (median
and p95 of the whole request, ms). Two yardsticks in the same run: the sign-in page (no database read) and
`SELECT 1` in a fresh session. Targets (issue 21): p95 < 100 ms on SQLite, < 50 ms on PostgreSQL, and flat
(within 2×) from 10,000 to 100,000 open tasks.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks.engine_bench import EVIDENCE, LOOP, PG_ADMIN_URL, START_DATA, form_for, seed_open_tasks  # noqa: E402
from demo import users as demo_users  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.db import Database  # noqa: E402
from engine.models import HumanTask  # noqa: E402
from engine.schema import migrate  # noqa: E402
from engine.services import deployments, instances, tasks  # noqa: E402
from tests.browser.live import serving  # noqa: E402
from webui.app import create_app  # noqa: E402
from benchmarks.web_client import api_token, signed_in  # noqa: E402

OVERSEER, STAFF = "li.carbon", "zhao.staff"


def _timed(fetch: Any, runs: int) -> tuple[float, float]:
    """Median and p95 (ms) of ``runs`` calls, after one untimed warm-up."""
    fetch()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fetch()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(len(times) * 0.95) - 1)]


def _get(opener: urllib.request.OpenerDirector, url: str) -> str:
    with opener.open(url) as response:
        assert response.status == 200, url
        return response.read().decode()


def _page_40(opener: urllib.request.OpenerDirector, base: str, path: str) -> str:
    """The address of the 40th page of an inbox tab, reached by following its Next links."""
    url = base + path
    for _ in range(39):
        found = re.search(r'<a href="([^"]+)" rel="next">', _get(opener, url))
        if not found:
            break
        url = base + found.group(1).replace("&amp;", "&")
    return url


@contextmanager
def _database(kind: str, directory: Path) -> Iterator[tuple[str, str] | str]:
    """(label, url) of a new migrated database, or why PostgreSQL is unavailable."""
    if kind == "sqlite":
        url = f"sqlite:///{directory / 'scale.db'}"
        migrate(url)
        yield "SQLite (WAL)", url
        return
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    name = f"cf_scale_{os.getpid()}"
    try:
        with admin.connect() as connection:
            version = connection.execute(text("SHOW server_version")).scalar()
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to reach it means: not measured
        yield f"PostgreSQL unavailable at {PG_ADMIN_URL}: {str(exc).splitlines()[0]}"
        return
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        yield f"PostgreSQL {str(version).split()[0]}", url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _long_instance(db: Database, loops: int) -> int:
    """A corrective action taken ``loops`` times round its not-effective loop: 1 + 3 × loops completed steps."""
    with db.transaction() as session:
        instance_id = instances.start(session, process_id="corrective_action", actor="zhao.staff",
                                      data=START_DATA).id
    for name in ("evaluate_consequences", *LOOP * loops):
        with db.transaction() as session:
            (task,) = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                              HumanTask.status == "ready")).all()
            assert task.name == name, (task.name, name)
            actor, data = form_for(name, effective=False)
            tasks.complete(session, task_id=task.id, actor=actor, data=data,
                           evidence_files=[EVIDENCE] if task.evidence_required else [])
    return instance_id


def _measure(label: str, url: str, directory: Path, sizes: list[int], runs: int) -> list[list[Any]]:
    db = Database(url)
    with db.transaction() as session:
        passwords = {u.username: u.password for u in demo_users.load_demo_users(session)}
        deployments.deploy_directory(session, directory=ROOT / "processes", actor="admin")
    settings = Settings(database_url=url, processes_dir=ROOT / "processes", data_dir=directory,
                        secret_key="bench", secure_cookies=False)
    long_instance = _long_instance(db, 67)  # 202 completed steps
    rows: list[list[Any]] = []
    rng, seeded = random.Random(42), 0
    with serving(create_app(settings, db=db)) as base:
        overseer, staff = signed_in(base, OVERSEER, passwords[OVERSEER]), signed_in(base, STAFF, passwords[STAFF])
        api = urllib.request.build_opener()
        api.addheaders = [("Authorization", f"Bearer {api_token(base, STAFF, passwords[STAFF])}")]
        anonymous = urllib.request.build_opener()
        for size in sizes:
            seed_open_tasks(SimpleNamespace(db=db), seeded, size - seeded, rng)  # type: ignore[arg-type]
            seeded = size

            def select_one() -> None:
                with db.reading() as session:
                    session.execute(text("SELECT 1")).scalar()
            checks: list[tuple[str, Any]] = [
                ("SELECT 1 (fresh session)", select_one),
                ("GET /sign-in (no database)", lambda: _get(anonymous, base + "/sign-in"))]
            for tab in ("all", "mine", "candidate", "overdue"):
                checks.append((f"GET /inbox?tab={tab} (staff)", lambda t=tab: _get(staff, f"{base}/inbox?tab={t}")))
            deep = _page_40(staff, base, "/inbox?tab=candidate")
            checks += [
                ("inbox page 40 (staff)", lambda: _get(staff, deep)),
                ("inbox, filter matching nothing", lambda: _get(staff, f"{base}/inbox?process=no_such_process")),
                ("inbox search 'close' (staff)", lambda: _get(staff, f"{base}/inbox?q=close")),
                ("inbox search, no match (staff)", lambda: _get(staff, f"{base}/inbox?q=zzzz-none")),
                ("GET /api/v1/tasks (staff)", lambda: _get(api, f"{base}/api/v1/tasks")),
                ("GET /dashboard (staff)", lambda: _get(staff, f"{base}/dashboard")),
                ("GET /dashboard (overseer)", lambda: _get(overseer, f"{base}/dashboard")),
                ("GET /work (overseer)", lambda: _get(overseer, f"{base}/work")),
                ("instance page, 202 steps (overseer)", lambda: _get(overseer, f"{base}/instances/{long_instance}")),
                ("register (overseer)", lambda: _get(overseer, f"{base}/audit/nonconformities")),
                ("records by clause (overseer)", lambda: _get(overseer, f"{base}/audit/records")),
            ]
            for name, fetch in checks:
                median, p95 = _timed(fetch, runs)
                rows.append([label, size, name, median, p95])
            print(f"  {label}: {size:,} open tasks measured", file=sys.stderr)
    db.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows: list[list[Any]] = []
    notes = []
    for kind in ("sqlite",) if args.no_postgres else ("sqlite", "postgresql"):
        with tempfile.TemporaryDirectory() as directory, _database(kind, Path(directory)) as found:
            if isinstance(found, str):
                notes.append(found)
                continue
            rows += _measure(*found, Path(directory), sizes, args.runs)
    print(f"CarbonFlow at scale over HTTP (Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.2f}, {args.runs} runs each; ms)")
    print(f"{'backend':<18} {'open tasks':>10}  {'what':<34} {'median':>7} {'p95':>7} {'× SELECT 1':>10} "
          f"{'× smaller':>9}")
    yardstick: dict[tuple[str, int], float] = {}
    smallest: dict[tuple[str, str], float] = {}
    for backend, size, name, median, p95 in rows:
        if name.startswith("SELECT 1"):
            yardstick[(backend, size)] = median
        smallest.setdefault((backend, name), median)
        ratio = median / yardstick[(backend, size)] if yardstick.get((backend, size)) else float("nan")
        growth = median / smallest[(backend, name)]
        print(f"{backend:<18} {size:>10,}  {name:<34} {median:7.1f} {p95:7.1f} {ratio:10.0f} {growth:9.2f}")
    for note in notes:
        print(f"note: {note}")


if __name__ == "__main__":
    main()
