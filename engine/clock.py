"""The engine's clock: real time, unless a caller pins 'now' (timer sweeps, tests)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone

_pinned: ContextVar[datetime | None] = ContextVar("carbonflow_now", default=None)


def now() -> datetime:
    """The current time in UTC, or the pinned time inside ``frozen_at``."""
    return _pinned.get() or datetime.now(timezone.utc)


def is_pinned() -> bool:
    """True inside ``frozen_at`` with a moment."""
    return _pinned.get() is not None


@contextmanager
def frozen_at(moment: datetime | None) -> Iterator[None]:
    """Make ``now()`` (and BPMN timers) see ``moment`` within this block; None leaves real time."""
    if moment is not None and moment.tzinfo is None:
        raise ValueError("frozen_at needs a timezone-aware datetime")
    token = _pinned.set(moment)
    try:
        yield
    finally:
        _pinned.reset(token)
