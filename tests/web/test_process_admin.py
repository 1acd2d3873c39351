"""Process administration pages and API as the admin uses them: versions, upload, download, diff, validate, deploy."""
from __future__ import annotations

import io

from sqlalchemy import func, select

from engine.config import PROJECT_ROOT
from engine.models import AuditEvent, ProcessDefinition
from tests.web.conftest import csrf_token

SOURCE = (PROJECT_ROOT / "processes" / "corrective_action.bpmn").read_text(encoding="utf-8")
CHANGED = SOURCE.replace('value="corrective_action.close"', 'value="corrective_action.review_effectiveness"')
UNKNOWN_FORM = SOURCE.replace('value="corrective_action.close"', 'value="corrective_action.nonesuch"')


def _stored(db) -> tuple[int, int]:
    with db.reading() as session:
        return (session.scalar(select(func.count()).select_from(ProcessDefinition)),
                session.scalar(select(func.count()).select_from(AuditEvent)))


def _upload(client, text: str, note: str = "Close with the effectiveness form", name: str = "corrective_action.bpmn"):
    token = csrf_token(client.get("/processes").get_data(as_text=True))
    return client.post("/processes/upload", data={
        "csrf_token": token, "note": note, "bpmn": (io.BytesIO(text.encode()), name)},
        content_type="multipart/form-data", follow_redirects=True)


def test_the_admin_finds_every_process_with_its_version_instances_and_schedule(sign_in):
    client = sign_in("admin")
    assert 'href="/processes"' in client.get("/inbox").get_data(as_text=True)
    page = client.get("/processes").get_data(as_text=True)
    assert page.count('data-process="') == len(list((PROJECT_ROOT / "processes").glob("*.bpmn")))
    assert "/processes/corrective_action/v1/modeler" in page and "/processes/corrective_action/v1.bpmn" in page
    assert 'href="/processes"' not in sign_in("staff_prod").get("/inbox").get_data(as_text=True)


def test_an_uploaded_version_is_listed_with_its_note_and_author_and_its_changes_in_words(sign_in, db):
    client = sign_in("admin")
    page = _upload(client, CHANGED).get_data(as_text=True)
    assert "version 2" in page or "版本 2" in page
    assert 'data-version="2"' in page and "Close with the effectiveness form" in page
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(page)})
    diff = client.get("/processes/corrective_action/diff?old=1&new=2").get_data(as_text=True)
    assert 'data-element="close_nonconformity"' in diff
    assert "property formKey changed from “corrective_action.close” to “corrective_action.review_effectiveness”" in diff
    data = client.get("/processes/corrective_action/diff.json?old=1&new=2").get_json()
    assert data["changed"] == ["close_nonconformity"] and data["added"] == data["removed"] == []
    assert "corrective_action.review_effectiveness" in data["new"]


def test_an_identical_upload_makes_no_new_version_and_says_so(sign_in, db):
    client = sign_in("admin")
    before = _stored(db)
    page = _upload(client, SOURCE).get_data(as_text=True)
    assert 'class="flash info"' in page
    assert _stored(db) == before


def test_a_refused_upload_names_each_refusal_at_its_element_and_stores_nothing(sign_in, db):
    client = sign_in("admin")
    before = _stored(db)
    response = _upload(client, UNKNOWN_FORM)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<code>close_nonconformity</code>" in page and "corrective_action.nonesuch" in page
    assert _stored(db) == before


def test_an_upload_without_a_change_note_is_refused(sign_in, db):
    client = sign_in("admin")
    before = _stored(db)
    response = _upload(client, CHANGED, note="  ")
    assert response.status_code == 422 and "请填写变更说明" in response.get_data(as_text=True)
    kept = _upload(client, UNKNOWN_FORM, note="Close with another form").get_data(as_text=True)
    assert ">Close with another form</textarea>" in kept  # what was typed is kept for the next try
    assert _stored(db) == before


def test_a_version_downloads_as_the_file_deployed(sign_in):
    response = sign_in("admin").get("/processes/corrective_action/v1.bpmn")
    assert response.get_data(as_text=True) == SOURCE
    assert 'filename="corrective_action-v1.bpmn"' in response.headers["Content-Disposition"]
    assert sign_in("admin").get("/processes/corrective_action/v7.bpmn").status_code == 404


def test_the_modeler_page_carries_the_pickers_the_properties_panel_offers(sign_in):
    page = sign_in("admin").get("/processes/corrective_action/v1/modeler").get_data(as_text=True)
    assert 'id="modeler-config"' in page and '"corrective_action.close"' in page and '"9.2.2"' in page
    assert '"auditor"' not in page  # the read-only role names no lane
    assert sign_in("admin").get("/processes/corrective_action/v9/modeler").status_code == 404


def test_the_api_validates_without_storing_and_lists_refusals_and_warnings_at_their_elements(sign_in, db):
    client = sign_in("admin")
    headers = {"X-CSRFToken": csrf_token(client.get("/processes").get_data(as_text=True))}
    before = _stored(db)
    answer = client.post("/api/v1/processes/validate", json={"bpmn": UNKNOWN_FORM}, headers=headers).get_json()
    assert not answer["deployable"] and answer["process_id"] == "corrective_action"
    assert [(p["element"], p["severity"]) for p in answer["refusals"]] == [("close_nonconformity", "error")]
    assert all(p["severity"] == "warning" and p["code"] for p in answer["warnings"])
    same = client.post("/api/v1/processes/validate", json={"bpmn": SOURCE}, headers=headers).get_json()
    assert same["deployable"] and same["identical"] and same["latest_version"] == 1
    resaved = SOURCE.replace("bpmn:", "semantic:").replace("xmlns:bpmn=", "xmlns:semantic=")  # another modeler
    again = client.post("/api/v1/processes/validate", json={"bpmn": resaved}, headers=headers).get_json()
    assert (again["identical"], again["unchanged"]) == (False, True)
    changed = client.post("/api/v1/processes/validate", json={"bpmn": CHANGED}, headers=headers).get_json()
    assert (changed["identical"], changed["unchanged"]) == (False, False)
    assert _stored(db) == before


def test_the_api_deploys_with_a_note_and_refuses_with_every_problem(sign_in, db):
    client = sign_in("admin")
    headers = {"X-CSRFToken": csrf_token(client.get("/processes").get_data(as_text=True))}
    refused = client.post("/api/v1/processes/deployments", json={"bpmn": UNKNOWN_FORM, "note": "x"}, headers=headers)
    assert refused.status_code == 422 and refused.get_json()["problems"][0]["element"] == "close_nonconformity"
    no_note = client.post("/api/v1/processes/deployments", json={"bpmn": CHANGED}, headers=headers)
    assert no_note.status_code == 422 and "note" in no_note.get_json()["errors"]
    done = client.post("/api/v1/processes/deployments", json={"bpmn": CHANGED, "note": "Effectiveness form"},
                       headers=headers)
    assert done.status_code == 201 and done.get_json() == {
        "process_id": "corrective_action", "version": 2, "created": True}
    versions = client.get("/api/v1/processes/corrective_action/versions").get_json()
    assert [(v["version"], v["change_note"]) for v in versions] == [(2, "Effectiveness form"), (1, None)]
    diff = client.get("/api/v1/processes/corrective_action/diff").get_json()
    assert (diff["old"], diff["new"]) == (1, 2)
    assert [e["element_id"] for e in diff["elements"]] == ["close_nonconformity"]
    assert client.get("/api/v1/processes/corrective_action/versions/2/bpmn").get_data(as_text=True) == CHANGED
    assert client.get("/api/v1/processes/corrective_action/versions/3/bpmn").status_code == 404
