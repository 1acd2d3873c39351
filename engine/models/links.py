"""Links between process instances: an audit finding and the corrective action it raised, and so on."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.models.base import Base, UtcDateTime


class InstanceLink(Base):
    """One instance led to another (``kind`` says how: the message it threw); read from either end."""

    __tablename__ = "instance_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    target_instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    kind: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
