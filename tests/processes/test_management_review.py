"""The management review process (guideline 9.3.1 a-e, 9.3.2, 4.2d, 10.1, 10.4) driven through the services."""
from __future__ import annotations

from datetime import timedelta
from typing import Any
from xml.etree import ElementTree

import pytest

from engine.config import PROJECT_ROOT
from engine.errors import InvalidFormData, NotPermitted
from engine.models import StartSchedule
from engine.read import queries
from engine.services import instances, schedules, tasks
from tests.factories import (
    complete,
    complete_task,
    days_ahead,
    instance,
    open_task,
    open_task_names,
    open_tasks,
)

PROCESS = "management_review"

INPUTS = {
    "meeting_date": days_ahead(14),
    "previous_review_reference": "MR-2025 (instance 12)", "corrective_action_references": "41, 43, 57",
    "compliance_evaluation_reference": "instance 88", "internal_audit_reference": "IA-2026-01 (instance 90)",
    "previous_actions": "4 of 5 actions of the 2025 review closed.",
    "policy_changes": "None.", "objective_changes": "Baseline adjusted for kiln 3.",
    "measure_changes": "Waste heat project added.", "context_changes": "Cement joins the national ETS.",
    "source_changes": "Kiln 3 commissioned.", "risk_response_changes": "Allowance hedging added.",
    "performance_improvement": "Intensity down 3.1 %.", "objective_achievement": "3 of 4 objectives met.",
    "nonconformities_open": 2, "nonconformities_closed": 7,
    "nonconformity_summary": "Meter calibration findings closed.", "compliance_results": "Compliant.",
    "audit_results": "3 minor nonconformities.", "resources": "Metering budget short.",
    "interested_party_feedback": "Customer asks for product footprints.",
}


def action(handling: str, owner: str, **overrides: Any) -> dict[str, Any]:
    return {"action_title": f"Action for {owner}", "action_description": "Install sub-meters on kiln 3.",
            "handling": handling, "clause": "10.4", "department": "production", "owner": owner,
            "due_on": days_ahead(90), **overrides}


def review(*actions: dict[str, Any]) -> dict[str, Any]:
    return {"held_on": days_ahead(0), "participants": "GM, department heads, carbon office",
            "system_adequate": "yes", "system_suitable": "yes", "system_effective": "partly",
            "review_conclusion": "Suitable and adequate; data capture needs work.",
            "resource_decisions": "Budget for 40 sub-meters.", "improvement_directions": "Automate data capture.",
            "sustainable_operation": "Green power purchase.", "capability_improvement": "Train 10 staff.",
            "performance_improvement_plan": "Intensity -3 % in 2027.", "mechanism_improvement": "Monthly data review.",
            "improvement_actions": list(actions)}


DONE = {"actions_taken": "Sub-meters installed.", "completed_on": days_ahead(0), "effect": "Hourly data.",
        "evidence_description": "Commissioning report."}
RECORDS = {"record_number": "MR-2026", "storage_location": "Carbon office archive", "retention_years": 10,
           "records_complete": True}


def start_review(db, actor: str = "gm") -> int:
    with db.transaction() as session:
        return instances.start(session, process_id=PROCESS, actor=actor, data={
            "review_title": "2026 management review", "review_period": "2026"}).id


def reviewed(db, *actions: dict[str, Any]) -> int:
    iid = start_review(db)
    complete(db, iid, "gather_inputs", "body", INPUTS)
    complete(db, iid, "hold_review", "gm", review(*actions))
    return iid


def links(db, iid: int) -> list[dict[str, Any]]:
    with db.reading() as session:
        return queries.instance_links(session, iid)


def test_review_actions_become_owners_tasks_or_linked_corrective_actions(db):
    iid = reviewed(db, action("improvement_task", "head_prod"),
                   action("corrective_action", "head_energy", department="energy", clause="8.1.3"),
                   action("improvement_task", "staff_energy", department="energy"))

    out = links(db, iid)
    assert [(link["direction"], link["kind"], link["process_id"]) for link in out] == [
        ("out", "nonconformity_raised", "corrective_action")]
    raised = instance(db, out[0]["instance_id"])
    assert (raised.data["source"], raised.data["clause"], raised.data["department"]) == (
        "management_review", "8.1.3", "energy")
    assert [(link["direction"], link["instance_id"]) for link in links(db, raised.id)] == [("in", iid)]

    improvements = open_tasks(db, iid, "carry_out_improvement")
    assert [t.assignee for t in improvements] == ["head_prod", "staff_energy"]
    assert all(t.due_at is not None for t in improvements)
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=improvements[0].id, actor="head_energy", data=DONE)
    complete_task(db, improvements[0].id, "head_prod", DONE)
    assert open_task_names(db, iid) == ["carry_out_improvement"]
    complete_task(db, improvements[1].id, "staff_energy", DONE)

    complete(db, iid, "file_records", "body2", RECORDS)
    done = instance(db, iid)
    assert done.status == "completed"
    assert [r["effect"] for r in done.data["improvement_results"]] == ["Hourly data."] * 2


def test_a_review_without_improvement_tasks_goes_straight_to_the_records(db):
    iid = reviewed(db, action("corrective_action", "head_prod"))
    assert open_task_names(db, iid) == ["file_records"]
    assert len(links(db, iid)) == 1
    complete(db, iid, "file_records", "body", RECORDS)
    assert instance(db, iid).status == "completed"


def test_a_review_without_actions_starts_nothing(db):
    iid = reviewed(db)
    assert links(db, iid) == []
    assert open_task_names(db, iid) == ["file_records"]


def test_a_review_action_for_an_unknown_owner_is_refused(db):
    iid = start_review(db)
    complete(db, iid, "gather_inputs", "body", INPUTS)
    hold = open_task(db, iid, "hold_review")
    with db.transaction() as session, pytest.raises(InvalidFormData, match="improvement_actions"):
        tasks.complete(session, task_id=hold.id, actor="gm", data=review(action("improvement_task", "nobody")))
    assert open_task_names(db, iid) == ["hold_review"]


def test_top_management_chairs_the_review_the_carbon_body_prepares_and_files(db):
    with db.transaction() as session, pytest.raises(NotPermitted, match="top_management or carbon_body"):
        instances.start(session, process_id=PROCESS, actor="head_prod",
                        data={"review_title": "x", "review_period": "2026"})
    iid = start_review(db, actor="body")
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=open_task(db, iid, "gather_inputs").id, actor="head_prod", data=INPUTS)
    complete(db, iid, "gather_inputs", "body", INPUTS)
    hold = open_task(db, iid, "hold_review")
    assert hold.role == "top_management" and hold.due_at is not None
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=hold.id, actor="body", data=review())
    complete(db, iid, "hold_review", "gm", review())
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=open_task(db, iid, "file_records").id, actor="docs", data=RECORDS)
    complete(db, iid, "file_records", "body", RECORDS)
    assert instance(db, iid).status == "completed"


def test_the_yearly_schedule_starts_the_annual_review(db):
    with db.reading() as session:
        due = session.query(StartSchedule).filter_by(process_id=PROCESS).one().next_run_at
    assert due.month == 12 and due.day == 1

    [iid] = [i for i in schedules.start_due(db, due + timedelta(hours=1)) if instance(db, i).process_id == PROCESS]

    started = instance(db, iid)
    assert started.data["review_title"].startswith(f"{due.year} ")
    assert open_task(db, iid, "gather_inputs").role == "carbon_body"


def test_the_inputs_cite_the_audit_and_compliance_evaluation_they_come_from(db):
    iid = start_review(db)
    task = open_task(db, iid, "gather_inputs")
    uncited = {k: v for k, v in INPUTS.items()
               if k not in ("internal_audit_reference", "compliance_evaluation_reference")}
    with db.transaction() as session, pytest.raises(InvalidFormData) as refused:
        tasks.complete(session, task_id=task.id, actor="body", data=uncited)
    assert set(refused.value.errors) == {"internal_audit_reference", "compliance_evaluation_reference"}

    first_review = {k: v for k, v in INPUTS.items() if k != "previous_review_reference"}  # none before it
    complete(db, iid, "gather_inputs", "body", first_review)
    cited = instance(db, iid).data
    assert (cited["internal_audit_reference"], cited["compliance_evaluation_reference"],
            cited["previous_review_reference"]) == ("IA-2026-01 (instance 90)", "instance 88", "")


def test_the_yearly_start_is_named_in_chinese_and_english():
    bpmn = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
    root = ElementTree.parse(PROJECT_ROOT / "processes" / f"{PROCESS}.bpmn").getroot()
    [yearly] = [e for e in root.iter(f"{bpmn}startEvent") if e.get("id") == "yearly_start"]
    assert yearly.get("name") == "每年管理评审 Yearly management review"
