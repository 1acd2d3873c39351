"""Database engine, sessions and the one-transaction-per-use-case helper."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import CarbonFlowError, Conflict

_WRITE = "carbonflow_write"


class Database:
    """One database: a pooled engine, a transaction() for changes and a reading() for queries."""

    def __init__(self, url: str, **engine_options: Any):
        self.url = url
        self.engine = make_engine(url, **engine_options)
        self._writer = sessionmaker(bind=self.engine.execution_options(**{_WRITE: True}),
                                    expire_on_commit=False)
        self._reader = sessionmaker(bind=self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits at the end of the block, or rolls back on any exception."""
        try:
            with self._writer() as session:
                with session.begin() as transaction:
                    try:
                        yield session
                    except CarbonFlowError as exc:
                        if not exc.keeps_record:
                            raise
                        transaction.commit()  # the refusal's own record stands; then the error goes on
                        raise
        except StaleDataError as exc:
            # A row's version moved under us: someone else changed it first.
            raise Conflict("the record was changed by someone else at the same time; reload and try again") from exc

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for queries only; whatever it holds is rolled back."""
        with self._reader() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def make_engine(url: str, **options: Any) -> Engine:
    """An engine for the URL; SQLite gets WAL, a busy timeout and IMMEDIATE write transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **options)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **options)
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN out of pysqlite's hands so that the "begin" hook below decides its kind.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # A write transaction takes SQLite's write lock up front: a second writer waits for the
        # first to commit and then reads its result, instead of failing to upgrade a stale read.
        if connection.get_execution_options().get(_WRITE):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def is_passing(exc: BaseException) -> bool:
    """Is this database trouble that goes away by itself (connection lost, lock or pool timeout, deadlock)?

    Anything else from the database (a value too long, a broken constraint) fails the same way
    every time, and must be reported rather than retried forever.
    """
    if isinstance(exc, (sa_exc.TimeoutError, sa_exc.OperationalError, sa_exc.InterfaceError)):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated
