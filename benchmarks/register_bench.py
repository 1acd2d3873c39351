"""Auditor's read side at scale: the nonconformity register, the dashboard, one trace, the records by clause.

Run from the project root:

    .venv/bin/python benchmarks/register_bench.py [--sizes 500 2000 5000]

On a temporary SQLite file with processes/ deployed and the demo users, it raises nonconformities
through the engine (each a real corrective-action instance with its first task), evaluates the
consequences of every third, and at each size prints: the register of every nonconformity, the
register filtered to the overdue ones, an overseer's dashboard, one nonconformity's trace and the
records by clause for the year (median of 5, in ms), and the peak Python memory of building the
register (tracemalloc).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demo import users as demo_users
from engine import clock
from engine.config import PROJECT_ROOT  # noqa: E402
from engine.db import Database  # noqa: E402
from engine.models import HumanTask  # noqa: E402
from engine.read import clauses, dashboard, nonconformities  # noqa: E402
from engine.read.nonconformities import NonconformityFilter  # noqa: E402
from engine.read.nonconformity_trace import trace  # noqa: E402
from engine.schema import migrate  # noqa: E402
from engine.services import deployments, instances, tasks  # noqa: E402

PLANT = ZoneInfo("Asia/Shanghai")
RAISE = {"title": "Kiln meter drift", "description": "Found on the round.", "source": "raised_by_hand",
         "clause": "8.1.3", "department": "production", "detected_on": "2026-06-01"}
CONSEQUENCES = {"consequences": "Data uncertain.", "immediate_handling": "Flagged."}


def setup(directory: Path) -> Database:
    url = f"sqlite:///{directory / 'bench.db'}"
    migrate(url)
    db = Database(url)
    with db.transaction() as session:
        demo_users.load_demo_users(session)
        deployments.deploy_directory(session, directory=PROJECT_ROOT / "processes", actor="bench")
    return db


def raise_more(db: Database, start: int, stop: int) -> None:
    for n in range(start, stop):
        with db.transaction() as session:
            iid = instances.start(session, process_id="corrective_action", actor="zhao.staff",
                                  business_key=f"NC-{n:05d}", data=RAISE).id
            if n % 3 == 0:
                task = session.query(HumanTask).filter_by(instance_id=iid, status="ready").one()
                tasks.complete(session, task_id=task.id, actor="li.carbon", data=CONSEQUENCES)


def median_ms(work, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(db: Database, size: int) -> dict[str, float]:
    later = clock.now() + timedelta(days=30)  # every consequence evaluation is overdue by then
    with db.reading() as session:
        one = nonconformities.register(session, where=NonconformityFilter(search="NC-00001"))[0].instance_id
        tracemalloc.start()
        nonconformities.register(session, now=later)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        return {
            "size": size,
            "register": median_ms(lambda: nonconformities.register(session, now=later)),
            "overdue": median_ms(lambda: nonconformities.register(
                session, where=NonconformityFilter(status="overdue"), now=later)),
            "dashboard": median_ms(lambda: dashboard.snapshot(session, "he.verifier", zone=PLANT, now=later)),
            "trace": median_ms(lambda: trace(session, one)),
            "records": median_ms(lambda: clauses.records_by_clause(session)),
            "peak_mib": peak,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 5000])
    sizes = sorted(parser.parse_args().sizes)
    with tempfile.TemporaryDirectory() as tmp:
        db = setup(Path(tmp))
        rows, made = [], 0
        for size in sizes:
            started = time.perf_counter()
            raise_more(db, made, size)
            per_raise = (time.perf_counter() - started) * 1000 / max(size - made, 1)
            made = size
            rows.append({**measure(db, size), "raise": per_raise})
        db.dispose()
    print(f"{'NCs':>6} {'raise ms':>9} {'register':>9} {'overdue':>8} {'dashboard':>10} {'trace':>7} "
          f"{'records':>8} {'peak MiB':>9}")
    for r in rows:
        print(f"{r['size']:>6} {r['raise']:>9.1f} {r['register']:>9.1f} {r['overdue']:>8.1f} {r['dashboard']:>10.1f} "
              f"{r['trace']:>7.1f} {r['records']:>8.1f} {r['peak_mib']:>9.1f}")
    print("(ms: median of 5 reads; raise: one nonconformity raised through the engine, one in three also evaluated)")


if __name__ == "__main__":
    main()
