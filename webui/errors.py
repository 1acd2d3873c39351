"""The pages' error answers: what went wrong in the reader's language, the engine's reason, and a way on."""
from __future__ import annotations

from typing import Any, NoReturn

from flask import abort, g, render_template
from flask_babel import lazy_gettext as _  # lazy: the titles are read per request, in its language
from werkzeug.exceptions import HTTPException

from engine.errors import CarbonFlowError, Conflict, InvalidFormData, NotFound, NotPermitted, TooManyAttempts

# An engine error's HTTP status, for the pages and the API alike; any other CarbonFlowError is a 400.
# A subclass comes before its base: the first that matches answers.
STATUS: dict[type[CarbonFlowError], int] = {NotFound: 404, TooManyAttempts: 429, NotPermitted: 403, Conflict: 409,
                                            InvalidFormData: 422}

TITLES = {
    400: _("The request could not be used"),
    403: _("Not permitted"),
    404: _("Not found"),
    405: _("Not allowed this way"),
    409: _("Someone else was quicker"),
    413: _("Too large"),
    415: _("Not shown in the page"),
    422: _("Invalid input"),
    429: _("Too many attempts"),
    500: _("Something went wrong on our side"),
}
HINTS = {
    403: _("This is for other roles or for those who took part. Ask the carbon management body if you need it."),
    404: _("It may never have existed, or the link is mistyped."),
    409: _("The task or record changed while you were looking at it. Open it again to see where it stands."),
    500: _("Nothing was half-written: the change was rolled back. Try again, or tell the administrator."),
}


def status_of(exc: CarbonFlowError) -> int:
    """The HTTP status that answers this engine error."""
    return next((status for kind, status in STATUS.items() if isinstance(exc, kind)), 400)


def abort_for(exc: CarbonFlowError) -> NoReturn:
    """Answer a page's engine error with its status and the engine's words as the reason."""
    abort(status_of(exc), description=str(exc))


def page(error: HTTPException) -> Any:
    """An HTTP error as a page (redirects and other non-errors pass through unchanged)."""
    if error.code is None or error.code < 400:
        return error
    # The engine's reason, when a view passed one on (abort(403, description=str(exc))).
    reason = error.description if error.description != type(error).description else None
    if error.code == 403:
        g.refusal = reason  # kept by the refusal's audit event
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    body = render_template("error.html", code=error.code, title=TITLES.get(error.code, error.name),
                           reason=reason, hint=HINTS.get(error.code))
    return body, error.code, headers


def refused(reason: str) -> None:
    """Note why a page answered 403 without raising (it shows the form again, with the reason flashed)."""
    g.refusal = reason
