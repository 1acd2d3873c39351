"""The corrective action process (guideline 10.2 a-d, 10.3) driven end to end through the services."""
from __future__ import annotations

from datetime import timedelta

import pytest

from engine import queries
from engine.errors import NotPermitted
from engine.services import tasks, timers
from tests.factories import (
    analyse_data, complete, days_ahead, end_of_day, instance, open_task, open_task_names, start_corrective_action,
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
        from engine.services.users import get_actor
        assert review.id not in [t.id for t in queries.tasks_for_user(session, get_actor(session, "body"))]
    complete(db, nc, "review_effectiveness", "body2", {"effective": True, "review_comment": "OK"})


def test_overdue_correction_escalates_to_department_head_then_carbon_body_and_stays_open(db):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    due = days_ahead(10)
    complete(db, nc, "analyse_cause", "head_prod", analyse_data(correction_due=due))
    # Overdue from the end of the due day at the plant (Shanghai), kept in UTC.
    assert instance(db, nc).next_timer_at == end_of_day(due)

    assert timers.fire_due_timers(db, end_of_day(due) - timedelta(hours=4)) == []
    fired = timers.fire_due_timers(db, end_of_day(due) + timedelta(hours=9))

    assert [(f.instance_id, f.timer) for f in fired] == [(nc, "correction_overdue")]
    assert open_task_names(db, nc) == ["follow_up_overdue", "implement_correction"]
    follow_up = open_task(db, nc, "follow_up_overdue")
    assert (follow_up.role, follow_up.candidate_department, follow_up.priority) == ("department_head", "production", 1)
    # Still not done two weeks later: the carbon management body is next.
    assert instance(db, nc).next_timer_at == end_of_day(days_ahead(24))
    complete(db, nc, "follow_up_overdue", "head_prod")
    fired = timers.fire_due_timers(db, end_of_day(days_ahead(24)) + timedelta(minutes=1))
    assert [f.timer for f in fired] == ["correction_long_overdue"]
    escalation = open_task(db, nc, "escalate_to_body")
    assert (escalation.role, escalation.candidate_department, escalation.priority) == ("carbon_body", None, 1)
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=escalation.id, actor="head_prod",
                       data={"decision": "new_date", "measures": "x", "new_expected_date": None})
    complete(db, nc, "escalate_to_body", "body", {"decision": "support_owner", "measures": "Extra fitter assigned.",
                                                  "new_expected_date": days_ahead(30)})
    assert instance(db, nc).next_timer_at is None
    # The escalations do not stop the correction: the process still runs to closure.
    complete(db, nc, "implement_correction", "staff_prod")
    complete(db, nc, "review_effectiveness", "body", {"effective": True, "review_comment": "OK"})
    complete(db, nc, "close_nonconformity", "body")
    assert instance(db, nc).status == "completed"
