"""Checking submitted data against its declared form, in the terms of the engine's errors."""
from __future__ import annotations

from typing import Any

from marshmallow import ValidationError
from sqlalchemy.orm import Session

import forms
from engine.errors import InvalidFormData
from engine.people import SessionDirectory


def validate(session: Session, form_key: str | None, data: Any) -> dict[str, Any]:
    """Data checked against its form (as JSON values); InvalidFormData names every bad field."""
    if form_key is None:
        if not isinstance(data, dict):
            raise InvalidFormData("(none)", {"_schema": ["Data must be a JSON object."]})
        return dict(data)
    try:
        return forms.load_form_data(form_key, data, SessionDirectory(session))
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise InvalidFormData(form_key, messages) from exc
