"""Claim, unclaim, delegate and complete: permissions, conflicts, validation, snapshots."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.errors import Conflict, InvalidFormData, NotFound, NotPermitted
from engine.models import AuditEvent, HumanTask
from engine.people import get_actor
from engine.read import queries
from engine.services import tasks
from tests.factories import (
    PASSWORD,
    analyse_data,
    complete,
    instance,
    open_task,
    start_corrective_action,
    walk_to_approval,
)
from tests.formdata import sample_form


def _first_task(db):
    nc = start_corrective_action(db)
    return nc, open_task(db, nc, "evaluate_consequences")


def _counts(db):
    with db.reading() as session:
        return (session.scalar(select(func.count()).select_from(AuditEvent)),
                session.scalar(select(func.count()).select_from(HumanTask)),
                instance(db, 1).version)


def test_task_is_offered_to_its_lane_role_and_appears_in_their_inbox(db):
    _, task = _first_task(db)
    assert (task.role, task.assignee, task.form_key) == ("carbon_body", None, "corrective_action.evaluate_consequences")
    assert task.due_at is not None  # dueIn P7D
    with db.reading() as session:
        body_inbox = queries.tasks_for_user(session, get_actor(session, "body"), scope="candidate")
        staff_inbox = queries.tasks_for_user(session, get_actor(session, "staff_prod"))
    assert [t.id for t in body_inbox] == [task.id]
    assert staff_inbox == []


def test_claim_moves_the_task_to_my_inbox(db):
    _, task = _first_task(db)
    with db.transaction() as session:
        tasks.claim(session, task_id=task.id, actor="body")
    with db.reading() as session:
        mine = queries.tasks_for_user(session, get_actor(session, "body"), scope="mine")
        offered_to_body2 = queries.tasks_for_user(session, get_actor(session, "body2"), scope="candidate")
    assert [t.id for t in mine] == [task.id]
    assert offered_to_body2 == []


def test_member_of_another_role_may_not_claim(db):
    _, task = _first_task(db)
    with db.transaction() as session, pytest.raises(NotPermitted, match="offered to role carbon_body"):
        tasks.claim(session, task_id=task.id, actor="staff_prod")


def test_second_claim_of_same_task_gets_conflict(db):
    _, task = _first_task(db)
    with db.transaction() as session:
        tasks.claim(session, task_id=task.id, actor="body")
    with db.transaction() as session, pytest.raises(Conflict, match="already claimed by body"):
        tasks.claim(session, task_id=task.id, actor="body2")


def test_other_candidate_cannot_complete_a_task_claimed_by_someone_else(db):
    _, task = _first_task(db)
    with db.transaction() as session:
        tasks.claim(session, task_id=task.id, actor="body")
    with db.transaction() as session, pytest.raises(Conflict, match="claimed by body"):
        tasks.complete(session, task_id=task.id, actor="body2", data={})


def test_unclaim_returns_the_task_to_the_role(db):
    _, task = _first_task(db)
    with db.transaction() as session:
        tasks.claim(session, task_id=task.id, actor="body")
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.unclaim(session, task_id=task.id, actor="body2")
    with db.transaction() as session:
        assert tasks.unclaim(session, task_id=task.id, actor="body").assignee is None
    with db.transaction() as session, pytest.raises(Conflict, match="not claimed"):
        tasks.unclaim(session, task_id=task.id, actor="body")


def test_delegate_hands_the_task_to_another_user_who_may_then_complete_it(db):
    nc, task = _first_task(db)
    with db.transaction() as session:
        tasks.delegate(session, task_id=task.id, actor="body", to_user="gm")
    with db.transaction() as session, pytest.raises(Conflict):
        tasks.complete(session, task_id=task.id, actor="body",
                       data={"consequences": "c", "immediate_handling": "h"})
    complete(db, nc, "evaluate_consequences", "gm")
    with db.reading() as session:
        events = [e.action for e in queries.audit_events(session, instance_id=nc)]
    assert events[:3] == ["start", "delegate", "complete"]


def test_delegate_only_to_someone_who_could_take_the_task_unless_admin(db):
    nc, task = _first_task(db)
    with db.transaction() as session, pytest.raises(NotPermitted, match="needs role carbon_body"):
        tasks.delegate(session, task_id=task.id, actor="body", to_user="auditor")
    with db.transaction() as session, pytest.raises(InvalidFormData, match="outside the task's role"):
        tasks.delegate(session, task_id=task.id, actor="admin", to_user="auditor")  # no reason given
    with db.transaction() as session:
        assert tasks.delegate(session, task_id=task.id, actor="admin", to_user="auditor",
                              reason="The body is away; the audit lead stands in").assignee == "auditor"
    with db.reading() as session:
        event = [e for e in queries.audit_events(session, instance_id=nc) if e.action == "delegate"][-1]
    assert event.data == {"from": None, "to": "auditor", "outside_role": True, "role": "carbon_body",
                          "reason": "The body is away; the audit lead stands in"}
    complete(db, nc, "evaluate_consequences", "auditor")


def test_delegate_to_unknown_user_is_not_found(db):
    _, task = _first_task(db)
    with db.transaction() as session, pytest.raises(NotFound, match="unknown user: 'nobody'"):
        tasks.delegate(session, task_id=task.id, actor="body", to_user="nobody")


def test_invalid_data_names_every_field_and_changes_nothing(db):
    nc, task = _first_task(db)
    complete(db, nc, "evaluate_consequences", "body")
    analyse = open_task(db, nc, "analyse_cause")
    before = _counts(db)
    bad = {"root_cause": "", "similar_checked": "perhaps", "owner": "nobody",
           "correction_due": "next week", "colour": "red"}
    with db.transaction() as session, pytest.raises(InvalidFormData) as caught:
        tasks.complete(session, task_id=analyse.id, actor="head_prod", data=bad)
    assert set(caught.value.errors) == {"root_cause", "similar_checked", "owner", "correction_due",
                                        "colour", "preventive_measures", "corrective_plan", "severity"}
    assert "'nobody' cannot be chosen" in caught.value.errors["owner"][0]
    assert _counts(db) == before
    assert open_task(db, nc, "analyse_cause").status == "ready"


def test_completing_a_completed_task_is_a_conflict(db):
    nc, task = _first_task(db)
    complete(db, nc, "evaluate_consequences", "body")
    with db.transaction() as session, pytest.raises(Conflict, match="already completed"):
        tasks.complete(session, task_id=task.id, actor="body", data={})


def test_unknown_task_is_not_found(db):
    with db.transaction() as session, pytest.raises(NotFound, match="no task 999"):
        tasks.claim(session, task_id=999, actor="body")


def test_submitted_data_is_a_snapshot_that_later_steps_cannot_change(db):
    nc, _ = _first_task(db)
    complete(db, nc, "evaluate_consequences", "body")
    done = complete(db, nc, "analyse_cause", "head_prod", analyse_data(root_cause="first cause"))
    complete(db, nc, "implement_correction", "staff_prod")
    complete(db, nc, "review_effectiveness", "body", {"effective": False, "review_comment": "no"})
    complete(db, nc, "analyse_cause", "head_prod", analyse_data(root_cause="second cause"))
    with db.reading() as session:
        first = session.get(HumanTask, done.id)
        events = [e for e in queries.audit_events(session, instance_id=nc)
                  if e.action == "complete" and e.task_id == done.id]
    assert first.submitted_data["root_cause"] == "first cause"
    assert events[0].data["data"]["root_cause"] == "first cause"
    assert instance(db, nc).data["root_cause"] == "second cause"


def test_overdue_query_lists_tasks_past_due(db):
    from datetime import timedelta
    _, task = _first_task(db)
    with db.reading() as session:
        body = get_actor(session, "body")
        assert queries.tasks_for_user(session, body, overdue=True) == []
        later = task.due_at + timedelta(minutes=1)
        assert [t.id for t in queries.tasks_for_user(session, body, overdue=True, now=later)] == [task.id]
        assert [t.id for t in queries.overdue_tasks(session, now=later)] == [task.id]


def test_inbox_pages_skip_tasks_the_user_is_excluded_from(db):
    # body carried out three corrections, so three reviews are hidden from them; body2's is not.
    for key in ("NC-a", "NC-b", "NC-c", "NC-d"):
        nc = start_corrective_action(db, business_key=key)
        complete(db, nc, "evaluate_consequences", "body")
        owner = "body2" if key == "NC-d" else "body"
        complete(db, nc, "analyse_cause", "head_prod", analyse_data(owner=owner))
        complete(db, nc, "implement_correction", owner)
    with db.reading() as session:
        body = get_actor(session, "body")
        page = queries.tasks_for_user(session, body, scope="candidate", limit=1)
        everything = queries.tasks_for_user(session, body, scope="candidate")
    assert [t.name for t in page] == ["review_effectiveness"]
    assert [t.name for t in everything] == ["review_effectiveness"]
    assert "body" not in everything[0].excluded_users


def _decision(task):
    return {**sample_form(task.form_key), "approved": True}


def test_a_decision_to_sign_cannot_be_completed_without_the_signature(db):
    task = walk_to_approval(db)
    before = _counts(db)
    with db.transaction() as session, pytest.raises(NotPermitted, match=rf"task {task.id} .*signature.*password"):
        tasks.complete(session, task_id=task.id, actor="gm", data=_decision(task))
    assert _counts(db) == before
    assert open_task(db, task.instance_id, task.name).id == task.id


def test_someone_who_may_not_decide_is_told_so_before_the_signature(db):
    task = walk_to_approval(db)
    with db.transaction() as session, pytest.raises(NotPermitted, match="offered to role top_management"):
        tasks.complete(session, task_id=task.id, actor="body2", data=_decision(task))


def test_a_wrong_password_signs_nothing_and_the_right_one_completes_with_its_meaning(db):
    task = walk_to_approval(db)
    before = _counts(db)
    with db.transaction() as session, pytest.raises(NotPermitted, match="password does not match"):
        tasks.complete_signed(session, task_id=task.id, actor="gm", data=_decision(task), password="wrong")
    events, task_rows, version = _counts(db)
    assert (events, task_rows, version) == (before[0] + 1, *before[1:])  # only the refusal, on the instance's trail
    with db.reading() as session:
        refusal = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (refusal.action, refusal.actor, refusal.instance_id, refusal.task_id) == (
        "signature_refused", "gm", task.instance_id, task.id)
    with db.transaction() as session:
        tasks.complete_signed(session, task_id=task.id, actor="gm", data=_decision(task), password=PASSWORD)
    with db.reading() as session:
        signature = session.scalar(select(AuditEvent).where(AuditEvent.action == "signature"))
        assert (signature.actor, signature.task_id, signature.data["meaning"]) == ("gm", task.id, "approved")
        assert session.get(HumanTask, task.id).status == "completed"


def test_saving_a_draft_again_records_what_changed(db):
    nc, task = _first_task(db)
    for typed in ({"consequences": "Half written"}, {"consequences": "Q3 data uncertain", "immediate_handling": "Flag"}):
        with db.transaction() as session:
            tasks.save_draft(session, task_id=task.id, actor="body", data=typed)
    with db.reading() as session:
        saved = [e for e in queries.audit_events(session, instance_id=nc) if e.action == "draft_saved"]
    assert saved[0].data["changes"] == {"consequences": {"from": None, "to": "Half written"}}
    assert saved[1].data["changes"] == {"consequences": {"from": "Half written", "to": "Q3 data uncertain"},
                                        "immediate_handling": {"from": None, "to": "Flag"}}
