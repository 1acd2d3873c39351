"""Audit chain benchmark: what sealing costs an append, and how fast the whole chain verifies.

Run from the project root:

    .venv/bin/python benchmarks/audit_chain_bench.py [--events 50000] [--no-pg]

For SQLite (a temporary file) and PostgreSQL (a throwaway database beside `test`, skipped when the
server does not answer) it prints a table: one transaction with one audit event (median, in ms),
appends per second from 4 concurrent writers, the time to verify every event, events verified per
second, and the verifier's peak Python memory (tracemalloc) — which must not grow with the trail.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
import uuid
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.db import Database  # noqa: E402
from engine.models import AuditChainHead, AuditEvent  # noqa: E402
from engine.models.audit import event_hash  # noqa: E402
from engine.read import audit_chain
from engine.schema import migrate  # noqa: E402
from engine.services import audit  # noqa: E402

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PAYLOAD = {"task": "analyse_cause", "form_key": "corrective_action.analyse_cause",
           "data": {"root_cause": "Calibration plan missed the meter." * 3, "severity": "major", "owner": "li"}}


def one_append_ms(db: Database, repeat: int = 300) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        with db.transaction() as session:
            audit.record(session, action="bench", actor="bench", instance_id=1, data=PAYLOAD)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def concurrent_appends_per_s(db: Database, writers: int = 4, each: int = 100) -> float:
    def write() -> None:
        for _ in range(each):
            with db.transaction() as session:
                audit.record(session, action="bench", actor="bench", data=PAYLOAD)
    threads = [threading.Thread(target=write) for _ in range(writers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return writers * each / (time.perf_counter() - started)


def bulk_fill(db: Database, count: int) -> None:
    """Append already-sealed events in large batches (the trail a few years of work leaves)."""
    with db.transaction() as session:
        head = session.get(AuditChainHead, 1, with_for_update=True)
        seq, last = head.seq, head.hash
        batch = []
        for n in range(count):
            seq += 1
            event = AuditEvent(at=datetime.now(timezone.utc), actor="bench", action="bench", instance_id=n,
                               task_id=None, data=PAYLOAD, seq=seq, prev_hash=last)
            event.hash = last = event_hash(event, last)
            batch.append({c: getattr(event, c) for c in
                          ("at", "actor", "action", "instance_id", "task_id", "data", "seq", "prev_hash", "hash")})
            if len(batch) == 5000:
                session.execute(insert(AuditEvent), batch)
                batch = []
        if batch:
            session.execute(insert(AuditEvent), batch)
        head.seq, head.hash = seq, last


def verify(db: Database) -> tuple[float, int, float]:
    tracemalloc.start()
    started = time.perf_counter()
    with db.reading() as session:
        result = audit_chain.verify_chain(session)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    assert result.ok, result.problem
    return seconds, result.events, peak


def run(name: str, url: str, events: int) -> list[str]:
    migrate(url)
    db = Database(url)
    append = one_append_ms(db)
    concurrent = concurrent_appends_per_s(db)
    rows = []
    for size in (events // 10, events):
        bulk_fill(db, size - _count(db))
        seconds, checked, peak = verify(db)
        rows.append(f"| {name} | {append:.2f} | {concurrent:.0f} | {checked:,} | {seconds:.2f} | "
                    f"{checked / seconds:,.0f} | {peak:.1f} |")
    db.dispose()
    return rows


def _count(db: Database) -> int:
    with db.reading() as session:
        return session.get(AuditChainHead, 1).seq


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    print("| backend | one append (ms) | appends/s, 4 writers | events | verify (s) | events/s | verify peak (MiB) |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for row in run("SQLite", f"sqlite:///{folder}/bench.db", args.events):
            print(row, flush=True)
    if args.no_pg:
        return
    name = f"cf_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except SQLAlchemyError as exc:
        print(f"(PostgreSQL skipped: {exc.__class__.__name__})")
        return
    try:
        url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        for row in run("PostgreSQL", url, args.events):
            print(row, flush=True)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
