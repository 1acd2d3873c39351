"""Field helpers: bilingual labels and fields that pick a user or a department."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import ValidationError, fields, validate

# Text lengths: a line (titles, numbers, names) and a paragraph.
SHORT = 200
LONG = 4000


def label(zh: str, en: str, **extra: Any) -> dict[str, Any]:
    """Metadata carrying a field's Chinese and English label (and any JSON Schema extras)."""
    return {"label": {"zh": zh, "en": en}, **extra}


def text(zh: str, en: str, max_length: int = LONG) -> fields.String:
    """A required, non-empty text field."""
    return fields.String(required=True, validate=validate.Length(min=1, max=max_length), metadata=label(zh, en))


def optional_text(zh: str, en: str, max_length: int = LONG) -> fields.String:
    """A text field that may be left empty."""
    return fields.String(load_default="", validate=validate.Length(max=max_length), metadata=label(zh, en))


class _DirectoryChoice(fields.String):
    """A string that must name an entry of the directory bound at load time (a user, a department)."""

    kind = ""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.exists: Callable[[str], bool] | None = None
        self.choices: list[str] | None = None  # only for rendering: every allowed value

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if self.exists is not None and not self.exists(text):
            raise ValidationError(f"Unknown {self.kind}: {text!r}.")
        return text


class UserRef(_DirectoryChoice):
    """A field whose value is the username of an active user (holding ``role``, when given)."""

    kind = "user"

    def __init__(self, *, role: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.role = role
        if role:
            self.kind = f"user with role {role}"


class DepartmentRef(_DirectoryChoice):
    """A field whose value is the code of an existing department."""

    kind = "department"
