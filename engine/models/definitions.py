"""Deployed process definitions: one row per version, with the parsed spec stored once."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from engine.models.base import Base, UtcDateTime


class ProcessDefinition(Base):
    __tablename__ = "process_definitions"
    __table_args__ = (
        UniqueConstraint("process_id", "version", name="uq_process_definitions_version"),
        Index("ix_process_definitions_hash", "process_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    file_name: Mapped[str] = mapped_column(String(300))
    # Large texts load only when asked for: running an instance needs the hash, not the source.
    bpmn_source: Mapped[str] = mapped_column(Text, deferred=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    spec_json: Mapped[str] = mapped_column(Text, deferred=True)
    start_form_key: Mapped[str | None] = mapped_column(String(200))
    deployed_by: Mapped[str] = mapped_column(String(80))
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Why it was deployed: required from the modeler and the upload page, optional from the command line.
    change_note: Mapped[str | None] = mapped_column(Text)
    # False for the versions deployed before user tasks declared their signatures (migration 0006):
    # their tasks are signed by the rule of that time (engine/bpmn/parsing.py ``undeclared_signature``).
    declares_signatures: Mapped[bool] = mapped_column(default=True, server_default=false())


class StartMessage(Base):
    """A message whose arrival starts an instance of this definition."""

    __tablename__ = "start_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"), index=True)
    message_name: Mapped[str] = mapped_column(String(200), index=True)
