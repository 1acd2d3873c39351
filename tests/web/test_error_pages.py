"""Error pages: the status in the reader's language, the engine's reason, a way on; the API stays JSON."""
from __future__ import annotations

from sqlalchemy import select

from engine.models import AuditEvent
from tests.factories import start_corrective_action
from tests.web.conftest import csrf_token


def _english(client):
    page = client.get("/inbox").get_data(as_text=True)
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(page)})
    return client


def test_a_refused_page_says_why_in_chinese_and_the_audit_event_keeps_the_reason(sign_in, db):
    nc = start_corrective_action(db, actor="staff_prod")
    response = sign_in("staff_energy").get(f"/instances/{nc}")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "无权操作" in page and f"staff_energy may not see instance {nc}" in page
    assert "返回待办" in page and "待办" in page  # the site's own layout, with its navigation
    with db.reading() as session:
        refused = session.scalars(select(AuditEvent).where(AuditEvent.action == "refused")).one()
    assert (refused.actor, refused.instance_id) == ("staff_energy", nc)
    assert f"may not see instance {nc}" in refused.data["reason"]


def test_an_unknown_record_and_an_unknown_address_are_named_in_english_too(sign_in):
    client = _english(sign_in("staff_prod"))
    missing = client.get("/tasks/987654")
    assert missing.status_code == 404
    assert "Not found" in missing.get_data(as_text=True) and "no task 987654" in missing.get_data(as_text=True)
    nowhere = client.get("/no-such-page")
    assert nowhere.status_code == 404 and "Back to the inbox" in nowhere.get_data(as_text=True)


def test_a_bad_export_period_names_the_field(sign_in):
    response = _english(sign_in("auditor")).get("/audit/export/nonconformities.csv?from=31/12/2026")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Invalid input" in page and "from" in page


def test_a_wrong_method_keeps_its_allow_header(sign_in):
    response = sign_in("staff_prod").get("/sign-out")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"] and "不允许此操作方式" in response.get_data(as_text=True)


def test_the_api_still_answers_errors_in_json(app):
    client = app.test_client()
    response = client.get("/api/v1/instances/1")
    assert response.status_code == 401 and response.is_json
    assert client.get("/api/v1/no-such-resource").is_json


def test_a_sign_in_without_its_csrf_token_is_refused_on_a_page_a_signed_out_person_can_read(app):
    response = app.test_client().post("/sign-in", data={"username": "staff_prod", "password": "x"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "请求无法处理" in page and "CSRF" in page and 'href="/sign-in"' in page
