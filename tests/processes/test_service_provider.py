"""Professional carbon service providers (guideline 7.3 a-d) driven through the services."""
from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

import pytest

from engine.errors import InvalidFormData, NotPermitted
from engine.services import instances, tasks, users
from tests.factories import complete, days_ahead, instance, open_task, open_task_names

PROCESS = "service_provider"
SHANGHAI = timezone(timedelta(hours=8))

REQUEST = {"service_title": "Kiln gas flow meter calibration", "service_type": "monitoring",
           "requirements": "Calibrate 12 flow meters to GB 17167 with certificates.",
           "requesting_department": "energy", "budget": "60000", "needed_by": days_ahead(90)}
APPROVE = {"approved": True, "comments": ""}
DELIVERED = {"monitored_on": days_ahead(0), "progress": "All 12 meters calibrated.",
             "quality_observations": "Certificates complete.", "issues": "", "service_delivered": True}
ACCEPT = {"rating": "good", "requirements_met": "All meters within tolerance.",
          "effect": "Gas data now traceable.", "outcome": "accept", "follow_up": ""}
RECORD = {"record_number": "SP-2027-03", "qualified_list_decision": "add",
          "storage_location": "Carbon office archive", "records_complete": True}


def candidate(name: str, price: str = "48000") -> dict[str, Any]:
    return {"provider_name": name, "qualifications": "CNAS-accredited calibration laboratory",
            "capability_evidence": "Calibrated meters at 3 cement plants in 2026.", "quoted_price": price,
            "assessment": "Meets the requirements."}


def selection(chosen: str = "Zhejiang Metrology Institute", *others: str) -> dict[str, Any]:
    return {"candidates": [candidate(chosen), *[candidate(o, "52000") for o in others]],
            "selected_provider": chosen, "selection_basis": "Accredited and cheapest.",
            "conflict_of_interest_checked": True}


def contract(monitor: str = "staff_energy", **overrides: Any) -> dict[str, Any]:
    return {"contract_number": "HT-2027-017", "scope": "Calibrate 12 kiln gas flow meters.",
            "requirements": "GB 17167; certificates within 5 days; data kept confidential.",
            "deliverables": "12 calibration certificates", "contract_value": "48000",
            "start_date": days_ahead(0), "end_date": days_ahead(60), "legally_binding": True,
            "monitor": monitor, "monitoring_interval_days": 14, **overrides}


def start_request(db, actor: str = "head_energy") -> int:
    with db.transaction() as session:
        return instances.start(session, process_id=PROCESS, actor=actor, data=REQUEST).id


def contracted(db, monitor: str = "staff_energy") -> int:
    iid = start_request(db)
    complete(db, iid, "select_provider", "staff_prod", selection())
    complete(db, iid, "approve_selection", "body", APPROVE)
    complete(db, iid, "sign_contract", "body", contract(monitor))
    return iid


def test_service_runs_from_selection_to_recorded_evaluation(db):
    iid = start_request(db)
    assert open_task(db, iid, "select_provider").role == "carbon_staff"
    complete(db, iid, "select_provider", "staff_prod", selection("Zhejiang Metrology Institute", "Hangzhou Testing Co."))
    assert open_task(db, iid, "approve_selection").role == "carbon_body"
    complete(db, iid, "approve_selection", "body", APPROVE)
    complete(db, iid, "sign_contract", "body", contract())
    check = open_task(db, iid, "monitor_service")
    assert check.assignee == "staff_energy"
    assert check.due_at.astimezone(SHANGHAI).date().isoformat() == days_ahead(14)
    complete(db, iid, "monitor_service", "staff_energy", DELIVERED)
    complete(db, iid, "evaluate_service", "body2", ACCEPT)
    complete(db, iid, "record_evaluation", "staff_prod", RECORD)

    done = instance(db, iid)
    assert done.status == "completed"
    assert done.data["selected_provider"] == "Zhejiang Metrology Institute"
    assert [c["service_delivered"] for c in done.data["monitoring_log"]] == [True]
    assert done.data["previous_providers"] == []


def test_monitoring_repeats_each_interval_until_the_service_is_delivered(db):
    iid = contracted(db)
    complete(db, iid, "monitor_service", "staff_energy",
             {**DELIVERED, "progress": "5 of 12 meters done.", "issues": "Two certificates late.",
              "service_delivered": False})
    again = open_task(db, iid, "monitor_service")
    assert again.due_at.astimezone(SHANGHAI).date().isoformat() == days_ahead(14)
    complete(db, iid, "monitor_service", "staff_energy", DELIVERED)

    log = instance(db, iid).data["monitoring_log"]
    assert [(c["progress"], c["service_delivered"]) for c in log] == [
        ("5 of 12 meters done.", False), ("All 12 meters calibrated.", True)]
    assert open_task_names(db, iid) == ["evaluate_service"]


def test_a_refused_selection_goes_back_for_another_choice(db):
    iid = start_request(db)
    complete(db, iid, "select_provider", "staff_prod", selection("Cheap Meters Ltd."))
    complete(db, iid, "approve_selection", "body", {"approved": False, "comments": "Not CNAS-accredited."})

    assert open_task_names(db, iid) == ["select_provider"]
    complete(db, iid, "select_provider", "staff_energy", selection("Zhejiang Metrology Institute"))
    complete(db, iid, "approve_selection", "body", APPROVE)
    assert open_task_names(db, iid) == ["sign_contract"]


def test_an_unsatisfactory_service_is_rectified_and_evaluated_again(db):
    iid = contracted(db)
    complete(db, iid, "monitor_service", "staff_energy", DELIVERED)
    complete(db, iid, "evaluate_service", "body",
             {**ACCEPT, "rating": "acceptable", "outcome": "rectify", "follow_up": "Re-issue 2 certificates."})

    rectification = open_task(db, iid, "follow_up_rectification")
    assert rectification.assignee == "staff_energy"
    complete(db, iid, "follow_up_rectification", "staff_energy",
             {"actions_taken": "Certificates re-issued.", "completed_on": days_ahead(0), "evidence": "Cert 2027-88/89"})
    complete(db, iid, "evaluate_service", "body", ACCEPT)
    complete(db, iid, "record_evaluation", "staff_prod", RECORD)
    assert instance(db, iid).status == "completed"


def test_a_failed_provider_is_replaced_by_a_new_selection_and_contract(db):
    iid = contracted(db)
    complete(db, iid, "monitor_service", "staff_energy", DELIVERED)
    complete(db, iid, "evaluate_service", "body",
             {**ACCEPT, "rating": "poor", "outcome": "reselect", "follow_up": "Meters drifted within a month."})

    assert open_task_names(db, iid) == ["select_provider"]
    assert instance(db, iid).data["previous_providers"] == [
        {"provider": "Zhejiang Metrology Institute", "contract_number": "HT-2027-017", "rating": "poor",
         "reason": "Meters drifted within a month."}]
    complete(db, iid, "select_provider", "staff_prod", selection("Hangzhou Testing Co."))
    complete(db, iid, "approve_selection", "body", APPROVE)
    complete(db, iid, "sign_contract", "body", contract("head_energy", contract_number="HT-2027-031"))
    complete(db, iid, "monitor_service", "head_energy", DELIVERED)
    complete(db, iid, "evaluate_service", "body", ACCEPT)
    complete(db, iid, "record_evaluation", "staff_energy", RECORD)

    done = instance(db, iid)
    assert done.status == "completed"
    assert [c["provider"] for c in done.data["monitoring_log"]] == [
        "Zhejiang Metrology Institute", "Hangzhou Testing Co."]


def test_the_proposer_may_not_approve_their_own_selection(db):
    # A member of the carbon body who also works as carbon staff proposes the provider.
    with db.transaction() as session:
        users.create_user(session, username="staff_body", display_name="Staff Body",
                          roles=("carbon_staff", "carbon_body"), department="carbon_office")
    iid = start_request(db)
    complete(db, iid, "select_provider", "staff_body", selection())
    approval = open_task(db, iid, "approve_selection")
    assert approval.excluded_users == ["staff_body"]
    with db.transaction() as session, pytest.raises(NotPermitted, match="segregation of duties"):
        tasks.complete(session, task_id=approval.id, actor="staff_body", data=APPROVE)
    complete(db, iid, "approve_selection", "body", APPROVE)


def test_staff_select_and_only_the_carbon_body_approves(db):
    iid = start_request(db)
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=open_task(db, iid, "select_provider").id, actor="head_energy",
                       data=selection())
    complete(db, iid, "select_provider", "staff_prod", selection())
    approval = open_task(db, iid, "approve_selection")
    for outsider in ("staff_energy", "head_energy"):
        with db.transaction() as session, pytest.raises(NotPermitted):
            tasks.complete(session, task_id=approval.id, actor=outsider, data=APPROVE)
    complete(db, iid, "approve_selection", "gm", APPROVE)


def test_only_the_named_monitor_records_the_checks_and_only_the_carbon_body_evaluates(db):
    iid = contracted(db, monitor="head_energy")
    check = open_task(db, iid, "monitor_service")
    for outsider in ("staff_energy", "head_prod", "body"):
        with db.transaction() as session, pytest.raises(NotPermitted):
            tasks.complete(session, task_id=check.id, actor=outsider, data=DELIVERED)
    complete(db, iid, "monitor_service", "head_energy", DELIVERED)
    evaluation = open_task(db, iid, "evaluate_service")
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=evaluation.id, actor="head_energy", data=ACCEPT)


def test_only_people_in_the_carbon_system_request_a_service(db):
    with db.transaction() as session, pytest.raises(NotPermitted):
        instances.start(session, process_id=PROCESS, actor="auditor", data=REQUEST)
    for starter in ("staff_prod", "head_energy", "body"):
        with db.transaction() as session:
            instances.start(session, process_id=PROCESS, actor=starter, data=REQUEST)


def test_forms_refuse_an_unknown_choice_a_backwards_contract_and_accepting_a_poor_service(db):
    iid = start_request(db)
    task = open_task(db, iid, "select_provider")
    with db.transaction() as session, pytest.raises(InvalidFormData, match="selected_provider"):
        tasks.complete(session, task_id=task.id, actor="staff_prod",
                       data={**selection("A Co."), "selected_provider": "B Co."})
    complete(db, iid, "select_provider", "staff_prod", selection())
    complete(db, iid, "approve_selection", "body", APPROVE)
    with db.transaction() as session, pytest.raises(InvalidFormData, match="end_date"):
        tasks.complete(session, task_id=open_task(db, iid, "sign_contract").id, actor="body",
                       data=contract(end_date=days_ahead(-1)))
    complete(db, iid, "sign_contract", "body", contract())
    complete(db, iid, "monitor_service", "staff_energy", DELIVERED)
    evaluation = open_task(db, iid, "evaluate_service")
    with db.transaction() as session, pytest.raises(InvalidFormData, match="outcome"):
        tasks.complete(session, task_id=evaluation.id, actor="body", data={**ACCEPT, "rating": "poor"})
    with db.transaction() as session, pytest.raises(InvalidFormData, match="follow_up"):
        tasks.complete(session, task_id=evaluation.id, actor="body", data={**ACCEPT, "outcome": "reselect"})
