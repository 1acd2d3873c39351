"""Field helpers: bilingual labels and fields that pick a user or a department."""
from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields


def label(zh: str, en: str, **extra: Any) -> dict[str, Any]:
    """Metadata carrying a field's Chinese and English label (and any JSON Schema extras)."""
    return {"label": {"zh": zh, "en": en}, **extra}


class _DirectoryChoice(fields.String):
    """A string that must name one of a set filled in from the user directory at load time."""

    kind = ""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.choices: list[str] | None = None

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if self.choices is not None and text not in self.choices:
            raise ValidationError(f"Unknown {self.kind}: {text!r}.")
        return text


class UserRef(_DirectoryChoice):
    """A field whose value is the username of an existing user."""

    kind = "user"


class DepartmentRef(_DirectoryChoice):
    """A field whose value is the code of an existing department."""

    kind = "department"
