"""The errors every entrypoint translates: one small tree, one meaning each."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reason:
    """Why something was refused: a stable code and the values it names (pages say it in their language), and the
    English sentence (the command line and the API say that)."""

    code: str
    params: dict[str, str] = field(default_factory=dict)
    message: str = ""

    def __str__(self) -> str:
        return self.message


class CarbonFlowError(Exception):
    """Base of every error a user of CarbonFlow can cause; ``reason``, when given, names it by a code."""

    code = "error"
    # True for a refusal whose own record must stand (a counted wrong password): the transaction commits what
    # was written before it was raised, instead of rolling back. Raise such an error before any other write.
    keeps_record = False

    def __init__(self, *args: Any, reason: Reason | None = None):
        super().__init__(*args if args or reason is None else (reason.message,))
        self.reason = reason


class NotFound(CarbonFlowError):
    """Raised when a named process, instance, task or user does not exist."""

    code = "not_found"


class NotPermitted(CarbonFlowError):
    """Raised when the actor may not do what they asked."""

    code = "not_permitted"


class WrongPassword(NotPermitted):
    """Raised when a password is wrong (signing in, signing, changing it); the refusal is counted and audited."""

    keeps_record = True


class TooManyAttempts(NotPermitted):
    """Raised when a name or an address has had too many wrong passwords lately; ``retry_after`` is in seconds."""

    code = "too_many_attempts"
    keeps_record = True

    def __init__(self, message: str, *, retry_after: int, reason: Reason | None = None):
        super().__init__(message, reason=reason)
        self.retry_after = retry_after


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


@dataclass(frozen=True)
class Problem:
    """One thing found wrong (or worth a warning) in a BPMN file: a stable code, where, the values it names."""

    code: str
    element: str | None  # the BPMN id, when the problem stands on one element
    params: dict[str, str] = field(default_factory=dict)
    message: str = ""  # the whole English sentence
    severity: str = "error"  # or "warning"


class InvalidProcess(CarbonFlowError):
    """Raised when a BPMN file cannot be deployed; ``problems`` holds every refusal, each at its element."""

    code = "invalid_process"

    def __init__(self, message: str | None = None, *, problems: Sequence[Problem] = ()):
        self.problems = list(problems) or [Problem("invalid_process", None, {}, message or "")]
        super().__init__(message if message is not None else "\n".join(p.message for p in self.problems))


class Refusals:
    """The refusals found in one BPMN file, collected so that one InvalidProcess names them all."""

    def __init__(self, file_name: str):
        self.file_name = file_name
        self.found: list[Problem] = []

    def add(self, code: str, element: str | None, message: str, **params: object) -> None:
        """Note a refusal: ``message`` follows the file name; ``params`` are the values it names."""
        self.found.append(Problem(code, element, {k: str(v) for k, v in params.items()},
                                  f"{self.file_name}: {message}"))

    def fatal(self, code: str, element: str | None, message: str, **params: object) -> InvalidProcess:
        """A refusal after which the file cannot be read further: the error to raise at once."""
        self.add(code, element, message, **params)
        return InvalidProcess(problems=self.found)

    def raise_any(self) -> None:
        """Raise one InvalidProcess naming every refusal noted, if there is any."""
        if self.found:
            raise InvalidProcess(problems=self.found)


class ScriptError(CarbonFlowError):
    """Raised when a BPMN script or expression fails or breaks the sandbox rules."""

    code = "script_error"


def _flatten(errors: dict[str, Any]) -> str:
    return "; ".join(f"{name}: {' '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}"
                     for name, msgs in sorted(errors.items()))
