"""Signing in and out: argon2 passwords, a server-side sign-in behind the cookie, refusals counted and audited."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask import session as browser_session
from flask_babel import gettext as _
from flask_login import UserMixin, current_user, login_user, logout_user
from sqlalchemy import select

from engine.errors import NotFound, NotPermitted, TooManyAttempts, WrongPassword
from engine.models import User
from engine.people import ADMIN_ROLE, get_actor
from engine.read.access import READER_ROLES
from engine.services import sign_ins
from webui.extensions import database

blueprint = Blueprint("auth", __name__)

# The browser session's key for its sign-in's secret (engine.services.sign_ins keeps the sign-in).
SECRET_KEY = "sign_in"
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
    """The session's user, if this browser's sign-in is live, the user active and their credentials unchanged.

    A signed-out copy of the cookie, a deactivated user, or one whose password was reset or changed
    elsewhere is signed out.
    """
    return signed_in_as(username, browser_session.get(EPOCH_KEY, 0), secret=browser_session.get(SECRET_KEY, ""))


def signed_in_as(username: str, epoch: int | None, *, secret: object = None) -> SignedIn | None:
    """The user by this name if active and their credentials epoch is ``epoch`` (None: whatever it is now), and,
    when ``secret`` is given, their sign-in with that secret is live."""
    with database().reading() as session:
        try:
            actor = get_actor(session, username)
        except (NotFound, NotPermitted):
            return None
        if secret is not None and not sign_ins.is_live(session, secret, username):
            return None
        row = session.execute(select(User.display_name, User.credentials_epoch, User.must_change_password)
                              .where(User.username == username)).one()
    if epoch is not None and epoch != row.credentials_epoch:
        return None
    return SignedIn(actor.username, row.display_name or username, actor.role_ids, actor.department_code,
                    row.credentials_epoch, row.must_change_password)


def start_session(user: SignedIn, secret: str) -> None:
    """Sign the user in on this browser: the sign-in's secret and the credentials epoch it belongs to."""
    language = browser_session.get("lang")
    browser_session.clear()  # nothing of a previous sign-in carries over, but the language chosen
    if language:
        browser_session["lang"] = language
    browser_session[SECRET_KEY] = secret
    browser_session[EPOCH_KEY] = user.credentials_epoch
    login_user(user)


@blueprint.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    if request.method == "GET":
        return render_template("sign_in.html")
    username = request.form.get("username", "").strip()
    outcome = password_sign_in(username, request.form.get("password", ""), kind="browser")
    if outcome.user is None:
        return render_template("sign_in.html", error=outcome.error, username=username), outcome.status, \
            outcome.headers
    start_session(outcome.user, outcome.secret)
    if outcome.user.must_change_password:
        return redirect(url_for("account.password"))
    return redirect(_safe_next(request.args.get("next")) or url_for("inbox.show"))


@blueprint.route("/sign-out", methods=["POST"])
def sign_out() -> Any:
    """End this browser's sign-in on the server too: a copy of the cookie no longer signs anyone in."""
    with database().transaction() as session:
        sign_ins.end(session, browser_session.get(SECRET_KEY), actor=current_user.username)
    logout_user()
    browser_session.pop(SECRET_KEY, None)
    browser_session.pop(EPOCH_KEY, None)
    flash(_("You are signed out."))
    return redirect(url_for("auth.sign_in"))


@dataclass
class Outcome:
    """A password sign-in's result: the user and their sign-in's secret, or the refusal's words, status, headers."""

    user: SignedIn | None = None
    secret: str = ""
    error: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def password_sign_in(username: str, password: str, *, kind: str) -> Outcome:
    """Sign in with a password (``kind``: "browser" or "api_token"), pages and API alike.

    A wrong password is a 401; past the limit of wrong ones for the name or the address, a 429 saying when to
    try again. Each refusal is counted and audited; no worker thread waits.
    """
    try:
        with database().transaction() as session:
            _user, secret = sign_ins.sign_in(session, username=username[:200], password=password, kind=kind,
                                             address=request.remote_addr)
    except TooManyAttempts as exc:
        minutes = max(1, -(-exc.retry_after // 60))
        return Outcome(error=_("Too many failed attempts. Try again in %(minutes)d minutes.", minutes=minutes),
                       status=429, headers={"Retry-After": str(exc.retry_after)})
    except WrongPassword:
        return Outcome(error=_("Wrong user name or password."), status=401)
    user = signed_in_as(username, None, secret=secret)
    if user is None:  # deactivated between the check and now
        return Outcome(error=_("Wrong user name or password."), status=401)
    return Outcome(user=user, secret=secret)


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
