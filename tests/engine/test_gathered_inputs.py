"""Inputs gathered: a process reads the records of other instances through the engine's declared queries."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select

from engine import clock
from engine.models import AuditEvent, ProcessDefinition, ProcessInstance
from engine.read import queries
from engine.read.task_context import context_of
from engine.services import instances
from tests.factories import complete, open_task

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)


def _record(db: Any, process_id: str, data: dict[str, Any], *, title: str, ended: datetime | None,
            status: str = "completed") -> int:
    """A finished (or running) instance of a shipped process holding these data, as an earlier year left it."""
    with db.transaction() as session:
        definition_id = session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.process_id == process_id))
        row = ProcessInstance(definition_id=definition_id, process_id=process_id, title=title, status=status,
                              state_json="{}", data=data, started_by="body", started_at=ended or NOW,
                              updated_at=ended or NOW, ended_at=ended)
        session.add(row)
        session.flush()
        return row.id


def _seed_the_year(db: Any) -> dict[str, int]:
    this_year, last_year = datetime(2026, 6, 1, tzinfo=timezone.utc), datetime(2025, 6, 1, tzinfo=timezone.utc)
    kiln = {"level": "enterprise", "object_name": "Plant", "base_year": 2024, "emissions": "1150000",
            "intensity": "0.62", "intensity_unit": "tCO2/t"}
    return {
        "audit": _record(db, "internal_audit", {"record_number": "IA-2026-01", "nonconformity_count": 3,
                                                 "overall_conclusion": "The system works."},
                         title="2026 internal audit", ended=this_year),
        "old_audit": _record(db, "internal_audit", {"overall_conclusion": "Old."}, title="2025 internal audit",
                             ended=last_year),
        "baseline": _record(db, "baseline_adjustment", {"baseline_record": {
            "adjusted": True, "baseline_in_force": [kiln], "effective_from": "2026-03-01"}},
            title="Kiln 3 baseline", ended=this_year),
        "accounting": _record(db, "emissions_accounting", {
            "reporting_year": 2025, "previous_year_emissions": "1128000", "results_analysis": "Down 0.3 %.",
            "accounting_results": {"enterprise": {"emissions": "1146262.8"}}}, title="2025 accounting",
            ended=this_year),
        "evaluation": _record(db, "compliance_reevaluation", {
            "conclusion": "Compliant but one gap.", "report_approved": True,
            "evaluations": [{"requirement": "MEE monitoring plan", "status": "noncompliant"}]},
            title="ETS rules", ended=this_year),
    }


def test_a_management_review_opens_with_its_inputs_drawn_from_the_years_records_and_linked_to_them(db):
    seeded = _seed_the_year(db)
    with clock.frozen_at(NOW), db.transaction() as session:
        review = instances.start(session, process_id="management_review", actor="body",
                                 data={"review_title": "2026 review", "review_period": "2026", "reason": ""}).id
    task = open_task(db, review, "gather_inputs")
    prefill = task.prefill or {}
    assert prefill["internal_audit_reference"] == f"#{seeded['audit']} 2026 internal audit"
    assert "The system works." in prefill["audit_results"] and "2025 internal audit" not in prefill["audit_results"]
    assert f"#{seeded['baseline']} Kiln 3 baseline" in prefill["objective_changes"]
    assert "1150000" in prefill["objective_changes"]
    assert "1146262.8" in prefill["performance_improvement"]
    assert prefill["compliance_evaluation_reference"] == f"#{seeded['evaluation']} ETS rules"
    assert "MEE monitoring plan" in prefill["compliance_results"]
    assert prefill["nonconformities_open"] == 0 and prefill["nonconformities_closed"] == 0
    assert prefill["previous_actions"].startswith("首次管理评审")  # no review was completed before
    with db.reading() as session:
        sources = {link["instance_id"] for link in queries.instance_links(session, review)
                   if link["kind"].startswith("input:")}
        context = context_of(session, open_task(db, review, "gather_inputs"))
        gathered = session.scalar(select(AuditEvent.data).where(AuditEvent.instance_id == review,
                                                                AuditEvent.action == "inputs_gathered"))
    assert sources == {seeded[k] for k in ("audit", "baseline", "accounting", "evaluation")}
    assert {s["instance_id"] for s in context.sources} == sources
    assert gathered["query"] == "management_review_inputs" and gathered["params"] == {"year": 2026}


def test_the_gathered_inputs_stay_editable_and_what_the_body_submits_is_kept(db):
    _seed_the_year(db)
    with clock.frozen_at(NOW), db.transaction() as session:
        review = instances.start(session, process_id="management_review", actor="body",
                                 data={"review_title": "2026 review", "review_period": "2026", "reason": ""}).id
    task = open_task(db, review, "gather_inputs")
    entered = {**(task.prefill or {}), "meeting_date": "2026-12-15", "audit_results": "Checked: three findings.",
               "policy_changes": "None.", "measure_changes": "None.", "context_changes": "None.",
               "source_changes": "None.", "risk_response_changes": "None.", "objective_achievement": "Met.",
               "resources": "Adequate.", "interested_party_feedback": "None."}
    complete(db, review, "gather_inputs", "body", entered)
    with db.reading() as session:
        assert queries.get_instance(session, review).data["audit_results"] == "Checked: three findings."


def test_a_baseline_adjustment_starts_from_the_baseline_in_force(db):
    seeded = _seed_the_year(db)
    with db.transaction() as session:
        adjustment = instances.start(session, process_id="baseline_adjustment", actor="body", data={
            "trigger": "emission_sources", "description": "Kiln 3 commissioned.", "detected_on": "2026-11-01",
            "source_reference": ""}).id
    prefill = open_task(db, adjustment, "assess_significance").prefill or {}
    assert prefill["old_baseline"][0]["emissions"] == "1150000"
    assert prefill["old_baseline_reference"] == f"#{seeded['baseline']} Kiln 3 baseline"


def test_without_a_baseline_in_force_the_assessment_starts_empty(db):
    with db.transaction() as session:
        adjustment = instances.start(session, process_id="baseline_adjustment", actor="body", data={
            "trigger": "emission_sources", "description": "Kiln 3 commissioned.", "detected_on": "2026-11-01",
            "source_reference": ""}).id
    prefill = open_task(db, adjustment, "assess_significance").prefill or {}
    assert "old_baseline" not in prefill
