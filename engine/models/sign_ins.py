"""Who is signed in where (browser sessions and API tokens), and the count of wrong passwords per name and address."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from engine.models.base import Base, UtcDateTime


class SignInSession(Base):
    """One sign-in: a browser's session or an API token. Ending it (sign-out, revocation) ends it everywhere."""

    __tablename__ = "sign_in_sessions"

    # SHA-256 of the secret the browser's cookie or the token carries: reading this table signs no one in.
    id_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "browser" or "api_token"
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    address: Mapped[str | None] = mapped_column(String(64))


class PasswordThrottle(Base):
    """Wrong passwords counted for one name ("name:…") or one client address ("address:…") in the current window."""

    __tablename__ = "password_throttles"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime)
