"""Wrong passwords, counted once for every way in: signing in, tokens, signatures, password changes."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from engine.errors import TooManyAttempts, WrongPassword
from engine.models import AuditEvent, PasswordThrottle
from engine.services import credentials, sign_ins, tasks, users
from tests.engine.test_concurrency import _race
from tests.factories import PASSWORD, walk_to_approval


def _sign_in(db, username: str, password: str, address: str | None = "192.0.2.1") -> object:
    try:
        with db.transaction() as session:
            return sign_ins.sign_in(session, username=username, password=password, kind="browser", address=address)
    except (WrongPassword, TooManyAttempts) as exc:
        return exc


def _refusals(db, *actions: str) -> list[tuple[str, str]]:
    with db.reading() as session:
        return [(e.action, e.data["reason"]) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action.in_(actions)).order_by(AuditEvent.id))]


def test_parallel_guesses_reach_the_password_no_more_often_than_the_limit(db):
    """Sixteen wrong passwords at once for one name: exactly the limit are checked, the rest refused unchecked."""
    results = _race(db, [lambda session: sign_ins.sign_in(session, username="body", password="guess",
                                                          kind="browser", address="192.0.2.1")] * 16)
    assert sum(isinstance(r, WrongPassword) for r in results) == credentials.MAX_FAILURES
    assert sum(isinstance(r, TooManyAttempts) for r in results) == 16 - credentials.MAX_FAILURES
    reasons = [reason for _action, reason in _refusals(db, "sign_in_refused")]
    assert reasons.count("wrong password") == credentials.MAX_FAILURES and len(reasons) == 16


def test_wrong_signing_passwords_count_with_wrong_sign_ins_and_stand_on_the_instance_trail(db):
    task = walk_to_approval(db)
    for _ in range(credentials.MAX_FAILURES - 2):
        assert isinstance(_sign_in(db, "gm", "guess"), WrongPassword)
    for _ in range(2):
        with pytest.raises(WrongPassword, match="password does not match"), db.transaction() as session:
            tasks.complete_signed(session, task_id=task.id, actor="gm", data={}, password="guess")
    # The right password now: still refused, unchecked, until the window ends, and nothing is decided.
    with pytest.raises(TooManyAttempts) as blocked, db.transaction() as session:
        tasks.complete_signed(session, task_id=task.id, actor="gm", data={}, password=PASSWORD)
    assert 0 < blocked.value.retry_after <= credentials.WINDOW.total_seconds()
    with db.reading() as session:
        trail = [(e.action, e.data.get("reason")) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.instance_id == task.instance_id).order_by(AuditEvent.id))]
    assert trail[-3:] == [("signature_refused", "wrong password")] * 2 + [("signature_refused", "too many attempts")]
    assert isinstance(_sign_in(db, "gm", PASSWORD), TooManyAttempts)


def test_a_wrong_current_password_counts_too(db):
    for _ in range(credentials.MAX_FAILURES):
        with pytest.raises(WrongPassword), db.transaction() as session:
            users.change_password(session, username="staff_prod", current="guess", new="a new passphrase")
    assert isinstance(_sign_in(db, "staff_prod", PASSWORD), TooManyAttempts)
    assert _refusals(db, "password_change_refused") == [("password_change_refused", "wrong password")] * 5


def test_the_count_starts_again_when_the_window_ends_or_the_right_password_is_given(db):
    for _ in range(credentials.MAX_FAILURES):
        _sign_in(db, "body", "guess")
    assert isinstance(_sign_in(db, "body", PASSWORD), TooManyAttempts)
    with db.transaction() as session:
        session.execute(update(PasswordThrottle).values(
            window_start=datetime.now(timezone.utc) - credentials.WINDOW - timedelta(seconds=1)))
    assert isinstance(_sign_in(db, "body", PASSWORD), tuple)
    for _ in range(credentials.MAX_FAILURES - 1):
        _sign_in(db, "body", "guess")
    assert isinstance(_sign_in(db, "body", PASSWORD), tuple)  # the right one resets the name's count
    assert isinstance(_sign_in(db, "body", "guess"), WrongPassword)


def test_a_sign_in_keeps_only_a_hash_of_its_secret_and_ends_once(db):
    user, secret = _sign_in(db, "body", PASSWORD)
    with db.transaction() as session:
        assert sign_ins.is_live(session, secret, "body") and not sign_ins.is_live(session, secret, "gm")
        assert sign_ins.end(session, secret, actor="body")
    with db.transaction() as session:
        assert not sign_ins.is_live(session, secret, "body") and not sign_ins.end(session, secret, actor="body")
    assert user.username == "body"
