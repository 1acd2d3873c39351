"""Form refusals in the reader's language, and the error summary that links each one to its field.

Two kinds of message reach a page. marshmallow's own ("Missing data for required field.") are English: they are
recognised by marshmallow's templates and said again through gettext. The forms' own messages are written in
both languages (forms/fields.py ``bilingual``): the page keeps the half in its language. The API and the command
line keep the messages as the engine gives them.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from webui.i18n import bilingual

# Chinese characters and the fullwidth punctuation that goes with them.
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
_ENDS_SENTENCE = re.compile(r"[.!?](?=\s)")
_PLACEHOLDER = re.compile(r"\\\{(\w+)(?:!r)?\\\}")

# What a field holds decides how a length or a missing value is said: characters, table rows or choices.
TEXT, ROWS, CHOICES, VALUE = "text", "rows", "choices", "value"


def N_(text: str) -> str:  # noqa: N802 - babel's marker for a string translated where it is said
    return text


ONE_ROW = N_("Add at least one row to “%(field)s”.")


def marshmallow_messages() -> list[tuple[str, dict[str, str]]]:
    """marshmallow's message templates (read from marshmallow, so that a change of its wording shows in the
    tests), each with the msgid a page says it by, for each kind of field (VALUE for any kind not named)."""
    length = validate.Length
    ranges = validate.Range
    inclusive, exclusive = ranges(min=0, max=1), ranges(min=0, max=1, min_inclusive=False, max_inclusive=False)
    half_open, open_half = ranges(min=0, max=1, max_inclusive=False), ranges(min=0, max=1, min_inclusive=False)
    return [
        (fields.Field.default_error_messages["required"], {
            VALUE: N_("Required."), ROWS: ONE_ROW, CHOICES: N_("Choose at least one.")}),
        (fields.Field.default_error_messages["null"], {VALUE: N_("Required.")}),
        (fields.Field.default_error_messages["validator_failed"], {VALUE: N_("Not a valid value.")}),
        (fields.String.default_error_messages["invalid"], {VALUE: N_("Not text.")}),
        (fields.String.default_error_messages["invalid_utf8"], {VALUE: N_("Not text.")}),
        (fields.Number.default_error_messages["invalid"], {VALUE: N_("Not a number.")}),
        (fields.Number.default_error_messages["too_large"], {VALUE: N_("The number is too large.")}),
        (fields.Integer.default_error_messages["invalid"], {VALUE: N_("Not a whole number.")}),
        (fields.Decimal.default_error_messages["special"], {VALUE: N_("Not a number.")}),
        (fields.Boolean.default_error_messages["invalid"], {VALUE: N_("Not yes or no.")}),
        (fields.Date.default_error_messages["invalid"], {VALUE: N_("Not a date (year-month-day).")}),
        (fields.Date.default_error_messages["format"], {VALUE: N_("Not a date (year-month-day).")}),
        (fields.DateTime.default_error_messages["invalid"].format(obj_type="datetime"),
         {VALUE: N_("Not a date and time.")}),
        (fields.DateTime.default_error_messages["invalid_awareness"],
         {VALUE: N_("Not a date and time with the expected time zone.")}),
        (fields.List.default_error_messages["invalid"], {VALUE: N_("Not a list.")}),
        (fields.Nested.default_error_messages["type"], {VALUE: N_("Not a row of this table.")}),
        (fields.Dict.default_error_messages["invalid"], {VALUE: N_("Not a set of named values.")}),
        (fields.Email.default_error_messages["invalid"], {VALUE: N_("Not an e-mail address.")}),
        (fields.Url.default_error_messages["invalid"], {VALUE: N_("Not a web address.")}),
        (Schema._default_error_messages["unknown"], {VALUE: N_("This form has no such field.")}),
        (Schema._default_error_messages["type"], {VALUE: N_("Not a form's data.")}),
        (length.message_min, {
            TEXT: N_("At least %(min)s characters."),
            ROWS: N_("Add at least %(min)s rows to “%(field)s”."),
            VALUE: N_("Choose at least %(min)s.")}),
        (length.message_max, {
            TEXT: N_("At most %(max)s characters."),
            ROWS: N_("At most %(max)s rows."),
            VALUE: N_("Choose at most %(max)s.")}),
        (length.message_all, {
            TEXT: N_("Between %(min)s and %(max)s characters."),
            ROWS: N_("Between %(min)s and %(max)s rows in “%(field)s”."),
            VALUE: N_("Choose between %(min)s and %(max)s.")}),
        (length.message_equal, {
            TEXT: N_("Exactly %(equal)s characters."),
            ROWS: N_("Exactly %(equal)s rows in “%(field)s”."),
            VALUE: N_("Choose exactly %(equal)s.")}),
        (inclusive.message_min, {VALUE: N_("At least %(min)s.")}),
        (exclusive.message_min, {VALUE: N_("More than %(min)s.")}),
        (inclusive.message_max, {VALUE: N_("At most %(max)s.")}),
        (exclusive.message_max, {VALUE: N_("Less than %(max)s.")}),
        (inclusive.message_all, {VALUE: N_("From %(min)s to %(max)s.")}),
        (exclusive.message_all, {VALUE: N_("More than %(min)s and less than %(max)s.")}),
        (half_open.message_all, {VALUE: N_("From %(min)s to less than %(max)s.")}),
        (open_half.message_all, {VALUE: N_("More than %(min)s, up to %(max)s.")}),
        (validate.OneOf.default_message, {
            VALUE: N_("Choose one of the options offered."),
            CHOICES: N_("Choose only among the options offered.")}),
        (validate.Equal.default_message, {VALUE: N_("Must be %(other)s.")}),
        (validate.Regexp.default_message, {VALUE: N_("Not in the expected form.")}),
    ]


def _pattern(template: str) -> re.Pattern[str]:
    """A template such as ``Longer than maximum length {max}.`` as a pattern naming its values."""
    return re.compile("^" + _PLACEHOLDER.sub(r"(?P<\1>.+?)", re.escape(template)) + "$", re.S)


_KNOWN = [(_pattern(template), ways) for template, ways in marshmallow_messages()]


def halves(message: str) -> tuple[str, str] | None:
    """(Chinese, English) of a message written in both languages, in either order; None for a message in one
    language, or one whose halves cannot be told apart."""
    first = _CJK.search(message)
    if first is None:
        return None
    if first.start() == 0:  # Chinese first: it ends at its last Chinese character or punctuation
        cut = max(match.end() for match in _CJK.finditer(message))
        zh, en = message[:cut], message[cut:]
    else:  # English first: it ends with the last sentence before the first Chinese character
        ends = [match.end() for match in _ENDS_SENTENCE.finditer(message, 0, first.start())]
        if not ends:
            return None
        en, zh = message[:ends[-1]], message[ends[-1]:]
    zh, en = zh.strip(), en.strip()
    if not zh or not en or _CJK.search(en):
        return None
    return zh, en


def known(message: str) -> bool:
    """Can a page say this message in either language (a marshmallow template, or both halves present)?"""
    return any(pattern.match(message) for pattern, _ways in _KNOWN) or halves(message) is not None


def say(message: Any, kind: str = VALUE, field: str = "") -> str:
    """One message in the page's language; ``kind`` is what the field holds, ``field`` its label."""
    text = str(message)
    for pattern, ways in _KNOWN:
        match = pattern.match(text)
        if match:
            values = match.groupdict()
            msgid = ONE_ROW if kind == ROWS and values.get("min") == "1" else ways.get(kind) or ways[VALUE]
            return _(msgid, **values, field=field)
    parts = halves(text)
    return bilingual(*parts) if parts else text


@dataclass(frozen=True)
class Refusal:
    """One line of the error summary: the element it links to, what is wrong where, and the message."""

    target: str
    where: str
    message: str


def field_id(name: str, index: int | None = None, sub: str | None = None) -> str:
    """The id of a field's input (a table's fieldset, or a cell's input when row and column are given)."""
    return f"f-{name}" if index is None else f"f-{name}-{index}-{sub}"


def label_of(prop: Mapping[str, Any], name: str) -> str:
    """A field's label in the page's language."""
    labels = prop.get("x-labels") or {}
    return bilingual(labels.get("zh") or prop.get("title") or name, labels.get("en") or name)


def kind_of(prop: Mapping[str, Any]) -> str:
    """What a field holds, for saying its refusals: text, table rows, several choices, or one value."""
    if prop.get("type") == "array":
        return ROWS if (prop.get("items") or {}).get("type") == "object" else CHOICES
    if prop.get("type") == "string" and "enum" not in prop and "format" not in prop:
        return TEXT
    return VALUE


def localize(schema: Mapping[str, Any], errors: Mapping[str, Any]) -> tuple[dict[str, Any], list[Refusal]]:
    """The errors with every message in the page's language (same shape, for the inline messages), and the
    summary: one line per message, in the form's order, each linking to its field."""
    properties = schema.get("properties", {})
    said: dict[str, Any] = {}
    summary: list[Refusal] = []
    for name in [*properties, *(key for key in errors if key not in properties)]:
        if name not in errors:
            continue
        prop = properties.get(name, {})
        said[name], lines = _field(name, prop, errors[name])
        summary += lines
    return said, summary


def _field(name: str, prop: Mapping[str, Any], messages: Any) -> tuple[Any, list[Refusal]]:
    where, kind = (label_of(prop, name) if prop else _special(name)), kind_of(prop)
    target = field_id(name) if name != "_schema" else ""
    if not isinstance(messages, Mapping):
        said = [say(m, kind, where) for m in _flat(messages)]
        return said, [Refusal(target, where, m) for m in said]
    said_rows: dict[Any, Any] = {}
    lines: list[Refusal] = []
    items = prop.get("items") or {}
    for key, inner in messages.items():
        if key == "_schema":
            said_rows[key] = [say(m, kind, where) for m in _flat(inner)]
            lines += [Refusal(target, where, m) for m in said_rows[key]]
            continue
        row = int(key) + 1 if str(key).isdigit() else key
        if isinstance(inner, Mapping):  # a table row: messages by column
            said_rows[key] = {}
            for sub, cell in inner.items():
                column = (items.get("properties") or {}).get(sub, {})
                place = _("%(table)s, row %(row)s: %(column)s", table=where, row=row,
                          column=label_of(column, sub) if column else where)
                said_rows[key][sub] = [say(m, kind_of(column), place) for m in _flat(cell)]
                cell_target = field_id(name, int(key), sub) if str(key).isdigit() and column else target
                lines += [Refusal(cell_target, place, m) for m in said_rows[key][sub]]
        else:  # one of several choices
            place = _("%(field)s, choice %(row)s", field=where, row=row)
            said_rows[key] = [say(m, VALUE, place) for m in _flat(inner)]
            lines += [Refusal(target, place, m) for m in said_rows[key]]
    return said_rows, lines


def _special(name: str) -> str:
    return {"_schema": _("The form"), "evidence": _("Evidence files")}.get(name, name)


def _flat(messages: Any) -> Iterator[str]:
    if isinstance(messages, (list, tuple)):
        for message in messages:
            yield from _flat(message)
    elif isinstance(messages, Mapping):
        for message in messages.values():
            yield from _flat(message)
    else:
        yield str(messages)
