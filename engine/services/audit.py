"""Writing audit events, always in the caller's transaction (engine/read/audit_chain.py checks their chain)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session

from engine.bpmn.serialization import json_safe
from engine.models import AuditEvent


def record(session: Session, *, action: str, actor: str, instance_id: int | None = None,
           task_id: int | None = None, data: dict[str, Any] | None = None) -> AuditEvent:
    """Append one audit event to the session (it commits with the change it describes)."""
    # Wall-clock time even inside a timer sweep run for another moment: this records when it happened.
    event = AuditEvent(at=datetime.now(timezone.utc), actor=actor, action=action, instance_id=instance_id,
                       task_id=task_id, data=json_safe(data or {}))
    session.add(event)
    return event


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What an edit changed, field by field: {"field": {"from": old, "to": new}} (JSON-ready)."""
    return {name: {"from": json_safe(before.get(name)), "to": json_safe(after.get(name))}
            for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)}
