"""Open tasks counted per process and role, kept up to date in the transaction that opens or closes a task.

The dashboard's figures read this small table instead of counting every open task, so they cost the same with
100 or 100,000 open tasks. Every change to an open task's status, role or process made through the ORM is
noted before each flush; a bulk UPDATE notes its own rows with ``note``. The notes are applied just before the
commit in one statement, key by key in sorted order, so two transactions never wait on each other's counters in
opposite order (no deadlock) and hold a counter's row only while they commit. ``recount`` rebuilds the table from the tasks
(after a bulk insert that bypassed the ORM, or to repair it).
"""
from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import String, event, func, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.models.base import Base
from engine.models.tasks import HumanTask, TaskStatus

_NOTES = "open_task_count_notes"
READY = TaskStatus.READY.value


class OpenTaskCount(Base):
    """How many tasks of one process and one role are open (ready)."""

    __tablename__ = "open_task_counts"

    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True)
    open_count: Mapped[int] = mapped_column(default=0)


def note(session: Session, process_id: str, role: str | None, change: int) -> None:
    """Count ``change`` more (or fewer) open tasks of this process and role when the transaction commits."""
    session.info.setdefault(_NOTES, Counter())[(process_id, role or "")] += change


def recount(session: Session) -> None:
    """Rebuild the counts from the tasks themselves."""
    session.execute(OpenTaskCount.__table__.delete())
    rows = session.execute(select(HumanTask.process_id, HumanTask.role, func.count())
                           .where(HumanTask.status == READY).group_by(HumanTask.process_id, HumanTask.role)).all()
    if rows:
        session.execute(OpenTaskCount.__table__.insert(),
                        [{"process_id": p, "role": r or "", "open_count": n} for p, r, n in rows])


@event.listens_for(Session, "before_flush")
def _note_changes(session: Session, _context: Any, _instances: Any) -> None:
    for task in session.new:
        if isinstance(task, HumanTask) and task.status == READY:
            note(session, task.process_id, task.role, +1)
    for task in session.deleted:
        if isinstance(task, HumanTask) and _was(task, "status") == READY:
            note(session, _was(task, "process_id"), _was(task, "role"), -1)
    for task in session.dirty:
        if isinstance(task, HumanTask) and session.is_modified(task, include_collections=False):
            before = (_was(task, "status"), _was(task, "process_id"), _was(task, "role"))
            after = (task.status, task.process_id, task.role)
            if before != after:
                if before[0] == READY:
                    note(session, before[1], before[2], -1)
                if after[0] == READY:
                    note(session, after[1], after[2], +1)


def _was(task: HumanTask, name: str) -> Any:
    """The attribute's value as loaded from the database (its value now when it did not change)."""
    history = inspect(task).attrs[name].history
    return history.deleted[0] if history.deleted else getattr(task, name)


@event.listens_for(Session, "before_commit")
def _apply_notes(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # the last changes are noted by their flush
    notes = session.info.pop(_NOTES, None)
    changes = [{"process_id": p, "role": r, "open_count": n} for (p, r), n in sorted((notes or {}).items()) if n]
    if not changes:
        return
    # One statement for every key, in sorted order: a key counted for the first time is inserted.
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    upsert = dialect.insert(OpenTaskCount).values(changes)
    session.execute(upsert.on_conflict_do_update(
        index_elements=["process_id", "role"], set_={"open_count": OpenTaskCount.open_count + upsert.excluded.open_count}))


@event.listens_for(Session, "after_rollback")
def _forget_notes(session: Session) -> None:
    session.info.pop(_NOTES, None)
