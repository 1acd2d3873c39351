"""People administration pages as the admin uses them, and what the people managed notice: sign-outs, new passwords."""
from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

from sqlalchemy import func, select

from engine.models import AuditEvent, HumanTask, User
from engine.services import tasks
from tests.factories import FORM_DATA, PASSWORD, complete, open_task, start_corrective_action
from tests.web.conftest import csrf_token

NEW_PASSWORD = "my very own passphrase"


def _english(client) -> None:
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client.get("/users").get_data(as_text=True))})


def _post(client, path: str, data: dict, *, page: str = "/users", **kwargs):
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token}, **kwargs)


def _where(response) -> str:
    return urlsplit(response.headers["Location"]).path if response.status_code == 302 else str(response.status_code)


def _written(db) -> tuple[int, int]:
    with db.reading() as session:
        return (session.scalar(select(func.count()).select_from(User)),
                session.scalar(select(func.count()).select_from(AuditEvent)))


def _reset(admin, username: str) -> str:
    """The temporary password the admin's reset shows (once)."""
    response = _post(admin, f"/users/{username}/password", {}, page=f"/users/{username}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    return re.search(r"data-password>([^<]+)<", response.get_data(as_text=True)).group(1)


def test_the_admin_lists_users_with_their_department_and_roles_by_name_and_filters_them(sign_in):
    admin = sign_in("admin")
    _english(admin)
    page = admin.get("/users").get_data(as_text=True)
    row = page.split('data-user="head_prod"')[1].split("</tr>")[0]
    assert "Production" in row and "Department head" in row and "Active" in row
    assert 'href="/users"' in page and 'href="/departments"' in page and 'href="/roles"' in page
    auditors = admin.get("/users?role=auditor").get_data(as_text=True)
    assert re.findall(r'data-user="([^"]+)"', auditors) == ["verifier"]
    in_production = admin.get("/users?department=production&q=PROD").get_data(as_text=True)
    assert re.findall(r'data-user="([^"]+)"', in_production) == ["auditor_prod", "head_prod", "staff_prod"]
    assert "No user matches." in admin.get("/users?active=no").get_data(as_text=True)
    assert sign_in("body").get("/users").status_code == 403


def test_the_admin_edits_a_user_and_a_refused_edit_names_the_reason_beside_the_field(sign_in, db):
    admin = sign_in("admin")
    _english(admin)
    before = _written(db)
    refused = _post(admin, "/users/staff_prod", {"display_name": "Zhao Min", "roles": ["carbon_staff", "auditor"]},
                    page="/users/staff_prod")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'value="Zhao Min"' in page
    assert "The read-only auditor role cannot be combined with a role that writes (carbon_staff)." in page
    assert _written(db) == before
    saved = _post(admin, "/users/staff_prod", {"display_name": "Zhao Min", "email": "zhao@plant.example",
                                               "department": "energy", "roles": ["carbon_staff"]},
                  page="/users/staff_prod", follow_redirects=True)
    assert 'class="flash success"' in saved.get_data(as_text=True)
    with db.reading() as session:
        user = session.scalars(select(User).where(User.username == "staff_prod")).unique().one()
    assert (user.display_name, user.email, user.department_code) == ("Zhao Min", "zhao@plant.example", "energy")


def test_deactivation_first_lists_the_tasks_that_go_back_then_gives_them_back_and_signs_the_user_out(sign_in, db):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body", FORM_DATA["evaluate_consequences"])
    task_id = open_task(db, nc, "analyse_cause").id
    with db.transaction() as session:
        tasks.claim(session, task_id=task_id, actor="head_prod")
    head = sign_in("head_prod")
    admin = sign_in("admin")
    _english(admin)
    confirm = admin.get("/users/head_prod/deactivate").get_data(as_text=True)
    assert 'data-returning="1"' in confirm and f'data-task="{task_id}"' in confirm and "NC-1" in confirm
    assert "This task goes back to its role" in confirm
    with db.reading() as session:
        assert session.get(HumanTask, task_id).assignee == "head_prod"  # nothing done by looking
    done = _post(admin, "/users/head_prod/deactivate", {}, page="/users/head_prod/deactivate", follow_redirects=True)
    assert f"Tasks back with their role: #{task_id}." in done.get_data(as_text=True)
    with db.reading() as session:
        assert session.get(HumanTask, task_id).assignee is None
    assert _where(head.get("/inbox")) == "/sign-in"
    again = admin.get("/users/head_prod/deactivate").get_data(as_text=True)
    assert "deactivated already" in again
    _post(admin, "/users/head_prod/reactivate", {}, page="/users/head_prod")
    assert sign_in("head_prod").get("/inbox").status_code == 200


def test_after_a_reset_the_old_session_is_signed_out_and_the_next_sign_in_must_change_the_password(sign_in, app):
    staff = sign_in("staff_prod")
    temporary = _reset(sign_in("admin"), "staff_prod")
    assert _where(staff.get("/inbox")) == "/sign-in"
    refused = app.test_client()
    page = refused.get("/sign-in").get_data(as_text=True)
    assert refused.post("/sign-in", data={"username": "staff_prod", "password": PASSWORD,
                                          "csrf_token": csrf_token(page)}).status_code == 401
    client = sign_in("staff_prod", temporary)
    for path in ("/inbox", "/users", "/start"):
        assert _where(client.get(path)) == "/account/password"
    form = client.get("/account/password").get_data(as_text=True)
    assert "data-must-change" in form
    assert client.get("/api/v1/tasks").status_code == 403
    mismatch = client.post("/account/password", data={"current_password": temporary, "new_password": NEW_PASSWORD,
                                                      "repeat_password": "something else", "csrf_token": csrf_token(form)})
    assert mismatch.status_code == 422 and _where(client.get("/inbox")) == "/account/password"
    changed = client.post("/account/password", data={"current_password": temporary, "new_password": NEW_PASSWORD,
                                                     "repeat_password": NEW_PASSWORD, "csrf_token": csrf_token(form)})
    assert _where(changed) == "/inbox"
    assert client.get("/inbox").status_code == 200
    assert sign_in("staff_prod", NEW_PASSWORD).get("/inbox").status_code == 200


def test_a_copied_session_cookie_and_a_bearer_token_stop_working_after_a_reset(sign_in, app):
    staff = sign_in("staff_prod")
    copy = app.test_client()
    copy.set_cookie("session", staff.get_cookie("session").value)
    token = app.test_client().post("/api/v1/auth/token", json={"username": "staff_prod", "password": PASSWORD})
    bearer = {"Authorization": f"Bearer {token.get_json()['token']}"}
    assert copy.get("/inbox").status_code == 200
    assert app.test_client().get("/api/v1/tasks", headers=bearer).status_code == 200
    _reset(sign_in("admin"), "staff_prod")
    assert _where(copy.get("/inbox")) == "/sign-in"
    assert app.test_client().get("/api/v1/tasks", headers=bearer).status_code == 401


def test_changing_ones_password_ends_ones_other_sessions_and_keeps_this_one(sign_in):
    here, elsewhere = sign_in("verifier"), sign_in("verifier")
    wrong = _post(here, "/account/password", {"current_password": "a wrong guess", "new_password": NEW_PASSWORD,
                                              "repeat_password": NEW_PASSWORD}, page="/account/password")
    assert wrong.status_code == 403 and elsewhere.get("/inbox").status_code == 200
    done = _post(here, "/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                             "repeat_password": NEW_PASSWORD}, page="/account/password")
    assert _where(done) == "/inbox"
    assert here.get("/inbox").status_code == 200
    assert _where(elsewhere.get("/inbox")) == "/sign-in"


def _upload(client, text: str, name: str = "people.csv"):
    return _post(client, "/users/import", {"file": (io.BytesIO(text.encode()), name)}, page="/users/import",
                 content_type="multipart/form-data")


CSV_HEADER = "username,display_name,email,department,roles\n"


def test_an_import_with_a_bad_row_names_it_and_writes_nothing(sign_in, db):
    admin = sign_in("admin")
    before = _written(db)
    response = _upload(admin, CSV_HEADER + "liu.new,Liu,liu@plant.example,energy,carbon_staff\n"
                                          "wu.new,Wu,,production,wizard\n"
                                          "body,Body,,,carbon_body\n")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.findall(r'data-row="(\d+)" data-column="(\w+)" data-problem="(\w+)"', page) == [
        ("3", "roles", "unknown_role"), ("4", "username", "already_exists")]
    assert "action=\"/users/import/confirm\"" not in page
    assert _written(db) == before


def test_a_good_import_is_previewed_then_written_with_temporary_passwords_shown_once(sign_in, db):
    admin = sign_in("admin")
    before = _written(db)
    preview = _upload(admin, CSV_HEADER + "liu.new,Liu,liu@plant.example,energy,carbon_staff\n"
                                         "wu.new,Wu,,,department_head;carbon_staff\n").get_data(as_text=True)
    assert _written(db) == before
    rows = re.search(r"name=\"rows\" value='([^']+)'", preview).group(1)
    done = admin.post("/users/import/confirm", data={"rows": rows, "file_name": "people.csv",
                                                    "csrf_token": csrf_token(preview)})
    page = done.get_data(as_text=True)
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    assert re.findall(r'data-user="([^"]+)"', page) == ["liu.new", "wu.new"]
    password = re.search(r'data-user="wu.new">.*?<code>([^<]+)</code>', page).group(1)
    assert _where(sign_in("wu.new", password).get("/inbox")) == "/account/password"


def test_departments_are_listed_with_their_members_created_and_renamed(sign_in):
    admin = sign_in("admin")
    created = _post(admin, "/departments", {"code": "cement", "name_zh": "水泥厂", "name_en": "Cement"},
                    page="/departments", follow_redirects=True).get_data(as_text=True)
    assert 'data-department="cement"' in created
    refused = _post(admin, "/departments", {"code": "cement", "name_zh": "x", "name_en": "x"}, page="/departments")
    assert refused.status_code == 409 and "exists already" in refused.get_data(as_text=True)
    _post(admin, "/departments/production", {"name_zh": "生产部", "name_en": "Production works"}, page="/departments")
    row = admin.get("/departments").get_data(as_text=True).split('data-department="production"')[1].split("</tr>")[0]
    assert "Production works" in row and 'href="/users?department=production&amp;active=yes">3</a>' in row


def test_the_roles_page_says_what_each_role_does_and_how_many_hold_it(sign_in):
    admin = sign_in("admin")
    _english(admin)
    page = admin.get("/roles").get_data(as_text=True)
    assert page.count('data-role="') == 8
    auditor = page.split('data-role="auditor"')[1].split("</tr>")[0]
    assert "read-only" in auditor and 'href="/users?role=auditor&amp;active=yes">1</a>' in auditor
