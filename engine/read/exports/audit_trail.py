"""The audit trail as an export: every event of a period and filter, newest first, as people read it (names, not
codes), with its hashes; the spreadsheet keeps the codes and the recorded data beside the words."""
from __future__ import annotations

from dataclasses import asdict

from sqlalchemy.orm import Session

from engine.read import access, queries
from engine.read.audit_entries import AuditEntry, audit_entries
from engine.read.exports.formats import Column, Table
from engine.read.exports.period import ReportingPeriod
from engine.read.exports.statement import statement
from engine.read.exports.words import filter_line, word
from engine.read.labels import Labels, instance_refs, labels

# (key, Chinese heading, English heading, relative PDF width, in the PDF too)
HEADINGS = (
    ("seq", "序号", "#", 0.4, True), ("at_local", "时间（本地）", "Local time", 0.95, True),
    ("at", "时间（UTC）", "Time (UTC)", 0.95, False), ("actor_name", "操作人", "Actor", 0.8, True),
    ("actor", "用户名", "Username", 0.7, False), ("action_label", "操作", "Action", 0.9, True),
    ("action", "操作代码", "Action code", 0.7, False), ("instance_id", "实例编号", "Instance id", 0.5, True),
    ("instance", "流程实例", "Instance", 1.4, True), ("task_id", "任务编号", "Task id", 0.4, False),
    ("task", "步骤", "Step", 0.9, True), ("details", "内容", "Details", 2.6, True),
    ("data", "记录数据（JSON）", "Recorded data (JSON)", 2.0, False), ("hash", "哈希（SHA-256，链）", "SHA-256 (chain)", 1.5, True),
    ("id", "事件编号", "Event id", 0.4, False),
)


def columns(lang: str) -> tuple[Column, ...]:
    return tuple(Column(key, en if lang == "en" else zh, width, pdf) for key, zh, en, width, pdf in HEADINGS)


def rows(entries: list[AuditEntry]) -> list[dict[str, object]]:
    """One row per event, as the audit page and every export show it."""
    return [asdict(entry) for entry in entries]


def audit_trail_table(session: Session, *, period: ReportingPeriod, actor: str | None = None,
                      action: str | None = None, instance_id: int | None = None, by: str,
                      lang: str = "zh") -> Table:
    """Every event of the period that passes the filter, newest first, in ``lang``."""
    access.require_oversight(session, by, "the audit trail")
    where = queries.AuditFilter(since=period.since, until=period.until, actor=actor or None,
                                action=action or None, instance_id=instance_id)
    events = queries.audit_events(session, where=where, limit=None, newest_first=True)
    names = labels(session, lang)
    entries = audit_entries(session, events, zone=period.zone, lang=lang, names=names)
    return Table(word("audit_title", lang), columns(lang), rows(entries),
                 statement(session, holds=word("audit_holds", lang, n=len(entries)), period=period.label,
                           filters=filter_line(_filters(session, names, actor, action, instance_id), lang),
                           by=by, zone=period.zone, lang=lang), lang=lang)


def _filters(session: Session, names: Labels, actor: str | None, action: str | None,
             instance_id: int | None) -> list[tuple[str, str]]:
    parts = []
    if actor:
        parts.append(("actor", f"{names.person(actor)} ({actor})" if names.person(actor) != actor else actor))
    if action:
        parts.append(("action", f"{names.action(action)} ({action})"))
    if instance_id is not None:
        ref = instance_refs(session, [instance_id]).get(instance_id)
        parts.append(("instance", f"#{instance_id} {names.instance(ref)}".strip()))
    return parts
