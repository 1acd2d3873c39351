"""Carbon assets and compliance surrender (guideline 8.5.1 a-e, 8.5.2 a-c, 7.2d) driven through the services."""
from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

import pytest

from engine.errors import InvalidFormData, NotPermitted
from engine.models import StartSchedule
from engine.services import instances, schedules, tasks
from tests.factories import complete, days_ahead, instance, open_task, open_task_names

PROCESS = "carbon_asset_compliance"
SHANGHAI = timezone(timedelta(hours=8))

INVENTORY = {
    "assets": [
        {"asset_type": "allowance", "description": "2026 free allocation", "status": "held",
         "quantity": "1000000", "unit": "tCO2e", "vintage": 2026, "registry_account": "CEA-3301-0042"},
        {"asset_type": "ccer", "description": "Waste heat power CCER", "status": "held",
         "quantity": "20000", "unit": "tCO2e", "vintage": 2025, "registry_account": ""},
        {"asset_type": "green_certificate", "description": "Rooftop PV", "status": "under_development",
         "quantity": "3500", "unit": "MWh", "vintage": 2026, "registry_account": ""},
    ],
    "development_opportunities": "Register the kiln 3 waste heat plant as a CCER project.",
    "inventory_date": days_ahead(0),
}
APPROVE = {"approved": True, "funding_approved": "800000", "comments": ""}
CONFIRM = {"compliance_complete": True, "funds_use_reviewed": True, "findings": "Registry shows full surrender."}


def owner_data(owner: str = "staff_energy", **overrides: Any) -> dict[str, Any]:
    return {"compliance_year": 2026, "owner": owner, "owner_department": "energy",
            "duties": "Energy department manages the registry account and the surrender.",
            "procedure_reference": "CF-PR-8.5-01", "surrender_deadline": days_ahead(60), **overrides}


def plan(**overrides: Any) -> dict[str, Any]:
    """Verified 1,030,000 t: surrender 1,010,000 allowances (10,000 bought) and offset 20,000 CCER."""
    return {"verified_emissions": "1030000", "verification_report": "VR-2026-118",
            "allowances_to_surrender": "1010000", "ccer_to_surrender": "20000", "offset_within_limit": True,
            "price_watch": [{"observed_on": days_ahead(-7), "asset_type": "allowance", "price": "96.50",
                             "market": "Shanghai Environment and Energy Exchange"}],
            "trades": [{"direction": "buy", "asset_type": "allowance", "quantity": "10000", "price_limit": "100",
                        "window": "Before the October price peak", "market": "SEEE"}],
            "cost_strategy": "Buy in the summer dip; offset the CCER cap in full.",
            "funding_required": "1000000", "funding_source": "2027 carbon trading budget", **overrides}


def record(**overrides: Any) -> dict[str, Any]:
    return {"trades_made": [{"direction": "buy", "asset_type": "allowance", "quantity": "10000", "price": "94.20",
                             "traded_on": days_ahead(-5), "market": "SEEE"}],
            "allowances_surrendered": "1010000", "ccer_surrendered": "20000", "surrendered_on": days_ahead(0),
            "registry_reference": "NETS-2026-3301-0042", "actual_cost": "942000", "notes": "", **overrides}


def start_compliance(db, actor: str = "body", **overrides: Any) -> int:
    with db.transaction() as session:
        return instances.start(session, process_id=PROCESS, actor=actor, data=owner_data(**overrides)).id


def planned(db, owner: str = "staff_energy") -> int:
    iid = start_compliance(db, owner=owner)
    complete(db, iid, "inventory_assets", owner, INVENTORY)
    complete(db, iid, "plan_surrender", owner, plan())
    return iid


def test_surrender_runs_from_stocktaking_to_confirmed_compliance(db):
    iid = start_compliance(db)
    complete(db, iid, "inventory_assets", "staff_energy", INVENTORY)
    held = instance(db, iid).data
    assert (held["allowances_held"], held["ccer_held"]) == ("1000000", "20000")
    complete(db, iid, "plan_surrender", "staff_energy", plan())
    balance = instance(db, iid).data
    assert (balance["allowance_balance_after"], balance["ccer_balance_after"], balance["plan_balances"]) == (
        "0", "0", True)
    assert open_task(db, iid, "approve_plan").role == "top_management"
    complete(db, iid, "approve_plan", "gm", APPROVE)
    surrender = open_task(db, iid, "record_surrender")
    assert surrender.assignee == "staff_energy" and surrender.priority == 1
    assert surrender.due_at.astimezone(SHANGHAI).date().isoformat() == days_ahead(60)
    complete(db, iid, "record_surrender", "staff_energy", record())
    complete(db, iid, "confirm_compliance", "body", CONFIRM)

    done = instance(db, iid)
    assert done.status == "completed"
    assert done.data["registry_reference"] == "NETS-2026-3301-0042"
    assert done.data["funding_approved"] == "800000"


def test_top_management_sends_the_plan_back_to_the_owner_for_revision(db):
    iid = planned(db)
    complete(db, iid, "approve_plan", "gm",
             {"approved": False, "funding_approved": "0", "comments": "Wait for the summer dip before buying."})

    revise = open_task(db, iid, "plan_surrender")
    assert revise.assignee == "staff_energy"
    complete(db, iid, "plan_surrender", "staff_energy", plan(cost_strategy="Buy in July below 95 yuan/t."))
    complete(db, iid, "approve_plan", "gm", APPROVE)
    complete(db, iid, "record_surrender", "staff_energy", record())
    complete(db, iid, "confirm_compliance", "body", CONFIRM)
    assert instance(db, iid).status == "completed"
    assert instance(db, iid).data["cost_strategy"] == "Buy in July below 95 yuan/t."


def test_incomplete_compliance_goes_back_to_the_owner_to_finish_the_surrender(db):
    iid = planned(db)
    complete(db, iid, "approve_plan", "gm", APPROVE)
    complete(db, iid, "record_surrender", "staff_energy", record(ccer_surrendered="0"))
    complete(db, iid, "confirm_compliance", "body",
             {"compliance_complete": False, "funds_use_reviewed": True, "findings": "CCER not yet offset."})

    assert open_task_names(db, iid) == ["record_surrender"]
    complete(db, iid, "record_surrender", "staff_energy", record())
    complete(db, iid, "confirm_compliance", "body2", CONFIRM)
    assert instance(db, iid).status == "completed"
    assert instance(db, iid).data["ccer_surrendered"] == "20000"


def test_a_plan_that_does_not_cover_the_verified_emissions_is_refused(db):
    iid = start_compliance(db)
    complete(db, iid, "inventory_assets", "staff_energy", INVENTORY)
    task = open_task(db, iid, "plan_surrender")
    with db.transaction() as session, pytest.raises(InvalidFormData, match="allowances_to_surrender"):
        tasks.complete(session, task_id=task.id, actor="staff_energy",
                       data=plan(allowances_to_surrender="1000000"))


def test_a_plan_surrendering_more_than_it_holds_and_buys_shows_a_negative_balance(db):
    iid = start_compliance(db)
    complete(db, iid, "inventory_assets", "staff_energy", INVENTORY)
    complete(db, iid, "plan_surrender", "staff_energy", plan(trades=[]))
    data = instance(db, iid).data
    assert (data["allowance_balance_after"], data["plan_balances"]) == ("-10000", False)


def test_the_owners_tasks_belong_to_the_owner_alone(db):
    iid = start_compliance(db)
    inventory = open_task(db, iid, "inventory_assets")
    assert inventory.assignee == "staff_energy"
    for outsider in ("staff_prod", "body", "head_energy"):
        with db.transaction() as session, pytest.raises(NotPermitted):
            tasks.complete(session, task_id=inventory.id, actor=outsider, data=INVENTORY)


def test_only_the_carbon_body_starts_it_and_only_top_management_approves_the_plan(db):
    for outsider in ("staff_energy", "head_energy"):
        with db.transaction() as session, pytest.raises(NotPermitted):
            instances.start(session, process_id=PROCESS, actor=outsider, data=owner_data())
    iid = planned(db)
    approval = open_task(db, iid, "approve_plan")
    for outsider in ("body", "head_energy", "staff_energy"):
        with db.transaction() as session, pytest.raises(NotPermitted):
            tasks.complete(session, task_id=approval.id, actor=outsider, data=APPROVE)


def test_the_planner_may_not_approve_and_the_recorder_may_not_confirm(db):
    iid = planned(db, owner="gm")
    approval = open_task(db, iid, "approve_plan")
    with db.transaction() as session, pytest.raises(NotPermitted, match="segregation of duties"):
        tasks.complete(session, task_id=approval.id, actor="gm", data=APPROVE)

    iid = planned(db, owner="body")
    complete(db, iid, "approve_plan", "gm", APPROVE)
    complete(db, iid, "record_surrender", "body", record())
    confirmation = open_task(db, iid, "confirm_compliance")
    assert confirmation.excluded_users == ["body"]
    with db.transaction() as session, pytest.raises(NotPermitted, match="segregation of duties"):
        tasks.complete(session, task_id=confirmation.id, actor="body", data=CONFIRM)
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=confirmation.id, actor="staff_energy", data=CONFIRM)
    complete(db, iid, "confirm_compliance", "body2", CONFIRM)
    assert instance(db, iid).status == "completed"


def test_the_yearly_schedule_starts_the_surrender_for_the_previous_year_in_june(db):
    with db.reading() as session:
        due = session.query(StartSchedule).filter_by(process_id=PROCESS).one().next_run_at
    assert due.astimezone(SHANGHAI).strftime("%m-%d %H:%M") == "06-01 09:00"

    [iid] = [i for i in schedules.start_due(db, due + timedelta(minutes=5)) if instance(db, i).process_id == PROCESS]

    started = instance(db, iid)
    assert started.started_by == "system"
    assert started.data["compliance_year"] == due.year - 1
    # No one was named at the scheduled start: the carbon body appoints the owner first.
    appoint = open_task(db, iid, "appoint_owner")
    assert appoint.role == "carbon_body"
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=appoint.id, actor="staff_prod", data=owner_data("staff_prod"))
    complete(db, iid, "appoint_owner", "body", owner_data("staff_prod", compliance_year=due.year - 1))
    assert open_task(db, iid, "inventory_assets").assignee == "staff_prod"
