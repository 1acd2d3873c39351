"""Valid data for a declared form, made from its schema: every boolean ticked, the first of every choice,
one row per table, a field's ``example`` where it has one. The test walker and the demo stories use it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marshmallow import Schema, fields, validate

from forms.clauses import NUMBERS
from forms.fields import Clause, DepartmentRef, UserRef
from forms.registry import get_form


@dataclass(frozen=True)
class Sampler:
    """How to fill what a schema cannot say: which user, which department, what text, what time."""

    user_for: Callable[[str | None], str]  # a user holding the role (None: any user)
    department: str
    text_for: Callable[[fields.Field, str], str]  # the field, and where it sits (Form.field[])
    now: Callable[[], datetime]
    email: str = "carbon@example.com"
    url: str = "https://example.com/records"

    def form(self, form_key: str, *, required_only: bool = False) -> dict[str, Any]:
        return self.schema(get_form(form_key).schema(), required_only=required_only)

    def schema(self, schema: Schema, *, required_only: bool = False) -> dict[str, Any]:
        return {field.data_key or name: self.field(field, f"{type(schema).__name__}.{name}")
                for name, field in schema.fields.items()
                if not field.dump_only and (field.required or not required_only)}

    def field(self, field: fields.Field, where: str) -> Any:  # noqa: C901 - one branch per field type
        if "example" in field.metadata:
            return field.metadata["example"]
        for validator in field.validators:
            if isinstance(validator, validate.OneOf):
                return list(validator.choices)[0]
            if isinstance(validator, validate.Equal):
                return validator.comparable
            if isinstance(validator, validate.Regexp):
                raise ValueError(f"{where} has a pattern but no example value in its metadata")
        if isinstance(field, fields.List):
            return [self.field(field.inner, f"{where}[]") for _ in range(max(bound(field, "min") or 1, 1))]
        if isinstance(field, fields.Nested):
            return self.schema(field.schema)
        if isinstance(field, UserRef):
            return self.user_for(field.role)
        if isinstance(field, Clause):
            return NUMBERS[0]
        if isinstance(field, DepartmentRef):
            return self.department
        if isinstance(field, fields.Boolean):
            return True
        if isinstance(field, (fields.Integer, fields.Float, fields.Decimal)):
            low = bound(field, "min")
            value = max(low if low is not None else 1, 1) if isinstance(field, fields.Integer) else (low or 1)
            return str(value) if isinstance(field, fields.Decimal) else value
        if isinstance(field, fields.DateTime):
            return self.now().isoformat()
        if isinstance(field, fields.Date):
            return self.now().date().isoformat()
        if isinstance(field, fields.Email):
            return self.email
        if isinstance(field, fields.Url):
            return self.url
        if isinstance(field, fields.Dict):
            return {}
        if isinstance(field, fields.String):
            return fit(field, self.text_for(field, where))
        raise ValueError(f"{where}: no sample for field type {type(field).__name__}")


def fit(field: fields.Field, text: str, pad: str = "x") -> str:
    """The text padded to the field's shortest length and cut to its longest."""
    low, high = bound(field, "min"), bound(field, "max")
    if low and len(text) < low:
        text = text.ljust(low, pad)
    return text[:high] if high else text


def bound(field: fields.Field, side: str) -> Any:
    """The min or max of the field's Length or Range validator, if it has one."""
    for validator in field.validators:
        if isinstance(validator, (validate.Length, validate.Range)):
            return getattr(validator, side)
    return None
