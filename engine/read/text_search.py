"""Text search by index: task titles (either language) and instances' business keys and titles.

SQLite searches its FTS5 trigram tables, PostgreSQL its pg_trgm indexes (both made by migration 0014), so a
search reads the few rows that match rather than every open task. A term shorter than three characters has no
trigram to look up, and an old SQLite has no trigram tokenizer: then the caller scans, as it did before.
"""
from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, or_, select, text
from sqlalchemy.orm import Session

from engine.models import HumanTask, ProcessInstance, TaskStatus

SHORTEST = 3  # a trigram
_HAS_FTS: WeakKeyDictionary[Engine, bool] = WeakKeyDictionary()


def open_task_ids(session: Session, term: str, *, cap: int) -> list[int] | None:
    """The open tasks whose title or instance matches ``term``, when an index can say and at most ``cap`` match;
    None when it cannot (too short a term, no index) or when more match (then scanning in due order is cheaper)."""
    term = term.strip()
    if len(term) < SHORTEST or not _indexed(session):
        return None
    if session.get_bind().dialect.name == "sqlite":
        task_ids = _fts(session, "human_task_search", term, cap)
        instance_ids = _fts(session, "instance_search", term, cap)
    else:
        pattern = _contains(term)
        task_ids = list(session.scalars(select(HumanTask.id).where(
            HumanTask.status == TaskStatus.READY.value,
            or_(HumanTask.title.ilike(pattern, escape="\\"), HumanTask.title_en.ilike(pattern, escape="\\")))
            .limit(cap + 1)))
        instance_ids = list(session.scalars(select(ProcessInstance.id).where(or_(
            ProcessInstance.business_key.ilike(pattern, escape="\\"), ProcessInstance.title.ilike(pattern, escape="\\")))
            .limit(cap + 1)))
    if len(task_ids) > cap or len(instance_ids) > cap:
        return None
    found = set(task_ids)
    if instance_ids:
        found.update(session.scalars(select(HumanTask.id).where(
            HumanTask.instance_id.in_(instance_ids), unindexed(HumanTask.status) == TaskStatus.READY.value)
            .limit(cap + 1)))
    if session.get_bind().dialect.name == "sqlite" and task_ids:
        # The FTS table lists every task ever matched; keep the open ones (by id: not by walking every open one).
        found = (found - set(task_ids)) | set(session.scalars(select(HumanTask.id).where(
            HumanTask.id.in_(task_ids), unindexed(HumanTask.status) == TaskStatus.READY.value)))
    return sorted(found) if len(found) <= cap else None


def _fts(session: Session, table: str, term: str, cap: int) -> list[int]:
    phrase = '"' + term.replace('"', '""') + '"'
    return list(session.scalars(text(f"SELECT rowid FROM {table} WHERE {table} MATCH :phrase LIMIT :cap"),
                                {"phrase": phrase, "cap": cap + 1}))


def _contains(term: str) -> str:
    """A LIKE pattern for text containing ``term`` literally (its % and _ escaped)."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _indexed(session: Session) -> bool:
    engine = session.get_bind().engine
    if engine.dialect.name != "sqlite":
        return True
    if engine not in _HAS_FTS:
        _HAS_FTS[engine] = session.scalar(text(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'human_task_search'")) is not None
    return _HAS_FTS[engine]


def unindexed(column: Any) -> Any:
    """The column as an expression no index serves (``column || ''``): the planner then looks rows up by the
    other, more selective condition (an id or an instance among a few)."""
    return column.concat("")


def scan_pattern(term: str) -> Any:
    """The pattern a scan matches titles and keys against (ILIKE, the term's own % and _ taken literally)."""
    return _contains(term.strip())
