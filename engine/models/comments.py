"""What people say about a task or an instance, and the inbox filters each person keeps."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.models.base import Base, JsonData, UtcDateTime


class Comment(Base):
    """A comment on an instance, or on one of its tasks; never edited (a correction is another comment)."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_instance", "instance_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_tasks.id"))
    author: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    body: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list[str]] = mapped_column(JsonData, default=list)  # the usernames @mentioned


class SavedFilter(Base):
    """An inbox filter a user named and kept, to open again with one click."""

    __tablename__ = "saved_filters"
    __table_args__ = (UniqueConstraint("username", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)  # the inbox's query arguments
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
