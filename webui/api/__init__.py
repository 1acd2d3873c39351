"""The JSON API (flask-smorest): bearer tokens, marshmallow schemas, OpenAPI at /api/openapi.json.

Each resource module defines a flask-smorest Blueprint; `register` mounts them. The API answers
with JSON errors (401, 403, 404, 409, 422) and never redirects to the sign-in page. Who may call
it is decided in `auth.authenticate`, which webui.app runs before every /api/ request.
"""
from __future__ import annotations

from flask import Flask
from flask_smorest import Api, Blueprint

from webui.api import (
    auth,
    comments,
    instances,
    messages,
    notifications,
    operations,
    process_versions,
    processes,
    tasks,
    users,
)
from webui.api.auth import authenticate
from webui.api.errors import JsonErrorApi

__all__ = ["authenticate", "register"]


def register(app: Flask, csrf: object) -> Api:
    """Mount the API's blueprints on the app, exempt from the pages' CSRF (tokens, not cookies)."""
    app.config.setdefault("API_TITLE", "CarbonFlow")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {"security": [{"bearer": []}]})
    api = JsonErrorApi(app)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "description": (
        "POST /api/v1/auth/token for a token; a signed-in page session is accepted too (writes then "
        "need its X-CSRFToken header).")})
    for blueprint in _blueprints():
        # Session callers' writes are checked for CSRF in auth.authenticate, token callers' are not.
        csrf.exempt(blueprint)  # type: ignore[attr-defined]
        api.register_blueprint(blueprint)
    return api


def _blueprints() -> list[Blueprint]:
    """The API's resource blueprints (each module under webui/api/ adds its own here)."""
    return [auth.blueprint, processes.blueprint, process_versions.blueprint, instances.blueprint, tasks.blueprint,
            messages.blueprint, operations.blueprint, users.blueprint, notifications.blueprint, comments.blueprint]
