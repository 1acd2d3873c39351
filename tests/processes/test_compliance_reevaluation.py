"""The compliance (re-)evaluation process (guideline 9.1.1 a-d, 9.1.2, 9.1.3) driven through the services."""
from __future__ import annotations

from datetime import timedelta
from typing import Any
from xml.etree import ElementTree

import pytest

from engine.config import PROJECT_ROOT
from engine.errors import InvalidFormData, NotPermitted
from engine.models import StartSchedule
from engine.read import queries
from engine.services import instances, messages, schedules, tasks
from tests.factories import complete, days_ahead, instance, open_task, open_task_names

PROCESS = "compliance_reevaluation"
ITEMS = ("policy", "standards", "trading", "parties")
PLANNED = "National ETS allowance surrender rules"

REGULATION = {"title": "Cement sector GHG accounting rules (revised)", "issuer": "Provincial DEE",
              "effective_date": "2027-01-01", "summary": "Process emissions now include kiln bypass dust."}


def plan_data(**overrides: Any) -> dict[str, Any]:
    return {"requirements": [{"requirement": PLANNED, "issuer": "MEE",
                              "category": "trading", "key_points": "Surrender by 31 December."}],
            "scope": "All production lines", "evaluator": "staff_prod",
            "evaluation_due": days_ahead(20), **overrides}


def evaluation_data(*noncompliant: tuple[str, str]) -> dict[str, Any]:
    """A compliant row per item of 9.1.1 (the trading one for the planned requirement), then a
    noncompliant row per (item, responsible department) named."""
    rows = [{"requirement": PLANNED if item == "trading" else f"{item} rules", "item": item,
             "status": "compliant", "evidence": f"Checked the {item} records."} for item in ITEMS]
    rows += [{"requirement": f"{item} requirement {n}", "item": item, "status": "noncompliant",
              "evidence": f"Checked the {item} records.", "gap": f"{item} requirement {n} not met.",
              "department": department}
             for n, (item, department) in enumerate(noncompliant, 1)]
    return {"evaluations": rows, "conclusion": "Evaluated against the 2027 requirements."}


def approve(approved: bool = True) -> dict[str, Any]:
    return {"report_approved": approved, "approval_comment": "Approved." if approved else "Evidence for c) missing."}


def start_by_hand(db, actor: str = "body") -> int:
    with db.transaction() as session:
        return instances.start(session, process_id=PROCESS, actor=actor, data={
            "title": "2026 compliance evaluation", "trigger": "periodic"}).id


def send_regulation_changed(db, payload: dict[str, Any]) -> list[int]:
    """The compliance evaluations the message started."""
    with db.transaction() as session:
        delivery = messages.send_message(session, name="regulation_changed", payload=payload, actor="gm")
    return [i for i in delivery.started if instance(db, i).process_id == PROCESS]


def evaluate_and_approve(db, iid: int, *noncompliant: tuple[str, str]) -> None:
    complete(db, iid, "plan_evaluation", "body", plan_data())
    complete(db, iid, "evaluate_compliance", "staff_prod", evaluation_data(*noncompliant))
    complete(db, iid, "approve_report", "body2", approve())


def links(db, iid: int) -> list[dict[str, Any]]:
    with db.reading() as session:
        return queries.instance_links(session, iid)


def test_a_changed_regulation_starts_a_reevaluation_carrying_the_regulation(db):
    [iid] = send_regulation_changed(db, REGULATION)

    started = instance(db, iid)
    assert started.data["trigger"] == "regulation_changed"
    assert {k: started.data[k] for k in REGULATION} == REGULATION
    task = open_task(db, iid, "plan_evaluation")
    assert (task.role, task.clauses) == ("carbon_body", "9.1.1,9.1.2")


def test_a_regulation_message_without_its_effective_date_is_refused(db):
    incomplete = {k: v for k, v in REGULATION.items() if k != "effective_date"}
    with db.transaction() as session, pytest.raises(InvalidFormData, match="effective_date"):
        messages.send_message(session, name="regulation_changed", payload=incomplete, actor="gm")


def test_the_yearly_schedule_starts_a_periodic_evaluation(db):
    with db.reading() as session:
        due = session.query(StartSchedule).filter_by(process_id=PROCESS).one().next_run_at
    assert due.month == 2 and due.day == 1

    early = schedules.start_due(db, due - timedelta(minutes=1))
    assert [i for i in early if instance(db, i).process_id == PROCESS] == []
    [iid] = [i for i in schedules.start_due(db, due) if instance(db, i).process_id == PROCESS]

    started = instance(db, iid)
    assert started.data["trigger"] == "periodic"
    assert started.data["title"].startswith(f"{due.year} ")
    assert open_task_names(db, iid) == ["plan_evaluation"]


def test_each_noncompliance_starts_a_corrective_action_linked_to_the_evaluation(db):
    [iid] = send_regulation_changed(db, REGULATION)
    evaluate_and_approve(db, iid, ("trading", "carbon_office"), ("parties", "production"))

    assert instance(db, iid).status == "completed"
    assert instance(db, iid).data["noncompliance_count"] == 2
    out = links(db, iid)
    assert [(link["direction"], link["kind"], link["process_id"]) for link in out] == [
        ("out", "nonconformity_raised", "corrective_action")] * 2
    raised = [instance(db, link["instance_id"]) for link in out]
    assert [(nc.data["clause"], nc.data["department"], nc.data["source"]) for nc in raised] == [
        ("9.1.1c", "carbon_office", "compliance_evaluation"), ("9.1.1d", "production", "compliance_evaluation")]
    assert "trading requirement 1 not met." in raised[0].data["description"]
    for nc in raised:
        assert [(link["direction"], link["instance_id"], link["process_id"]) for link in links(db, nc.id)] == [
            ("in", iid, PROCESS)]
        assert open_task_names(db, nc.id) == ["evaluate_consequences"]


def test_an_evaluation_with_everything_compliant_raises_nothing(db):
    iid = start_by_hand(db)
    evaluate_and_approve(db, iid)

    assert instance(db, iid).status == "completed"
    assert instance(db, iid).data["nonconformities"] == []
    assert links(db, iid) == []


def test_a_returned_report_goes_back_to_the_evaluator_and_raises_only_once_approved(db):
    iid = start_by_hand(db)
    complete(db, iid, "plan_evaluation", "body", plan_data())
    complete(db, iid, "evaluate_compliance", "staff_prod", evaluation_data(("trading", "production")))
    complete(db, iid, "approve_report", "body2", approve(False))

    assert links(db, iid) == []
    again = open_task(db, iid, "evaluate_compliance")
    assert again.assignee == "staff_prod"
    complete(db, iid, "evaluate_compliance", "staff_prod", evaluation_data(("trading", "production")))
    complete(db, iid, "approve_report", "body2", approve())

    assert instance(db, iid).status == "completed"
    assert len(links(db, iid)) == 1


def test_the_evaluator_may_not_approve_their_own_report(db):
    iid = start_by_hand(db)
    complete(db, iid, "plan_evaluation", "body2", plan_data(evaluator="body"))
    complete(db, iid, "evaluate_compliance", "body", evaluation_data())
    task = open_task(db, iid, "approve_report")

    assert task.excluded_users == ["body"]
    with db.transaction() as session, pytest.raises(NotPermitted, match="segregation of duties"):
        tasks.complete(session, task_id=task.id, actor="body", data=approve())
    complete(db, iid, "approve_report", "body2", approve())
    assert instance(db, iid).status == "completed"


def test_only_the_carbon_body_may_start_plan_and_approve(db):
    with db.transaction() as session, pytest.raises(NotPermitted, match="needs role carbon_body"):
        instances.start(session, process_id=PROCESS, actor="staff_prod",
                        data={"title": "x", "trigger": "periodic"})
    iid = start_by_hand(db)
    plan = open_task(db, iid, "plan_evaluation")
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=plan.id, actor="head_prod", data=plan_data())
    complete(db, iid, "plan_evaluation", "body", plan_data())
    complete(db, iid, "evaluate_compliance", "staff_prod", evaluation_data())
    approval = open_task(db, iid, "approve_report")
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=approval.id, actor="staff_energy", data=approve())


def test_only_the_named_evaluator_may_evaluate(db):
    iid = start_by_hand(db)
    complete(db, iid, "plan_evaluation", "body", plan_data(evaluator="staff_energy"))
    task = open_task(db, iid, "evaluate_compliance")
    assert task.assignee == "staff_energy"
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=task.id, actor="staff_prod", data=evaluation_data())


def test_two_noncompliances_under_one_item_each_start_their_own_corrective_action(db):
    iid = start_by_hand(db)
    evaluate_and_approve(db, iid, ("trading", "carbon_office"), ("trading", "energy"))

    out = links(db, iid)
    assert len(out) == 2 and instance(db, iid).data["noncompliance_count"] == 2
    raised = [instance(db, link["instance_id"]) for link in out]
    assert [(nc.data["clause"], nc.data["department"]) for nc in raised] == [
        ("9.1.1c", "carbon_office"), ("9.1.1c", "energy")]
    assert all(f"trading requirement {n}" in nc.data["title"] for n, nc in enumerate(raised, 1))
    assert "trading requirement 2 not met." in raised[1].data["description"]
    for nc in raised:
        assert [(link["kind"], link["instance_id"]) for link in links(db, nc.id)] == [("nonconformity_raised", iid)]


def evaluation_errors(db, data: dict[str, Any]) -> dict[str, Any]:
    """The errors the evaluation form gives for this data."""
    iid = start_by_hand(db)
    complete(db, iid, "plan_evaluation", "body", plan_data())
    task = open_task(db, iid, "evaluate_compliance")
    with db.transaction() as session, pytest.raises(InvalidFormData) as refused:
        tasks.complete(session, task_id=task.id, actor="staff_prod", data=data)
    return refused.value.errors


def test_a_noncompliance_needs_its_description_and_responsible_department(db):
    data = evaluation_data(("standards", "energy"))
    del data["evaluations"][4]["gap"]
    data["evaluations"][4]["department"] = None
    assert set(evaluation_errors(db, data)["evaluations"][4]) == {"gap", "department"}


def test_an_evaluation_must_judge_every_item_of_9_1_1(db):
    data = evaluation_data()
    data["evaluations"] = [row for row in data["evaluations"] if row["item"] != "parties"]
    [message] = evaluation_errors(db, data)["evaluations"]
    assert "d) Requirements of interested parties" in message


def test_the_approver_sees_which_planned_requirements_were_not_evaluated(db):
    iid = start_by_hand(db)
    plan = plan_data()
    plan["requirements"].append({"requirement": "Provincial energy-saving supervision rules", "issuer": "DRC",
                                 "category": "policy", "key_points": "Annual energy audit."})
    complete(db, iid, "plan_evaluation", "body", plan)
    complete(db, iid, "evaluate_compliance", "staff_prod", evaluation_data())

    assert instance(db, iid).data["unevaluated_requirements"] == ["Provincial energy-saving supervision rules"]
    assert "unevaluated_requirements" in open_task(db, iid, "approve_report").documentation


def test_the_yearly_start_is_named_in_chinese_and_english():
    bpmn = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
    root = ElementTree.parse(PROJECT_ROOT / "processes" / f"{PROCESS}.bpmn").getroot()
    [yearly] = [e for e in root.iter(f"{bpmn}startEvent") if e.get("id") == "yearly_start"]
    assert yearly.get("name") == "每年合规性评价 Yearly compliance evaluation"
