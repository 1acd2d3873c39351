"""The append-only audit trail: written in the same transaction as every state change."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.models.base import Base, JsonData, UtcDateTime


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(80), index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    instance_id: Mapped[int | None] = mapped_column(index=True)
    task_id: Mapped[int | None] = mapped_column(index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _context: object, _instances: object) -> None:
    """The application never edits or deletes an audit event."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent):
            raise RuntimeError(f"audit event {obj.id} is append-only")
