"""The statement that heads every export: what it holds, who made it and when, and the audit chain's check up to its
head (from the latest checkpoint on, so an export reads only the events recorded since; see engine.read.audit_chain)."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import User
from engine.read.audit_chain import verified
from engine.read.exports.words import chain_line, word


def statement(session: Session, *, holds: str, period: str, filters: str, by: str,
              zone: ZoneInfo, lang: str = "zh") -> list[tuple[str, str]]:
    """Label/value pairs in ``lang``; the chain is checked up to its head (once per session), whatever the filter."""
    made = datetime.now(timezone.utc)
    name = session.scalar(select(User.display_name).where(User.username == by))
    return [
        (word("holds", lang), holds), (word("period", lang), period),
        (word("filter", lang), filters or word("none", lang)),
        (word("exported_by", lang), f"{name} ({by})" if name and name != by else by),
        (word("exported_at", lang), f"{made.astimezone(zone).strftime('%Y-%m-%d %H:%M:%S')} {zone.key} "
                                    f"({made.isoformat(timespec='seconds')})"),
        (word("chain", lang), chain_line(verified(session), lang)),
    ]
