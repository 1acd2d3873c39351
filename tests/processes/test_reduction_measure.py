"""The reduction-measure process (guideline 8.4.1 a-e, 8.4.2, 6.4.4 a-f) driven through the services."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.errors import InvalidFormData, NotPermitted
from engine.read import queries
from engine.services import instances, tasks, timers
from tests.factories import complete, days_ahead, end_of_day, instance, open_task, open_task_names


def identify_data(**overrides: Any) -> dict[str, Any]:
    """Waste-heat recovery on kiln 2, proposed from the current-state survey."""
    return {"title": "Kiln 2 waste-heat recovery", "description": "Recover exhaust heat to preheat raw meal.",
            "direction": "efficient_equipment", "level": "equipment", "scope": "Kiln 2 exhaust line",
            "department": "production", "current_emissions": "52000", "basis": "2026 survey report, 6.1.5c",
            "identified_on": days_ahead(0), **overrides}


def prioritise_data(**overrides: Any) -> dict[str, Any]:
    return {"expected_reduction": "500", "investment": "1000000", "service_life_years": 10,
            "annual_operating_cost": "20000", "annual_savings": "150000",
            "technical_feasibility": "Proven at sister plant.", "priority": "high",
            "priority_rationale": "Pays back in under 8 years.", **overrides}


def decide_data(decision: str = "approve", **overrides: Any) -> dict[str, Any]:
    return {"decision": decision, "confirmed_priority": "high",
            "budget_approved": "1000000" if decision == "approve" else "0",
            "decision_reason": "Top of the 2027 list." if decision == "approve" else "Kiln 2 closes in 2028.",
            **overrides}


def plan_data(**overrides: Any) -> dict[str, Any]:
    due = overrides.pop("measure_due", "2099-06-30")
    return {"measure_type": "technical_improvement", "measures": "Install a heat exchanger.",
            "path_and_method": "Design, tender, install in the spring shutdown.",
            "resources_people": "2 engineers, contractor", "resources_equipment": "Heat exchanger, ducts",
            "resources_funding": "1000000", "responsibilities": "Production leads; energy measures.",
            "milestones": [{"name": "Installed", "due": due, "deliverable": "Acceptance record"}],
            "verification_method": "metered_comparison",
            "verification_detail": "Gas per tonne of clinker, 3 months before and after.",
            "owner": "staff_prod", "measure_due": due, **overrides}


IMPLEMENT_DATA = {"actions_taken": "Heat exchanger installed and commissioned.",
                  "milestone_progress": [{"name": "Installed", "status": "done", "completed_on": "2026-04-20",
                                          "note": ""}],
                  "completed_on": "2026-04-20", "actual_cost": "960000",
                  "evidence": "Acceptance record AR-77."}


def verify_data(effective: bool = True, **overrides: Any) -> dict[str, Any]:
    return {"period_start": "2026-05-01", "period_end": "2026-07-31",
            "measured_reduction": "520" if effective else "180", "data_sources": "Gas meter G-2, DCS",
            "effective": effective,
            "verification_comment": "Reached." if effective else "Bypass damper leaks.",
            "not_reached_action": "rework", "rework_due": None, "abandon_reason": "", **overrides}


KEEP_DATA = {"records_reference": "RM-2027-004", "records_complete": True, "baseline_review_needed": False,
             "baseline_trigger": None, "baseline_change_description": "", "lessons_learned": ""}


def start_measure(db, actor: str = "staff_prod", **overrides: Any) -> int:
    with db.transaction() as session:
        return instances.start(session, process_id="reduction_measure", actor=actor, business_key="RM-1",
                               data=identify_data(**overrides)).id


def approved_measure(db, **plan_overrides: Any) -> int:
    """A measure prioritised, approved and planned: waiting for its owner to carry it out."""
    rm = start_measure(db)
    complete(db, rm, "prioritise", "staff_energy", prioritise_data())
    complete(db, rm, "decide", "gm", decide_data())
    complete(db, rm, "plan", "head_prod", plan_data(**plan_overrides))
    return rm


def test_measure_runs_from_identification_to_kept_records(db):
    rm = start_measure(db)
    assert open_task_names(db, rm) == ["prioritise"]
    complete(db, rm, "prioritise", "staff_energy", prioritise_data())
    data = instance(db, rm).data
    # (1,000,000 / 10 + 20,000 - 150,000) / 500 t: the measure saves 60 yuan per tonne avoided.
    assert (data["abatement_cost"], data["payback_years"]) == ("-60.00", "7.7")
    complete(db, rm, "decide", "gm", decide_data())
    complete(db, rm, "plan", "head_prod", plan_data())
    complete(db, rm, "implement", "staff_prod", IMPLEMENT_DATA)
    complete(db, rm, "verify", "body", verify_data())
    complete(db, rm, "keep_records", "body2", KEEP_DATA)

    done = instance(db, rm)
    assert done.status == "completed"
    assert (done.data["outcome"], done.data["verification_rounds"], done.data["achievement_ratio"]) == (
        "implemented", 1, "1.04")
    assert open_task_names(db, rm) == []


def test_rejected_measure_ends_with_the_decision_recorded(db):
    rm = start_measure(db)
    complete(db, rm, "prioritise", "staff_energy", prioritise_data(priority="low"))
    complete(db, rm, "decide", "body", decide_data("reject", confirmed_priority="low"))

    done = instance(db, rm)
    assert done.status == "completed"
    assert (done.data["outcome"], done.data["decision"], done.data["decision_reason"]) == (
        "rejected", "reject", "Kiln 2 closes in 2028.")
    assert open_task_names(db, rm) == []


def test_plan_goes_to_the_head_of_the_responsible_department(db):
    rm = start_measure(db, department="energy")
    complete(db, rm, "prioritise", "staff_energy", prioritise_data())
    complete(db, rm, "decide", "gm", decide_data())
    task = open_task(db, rm, "plan")
    assert (task.role, task.candidate_department) == ("department_head", "energy")
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=task.id, actor="head_prod", data=plan_data())
    complete(db, rm, "plan", "head_energy", plan_data(owner="staff_energy"))
    assert open_task(db, rm, "implement").assignee == "staff_energy"


def test_measure_is_carried_out_by_its_owner_by_the_planned_date(db):
    rm = approved_measure(db, owner="staff_energy")
    task = open_task(db, rm, "implement")
    assert task.assignee == "staff_energy"
    assert task.due_at == end_of_day("2099-06-30")
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=task.id, actor="staff_prod", data=IMPLEMENT_DATA)


def test_result_short_of_expectation_goes_back_to_the_owner_with_a_rework_date(db):
    rm = approved_measure(db)
    complete(db, rm, "implement", "staff_prod", IMPLEMENT_DATA)
    rework = days_ahead(60)
    complete(db, rm, "verify", "body", verify_data(False, rework_due=rework))

    again = open_task(db, rm, "implement")
    assert again.assignee == "staff_prod"
    assert again.due_at == end_of_day(rework)
    assert instance(db, rm).data["achievement_ratio"] == "0.36"
    complete(db, rm, "implement", "staff_prod", {**IMPLEMENT_DATA, "actions_taken": "Damper resealed."})
    complete(db, rm, "verify", "body2", verify_data())
    complete(db, rm, "keep_records", "body", KEEP_DATA)

    done = instance(db, rm)
    assert done.status == "completed"
    assert (done.data["verification_rounds"], done.data["measure_due"]) == (2, rework)


def test_the_owner_may_not_verify_their_own_measure(db):
    # body both owns the measure and sits in the carbon management body.
    rm = approved_measure(db, owner="body")
    complete(db, rm, "implement", "body", IMPLEMENT_DATA)
    check = open_task(db, rm, "verify")
    assert check.excluded_users == ["body"]
    with db.transaction() as session, pytest.raises(NotPermitted, match="segregation of duties"):
        tasks.complete(session, task_id=check.id, actor="body", data=verify_data())
    complete(db, rm, "verify", "body2", verify_data())
    assert open_task_names(db, rm) == ["keep_records"]


def test_overdue_measure_escalates_to_the_head_of_the_owners_own_department_and_stays_open(db):
    due = days_ahead(20)
    rm = approved_measure(db, owner="staff_energy", measure_due=due)  # planned by production's head
    assert instance(db, rm).next_timer_at == end_of_day(due)

    assert timers.fire_due_timers(db, end_of_day(due) - timedelta(hours=1)) == []
    fired = timers.fire_due_timers(db, end_of_day(due) + timedelta(hours=8))

    assert [(f.instance_id, f.timer) for f in fired] == [(rm, "measure_overdue")]
    assert open_task_names(db, rm) == ["follow_up_overdue", "implement"]
    follow_up = open_task(db, rm, "follow_up_overdue")
    assert (follow_up.role, follow_up.candidate_department, follow_up.priority) == (
        "department_head", "energy", 1)
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=follow_up.id, actor="head_prod",
                       data={"follow_up_note": "x", "cause_of_delay": "y", "new_expected_date": None})
    complete(db, rm, "follow_up_overdue", "head_energy",
             {"follow_up_note": "Contractor late; chased.", "cause_of_delay": "Parts delivery.",
              "new_expected_date": days_ahead(30)})
    # The escalation does not stop the measure: it is still carried out, verified and recorded.
    complete(db, rm, "implement", "staff_energy", IMPLEMENT_DATA)
    complete(db, rm, "verify", "body", verify_data())
    complete(db, rm, "keep_records", "body", KEEP_DATA)
    assert instance(db, rm).status == "completed"


@pytest.mark.parametrize("actor", ["auditor", "docs", "admin"])
def test_measures_are_proposed_by_the_carbon_body_carbon_staff_or_department_heads(db, actor):
    with db.transaction() as session, pytest.raises(NotPermitted):
        instances.start(session, process_id="reduction_measure", actor=actor, data=identify_data())
    assert open_task_names(db, start_measure(db, actor="head_quality")) == ["prioritise"]


def test_only_the_carbon_body_decides_on_a_measure(db):
    rm = start_measure(db)
    complete(db, rm, "prioritise", "staff_energy", prioritise_data())
    task = open_task(db, rm, "decide")
    for actor in ("staff_prod", "head_prod"):
        with db.transaction() as session, pytest.raises(NotPermitted):
            tasks.complete(session, task_id=task.id, actor=actor, data=decide_data())


def test_milestones_may_not_fall_after_the_due_date(db):
    rm = start_measure(db)
    complete(db, rm, "prioritise", "staff_energy", prioritise_data())
    complete(db, rm, "decide", "gm", decide_data())
    late = plan_data(measure_due="2099-06-30")
    late["milestones"][0]["due"] = "2099-07-31"
    with pytest.raises(InvalidFormData, match="milestones"):
        complete(db, rm, "plan", "head_prod", late)


def test_expected_reduction_must_be_above_zero(db):
    rm = start_measure(db)
    with pytest.raises(InvalidFormData, match="expected_reduction"):
        complete(db, rm, "prioritise", "staff_energy", prioritise_data(expected_reduction="0"))


def test_the_owners_department_is_not_typed_into_the_plan(db):
    rm = start_measure(db)
    complete(db, rm, "prioritise", "staff_energy", prioritise_data())
    complete(db, rm, "decide", "gm", decide_data())
    with pytest.raises(InvalidFormData, match="owner_department"):
        complete(db, rm, "plan", "head_prod", plan_data(owner_department="production"))


def test_carbon_body_may_abandon_a_measure_that_falls_short_and_its_records_are_still_filed(db):
    rm = approved_measure(db)
    complete(db, rm, "implement", "staff_prod", IMPLEMENT_DATA)
    task = open_task(db, rm, "verify")
    with db.transaction() as session, pytest.raises(InvalidFormData, match="abandon_reason"):
        tasks.complete(session, task_id=task.id, actor="body", data=verify_data(False, not_reached_action="abandon"))
    with db.transaction() as session, pytest.raises(InvalidFormData, match="not_reached_action"):
        tasks.complete(session, task_id=task.id, actor="body", data=verify_data(
            True, not_reached_action="abandon", abandon_reason="x"))
    complete(db, rm, "verify", "body", verify_data(
        False, not_reached_action="abandon", abandon_reason="Exhaust too cool after the 2027 kiln retrofit."))

    assert open_task_names(db, rm) == ["keep_records"]  # not back to the owner
    complete(db, rm, "keep_records", "body2", KEEP_DATA)
    done = instance(db, rm)
    assert done.status == "completed"
    assert (done.data["outcome"], done.data["abandon_reason"], done.data["verification_rounds"]) == (
        "abandoned", "Exhaust too cool after the 2027 kiln retrofit.", 1)


def links(db, iid: int) -> list[dict[str, Any]]:
    with db.reading() as session:
        return queries.instance_links(session, iid)


def test_a_baseline_review_found_when_filing_starts_a_linked_baseline_adjustment(db):
    rm = approved_measure(db)
    complete(db, rm, "implement", "staff_prod", IMPLEMENT_DATA)
    complete(db, rm, "verify", "body", verify_data())
    task = open_task(db, rm, "keep_records")
    with db.transaction() as session, pytest.raises(InvalidFormData, match="baseline_trigger"):
        tasks.complete(session, task_id=task.id, actor="body2", data={**KEEP_DATA, "baseline_review_needed": True})
    complete(db, rm, "keep_records", "body2", {
        **KEEP_DATA, "baseline_review_needed": True, "baseline_trigger": "boundary_or_structure",
        "baseline_change_description": "Waste heat replaces 8% of kiln 2's coal."})

    assert instance(db, rm).status == "completed"
    [link] = links(db, rm)
    assert (link["direction"], link["kind"], link["process_id"]) == (
        "out", "baseline_change_detected", "baseline_adjustment")
    adjustment = instance(db, link["instance_id"])
    assert (adjustment.data["trigger"], adjustment.data["description"], adjustment.data["source_reference"]) == (
        "boundary_or_structure", "Waste heat replaces 8% of kiln 2's coal.",
        "碳减排措施 / Reduction measure: Kiln 2 waste-heat recovery")
    assert open_task_names(db, adjustment.id) == ["assess_significance"]
    assert [(back["direction"], back["kind"], back["instance_id"]) for back in links(db, adjustment.id)] == [
        ("in", "baseline_change_detected", rm)]


def test_no_baseline_adjustment_starts_when_no_review_is_needed(db):
    rm = approved_measure(db)
    complete(db, rm, "implement", "staff_prod", IMPLEMENT_DATA)
    complete(db, rm, "verify", "body", verify_data())
    complete(db, rm, "keep_records", "body2", KEEP_DATA)
    assert instance(db, rm).status == "completed"
    assert links(db, rm) == []
