"""The Alembic migrations build exactly the schema the models describe."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from engine.db import Database
from engine.models import Base


def test_migrations_match_the_models(db: Database):
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                Base.metadata)
    assert diff == []


def test_upgrading_seals_the_events_written_before_the_chain(tmp_path):
    from alembic import command
    from sqlalchemy import text

    from engine.schema import alembic_config, migrate
    from engine.services import audit

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0004")
    old = Database(url)
    with old.engine.begin() as connection:
        for n in range(3):
            connection.execute(text("INSERT INTO audit_events (at, actor, action, data) VALUES "
                                    f"('2026-0{n + 1}-01 08:00:00.000000', 'li', 'complete', '{{\"n\": {n}}}')"))
    old.dispose()
    migrate(url)
    upgraded = Database(url)
    with upgraded.transaction() as session:
        audit.record(session, action="after_upgrade", actor="li")
    with upgraded.reading() as session:
        result = audit.verify_chain(session)
    upgraded.dispose()
    assert result.ok and result.events == 4 and result.head_seq == 4
