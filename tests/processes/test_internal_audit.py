"""The internal audit process (guideline 9.2.1 a-e, 9.2.2, 9.2.3, 4.2d) driven through the services."""
from __future__ import annotations

from datetime import timedelta
from typing import Any
from xml.etree import ElementTree

import pytest

from engine.config import PROJECT_ROOT
from engine.errors import InvalidFormData, NotPermitted
from engine.models import StartSchedule
from engine.people import get_actor
from engine.read import queries
from engine.read.clauses import clause_map
from engine.services import instances, schedules, tasks, users
from forms import json_schema
from forms.internal_audit import CLAUSES
from tests.factories import (
    complete,
    complete_task,
    days_ahead,
    instance,
    open_task,
    open_task_names,
    open_tasks,
)

PROCESS = "internal_audit"


def programme_data(*departments: str, **overrides: Any) -> dict[str, Any]:
    return {"audit_start": days_ahead(10), "audit_end": days_ahead(20), "method": "combined",
            "method_notes": "Sample 3 months of meter data.", "lead_auditor": "auditor",
            "team": [{"auditor": "auditor", "responsibility": "Lead; production"},
                     {"auditor": "auditor_prod", "responsibility": "Quality"}],
            "audit_plan": [{"department": d, "planned_on": days_ahead(12), "focus": "Data quality"}
                           for d in departments or ("production", "quality")],
            "objective_targets": "2026 intensity target", "objective_performance": "Intensity vs. baseline",
            "objective_resources": "Metering budget", "objective_compliance": "ETS surrender",
            "objective_competence": "Training records", "covers_all_requirements": True, **overrides}


def checklist(*nonconforming: str, not_applicable: tuple[str, ...] = ()) -> dict[str, Any]:
    """A department checklist with a row per clause of the guideline; the clauses named do not conform."""
    rows = []
    for clause in CLAUSES:
        if clause in nonconforming:
            rows.append({"clause": clause, "result": "nonconforming", "evidence": "Log book, week 32.",
                         "finding": f"Clause {clause} not met.", "cause": "No procedure."})
        elif clause in not_applicable:
            rows.append({"clause": clause, "result": "not_applicable",
                         "not_applicable_reason": "The department does not do this."})
        else:
            rows.append({"clause": clause, "result": "conforms", "evidence": "Records seen."})
    return {"audited_on": days_ahead(0), "auditees": "Head and carbon staff", "checklist": rows,
            "summary": "Audited as planned."}


def acknowledgement(correction: str = "Procedure drafted; meters re-read.") -> dict[str, Any]:
    return {"findings_acknowledged": True, "immediate_actions": correction, "comments": ""}


REPORT = {"report_summary": "Two departments audited.", "conclusion_targets": "met",
          "conclusion_performance": "met", "conclusion_resources": "partly_met", "conclusion_compliance": "met",
          "conclusion_competence": "met", "conclusion_notes": "", "overall_conclusion": "System effective.",
          "recommendations": "More meters."}
ACKNOWLEDGE = {"report_acknowledged": True, "directions": "Production fixes meter data by Q1.",
               "improvement_directions": "Automate data capture."}
RECORDS = {"record_number": "IA-2026-01", "storage_location": "Carbon office archive", "retention_years": 5,
           "records_complete": True}


def start_audit(db, actor: str = "auditor") -> int:
    with db.transaction() as session:
        return instances.start(session, process_id=PROCESS, actor=actor,
                               data={"audit_title": "2026 internal audit", "audit_kind": "annual"}).id


def approved_audit(db, *departments: str) -> int:
    iid = start_audit(db)
    complete(db, iid, "draft_programme", "auditor", programme_data(*departments))
    complete(db, iid, "approve_programme", "body", {"programme_approved": True, "programme_comment": "OK"})
    return iid


def audit_task(db, iid: int, department: str):
    """The open audit task of one department (the multi-instance task has one per department)."""
    [task] = [t for t in open_tasks(db, iid, "audit_department") if t.excluded_department == department]
    return task


def acknowledge_task(db, iid: int, department: str):
    """The open task of one audited department's head to acknowledge its findings."""
    [task] = [t for t in open_tasks(db, iid, "acknowledge_findings") if t.candidate_department == department]
    return task


def links(db, iid: int) -> list[dict[str, Any]]:
    with db.reading() as session:
        return queries.instance_links(session, iid)


def finish(db, iid: int) -> None:
    complete(db, iid, "write_report", "auditor", REPORT)
    complete(db, iid, "acknowledge_report", "gm", ACKNOWLEDGE)
    complete(db, iid, "file_records", "docs", RECORDS)


def test_audit_runs_from_programme_to_filed_records_with_each_step_by_its_role(db):
    iid = approved_audit(db, "production", "quality")
    assert len(open_tasks(db, iid, "audit_department")) == 2
    complete_task(db, audit_task(db, iid, "production").id, "auditor", checklist())
    complete_task(db, audit_task(db, iid, "quality").id, "auditor_prod", checklist())

    assert open_task_names(db, iid) == ["write_report"]
    assert open_task(db, iid, "write_report").assignee == "auditor"  # the lead auditor
    complete(db, iid, "write_report", "auditor", REPORT)
    acknowledge = open_task(db, iid, "acknowledge_report")
    assert (acknowledge.role, acknowledge.clauses) == ("top_management", "4.2d,9.2.2")
    complete(db, iid, "acknowledge_report", "gm", ACKNOWLEDGE)
    complete(db, iid, "file_records", "docs", RECORDS)

    done = instance(db, iid)
    assert done.status == "completed"
    assert [(r["department"], r["summary"]) for r in done.data["audit_results"]] == [
        ("production", "Audited as planned."), ("quality", "Audited as planned.")]
    assert links(db, iid) == []  # every clause conformed: no corrective action


def test_each_nonconformity_starts_a_corrective_action_linked_to_the_audit(db):
    iid = approved_audit(db, "production", "quality")
    # Quality finishes first: each finding still goes to the department it was found in.
    complete_task(db, audit_task(db, iid, "quality").id, "auditor_prod", checklist("7.1.2"))
    complete_task(db, audit_task(db, iid, "production").id, "auditor", checklist("8.1.3", "6.3.2"))
    complete_task(db, acknowledge_task(db, iid, "production").id, "head_prod", acknowledgement())
    complete_task(db, acknowledge_task(db, iid, "quality").id, "head_quality", acknowledgement())

    out = links(db, iid)
    assert [(link["direction"], link["kind"], link["process_id"]) for link in out] == [
        ("out", "nonconformity_raised", "corrective_action")] * 3
    raised = [instance(db, link["instance_id"]) for link in out]
    assert sorted((nc.data["clause"], nc.data["department"]) for nc in raised) == [
        ("6.3.2", "production"), ("7.1.2", "quality"), ("8.1.3", "production")]
    assert {nc.data["source"] for nc in raised} == {"internal_audit"}
    assert all("No procedure." in nc.data["description"] for nc in raised)  # the cause found by the audit
    for nc in raised:
        assert [(link["direction"], link["kind"], link["instance_id"], link["process_id"])
                for link in links(db, nc.id)] == [("in", "nonconformity_raised", iid, PROCESS)]
        assert open_task_names(db, nc.id) == ["evaluate_consequences"]
    assert instance(db, iid).data["nonconformity_count"] == 3
    # The report still goes to top management, and the audit ends with its records filed.
    finish(db, iid)
    assert instance(db, iid).status == "completed"


def test_an_auditor_may_not_audit_their_own_department(db):
    iid = approved_audit(db, "production", "quality")
    quality = audit_task(db, iid, "quality")

    with db.transaction() as session, pytest.raises(NotPermitted, match="department quality"):
        tasks.complete(session, task_id=quality.id, actor="auditor", data=checklist())
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.claim(session, task_id=quality.id, actor="auditor")
    with db.reading() as session:
        inbox = [t.id for t in queries.tasks_for_user(session, get_actor(session, "auditor"))]
    assert quality.id not in inbox and audit_task(db, iid, "production").id in inbox
    complete_task(db, quality.id, "auditor_prod", checklist())


def test_a_rejected_programme_goes_back_to_drafting(db):
    iid = start_audit(db)
    complete(db, iid, "draft_programme", "auditor", programme_data())
    complete(db, iid, "approve_programme", "body",
             {"programme_approved": False, "programme_comment": "Add the energy department."})

    assert open_task_names(db, iid) == ["draft_programme"]
    complete(db, iid, "draft_programme", "auditor", programme_data("production", "quality", "energy"))
    complete(db, iid, "approve_programme", "body", {"programme_approved": True, "programme_comment": "OK"})
    assert len(open_tasks(db, iid, "audit_department")) == 3


def test_whoever_drafted_the_programme_may_not_approve_it(db):
    with db.transaction() as session:
        users.create_user(session, username="auditor_body", display_name="Auditor in the body",
                          roles=("internal_auditor", "carbon_body"), department="carbon_office")
    iid = start_audit(db)
    complete(db, iid, "draft_programme", "auditor_body", programme_data())
    task = open_task(db, iid, "approve_programme")

    with db.transaction() as session, pytest.raises(NotPermitted, match="segregation of duties"):
        tasks.complete(session, task_id=task.id, actor="auditor_body",
                       data={"programme_approved": True, "programme_comment": "Self"})
    complete(db, iid, "approve_programme", "body", {"programme_approved": True, "programme_comment": "OK"})


def test_each_step_refuses_the_wrong_role(db):
    with db.transaction() as session, pytest.raises(NotPermitted, match="carbon_body or internal_auditor"):
        instances.start(session, process_id=PROCESS, actor="staff_prod",
                        data={"audit_title": "x", "audit_kind": "annual"})
    iid = start_audit(db, actor="body")
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=open_task(db, iid, "draft_programme").id, actor="body",
                       data=programme_data())
    complete(db, iid, "draft_programme", "auditor", programme_data("production"))
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=open_task(db, iid, "approve_programme").id, actor="auditor_prod",
                       data={"programme_approved": True, "programme_comment": "OK"})
    complete(db, iid, "approve_programme", "body", {"programme_approved": True, "programme_comment": "OK"})
    complete(db, iid, "audit_department", "auditor", checklist())
    with db.transaction() as session, pytest.raises(NotPermitted):  # the lead auditor writes the report
        tasks.complete(session, task_id=open_task(db, iid, "write_report").id, actor="auditor_prod", data=REPORT)
    complete(db, iid, "write_report", "auditor", REPORT)
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=open_task(db, iid, "acknowledge_report").id, actor="body",
                       data=ACKNOWLEDGE)
    complete(db, iid, "acknowledge_report", "gm", ACKNOWLEDGE)
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=open_task(db, iid, "file_records").id, actor="auditor", data=RECORDS)
    complete(db, iid, "file_records", "docs", RECORDS)
    assert instance(db, iid).status == "completed"


def test_the_checklist_has_a_row_for_every_clause_of_the_clause_map():
    assert list(CLAUSES) == [n for c in clause_map() for n in c.numbers]
    rendered = json_schema("internal_audit.audit_department")["properties"]["checklist"]
    assert rendered["default"] == [{"clause": clause} for clause in CLAUSES]  # the rows the form starts with
    assert rendered["items"]["properties"]["clause"]["x-choices"] == list(CLAUSES)


def refused_checklist(db, data: dict[str, Any]) -> dict[str, Any]:
    """The errors the audit form gives for this checklist."""
    iid = approved_audit(db, "production")
    task = open_task(db, iid, "audit_department")
    with db.transaction() as session, pytest.raises(InvalidFormData) as refused:
        tasks.complete(session, task_id=task.id, actor="auditor", data=data)
    return refused.value.errors


def test_a_checklist_that_leaves_a_clause_out_or_repeats_one_is_refused(db):
    data = checklist()
    del data["checklist"][CLAUSES.index("6.3.3")]
    data["checklist"].append(dict(data["checklist"][0]))  # 4.1 twice
    errors = refused_checklist(db, data)
    assert list(errors) == ["checklist"]
    assert "6.3.3" in errors["checklist"][0] and "4.1" in errors["checklist"][1]


def test_a_checklist_left_as_the_blank_rows_is_refused(db):
    data = checklist()
    del data["checklist"]
    assert refused_checklist(db, data) == {"checklist": ["Give a result for every clause. 请逐条款填写审核结果。"]}


def test_a_checklist_row_for_an_unknown_clause_is_refused(db):
    data = checklist()
    data["checklist"][0]["clause"] = "11.1"
    assert set(refused_checklist(db, data)["checklist"][0]) == {"clause"}


def test_each_result_needs_its_evidence_finding_and_cause_or_reason(db):
    data = checklist()
    rows = data["checklist"]
    rows[CLAUSES.index("8.2")] = {"clause": "8.2", "result": "nonconforming", "evidence": "Purchase records."}
    rows[CLAUSES.index("8.5.2")] = {"clause": "8.5.2", "result": "not_applicable"}
    rows[CLAUSES.index("4.1")] = {"clause": "4.1", "result": "conforms"}
    errors = refused_checklist(db, data)["checklist"]
    assert set(errors[CLAUSES.index("8.2")]) == {"finding", "cause"}
    assert set(errors[CLAUSES.index("8.5.2")]) == {"not_applicable_reason"}
    assert set(errors[CLAUSES.index("4.1")]) == {"evidence"}


def test_clauses_that_do_not_apply_to_a_department_raise_nothing(db):
    iid = approved_audit(db, "production")
    complete(db, iid, "audit_department", "auditor", checklist(not_applicable=("8.5.1", "8.5.2")))
    assert open_task_names(db, iid) == ["write_report"]
    rows = instance(db, iid).data["audit_results"][0]["checklist"]
    assert [row["clause"] for row in rows if row["result"] == "not_applicable"] == ["8.5.1", "8.5.2"]


def test_the_heads_of_audited_departments_acknowledge_their_findings_before_the_report(db):
    iid = approved_audit(db, "production", "quality", "energy")
    complete_task(db, audit_task(db, iid, "production").id, "auditor", checklist("8.1.3"))
    complete_task(db, audit_task(db, iid, "quality").id, "auditor_prod", checklist())
    complete_task(db, audit_task(db, iid, "energy").id, "auditor", checklist("7.1.2", "8.3"))

    # Only the departments with findings, each for its own head; the report and corrective actions wait.
    assert open_task_names(db, iid) == ["acknowledge_findings", "acknowledge_findings"]
    energy = acknowledge_task(db, iid, "energy")
    assert (energy.role, energy.clauses) == ("department_head", "9.2.2")
    assert links(db, iid) == []
    for wrong in ("head_prod", "auditor", "staff_energy"):
        with db.transaction() as session, pytest.raises(NotPermitted):
            tasks.complete(session, task_id=energy.id, actor=wrong, data=acknowledgement())
    complete_task(db, energy.id, "head_energy", acknowledgement("Calibrated meter M-7 on the spot."))
    assert open_task_names(db, iid) == ["acknowledge_findings"]
    complete_task(db, acknowledge_task(db, iid, "production").id, "head_prod", acknowledgement())

    assert open_task_names(db, iid) == ["write_report"]
    raised = [instance(db, link["instance_id"]) for link in links(db, iid)]
    assert sorted((nc.data["clause"], nc.data["department"]) for nc in raised) == [
        ("7.1.2", "energy"), ("8.1.3", "production"), ("8.3", "energy")]
    energy_actions = [nc for nc in raised if nc.data["department"] == "energy"]
    assert all("Calibrated meter M-7 on the spot." in nc.data["description"] for nc in energy_actions)
    acknowledged = instance(db, iid).data["acknowledgements"]
    assert [(a["audited_department"]["department"], [f["clause"] for f in a["audited_department"]["findings"]])
            for a in acknowledged] == [("energy", ["7.1.2", "8.3"]), ("production", ["8.1.3"])]


def test_a_head_must_acknowledge_the_findings_and_state_the_correction(db):
    iid = approved_audit(db, "production")
    complete(db, iid, "audit_department", "auditor", checklist("8.1.3"))
    task = open_task(db, iid, "acknowledge_findings")
    with db.transaction() as session, pytest.raises(InvalidFormData) as refused:
        tasks.complete(session, task_id=task.id, actor="head_prod",
                       data={"findings_acknowledged": False, "immediate_actions": ""})
    assert set(refused.value.errors) == {"findings_acknowledged", "immediate_actions"}


def test_a_programme_lists_each_department_once_within_the_audit_period(db):
    iid = start_audit(db)
    task = open_task(db, iid, "draft_programme")
    with db.transaction() as session, pytest.raises(InvalidFormData, match="audit_plan"):
        tasks.complete(session, task_id=task.id, actor="auditor", data=programme_data("production", "production"))
    late = programme_data()
    late["audit_plan"][0]["planned_on"] = days_ahead(30)
    with db.transaction() as session, pytest.raises(InvalidFormData, match="audit_plan"):
        tasks.complete(session, task_id=task.id, actor="auditor", data=late)


def test_the_yearly_schedule_starts_the_annual_audit(db):
    with db.reading() as session:
        due = session.query(StartSchedule).filter_by(process_id=PROCESS).one().next_run_at
    assert due.month == 3 and due.day == 1

    [iid] = [i for i in schedules.start_due(db, due + timedelta(minutes=5)) if instance(db, i).process_id == PROCESS]

    started = instance(db, iid)
    assert started.data["audit_kind"] == "annual"
    assert started.data["audit_title"].startswith(f"{due.year} ")
    assert open_task(db, iid, "draft_programme").role == "internal_auditor"


def test_the_yearly_start_is_named_in_chinese_and_english():
    bpmn = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
    root = ElementTree.parse(PROJECT_ROOT / "processes" / f"{PROCESS}.bpmn").getroot()
    [yearly] = [e for e in root.iter(f"{bpmn}startEvent") if e.get("id") == "yearly_start"]
    assert yearly.get("name") == "每年内部审核 Yearly internal audit"


def test_the_lead_auditor_and_the_team_must_be_internal_auditors(db):
    iid = start_audit(db)
    task = open_task(db, iid, "draft_programme")
    with db.transaction() as session, pytest.raises(InvalidFormData, match="lead_auditor") as caught:
        tasks.complete(session, task_id=task.id, actor="auditor", data=programme_data(lead_auditor="staff_prod"))
    assert "role internal_auditor" in str(caught.value)
    complete(db, iid, "draft_programme", "auditor", programme_data(lead_auditor="auditor_prod"))
