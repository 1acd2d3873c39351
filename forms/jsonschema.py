"""Render a declared form as JSON Schema (draft 2020-12) with bilingual labels."""
from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from forms.clauses import NUMBERS, clause_label
from forms.fields import Clause, Day, DepartmentRef, UserRef
from forms.registry import Directory, get_form

_TYPES: list[tuple[type[fields.Field], dict[str, Any]]] = [
    (fields.Boolean, {"type": "boolean"}),
    (fields.Integer, {"type": "integer"}),
    (fields.Decimal, {"type": "string", "format": "decimal"}),
    (fields.Float, {"type": "number"}),
    (fields.DateTime, {"type": "string", "format": "date-time"}),
    (fields.Date, {"type": "string", "format": "date"}),
    (fields.Email, {"type": "string", "format": "email"}),
    (fields.Url, {"type": "string", "format": "uri"}),
    (fields.String, {"type": "string"}),
    (fields.Dict, {"type": "object"}),
]


def json_schema(key: str, directory: Directory | None = None) -> dict[str, Any]:
    """The JSON Schema of the form with this key; user/department pickers list their choices."""
    spec = get_form(key)
    schema = spec.bind(directory, with_choices=True)
    properties = {
        field.data_key or name: _field_schema(field)
        for name, field in schema.fields.items()
        if not field.dump_only
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": key,
        "title": spec.title_zh,
        "x-labels": {"zh": spec.title_zh, "en": spec.title_en},
        "type": "object",
        "properties": properties,
        "required": [field.data_key or name for name, field in schema.fields.items() if field.required],
        "additionalProperties": False,
    }


def _field_schema(field: fields.Field) -> dict[str, Any]:
    out = _type_of(field)
    labels = field.metadata.get("label")
    if labels:
        out["title"] = labels["zh"]
        out["x-labels"] = dict(labels)
    if isinstance(field, (UserRef, DepartmentRef)):
        out["x-picker"] = field.kind
        if isinstance(field, UserRef) and field.roles:
            out["x-roles"] = list(field.roles)
        if field.choices is not None:
            out["enum"] = list(field.choices)
            if field.choice_labels is not None:
                out["x-enum-labels"] = list(field.choice_labels)
    if isinstance(field, Clause):  # the numbers to choose from; an item letter may follow one (9.1.1c)
        example = field.metadata.get("example", NUMBERS[0])
        out.update({"x-choices": list(NUMBERS), "x-choice-labels": [clause_label(n) for n in NUMBERS],
                    "pattern": r"^\d+(\.\d+)*[a-g]?$", "examples": [example],
                    "description": f"A clause of the guideline (x-choices), with an item letter where one item "
                                   f"is meant, e.g. {example}"})
    if isinstance(field, Day):
        earliest, latest = field.bounds()
        out.update(formatMinimum=earliest.isoformat(), formatMaximum=latest.isoformat())
    for validator in field.validators:
        out.update(_validator_schema(validator, is_list=isinstance(field, fields.List)))
    if field.load_default is not None and not callable(field.load_default) \
            and field.load_default is not fields.missing_:
        out["default"] = field.load_default
    if field.allow_none:
        out["type"] = [out["type"], "null"]
    hint = field.metadata.get("hint")
    if hint:
        out["description"] = hint["en"]
        out["x-hint"] = dict(hint)
    for extra in ("description", "x-widget"):
        if extra in field.metadata:
            out[extra] = field.metadata[extra]
    return out


def _type_of(field: fields.Field) -> dict[str, Any]:
    if isinstance(field, fields.List):
        return {"type": "array", "items": _field_schema(field.inner)}
    if isinstance(field, fields.Nested):
        nested = field.schema
        return {
            "type": "object",
            "properties": {n: _field_schema(f) for n, f in nested.fields.items()},
            "required": [n for n, f in nested.fields.items() if f.required],
        }
    for cls, schema in _TYPES:
        if isinstance(field, cls):
            return dict(schema)
    return {}


def _validator_schema(validator: Any, *, is_list: bool = False) -> dict[str, Any]:
    if isinstance(validator, validate.OneOf):
        out: dict[str, Any] = {"enum": list(validator.choices)}
        if validator.labels:
            out["x-enum-labels"] = list(validator.labels)
        return out
    if isinstance(validator, validate.Equal):
        return {"const": validator.comparable}
    if isinstance(validator, validate.Length):
        if is_list:
            return _bounds(validator.min, validator.max, "minItems", "maxItems")
        return _bounds(validator.min, validator.max, "minLength", "maxLength")
    if isinstance(validator, validate.Regexp):
        return {"pattern": validator.regex.pattern}
    if isinstance(validator, validate.Range):
        return _bounds(validator.min, validator.max, "minimum", "maximum")
    return {}


def _bounds(low: Any, high: Any, low_key: str, high_key: str) -> dict[str, Any]:
    out = {}
    if low is not None:
        out[low_key] = low
    if high is not None:
        out[high_key] = high
    return out
