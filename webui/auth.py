"""Signing in and out: argon2 passwords, a session cookie, refused attempts slowed down and audited."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask import session as browser_session
from flask_babel import gettext as _
from flask_login import UserMixin, current_user, login_user, logout_user
from sqlalchemy import func, select

from engine import clock
from engine.errors import NotFound, NotPermitted
from engine.models import AuditEvent, User
from engine.people import ADMIN_ROLE, get_actor
from engine.read.access import READER_ROLES
from engine.services import audit
from engine.services.users import verify_password
from webui.extensions import database

blueprint = Blueprint("auth", __name__)

# After this many refused attempts for one name within the window, sign-in waits out the window.
MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
# Every refusal costs this long, so guessing is slow even below the limit.
REFUSAL_DELAY = 1.0
# The session's copy of the user's credentials epoch (a session without one is from before epochs: 0).
EPOCH_KEY = "credentials_epoch"


@dataclass
class SignedIn(UserMixin):
    """The signed-in person as the pages see them."""

    username: str
    display_name: str
    role_ids: tuple[str, ...]
    department_code: str | None
    credentials_epoch: int = 0  # the user's, when they signed in: a reset or password change moves it on
    must_change_password: bool = False

    def get_id(self) -> str:
        return self.username

    def has_role(self, *roles: str) -> bool:
        return bool(set(roles) & set(self.role_ids))

    @property
    def oversees(self) -> bool:
        """May read every record (the audit trail, registers, exports): the oversight roles, auditors included."""
        return self.has_role(*READER_ROLES)


def load_user(username: str) -> SignedIn | None:
    """The session's user, if they still exist, are active and their credentials have not changed since sign-in.

    A deactivated user, or one whose password was reset or changed elsewhere, is signed out.
    """
    return signed_in_as(username, browser_session.get(EPOCH_KEY, 0))


def signed_in_as(username: str, epoch: int | None) -> SignedIn | None:
    """The user by this name if active and their credentials epoch is ``epoch`` (None: whatever it is now)."""
    with database().reading() as session:
        try:
            actor = get_actor(session, username)
        except (NotFound, NotPermitted):
            return None
        row = session.execute(select(User.display_name, User.credentials_epoch, User.must_change_password)
                              .where(User.username == username)).one()
    if epoch is not None and epoch != row.credentials_epoch:
        return None
    return SignedIn(actor.username, row.display_name or username, actor.role_ids, actor.department_code,
                    row.credentials_epoch, row.must_change_password)


def start_session(user: SignedIn) -> None:
    """Sign the user in on this browser, remembering the credentials epoch the session belongs to."""
    browser_session[EPOCH_KEY] = user.credentials_epoch
    login_user(user)


@blueprint.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    if request.method == "GET":
        return render_template("sign_in.html")
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    error = check_credentials(username, password)
    if error:
        return render_template("sign_in.html", error=error, username=username), 401
    user = signed_in_as(username, None)
    assert user is not None
    start_session(user)
    if user.must_change_password:
        return redirect(url_for("account.password"))
    return redirect(_safe_next(request.args.get("next")) or url_for("inbox.show"))


@blueprint.route("/sign-out", methods=["POST"])
def sign_out() -> Any:
    with database().transaction() as session:
        audit.record(session, action="sign_out", actor=current_user.username)
    logout_user()
    flash(_("You are signed out."))
    return redirect(url_for("auth.sign_in"))


def check_credentials(username: str, password: str, *, via: str | None = None) -> str | None:
    """None when the password is right; else why not, audited and then answered slowly (pages and API alike).

    ``via`` names the way in (the API's "api_token") in the audit events; the sign-in page leaves it out.
    """
    error = _check(username, password, {"via": via} if via else {})
    if error:
        # After the transaction: the refusal is on record, and no lock is held while we wait.
        time.sleep(REFUSAL_DELAY)
    return error


def _check(username: str, password: str, how: dict[str, str]) -> str | None:
    """None when the password is right; else why not, with the refusal audited (in one transaction)."""
    with database().transaction() as session:
        since = clock.now() - WINDOW
        failures = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "sign_in_refused", AuditEvent.actor == username[:80], AuditEvent.at >= since))
        if failures >= MAX_FAILURES:
            audit.record(session, action="sign_in_refused", actor=username[:80],
                         data={"reason": "too many attempts", **how})
            return _("Too many failed attempts. Try again in %(minutes)d minutes.", minutes=WINDOW.seconds // 60)
        user = session.scalar(select(User).where(User.username == username))
        if not verify_password(user, password) or user is None or not user.active:  # the hash runs for every name
            audit.record(session, action="sign_in_refused", actor=username[:80] or "-",
                         data={"reason": "wrong name or password" if user is None or user.active else "deactivated",
                               "address": request.remote_addr, **how})
            return _("Wrong user name or password.")
        audit.record(session, action="sign_in", actor=username, data={"address": request.remote_addr, **how})
        return None


def admins_only() -> None:
    """A blueprint's before_request: only a signed-in process_admin goes on; anyone else gets 403 (audited)."""
    if not current_user.is_authenticated or not current_user.has_role(ADMIN_ROLE):
        g.refusal = f"needs role {ADMIN_ROLE}"
        abort(403, description=_("Only a process administrator may open this page."))


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never send someone signing in off to another host."""
    if not target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else None
