"""People administration over the JSON API: users, their import, departments and roles, as process_admin only.

Each endpoint: its success, bad input answered 422 naming the field with nothing written, an unknown user 404,
and a non-admin ("body") refused 403 with nothing written.
"""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from engine.models import AuditEvent, Department, HumanTask, User
from engine.services import tasks
from tests.factories import FORM_DATA, PASSWORD, complete, open_task, start_corrective_action
from tests.web.conftest import csrf_token

NEW_USER = {"username": "zhao.min", "display_name": "Zhao Min", "email": "zhao@plant.example",
            "department": "energy", "roles": ["carbon_staff"]}


class Caller:
    """A test client sending one user's bearer token with every request."""

    def __init__(self, client, token: str):
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def get(self, url: str, **query: Any):
        return self.client.get(url, query_string=query, headers=self.headers)

    def post(self, url: str, json: Any = None):
        return self.client.post(url, json={} if json is None else json, headers=self.headers)

    def patch(self, url: str, json: Any):
        return self.client.patch(url, json=json, headers=self.headers)


@pytest.fixture
def api(app):
    """api(username) -> a Caller with a token issued for that user's password."""
    def caller(username: str, password: str = PASSWORD) -> Caller:
        response = app.test_client().post("/api/v1/auth/token", json={"username": username, "password": password})
        assert response.status_code == 200, response.get_json()
        return Caller(app.test_client(), response.get_json()["token"])
    return caller


@pytest.fixture
def admin(api) -> Caller:
    return api("admin")


def _written(db) -> tuple[Any, ...]:
    """What a write changes: users (and their fields), departments, and audit events other than refusals."""
    with db.reading() as session:
        return (sorted((u.username, u.display_name, u.email, u.department_code, tuple(u.role_ids), u.active,
                        u.credentials_epoch) for u in session.scalars(select(User)).unique()),
                sorted((d.code, d.name_zh, d.name_en) for d in session.scalars(select(Department))),
                session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action != "refused")))


def _refusals(db) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "refused"))


def _actions(db) -> list[str]:
    with db.reading() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def _refused_as_body(api, db, send) -> None:
    """The call as "body" (carbon_body, no process_admin): 403 in JSON, audited as a refusal, nothing written."""
    body = api("body")  # issuing the token is audited: before the counts
    before, refusals = _written(db), _refusals(db)
    response = send(body)
    assert response.status_code == 403 and "process_admin" in response.get_json()["message"]
    assert _written(db) == before and _refusals(db) == refusals + 1


def _unprocessable(db, response, field: str, before) -> None:
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"], response.get_json()
    assert _written(db) == before


# Reading users, departments and roles


def test_the_admin_lists_users_with_filters_and_reads_one(admin, api, db):
    everyone = admin.get("/api/v1/users").get_json()
    assert [u["username"] for u in everyone] == sorted(u["username"] for u in everyone)
    head = next(u for u in everyone if u["username"] == "head_prod")
    assert head == {"username": "head_prod", "display_name": "Head_Prod", "email": None, "department": "production",
                    "roles": ["department_head"], "active": True, "must_change_password": False}
    assert [u["username"] for u in admin.get("/api/v1/users", role="auditor").get_json()] == ["verifier"]
    in_production = admin.get("/api/v1/users", department="production", q="PROD").get_json()
    assert [u["username"] for u in in_production] == ["auditor_prod", "head_prod", "staff_prod"]
    assert admin.get("/api/v1/users", active="false").get_json() == []
    assert len(admin.get("/api/v1/users", active="true").get_json()) == len(everyone)
    bad = admin.get("/api/v1/users", active="perhaps")
    assert bad.status_code == 422 and "active" in bad.get_json()["errors"]
    assert admin.get("/api/v1/users/head_prod").get_json() == head
    unknown = admin.get("/api/v1/users/nobody")
    assert unknown.status_code == 404 and unknown.get_json()["message"] == "unknown user: 'nobody'"
    _refused_as_body(api, db, lambda body: body.get("/api/v1/users"))
    _refused_as_body(api, db, lambda body: body.get("/api/v1/users/head_prod"))
    _refused_as_body(api, db, lambda body: body.get("/api/v1/users/nobody"))  # 403 first: no name is confirmed


def test_the_admin_lists_departments_and_roles_not_taken_for_usernames(admin, api, db):
    departments = admin.get("/api/v1/users/departments").get_json()
    production = next(d for d in departments if d["code"] == "production")
    assert set(production) == {"code", "name_zh", "name_en", "members"} and production["members"] == 3
    roles = admin.get("/api/v1/users/roles").get_json()
    assert {r["id"]: r["holders"] for r in roles}["department_head"] == 3
    assert {r["id"]: r["name_en"] for r in roles}["process_admin"] and len(roles) == 8
    _refused_as_body(api, db, lambda body: body.get("/api/v1/users/departments"))
    _refused_as_body(api, db, lambda body: body.get("/api/v1/users/roles"))


# Creating and editing a user


def test_the_admin_creates_a_user_with_a_temporary_password_shown_once(admin, api, app, db):
    before = _written(db)
    response = admin.post("/api/v1/users", NEW_USER)
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    assert response.headers["Location"].endswith("/api/v1/users/zhao.min")
    created = response.get_json()
    password = created.pop("temporary_password")
    assert len(password) >= 10
    assert created == {**{k: v for k, v in NEW_USER.items()}, "active": True, "must_change_password": True}
    assert _written(db) != before and _actions(db)[-1] == "user_created"
    signed_in = app.test_client().post("/api/v1/auth/token", json={"username": "zhao.min", "password": password})
    assert signed_in.status_code == 200  # a token, which answers 403 until the password is changed
    assert admin.get("/api/v1/users/zhao.min").get_json()["must_change_password"] is True


@pytest.mark.parametrize(("change", "field"), [
    ({"display_name": None}, "display_name"),  # null is no name
    ({"roles": []}, "roles"),
    ({"roles": ["wizard"]}, "roles"),
    ({"roles": ["auditor", "carbon_body"]}, "roles"),
    ({"department": "nowhere"}, "department"),
    ({"email": "not-an-address"}, "email"),
    ({"username": "head_prod"}, "username"),  # taken
    ({"username": "import"}, "username"),  # reserved
    ({"username": "bad name!"}, "username"),
    ({"colour": "blue"}, "colour"),
])
def test_a_new_user_refused_names_the_field_and_writes_nothing(admin, db, change, field):
    before = _written(db)
    _unprocessable(db, admin.post("/api/v1/users", {**NEW_USER, **change}), field, before)


def test_a_new_user_without_a_display_name_is_refused_and_a_non_admin_creates_nobody(admin, api, db):
    before = _written(db)
    _unprocessable(db, admin.post("/api/v1/users", {k: v for k, v in NEW_USER.items() if k != "display_name"}),
                   "display_name", before)
    _refused_as_body(api, db, lambda body: body.post("/api/v1/users", NEW_USER))


def test_the_admin_edits_only_the_fields_sent_audited_field_by_field(admin, api, db):
    admin.post("/api/v1/users", NEW_USER)
    before = _written(db)
    edited = admin.patch("/api/v1/users/zhao.min", {"department": "production", "email": None})
    assert edited.status_code == 200
    assert edited.get_json() == {**NEW_USER, "department": "production", "email": None, "active": True,
                                 "must_change_password": True}
    assert _written(db) != before and _actions(db)[-1] == "user_updated"
    roles = admin.patch("/api/v1/users/zhao.min", {"roles": ["carbon_staff", "internal_auditor"]}).get_json()
    assert roles["roles"] == ["carbon_staff", "internal_auditor"] and roles["display_name"] == "Zhao Min"
    audited = len(_actions(db))
    assert admin.patch("/api/v1/users/zhao.min", {}).status_code == 200
    assert len(_actions(db)) == audited  # nothing changed, nothing audited


@pytest.mark.parametrize(("change", "field"), [
    ({"display_name": ""}, "display_name"),
    ({"roles": ["auditor", "carbon_body"]}, "roles"),
    ({"department": "nowhere"}, "department"),
    ({"email": "nope"}, "email"),
    ({"roles": "carbon_staff"}, "roles"),  # a list, not a string
])
def test_an_edit_refused_names_the_field_and_writes_nothing(admin, db, change, field):
    before = _written(db)
    _unprocessable(db, admin.patch("/api/v1/users/staff_prod", change), field, before)


def test_an_edit_of_nobody_is_404_the_admin_keeps_their_own_role_and_a_non_admin_edits_nothing(admin, api, db):
    before = _written(db)
    assert admin.patch("/api/v1/users/nobody", {"display_name": "X"}).status_code == 404
    own = admin.patch("/api/v1/users/admin", {"roles": ["carbon_body"]})
    assert own.status_code == 403 and "another admin" in own.get_json()["message"]
    assert _written(db) == before
    _refused_as_body(api, db, lambda body: body.patch("/api/v1/users/staff_prod", {"display_name": "Mallory"}))


# Deactivating, reactivating, passwords


def test_deactivation_gives_the_users_tasks_back_ends_their_token_and_reactivation_lets_them_back(admin, api, db):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body", FORM_DATA["evaluate_consequences"])
    task_id = open_task(db, nc, "analyse_cause").id
    with db.transaction() as session:
        tasks.claim(session, task_id=task_id, actor="head_prod")
    head = api("head_prod")
    _refused_as_body(api, db, lambda body: body.post("/api/v1/users/head_prod/deactivate"))
    done = admin.post("/api/v1/users/head_prod/deactivate")
    assert done.status_code == 200
    assert done.get_json()["tasks_returned"] == [task_id] and done.get_json()["user"]["active"] is False
    with db.reading() as session:
        assert session.get(HumanTask, task_id).assignee is None
    assert head.get("/api/v1/tasks").status_code == 401
    before = _written(db)
    assert admin.post("/api/v1/users/head_prod/deactivate").status_code == 409
    assert admin.post("/api/v1/users/nobody/deactivate").status_code == 404
    assert admin.post("/api/v1/users/admin/deactivate").status_code == 403  # not oneself
    assert _written(db) == before
    _refused_as_body(api, db, lambda body: body.post("/api/v1/users/head_prod/reactivate"))
    back = admin.post("/api/v1/users/head_prod/reactivate")
    assert back.status_code == 200 and back.get_json()["active"] is True
    assert _actions(db)[-1] == "user_reactivated"
    assert api("head_prod").get("/api/v1/tasks").status_code == 200
    before = _written(db)
    assert admin.post("/api/v1/users/head_prod/reactivate").status_code == 409
    assert admin.post("/api/v1/users/nobody/reactivate").status_code == 404
    assert _written(db) == before


def test_a_password_reset_is_shown_once_and_ends_the_users_token(admin, api, app, db):
    staff = api("staff_prod")
    made = admin.post("/api/v1/users/staff_prod/password-reset")
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    assert len(made.get_json()["temporary_password"]) >= 10 and _actions(db)[-1] == "password_reset"
    assert staff.get("/api/v1/tasks").status_code == 401
    given = admin.post("/api/v1/users/staff_prod/password-reset", {"password": "a temporary one"})
    assert given.get_json() == {"temporary_password": "a temporary one"}
    token = app.test_client().post("/api/v1/auth/token", json={"username": "staff_prod", "password": "a temporary one"})
    assert token.status_code == 200
    assert admin.get("/api/v1/users/staff_prod").get_json()["must_change_password"] is True
    before = _written(db)
    for password in ("short", ""):
        _unprocessable(db, admin.post("/api/v1/users/staff_prod/password-reset", {"password": password}),
                       "password", before)
    assert admin.post("/api/v1/users/nobody/password-reset").status_code == 404
    assert _written(db) == before
    _refused_as_body(api, db, lambda body: body.post("/api/v1/users/staff_prod/password-reset"))


# Importing users


ROWS = [{"username": "li.na", "display_name": "Li Na", "email": None, "department": "energy",
         "roles": ["carbon_staff"]},
        {"username": "wang.lei", "display_name": "Wang Lei", "department": "production",
         "roles": ["department_head", "carbon_staff"]}]


def test_an_import_writes_every_row_with_a_temporary_password_and_a_dry_run_nothing(admin, db):
    before = _written(db)
    dry = admin.post("/api/v1/users/import", {"rows": ROWS, "dry_run": True})
    assert dry.status_code == 200 and dry.get_json() == {"problems": [], "written": 0, "temporary_passwords": {}}
    assert _written(db) == before
    done = admin.post("/api/v1/users/import", {"rows": ROWS})
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    assert done.get_json()["written"] == 2 and set(done.get_json()["temporary_passwords"]) == {"li.na", "wang.lei"}
    assert _actions(db)[-2:] == ["user_created", "user_created"]
    assert sorted(admin.get("/api/v1/users/wang.lei").get_json()["roles"]) == ["carbon_staff", "department_head"]


@pytest.mark.parametrize("dry_run", [True, False])
def test_an_import_with_a_bad_row_names_each_problem_at_its_row_and_writes_nothing(admin, db, dry_run):
    rows = [*ROWS, {"username": "li.na", "display_name": "", "department": "nowhere", "roles": ["wizard"]},
            {"username": "head_prod", "display_name": "Again", "roles": ["carbon_staff"]}]
    before = _written(db)
    refused = admin.post("/api/v1/users/import", {"rows": rows, "dry_run": dry_run})
    assert refused.status_code == 422 and refused.get_json()["written"] == 0
    assert "rows" in refused.get_json()["errors"]
    assert [(p["row"], p["column"], p["code"]) for p in refused.get_json()["problems"]] == [
        (3, "display_name", "missing_display_name"), (3, "department", "unknown_department"),
        (3, "roles", "unknown_role"), (3, "username", "duplicate_in_file"), (4, "username", "already_exists")]
    assert all(p["message"] for p in refused.get_json()["problems"])
    assert _written(db) == before


@pytest.mark.parametrize(("body", "field"), [
    ({"rows": []}, "rows"), ({}, "rows"), ({"rows": "li.na"}, "rows"),
    ({"rows": ROWS, "dry_run": "maybe"}, "dry_run"),
])
def test_an_import_of_no_rows_or_of_something_else_is_refused_by_field(admin, db, body, field):
    before = _written(db)
    _unprocessable(db, admin.post("/api/v1/users/import", body), field, before)


def test_a_non_admin_imports_nobody_not_even_as_a_dry_run(api, db):
    for dry_run in (True, False):
        _refused_as_body(api, db, lambda body, dry=dry_run: body.post("/api/v1/users/import",
                                                                      {"rows": ROWS, "dry_run": dry}))


# Departments


def test_the_admin_creates_and_renames_a_department_audited(admin, db):
    created = admin.post("/api/v1/users/departments", {"code": "logistics", "name_zh": "物流部", "name_en": "Logistics"})
    assert created.status_code == 201
    assert created.get_json() == {"code": "logistics", "name_zh": "物流部", "name_en": "Logistics", "members": 0}
    assert _actions(db)[-1] == "department_created"
    renamed = admin.patch("/api/v1/users/departments/logistics", {"name_en": "Logistics and stores"})
    assert renamed.status_code == 200
    assert renamed.get_json() == {"code": "logistics", "name_zh": "物流部", "name_en": "Logistics and stores",
                                  "members": 0}
    assert _actions(db)[-1] == "department_renamed"
    assert "logistics" in {d["code"] for d in admin.get("/api/v1/users/departments").get_json()}


@pytest.mark.parametrize(("body", "field"), [
    ({"code": "Bad Code", "name_zh": "部", "name_en": "Dept"}, "code"),
    ({"code": "fine", "name_zh": "", "name_en": "Dept"}, "name_zh"),
    ({"code": "fine", "name_zh": "部"}, "name_en"),
])
def test_a_new_department_refused_names_the_field_and_writes_nothing(admin, db, body, field):
    before = _written(db)
    _unprocessable(db, admin.post("/api/v1/users/departments", body), field, before)


def test_a_taken_code_conflicts_an_unknown_one_is_404_and_a_non_admin_changes_no_department(admin, api, db):
    before = _written(db)
    taken = admin.post("/api/v1/users/departments", {"code": "quality", "name_zh": "质量部", "name_en": "Quality"})
    assert taken.status_code == 409
    assert admin.patch("/api/v1/users/departments/nowhere", {"name_en": "X"}).status_code == 404
    _unprocessable(db, admin.patch("/api/v1/users/departments/quality", {"name_en": " "}), "name_en", before)
    _refused_as_body(api, db, lambda body: body.post("/api/v1/users/departments", {
        "code": "logistics", "name_zh": "物流部", "name_en": "Logistics"}))
    _refused_as_body(api, db, lambda body: body.patch("/api/v1/users/departments/quality", {"name_en": "Mine"}))


# Through the page's session


def test_the_pages_session_may_administer_people_and_its_writes_need_the_csrf_token(sign_in, db):
    client = sign_in("admin")
    assert client.get("/api/v1/users/roles").status_code == 200
    before = _written(db)
    assert client.post("/api/v1/users", json=NEW_USER).status_code == 400  # no X-CSRFToken
    assert _written(db) == before
    headers = {"X-CSRFToken": csrf_token(client.get("/users").get_data(as_text=True))}
    assert client.post("/api/v1/users", json=NEW_USER, headers=headers).status_code == 201
    edited = client.patch("/api/v1/users/zhao.min", json={"display_name": "Zhao Min (energy)"}, headers=headers)
    assert edited.status_code == 200 and edited.get_json()["display_name"] == "Zhao Min (energy)"
