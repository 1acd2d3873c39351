"""The competence-building process (guideline 7.1.1 a-d, 7.1.2, 7.2c) driven through the services."""
from __future__ import annotations

from typing import Any

import pytest

from engine.errors import InvalidFormData, NotPermitted
from engine.services import instances, tasks
from tests.factories import (
    complete,
    complete_task,
    days_ahead,
    end_of_day,
    instance,
    open_task,
    open_task_names,
    open_tasks,
)


def plan_data(**overrides: Any) -> dict[str, Any]:
    """A special training on the carbon market rules for production and energy."""
    return {"kind": "training", "topic": "National carbon market rules 2027",
            "subjects": ["regulations", "policies"], "content": "Allowance allocation, MRV, surrender.",
            "competence_goal": "Shift leaders can record activity data per the monitoring plan.",
            "departments": ["production", "energy"], "planned_date": days_ahead(5), "planned_hours": "4",
            "trainer": "Provincial carbon centre", "trainer_source": "external", "location": "Meeting room 2",
            "budget": "6000.00", "evaluation_method": "exam", **overrides}


def attendance_data(*people: tuple[str, str, str]) -> dict[str, Any]:
    """One department's attendance: (name, hours, result) per person."""
    return {"held_on": days_ahead(0), "absentees": "", "feedback": "",
            "attendees": [{"name": name, "employee_no": "", "position": "Shift leader", "hours": hours,
                           "result": result, "score": None, "remarks": ""} for name, hours, result in people]}


def evaluation_data(effective: bool) -> dict[str, Any]:
    return {"effective": effective, "method_used": "exam", "actual_cost": "5800",
            "evaluation_summary": "Exam results reviewed." if effective else "Half failed the exam.",
            "competence_gaps": "" if effective else "Activity data recording."}


FILE_DATA = {"records_reference": "HR-TR-2027-014", "personnel_files_updated": True,
             "records_complete": True, "summary": "Training done and assessed."}


def start_training(db, actor: str = "body", **overrides: Any) -> int:
    with db.transaction() as session:
        return instances.start(session, process_id="competence_training", actor=actor,
                               business_key="TR-1", data=plan_data(**overrides)).id


def confirm_each(db, iid: int, by_department: dict[str, tuple[str, dict[str, Any]]]) -> None:
    """Complete the open attendance confirmations: department -> (head, form data)."""
    for task in open_tasks(db, iid, "confirm_attendance"):
        head, data = by_department[task.candidate_department]
        complete_task(db, task.id, head, data)


def test_activity_runs_from_plan_to_filed_records_with_each_department_confirming(db):
    tr = start_training(db)
    confirmations = open_tasks(db, tr, "confirm_attendance")
    assert [(t.role, t.candidate_department) for t in confirmations] == [
        ("department_head", "production"), ("department_head", "energy")]
    complete_task(db, confirmations[0].id, "head_prod",
                  attendance_data(("Wang", "4", "passed"), ("Zhao", "3.5", "failed")))
    assert open_task_names(db, tr) == ["confirm_attendance"]
    complete_task(db, confirmations[1].id, "head_energy", attendance_data(("Li", "4", "passed")))

    assert open_task_names(db, tr) == ["evaluate_effectiveness"]
    data = instance(db, tr).data
    assert (data["attendee_count"], data["passed_count"], data["failed_count"], data["total_hours"]) == (
        3, 2, 1, "11.5")
    complete(db, tr, "evaluate_effectiveness", "gm", evaluation_data(True))
    complete(db, tr, "file_records", "body2", FILE_DATA)

    done = instance(db, tr)
    assert done.status == "completed"
    assert done.data["activity_round"] == 1
    [kept] = done.data["activity_history"]
    assert (kept["topic"], kept["effective"], kept["budget"], kept["actual_cost"]) == (
        "National carbon market rules 2027", True, "6000.00", "5800")


def test_each_attendance_record_names_the_department_it_was_confirmed_for(db):
    tr = start_training(db)
    production, energy = open_tasks(db, tr, "confirm_attendance")
    complete_task(db, energy.id, "head_energy", attendance_data(("Li", "4", "passed")))
    complete_task(db, production.id, "head_prod", attendance_data(("Wang", "4", "passed")))

    records = instance(db, tr).data["attendance_records"]
    by_department = {r["department"]: [p["name"] for p in r["attendees"]] for r in records}
    assert by_department == {"production": ["Wang"], "energy": ["Li"]}


def test_ineffective_activity_leads_to_a_follow_up_round_for_the_remaining_gap(db):
    tr = start_training(db, departments=["production"])
    confirm_each(db, tr, {"production": ("head_prod", attendance_data(("Wang", "4", "failed")))})
    complete(db, tr, "evaluate_effectiveness", "body", evaluation_data(False))

    assert open_task_names(db, tr) == ["plan_follow_up"]
    follow_up = plan_data(kind="exchange_seminar", topic="Workshop on activity data",
                          subjects=["technology", "management"], departments=["production", "quality"],
                          follow_up_reason="Activity data recording still weak.")
    complete(db, tr, "plan_follow_up", "body2", follow_up)
    confirmations = open_tasks(db, tr, "confirm_attendance")
    assert [t.candidate_department for t in confirmations] == ["production", "quality"]
    confirm_each(db, tr, {"production": ("head_prod", attendance_data(("Wang", "2", "passed"))),
                          "quality": ("head_quality", attendance_data(("Sun", "2", "passed")))})
    assert len(instance(db, tr).data["attendance_records"]) == 2  # this round's only
    complete(db, tr, "evaluate_effectiveness", "body", evaluation_data(True))
    complete(db, tr, "file_records", "body", FILE_DATA)

    done = instance(db, tr)
    assert done.status == "completed"
    assert done.data["activity_round"] == 2
    history = done.data["activity_history"]
    assert [(r["round"], r["kind"], r["effective"], r["attendee_count"]) for r in history] == [
        (1, "training", False, 1), (2, "exchange_seminar", True, 2)]


def test_attendance_is_due_a_week_after_the_planned_date(db):
    tr = start_training(db, planned_date=days_ahead(10), departments=["quality"])
    assert open_task(db, tr, "confirm_attendance").due_at == end_of_day(days_ahead(17))


@pytest.mark.parametrize("actor", ["staff_prod", "head_prod", "auditor"])
def test_only_the_carbon_body_may_plan_a_competence_activity(db, actor):
    with db.transaction() as session, pytest.raises(NotPermitted):
        instances.start(session, process_id="competence_training", actor=actor, data=plan_data())


def test_a_department_head_confirms_only_their_own_department(db):
    tr = start_training(db, departments=["production"])
    task = open_task(db, tr, "confirm_attendance")
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=task.id, actor="head_energy",
                       data=attendance_data(("Li", "4", "passed")))


def test_department_heads_may_not_judge_effectiveness(db):
    tr = start_training(db, departments=["production"])
    confirm_each(db, tr, {"production": ("head_prod", attendance_data(("Wang", "4", "passed")))})
    task = open_task(db, tr, "evaluate_effectiveness")
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=task.id, actor="head_prod", data=evaluation_data(True))


def test_special_training_must_cover_a_subject_of_7_1_1b(db):
    with db.transaction() as session, pytest.raises(InvalidFormData, match="subjects"):
        instances.start(session, process_id="competence_training", actor="body",
                        data=plan_data(subjects=["energy_saving"]))


def test_hiring_and_assessment_checks_job_competence(db):
    with db.transaction() as session, pytest.raises(InvalidFormData, match="subjects"):
        instances.start(session, process_id="competence_training", actor="body",
                        data=plan_data(kind="hiring_assessment", subjects=["standards"]))
    tr = start_training(db, kind="hiring_assessment", subjects=["job_competence"],
                        evaluation_method="interview")
    assert open_task_names(db, tr) == ["confirm_attendance", "confirm_attendance"]


def test_records_cannot_be_filed_before_they_are_complete(db):
    tr = start_training(db, departments=["energy"])
    confirm_each(db, tr, {"energy": ("head_energy", attendance_data(("Li", "4", "passed")))})
    complete(db, tr, "evaluate_effectiveness", "body", evaluation_data(True))
    with pytest.raises(InvalidFormData, match="records_complete"):
        complete(db, tr, "file_records", "body", {**FILE_DATA, "records_complete": False})
    assert open_task_names(db, tr) == ["file_records"]


def reach_data(number: int, **overrides: Any) -> dict[str, Any]:
    return {"published_from": days_ahead(0), "published_until": days_ahead(35),
            "channel": "Notice board at the shift-change room", "audience": "All shift staff",
            "number_reached": number, "reach_basis": "Staff on the roster", "feedback": "", **overrides}


@pytest.mark.parametrize("kind", ["publicity_notice", "publicity_poster", "publicity_other"])
def test_publicity_records_its_reach_per_department_instead_of_named_attendees(db, kind):
    tr = start_training(db, kind=kind, topic="Energy-saving week", subjects=["energy_saving"],
                        evaluation_method="questionnaire")
    assert open_task_names(db, tr) == ["confirm_reach", "confirm_reach"]
    reaches = open_tasks(db, tr, "confirm_reach")
    assert [(t.role, t.candidate_department) for t in reaches] == [
        ("department_head", "production"), ("department_head", "energy")]
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=reaches[0].id, actor="head_energy", data=reach_data(120))
    complete_task(db, reaches[0].id, "head_prod", reach_data(120))
    complete_task(db, reaches[1].id, "head_energy", reach_data(35, channel="Energy WeChat group"))

    data = instance(db, tr).data
    assert (data["reached_count"], data["attendee_count"]) == (155, 0)
    complete(db, tr, "evaluate_effectiveness", "body", {**evaluation_data(True), "method_used": "questionnaire"})
    complete(db, tr, "file_records", "body2", FILE_DATA)

    [kept] = instance(db, tr).data["activity_history"]
    assert (kept["kind"], kept["reached_count"], kept["attendance"]) == (kind, 155, [])
    assert sorted((r["reach_department"], r["channel"]) for r in kept["reach"]) == [
        ("energy", "Energy WeChat group"), ("production", "Notice board at the shift-change room")]


def test_publicity_reach_needs_the_number_reached_and_where_it_was_shown(db):
    tr = start_training(db, kind="publicity_poster", subjects=["energy_saving"], departments=["quality"])
    task = open_task(db, tr, "confirm_reach")
    for missing in ("number_reached", "channel"):
        data = reach_data(10)
        del data[missing]
        with db.transaction() as session, pytest.raises(InvalidFormData, match=missing):
            tasks.complete(session, task_id=task.id, actor="head_quality", data=data)


def test_exchanges_still_record_each_person_who_took_part(db):
    tr = start_training(db, kind="exchange_seminar", subjects=["technology"], departments=["energy"])
    assert open_task_names(db, tr) == ["confirm_attendance"]
    with db.transaction() as session, pytest.raises(InvalidFormData, match="attendees"):
        tasks.complete(session, task_id=open_task(db, tr, "confirm_attendance").id, actor="head_energy",
                       data={**attendance_data(), "attendees": []})
