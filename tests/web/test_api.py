"""The JSON API: bearer tokens, each endpoint tried by the right role, a wrong role and nobody, JSON errors."""
from __future__ import annotations

import base64
import re
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from engine import clock
from engine.models import AuditEvent, HumanTask, Job, ProcessInstance, SignInSession, User
from tests.factories import (
    FORM_DATA,
    PASSWORD,
    analyse_data,
    complete,
    open_task,
    seed_open_tasks,
    start_corrective_action,
    walk_to_approval,
)
from tests.formdata import sample_form
from tests.web.conftest import csrf_token
from engine.services import credentials
from webui.api import auth as api_auth

REGULATION = {"title": "New cement guide", "issuer": "MEE", "effective_date": "2027-01-01", "summary": "Factors."}
PATHS = {
    "/api/v1/auth/token", "/api/v1/processes", "/api/v1/processes/{process_id}/instances",
    "/api/v1/instances/{instance_id}", "/api/v1/instances/{instance_id}/audit", "/api/v1/tasks",
    "/api/v1/tasks/{task_id}", "/api/v1/tasks/{task_id}/claim", "/api/v1/tasks/{task_id}/unclaim",
    "/api/v1/tasks/{task_id}/complete", "/api/v1/messages/{name}",
    "/api/v1/processes/validate", "/api/v1/processes/deployments", "/api/v1/processes/{process_id}/versions",
    "/api/v1/processes/{process_id}/versions/{version}/bpmn", "/api/v1/processes/{process_id}/diff",
    "/api/v1/users", "/api/v1/users/{username}", "/api/v1/users/{username}/deactivate",
    "/api/v1/users/{username}/reactivate", "/api/v1/users/{username}/password-reset", "/api/v1/users/import",
    "/api/v1/users/departments", "/api/v1/users/departments/{department_code}", "/api/v1/users/roles",
    "/api/v1/admin/instances", "/api/v1/admin/instances/actions", "/api/v1/admin/instances/migration-preview",
    "/api/v1/admin/instances/migrations", "/api/v1/admin/incidents", "/api/v1/admin/jobs/{job_id}/retry",
    "/api/v1/admin/jobs/{job_id}/cancel", "/api/v1/admin/instances/{instance_id}/retry", "/api/v1/admin/schedules",
    "/api/v1/admin/schedules/{process_id}", "/api/v1/admin/schedules/{process_id}/start",
    "/api/v1/notifications", "/api/v1/notifications/{notification_id}/read", "/api/v1/notifications/read-all",
    "/api/v1/instances/{instance_id}/comments",
}


class Caller:
    """A test client that sends one user's bearer token with every request."""

    def __init__(self, client, token: str):
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def get(self, url, **query):
        return self.client.get(url, query_string=query, headers=self.headers)

    def post(self, url, json=None):
        return self.client.post(url, json=json, headers=self.headers)


@pytest.fixture
def api(app):
    """api(username) -> a Caller holding a token of that user (issued once per test)."""
    tokens: dict[str, str] = {}

    def caller(username: str) -> Caller:
        if username not in tokens:
            response = app.test_client().post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
            assert response.status_code == 200, response.get_json()
            tokens[username] = response.get_json()["token"]
        return Caller(app.test_client(), tokens[username])
    return caller


def _count(db, model, *where) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def _task(db, instance_id, name="evaluate_consequences") -> int:
    return open_task(db, instance_id, name).id


# Tokens


def test_a_token_is_issued_for_the_right_password_and_the_sign_in_audited(db, app):
    response = app.test_client().post("/api/v1/auth/token", json={"username": "body", "password": PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 12 * 3600 and "password" not in body
    # The username, the user's credentials epoch (a password reset or change ends the token) and the secret of
    # its sign-in on the server (revoking it ends the token).
    username, epoch, secret = URLSafeTimedSerializer("test-secret", salt="api-token").loads(body["token"])
    assert (username, epoch) == ("body", 0) and len(secret) >= 32
    with db.reading() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in")).one()
        kept = session.scalars(select(SignInSession)).one()
    assert event.actor == "body" and event.data["via"] == "api_token"
    assert kept.kind == "api_token" and kept.username == "body" and secret not in kept.id_sha256


def test_a_revoked_token_stops_working_at_once_and_the_revocation_is_audited(db, api):
    caller = api("staff_prod")
    assert caller.get("/api/v1/processes").status_code == 200
    revoked = caller.client.delete("/api/v1/auth/token", headers=caller.headers)
    assert revoked.status_code == 204
    refused = caller.get("/api/v1/processes")
    assert refused.status_code == 401 and "bearer token" in refused.get_json()["message"]
    assert _count(db, AuditEvent, AuditEvent.action == "token_revoked", AuditEvent.actor == "staff_prod") == 1
    assert caller.client.delete("/api/v1/auth/token", headers=caller.headers).status_code == 401


def test_wrong_passwords_get_401_audited_and_then_429_with_retry_after(db, app):
    client = app.test_client()
    for _ in range(credentials.MAX_FAILURES):
        refused = client.post("/api/v1/auth/token", json={"username": "body", "password": "guess"})
        assert refused.status_code == 401 and refused.get_json()["message"] == "Wrong user name or password."
    blocked = client.post("/api/v1/auth/token", json={"username": "body", "password": PASSWORD})
    assert blocked.status_code == 429 and "Too many failed attempts" in blocked.get_json()["message"]
    assert 0 < int(blocked.headers["Retry-After"]) <= credentials.WINDOW.total_seconds()
    assert _count(db, AuditEvent, AuditEvent.action == "sign_in_refused") == credentials.MAX_FAILURES + 1
    assert _count(db, AuditEvent, AuditEvent.action == "sign_in") == 0


def test_a_deactivated_user_gets_no_token_and_their_tokens_stop_working(db, app, api):
    caller = api("staff_prod")
    assert caller.get("/api/v1/processes").status_code == 200
    with db.transaction() as session:
        session.scalar(select(User).where(User.username == "staff_prod")).active = False
    assert caller.get("/api/v1/processes").status_code == 401
    refused = app.test_client().post("/api/v1/auth/token", json={"username": "staff_prod", "password": PASSWORD})
    assert refused.status_code == 401


def test_the_token_endpoint_wants_json_and_names_missing_fields(db, app):
    client = app.test_client()
    assert client.post("/api/v1/auth/token", data={"username": "body"}).status_code == 400
    missing = client.post("/api/v1/auth/token", json={})
    assert missing.status_code == 422
    assert set(missing.get_json()["errors"]) == {"username", "password"}
    assert _count(db, AuditEvent, AuditEvent.action.like("sign_in%")) == 0


# Signed out, bad tokens, the session


def test_every_api_route_but_the_token_answers_401_in_json_signed_out(app):
    client = app.test_client()
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/")]
    assert len({rule.rule for rule in rules}) == len(PATHS) + 1  # and /api/openapi.json
    for rule in rules:
        if rule.endpoint == "api_auth.issue_token":
            continue
        url = (rule.rule.replace("<int:task_id>", "1").replace("<int:instance_id>", "1")
               .replace("<process_id>", "corrective_action").replace("<name>", "regulation_changed")
               .replace("<int:notification_id>", "1"))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method, json={})
            assert response.status_code == 401, (method, url)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            assert response.get_json()["message"] == "sign in or send a bearer token"


@pytest.mark.parametrize("header", [
    "Bearer not-a-token", "Bearer ", "Basic Ym9keTpwYXNzd29yZA==",
    "Bearer " + URLSafeTimedSerializer("test-secret", salt="other").dumps("body"),
    "Bearer " + URLSafeTimedSerializer("another-secret", salt="api-token").dumps("body"),
    "Bearer " + URLSafeTimedSerializer("test-secret", salt="api-token").dumps("nobody"),
    # Well signed, but naming no sign-in kept on the server (the shapes tokens had before).
    "Bearer " + URLSafeTimedSerializer("test-secret", salt="api-token").dumps("body"),
    "Bearer " + URLSafeTimedSerializer("test-secret", salt="api-token").dumps(["body", 0]),
    "Bearer " + URLSafeTimedSerializer("test-secret", salt="api-token").dumps(["body", 0, "made-up"]),
])
def test_a_bad_token_gets_401(app, header):
    response = app.test_client().get("/api/v1/processes", headers={"Authorization": header})
    assert response.status_code == 401 and "bearer token" in response.get_json()["message"]


def test_a_token_expires_after_12_hours(app, monkeypatch):
    token = app.test_client().post("/api/v1/auth/token", json={"username": "body", "password": PASSWORD}
                                   ).get_json()["token"]
    issued = time.time()  # after the token's own time stamp
    for age, status in ((api_auth.MAX_AGE_SECONDS - 60, 200), (api_auth.MAX_AGE_SECONDS + 1, 401)):
        monkeypatch.setattr("itsdangerous.timed.time.time", lambda age=age: issued + age)
        response = app.test_client().get("/api/v1/processes", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == status, age


def test_the_pages_session_may_call_the_api_and_writes_need_its_csrf_token(db, sign_in):
    nc = start_corrective_action(db)
    client = sign_in("body")
    assert client.get("/api/v1/processes").status_code == 200
    url = f"/api/v1/tasks/{_task(db, nc)}/claim"
    refused = client.post(url)
    assert refused.status_code == 400 and refused.is_json
    token = csrf_token(client.get("/inbox").get_data(as_text=True))
    claimed = client.post(url, headers={"X-CSRFToken": token})
    assert claimed.status_code == 200 and claimed.get_json()["assignee"] == "body"


def test_the_pages_keep_their_own_error_pages(sign_in):
    missing = sign_in("body").get("/no-such-page")
    assert missing.status_code == 404 and not missing.is_json


# OpenAPI


def test_the_openapi_document_lists_every_path_for_a_caller_with_a_token(app, api):
    assert app.test_client().get("/api/openapi.json").status_code == 401
    document = api("staff_prod").get("/api/openapi.json").get_json()
    assert set(document["paths"]) == PATHS
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert document["paths"]["/api/v1/auth/token"]["post"]["security"] == []
    task = document["components"]["schemas"]["TaskWithForm"]["properties"]
    assert "form" in task and "assignee" in task
    assert "422" in document["paths"]["/api/v1/tasks/{task_id}/complete"]["post"]["responses"]
    assert "requires_signature" in task
    complete_body = document["paths"]["/api/v1/tasks/{task_id}/complete"]["post"]["requestBody"]["content"]
    body_schema = complete_body["application/json"]["schema"]
    if "$ref" in body_schema:
        body_schema = document["components"]["schemas"][body_schema["$ref"].rsplit("/", 1)[1]]
    assert "password" in body_schema["properties"] and "password" not in body_schema.get("required", [])


# Processes and instances


def test_anyone_signed_in_lists_the_deployed_processes(api):
    processes = api("staff_energy").get("/api/v1/processes").get_json()
    assert "corrective_action" in {p["id"] for p in processes}
    assert all(p["version"] >= 1 for p in processes)


def test_starting_an_instance_answers_201_with_where_it_is(db, api):
    from tests.factories import raise_data
    response = api("staff_prod").post("/api/v1/processes/corrective_action/instances",
                                      json={"business_key": "NC-API-1", "data": raise_data()})
    assert response.status_code == 201, response.get_json()
    started = response.get_json()
    assert started["business_key"] == "NC-API-1" and started["status"] == "running"
    assert [t["name"] for t in started["open_tasks"]] == ["evaluate_consequences"]
    assert response.headers["Location"].endswith(f"/api/v1/instances/{started['id']}")


def test_starting_is_refused_to_a_wrong_role_an_unknown_process_and_bad_data_without_writing(db, api):
    caller = api("staff_prod")
    before = _count(db, AuditEvent)
    forbidden = caller.post("/api/v1/processes/compliance_reevaluation/instances", json={"data": {}})
    assert forbidden.status_code == 403 and "carbon_body" in forbidden.get_json()["message"]
    assert caller.post("/api/v1/processes/no_such_process/instances", json={}).status_code == 404
    invalid = caller.post("/api/v1/processes/corrective_action/instances",
                          json={"data": {"title": "", "detected_on": "yesterday"}})
    assert invalid.status_code == 422
    errors = invalid.get_json()["errors"]
    assert {"title", "detected_on", "description", "department"} <= set(errors)
    assert all(isinstance(messages, list) and messages for messages in errors.values())
    # Nothing written but the audit event of the refused attempt.
    assert _count(db, ProcessInstance) == 0 and _count(db, AuditEvent) == before + 1
    not_an_object = caller.post("/api/v1/processes/corrective_action/instances", json={"data": [1, 2]})
    assert not_an_object.status_code == 422 and set(not_an_object.get_json()["errors"]) == {"data"}


@pytest.mark.parametrize("username, status", [
    ("staff_prod", 200),    # started it
    ("body", 200),          # may work on its open task (and oversees the system)
    ("gm", 200), ("auditor", 200), ("admin", 200),  # oversee or administer the system
    ("staff_energy", 403), ("head_energy", 403), ("docs", 403),
])
def test_an_instance_and_its_audit_trail_are_for_its_readers(db, api, username, status):
    nc = start_corrective_action(db, business_key="NC-7")
    caller = api(username)
    shown = caller.get(f"/api/v1/instances/{nc}")
    trail = caller.get(f"/api/v1/instances/{nc}/audit")
    assert (shown.status_code, trail.status_code) == (status, status)
    if status == 200:
        assert shown.get_json()["business_key"] == "NC-7" and shown.get_json()["completed_steps"]
        assert [e["action"] for e in trail.get_json()][:1] == ["start"]
    else:
        assert f"may not see instance {nc}" in shown.get_json()["message"]


def test_whoever_is_offered_the_next_step_may_read_the_instance(db, api):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    assert api("head_prod").get(f"/api/v1/instances/{nc}").status_code == 200  # analyse_cause: production head
    assert api("head_energy").get(f"/api/v1/instances/{nc}").status_code == 403


def test_unknown_instances_are_404(api):
    caller = api("admin")
    assert caller.get("/api/v1/instances/999").status_code == 404
    response = caller.get("/api/v1/instances/999/audit")
    assert response.status_code == 404 and response.get_json()["message"] == "no process instance 999"


def test_the_audit_trail_pages(db, api):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    caller = api("admin")
    everything = caller.get(f"/api/v1/instances/{nc}/audit").get_json()
    page = caller.get(f"/api/v1/instances/{nc}/audit", limit=2, offset=1).get_json()
    assert page == everything[1:3]
    assert set(caller.get(f"/api/v1/instances/{nc}/audit", limit=0).get_json()["errors"]) == {"limit"}


# Tasks


def test_the_inbox_by_scope_process_and_overdue(db, api):
    start_corrective_action(db, business_key="NC-A")
    body = api("body")
    offered = body.get("/api/v1/tasks", scope="candidate").get_json()
    assert [(t["name"], t["business_key"]) for t in offered] == [("evaluate_consequences", "NC-A")]
    assert "form" not in offered[0]
    assert body.get("/api/v1/tasks", scope="mine").get_json() == []
    assert body.get("/api/v1/tasks", process="internal_audit").get_json() == []
    assert body.get("/api/v1/tasks", overdue="true").get_json() == []
    assert api("staff_energy").get("/api/v1/tasks").get_json() == []
    invalid = body.get("/api/v1/tasks", scope="everyone", limit=0, due="someday")
    assert invalid.status_code == 422 and set(invalid.get_json()["errors"]) == {"scope", "limit", "due"}


def test_the_inbox_pages_by_the_cursor_of_its_link_header(db, api):
    ordered = seed_open_tasks(db, 45)
    body = api("body")
    seen, response = [], body.get("/api/v1/tasks", scope="candidate", limit=20)
    while True:
        seen += [t["id"] for t in response.get_json()]
        if "Link" not in response.headers:
            break
        following = response.headers["Link"]
        assert following.endswith('>; rel="next"') and "scope=candidate" in following and "after=" in following
        response = body.client.get(following[following.index("/api/"):following.index(">")], headers=body.headers)
    assert seen == ordered
    assert body.get("/api/v1/tasks", after="yesterday").status_code == 422


def test_the_inbox_by_due_horizon(db, api):
    start_corrective_action(db, business_key="NC-SOON")
    start_corrective_action(db, business_key="NC-LATER")
    with db.transaction() as session:
        for task in session.scalars(select(HumanTask)):
            key = session.get(ProcessInstance, task.instance_id).business_key
            task.due_at = task.sort_due_at = clock.now() + timedelta(days=3 if key == "NC-SOON" else 30)
    body = api("body")
    assert [t["business_key"] for t in body.get("/api/v1/tasks", due="week").get_json()] == ["NC-SOON"]
    assert body.get("/api/v1/tasks", due="today").get_json() == []
    assert len(body.get("/api/v1/tasks").get_json()) == 2


def test_a_task_comes_with_its_form_for_the_readers_of_its_instance(db, api):
    nc = start_corrective_action(db)
    task_id = _task(db, nc)
    shown = api("body").get(f"/api/v1/tasks/{task_id}")
    assert shown.status_code == 200
    form = shown.get_json()["form"]
    assert form["$id"] == "corrective_action.evaluate_consequences"
    assert {"consequences", "immediate_handling"} <= set(form["properties"])
    assert api("staff_prod").get(f"/api/v1/tasks/{task_id}").status_code == 200  # started the instance
    assert api("staff_energy").get(f"/api/v1/tasks/{task_id}").status_code == 403
    assert api("body").get("/api/v1/tasks/999").status_code == 404


def test_claim_and_unclaim_by_the_right_and_wrong_people(db, api):
    nc = start_corrective_action(db)
    task_id = _task(db, nc)
    url = f"/api/v1/tasks/{task_id}"
    assert api("head_prod").post(f"{url}/claim").status_code == 403  # not offered to department heads
    claimed = api("body").post(f"{url}/claim")
    assert claimed.status_code == 200 and claimed.get_json()["assignee"] == "body"
    taken = api("body2").post(f"{url}/claim")  # the same role, too late
    assert taken.status_code == 409 and "already claimed by body" in taken.get_json()["message"]
    assert api("body2").post(f"{url}/unclaim").status_code == 403
    given_back = api("body").post(f"{url}/unclaim")
    assert given_back.status_code == 200 and given_back.get_json()["assignee"] is None
    assert api("body").post(f"{url}/unclaim").status_code == 409  # not claimed any more
    assert api("body").post("/api/v1/tasks/999/claim").status_code == 404
    assert api("body").post("/api/v1/tasks/999/unclaim").status_code == 404
    actions = [a for a in _actions(db, nc) if a in ("claim", "unclaim")]
    assert actions == ["claim", "unclaim"]  # refusals left nothing behind


def test_completing_names_every_bad_field_and_writes_nothing(db, api):
    nc = start_corrective_action(db)
    task_id = _task(db, nc)
    before = _actions(db, nc)
    invalid = api("body").post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"consequences": ""}})
    assert invalid.status_code == 422
    assert set(invalid.get_json()["errors"]) == {"consequences", "immediate_handling"}
    assert "invalid_data" not in invalid.get_json()["message"]
    missing = api("body").post(f"/api/v1/tasks/{task_id}/complete", json={})
    assert missing.status_code == 422 and set(missing.get_json()["errors"]) == {"data"}
    assert _actions(db, nc) == before and open_task(db, nc, "evaluate_consequences").assignee is None


def test_completing_by_the_right_role_moves_the_process_on_and_a_wrong_role_is_refused(db, api):
    nc = start_corrective_action(db)
    task_id = _task(db, nc)
    url = f"/api/v1/tasks/{task_id}/complete"
    assert api("staff_prod").post(url, json={"data": FORM_DATA["evaluate_consequences"]}).status_code == 403
    assert api("body").post("/api/v1/tasks/999/complete", json={"data": {}}).status_code == 404
    done = api("body").post(url, json={"data": FORM_DATA["evaluate_consequences"]})
    assert done.status_code == 200
    assert done.get_json()["status"] == "completed" and done.get_json()["completed_by"] == "body"
    again = api("body2").post(url, json={"data": FORM_DATA["evaluate_consequences"]})
    assert again.status_code == 409 and "already completed" in again.get_json()["message"]
    instance = api("body").get(f"/api/v1/instances/{nc}").get_json()
    assert [t["name"] for t in instance["open_tasks"]] == ["analyse_cause"]


def test_a_decision_of_top_management_is_signed_with_the_password_in_the_body(db, api):
    task = walk_to_approval(db)
    url, caller = f"/api/v1/tasks/{task.id}/complete", api("gm")
    assert caller.get(f"/api/v1/tasks/{task.id}").get_json()["requires_signature"] is True
    decision = {"data": {**sample_form(task.form_key), "approved": True}}
    before = _actions(db, task.instance_id)
    for outsider in ("verifier", "body2"):  # may not decide at all: told so, not asked for a password
        assert api(outsider).post(url, json=decision).status_code == 403
    unsigned = caller.post(url, json=decision)
    assert unsigned.status_code == 422 and set(unsigned.get_json()["errors"]) == {"password"}
    wrong = caller.post(url, json={**decision, "password": "not it"})
    assert wrong.status_code == 403 and "password does not match" in wrong.get_json()["message"]
    # Nothing decided; the wrong signing password is on the instance's trail.
    assert _actions(db, task.instance_id) == [*before, "signature_refused"]
    signed = caller.post(url, json={**decision, "password": PASSWORD})
    assert signed.status_code == 200 and signed.get_json()["status"] == "completed"
    assert "password" not in signed.get_json()
    assert {"complete", "signature"} <= set(_actions(db, task.instance_id)[len(before) + 1:])
    with db.reading() as session:
        signature = session.scalar(select(AuditEvent).where(AuditEvent.action == "signature"))
        assert (signature.actor, signature.task_id, signature.data["meaning"]) == ("gm", task.id, "approved")


def test_a_task_that_needs_no_signature_says_so_and_completes_without_one(db, api):
    task_id = _task(db, start_corrective_action(db))
    assert api("body").get(f"/api/v1/tasks/{task_id}").get_json()["requires_signature"] is False
    done = api("body").post(f"/api/v1/tasks/{task_id}/complete", json={"data": FORM_DATA["evaluate_consequences"]})
    assert done.status_code == 200 and _count(db, AuditEvent, AuditEvent.action == "signature") == 0


def test_completing_a_task_claimed_by_another_is_a_conflict(db, api):
    nc = start_corrective_action(db)
    task_id = _task(db, nc)
    api("body").post(f"/api/v1/tasks/{task_id}/claim")
    taken = api("body2").post(f"/api/v1/tasks/{task_id}/complete", json={"data": FORM_DATA["evaluate_consequences"]})
    assert taken.status_code == 409 and "claimed by body" in taken.get_json()["message"]


def test_two_clients_completing_the_same_task_at_once_one_gets_409(db, api):
    for round_ in range(3):
        nc = start_corrective_action(db, business_key=f"NC-{round_}")
        url = f"/api/v1/tasks/{_task(db, nc)}/complete"
        callers = [api("body"), api("body2")]
        barrier = threading.Barrier(len(callers))
        statuses: list[int] = []

        def send(caller):
            barrier.wait()
            statuses.append(caller.post(url, json={"data": FORM_DATA["evaluate_consequences"]}).status_code)

        threads = [threading.Thread(target=send, args=(c,)) for c in callers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(statuses) == [200, 409]
        assert _actions(db, nc).count("complete") == 1
        assert _count(db, HumanTask, HumanTask.instance_id == nc, HumanTask.name == "analyse_cause") == 1


def test_evidence_files_travel_as_base64(db, api):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    complete(db, nc, "analyse_cause", "head_prod", analyse_data())
    url = f"/api/v1/tasks/{_task(db, nc, 'implement_correction')}/complete"
    caller = api("staff_prod")
    broken = caller.post(url, json={"data": FORM_DATA["implement_correction"],
                                    "evidence": [{"file_name": "scan.pdf", "content": "%%% not base64"}]})
    assert broken.status_code == 422 and set(broken.get_json()["errors"]) == {"evidence"}
    certificate = {"file_name": "certificate.pdf", "content_type": "application/pdf",
                   "content": base64.b64encode(b"%PDF-1.7 calibration certificate").decode()}
    done = caller.post(url, json={"data": FORM_DATA["implement_correction"], "evidence": [certificate]})
    assert done.status_code == 200, done.get_json()
    files = caller.get(f"/api/v1/instances/{nc}").get_json()["evidence"]
    assert [(f["file_name"], f["uploaded_by"]) for f in files] == [("certificate.pdf", "staff_prod")]


# Messages


def test_a_message_is_queued_as_a_job_and_a_key_makes_it_once(db, api):
    caller = api("gm")
    queued = caller.post("/api/v1/messages/regulation_changed", json={"data": REGULATION})
    assert queued.status_code == 202
    job = queued.get_json()
    assert job["kind"] == "deliver_message" and job["status"] == "pending" and job["created_by"] == "gm"
    first = caller.post("/api/v1/messages/regulation_changed", json={"data": REGULATION, "key": "MEE-2027-1"})
    second = caller.post("/api/v1/messages/regulation_changed", json={"data": REGULATION, "key": "MEE-2027-1"})
    assert first.get_json()["id"] == second.get_json()["id"] != job["id"]
    with db.reading() as session:
        payloads = [j.payload for j in session.scalars(select(Job).order_by(Job.id))]
    assert payloads == [{"name": "regulation_changed", "data": REGULATION}] * 2


def test_a_message_is_refused_now_to_someone_who_may_not_start_its_process(db, api):
    caller = api("staff_prod")
    refused = caller.post("/api/v1/messages/regulation_changed", json={"data": REGULATION})
    assert refused.status_code == 403 and "needs role carbon_body" in refused.get_json()["message"]
    invalid = api("gm").post("/api/v1/messages/regulation_changed", json={"data": "text", "key": ""})
    assert invalid.status_code == 422 and set(invalid.get_json()["errors"]) == {"data", "key"}
    assert _count(db, Job) == 0


def _actions(db, instance_id) -> list[str]:
    with db.reading() as session:
        return list(session.scalars(select(AuditEvent.action).where(AuditEvent.instance_id == instance_id)
                                    .order_by(AuditEvent.id)))


# Start forms for clients: every process carries its start form as JSON Schema, enough to start it

def from_schema(prop: dict[str, Any]) -> Any:
    """A value a client would send for this property, read from the JSON Schema alone."""
    if "enum" in prop:
        return prop["enum"][0]
    if prop.get("type") == "array":
        return [values_for(prop["items"]) for _ in range(prop.get("minItems", 0))]
    if prop.get("type") == "object":
        return values_for(prop)
    if prop.get("type") == "boolean":
        return True
    if prop.get("type") in ("integer", "number"):
        return prop.get("minimum", 1)
    return {"date": "2026-11-20", "date-time": "2026-11-20T09:00:00+08:00", "decimal": "1",
            "email": "carbon@example.cn", "uri": "https://example.cn/r"}.get(
        prop.get("format"), _text(prop))


def _text(prop: dict[str, Any]) -> str:
    if "pattern" in prop:  # the schema gives an example with every pattern ("e.g. 8.1.3")
        example = re.search(r"e\.g\. (\S+)", prop.get("description", ""))
        assert example, f"a pattern without an example: {prop}"
        return example.group(1)
    return "x" * max(prop.get("minLength", 1), 3)


def values_for(schema: dict[str, Any]) -> dict[str, Any]:
    return {name: from_schema(schema["properties"][name]) for name in schema.get("required", [])}


def test_every_process_lists_its_start_form_as_json_schema(api):
    processes = {p["id"]: p for p in api("staff_prod").get("/api/v1/processes").get_json()}
    assert "corrective_action" in processes
    for process in processes.values():
        form = process["start_form"]
        if process["start_form_key"] is None:
            assert form is None
            continue
        assert form["$id"] == process["start_form_key"] and form["type"] == "object"
        assert set(form["required"]) <= set(form["properties"]) and form["x-labels"]["en"]


@pytest.mark.parametrize("process_id, user", [
    ("corrective_action", "staff_prod"), ("communication", "staff_prod"), ("compliance_reevaluation", "body"),
])
def test_a_client_starts_a_process_from_its_start_form_alone(api, process_id, user):
    caller = api(user)
    [process] = [p for p in caller.get("/api/v1/processes").get_json() if p["id"] == process_id]
    data = values_for(process["start_form"])
    response = caller.post(f"/api/v1/processes/{process_id}/instances", json={"data": data})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["process_id"] == process_id


def test_instances_and_tasks_carry_the_title_of_what_they_are_about(db, api):
    from tests.factories import start_corrective_action
    nc = start_corrective_action(db, title="Kiln 2 gas meter out of calibration")
    caller = api("body")
    assert caller.get(f"/api/v1/instances/{nc}").get_json()["title"] == "Kiln 2 gas meter out of calibration"
    [task] = [t for t in caller.get("/api/v1/tasks", scope="candidate").get_json() if t["instance_id"] == nc]
    assert task["instance_title"] == "Kiln 2 gas meter out of calibration"
    assert caller.get(f"/api/v1/tasks/{task['id']}").get_json()["instance_title"] == task["instance_title"]



def test_a_message_nothing_starts_on_or_waits_for_is_refused_at_once_and_queues_nothing(api, db):
    from engine.models import Job

    with db.reading() as session:
        before = session.scalar(select(func.count()).select_from(Job))
    response = api("body").post("/api/v1/messages/no_such_message", json={"data": {}})
    assert response.status_code == 404 and "no_such_message" in response.get_json()["message"]
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Job)) == before
