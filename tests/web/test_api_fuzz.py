"""Schemathesis against the API's own OpenAPI document, in-process: no answer is a 5xx, every answer fits the document.

Each operation gets schema-valid and schema-breaking requests, as a staff user and as the admin, on a throwaway
database. A few examples each keep the suite fast; CARBONFLOW_FUZZ_EXAMPLES raises the count (`.ci/run` does on
PostgreSQL), and then the examples differ from run to run instead of being the same ones every time.
"""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.errors import FailureGroup

from engine.services.user_rows import RESERVED_USERNAMES
from tests.factories import PASSWORD, open_task, start_corrective_action

EXAMPLES = int(os.environ.get("CARBONFLOW_FUZZ_EXAMPLES", "0")) or None
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Revoking the caller's own token would answer 401 to everything after it: nothing left to fuzz.
SKIPPED = {("DELETE", "/api/v1/auth/token")}


def _own_url(case: schemathesis.Case) -> bool:
    """Whether the case's URL is its operation's: /users/roles is the list of roles, not a user named "roles"."""
    return (case.path_parameters or {}).get("username") not in RESERVED_USERNAMES


def _described(exc: BaseException) -> str:
    found = exc.exceptions if isinstance(exc, BaseExceptionGroup) else [exc]
    return "\n".join(str(each)[:3000] for each in found)


def _settings() -> settings:
    return settings(max_examples=EXAMPLES or 5, derandomize=EXAMPLES is None, deadline=None, database=None,
                    phases=[Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck),
                    print_blob=False)


@pytest.mark.parametrize("username", ["staff_prod", "admin"])
def test_no_operation_answers_a_server_error_or_outside_its_schema(db, app, username):
    instance_id = start_corrective_action(db)  # an instance, an open task and audit events for the reads to find
    issued = app.test_client().post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {issued.get_json()['token']}"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app, headers=headers)
    schema.config.generation.update(with_security_parameters=False)  # the token is sent as it is, never mangled
    # Beside the ids Hypothesis makes up (almost none exists), the same requests on things that do exist.
    existing = {"task_id": open_task(db, instance_id, "evaluate_consequences").id, "instance_id": instance_id,
                "process_id": "internal_audit", "version": 1, "name": "nonconformity_raised", "username": "body2",
                "department_code": "energy"}
    failures: dict[str, str] = {}
    for found in schema.get_all_operations():
        operation = found.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        known = {name: value for name, value in existing.items() if f"{{{name}}}" in operation.path}
        passes = [(GenerationMode.POSITIVE, {}), (GenerationMode.NEGATIVE, {})] + ([(GenerationMode.POSITIVE, known)]
                                                                                   if known else [])
        for mode, path_parameters in passes:
            @_settings()
            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters).filter(_own_url))
            def call(case: schemathesis.Case) -> None:
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                call()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE, operation.label  # nothing in the request can be made invalid
            except (Exception, FailureGroup) as exc:  # every operation's failures, not only the first one's
                failures[f"{operation.label} ({mode}, {path_parameters or 'generated'})"] = _described(exc)
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
