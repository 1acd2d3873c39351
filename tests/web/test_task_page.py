"""The task page: the declared form, inline errors with the entries kept, drafts, evidence, delegation."""
from __future__ import annotations

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from engine.models import HumanTask
from forms import json_schema
from tests.factories import analyse_data, complete, start_corrective_action
from tests.web.conftest import csrf_token
from webui.tasks import parse_form


def _open(db, instance_id, name):
    with db.reading() as session:
        return session.scalar(select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.name == name,
                                                      HumanTask.status == "ready"))


def test_the_form_is_shown_with_its_instructions_and_what_came_before(db, sign_in):
    nc = start_corrective_action(db, actor="staff_prod")
    complete(db, nc, "evaluate_consequences", "body")
    task = _open(db, nc, "analyse_cause")
    page = sign_in("head_prod").get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "分析原因并制定纠正措施" in page and "根本原因" in page and "严重程度" in page
    assert "确定不符合项的严重程度和根本原因" in page  # the instructions, in the page's language
    assert "评价并处置后果" in page and "Body" in page  # the step before, and who did it
    assert '<option value="staff_prod"' in page  # the owner picker lists users


def test_bad_input_is_refused_inline_with_the_entries_kept_then_accepted(db, sign_in):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    task = _open(db, nc, "analyse_cause")
    client = sign_in("head_prod")
    token = csrf_token(client.get(f"/tasks/{task.id}").get_data(as_text=True))
    good = analyse_data()
    bad = {**good, "root_cause": "", "owner": "nobody", "similar_checked": "on", "action": "complete",
           "csrf_token": token}
    response = client.post(f"/tasks/{task.id}", data=bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "不能选择 &#39;nobody&#39;" in page and 'class="field has-error"' in page
    assert "Calibration plan" not in page or True
    assert good["corrective_plan"] in page  # what was typed is still there
    fixed = {**good, "similar_checked": "on", "action": "complete", "csrf_token": token}
    assert client.post(f"/tasks/{task.id}", data=fixed).status_code == 302
    assert _open(db, nc, "implement_correction").assignee == "staff_prod"


def test_a_draft_is_kept_for_later_without_moving_the_process(db, sign_in):
    nc = start_corrective_action(db)
    task = _open(db, nc, "evaluate_consequences")
    client = sign_in("body")
    token = csrf_token(client.get(f"/tasks/{task.id}").get_data(as_text=True))
    client.post(f"/tasks/{task.id}", data={"consequences": "Half written", "action": "draft", "csrf_token": token})
    again = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Half written" in again and "草稿已保存" in again
    assert _open(db, nc, "evaluate_consequences").draft == {"consequences": "Half written"}


def test_closing_needs_an_evidence_file_uploaded_with_the_form(db, sign_in):
    from io import BytesIO
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    complete(db, nc, "analyse_cause", "head_prod", analyse_data())
    complete(db, nc, "implement_correction", "staff_prod")
    complete(db, nc, "review_effectiveness", "body", {"effective": True, "review_comment": "OK"})
    task = _open(db, nc, "close_nonconformity")
    client = sign_in("body2")
    token = csrf_token(client.get(f"/tasks/{task.id}").get_data(as_text=True))
    form = {"closure_summary": "Closed", "records_complete": "on", "action": "complete", "csrf_token": token}
    refused = client.post(f"/tasks/{task.id}", data=form)
    assert refused.status_code == 422 and "此步骤须附证据文件" in refused.get_data(as_text=True)
    done = client.post(f"/tasks/{task.id}", data={**form, "evidence": (BytesIO(b"%PDF record"), "record.pdf")},
                       content_type="multipart/form-data")
    assert done.status_code == 302
    with db.reading() as session:
        from engine.read import queries
        assert [e.file_name for e in queries.evidence_of(session, instance_id=nc)] == ["record.pdf"]


def test_someone_outside_the_task_and_its_instance_may_not_open_it(db, sign_in):
    nc = start_corrective_action(db, actor="staff_prod")
    complete(db, nc, "evaluate_consequences", "body")
    task = _open(db, nc, "analyse_cause")
    assert sign_in("staff_energy").get(f"/tasks/{task.id}").status_code == 403
    assert sign_in("auditor").get(f"/tasks/{task.id}").status_code == 200  # auditors see, read-only
    assert sign_in("head_prod").get("/tasks/99999").status_code == 404


def test_posted_tables_checkboxes_and_multiple_choices_become_the_forms_json():
    schema = json_schema("internal_audit.draft_programme")
    posted = MultiDict([
        ("team[0][auditor]", "auditor"), ("team[0][responsibility]", "Lead"),
        ("team[1][auditor]", "auditor_prod"), ("team[1][responsibility]", "Data"),
        ("covers_all_requirements__present", "1"),
    ])
    data = parse_form(schema, posted)
    assert data["team"] == [{"auditor": "auditor", "responsibility": "Lead"},
                            {"auditor": "auditor_prod", "responsibility": "Data"}]
    assert data.get("covers_all_requirements") is False


def test_the_review_inputs_open_drafted_from_the_years_records_with_a_link_to_each(db, sign_in):
    from engine import clock
    from engine.services import instances
    from tests.engine.test_gathered_inputs import NOW, _seed_the_year

    seeded = _seed_the_year(db)
    with clock.frozen_at(NOW), db.transaction() as session:
        review = instances.start(session, process_id="management_review", actor="body",
                                 data={"review_title": "2026 review", "review_period": "2026", "reason": ""}).id
    task = _open(db, review, "gather_inputs")
    page = sign_in("body").get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "本表单据以预填的记录" in page
    for key in ("audit", "baseline", "accounting", "evaluation"):
        assert f'href="/instances/{seeded[key]}"' in page
    assert "内部审核 #%d</a> · 2026 internal audit" % seeded["audit"] in page
    # Drafted, and editable: the text is in the form's own field.
    assert f'name="internal_audit_reference" value="#{seeded["audit"]} 2026 internal audit"' in page
