"""Top management's approvals: listed, and signed by entering the password again, with its meaning audited."""
from __future__ import annotations

from sqlalchemy import select

from engine.models import AuditEvent, HumanTask
from tests.factories import walk_to_approval
from tests.formdata import sample_form
from tests.web.conftest import csrf_token


def test_waiting_decisions_are_listed_for_top_management_only(db, sign_in):
    task = walk_to_approval(db)
    page = sign_in("gm").get("/approvals").get_data(as_text=True)
    assert f"/tasks/{task.id}" in page
    assert f"/tasks/{task.id}" not in sign_in("body").get("/approvals").get_data(as_text=True)


def test_a_decision_is_signed_with_the_password_and_the_audit_trail_keeps_its_meaning(db, sign_in):
    task = walk_to_approval(db)
    client = sign_in("gm")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'name="signature_password"' in page
    decision = {**{k: ("on" if v is True else v) for k, v in sample_form(task.form_key).items()
                   if not isinstance(v, (list, dict))}, "approved": "on", "action": "complete",
                "csrf_token": csrf_token(page)}
    refused = client.post(f"/tasks/{task.id}", data={**decision, "signature_password": "wrong"})
    assert refused.status_code == 403 and "password does not match" in refused.get_data(as_text=True)
    assert 'name="signature_password"' in refused.get_data(as_text=True)  # the page again, to retype it
    signed = client.post(f"/tasks/{task.id}", data={**decision, "signature_password": "correct horse battery"})
    assert signed.status_code == 302
    with db.reading() as session:
        signature = session.scalar(select(AuditEvent).where(AuditEvent.action == "signature"))
        assert (signature.actor, signature.task_id, signature.data["meaning"]) == ("gm", task.id, "approved")
        assert session.get(HumanTask, task.id).status == "completed"
