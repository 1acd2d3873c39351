"""The carbon management programme (guideline 6.2.1-6.2.3, 6.4.1-6.4.4, 4.2a-b) driven through the services."""
from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

import pytest

from engine.errors import InvalidFormData, NotPermitted
from engine.models import StartSchedule
from engine.services import instances, schedules, tasks
from tests.factories import (
    PASSWORD,
    complete,
    complete_task,
    days_ahead,
    instance,
    open_task,
    open_task_names,
    open_tasks,
)

PROCESS = "management_programme"
SHANGHAI = timezone(timedelta(hours=8))

RISKS = {
    "basis": "2026 context review and current-state survey.",
    "external_risks": [{"category": "stricter_policy", "description": "Cement joins the national ETS.",
                        "effect": "non_compliance", "impact": "Surrender obligation from 2027.", "rating": "high"}],
    "internal_risks": [{"category": "outdated_process", "description": "Kiln 1 preheater is old.",
                        "effect": "emissions_increase", "impact": "+3% clinker intensity.", "rating": "medium"}],
}
PLAN = {
    "risk_responses": [{"risk": "Cement joins the national ETS.", "aspect": "compliance",
                        "response": "Set up the surrender procedure.", "department": "energy",
                        "due": days_ahead(90)}],
    "measures": [{"measure_type": "technical_improvement", "measure": "Replace the kiln 1 preheater",
                  "path_and_method": "Tender, install in the spring shutdown.", "resources": "Maintenance crew",
                  "funding": "3200000", "department": "production", "owner": "staff_prod",
                  "authority": "Head of production signs off the works.", "start": days_ahead(30),
                  "due": days_ahead(120), "verification_method": "Heat balance test after start-up."}],
    "milestones": [{"milestone": "Preheater installed", "due": days_ahead(100), "deliverable": "Acceptance report"}],
}
APPROVE = {"approved": True, "resources_committed": True, "comments": ""}
ISSUE = {"programme_number": "CMP-2027", "issued_on": days_ahead(0), "distribution": "All departments",
         "targets_communicated": True}
CONFIRM = {"decision": "confirm", "comments": ""}


def target(department: str, **overrides: Any) -> dict[str, Any]:
    return {"level": "process", "kind": "key_process", "subject": "Clinker burning", "department": department,
            "objective": "performance", "indicator": "Clinker intensity", "unit": "tCO2/t",
            "baseline_value": "0.860", "target_value": "0.845", "target_year": 2027, **overrides}


def objectives(*departments: str) -> dict[str, Any]:
    """The objectives, with one target for each department named (energy's is the waste heat share)."""
    rows = [target(d) if d != "energy" else
            target(d, level="enterprise", kind="renewable_waste_heat", subject="Waste heat power",
                   indicator="Waste heat power share", unit="%", baseline_value="18", target_value="22")
            for d in departments or ("production",)]
    return {"development_plan": "Step 2 of the 2025-2030 low-carbon plan.",
            "baseline_reference": "Base year 2024: 1.2 Mt CO2e, 0.86 tCO2/t clinker",
            "objective_compliance": "No breach of carbon rules.", "objective_performance": "Intensity -1.7%.",
            "objective_trading": "Surrender on time at least cost.", "objective_assets": "Register waste heat CCER.",
            "objective_social": "Publish the carbon report.", "targets": rows}


def start_programme(db, actor: str = "body") -> int:
    with db.transaction() as session:
        return instances.start(session, process_id=PROCESS, actor=actor, data={
            "programme_title": "2027 carbon management programme", "programme_year": 2027, "reason": ""}).id


def drafted(db, *departments: str, drafter: str = "body") -> int:
    """A programme drafted by one member of the carbon body, waiting for the departments."""
    iid = start_programme(db)
    complete(db, iid, "identify_risks", drafter, RISKS)
    complete(db, iid, "set_objectives", drafter, objectives(*departments))
    complete(db, iid, "plan_implementation", drafter, PLAN)
    return iid


def confirmation(db, iid: int, department: str):
    [task] = [t for t in open_tasks(db, iid, "confirm_targets") if t.candidate_department == department]
    return task


def confirm_all(db, iid: int, answers: dict[str, dict[str, Any]] | None = None) -> None:
    heads = {"production": "head_prod", "energy": "head_energy", "quality": "head_quality"}
    for task in open_tasks(db, iid, "confirm_targets"):
        department = task.candidate_department
        complete_task(db, task.id, heads[department], (answers or {}).get(department, CONFIRM))


def test_programme_runs_from_risks_to_issue_with_each_step_by_its_role(db):
    iid = drafted(db, "energy")
    # Targets go to energy, the measure to production: both heads confirm, each for their own department.
    assert sorted(t.candidate_department for t in open_tasks(db, iid, "confirm_targets")) == ["energy", "production"]
    assert {t.role for t in open_tasks(db, iid, "confirm_targets")} == {"department_head"}
    confirm_all(db, iid)
    assert open_task(db, iid, "approve_programme").role == "top_management"
    complete(db, iid, "approve_programme", "gm", APPROVE)
    complete(db, iid, "issue_programme", "body2", ISSUE)

    done = instance(db, iid)
    assert done.status == "completed"
    assert done.data["draft_rounds"] == 1
    assert sorted(a["department"] for a in done.data["target_confirmations"]) == ["energy", "production"]
    assert done.data["targets"][0]["target_value"] == "22"
    assert done.data["programme_number"] == "CMP-2027"


def test_a_department_asking_for_a_change_sends_the_draft_back_to_the_carbon_body(db):
    iid = drafted(db, "production", "energy")
    confirm_all(db, iid, {"energy": {"decision": "request_change", "comments": "22% needs the new turbine."}})

    assert open_task_names(db, iid) == ["set_objectives"]
    assert instance(db, iid).data["change_requests"] == [
        {"department": "energy", "decision": "request_change", "comments": "22% needs the new turbine."}]
    complete(db, iid, "set_objectives", "body", objectives("production", "energy"))
    complete(db, iid, "plan_implementation", "body", PLAN)
    # Every department concerned confirms the revised draft again.
    assert len(open_tasks(db, iid, "confirm_targets")) == 2
    confirm_all(db, iid)
    complete(db, iid, "approve_programme", "gm", APPROVE)
    complete(db, iid, "issue_programme", "body", ISSUE)

    done = instance(db, iid)
    assert done.status == "completed"
    assert done.data["draft_rounds"] == 2
    assert [a["decision"] for a in done.data["target_confirmations"]] == ["confirm", "confirm"]


def test_top_management_sending_the_programme_back_returns_it_for_revision(db):
    iid = drafted(db)
    confirm_all(db, iid)
    complete(db, iid, "approve_programme", "gm",
             {"approved": False, "resources_committed": False, "comments": "Add a clean-energy target."})

    assert open_task_names(db, iid) == ["set_objectives"]
    assert instance(db, iid).data["comments"] == "Add a clean-energy target."
    complete(db, iid, "set_objectives", "body", objectives("production", "energy"))
    complete(db, iid, "plan_implementation", "body", PLAN)
    confirm_all(db, iid)
    complete(db, iid, "approve_programme", "gm", APPROVE)
    complete(db, iid, "issue_programme", "body", ISSUE)
    assert instance(db, iid).status == "completed"
    assert instance(db, iid).data["draft_rounds"] == 2


def test_sending_back_needs_comments_and_approval_commits_the_resources(db):
    iid = drafted(db)
    confirm_all(db, iid)
    task = open_task(db, iid, "approve_programme")
    with db.transaction() as session, pytest.raises(InvalidFormData, match="comments"):
        tasks.complete_signed(session, task_id=task.id, actor="gm", password=PASSWORD,
                              data={"approved": False, "resources_committed": False, "comments": ""})
    with db.transaction() as session, pytest.raises(InvalidFormData, match="resources_committed"):
        tasks.complete_signed(session, task_id=task.id, actor="gm", password=PASSWORD,
                              data={"approved": True, "resources_committed": False, "comments": ""})


def test_a_change_request_needs_comments(db):
    iid = drafted(db)
    task = confirmation(db, iid, "production")
    with db.transaction() as session, pytest.raises(InvalidFormData, match="comments"):
        tasks.complete(session, task_id=task.id, actor="head_prod", data={"decision": "request_change", "comments": ""})


def test_each_department_head_confirms_only_their_own_department(db):
    iid = drafted(db, "energy")
    energy = confirmation(db, iid, "energy")
    for outsider in ("head_prod", "head_quality", "staff_energy", "body"):
        with db.transaction() as session, pytest.raises(NotPermitted):
            tasks.complete(session, task_id=energy.id, actor=outsider, data=CONFIRM)
    complete_task(db, energy.id, "head_energy", CONFIRM)
    # Production still has to answer before top management sees the programme.
    assert open_task_names(db, iid) == ["confirm_targets"]


def test_only_the_carbon_body_starts_a_programme_by_hand(db):
    for outsider in ("staff_prod", "head_prod", "auditor"):
        with db.transaction() as session, pytest.raises(NotPermitted):
            instances.start(session, process_id=PROCESS, actor=outsider,
                            data={"programme_title": "Mine", "programme_year": 2027})


def test_risks_objectives_and_plan_belong_to_the_carbon_body(db):
    iid = start_programme(db)
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=open_task(db, iid, "identify_risks").id, actor="staff_prod", data=RISKS)
    complete(db, iid, "identify_risks", "body2", RISKS)
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=open_task(db, iid, "set_objectives").id, actor="head_prod",
                       data=objectives())


def test_only_top_management_approves_and_not_whoever_drafted_the_programme(db):
    iid = drafted(db, drafter="gm")
    confirm_all(db, iid)
    task = open_task(db, iid, "approve_programme")
    assert sorted(task.excluded_users) == ["gm"]
    with db.transaction() as session, pytest.raises(NotPermitted, match="segregation of duties"):
        tasks.complete(session, task_id=task.id, actor="gm", data=APPROVE)
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=task.id, actor="body", data=APPROVE)


def test_the_yearly_schedule_starts_the_programme_at_the_end_of_january(db):
    with db.reading() as session:
        due = session.query(StartSchedule).filter_by(process_id=PROCESS).one().next_run_at
    assert due.astimezone(SHANGHAI).strftime("%m-%d %H:%M") == "01-31 09:00"
    assert [i for i in schedules.start_due(db, due - timedelta(minutes=1))
            if instance(db, i).process_id == PROCESS] == []

    [iid] = [i for i in schedules.start_due(db, due + timedelta(minutes=5)) if instance(db, i).process_id == PROCESS]

    started = instance(db, iid)
    assert started.started_by == "system"
    assert started.data["programme_year"] == due.year
    assert started.data["programme_title"].startswith(f"{due.year} ")
    assert open_task(db, iid, "identify_risks").role == "carbon_body"
