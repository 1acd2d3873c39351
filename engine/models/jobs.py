"""Background jobs and notifications: the database records the work, the broker only carries a reminder."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.models.base import Base, JsonData, UtcDateTime


class JobStatus(str, enum.Enum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"  # gave up after its retries: an incident an admin retries after a fix
    CANCELLED = "cancelled"  # an admin dismissed the incident


class Job(Base):
    """One piece of background work; done in the same transaction as its effect, so it counts once."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "status", "run_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    # Idempotency: a second job with the same key is the first one.
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    instance_id: Mapped[int | None] = mapped_column(index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(default=0)
    run_after: Mapped[datetime] = mapped_column(UtcDateTime)
    # When a broker message for it was last sent: lost messages are sent again after a lease.
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # When a worker took it (each take counts an attempt, so a job that kills its worker still ends).
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JsonData)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Notification(Base):
    """Something a user should know: a new task, a reminder, an escalation, a decision."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_inbox", "username", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(40))
    # One notification per user and event, however often the event is seen.
    key: Mapped[str] = mapped_column(String(250), unique=True)
    title: Mapped[str] = mapped_column(String(400))
    body: Mapped[str] = mapped_column(Text, default="")
    instance_id: Mapped[int | None] = mapped_column()
    task_id: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
