"""Checking the audit trail's hash chain: intact, or the first event that was altered, removed, reordered or inserted.

Two checks. ``verify_chain(session, full=True)`` re-reads every event from the first. The default, incremental
check continues from the latest checkpoint: a ``chain_verified`` audit event that an earlier intact check recorded
(engine/services/audit.py), naming the last event it verified (#N) and that event's hash. The incremental check

- confirms event #N still exists, still has the hash the checkpoint recorded and still matches that hash;
- then reads only the events after #N up to the chain's head, the checkpoint event itself among them (so its own
  hash, its link to the event before it and the next event's link to it are checked);
- and, like the whole check, catches events inserted outside the chain or past its head and events cut off its end.

So it catches any change after #N, a change to the checkpoint event and a change to event #N (rehashed or not).
Both checks also compare every checkpoint they pass with the event it names: a chain rewritten and rehashed from
some event on is consistent in itself, but not with the old hash a later checkpoint recorded.

The incremental check does NOT read the events before #N again: an edit, removal or reordering there (other than
of #N itself) is found only by the whole check. That is the trade-off that makes each new segment cost one reading;
verify the whole chain periodically all the same.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine.models import AuditChainHead, AuditEvent
from engine.models.audit import GENESIS, event_hash

CHECKPOINT = "chain_verified"  # the action of the audit event an intact check records
_VERIFIED = "carbonflow.audit_chain.verified"  # the session.info key of verified()'s result


@dataclass(frozen=True)
class Checkpoint:
    """A recorded intact check: event ``event_id`` (#``seq``, at ``at``) vouches for the chain up to #``through_seq``."""

    event_id: int
    seq: int
    at: datetime
    through_seq: int
    through_hash: str


@dataclass(frozen=True)
class ChainVerification:
    """What checking the audit chain found: intact, or the first event that breaks it and how.

    ``events`` counts the events read and checked now: every one, or those after the event ``checkpoint`` vouches for.
    """

    ok: bool
    events: int
    head_seq: int
    head_hash: str
    checked_at: datetime
    first_bad_id: int | None = None
    first_bad_seq: int | None = None
    problem: str | None = None
    head_id: int | None = None
    checkpoint: Checkpoint | None = None  # None: checked from the first event

    @property
    def summary(self) -> str:
        if not self.ok:
            return f"audit trail broken: {self.problem}"
        head = f"chain head #{self.head_seq} {self.head_hash}"
        if self.checkpoint is None:
            return f"audit trail intact: {self.events} events, {head}"
        since = self.checkpoint.at.isoformat(timespec="seconds")
        return (f"audit trail intact: up to event #{self.checkpoint.through_seq} (checkpoint of {since}), "
                f"{self.events} events after it verified now, {head}")


_CHAINED = (AuditEvent.id, AuditEvent.seq, AuditEvent.at, AuditEvent.actor, AuditEvent.action,
            AuditEvent.instance_id, AuditEvent.task_id, AuditEvent.data, AuditEvent.prev_hash, AuditEvent.hash)


def verify_chain(session: Session, *, full: bool = False, batch: int = 2000) -> ChainVerification:
    """Check the chain up to its head: from the latest checkpoint on, or with ``full`` every event from the first."""
    head = session.get(AuditChainHead, 1)
    checkpoint = None if full or head is None else latest_checkpoint(session, through=head.seq)
    found = partial(ChainVerification, head_seq=head.seq if head else 0, head_hash=head.hash if head else "",
                    checked_at=datetime.now(timezone.utc), checkpoint=checkpoint)
    unsealed = _unsealed(session)
    if unsealed is not None:
        return found(ok=False, events=0, first_bad_id=unsealed,
                     problem=f"event {unsealed} was inserted outside the chain (it has no valid sequence number)")
    start = None
    if checkpoint is not None:
        start, broken = _vouched_for(session, checkpoint)
        if broken is not None:
            return found(ok=False, events=0, **broken)
    return _walk(session, found, head, start, batch)


def verified(session: Session) -> ChainVerification:
    """The incremental check, made once per session: an export's statement and the checkpoint recorded after it share it."""
    if _VERIFIED not in session.info:
        session.info[_VERIFIED] = verify_chain(session)
    result: ChainVerification = session.info[_VERIFIED]
    return result


def latest_checkpoint(session: Session, *, through: int | None = None) -> Checkpoint | None:
    """The checkpoint event last appended (up to event #``through``), as it reads now; None before the first."""
    query = select(AuditEvent.id, AuditEvent.seq, AuditEvent.at, AuditEvent.data).where(AuditEvent.action == CHECKPOINT)
    if through is not None:
        query = query.where(AuditEvent.seq <= through)
    row = session.execute(query.order_by(AuditEvent.seq.desc()).limit(1)).first()
    return _checkpoint_of(row) if row is not None else None


def checkpointed_since(session: Session, seq: int) -> bool:
    """Whether a checkpoint was appended at or after event #``seq`` (so the events up to it are vouched for)."""
    return session.scalar(select(AuditEvent.id).where(AuditEvent.action == CHECKPOINT, AuditEvent.seq >= seq)
                          .limit(1)) is not None


def _checkpoint_of(event: Any) -> Checkpoint:
    """A checkpoint event's row as the checkpoint it records."""
    data = event.data if isinstance(event.data, dict) else {}
    # A malformed checkpoint reads as vouching for nothing, which _vouched_for reports (the app never writes one).
    seq, hash_ = data.get("seq"), data.get("hash")
    return Checkpoint(event_id=event.id, seq=event.seq, at=event.at, through_seq=seq if isinstance(seq, int) else 0,
                      through_hash=hash_ if isinstance(hash_, str) else "")


def checkpoint_data(result: ChainVerification) -> dict[str, Any]:
    """What a checkpoint event records of an intact check: the last event verified, how many now, and where from."""
    since = result.checkpoint
    return {"seq": result.head_seq, "id": result.head_id, "hash": result.head_hash, "verified": result.events,
            "continued_from": {"id": since.event_id, "seq": since.seq} if since else None}


def _unsealed(session: Session) -> int | None:
    """The first event with no valid sequence number (inserted behind the chain's back), if any."""
    probes = (AuditEvent.seq.is_(None), AuditEvent.seq < 1)
    # Two probes in the seq index's order first: min(id) over their OR reads the whole table when there is
    # none (SQLite always, PostgreSQL before its statistics are gathered).
    if all(session.scalar(select(AuditEvent.id).where(probe).order_by(AuditEvent.seq).limit(1)) is None
           for probe in probes):
        return None
    return session.scalar(select(func.min(AuditEvent.id)).where(or_(*probes)))


def _vouched_for(session: Session, checkpoint: Checkpoint) -> tuple[Any, dict[str, Any] | None]:
    """The event the checkpoint vouches for, to continue from; or, when it no longer holds, why (as found()'s fields)."""
    named = f"the checkpoint of {checkpoint.at.isoformat(timespec='seconds')} (event {checkpoint.event_id}, " \
            f"#{checkpoint.seq})"
    if not 0 < checkpoint.through_seq < checkpoint.seq or len(checkpoint.through_hash) != 64:
        return None, {"first_bad_id": checkpoint.event_id, "first_bad_seq": checkpoint.seq,
                      "problem": f"{named} was altered: it no longer names an earlier event and its hash"}
    row = session.execute(select(*_CHAINED).where(AuditEvent.seq == checkpoint.through_seq)).first()
    if row is None:
        return None, {"first_bad_seq": checkpoint.through_seq,
                      "problem": f"event #{checkpoint.through_seq}, verified by {named}, was removed"}
    where = {"first_bad_id": row.id, "first_bad_seq": row.seq}
    if row.hash != checkpoint.through_hash:
        return None, {**where, "problem": f"event {row.id} (#{row.seq}) was altered and its hash recomputed: "
                                          f"it no longer has the hash {named} recorded"}
    if row.hash != event_hash(row, row.prev_hash):
        return None, {**where, "problem": f"event {row.id} (#{row.seq}) was altered: its content no longer "
                                          f"matches its hash"}
    return row, None


def _walk(session: Session, found: Any, head: AuditChainHead | None, start: Any, batch: int) -> ChainVerification:
    """Check the events after ``start`` (from the first when None) one by one up to the head read before."""
    # Only up to the head read before: on PostgreSQL each batch sees what others committed since,
    # and those events belong to a later head, not to this check.
    through = head.seq if head else None
    previous: Any = start
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
            if event.action == CHECKPOINT:
                # Each checkpoint passed on the way still agrees with the event it named: a chain rewritten
                # (and rehashed) from that event on is consistent in itself, but not with what was recorded.
                _named, broken = _vouched_for(session, _checkpoint_of(event))
                if broken is not None:
                    return found(ok=False, events=checked, **broken)
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
    return found(ok=True, events=checked, head_id=last.id if last else None)
