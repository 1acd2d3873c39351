"""The statement that heads every export: what it holds, who made it and when, and the audit chain's check."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine.read.audit_chain import ChainVerification, verify_chain


def statement(session: Session, *, holds: str, period: str, filters: str, by: str,
              zone: ZoneInfo) -> list[tuple[str, str]]:
    """Label/value pairs; the chain is verified now, over the whole trail, whatever the export's filter."""
    made = datetime.now(timezone.utc)
    return [
        ("Holds", holds), ("Period", period), ("Filter", filters or "none"),
        ("Exported by", by), ("Exported at", f"{made.isoformat(timespec='seconds')} "
                                             f"({made.astimezone(zone).strftime('%Y-%m-%d %H:%M')} {zone.key})"),
        ("Audit chain", chain_line(verify_chain(session))),
    ]


def chain_line(result: ChainVerification) -> str:
    if result.ok:
        return (f"verified intact at {result.checked_at.isoformat(timespec='seconds')}: {result.events} events, "
                f"head #{result.head_seq} sha256 {result.head_hash}")
    return f"BROKEN (checked {result.checked_at.isoformat(timespec='seconds')}): {result.problem}"
