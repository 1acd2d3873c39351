"""The append-only audit trail, sealed as a hash chain: each event carries the hash of the one before it.

Every event gets the next sequence number and ``hash = sha256(canonical(event) including prev_hash)`` when it is
flushed. The chain's head (last sequence number and hash) is one row, locked while a transaction appends, so on
PostgreSQL concurrent writers append one after another and never fork the chain; on SQLite every write
transaction already holds the write lock. The head also shows when events were cut off the end of the chain.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, String, event, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.models.base import Base, JsonData, UtcDateTime

GENESIS = "0" * 64


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(80), index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    instance_id: Mapped[int | None] = mapped_column(index=True)
    task_id: Mapped[int | None] = mapped_column(index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True, index=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditChainHead(Base):
    """The last sealed event's sequence number and hash (one row, id 1)."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


def canonical(event: Any, prev_hash: str) -> bytes:
    """The bytes an event's hash covers: every field, in one fixed JSON form."""
    return json.dumps({
        "seq": event.seq, "at": event.at.astimezone(timezone.utc).isoformat(timespec="microseconds"), "actor": event.actor,
        "action": event.action, "instance_id": event.instance_id, "task_id": event.task_id,
        "data": _normalised(event.data or {}), "prev_hash": prev_hash,
    }, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def event_hash(event: Any, prev_hash: str) -> str:
    """The hash of an event (anything with an AuditEvent's fields) after the one whose hash is ``prev_hash``."""
    return hashlib.sha256(canonical(event, prev_hash)).hexdigest()


def _normalised(value: Any) -> Any:
    # PostgreSQL's JSONB keeps a number as the decimal written (1e23 -> 100000000000000000000000) and gives a
    # whole one back as an integer: hash that decimal, not the float's binary value (int(1e23) ends ...991611392).
    if isinstance(value, float) and value.is_integer():
        return int(Decimal(repr(value)))
    if isinstance(value, dict):
        return {k: _normalised(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalised(v) for v in value]
    return value


@event.listens_for(Session, "before_flush")
def _guard_and_seal(session: Session, _context: object, _instances: object) -> None:
    """Refuse edits and deletions of audit events; chain the new ones, in the order they were added."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent):
            raise RuntimeError(f"audit event {obj.id} is append-only")
    new = sorted((obj for obj in session.new if isinstance(obj, AuditEvent) and obj.hash is None),
                 key=lambda obj: inspect(obj).insert_order)
    if not new:
        return
    head = session.execute(select(AuditChainHead).where(AuditChainHead.id == 1)
                           .with_for_update()).scalar_one()
    for obj in new:
        obj.seq = head.seq + 1
        obj.prev_hash = head.hash
        obj.hash = event_hash(obj, head.hash)
        head.seq, head.hash = obj.seq, obj.hash
