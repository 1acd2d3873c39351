"""Submitted form data as a reader sees it: each field's label and value in Chinese and English, in form order."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import fields, validate

from forms.fields import DepartmentRef, UserRef
from forms.registry import FORMS

YES = ("是", "yes")
NO = ("否", "no")


@dataclass(frozen=True)
class Line:
    """One answered field: its label and its value, each in both languages."""

    name: str
    label_zh: str
    label_en: str
    value_zh: str
    value_en: str


@dataclass(frozen=True)
class Names:
    """How to name what a form stores as a code: users by display name, departments by their names."""

    people: Mapping[str, str]
    departments: Mapping[str, tuple[str, str]]


def describe(form_key: str, data: dict[str, Any], names: Names | None = None) -> list[Line]:
    """The fields of this form that the data answers, in declaration order; unknown keys at the end as they are."""
    spec = FORMS.get(form_key)
    declared = spec.schema._declared_fields if spec else {}
    lines = [_line(name, field, data[name], names) for name, field in declared.items() if name in data]
    lines += [Line(name, name, name, *(_plain(value),) * 2) for name, value in data.items() if name not in declared]
    return lines


def _line(name: str, field: fields.Field, value: Any, names: Names | None = None) -> Line:
    labels = field.metadata.get("label") or {"zh": name, "en": name}
    zh, en = _value(field, value, names)
    return Line(name, labels["zh"], labels["en"], zh, en)


def choice_labels(form_key: str, name: str) -> dict[str, tuple[str, str]]:
    """The (Chinese, English) label of each choice of a form's field."""
    field = FORMS[form_key].schema._declared_fields[name]
    return {value: _choice(field, value) or (value, value)
            for check in field.validators if isinstance(check, validate.OneOf) for value in check.choices}


def _value(field: fields.Field, value: Any, names: Names | None = None) -> tuple[str, str]:
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(field, fields.List) and isinstance(value, list):
        parts = [_value(field.inner, item, names) for item in value]
        rows = isinstance(field.inner, fields.Nested)
        return ("\n" if rows else "；").join(p[0] for p in parts), ("\n" if rows else "; ").join(p[1] for p in parts)
    if isinstance(field, fields.Nested) and isinstance(value, dict):
        nested = describe_fields(field.nested, value, names)  # type: ignore[arg-type]
        return ("，".join(f"{line.label_zh}：{line.value_zh}" for line in nested),
                ", ".join(f"{line.label_en}: {line.value_en}" for line in nested))
    if names is not None and isinstance(value, str):
        if isinstance(field, UserRef):
            return (names.people.get(value, value),) * 2
        if isinstance(field, DepartmentRef):
            return names.departments.get(value, (value, value))
    return _choice(field, value) or (_plain(value),) * 2


def describe_fields(schema: Any, data: dict[str, Any], names: Names | None = None) -> list[Line]:
    """The lines of a nested schema (a table row), in declaration order."""
    declared = schema._declared_fields if hasattr(schema, "_declared_fields") else {}
    return [_line(name, field, data[name], names) for name, field in declared.items()
            if name in data and data[name] not in (None, "")]


def _choice(field: fields.Field, value: Any) -> tuple[str, str] | None:
    for check in field.validators:
        if isinstance(check, validate.OneOf) and check.labels and value in check.choices:
            zh, _, en = check.labels[list(check.choices).index(value)].partition(" / ")
            return zh, en or zh
    return None


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return "" if value is None else str(value)
