"""Schedules that start a process on a timer start event (yearly audits, reviews, accounting)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from engine.models.base import Base, UtcDateTime


class StartSchedule(Base):
    """When a process next starts by itself, and how often; one per process."""

    __tablename__ = "start_schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100), unique=True)
    event_id: Mapped[str] = mapped_column(String(200))
    period: Mapped[str] = mapped_column(String(40))  # ISO 8601 duration between starts (P1Y)
    # The repetitions are counted from here (calendar months do not drift): the first start, or
    # the next start an admin set.
    anchor_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # None: switched off. Indexed: the timer sweep reads the due ones.
    next_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    # True once an admin set the date or period: a redeploy then keeps them.
    configured: Mapped[bool] = mapped_column(default=False)
    updated_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
