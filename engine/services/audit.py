"""Writing audit events, always in the caller's transaction (engine/read/audit_chain.py checks their chain)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn.serialization import json_safe
from engine.models import AuditChainHead, AuditEvent
from engine.read import audit_chain


def record(session: Session, *, action: str, actor: str, instance_id: int | None = None,
           task_id: int | None = None, data: dict[str, Any] | None = None) -> AuditEvent:
    """Append one audit event to the session (it commits with the change it describes)."""
    # Wall-clock time even inside a timer sweep run for another moment: this records when it happened.
    event = AuditEvent(at=datetime.now(timezone.utc), actor=actor, action=action, instance_id=instance_id,
                       task_id=task_id, data=json_safe(data or {}))
    session.add(event)
    return event


def record_checkpoint(session: Session, *, verified: audit_chain.ChainVerification,
                      actor: str) -> AuditEvent | None:
    """Record an intact check as the checkpoint the next one continues from; None when it vouches for nothing new."""
    if not verified.ok or verified.head_id is None:
        return None
    # Take the chain head's row lock now, as appending does at the flush (on SQLite the write transaction
    # holds the lock already): a checkpoint another verifier is recording meanwhile is then committed and
    # seen below, or waits for this one; either way every checkpoint is appended through the head.
    session.execute(select(AuditChainHead.seq).where(AuditChainHead.id == 1).with_for_update()).one()
    if verified.checkpoint is not None and audit_chain.checkpointed_since(session, verified.head_seq):
        return None  # an incremental check that read no further than a checkpoint has vouched (a reload, a rival)
    return record(session, action="chain_verified", actor=actor, data=audit_chain.checkpoint_data(verified))


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What an edit changed, field by field: {"field": {"from": old, "to": new}} (JSON-ready)."""
    return {name: {"from": json_safe(before.get(name)), "to": json_safe(after.get(name))}
            for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)}
