"""Human tasks: one indexed row per ready user task, kept beside the saved workflow."""
from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.models.base import Base, JsonData, UtcDateTime

NO_DUE_DATE = datetime(9999, 12, 31, tzinfo=timezone.utc)


class TaskStatus(str, enum.Enum):
    READY = "ready"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class HumanTask(Base):
    __tablename__ = "human_tasks"
    # The inbox reads these indexes in order and stops at the page size (engine/read/queries.py).
    __table_args__ = (
        Index("ix_human_tasks_mine", "status", "assignee", "sort_due_at"),
        Index("ix_human_tasks_offered", "status", "role", "assignee", "candidate_department", "sort_due_at"),
        Index("ix_human_tasks_due", "status", "sort_due_at"),
        Index("ix_human_tasks_done", "completed_by", "completed_at"),  # "completed by me", the latest first
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    spiff_task_id: Mapped[str] = mapped_column(String(36), unique=True)
    process_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str | None] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(40))
    candidate_user: Mapped[str | None] = mapped_column(String(80))
    candidate_department: Mapped[str | None] = mapped_column(String(40))
    # Who may not do this task (segregation of duties): read here by permission checks, and
    # mirrored in task_exclusions so the inbox can leave those tasks out in SQL.
    excluded_users: Mapped[list[str]] = mapped_column(JsonData, default=list)
    # Members of this department may not do the task (an auditor does not audit their own department).
    excluded_department: Mapped[str | None] = mapped_column(String(40))
    # The completion must attach at least one evidence file (the guideline asks for evidence).
    evidence_required: Mapped[bool] = mapped_column(default=False)
    # What the electronic signature the task needs means ("approval"), from its BPMN; None: no signature.
    signature: Mapped[str | None] = mapped_column(String(80))
    exclusions: Mapped[list[TaskExclusion]] = relationship(cascade="all, delete-orphan", lazy="raise")
    assignee: Mapped[str | None] = mapped_column(String(80))
    form_key: Mapped[str] = mapped_column(String(200))
    clauses: Mapped[str | None] = mapped_column(String(200))
    documentation: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # due_at, or NO_DUE_DATE: a non-null key that sorts tasks without a due time last on every backend.
    sort_due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    priority: Mapped[int] = mapped_column(default=2)
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # When the reminder before the due time and the overdue notice went out (background worker).
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(80))
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    submitted_data: Mapped[dict[str, Any] | None] = mapped_column(JsonData)
    # What the assignee typed so far and saved without submitting (not validated, not in the process).
    draft: Mapped[dict[str, Any] | None] = mapped_column(JsonData)
    draft_saved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # A task declaring prefill="true": what its instance held under its form's field names as it opened.
    prefill: Mapped[dict[str, Any] | None] = mapped_column(JsonData)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def requires_signature(self) -> bool:
        """Whether completing the task needs the person's electronic signature (the password again)."""
        return self.signature is not None


class TaskExclusion(Base):
    """A user who may not do a task, written with the task and never changed."""

    __tablename__ = "task_exclusions"

    task_id: Mapped[int] = mapped_column(ForeignKey("human_tasks.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(String(80), primary_key=True)
