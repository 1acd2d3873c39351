"""Engine errors and HTTP errors as the API's JSON answers: {code, status, message, errors}.

Translated here, once, with the statuses of webui/errors.py (NotFound 404, NotPermitted 403, Conflict 409,
InvalidFormData 422 with every field named in ``errors``; any other CarbonFlowError 400).
"""
from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Api, Blueprint
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from engine.errors import CarbonFlowError, InvalidFormData, TooManyAttempts
from webui import errors as pages


def resource(name: str, url_prefix: str, description: str) -> Blueprint:
    """A resource module's blueprint, whose views' engine errors are answered here."""
    blueprint = Blueprint(name, __name__, url_prefix=url_prefix, description=description)
    blueprint.register_error_handler(CarbonFlowError, engine_error)
    return blueprint


def error_body(code: int, message: str, errors: dict[str, Any] | None = None) -> tuple[dict[str, Any], int]:
    body: dict[str, Any] = {"code": code, "status": HTTP_STATUS_CODES.get(code, "Error"), "message": message}
    if errors is not None:
        body["errors"] = errors
    return body, code


def engine_error(exc: CarbonFlowError) -> Any:
    """The answer to an engine error raised in an API view (its transaction has rolled back by now)."""
    code = pages.status_of(exc)
    body = error_body(code, str(exc), exc.errors if isinstance(exc, InvalidFormData) else None)
    if isinstance(exc, TooManyAttempts):
        return (*body, {"Retry-After": str(exc.retry_after)})
    return body


class JsonErrorApi(Api):
    """flask-smorest's Api, answering HTTP errors in JSON under /api/ only, with field errors unnested."""

    def handle_http_exception(self, error: HTTPException) -> Any:
        # flask-smorest registers this for the whole app; the pages answer with their own error pages.
        if not request.path.startswith("/api/"):
            return pages.page(error)
        body, code, headers = super().handle_http_exception(error)
        if "errors" in body and (getattr(error, "data", None) or {}).get("messages") is not None:
            body["errors"] = _by_field(body["errors"])
            body.setdefault("message", "invalid " + ", ".join(sorted(body["errors"])))
        return body, code, headers


def _by_field(messages: dict[str, Any]) -> dict[str, Any]:
    """webargs nests errors under where they were found (json, query); the API names the fields alone."""
    fields: dict[str, Any] = {}
    for location in messages.values():
        fields.update(location if isinstance(location, dict) else {"_schema": location})
    return fields
