"""Electronic signatures: the BPMN declares which tasks need one and what it means; deploy checks it."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from engine.errors import InvalidProcess, NotPermitted
from engine.models import AuditEvent, HumanTask, ProcessDefinition
from engine.read import records
from engine.services import instances, tasks
from tests.factories import PASSWORD, bpmn, deploy, flows, open_task, user_task, walk_to_approval
from tests.formdata import sample_form

DECISION_FORM = "policy_approval.approve"  # a top-management approval form: approval_decision and a tick


def _process(task: str, role: str = "top_management") -> bytes:
    return bpmn("signing", '<bpmn:startEvent id="start" />' + task + '<bpmn:endEvent id="end" />'
                + flows(("start", "decide"), ("decide", "end")), lanes={role: ["start", "decide", "end"]})


def _stored(db):
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(ProcessDefinition))


def _open_decision(db, task: str, role: str = "top_management") -> HumanTask:
    deploy(db, _process(task, role))
    with db.transaction() as session:
        instance_id = instances.start(session, process_id="signing", actor="gm").id
    return open_task(db, instance_id, "decide")


@pytest.mark.parametrize("props, message", [
    ({"signature": "maybe"}, "user task 'decide': property signature must be 'required' .*not 'maybe'"),
    ({"signature": ""}, "user task 'decide': property signature must be 'required'"),
    ({"signatureMeaning": "approval"},
     "user task 'decide': property signatureMeaning is given without signature=\"required\""),
    ({"signature": "required", "signatureMeaning": "x" * 81},
     "user task 'decide': property signatureMeaning must be a short phrase of 1 to 80 characters"),
    ({"signature": "required", "signatureMeaning": "  "},
     "user task 'decide': property signatureMeaning must be a short phrase"),
])
def test_deploy_refuses_a_bad_signature_declaration_naming_the_element(db, props, message):
    before = _stored(db)
    with pytest.raises(InvalidProcess, match=message) as caught:
        deploy(db, _process(user_task("decide", DECISION_FORM, **props)), "bad.bpmn")
    assert str(caught.value).startswith("bad.bpmn:")
    assert _stored(db) == before


def test_a_declared_signature_is_stored_on_the_task_with_its_meaning(db):
    task = _open_decision(db, user_task("decide", DECISION_FORM, signature="required",
                                        signatureMeaning="responsibility"))
    assert task.requires_signature and task.signature == "responsibility"


def test_the_shipped_approvals_sign_for_approval_by_default(db):
    task = walk_to_approval(db)
    assert (task.requires_signature, task.signature) == (True, "approval")


def test_a_task_without_the_property_needs_no_signature_even_on_a_top_management_approval_form(db):
    task = _open_decision(db, user_task("decide", DECISION_FORM))
    assert (task.role, task.requires_signature, task.signature) == ("top_management", False, None)
    with db.transaction() as session:
        done = tasks.complete(session, task_id=task.id, actor="gm", data=sample_form(DECISION_FORM))
        assert records.task_record(session, done, with_form=False)["requires_signature"] is False
    with db.reading() as session:
        assert session.get(HumanTask, task.id).status == "completed"
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "signature")) is None


def test_a_task_declaring_the_signature_needs_it_whatever_its_lane_and_form(db):
    task = _open_decision(db, user_task("decide", signature="required"), role="carbon_body")
    with db.transaction() as session, pytest.raises(NotPermitted, match=rf"task {task.id} .*signature.*password"):
        tasks.complete(session, task_id=task.id, actor="body", data={"follow_up_note": "Seen"})
    with db.transaction() as session:
        tasks.complete_signed(session, task_id=task.id, actor="gm", data={"follow_up_note": "Seen"},
                              password=PASSWORD)


def test_the_signature_event_records_what_the_signature_means(db):
    task = _open_decision(db, user_task("decide", DECISION_FORM, signature="required", signatureMeaning="review"))
    with db.transaction() as session:
        tasks.complete_signed(session, task_id=task.id, actor="gm", data=sample_form(DECISION_FORM),
                              password=PASSWORD)
    with db.reading() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "signature"))
    assert {"meaning", "task", "title", "statement"} <= set(event.data)
    assert (event.actor, event.task_id, event.data["signs_for"]) == ("gm", task.id, "review")


def test_a_version_deployed_before_declared_signatures_keeps_the_rule_of_its_time(db):
    # Migration 0006 leaves every version deployed before it with declares_signatures false: an instance
    # still running on one must not reach top management's decision unsigned after the upgrade.
    deploy(db, _process(user_task("decide", DECISION_FORM)))
    with db.transaction() as session:
        session.execute(update(ProcessDefinition).where(ProcessDefinition.process_id == "signing")
                        .values(declares_signatures=False))
        instance_id = instances.start(session, process_id="signing", actor="gm").id
    task = open_task(db, instance_id, "decide")
    assert (task.requires_signature, task.signature) == (True, "approval")
    with db.transaction() as session, pytest.raises(NotPermitted, match=rf"task {task.id} .*signature.*password"):
        tasks.complete(session, task_id=task.id, actor="gm", data=sample_form(DECISION_FORM))


def test_the_old_rule_signs_nothing_else_on_an_older_version(db):
    deploy(db, _process(user_task("decide", "corrective_action.evaluate_consequences")))
    with db.transaction() as session:
        session.execute(update(ProcessDefinition).where(ProcessDefinition.process_id == "signing")
                        .values(declares_signatures=False))
        instance_id = instances.start(session, process_id="signing", actor="gm").id
    assert open_task(db, instance_id, "decide").requires_signature is False


def test_a_decision_handed_to_someone_outside_its_role_cannot_be_signed_by_them(db):
    task = _open_decision(db, user_task("decide", DECISION_FORM, signature="required"))
    with db.transaction() as session:
        tasks.delegate(session, task_id=task.id, actor="admin", to_user="admin", reason="Trying to sign it myself")
    with db.transaction() as session, pytest.raises(NotPermitted, match="holder of role top_management"):
        tasks.complete_signed(session, task_id=task.id, actor="admin", data=sample_form(DECISION_FORM),
                              password=PASSWORD)
    with db.reading() as session:
        assert session.get(HumanTask, task.id).status == "ready"
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "signature")) is None


def test_the_signature_is_linked_to_the_record_it_signs_by_its_hash(db):
    from engine.services.tasks import signed_record_hash

    task = _open_decision(db, user_task("decide", DECISION_FORM, signature="required"))
    with db.transaction() as session:
        tasks.complete_signed(session, task_id=task.id, actor="gm", data=sample_form(DECISION_FORM),
                              password=PASSWORD)
    with db.reading() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "signature"))
        done = session.get(HumanTask, task.id)
        assert event.data["record_sha256"] == signed_record_hash(session, done)
        done.submitted_data = {**done.submitted_data, "comment": "altered afterwards"}
        assert signed_record_hash(session, done) != event.data["record_sha256"]  # a changed record no longer matches
        session.rollback()
