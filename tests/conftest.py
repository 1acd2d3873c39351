"""Fixtures shared by every layer: a real database per test (SQLite file, or PostgreSQL when asked)."""
from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from engine.db import Database
from engine.models import Base, HumanTask, OpenTaskCount
from engine.models.audit import GENESIS
from engine.schema import migrate
from tests import factories

# .ci/run sets this to run the whole suite again on PostgreSQL (a fresh database per run).
PG_URL = os.environ.get("CARBONFLOW_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, seeded SQLite file that each test copies (migrating per test is slow)."""
    path = tmp_path_factory.mktemp("template") / "carbonflow.db"
    url = f"sqlite:///{path}"
    migrate(url)
    db = Database(url)
    factories.seed(db)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for this run, migrated once."""
    assert PG_URL
    name = f"cf_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    migrate(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A seeded database with the processes of processes/ deployed."""
    if PG_URL:
        url = request.getfixturevalue("postgres_url")
        database = Database(url)
        _truncate(database)
        factories.seed(database)
    else:
        template = request.getfixturevalue("sqlite_template")
        shutil.copy(template, tmp_path / "carbonflow.db")
        database = Database(f"sqlite:///{tmp_path / 'carbonflow.db'}")
    yield database
    try:
        _check_open_task_counts(database)
    finally:
        database.dispose()


def _check_open_task_counts(database: Database) -> None:
    """Whatever the test did, the maintained counts of open tasks match the tasks (engine/models/task_counts.py)."""
    with database.reading() as session:
        kept = {(c.process_id, c.role): c.open_count for c in session.scalars(select(OpenTaskCount))
                if c.open_count}
        actual = {(p, r): n for p, r, n in session.execute(
            select(HumanTask.process_id, HumanTask.role, func.count()).where(HumanTask.status == "ready")
            .group_by(HumanTask.process_id, HumanTask.role))}
    assert kept == actual, "the open-task counts drifted from the tasks"


def _truncate(database: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with database.engine.begin() as conn:
        # The append-only tables refuse TRUNCATE; a test database is wiped with triggers off.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        conn.execute(text(f"INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, '{GENESIS}')"))
