"""Audit chain benchmark: the whole check against the incremental one (from a checkpoint), and one export.

Run from the project root:

    .venv/bin/python benchmarks/audit_chain_bench.py [--sizes 50000 1000000] [--new 1000] [--no-pg]

For SQLite (a temporary file) and PostgreSQL (a throwaway database beside `test`, skipped when the server does
not answer) it fills the trail to each size with already-sealed events (bulk inserts, hashes computed here),
then prints one row per size: how long filling took; the time to verify the whole chain; after recording that check as a checkpoint
and appending ``--new`` events, the time of the incremental check and how many events it read; the time to
record a checkpoint; and the time of one export (one instance's audit trail as CSV, whose statement makes the
incremental check). A second table gives what sealing costs an append.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.db import Database  # noqa: E402
from engine.models import AuditChainHead, AuditEvent  # noqa: E402
from engine.models.audit import event_hash  # noqa: E402
from engine.read import audit_chain  # noqa: E402
from engine.read.exports import audit_trail, formats  # noqa: E402
from engine.read.exports.period import ReportingPeriod  # noqa: E402
from engine.schema import migrate  # noqa: E402
from engine.services import audit, users  # noqa: E402

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PAYLOAD = {"task": "analyse_cause", "form_key": "corrective_action.analyse_cause",
           "data": {"root_cause": "Calibration plan missed the meter." * 3, "severity": "major", "owner": "li"}}
EVENTS_PER_INSTANCE = 20  # the bulk events belong to instances of this many events each
EXPORTER = "bench.verifier"
HEADER = ("| backend | events | filled in (s) | whole check (s) | events/s | incremental check (ms) | events it read "
          "| record checkpoint (ms) | one instance's CSV export (ms) |\n|---|---|---|---|---|---|---|---|---|")
APPEND_HEADER = "| backend | one append (ms) | appends/s, 4 writers |\n|---|---|---|"


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
        for _ in range(count):
            seq += 1
            event = AuditEvent(at=datetime.now(timezone.utc), actor="bench", action="bench",
                               instance_id=seq // EVENTS_PER_INSTANCE + 1, task_id=None, data=PAYLOAD, seq=seq,
                               prev_hash=last)
            event.hash = last = event_hash(event, last)
            batch.append({c: getattr(event, c) for c in
                          ("at", "actor", "action", "instance_id", "task_id", "data", "seq", "prev_hash", "hash")})
            if len(batch) == 5000:
                session.execute(insert(AuditEvent), batch)
                batch = []
        if batch:
            session.execute(insert(AuditEvent), batch)
        head.seq, head.hash = seq, last


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def check(db: Database, *, full: bool) -> audit_chain.ChainVerification:
    with db.reading() as session:
        result = audit_chain.verify_chain(session, full=full)
    assert result.ok, result.problem
    return result


def record_checkpoint(db: Database, result: audit_chain.ChainVerification) -> None:
    with db.transaction() as session:
        assert audit.record_checkpoint(session, verified=result, actor="system") is not None


def export_csv(db: Database, instance_id: int) -> bytes:
    """One instance's audit trail as the auditor's CSV, its statement included."""
    period = ReportingPeriod(None, None, ZoneInfo("Asia/Shanghai"))
    with db.reading() as session:
        table = audit_trail.audit_trail_table(session, period=period, instance_id=instance_id, by=EXPORTER)
        assert audit_chain.verified(session).checkpoint is not None
        return formats.render(table, "csv")


def size_row(name: str, db: Database, size: int, new: int, seed_s: float) -> str:
    """Check the trail whole, record it, append ``new`` events, check and export incrementally: a table row."""
    whole_s, whole = timed(lambda: check(db, full=True))
    record_s, _ = timed(lambda: record_checkpoint(db, whole))
    bulk_fill(db, new)
    since_s, since = timed(lambda: check(db, full=False))
    export_s, body = timed(lambda: export_csv(db, instance_id=size // EVENTS_PER_INSTANCE))
    assert body
    return (f"| {name} | {whole.events:,} | {seed_s:.0f} | {whole_s:.2f} | {whole.events / whole_s:,.0f} | "
            f"{since_s * 1000:.1f} | {since.events:,} | {record_s * 1000:.1f} | {export_s * 1000:.1f} |")


def run(name: str, url: str, sizes: list[int], new: int) -> tuple[list[str], str]:
    migrate(url)
    db = Database(url)
    with db.transaction() as session:
        users.seed_roles(session)
        users.create_user(session, username=EXPORTER, display_name="Bench verifier", roles=("auditor",),
                          department=None)
    append = f"| {name} | {one_append_ms(db):.2f} | {concurrent_appends_per_s(db):.0f} |"
    rows = []
    for size in sorted(sizes):
        seed_s, _ = timed(lambda: bulk_fill(db, size - _head(db)))
        rows.append(size_row(name, db, size, new, seed_s))
        print(rows[-1], file=sys.stderr, flush=True)
    db.dispose()
    return rows, append


def _head(db: Database) -> int:
    with db.reading() as session:
        return session.get(AuditChainHead, 1).seq


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000, 1_000_000])
    parser.add_argument("--new", type=int, default=1000, help="events appended after the checkpoint")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    rows, appends = [], []
    with tempfile.TemporaryDirectory() as folder:
        found, append = run("SQLite", f"sqlite:///{folder}/bench.db", args.sizes, args.new)
        rows += found
        appends.append(append)
    if not args.no_pg:
        found, append = run_postgres(args.sizes, args.new)
        rows += found
        appends += [append] if append else []
    print(HEADER, *rows, "", APPEND_HEADER, *appends, sep="\n")


def run_postgres(sizes: list[int], new: int) -> tuple[list[str], str | None]:
    """The rows for a throwaway PostgreSQL database beside `test`; a note instead when it does not answer."""
    name = f"cf_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except SQLAlchemyError as exc:
        admin.dispose()
        return [f"| PostgreSQL skipped: {exc.__class__.__name__} | | | | | | | | |"], None
    try:
        url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        return run("PostgreSQL", url, sizes, new)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
