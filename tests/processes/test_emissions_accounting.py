"""The yearly emissions accounting (guideline 6.1.1-6.1.5, 8.1.1-8.1.3) driven through the services."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from engine.errors import InvalidFormData, NotPermitted
from engine.models import StartSchedule
from engine.read import queries
from engine.services import instances, schedules, tasks
from tests.factories import (
    PLANT_TZ,
    complete,
    complete_task,
    instance,
    open_task,
    open_task_names,
    open_tasks,
)

LAST_YEAR = date.today().year - 1
QUALITY_STEMS = ["equipment", "boundary", "measurement", "calibration", "frequency", "missing_data", "procedures"]


def scope(**overrides: Any) -> dict[str, Any]:
    """Start data: last year's accounting of a cement plant's production and energy departments."""
    return {"reporting_year": LAST_YEAR, "departments": ["production", "energy"],
            "boundary_sources": ["fuel_combustion", "industrial_process", "purchased_electricity"],
            "accounting_standard": "gb_t_32151_8", "quality_plan_reference": "QC-PLAN-2026 v2",
            "accounting_lead": "staff_prod", "yoy_threshold_percent": "20",
            "previous_year_emissions": "6200", "previous_year_intensity": "1.6", **overrides}


def source(**overrides: Any) -> dict[str, Any]:
    """Kiln 2's coal: 1000 t at 2.5 tCO2/t, last year 980 t."""
    return {"process_name": "Clinker burning", "equipment_name": "Kiln 2", "equipment_model": "4.8x74m",
            "equipment_type": "industrial_kiln", "location": "Line 2", "source_type": "fuel_combustion",
            "fuel_or_material": "Bituminous coal", "quantity": "1000", "unit": "t", "emission_factor": "2.5",
            "factor_source": "GB/T 32151.8 default", "meter": "Belt scale BS-02 (class 0.5)",
            "meter_last_calibrated": "2026-03-01", "data_source": "measured", "missing_data_handling": "",
            "recording_frequency": "continuous", "previous_year_quantity": "980", **overrides}


def production_data(**coal: Any) -> dict[str, Any]:
    """Production: Kiln 2 burns coal and calcines raw meal (3500 t) for 4000 t of clinker."""
    return {"sources": [source(**coal),
                        source(source_type="industrial_process", fuel_or_material="Raw meal", quantity="2000",
                               emission_factor="0.5", previous_year_quantity="2000")],
            "production": [{"process_name": "Clinker burning", "product": "Clinker", "output": "4000",
                            "unit": "t", "counts_for_enterprise": True}],
            "operating_parameters": "Kiln feed, burner temperature",
            "other_parameters": [{"parameter": "Carbonate content of raw meal", "process_name": "Clinker burning",
                                  "value": "0.78", "unit": "t/t", "method": "Monthly lab analysis"}],
            "records_location": "Production ledger 2026"}


def energy_data(quantity: str = "5000", **overrides: Any) -> dict[str, Any]:
    """Energy: the substation draws 5000 MWh from the grid at 0.5703 tCO2/MWh (2851.5 t) and distributes it."""
    return {"sources": [source(process_name="Power distribution", equipment_name="Main substation",
                               equipment_type="high_power_electrical", location="Substation 1",
                               source_type="purchased_electricity", fuel_or_material="", quantity=quantity,
                               unit="MWh", emission_factor="0.5703", factor_source="National grid factor",
                               meter="Revenue meter E-01", previous_year_quantity="5100")],
            "production": [{"process_name": "Power distribution", "product": "Electricity distributed",
                            "output": "5000", "unit": "MWh", "counts_for_enterprise": False}],
            "operating_parameters": "", "records_location": "Energy ledger 2026", **overrides}


def quality_check(**failures: str) -> dict[str, Any]:
    """Every 8.1.3 item passes except those given, whose value is the failure note."""
    data: dict[str, Any] = {"missing_data_summary": "No missing data.", "check_comment": ""}
    for stem in QUALITY_STEMS:
        data[f"{stem}_ok"] = stem not in failures
        data[f"{stem}_note"] = failures.get(stem, "")
    return data


def report(**overrides: Any) -> dict[str, Any]:
    return {"survey_method": "Ledger review and site survey", "data_acquisition": "Meters and invoices",
            "enterprise_info": "Cement plant, 2 lines", "main_products": "Clinker, cement",
            "production_processes": "Raw meal, clinker burning, grinding", "organisation_structure": "See ORG-01",
            "site_layout_reference": "MAP-01", "process_flow_reference": "FLOW-01",
            "results_analysis": "Intensity down 0.8% on 2025.", "footprint_and_sinks": "",
            "factor_operation_stability": "Two kiln stops in May", "factor_process_technology": "NSP line",
            "factor_equipment_efficiency": "Fan efficiency low", "factor_staff_competence": "Adequate",
            "factor_other": "", "direction_clean_energy": "Rooftop PV",
            "direction_low_carbon_materials": "Calcium carbide slag", "direction_efficient_equipment": "VFD fans",
            "direction_process_improvement": "Waste heat recovery", "direction_product_innovation": "Low-clinker cement",
            "direction_staff_suggestions": "12 suggestions adopted", "direction_other": "",
            "supply_chain_observations": "", "baseline_change": "none", "baseline_change_description": "",
            **overrides}


def review(decision: str = "forward", **overrides: Any) -> dict[str, Any]:
    return {"decision": decision, "departments_to_recollect": [], "review_comment": "Checked.", **overrides}


def approval(approved: bool = True) -> dict[str, Any]:
    return {"approved": approved, "approval_comment": "Approved." if approved else "Explain the fan losses."}


def start(db, actor: str = "body", **overrides: Any) -> int:
    with db.transaction() as session:
        return instances.start(session, process_id="emissions_accounting", actor=actor,
                               business_key="EA-2026", data=scope(**overrides)).id


def collect(db, ea: int, energy: dict[str, Any] | None = None, **coal: Any) -> None:
    """Each department's staff report their data (energy first: order must not matter)."""
    by_department = {t.candidate_department: t for t in open_tasks(db, ea, "collect_activity_data")}
    complete_task(db, by_department["energy"].id, "staff_energy", energy or energy_data())
    complete_task(db, by_department["production"].id, "staff_prod", production_data(**coal))


def through_quality_check(db, ea: int, **coal: Any) -> None:
    collect(db, ea, **coal)
    complete(db, ea, "check_data_quality", "body", quality_check())


def through_review(db, ea: int, compiler: str = "staff_prod", **report_overrides: Any) -> None:
    complete(db, ea, "compile_report", compiler, report(**report_overrides))
    complete(db, ea, "review_report", "body2", review())


def test_report_accounts_emissions_and_intensity_per_enterprise_process_and_equipment(db):
    ea = start(db)
    collection = open_tasks(db, ea, "collect_activity_data")
    assert sorted((t.role, t.candidate_department) for t in collection) == [
        ("carbon_staff", "energy"), ("carbon_staff", "production")]
    through_quality_check(db, ea)
    assert open_task_names(db, ea) == ["compile_report"]
    assert open_task(db, ea, "compile_report").assignee == "staff_prod"
    through_review(db, ea)
    complete(db, ea, "approve_report", "gm", approval())

    done = instance(db, ea)
    assert done.status == "completed"
    results = done.data["survey_report"]["results"]
    assert results["enterprise"] == {
        "emissions": "6351.500", "output": "4000", "output_unit": "t", "intensity": "1.587875",
        "intensity_unit": "tCO2/t", "previous_emissions": "6200", "previous_intensity": "1.6",
        "emissions_change_percent": "2.44", "intensity_change_percent": "-0.76"}
    assert results["by_source_type"] == {"fuel_combustion": "2500.000", "industrial_process": "1000.000",
                                         "purchased_electricity": "2851.500"}
    assert [(p["process"], p["emissions"], p["intensity"]) for p in results["processes"]] == [
        ("Clinker burning", "3500.000", "0.875000"), ("Power distribution", "2851.500", "0.570300")]
    assert [(e["equipment"], e["emissions"], e["intensity"], e["share_percent"]) for e in results["equipment"]] == [
        ("Kiln 2", "3500.000", "0.875000", "55.11"), ("Main substation", "2851.500", "0.570300", "44.89")]
    assert results["measured_share_percent"] == "100.00"
    assert results["outside_boundary"] == []
    record = done.data["survey_report"]
    assert record["reporting_year"] == LAST_YEAR and record["abnormal_data"] == []
    assert record["activity_data"]["production"]["other_parameters"][0]["parameter"] == \
        "Carbonate content of raw meal"
    assert record["influencing_factors"]["equipment_efficiency"] == "Fan efficiency low"
    assert record["improvement_directions"]["staff_suggestions"] == "12 suggestions adopted"
    assert record["data_quality_check"]["calibration"] == {"passed": True, "note": ""}
    assert done.data["report_status"] == "approved"
    with db.reading() as session:
        assert queries.instance_links(session, ea) == []  # the baseline stands: nothing raised


def test_only_carbon_body_or_carbon_staff_may_start_the_accounting(db):
    with db.transaction() as session, pytest.raises(NotPermitted, match="carbon_body or carbon_staff"):
        instances.start(session, process_id="emissions_accounting", actor="head_prod", data=scope())
    assert instance(db, start(db, actor="staff_energy")).status == "running"


def test_department_data_is_collected_by_staff_of_that_department_only(db):
    ea = start(db)
    production = next(t for t in open_tasks(db, ea, "collect_activity_data") if t.candidate_department == "production")
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=production.id, actor="staff_energy", data=production_data())
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=production.id, actor="body", data=production_data())


def test_estimated_activity_data_must_say_how_missing_data_was_handled(db):
    ea = start(db)
    production = next(t for t in open_tasks(db, ea, "collect_activity_data") if t.candidate_department == "production")
    with db.transaction() as session, pytest.raises(InvalidFormData, match="missing_data_handling"):
        tasks.complete(session, task_id=production.id, actor="staff_prod",
                       data=production_data(data_source="estimated"))


def test_failed_quality_item_needs_a_note_and_only_the_carbon_body_checks(db):
    ea = start(db)
    collect(db, ea)
    check = open_task(db, ea, "check_data_quality")
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=check.id, actor="staff_prod", data=quality_check())
    failed_without_note = {**quality_check(), "calibration_ok": False}
    with db.transaction() as session, pytest.raises(InvalidFormData, match="calibration_note"):
        tasks.complete(session, task_id=check.id, actor="body", data=failed_without_note)


def test_abnormal_change_is_explained_by_the_department_before_the_report_goes_on(db):
    ea = start(db)
    through_quality_check(db, ea, previous_year_quantity="700")  # coal up 42.86 % on last year

    flagged = open_task(db, ea, "explain_abnormal")
    assert (flagged.candidate_department, flagged.priority) == ("production", 1)
    assert instance(db, ea).data["open_flags"][0]["reason_en"] == \
        "Kiln 2: activity data changed 42.86% on last year"
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=flagged.id, actor="staff_energy", data={})
    # Not explained yet: the same value comes back until it is.
    complete(db, ea, "explain_abnormal", "staff_prod", {
        "cause": "Checking the coal ledger", "resolution": "pending", "corrected_quantity": None,
        "explanation": "Awaiting the supplier statement."})
    assert open_task_names(db, ea) == ["explain_abnormal"]
    complete(db, ea, "explain_abnormal", "staff_prod", {
        "cause": "Kiln 2 ran 4 more months after the 2025 overhaul", "resolution": "explained",
        "corrected_quantity": None, "explanation": "Run hours in the DCS log."})
    assert open_task_names(db, ea) == ["compile_report"]

    data = instance(db, ea).data
    records = data["abnormal_records"]
    assert [(r["resolution"], r["flag"]["kind"], r["flag"]["value"]) for r in records] == [
        ("pending", "activity_change", "1000"), ("explained", "activity_change", "1000")]
    assert data["analysis_rounds"] == 3


def test_corrected_value_replaces_the_reported_one_and_is_accounted_again(db):
    ea = start(db)
    through_quality_check(db, ea, previous_year_quantity="700")
    complete(db, ea, "explain_abnormal", "staff_prod", {
        "cause": "Typo: 1000 for 720", "resolution": "corrected", "corrected_quantity": "720",
        "explanation": "Weighbridge tickets."})

    assert open_task_names(db, ea) == ["compile_report"]
    data = instance(db, ea).data
    coal = data["department_data"]["production"]["sources"][0]
    assert (coal["quantity"], coal["reported_quantity"]) == ("720", "1000")
    assert data["accounting_results"]["enterprise"]["emissions"] == "5651.500"
    assert data["open_flags"] == []


def test_failed_quality_items_and_enterprise_changes_go_to_the_accounting_lead(db):
    ea = start(db, accounting_lead="staff_energy", previous_year_emissions="4000")  # +58.79 %
    collect(db, ea)
    complete(db, ea, "check_data_quality", "body", quality_check(calibration="Meter E-01 overdue since May"))

    flagged = open_tasks(db, ea, "explain_abnormal")
    assert [t.assignee for t in flagged] == ["staff_energy", "staff_energy"]
    reasons = sorted(f["kind"] for f in instance(db, ea).data["open_flags"])
    assert reasons == ["enterprise_emissions_change", "quality_check"]
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=flagged[0].id, actor="staff_prod", data={})
    for task in reversed(flagged):
        complete_task(db, task.id, "staff_energy", {
            "cause": "Known", "resolution": "explained", "corrected_quantity": None,
            "explanation": "Calibrated in June; Line 2 started in 2026."})
    assert open_task_names(db, ea) == ["compile_report"]
    assert open_task(db, ea, "compile_report").assignee == "staff_energy"


def test_carbon_body_sends_data_back_to_the_named_department_only(db):
    ea = start(db)
    through_quality_check(db, ea)
    complete(db, ea, "compile_report", "staff_prod", report())
    complete(db, ea, "review_report", "body", review("recollect_data", departments_to_recollect=["energy"],
                                                         review_comment="Use the revenue meter reading."))

    again = open_tasks(db, ea, "collect_activity_data")
    assert [t.candidate_department for t in again] == ["energy"]
    complete_task(db, again[0].id, "staff_energy", energy_data(quantity="4800"))
    complete(db, ea, "check_data_quality", "body2", quality_check())
    through_review(db, ea)
    complete(db, ea, "approve_report", "gm", approval())

    done = instance(db, ea)
    assert done.status == "completed"
    assert done.data["collection_rounds"] == 2
    assert done.data["department_data"]["energy"]["sources"][0]["quantity"] == "4800"
    assert done.data["department_data"]["production"]["sources"][0]["quantity"] == "1000"
    assert done.data["survey_report"]["results"]["enterprise"]["emissions"] == "6237.440"


def test_report_sent_back_by_the_body_and_by_top_management_is_compiled_again(db):
    ea = start(db)
    through_quality_check(db, ea)
    complete(db, ea, "compile_report", "staff_prod", report())
    complete(db, ea, "review_report", "body2", review("revise_report", review_comment="Add the kiln stops."))
    assert open_task_names(db, ea) == ["compile_report"]
    through_review(db, ea)
    approve = open_task(db, ea, "approve_report")
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=approve.id, actor="body", data=approval())
    complete(db, ea, "approve_report", "gm", approval(False))
    assert open_task_names(db, ea) == ["compile_report"]
    through_review(db, ea, results_analysis="Fan losses explained.")
    complete(db, ea, "approve_report", "gm", approval())

    done = instance(db, ea)
    assert done.status == "completed"
    assert done.data["survey_report"]["results_analysis"] == "Fan losses explained."


def test_whoever_compiled_the_report_may_not_review_it(db):
    ea = start(db, accounting_lead="body")
    through_quality_check(db, ea)
    complete(db, ea, "compile_report", "body", report())
    review_task = open_task(db, ea, "review_report")
    assert review_task.excluded_users == ["body"]
    with db.transaction() as session, pytest.raises(NotPermitted, match="segregation of duties"):
        tasks.complete(session, task_id=review_task.id, actor="body", data=review())
    complete(db, ea, "review_report", "body2", review())
    assert open_task_names(db, ea) == ["approve_report"]


def test_yearly_schedule_starts_the_previous_year_and_the_carbon_body_confirms_the_scope(db):
    with db.reading() as session:
        due = session.query(StartSchedule).filter_by(process_id="emissions_accounting").one().next_run_at
    assert due.astimezone(PLANT_TZ).strftime("%m-%d %H:%M") == "01-15 09:00"

    started = schedules.start_due(db, due + timedelta(minutes=5))
    ea = next(i for i in started if instance(db, i).process_id == "emissions_accounting")
    data = instance(db, ea).data
    assert data["scheduled_for"] == due.astimezone(PLANT_TZ).isoformat()
    assert data["reporting_year"] == due.astimezone(PLANT_TZ).year - 1
    assert data["departments"] == ["production", "energy"]
    assert open_task_names(db, ea) == ["confirm_scope"]
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=open_task(db, ea, "confirm_scope").id, actor="staff_prod",
                       data=scope(reporting_year=data["reporting_year"]))

    complete(db, ea, "confirm_scope", "body", scope(reporting_year=data["reporting_year"], departments=["energy"]))
    assert [t.candidate_department for t in open_tasks(db, ea, "collect_activity_data")] == ["energy"]


def test_baseline_change_found_in_the_approved_report_starts_a_linked_baseline_adjustment(db):
    ea = start(db)
    through_quality_check(db, ea)
    through_review(db, ea, baseline_change="emission_sources",
                   baseline_change_description="Line 2 switched from coal to natural gas.")
    with db.reading() as session:
        assert queries.instance_links(session, ea) == []  # not before top management approves
    complete(db, ea, "approve_report", "gm", approval())

    with db.reading() as session:
        links = queries.instance_links(session, ea)
    assert [(link["direction"], link["kind"], link["process_id"]) for link in links] == [
        ("out", "baseline_change_detected", "baseline_adjustment")]
    adjustment = instance(db, links[0]["instance_id"])
    assert adjustment.data["trigger"] == "emission_sources"
    assert adjustment.data["description"] == "Line 2 switched from coal to natural gas."
    assert adjustment.data["source_reference"].startswith(str(LAST_YEAR))
    assert open_task_names(db, adjustment.id) == ["assess_significance"]
    with db.reading() as session:
        assert [link["instance_id"] for link in queries.instance_links(session, adjustment.id)] == [ea]


def explanation(resolution: str = "explained", **overrides: Any) -> dict[str, Any]:
    return {"cause": "Known", "resolution": resolution, "corrected_quantity": None, "corrected_unit": "",
            "boundary_treatment": None, "explanation": "See the ledger.", **overrides}


def test_process_step_without_output_is_flagged_and_its_missing_intensity_explained(db):
    ea = start(db)
    compressed_air_only = energy_data(production=[{
        "process_name": "Compressed air", "product": "Compressed air", "output": "1000", "unit": "km3",
        "counts_for_enterprise": False}])
    collect(db, ea, energy=compressed_air_only)
    complete(db, ea, "check_data_quality", "body", quality_check())

    flagged = open_task(db, ea, "explain_abnormal")
    assert flagged.candidate_department == "energy"
    [flag] = instance(db, ea).data["open_flags"]
    assert (flag["kind"], flag["process"]) == ("process_output_missing", "Power distribution")
    assert flag["reason_en"] == ("Process step Power distribution has no output: its process and equipment "
                                 "intensity cannot be computed")
    complete(db, ea, "explain_abnormal", "staff_energy", explanation(
        explanation="Power distribution serves every line: it has no product of its own."))

    assert open_task_names(db, ea) == ["compile_report"]
    results = instance(db, ea).data["accounting_results"]
    power = next(p for p in results["processes"] if p["process"] == "Power distribution")
    substation = next(e for e in results["equipment"] if e["equipment"] == "Main substation")
    assert (power["intensity"], power["intensity_note"]) == (
        None, "Power distribution serves every line: it has no product of its own.")
    assert substation["intensity_note"] == power["intensity_note"]


def test_output_given_for_a_process_step_without_one_gives_it_an_intensity(db):
    ea = start(db)
    collect(db, ea, energy=energy_data(production=[{
        "process_name": "Compressed air", "product": "Compressed air", "output": "1000", "unit": "km3",
        "counts_for_enterprise": False}]))
    complete(db, ea, "check_data_quality", "body", quality_check())
    complete(db, ea, "explain_abnormal", "staff_energy", explanation(
        "corrected", corrected_quantity="5000", corrected_unit="MWh", explanation="Distributed per meter E-01."))

    assert open_task_names(db, ea) == ["compile_report"]
    results = instance(db, ea).data["accounting_results"]
    power = next(p for p in results["processes"] if p["process"] == "Power distribution")
    assert (power["output"], power["intensity"], power["intensity_unit"]) == ("5000", "0.570300", "tCO2/MWh")
    assert results["enterprise"]["output"] == "4000"  # the added output is not enterprise output


@pytest.mark.parametrize(("treatment", "emissions", "kept"), [
    ("exclude", "3500.000", "exclude"), (None, "3500.000", "exclude"), ("include", "6351.500", "include")])
def test_source_outside_the_boundary_counts_only_when_its_explanation_includes_it(db, treatment, emissions, kept):
    ea = start(db, boundary_sources=["fuel_combustion", "industrial_process"], previous_year_emissions=None,
               previous_year_intensity=None)
    through_quality_check(db, ea)

    [flag] = instance(db, ea).data["open_flags"]
    assert (flag["kind"], flag["equipment"]) == ("outside_boundary", "Main substation")
    assert instance(db, ea).data["accounting_results"]["enterprise"]["emissions"] == "3500.000"
    complete(db, ea, "explain_abnormal", "staff_energy", explanation(
        boundary_treatment=treatment, explanation="Grid power is reported by the group, not by the plant."))

    assert open_task_names(db, ea) == ["compile_report"]
    results = instance(db, ea).data["accounting_results"]
    assert results["enterprise"]["emissions"] == emissions
    assert [(row["equipment"], row["treatment"]) for row in results["outside_boundary"]] == [("Main substation", kept)]
    assert ("purchased_electricity" in results["by_source_type"]) is (kept == "include")


@pytest.mark.parametrize("years_ago", [-1, 11])
def test_a_reporting_year_in_the_future_or_more_than_ten_years_back_is_refused(db, years_ago):
    with db.transaction() as session, pytest.raises(InvalidFormData, match="reporting_year"):
        instances.start(session, process_id="emissions_accounting", actor="body",
                        data=scope(reporting_year=date.today().year - years_ago))


def test_a_reporting_year_ten_years_back_or_this_year_is_accepted(db):
    assert instance(db, start(db, reporting_year=date.today().year - 10)).status == "running"
    assert instance(db, start(db, reporting_year=date.today().year)).status == "running"


def test_whoever_reviewed_the_report_may_not_approve_it(db):
    ea = start(db)
    through_quality_check(db, ea)
    complete(db, ea, "compile_report", "staff_prod", report())
    complete(db, ea, "review_report", "gm", review())  # gm sits in the carbon body and in top management

    approve = open_task(db, ea, "approve_report")
    assert approve.excluded_users == ["gm", "staff_prod"]
    with db.transaction() as session, pytest.raises(NotPermitted, match="segregation of duties"):
        tasks.complete(session, task_id=approve.id, actor="gm", data=approval())
    assert open_task_names(db, ea) == ["approve_report"]
