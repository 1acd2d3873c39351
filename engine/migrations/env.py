"""Alembic environment: migrates the database named by the caller's URL (or DATABASE_URL)."""
from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, pool

from engine.config import Settings
from engine.db import make_engine
from engine.models import Base
from engine.schema import is_modelled

config = context.config
url = config.get_main_option("sqlalchemy.url") or Settings.from_env().database_url


def run_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True, render_as_batch=True,
                      include_object=is_modelled)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # A batch migration copies a table and drops the old one: with foreign keys on, dropping users would
        # delete every membership (ON DELETE CASCADE). Off for the migration, then checked before committing.
        _foreign_keys(connection, "OFF")
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                      compare_type=True, include_object=is_modelled)
    with context.begin_transaction():
        before = _dangling(connection) if sqlite else set()
        context.run_migrations()
        broken = (_dangling(connection) - before) if sqlite else set()
        if broken:
            raise RuntimeError(f"the migration left rows whose foreign keys point nowhere: {sorted(broken)[:5]}")
    if sqlite:
        _foreign_keys(connection, "ON")


def _dangling(connection: Connection) -> set[tuple[object, ...]]:
    return {tuple(row) for row in connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()}


def _foreign_keys(connection: Connection, state: str) -> None:
    """Switch SQLite's foreign keys on or off: only outside a transaction, so on the driver's own connection."""
    connection.connection.dbapi_connection.execute(f"PRAGMA foreign_keys={state}")  # type: ignore[union-attr]


if context.is_offline_mode():
    run_offline()
else:
    run_online()
