"""The corrective action process (guideline 10.2 a-d, 10.3) driven end to end through the services."""
from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import InvalidFormData, NotPermitted
from engine.read import queries
from engine.services import tasks, timers
from tests.factories import (
    EVIDENCE,
    FORM_DATA,
    analyse_data,
    complete,
    days_ahead,
    end_of_day,
    instance,
    open_task,
    open_task_names,
    start_corrective_action,
)


def test_happy_path_reaches_closure_with_each_step_by_its_role(db):
    nc = start_corrective_action(db)
    assert open_task_names(db, nc) == ["evaluate_consequences"]
    complete(db, nc, "evaluate_consequences", "body")
    complete(db, nc, "analyse_cause", "head_prod", analyse_data())
    complete(db, nc, "implement_correction", "staff_prod")
    complete(db, nc, "review_effectiveness", "body", {"effective": True, "review_comment": "Data now OK."})
    complete(db, nc, "close_nonconformity", "body2")

    done = instance(db, nc)
    assert done.status == "completed"
    assert done.ended_at is not None
    assert done.data["review_rounds"] == 1
    assert open_task_names(db, nc) == []


def test_failed_effectiveness_review_loops_back_to_cause_analysis(db):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    complete(db, nc, "analyse_cause", "head_prod", analyse_data())
    complete(db, nc, "implement_correction", "staff_prod")
    complete(db, nc, "review_effectiveness", "body", {"effective": False, "review_comment": "Still drifting."})

    assert open_task_names(db, nc) == ["analyse_cause"]
    complete(db, nc, "analyse_cause", "head_prod", analyse_data(owner="staff_energy"))
    second = open_task(db, nc, "implement_correction")
    assert second.assignee == "staff_energy"
    complete(db, nc, "implement_correction", "staff_energy")
    complete(db, nc, "review_effectiveness", "body2", {"effective": True, "review_comment": "Fixed."})
    complete(db, nc, "close_nonconformity", "body")

    assert instance(db, nc).status == "completed"
    assert instance(db, nc).data["review_rounds"] == 2


def test_cause_analysis_goes_to_the_head_of_the_department_where_it_was_found(db):
    nc = start_corrective_action(db, department="energy")
    complete(db, nc, "evaluate_consequences", "body")
    task = open_task(db, nc, "analyse_cause")
    assert (task.role, task.candidate_department) == ("department_head", "energy")
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=task.id, actor="head_prod", data=analyse_data())
    complete(db, nc, "analyse_cause", "head_energy", analyse_data())


def test_correction_is_assigned_to_the_owner_named_in_the_plan(db):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    complete(db, nc, "analyse_cause", "head_prod", analyse_data(owner="staff_energy"))
    task = open_task(db, nc, "implement_correction")
    assert task.assignee == "staff_energy"
    assert task.due_at is not None and task.due_at.year == 2099
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=task.id, actor="staff_prod", data={})


def test_the_person_who_corrected_may_not_review_effectiveness(db):
    # body both owns the correction and sits in the carbon management body.
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    complete(db, nc, "analyse_cause", "head_prod", analyse_data(owner="body"))
    complete(db, nc, "implement_correction", "body")
    review = open_task(db, nc, "review_effectiveness")
    assert review.excluded_users == ["body"]
    with db.transaction() as session, pytest.raises(NotPermitted, match="segregation of duties"):
        tasks.complete(session, task_id=review.id, actor="body",
                       data={"effective": True, "review_comment": "Self-review"})
    with db.reading() as session:
        from engine.people import get_actor
        assert review.id not in [t.id for t in queries.tasks_for_user(session, get_actor(session, "body"))]
    complete(db, nc, "review_effectiveness", "body2", {"effective": True, "review_comment": "OK"})


def test_overdue_correction_goes_to_the_owners_head_who_sets_a_new_date(db):
    nc = start_corrective_action(db)  # found in production ...
    complete(db, nc, "evaluate_consequences", "body")
    due = days_ahead(10)
    complete(db, nc, "analyse_cause", "head_prod", analyse_data(owner="staff_energy", correction_due=due))
    # Overdue from the end of the due day at the plant (Shanghai), kept in UTC.
    assert instance(db, nc).next_timer_at == end_of_day(due)

    assert timers.fire_due_timers(db, end_of_day(due) - timedelta(hours=4)) == []
    fired = timers.fire_due_timers(db, end_of_day(due) + timedelta(hours=9))

    assert [(f.instance_id, f.timer) for f in fired] == [(nc, "correction_overdue")]
    assert open_task_names(db, nc) == ["follow_up_overdue"]
    follow_up = open_task(db, nc, "follow_up_overdue")
    # ... but the owner works in energy: the energy head follows it up, urgently.
    assert (follow_up.role, follow_up.candidate_department, follow_up.priority) == ("department_head", "energy", 1)
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=follow_up.id, actor="head_prod", data=FORM_DATA["follow_up_overdue"])
    new_due = days_ahead(20)
    complete(db, nc, "follow_up_overdue", "head_energy",
             {"follow_up_note": "Lab booked.", "owner": "staff_energy", "correction_due": new_due})

    again = open_task(db, nc, "implement_correction")
    assert (again.assignee, again.due_at) == ("staff_energy", end_of_day(new_due))
    assert instance(db, nc).next_timer_at == end_of_day(new_due)


def test_overdue_again_goes_to_the_carbon_body_whose_decision_takes_effect(db):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    complete(db, nc, "analyse_cause", "head_prod", analyse_data(correction_due=days_ahead(5)))
    timers.fire_due_timers(db, end_of_day(days_ahead(5)) + timedelta(minutes=1))
    complete(db, nc, "follow_up_overdue", "head_prod",
             {"follow_up_note": "Reminded.", "owner": "staff_prod", "correction_due": days_ahead(10)})
    timers.fire_due_timers(db, end_of_day(days_ahead(10)) + timedelta(minutes=1))

    assert open_task_names(db, nc) == ["escalate_to_body"]
    escalation = open_task(db, nc, "escalate_to_body")
    assert (escalation.role, escalation.candidate_department, escalation.priority) == ("carbon_body", None, 1)
    decision = {"decision": "reassign", "measures": "Energy team takes over.", "owner": "staff_energy",
                "correction_due": days_ahead(30)}
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=escalation.id, actor="head_prod", data=decision)
    complete(db, nc, "escalate_to_body", "body", decision)
    reassigned = open_task(db, nc, "implement_correction")
    assert (reassigned.assignee, reassigned.due_at) == ("staff_energy", end_of_day(days_ahead(30)))

    # Overdue a third time: the body may require the cause to be analysed again.
    timers.fire_due_timers(db, end_of_day(days_ahead(30)) + timedelta(minutes=1))
    complete(db, nc, "escalate_to_body", "body2", {**decision, "decision": "replan", "measures": "Wrong cause."})
    assert open_task_names(db, nc) == ["analyse_cause"]
    complete(db, nc, "analyse_cause", "head_prod", analyse_data())
    complete(db, nc, "implement_correction", "staff_prod")
    complete(db, nc, "review_effectiveness", "body", {"effective": True, "review_comment": "OK"})
    complete(db, nc, "close_nonconformity", "body")
    assert instance(db, nc).status == "completed"
    assert instance(db, nc).data["overdue_rounds"] == 3


def test_closing_needs_evidence_attached(db):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    complete(db, nc, "analyse_cause", "head_prod", analyse_data())
    complete(db, nc, "implement_correction", "staff_prod")
    complete(db, nc, "review_effectiveness", "body", {"effective": True, "review_comment": "OK"})
    with pytest.raises(InvalidFormData, match="requires evidence"):
        complete(db, nc, "close_nonconformity", "body", files=[])
    assert open_task_names(db, nc) == ["close_nonconformity"]
    complete(db, nc, "close_nonconformity", "body", files=[EVIDENCE])
    with db.reading() as session:
        assert [e.file_name for e in queries.evidence_of(session, instance_id=nc)] == [EVIDENCE.file_name]


def test_the_cause_cannot_be_analysed_without_checking_for_similar_nonconformities(db):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    with pytest.raises(InvalidFormData, match="similar_checked"):
        complete(db, nc, "analyse_cause", "head_prod", analyse_data(similar_checked=False))


def test_anyone_may_raise_but_only_the_carbon_body_evaluates_and_closes(db):
    nc = start_corrective_action(db, actor="auditor")
    task = open_task(db, nc, "evaluate_consequences")
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=task.id, actor="staff_prod", data=FORM_DATA["evaluate_consequences"])
    complete(db, nc, "evaluate_consequences", "body")
    complete(db, nc, "analyse_cause", "head_prod", analyse_data())
    complete(db, nc, "implement_correction", "staff_prod")
    complete(db, nc, "review_effectiveness", "body", {"effective": True, "review_comment": "OK"})
    close = open_task(db, nc, "close_nonconformity")
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=close.id, actor="head_prod", data=FORM_DATA["close_nonconformity"],
                       evidence_files=[EVIDENCE])
