"""The Flask application: sign-in, pages and (later) the JSON API, all calling engine services."""
from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, g, redirect, request, url_for
from flask_babel import Babel
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.config import Settings
from engine.db import Database
from engine.services import audit as audit_trail
from webui import (
    account,
    api,
    approvals,
    audit,
    auth,
    comments,
    dashboard,
    extensions,
    i18n,
    inbox,
    input_guard,
    instances,
    migrations,
    notifications,
    open_work,
    operations,
    people_admin,
    process_admin,
    security_headers,
    tasks,
)

# The largest request body: an evidence upload of 25 MiB with its form, or the same as base64 in JSON (4/3).
MAX_BODY_BYTES = 34 * 1024 * 1024

# Reachable without signing in: the sign-in page itself, the language switch on it, static files.
PUBLIC_ENDPOINTS = frozenset({"auth.sign_in", "i18n.set_language", "static"})
# All a user whose password was reset may reach until they choose a new one.
BEFORE_NEW_PASSWORD = frozenset({"account.password", "auth.sign_out"})


def create_app(settings: Settings | None = None, *, db: Database | None = None, **config: Any) -> Flask:
    """An application on the database of the settings (or the one given); ``config`` overrides Flask settings."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=_secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        BABEL_DEFAULT_LOCALE="zh",
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
    )
    app.config.update(config)
    input_guard.init_app(app)  # before the blueprints: their routes take its bounded <int:…>
    extensions.init_app(app, db=db or Database(settings.database_url), settings=settings)
    csrf = CSRFProtect(app)
    Babel(app, locale_selector=i18n.current_locale)
    login = LoginManager(app)
    login.login_view = "auth.sign_in"
    login.user_loader(auth.load_user)
    for blueprint in (auth.blueprint, i18n.blueprint, inbox.blueprint, tasks.blueprint, instances.blueprint,
                      approvals.blueprint, audit.blueprint, dashboard.blueprint, process_admin.blueprint,
                      operations.blueprint, migrations.blueprint, people_admin.blueprint, account.blueprint,
                      open_work.blueprint):
        app.register_blueprint(blueprint)
    app.register_blueprint(notifications.blueprint)
    app.register_blueprint(comments.blueprint)
    api.register(app, csrf)
    app.before_request(_require_sign_in)
    app.after_request(_audit_refusal)
    app.after_request(security_headers.add)
    app.context_processor(i18n.template_helpers)
    if settings.trusted_proxies:  # the client's address and scheme as the proxies in front report them
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.add_url_rule("/", "home", lambda: redirect(url_for("inbox.show")))
    plant = ZoneInfo(settings.timezone)
    app.jinja_env.filters["localtime"] = lambda moment: moment.astimezone(plant).strftime("%Y-%m-%d %H:%M")
    return app


def _audit_refusal(response: Any) -> Any:
    """A refused attempt (403) becomes an audit event of its own; what it tried was rolled back or never began."""
    who = g.get("user")
    if response.status_code == 403 and getattr(who, "is_authenticated", False):
        args = request.view_args or {}
        body = response.get_json(silent=True) if response.is_json else None
        reason = body.get("message") if body else g.get("refusal")
        with extensions.database().transaction() as session:
            audit_trail.record(session, action="refused", actor=who.username, instance_id=args.get("instance_id"),
                               task_id=args.get("task_id"), data={
                                   "method": request.method, "path": request.path, "endpoint": request.endpoint,
                                   "reason": reason})
    return response


def _require_sign_in() -> Any:
    g.user = current_user
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if request.path.startswith("/api/"):
        # A bearer token or the session; the API answers 401 in JSON, never with a redirect to the sign-in page.
        return api.authenticate()
    if current_user.is_authenticated:
        if current_user.must_change_password and request.endpoint not in BEFORE_NEW_PASSWORD:
            return redirect(url_for("account.password"))
        return None
    return redirect(url_for("auth.sign_in", next=request.full_path if request.method == "GET" else None))


def _secret_key(settings: Settings) -> str:
    """CARBONFLOW_SECRET_KEY, or a key made once and kept beside the database (sessions survive restarts)."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_dir / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
