"""The baseline adjustment (guideline 6.3.1-6.3.3) driven through the services."""
from __future__ import annotations

from typing import Any

import pytest

from engine.errors import InvalidFormData, NotPermitted
from engine.services import instances, messages, tasks
from tests.factories import complete, days_ahead, instance, open_task, open_task_names


def change(**overrides: Any) -> dict[str, Any]:
    return {"trigger": "boundary_or_structure", "description": "Line 3 (grinding) added to the plant.",
            "detected_on": days_ahead(0), "source_reference": "", **overrides}


def row(level: str, name: str, emissions: str, intensity: str, base_year: int = 2020) -> dict[str, Any]:
    return {"level": level, "object_name": name, "base_year": base_year, "emissions": emissions,
            "intensity": intensity, "intensity_unit": "tCO2/t"}


OLD_BASELINE = [row("enterprise", "Plant", "6000", "1.500"), row("process", "Clinker burning", "3400", "0.850"),
                row("equipment", "Kiln 2", "3400", "0.850")]


def assessment(significant: bool = True, **overrides: Any) -> dict[str, Any]:
    return {"changed_aspects": ["physical_boundary", "equipment"], "old_baseline": OLD_BASELINE,
            "old_baseline_reference": "BL-2021-01", "estimated_impact_percent": "12.5",
            "significant": significant, "assessment_rationale": "Line 3 adds 12.5% to base-year emissions.",
            **overrides}


def recalculation(enterprise_emissions: str = "6750", **overrides: Any) -> dict[str, Any]:
    return {"new_baseline": [row("enterprise", "Plant", enterprise_emissions, "1.520", 2024),
                             row("process", "Clinker burning", "3400", "0.850", 2024),
                             row("process", "Cement grinding", "750", "0.060", 2024),
                             row("equipment", "Kiln 2", "3400", "0.850", 2024)],
            "levels_not_applicable": [],
            "recalculation_method": "GB/T 32151.8, 2024 data with Line 3 included",
            "adjustments_made": "Line 3 added at process level", "data_sources": "2024 ledgers",
            "effective_from": days_ahead(30), **overrides}


def decision(approved: bool = True) -> dict[str, Any]:
    return {"approved": approved, "approval_comment": "Agreed." if approved else "Use 2024 grinding data."}


def start(db, actor: str = "body", **overrides: Any) -> int:
    with db.transaction() as session:
        return instances.start(session, process_id="baseline_adjustment", actor=actor,
                               business_key="BL-2027-01", data=change(**overrides)).id


def test_significant_change_is_recalculated_approved_and_keeps_old_and_new_baseline(db):
    bl = start(db)
    assert instance(db, bl).data["trigger_clause"] == "6.3.2a"
    complete(db, bl, "assess_significance", "body", assessment())
    assert open_task(db, bl, "recalculate_baseline").role == "carbon_staff"
    complete(db, bl, "recalculate_baseline", "staff_prod", recalculation())
    complete(db, bl, "approve_baseline", "gm", decision())

    done = instance(db, bl)
    assert done.status == "completed"
    record = done.data["baseline_record"]
    assert record["adjusted"] is True
    assert record["old_baseline"] == OLD_BASELINE
    assert record["new_baseline"] == recalculation()["new_baseline"]
    assert record["baseline_in_force"] == record["new_baseline"]
    assert [(c["object_name"], c["old_base_year"], c["new_base_year"], c["emissions_change_percent"])
            for c in record["comparison"]] == [("Plant", 2020, 2024, "12.50"), ("Clinker burning", 2020, 2024, "0.00"),
                                               ("Cement grinding", None, 2024, None), ("Kiln 2", 2020, 2024, "0.00")]
    assert (record["trigger"], record["trigger_clause"]) == ("boundary_or_structure", "6.3.2a")
    assert done.data["old_baseline"] == OLD_BASELINE and "new_baseline" in done.data


def test_change_judged_not_significant_is_recorded_and_the_baseline_stands(db):
    bl = start(db, trigger="other")
    complete(db, bl, "assess_significance", "body2", assessment(significant=False, estimated_impact_percent="1.2"))

    done = instance(db, bl)
    assert done.status == "completed"
    record = done.data["baseline_record"]
    assert (record["adjusted"], record["trigger_clause"]) == (False, "6.3.2c")
    assert record["baseline_in_force"] == OLD_BASELINE
    assert record["estimated_impact_percent"] == "1.2"
    assert "new_baseline" not in done.data


def test_top_management_sends_the_recalculation_back_and_every_proposal_is_kept(db):
    bl = start(db)
    complete(db, bl, "assess_significance", "body", assessment())
    complete(db, bl, "recalculate_baseline", "staff_prod", recalculation("6900"))
    complete(db, bl, "approve_baseline", "gm", decision(False))
    assert open_task_names(db, bl) == ["recalculate_baseline"]
    complete(db, bl, "recalculate_baseline", "staff_energy", recalculation("6750"))
    complete(db, bl, "approve_baseline", "gm", decision())

    record = instance(db, bl).data["baseline_record"]
    assert [(p["round"], p["approved"], p["new_baseline"][0]["emissions"]) for p in record["proposals"]] == [
        (1, False, "6900"), (2, True, "6750")]
    assert record["new_baseline"][0]["emissions"] == "6750"


def test_a_baseline_change_message_starts_the_adjustment_with_its_data(db):
    with db.transaction() as session:
        delivery = messages.send_message(session, name="baseline_change_detected", actor="staff_prod", payload=change(
            trigger="emission_sources", description="Coal replaced by natural gas on Line 2.",
            source_reference="2026 emissions survey report"))
    assert len(delivery.started) == 1
    started = instance(db, delivery.started[0])
    assert started.process_id == "baseline_adjustment"
    assert (started.data["trigger"], started.data["trigger_clause"]) == ("emission_sources", "6.3.2b")
    assert started.data["source_reference"] == "2026 emissions survey report"
    assert open_task_names(db, started.id) == ["assess_significance"]


def test_a_baseline_change_message_with_an_unknown_trigger_is_refused(db):
    with db.transaction() as session, pytest.raises(InvalidFormData, match="trigger"):
        messages.send_message(session, name="baseline_change_detected", actor="staff_prod",
                              payload=change(trigger="weather"))


def test_baselines_must_name_the_enterprise_level_and_each_object_once(db):
    bl = start(db)
    task = open_task(db, bl, "assess_significance")
    no_enterprise = assessment(old_baseline=[row("process", "Clinker burning", "3400", "0.850")])
    with db.transaction() as session, pytest.raises(InvalidFormData, match="old_baseline"):
        tasks.complete(session, task_id=task.id, actor="body", data=no_enterprise)
    twice = assessment(old_baseline=[*OLD_BASELINE, row("equipment", "Kiln 2", "1", "1")])
    with db.transaction() as session, pytest.raises(InvalidFormData, match="old_baseline"):
        tasks.complete(session, task_id=task.id, actor="body", data=twice)


def test_each_step_is_refused_to_the_wrong_role(db):
    with db.transaction() as session, pytest.raises(NotPermitted, match="carbon_body"):
        instances.start(session, process_id="baseline_adjustment", actor="staff_prod", data=change())
    bl = start(db)
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=open_task(db, bl, "assess_significance").id, actor="head_prod",
                       data=assessment())
    complete(db, bl, "assess_significance", "body", assessment())
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=open_task(db, bl, "recalculate_baseline").id, actor="body",
                       data=recalculation())
    complete(db, bl, "recalculate_baseline", "staff_prod", recalculation())
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=open_task(db, bl, "approve_baseline").id, actor="body2", data=decision())


def test_recalculated_baseline_covers_every_level_or_says_why_a_level_does_not_apply(db):
    bl = start(db)
    complete(db, bl, "assess_significance", "body", assessment())
    task = open_task(db, bl, "recalculate_baseline")
    enterprise_and_process = recalculation()["new_baseline"][:3]
    with db.transaction() as session, pytest.raises(InvalidFormData, match="new_baseline"):
        tasks.complete(session, task_id=task.id, actor="staff_prod",
                       data=recalculation(new_baseline=enterprise_and_process))
    declared_and_given = recalculation(levels_not_applicable=[{"level": "process", "reason": "One line only."}])
    with db.transaction() as session, pytest.raises(InvalidFormData, match="levels_not_applicable"):
        tasks.complete(session, task_id=task.id, actor="staff_prod", data=declared_and_given)

    no_equipment_level = recalculation(new_baseline=enterprise_and_process, levels_not_applicable=[
        {"level": "equipment", "reason": "Grinding equipment is not metered separately until 2028."}])
    complete(db, bl, "recalculate_baseline", "staff_prod", no_equipment_level)
    complete(db, bl, "approve_baseline", "gm", decision())
    record = instance(db, bl).data["baseline_record"]
    assert {r["level"] for r in record["new_baseline"]} == {"enterprise", "process"}
    assert record["levels_not_applicable"] == [
        {"level": "equipment", "reason": "Grinding equipment is not metered separately until 2028."}]


def test_whoever_assessed_the_significance_may_not_approve_the_adjustment(db):
    bl = start(db, actor="gm")
    complete(db, bl, "assess_significance", "gm", assessment())  # gm sits in the carbon body too
    complete(db, bl, "recalculate_baseline", "staff_prod", recalculation())

    approve = open_task(db, bl, "approve_baseline")
    assert approve.excluded_users == ["gm"]
    with db.transaction() as session, pytest.raises(NotPermitted, match="segregation of duties"):
        tasks.complete(session, task_id=approve.id, actor="gm", data=decision())
    assert open_task_names(db, bl) == ["approve_baseline"]
