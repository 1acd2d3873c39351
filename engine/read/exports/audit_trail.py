"""The audit trail as an export: every event of a period and filter, in chain order, with its hashes."""
from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine.models import AuditEvent
from engine.read import access, queries
from engine.read.exports.formats import Column, Table
from engine.read.exports.period import ReportingPeriod
from engine.read.exports.statement import statement

COLUMNS = (
    Column("seq", "#", 0.35), Column("id", "id", 0.35), Column("at_utc", "time (UTC)", 1.3),
    Column("at_local", "local time", 0.95), Column("actor", "actor", 0.8), Column("action", "action", 0.9),
    Column("instance_id", "instance", 0.5), Column("task_id", "task", 0.4), Column("data", "data", 3.2),
    Column("hash", "sha256 (chain)", 1.6),
)


def rows(events: list[AuditEvent], zone: ZoneInfo) -> list[dict[str, object]]:
    """One row per event, as the audit page and every export show it."""
    return [{"seq": e.seq, "id": e.id, "at_utc": e.at.isoformat(), "at_local": e.at.astimezone(zone)
             .strftime("%Y-%m-%d %H:%M:%S"), "actor": e.actor, "action": e.action, "instance_id": e.instance_id,
             "task_id": e.task_id, "data": json.dumps(e.data or {}, ensure_ascii=False, sort_keys=True),
             "hash": e.hash} for e in events]


def audit_trail_table(session: Session, *, period: ReportingPeriod, actor: str | None = None,
                      action: str | None = None, instance_id: int | None = None, by: str) -> Table:
    access.require_oversight(session, by, "the audit trail")
    where = queries.AuditFilter(since=period.since, until=period.until, actor=actor or None,
                                action=action or None, instance_id=instance_id)
    events = queries.audit_events(session, where=where, limit=None)
    filters = ", ".join(f"{name} = {value}" for name, value in
                        (("actor", actor), ("action", action), ("instance", instance_id)) if value)
    return Table("CarbonFlow audit trail", COLUMNS, rows(events, period.zone),
                 statement(session, holds=f"{len(events)} audit events", period=period.label, filters=filters,
                           by=by, zone=period.zone))
