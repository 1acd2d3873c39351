"""The JSON API (flask-smorest): bearer tokens, marshmallow schemas, OpenAPI at /api/openapi.json.

Each resource module defines a flask-smorest Blueprint; `register` mounts them. The API answers
with JSON errors (401, 403, 404, 409, 422) and never redirects to the sign-in page.
"""
from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def register(app: Flask, csrf: object) -> Api:
    """Mount the API's blueprints on the app, exempt from the pages' CSRF (tokens, not cookies)."""
    app.config.setdefault("API_TITLE", "CarbonFlow")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = Api(app)
    for blueprint in _blueprints():
        csrf.exempt(blueprint)  # type: ignore[attr-defined]
        api.register_blueprint(blueprint)
    return api


def _blueprints() -> list[object]:
    """The API's resource blueprints (each module under webui/api/ adds its own here)."""
    return []
