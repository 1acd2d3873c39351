"""Input refused before any view runs: text the database cannot store, JSON too deep or odd to build, ids past a column.

PostgreSQL refuses NUL (U+0000) in text and UTF-8 has no lone surrogates (U+D800–U+DFFF); SQLite would store a
NUL, so it is refused on both. So are JSON bodies nested deeper than MAX_DEPTH or holding a number longer than
MAX_NUMBER_CHARS, NaN or an infinity. Each is a 400 naming the field (path parameter, query argument, form field,
file name or JSON member), answered before anything is read or written. Ids in paths stop at PostgreSQL's
``integer`` (MAX_ID; SQLite's reaches 2**63 - 1): a larger one matches no route, since no row can have it (404).
"""
from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterator
from typing import Any

from flask import Flask, abort, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import DataError
from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.routing import IntegerConverter, Map

from webui import errors as pages
from webui.api.errors import error_body

MAX_ID = 2**31 - 1
MAX_DEPTH = 32
MAX_NUMBER_CHARS = 100
# What a refusal names when the JSON body itself, not one of its members, is at fault.
BODY = "body"

_SURROGATE = re.compile("[\ud800-\udfff]")
_DIGITS = re.compile(r"[0-9]{1,10}")
_SIGNED = re.compile(r"[-+]?[0-9]+")
_SPACE = re.compile(r"[ \t\n\r]*")
log = logging.getLogger(__name__)


class BadInput(ValueError):
    """Raised when a request holds what the application refuses; ``field`` names where (a ValueError for Flask)."""

    def __init__(self, field: str, kind: str, detail: str = "") -> None:
        super().__init__(f"{field}: {kind} {detail}".strip())
        self.field, self.kind, self.detail = field, kind, detail

    def text(self) -> str:
        """What is wrong, in the page's language."""
        field = self.field
        if self.kind == "nul":
            return _("%(field)s contains a NUL character (U+0000), which cannot be stored.", field=field)
        if self.kind == "surrogate":
            return _("%(field)s contains a lone surrogate (%(char)s), which is not text.", field=field,
                     char=self.detail)
        if self.kind == "deep":
            return _("%(field)s is nested deeper than %(depth)s levels.", field=field, depth=MAX_DEPTH)
        if self.kind == "number":
            return _("%(field)s holds a number longer than %(length)s characters.", field=field,
                     length=MAX_NUMBER_CHARS)
        return _("%(field)s holds NaN or an infinity, which JSON does not allow.", field=field)


class IdConverter(IntegerConverter):
    """``<int:…>`` in routes: 0 to MAX_ID; a longer or larger number matches no route (404)."""

    regex = r"\d{1,10}"

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            # Not werkzeug's ValidationError: that answers 405 when a rule for another method has the same path.
            raise NotFound()
        return number


class JsonProvider(DefaultJSONProvider):
    """Flask's JSON, read with load_json: what it refuses is a ValueError, so ``request.get_json()`` answers 400."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return load_json(s)


def init_app(app: Flask) -> None:
    """Bound ``<int:…>``, read JSON with load_json and check each request before any other hook (CSRF too).

    Called before the blueprints are registered: their rules take the converter as they are added.
    """
    app.url_map.converters["int"] = IdConverter
    app.json = JsonProvider(app)
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_bad_input)
    # Only in case a value slips past the checks above and the views' schemas: the database's refusal is a 400.
    app.register_error_handler(DataError, _unstorable)
    app.register_error_handler(OverflowError, _unstorable)


def refuse_bad_input() -> Any:
    """The 400 naming the first field that holds what the application refuses; None when there is none."""
    try:
        for field, text in _texts():
            check_text(field, text)
        if request.is_json:
            _check_body(request.get_data(cache=True))
    except BadInput as exc:
        if request.path.startswith("/api/"):
            with force_locale("en"):  # the API speaks English
                message = exc.text()
            return error_body(400, message, {exc.field: [message]})
        abort(400, description=exc.text())
    return None


def load_json(text: str | bytes) -> Any:
    """JSON text as Python; BadInput for nesting past MAX_DEPTH, over-long or non-finite numbers, NUL, surrogates."""
    decoder = json.JSONDecoder(parse_int=_integer, parse_float=_decimal, parse_constant=_Refused.not_finite)
    if isinstance(text, bytes):
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    try:
        value = decoder.decode(text)
    except RecursionError:
        raise BadInput(_too_deep_member(decoder, text), "deep") from None
    check_json(value)
    return value


def check_json(value: Any) -> None:
    """BadInput for the first member (in document order) that nests too deep or holds a refused string or number."""
    stack: list[tuple[Any, str, int]] = [(value, BODY, 1)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            check_text(path, item)
        elif isinstance(item, _Refused):
            raise BadInput(path, item.kind)
        elif isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                raise BadInput(path, "deep")
            members = list(item.items() if isinstance(item, dict) else enumerate(item))
            for key, _member in members:
                check_text(_member_path(path, key), str(key))
            stack.extend((member, _member_path(path, key), depth + 1) for key, member in reversed(members))


def check_text(field: str, text: str) -> None:
    """BadInput when the text holds a NUL or a lone surrogate."""
    if "\x00" in text:
        raise BadInput(_printable(field), "nul")
    surrogate = _SURROGATE.search(text)
    if surrogate:
        raise BadInput(_printable(field), "surrogate", f"U+{ord(surrogate.group()):04X}")


def whole_number(text: str) -> int | None:
    """The number the text spells in ASCII digits, 0 to MAX_ID; None when it spells none or a larger one."""
    text = text.strip()
    if not _DIGITS.fullmatch(text) or int(text) > MAX_ID:
        return None
    return int(text)


def int_arg(name: str) -> int | None:
    """A number from the query string as ``type=int`` reads it (None when absent or not one); 400 past MAX_ID."""
    value = request.args.get(name, "").strip()
    if not _SIGNED.fullmatch(value):
        return None
    if len(value) > 11 or abs(int(value)) > MAX_ID:
        abort(400, description=_("%(field)s must be a number of at most %(most)s.", field=name, most=MAX_ID))
    return int(value)


def page_arg() -> int:
    """The page number the query string asks for: 1 when absent, not a number or below 1; 400 past MAX_ID."""
    return max(int_arg("page") or 1, 1)


def _texts() -> Iterator[tuple[str, str]]:
    """Every string of the request a view may read, with the name of the field it comes in."""
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str):
            yield name, value
    for source in (request.args, request.form):
        for name, value in source.items(multi=True):
            yield name, name
            yield name, value
    for name, file in request.files.items(multi=True):
        yield name, name
        yield name, file.filename or ""
        yield name, file.content_type or ""


def _check_body(data: bytes) -> None:
    if not data:
        return
    try:
        load_json(data)
    except BadInput:
        raise
    except ValueError:
        return  # not JSON at all: the view's parser answers that with its own 400


class _Refused:
    """A number load_json will refuse, kept in place so that check_json can name the member holding it."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    @classmethod
    def not_finite(cls, _text: str) -> _Refused:
        return cls("not_finite")


def _integer(text: str) -> int | _Refused:
    return _Refused("number") if len(text) > MAX_NUMBER_CHARS else int(text)


def _decimal(text: str) -> float | _Refused:
    if len(text) > MAX_NUMBER_CHARS:
        return _Refused("number")
    value = float(text)
    return value if math.isfinite(value) else _Refused("not_finite")


def _too_deep_member(decoder: json.JSONDecoder, text: str) -> str:
    """Which top-level member of a body too deep for json.loads nests too deep (walked only on that error)."""
    position = _skip(text, 0)
    if not text.startswith("{", position):
        return BODY
    while True:
        position = _skip(text, position + 1)
        if not text.startswith('"', position):
            return BODY
        try:
            key, position = json.decoder.scanstring(text, position + 1)  # type: ignore[attr-defined]
            position = _skip(text, position)
            if not text.startswith(":", position):
                return BODY
            _, position = decoder.raw_decode(text, _skip(text, position + 1))
        except RecursionError:
            return _printable(key)
        except ValueError:
            return BODY
        position = _skip(text, position)
        if not text.startswith(",", position):
            return BODY


def _skip(text: str, position: int) -> int:
    """The position of the first character from ``position`` on that is not JSON whitespace."""
    return _SPACE.match(text, position).end()  # type: ignore[union-attr]  # matches everywhere, if only ""


def _member_path(path: str, key: object) -> str:
    return str(key) if path == BODY else f"{path}.{key}"


def _printable(field: str) -> str:
    """A field's name as a message may show it: NUL and surrogates escaped, at most 100 characters."""
    shown = "".join(f"\\u{ord(c):04x}" if c == "\x00" or _SURROGATE.match(c) else c for c in field)
    return shown if len(shown) <= 100 else shown[:99] + "…"


def _unstorable(exc: Exception) -> Any:
    """The database refused a value (its transaction has rolled back): a 400 rather than a 500, and a warning."""
    log.warning("a value the database refused reached it: %s", exc)
    if request.path.startswith("/api/"):
        return error_body(400, "a value is out of range or cannot be stored")
    # Returned, not raised: an error handler's own exception would be a 500.
    return pages.page(BadRequest(_("A value is out of range or cannot be stored.")))
