"""Checking the audit trail's hash chain: intact, or the first event that was altered, removed, reordered or inserted."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine.models import AuditChainHead, AuditEvent
from engine.models.audit import GENESIS, event_hash


@dataclass(frozen=True)
class ChainVerification:
    """What checking the whole audit chain found: intact, or the first event that breaks it and how."""

    ok: bool
    events: int
    head_seq: int
    head_hash: str
    checked_at: datetime
    first_bad_id: int | None = None
    first_bad_seq: int | None = None
    problem: str | None = None

    @property
    def summary(self) -> str:
        if self.ok:
            return f"audit trail intact: {self.events} events, chain head #{self.head_seq} {self.head_hash}"
        return f"audit trail broken: {self.problem}"


_CHAINED = (AuditEvent.id, AuditEvent.seq, AuditEvent.at, AuditEvent.actor, AuditEvent.action,
            AuditEvent.instance_id, AuditEvent.task_id, AuditEvent.data, AuditEvent.prev_hash, AuditEvent.hash)


def verify_chain(session: Session, *, batch: int = 2000) -> ChainVerification:
    """Check every event against its hash and its link to the one before; name the first that breaks the chain."""
    head = session.get(AuditChainHead, 1)
    found = partial(ChainVerification, head_seq=head.seq if head else 0, head_hash=head.hash if head else "",
                    checked_at=datetime.now(timezone.utc))
    unsealed = session.scalar(select(func.min(AuditEvent.id))
                              .where(or_(AuditEvent.seq.is_(None), AuditEvent.seq < 1)))
    if unsealed is not None:
        return found(ok=False, events=0, first_bad_id=unsealed,
                     problem=f"event {unsealed} was inserted outside the chain (it has no valid sequence number)")
    # Only up to the head read above: on PostgreSQL each batch sees what others committed since,
    # and those events belong to a later head, not to this check.
    through = head.seq if head else None
    previous: Any = None
    checked = 0
    while True:
        # Plain rows, not ORM objects: the session holds nothing however long the trail.
        query = select(*_CHAINED).where(AuditEvent.seq > (previous.seq if previous else 0))
        if through is not None:
            query = query.where(AuditEvent.seq <= through)
        rows = session.execute(query.order_by(AuditEvent.seq).limit(batch)).all()
        for event in rows:
            problem = _break_at(session, event, previous)
            if problem:
                bad = previous if problem.startswith("rehashed") else event
                return found(ok=False, events=checked, first_bad_id=bad.id, first_bad_seq=bad.seq,
                             problem=problem.removeprefix("rehashed: "))
            previous, checked = event, checked + 1
        if len(rows) < batch:
            break
    return _check_head(session, found, head, previous, checked)


def _break_at(session: Session, event: Any, previous: Any) -> str | None:
    """Why this event breaks the chain after ``previous``, or None."""
    expected_seq = (previous.seq if previous else 0) + 1
    expected_prev = previous.hash if previous else GENESIS
    if event.seq != expected_seq:
        return (f"event(s) #{expected_seq}–#{event.seq - 1} before event {event.id} (#{event.seq}) "
                f"were removed")
    if event.prev_hash != expected_prev:
        chained_after = session.scalar(select(AuditEvent.seq).where(AuditEvent.hash == event.prev_hash))
        if chained_after is not None:
            return (f"event {event.id} (#{event.seq}) is out of order: it was chained after #{chained_after}, "
                    f"not after #{expected_seq - 1}")
        if previous is not None:
            return (f"rehashed: event {previous.id} (#{previous.seq}) was altered and its hash recomputed: "
                    f"the next event no longer links to it")
        return f"event {event.id} (#{event.seq}) does not start the chain"
    if event.hash != event_hash(event, event.prev_hash):
        return f"event {event.id} (#{event.seq}) was altered: its content no longer matches its hash"
    return None


def _check_head(session: Session, found: Any, head: AuditChainHead | None, last: Any,
                checked: int) -> ChainVerification:
    last_seq, last_hash = (last.seq, last.hash) if last else (0, GENESIS)
    if head is None:
        return found(ok=False, events=checked, problem="the chain's head record is missing")
    if head.seq > last_seq:
        return found(ok=False, events=checked, first_bad_seq=last_seq + 1,
                     problem=f"the last {head.seq - last_seq} event(s) (#{last_seq + 1}–#{head.seq}) were removed")
    if (head.seq, head.hash) != (last_seq, last_hash):
        return found(ok=False, events=checked, first_bad_seq=last_seq,
                     problem=f"the chain's head (#{head.seq}) does not match its last event (#{last_seq})")
    # One statement, so one snapshot: an event past the head as it stands now was never appended through it.
    beyond = session.execute(select(AuditEvent.id, AuditEvent.seq)
                             .where(AuditEvent.seq > select(AuditChainHead.seq).where(AuditChainHead.id == 1)
                                    .scalar_subquery())
                             .order_by(AuditEvent.seq).limit(1)).first()
    if beyond is not None:
        return found(ok=False, events=checked, first_bad_id=beyond.id, first_bad_seq=beyond.seq,
                     problem=f"event {beyond.id} (#{beyond.seq}) was inserted past the chain's head")
    return found(ok=True, events=checked)
