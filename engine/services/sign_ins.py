"""Signing in and out: a server-side record of each browser session and API token, so that ending one ends it.

The browser's cookie or the token carries a random secret; the database keeps only its SHA-256. A request is
signed in while its secret's row is neither ended (sign-out, revocation) nor expired. Password changes, resets
and deactivation end every sign-in of a user at once through the user's credentials epoch (webui/auth.py).
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import update
from sqlalchemy.orm import Session

from engine.models import SignInSession, User
from engine.services import audit, credentials

LIFETIME = {"browser": timedelta(hours=12), "api_token": timedelta(hours=12)}


def sign_in(session: Session, *, username: str, password: str, kind: str, address: str | None = None,
            ) -> tuple[User, str]:
    """The user and the new sign-in's secret, for the right password; else the refusal, counted and audited."""
    user = credentials.check(session, credentials.Attempt(username, "api_token" if kind == "api_token"
                                                          else "sign_in", address), password)
    secret = start(session, username=username, kind=kind, address=address)
    data = {"address": address, **({"via": "api_token"} if kind == "api_token" else {})}
    audit.record(session, action="sign_in", actor=username, data=data)
    return user, secret


def start(session: Session, *, username: str, kind: str, address: str | None = None) -> str:
    """A new sign-in of this kind for the user: the secret its cookie or token carries."""
    secret = secrets.token_urlsafe(32)
    now = _now()
    session.add(SignInSession(id_sha256=_digest(secret), username=username, kind=kind, started_at=now,
                              expires_at=now + LIFETIME[kind], address=(address or "")[:64] or None))
    return secret


def is_live(session: Session, secret: object, username: str) -> bool:
    """Whether this secret is the user's sign-in, not ended and not expired."""
    if not isinstance(secret, str) or not secret:
        return False
    row = session.get(SignInSession, _digest(secret))
    return (row is not None and row.username == username and row.ended_at is None
            and row.expires_at > _now())


def end(session: Session, secret: object, *, actor: str, how: str = "sign_out") -> bool:
    """End this sign-in (``how``: "sign_out" or "token_revoked", the audit action); False if it was not live."""
    if not is_live(session, secret, actor):
        return False
    row = session.get(SignInSession, _digest(str(secret)))
    assert row is not None
    row.ended_at = _now()
    audit.record(session, action=how, actor=actor, data={"kind": row.kind})
    return True


def end_all(session: Session, username: str) -> int:
    """End every live sign-in of the user (a deactivation, a reset); how many there were."""
    now = _now()
    result = session.execute(update(SignInSession).where(
        SignInSession.username == username, SignInSession.ended_at.is_(None), SignInSession.expires_at > now)
        .values(ended_at=now))
    return int(getattr(result, "rowcount", 0) or 0)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _now() -> datetime:
    # Wall-clock time, also while the engine's clock is moved (a timer sweep, a test): sign-ins end in real time.
    return datetime.now(timezone.utc)
