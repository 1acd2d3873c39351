"""The internal audit process (guideline 9.2.1 a-e, 9.2.2, 9.2.3, 4.2d) driven through the services."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine import queries
from engine.errors import InvalidFormData, NotPermitted
from engine.models import StartSchedule
from engine.services import instances, schedules, tasks, users
from engine.services.users import get_actor
from tests.factories import complete, complete_task, days_ahead, instance, open_task, open_task_names, open_tasks

PROCESS = "internal_audit"
CHAPTER_CLAUSES = {4: "4.2", 5: "5.2.1", 6: "6.3.1", 7: "7.1.1", 8: "8.1.3", 9: "9.1.1", 10: "10.2"}


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


def checklist(*nonconforming: str) -> dict[str, Any]:
    """A department checklist covering chapters 4-10; the clauses named do not conform."""
    data: dict[str, Any] = {"audited_on": days_ahead(12), "auditees": "Head and carbon staff",
                            "summary": "Audited as planned."}
    for chapter, clause in CHAPTER_CLAUSES.items():
        data[f"chapter_{chapter}"] = [{"clause": clause, "conforms": True, "evidence": "Records seen."}]
    for clause in nonconforming:
        chapter = int(clause.split(".")[0])
        data[f"chapter_{chapter}"].append({"clause": clause, "conforms": False, "evidence": "Log book, week 32.",
                                           "finding": f"Clause {clause} not met.", "cause": "No procedure."})
    return data


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


def test_a_nonconformity_needs_its_finding_and_cause_and_rows_stay_in_their_chapter(db):
    iid = approved_audit(db, "production")
    task = open_task(db, iid, "audit_department")
    data = checklist()
    data["chapter_8"].append({"clause": "8.2", "conforms": False, "evidence": "Purchase records."})
    data["chapter_9"] = [{"clause": "8.4.1", "conforms": True, "evidence": "Wrong chapter."}]
    with db.transaction() as session, pytest.raises(InvalidFormData) as refused:
        tasks.complete(session, task_id=task.id, actor="auditor", data=data)
    assert set(refused.value.errors) == {"chapter_8", "chapter_9"}
    assert set(refused.value.errors["chapter_8"][1]) == {"finding", "cause"}


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
