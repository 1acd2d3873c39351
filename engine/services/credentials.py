"""Password checks for signing in, API tokens, signatures and password changes: one count of wrong passwords.

Every wrong password counts against its name and against the client's address within a window. Past the limit,
every attempt is refused (TooManyAttempts, with the seconds until the window ends) without checking the
password, so guessing stops there whatever the way in. The counters are rows locked for the whole check, so
parallel guesses are counted one after another: no more than the limit ever reach the password.
"""
from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from argon2 import PasswordHasher

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.errors import Reason, TooManyAttempts, WrongPassword
from engine.models import PasswordThrottle, User
from engine.services import audit

MAX_FAILURES = 5  # wrong passwords for one name within the window
MAX_ADDRESS_FAILURES = 50  # wrong passwords from one address (many people may share one behind a proxy)
WINDOW = timedelta(minutes=15)

# The audit action of a refusal, by what the password was for.
REFUSED = {"sign_in": "sign_in_refused", "api_token": "sign_in_refused", "signature": "signature_refused",
           "password_change": "password_change_refused"}

_hasher = PasswordHasher()


@dataclass(frozen=True)
class Attempt:
    """Who tries a password, from where, for what; a signature names the task and instance it would sign."""

    username: str
    purpose: str  # a key of REFUSED
    address: str | None = None
    instance_id: int | None = None
    task_id: int | None = None


def check(session: Session, attempt: Attempt, password: str) -> User:
    """The active user whose password this is; else WrongPassword or TooManyAttempts, counted and audited.

    Call it before the use case writes anything: the refusal's record commits and the rest would too.
    """
    counters = _locked(session, attempt)
    now = _now()
    for counter, limit in counters:
        if counter.window_start + WINDOW <= now:
            counter.failures, counter.window_start = 0, now
        if counter.failures >= limit:
            _refused(session, attempt, "too many attempts")
            raise _too_many(counter.window_start + WINDOW - now)
    user = session.scalar(select(User).where(User.username == attempt.username))
    if not verify_password(user, password) or user is None or not user.active:  # the hash runs for every name
        for counter, _limit in counters:
            counter.failures += 1
        _refused(session, attempt, "deactivated" if user is not None and not user.active else "wrong password")
        raise WrongPassword(f"{attempt.username or '-'}: wrong user name or password",
                            reason=Reason("wrong_password", {}, "wrong user name or password"))
    counters[0][0].failures = 0  # the name's count starts again; the address's goes on
    return user


def _locked(session: Session, attempt: Attempt) -> list[tuple[PasswordThrottle, int]]:
    """The name's and the address's counters, created if new and locked until the transaction ends."""
    limits = {f"name:{attempt.username[:180]}": MAX_FAILURES}
    if attempt.address:
        limits[f"address:{attempt.address[:180]}"] = MAX_ADDRESS_FAILURES
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    now = _now()
    for key in limits:  # in one order, so that two checks never wait on each other
        session.execute(insert(PasswordThrottle).values(key=key, failures=0, window_start=now)
                        .on_conflict_do_nothing(index_elements=["key"]))
    rows = session.scalars(select(PasswordThrottle).where(PasswordThrottle.key.in_(limits))
                           .order_by(PasswordThrottle.key).with_for_update()
                           .execution_options(populate_existing=True)).all()
    by_key = {row.key: row for row in rows}
    return [(by_key[key], limit) for key, limit in limits.items()]


def _refused(session: Session, attempt: Attempt, reason: str) -> None:
    data: dict[str, object] = {"reason": reason, "address": attempt.address}
    if attempt.purpose == "api_token":
        data["via"] = "api_token"
    audit.record(session, action=REFUSED[attempt.purpose], actor=attempt.username[:80] or "-",
                 instance_id=attempt.instance_id, task_id=attempt.task_id, data=data)


def _too_many(left: timedelta) -> TooManyAttempts:
    seconds = max(1, math.ceil(left.total_seconds()))
    minutes = max(1, math.ceil(seconds / 60))
    return TooManyAttempts(f"too many wrong passwords: try again in {minutes} minutes", retry_after=seconds,
                           reason=Reason("too_many_attempts", {"minutes": str(minutes)},
                                         f"too many wrong passwords: try again in {minutes} minutes"))


def hash_password(password: str) -> str:
    """The argon2 hash kept instead of the password."""
    return _hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    """Whether the password is the user's; an unknown user (None) or one without a password costs the same hash,
    so that the time a refusal takes does not tell which names exist."""
    stored = user.password_hash if user is not None and user.password_hash else _decoy_hash()
    try:
        right = _hasher.verify(stored, password)
    except Exception:  # noqa: BLE001 - argon2 raises several types for "no"
        right = False
    return right and user is not None and bool(user.password_hash)


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    """A hash of no one's password, made once, checked against when there is no real one."""
    return PasswordHasher().hash(secrets.token_urlsafe(16))


def _now() -> datetime:
    # Wall-clock time, also while the engine's clock is moved (a timer sweep, a test): sign-ins end in real time.
    return datetime.now(timezone.utc)
