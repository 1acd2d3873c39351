"""Valid data for any declared form, generated from its marshmallow schema (for walking processes)."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import Schema, fields, validate

from forms import get_form
from forms.fields import DepartmentRef, UserRef

PLANT_TZ = ZoneInfo("Asia/Shanghai")
# Who a generated user field names, and which department a department field names.
SAMPLE_USER = "staff_prod"
SAMPLE_DEPARTMENT = "production"


def sample_form(form_key: str, *, required_only: bool = False) -> dict[str, Any]:
    """Data the form accepts: every boolean True, the first of every choice, one row per table."""
    return sample_schema(get_form(form_key).schema(), required_only=required_only)


def sample_schema(schema: Schema, *, required_only: bool = False) -> dict[str, Any]:
    data = {}
    for name, field in schema.fields.items():
        if field.dump_only or (required_only and not field.required):
            continue
        data[field.data_key or name] = sample_field(field, f"{type(schema).__name__}.{name}")
    return data


def sample_field(field: fields.Field, where: str) -> Any:
    if "example" in field.metadata:
        return field.metadata["example"]
    for validator in field.validators:
        if isinstance(validator, validate.OneOf):
            return list(validator.choices)[0]
        if isinstance(validator, validate.Equal):
            return validator.comparable
        if isinstance(validator, validate.Regexp):
            raise AssertionError(f"{where} has a pattern but no example value in its metadata")
    if isinstance(field, fields.List):
        count = max(_bound(field, "min") or 1, 1)
        return [sample_field(field.inner, f"{where}[]") for _ in range(count)]
    if isinstance(field, fields.Nested):
        nested = field.schema
        return sample_schema(nested)
    if isinstance(field, UserRef):
        return _user_with(field.role) if field.role else SAMPLE_USER
    if isinstance(field, DepartmentRef):
        return SAMPLE_DEPARTMENT
    if isinstance(field, fields.Boolean):
        return True
    if isinstance(field, (fields.Integer, fields.Float, fields.Decimal)):
        low = _bound(field, "min")
        value = max(low if low is not None else 1, 1) if isinstance(field, fields.Integer) else (low or 1)
        return str(value) if isinstance(field, fields.Decimal) else value
    if isinstance(field, fields.DateTime):
        return datetime.now(PLANT_TZ).isoformat()
    if isinstance(field, fields.Date):
        return datetime.now(PLANT_TZ).date().isoformat()
    if isinstance(field, fields.Email):
        return "walker@example.com"
    if isinstance(field, fields.Url):
        return "https://example.com/evidence"
    if isinstance(field, fields.Dict):
        return {}
    if isinstance(field, fields.String):
        text = f"Walker {where}"
        low, high = _bound(field, "min"), _bound(field, "max")
        if low and len(text) < low:
            text = text.ljust(low, "x")
        return text[:high] if high else text
    raise AssertionError(f"{where}: no sample for field type {type(field).__name__}")


def _user_with(role: str) -> str:
    from tests.factories import USERS

    return next(username for username, (roles, _) in USERS.items() if role in roles)


def _bound(field: fields.Field, side: str) -> Any:
    """The min or max of the field's Length or Range validator, if it has one."""
    for validator in field.validators:
        if isinstance(validator, (validate.Length, validate.Range)):
            return getattr(validator, side)
    return None
