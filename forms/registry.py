"""The registry of forms by key, and loading submitted data through them."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from marshmallow import RAISE, Schema, ValidationError
from marshmallow.fields import Field, List, Nested

from forms.fields import Day, DepartmentRef, UserRef, bilingual


class Directory(Protocol):
    """Where user and department choices come from (the engine passes its database).

    ``roles`` empty means anyone who does work. A directory may also offer ``user_labels()`` and
    ``department_labels()`` (how each choice reads) and ``today()`` (the plant's date, for date bounds).
    """

    def has_user(self, username: str, roles: Sequence[str] = ()) -> bool: ...

    def has_department(self, code: str) -> bool: ...

    def usernames(self, roles: Sequence[str] = ()) -> Sequence[str]: ...

    def departments(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class FormSpec:
    """A declared form: its key, bilingual title and marshmallow schema class."""

    key: str
    title_zh: str
    title_en: str
    schema: type[Schema]

    def bind(self, directory: Directory | None, *, with_choices: bool = False) -> Schema:
        """A schema instance whose user and department fields check (and, to render, list) the directory."""
        schema = self.schema(unknown=RAISE)
        if directory is not None:
            for field in schema.fields.values():
                _bind_field(field, directory, with_choices)
        return schema


def _bind_field(field: Field, directory: Directory, with_choices: bool) -> None:
    """Point user and department fields and dates at the directory, also inside lists and nested rows."""
    if isinstance(field, UserRef):
        roles = field.roles
        field.exists = lambda username: directory.has_user(username, roles)
        if with_choices:
            field.choices = list(directory.usernames(roles))
            field.choice_labels = _labels(field.choices, getattr(directory, "user_labels", None))
    elif isinstance(field, DepartmentRef):
        field.exists = directory.has_department
        if with_choices:
            field.choices = list(directory.departments())
            field.choice_labels = _labels(field.choices, getattr(directory, "department_labels", None))
    elif isinstance(field, Day):
        today: Callable[[], date] | None = getattr(directory, "today", None)
        if today is not None:
            field.today = today
    elif isinstance(field, List):
        _bind_field(field.inner, directory, with_choices)
    elif isinstance(field, Nested):
        nested = field.schema
        nested.unknown = RAISE
        for inner in nested.fields.values():
            _bind_field(inner, directory, with_choices)


def _labels(choices: list[str], labels_of: Callable[[], Mapping[str, str]] | None) -> list[str] | None:
    if labels_of is None:
        return None
    labels = labels_of()
    return [labels.get(choice, choice) for choice in choices]


FORMS: dict[str, FormSpec] = {}


def form(key: str, title_zh: str, title_en: str) -> Callable[[type[Schema]], type[Schema]]:
    """Class decorator registering a schema as the form with this key."""

    def register(schema: type[Schema]) -> type[Schema]:
        if key in FORMS:
            raise ValueError(f"form key {key!r} is declared twice")
        FORMS[key] = FormSpec(key, title_zh, title_en, schema)
        return schema

    return register


def get_form(key: str) -> FormSpec:
    """The form declared under this key; KeyError if there is none."""
    return FORMS[key]


def load_form_data(key: str, data: Mapping[str, Any], directory: Directory | None = None) -> dict[str, Any]:
    """Validate data with the form and return it as JSON-safe values; raises ValidationError."""
    if not isinstance(data, Mapping):
        raise ValidationError({"_schema": [bilingual("Form data must be a JSON object.", "表单数据须为 JSON 对象。")]})
    schema = get_form(key).bind(directory)
    return schema.dump(schema.load(data))
