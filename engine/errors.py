"""The errors every entrypoint translates: one small tree, one meaning each."""
from __future__ import annotations

from typing import Any


class CarbonFlowError(Exception):
    """Base of every error a user of CarbonFlow can cause."""

    code = "error"


class NotFound(CarbonFlowError):
    """Raised when a named process, instance, task or user does not exist."""

    code = "not_found"


class NotPermitted(CarbonFlowError):
    """Raised when the actor may not do what they asked."""

    code = "not_permitted"


class Conflict(CarbonFlowError):
    """Raised when the state changed under the request (already completed, claimed by another)."""

    code = "conflict"


class InvalidFormData(CarbonFlowError):
    """Raised when submitted data fails its form; ``errors`` maps each field to its messages."""

    code = "invalid_data"

    def __init__(self, form_key: str, errors: dict[str, Any]):
        self.form_key = form_key
        self.errors = errors
        fields = ", ".join(sorted(errors))
        super().__init__(f"Invalid data for form {form_key}: {fields}: {_flatten(errors)}")


class InvalidProcess(CarbonFlowError):
    """Raised when a BPMN file cannot be deployed; the message names the file and element."""

    code = "invalid_process"


class ScriptError(CarbonFlowError):
    """Raised when a BPMN script or expression fails or breaks the sandbox rules."""

    code = "script_error"


def _flatten(errors: dict[str, Any]) -> str:
    return "; ".join(f"{name}: {' '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}"
                     for name, msgs in sorted(errors.items()))
