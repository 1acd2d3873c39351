"""Process instances, their saved workflow state and their message subscriptions."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.models.base import Base, JsonData, UtcDateTime


class InstanceStatus(str, enum.Enum):
    RUNNING = "running"
    SUSPENDED = "suspended"
    COMPLETED = "completed"
    TERMINATED = "terminated"
    ERROR = "error"


class ProcessInstance(Base):
    __tablename__ = "process_instances"
    __table_args__ = (Index("ix_process_instances_status_timer", "status", "next_timer_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(100), index=True)
    business_key: Mapped[str | None] = mapped_column(String(200), index=True)
    # What the instance is about, by its start event's instanceTitle (e.g. the nonconformity's title).
    title: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), index=True)
    state_json: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)
    started_by: Mapped[str] = mapped_column(String(80))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    next_timer_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    error_message: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class MessageSubscription(Base):
    """An instance waiting for a message, with the correlation it will accept (None: any)."""

    __tablename__ = "message_subscriptions"
    __table_args__ = (Index("ix_message_subscriptions_lookup", "message_name", "correlation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    message_name: Mapped[str] = mapped_column(String(200))
    correlation: Mapped[str | None] = mapped_column(String(500))
