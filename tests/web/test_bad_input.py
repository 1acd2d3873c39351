"""Input no database column can hold is refused (400/404/422 naming the field), signed in or out, with nothing written.

Ids beyond the column (2**31 on PostgreSQL, 2**63 on SQLite), NUL (raw or as \\u0000), lone surrogates, JSON nested
50,000 deep and 5,000-digit numbers, in paths, query strings, form fields, files and JSON bodies.
"""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from engine.models import AuditEvent, Department, Job, ProcessInstance, User
from tests.factories import PASSWORD, start_corrective_action
from tests.web.conftest import csrf_token

DIGITS_5000 = "9" * 5000
DEEP_50000 = "[" * 50_000 + "]" * 50_000
PAST_POSTGRES, PAST_SQLITE = 2**31, 2**63


@pytest.fixture
def token(app):
    """token(username) -> the Authorization header of a fresh bearer token for the user."""
    def issued(username: str) -> dict[str, str]:
        response = app.test_client().post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}
    return issued


@pytest.fixture
def written(db):
    """written() -> how many rows every table a refused request could have touched holds now."""
    def count() -> dict[str, int]:
        with db.reading() as session:
            return {model.__name__: session.scalar(select(func.count()).select_from(model))
                    for model in (AuditEvent, User, Department, ProcessInstance, Job)}
    return count


def _post_form(client, path: str, data: dict, *, page: str = "/inbox", **kwargs):
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token}, **kwargs)


def _refused(response, status: int, field: str) -> None:
    """The API's JSON error naming the field in its message and in ``errors``."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert field in body["message"], body
    assert field in body.get("errors", {}), body


def _page_refused(response, status: int, *words: str) -> None:
    page = response.get_data(as_text=True)
    assert response.status_code == status, page[:300]
    assert all(word in page for word in words), [w for w in words if w not in page]


@pytest.mark.parametrize("number", [PAST_POSTGRES, PAST_SQLITE])
def test_an_id_beyond_the_column_in_a_path_is_not_found_for_the_api_and_the_pages(db, app, sign_in, token,
                                                                                  written, number):
    headers, admin = token("admin"), sign_in("admin")
    before = written()
    api = app.test_client()
    for path in (f"/api/v1/tasks/{number}", f"/api/v1/instances/{number}", f"/api/v1/instances/{number}/audit",
                 f"/api/v1/processes/corrective_action/versions/{number}/bpmn"):
        assert api.get(path, headers=headers).status_code == 404, path
    for path in (f"/api/v1/tasks/{number}/claim", f"/api/v1/admin/jobs/{number}/retry"):
        assert api.post(path, headers=headers).status_code == 404, path
    assert api.post(f"/api/v1/tasks/{number}/complete", json={"data": {}}, headers=headers).status_code == 404
    for path in (f"/tasks/{number}", f"/instances/{number}", f"/evidence/{number}",
                 f"/audit/nonconformities/{number}", f"/processes/corrective_action/v{number}.bpmn"):
        assert admin.get(path).status_code == 404, path
    for path in (f"/tasks/{number}", f"/tasks/{number}/claim", f"/incidents/jobs/{number}/retry"):
        assert _post_form(admin, path, {"reason": "why"}).status_code == 404, path
    assert written() == before


@pytest.mark.parametrize("number", [PAST_POSTGRES, PAST_SQLITE])
def test_an_offset_page_or_id_beyond_the_column_in_a_query_is_refused_naming_it(db, app, sign_in, token, number):
    instance_id = start_corrective_action(db)
    headers = token("body")
    api = app.test_client()
    _refused(api.get(f"/api/v1/tasks?offset={number}", headers=headers), 422, "offset")
    _refused(api.get(f"/api/v1/instances/{instance_id}/audit?offset={number}", headers=headers), 422, "offset")
    body = sign_in("body")
    _page_refused(body.get(f"/inbox?page={number}"), 400, "page")
    _page_refused(body.get(f"/audit?page={number}"), 400, "page")
    _page_refused(body.get(f"/audit?instance={number}"), 400, "instance")
    _page_refused(sign_in("admin").get(f"/instances?version={number}"), 400, "version")


def test_a_nul_byte_in_any_string_is_refused_naming_the_field_and_nothing_is_stored(db, app, sign_in, token,
                                                                                   written):
    api, headers, admin = app.test_client(), token("admin"), sign_in("admin")
    before = written()
    _refused(api.post("/api/v1/users/departments", headers=headers,
                      json={"code": "kiln", "name_zh": "窑\x00", "name_en": "Kiln"}), 400, "name_zh")
    _refused(api.post("/api/v1/users/departments", headers=headers, content_type="application/json",
                      data='{"code": "kiln", "name_zh": "窑", "name_en": "Kiln\\u0000"}'), 400, "name_en")
    _refused(api.post("/api/v1/processes/corrective_action/instances", headers=headers,
                      json={"data": {"title\x00": "x"}}), 400, "data.title\\u0000")
    _refused(api.get("/api/v1/users?q=a%00b", headers=headers), 400, "q")
    _refused(api.get("/api/v1/users/body%00", headers=headers), 400, "username")
    _page_refused(_post_form(admin, "/departments", {"code": "kiln", "name_zh": "窑\x00", "name_en": "Kiln"}),
                  400, "name_zh", "U+0000")
    _page_refused(admin.get("/users?q=a%00b"), 400, "q", "U+0000")
    upload = {"file": (io.BytesIO(b"username,display_name,email,department,roles\nx\x00y,X,,,carbon_staff\n"),
                       "users.csv")}
    _page_refused(_post_form(admin, "/users/import", upload, content_type="multipart/form-data"), 422, "U+0000")
    named = {"file": (io.BytesIO(b"username\n"), "users\x00.csv")}
    _page_refused(_post_form(admin, "/users/import", named, content_type="multipart/form-data"), 400, "file")
    # Signed out: refused before the sign-in is tried, so no refused attempt is audited either.
    signed_out = app.test_client()
    page = csrf_token(signed_out.get("/sign-in").get_data(as_text=True))
    _page_refused(signed_out.post("/sign-in", data={"username": "admin\x00", "password": PASSWORD,
                                                    "csrf_token": page}), 400, "username", "U+0000")
    _refused(signed_out.post("/api/v1/auth/token", json={"username": "admin", "password": "x\x00"}), 400, "password")
    assert written() == before


def test_a_lone_surrogate_in_json_is_refused_naming_the_field(db, app, token, written):
    api, headers = app.test_client(), token("admin")
    before = written()
    _refused(api.patch("/api/v1/users/body2", headers=headers, content_type="application/json",
                       data='{"display_name": "Body \\ud800"}'), 400, "display_name")
    _refused(api.post("/api/v1/messages/regulation_changed", headers=headers, content_type="application/json",
                      data='{"data": {"title": "\\udfff"}}'), 400, "data.title")
    _refused(app.test_client().post("/api/v1/auth/token", content_type="application/json",
                                    data='{"username": "\\ud800", "password": "x"}'), 400, "username")
    assert written() == before


def test_json_nested_50000_deep_is_refused_naming_where(db, app, token, written):
    headers = token("staff_prod")
    before = written()
    _refused(app.test_client().post("/api/v1/processes/corrective_action/instances", headers=headers,
                                    content_type="application/json", data='{"data": ' + DEEP_50000 + "}"),
             400, "data")
    _refused(app.test_client().post("/api/v1/auth/token", content_type="application/json", data=DEEP_50000),
             400, "body")
    assert written() == before


def test_a_5000_digit_number_is_refused_naming_the_field(db, app, sign_in, token, written):
    instance_id = start_corrective_action(db)
    api, headers, admin = app.test_client(), token("admin"), sign_in("admin")
    before = written()
    _refused(api.post("/api/v1/admin/instances/actions", headers=headers, content_type="application/json",
                      data='{"action": "suspend", "instance_ids": [' + DIGITS_5000 + "]}"), 400, "instance_ids.0")
    _refused(app.test_client().post("/api/v1/auth/token", content_type="application/json",
                                    data='{"username": ' + DIGITS_5000 + ', "password": "x"}'), 400, "username")
    _refused(api.get(f"/api/v1/tasks?limit={DIGITS_5000}", headers=headers), 422, "limit")
    _page_refused(admin.get(f"/instances?page={DIGITS_5000}"), 400, "page")
    _page_refused(admin.get(f"/inbox?page={DIGITS_5000}"), 400, "page")
    preview = _post_form(admin, "/instances/migrate/preview", {"instance": str(instance_id), "to_version": DIGITS_5000},
                         page="/instances")
    assert preview.status_code == 422
    assert written() == before


def test_the_first_and_last_days_of_the_calendar_filter_like_any_other_day(db, app, sign_in, token):
    start_corrective_action(db)
    headers, api = token("admin"), app.test_client()
    everything = "from=0001-01-01&to=9999-12-31"
    found = api.get(f"/api/v1/admin/instances?{everything}", headers=headers)
    assert found.status_code == 200 and found.get_json()["total"] == 1
    assert sign_in("admin").get(f"/instances?{everything}").status_code == 200
    body = sign_in("body")
    for page in ("/audit", "/audit/nonconformities", "/audit/export/audit.csv"):
        assert body.get(f"{page}?{everything}").status_code == 200, page
