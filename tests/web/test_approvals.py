"""Top management's approvals: listed, and signed by entering the password again, with its meaning audited."""
from __future__ import annotations

from sqlalchemy import select

from engine.models import AuditEvent, HumanTask
from engine.services import credentials
from tests.factories import walk_to_approval
from tests.formdata import sample_form
from tests.web.conftest import csrf_token


def test_waiting_decisions_are_listed_for_top_management_only(db, sign_in):
    task = walk_to_approval(db)
    page = sign_in("gm").get("/approvals").get_data(as_text=True)
    assert f"/tasks/{task.id}" in page
    assert f"/tasks/{task.id}" not in sign_in("body").get("/approvals").get_data(as_text=True)


def _approval(task, page: str) -> dict[str, str]:
    """The approval form as the page posts it: the decision ticked, the sample's plain fields, the CSRF token."""
    return {**{k: ("on" if v is True else v) for k, v in sample_form(task.form_key).items()
               if not isinstance(v, (list, dict))}, "approved": "on", "action": "complete",
            "csrf_token": csrf_token(page)}


def test_a_decision_is_signed_with_the_password_and_the_audit_trail_keeps_its_meaning(db, sign_in):
    task = walk_to_approval(db)
    client = sign_in("gm")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'name="signature_password"' in page
    decision = _approval(task, page)
    refused = client.post(f"/tasks/{task.id}", data={**decision, "signature_password": "wrong"})
    assert refused.status_code == 403 and "密码不正确，因此未签署任何内容" in refused.get_data(as_text=True)
    assert 'name="signature_password"' in refused.get_data(as_text=True)  # the page again, to retype it
    signed = client.post(f"/tasks/{task.id}", data={**decision, "signature_password": "correct horse battery"})
    assert signed.status_code == 302
    with db.reading() as session:
        signature = session.scalar(select(AuditEvent).where(AuditEvent.action == "signature"))
        assert (signature.actor, signature.task_id, signature.data["meaning"]) == ("gm", task.id, "approved")
        assert session.get(HumanTask, task.id).status == "completed"


def test_signing_is_stopped_with_429_after_as_many_wrong_passwords_as_signing_in(db, sign_in):
    task = walk_to_approval(db)
    client = sign_in("gm")
    decision = _approval(task, client.get(f"/tasks/{task.id}").get_data(as_text=True))
    for _ in range(credentials.MAX_FAILURES):
        assert client.post(f"/tasks/{task.id}", data={**decision, "signature_password": "wrong"}).status_code == 403
    blocked = client.post(f"/tasks/{task.id}", data={**decision, "signature_password": "correct horse battery"})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert "失败次数过多" in blocked.get_data(as_text=True)
    with db.reading() as session:
        assert session.get(HumanTask, task.id).status != "completed"
        refused = session.scalars(select(AuditEvent).where(AuditEvent.action == "signature_refused")).all()
    assert len(refused) == credentials.MAX_FAILURES + 1 and {e.instance_id for e in refused} == {task.instance_id}


def test_the_queue_says_what_each_decision_is_about_who_submitted_it_when_and_what_changed(db, sign_in):
    from tests.factories import complete, open_task
    from tests.processes.test_baseline_adjustment import assessment, decision, recalculation, start

    bl = start(db, description="Line 3 (grinding) added to the plant.")
    complete(db, bl, "assess_significance", "body", assessment())
    complete(db, bl, "recalculate_baseline", "staff_prod", recalculation("6900"))
    first = open_task(db, bl, "approve_baseline")
    page = sign_in("gm").get("/approvals").get_data(as_text=True)
    row = page.split(f'data-task="{first.id}"', 1)[1].split("</tr>", 1)[0]
    assert "Line 3 (grinding) added to the plant." in row  # the instance's title
    assert "Staff_Prod" in row and "重新计算碳排放基准" in row  # who submitted (by name), and in which step
    assert "首次提交" in row

    complete(db, bl, "approve_baseline", "gm", decision(False))
    complete(db, bl, "recalculate_baseline", "staff_prod", recalculation("6750"))
    again = open_task(db, bl, "approve_baseline")
    page = sign_in("gm").get("/approvals").get_data(as_text=True)
    row = page.split(f'data-task="{again.id}"', 1)[1].split("</tr>", 1)[0]
    changed = row.split('class="changed"', 1)[1].split(">", 1)[1].split("</td>", 1)[0]
    assert changed == "调整后的基准"  # only the baseline figures changed between the two rounds


def test_signing_from_the_queue_returns_to_it_with_a_receipt(db, sign_in):
    task = walk_to_approval(db)
    client = sign_in("gm")
    page = client.get(f"/tasks/{task.id}?from=approvals").get_data(as_text=True)
    assert 'name="return_to" value="approvals"' in page
    decision = {**_approval(task, page), "return_to": "approvals", "signature_password": "correct horse battery"}
    signed = client.post(f"/tasks/{task.id}", data=decision, follow_redirects=True)
    assert signed.request.path == "/approvals"
    receipt = signed.get_data(as_text=True).split('class="flash success"', 1)[1].split("</", 1)[0]
    assert "已签署" in receipt and "批准" in receipt and task.title in receipt


def test_top_management_sees_the_baseline_in_force_and_the_proposed_one_side_by_side(db, sign_in):
    from tests.factories import complete, open_task
    from tests.processes.test_baseline_adjustment import assessment, recalculation, start

    bl = start(db)
    complete(db, bl, "assess_significance", "body", assessment())
    complete(db, bl, "recalculate_baseline", "staff_prod", recalculation("6750"))
    page = sign_in("gm").get(f"/tasks/{open_task(db, bl, 'approve_baseline').id}").get_data(as_text=True)
    table = page.split('class="baseline-comparison"', 1)[1].split("</section>", 1)[0]
    plant = table.split('data-level="enterprise"', 1)[1].split("</tr>", 1)[0]
    assert "6000 → <strong>6750</strong>" in plant and "+12.5 %" in plant
    assert "Cement grinding" in table and "新增" in table  # a process the old baseline did not have
    record = page.split('class="record"', 1)[1]
    assert "GB/T 32151.8, 2024 data with Line 3 included" in record  # the method
    assert "Line 3 adds 12.5% to base-year emissions." in record  # the reason for recalculating
