"""The policy approval process (guideline 5.1, 5.2, 4.2b/c, 7.4.2, 7.4.3) driven through the services."""
from __future__ import annotations

from typing import Any

import pytest

import forms
from engine.db import Database
from engine.errors import InvalidFormData, NotPermitted
from engine.services import instances, tasks
from tests.factories import (
    PASSWORD,
    complete,
    complete_task,
    instance,
    open_task,
    open_task_names,
    open_tasks,
)

HEADS = {"production": "head_prod", "energy": "head_energy", "quality": "head_quality"}

CONTEXT_FIELDS = [
    "external_dual_carbon_policy", "external_sector_requirements", "external_supply_chain",
    "external_carbon_market", "external_low_carbon_demand", "external_other",
    "internal_strategy", "internal_compliance", "internal_competence", "internal_saving_potential",
    "internal_other",
]
POLICY_CHECKS = [
    "consistent_with_national_policy", "consistent_with_strategy", "fulfils_compliance",
    "fulfils_social_responsibility", "continual_improvement",
]


def initiate_data(**overrides: Any) -> dict[str, Any]:
    return {"policy_title": "碳排放管理方针 2027", "occasion": "first_issue",
            "basis": "Guideline requires a documented policy.", **overrides}


def draft_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {name: f"Reviewed: {name}." for name in CONTEXT_FIELDS}
    data.update({name: True for name in POLICY_CHECKS})
    data.update({"policy_text": "Cut carbon intensity every year; comply; report openly.",
                 "departments_in_scope": ["production", "energy"], "revision_note": ""})
    return {**data, **overrides}


def approve_data(**overrides: Any) -> dict[str, Any]:
    return {"approval_decision": "approve", "approval_comments": "", "approval_statement": True, **overrides}


def publish_data(**overrides: Any) -> dict[str, Any]:
    return {"policy_number": "CF-POL-2027-01", "effective_date": "2027-01-01",
            "interpretation": "What the policy means on the shop floor.", "on_website": True,
            "on_notice_board": True, "in_sustainability_report": False, "available_on_request": True,
            "access_for_interested_parties": "Website and on request to the carbon office.", **overrides}


def communication_data(**overrides: Any) -> dict[str, Any]:
    return {"method": "meeting", "communicated_on": "2026-01-05", "staff_reached": 42,
            "questions_raised": "", "evidence": "Sign-in sheet and minutes.", **overrides}


def start_policy(db: Database, actor: str = "body", **initiate: Any) -> int:
    with db.transaction() as session:
        return instances.start(session, process_id="policy_approval", actor=actor,
                               business_key="POL-2027", data=initiate_data(**initiate)).id


def review_by_heads(db: Database, iid: int, verdicts: dict[str, tuple[bool, str]]) -> None:
    """Each department head of the review round gives agree/comment, in the order of the task rows."""
    for task in open_tasks(db, iid, "head_review"):
        agree, comment = verdicts[task.candidate_department]
        complete_task(db, task.id, HEADS[task.candidate_department], {"agree": agree, "comment": comment})


def all_agree(*departments: str) -> dict[str, tuple[bool, str]]:
    return {d: (True, "") for d in departments}


def communicate_everywhere(db: Database, iid: int) -> None:
    for task in open_tasks(db, iid, "communicate_policy"):
        complete_task(db, task.id, HEADS[task.candidate_department],
                      communication_data(staff_reached=10 + len(task.candidate_department)))


def test_approved_policy_is_published_and_each_department_records_its_communication(db):
    iid = start_policy(db)
    assert open_task_names(db, iid) == ["draft_policy"]
    complete(db, iid, "draft_policy", "body", draft_data())
    review_by_heads(db, iid, all_agree("production", "energy"))
    approval = complete(db, iid, "approve_policy", "gm", approve_data())
    complete(db, iid, "publish_policy", "body2", publish_data())
    communicate_everywhere(db, iid)

    done = instance(db, iid)
    assert done.status == "completed"
    # Who approved, when, and the signed statement are kept with the completed task.
    assert approval.completed_by == "gm" and approval.completed_at is not None
    assert approval.submitted_data["approval_statement"] is True
    assert done.data["policy_approved_on"]
    assert done.data["policy_number"] == "CF-POL-2027-01"
    assert [r["agree"] for r in done.data["head_reviews"]] == [True, True]
    # One communication record per department, in the order the departments were listed (7.4.3).
    assert [(r["method"], r["staff_reached"]) for r in done.data["communication_records"]] == [
        ("meeting", 20), ("meeting", 16)]
    assert done.data["returns"] == []
    # A first issue replaces nothing, so nothing is recorded as withdrawn.
    assert "previous_policy_withdrawn" not in done.data


def test_each_department_in_scope_gets_a_review_task_for_its_own_head(db):
    iid = start_policy(db)
    complete(db, iid, "draft_policy", "body", draft_data(departments_in_scope=["production", "energy", "quality"]))

    reviews = open_tasks(db, iid, "head_review")
    assert [(t.role, t.candidate_department) for t in reviews] == [
        ("department_head", "production"), ("department_head", "energy"), ("department_head", "quality")]
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=reviews[0].id, actor="head_energy", data={"agree": True, "comment": ""})
    review_by_heads(db, iid, all_agree("production", "energy", "quality"))
    assert open_task_names(db, iid) == ["approve_policy"]


def test_a_disagreeing_head_sends_the_draft_back_with_the_objection_for_the_drafter(db):
    iid = start_policy(db)
    complete(db, iid, "draft_policy", "body", draft_data())
    review_by_heads(db, iid, {"production": (True, ""), "energy": (False, "Boiler retrofit is not funded.")})

    assert open_task_names(db, iid) == ["draft_policy"]
    data = instance(db, iid).data
    assert data["head_objections"] == [{"department": "energy", "comment": "Boiler retrofit is not funded."}]
    assert data["returns"] == [{"round": 1, "returned_by": "department_head",
                                "comments": [{"department": "energy", "comment": "Boiler retrofit is not funded."}]}]

    complete(db, iid, "draft_policy", "body2", draft_data(revision_note="Retrofit moved to 2028."))
    # The whole review round starts again on the revised draft.
    assert len(open_tasks(db, iid, "head_review")) == 2
    review_by_heads(db, iid, all_agree("production", "energy"))
    data = instance(db, iid).data
    assert data["draft_rounds"] == 2 and data["head_objections"] == []
    assert len(data["head_reviews"]) == 2
    assert open_task_names(db, iid) == ["approve_policy"]


def test_top_management_can_send_the_policy_back_with_comments_before_approving_it(db):
    iid = start_policy(db)
    complete(db, iid, "draft_policy", "body", draft_data())
    review_by_heads(db, iid, all_agree("production", "energy"))
    # A return is not signed: the approval statement is left out altogether.
    complete(db, iid, "approve_policy", "gm",
             {"approval_decision": "return", "approval_comments": "Add a 2030 intensity goal."})

    assert open_task_names(db, iid) == ["draft_policy"]
    data = instance(db, iid).data
    assert data["approval_comments"] == "Add a 2030 intensity goal."
    assert data["returns"][-1] == {"round": 1, "returned_by": "top_management",
                                   "comments": "Add a 2030 intensity goal."}

    complete(db, iid, "draft_policy", "body", draft_data(revision_note="2030 goal added."))
    review_by_heads(db, iid, all_agree("production", "energy"))
    complete(db, iid, "approve_policy", "gm", approve_data())
    complete(db, iid, "publish_policy", "body", publish_data())
    communicate_everywhere(db, iid)
    assert instance(db, iid).status == "completed"


def test_only_the_carbon_management_body_may_start_the_policy(db):
    with db.transaction() as session, pytest.raises(NotPermitted):
        instances.start(session, process_id="policy_approval", actor="head_prod", data=initiate_data())
    with db.transaction() as session, pytest.raises(NotPermitted):
        instances.start(session, process_id="policy_approval", actor="staff_prod", data=initiate_data())


def test_only_top_management_may_approve_and_only_the_body_drafts_and_publishes(db):
    iid = start_policy(db)
    draft = open_task(db, iid, "draft_policy")
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=draft.id, actor="head_prod", data=draft_data())
    complete(db, iid, "draft_policy", "body", draft_data())
    review_by_heads(db, iid, all_agree("production", "energy"))

    approval = open_task(db, iid, "approve_policy")
    assert approval.role == "top_management"
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=approval.id, actor="body", data=approve_data())
    complete(db, iid, "approve_policy", "gm", approve_data())

    publish = open_task(db, iid, "publish_policy")
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=publish.id, actor="docs", data=publish_data())


def test_communication_is_confirmed_by_the_head_of_each_department_only(db):
    iid = start_policy(db)
    complete(db, iid, "draft_policy", "body", draft_data())
    review_by_heads(db, iid, all_agree("production", "energy"))
    complete(db, iid, "approve_policy", "gm", approve_data())
    complete(db, iid, "publish_policy", "body", publish_data())

    production, energy = open_tasks(db, iid, "communicate_policy")
    assert (production.candidate_department, energy.candidate_department) == ("production", "energy")
    for intruder in ("head_energy", "staff_prod", "body"):
        with db.transaction() as session, pytest.raises(NotPermitted):
            tasks.complete(session, task_id=production.id, actor=intruder, data=communication_data())
    complete_task(db, production.id, "head_prod", communication_data(method="notice"))
    assert instance(db, iid).status == "running"
    complete_task(db, energy.id, "head_energy", communication_data(method="platform"))
    assert [r["method"] for r in instance(db, iid).data["communication_records"]] == ["notice", "platform"]


def test_approval_needs_the_signed_statement_and_a_return_needs_comments(db):
    iid = start_policy(db)
    complete(db, iid, "draft_policy", "body", draft_data())
    review_by_heads(db, iid, all_agree("production", "energy"))
    approval = open_task(db, iid, "approve_policy")
    with db.transaction() as session, pytest.raises(InvalidFormData, match="approval_statement"):
        tasks.complete_signed(session, task_id=approval.id, actor="gm", password=PASSWORD,
                              data=approve_data(approval_statement=False))
    with db.transaction() as session, pytest.raises(InvalidFormData, match="approval_comments"):
        tasks.complete_signed(session, task_id=approval.id, actor="gm", password=PASSWORD,
                              data=approve_data(approval_decision="return", approval_statement=False))
    assert open_task_names(db, iid) == ["approve_policy"]


def test_draft_must_tick_every_policy_requirement_and_a_disagreement_must_say_why(db):
    iid = start_policy(db)
    draft = open_task(db, iid, "draft_policy")
    with db.transaction() as session, pytest.raises(InvalidFormData, match="fulfils_compliance"):
        tasks.complete(session, task_id=draft.id, actor="body", data=draft_data(fulfils_compliance=False))
    incomplete = draft_data()
    del incomplete["external_carbon_market"]
    with db.transaction() as session, pytest.raises(InvalidFormData, match="external_carbon_market"):
        tasks.complete(session, task_id=draft.id, actor="body", data=incomplete)
    with db.transaction() as session, pytest.raises(InvalidFormData, match="departments_in_scope"):
        tasks.complete(session, task_id=draft.id, actor="body",
                       data=draft_data(departments_in_scope=["energy", "energy"]))

    complete(db, iid, "draft_policy", "body", draft_data())
    review = open_tasks(db, iid, "head_review")[0]
    with db.transaction() as session, pytest.raises(InvalidFormData, match="comment"):
        tasks.complete(session, task_id=review.id, actor="head_prod", data={"agree": False, "comment": " "})


def test_an_objection_is_credited_to_the_department_that_made_it_whatever_order_the_heads_answer_in(db):
    iid = start_policy(db)
    complete(db, iid, "draft_policy", "body", draft_data(departments_in_scope=["production", "energy"]))
    production, energy = open_tasks(db, iid, "head_review")
    assert (production.candidate_department, energy.candidate_department) == ("production", "energy")
    # Energy answers first and objects; production agrees afterwards.
    complete_task(db, energy.id, "head_energy", {"agree": False, "comment": "Boiler retrofit is not funded."})
    complete_task(db, production.id, "head_prod", {"agree": True, "comment": ""})

    data = instance(db, iid).data
    assert data["head_objections"] == [{"department": "energy", "comment": "Boiler retrofit is not funded."}]
    assert data["returns"][-1]["comments"] == [{"department": "energy", "comment": "Boiler retrofit is not funded."}]
    assert open_task_names(db, iid) == ["draft_policy"]


def test_whoever_drafted_the_policy_may_not_approve_it(db):
    # gm holds both carbon_body (may draft) and top_management (may approve).
    iid = start_policy(db, actor="gm")
    complete(db, iid, "draft_policy", "gm", draft_data())
    review_by_heads(db, iid, all_agree("production", "energy"))

    approval = open_task(db, iid, "approve_policy")
    assert approval.excluded_users == ["gm"]
    with db.transaction() as session, pytest.raises(NotPermitted, match="segregation of duties"):
        tasks.complete(session, task_id=approval.id, actor="gm", data=approve_data())
    assert open_task_names(db, iid) == ["approve_policy"]


def test_a_return_may_not_carry_the_signed_approval_statement(db):
    iid = start_policy(db)
    complete(db, iid, "draft_policy", "body", draft_data())
    review_by_heads(db, iid, all_agree("production", "energy"))
    approval = open_task(db, iid, "approve_policy")
    with db.transaction() as session, pytest.raises(InvalidFormData, match="approval_statement"):
        tasks.complete_signed(session, task_id=approval.id, actor="gm", password=PASSWORD,
                              data=approve_data(approval_decision="return", approval_comments="Shorter, please."))
    assert open_task_names(db, iid) == ["approve_policy"]


def test_other_context_factors_may_be_left_empty(db):
    iid = start_policy(db)
    draft = draft_data()
    del draft["external_other"], draft["internal_other"]
    complete(db, iid, "draft_policy", "body", draft)
    data = instance(db, iid).data
    assert (data["external_other"], data["internal_other"]) == ("", "")
    assert len(open_tasks(db, iid, "head_review")) == 2


def test_a_policy_replacing_an_earlier_one_is_published_with_the_earlier_one_recorded_as_withdrawn(db):
    iid = start_policy(db, occasion="periodic_revision", previous_policy_number="CF-POL-2024-01")
    complete(db, iid, "draft_policy", "body", draft_data())
    review_by_heads(db, iid, all_agree("production", "energy"))
    complete(db, iid, "approve_policy", "gm", approve_data())

    assert open_task_names(db, iid) == ["publish_replacing_policy"]
    publication = open_task(db, iid, "publish_replacing_policy")
    with db.transaction() as session, pytest.raises(InvalidFormData, match="previous_policy_withdrawn"):
        tasks.complete(session, task_id=publication.id, actor="body",
                       data=publish_data(policy_number="CF-POL-2027-02", previous_policy_withdrawn=False,
                                         previous_policy_withdrawn_on="2026-01-01"))
    record = complete(db, iid, "publish_replacing_policy", "body",
                      publish_data(policy_number="CF-POL-2027-02", previous_policy_withdrawn=True,
                                   previous_policy_withdrawn_on="2026-01-01"))
    communicate_everywhere(db, iid)

    done = instance(db, iid)
    assert done.status == "completed"
    assert record.submitted_data["previous_policy_withdrawn"] is True
    assert (done.data["policy_number"], done.data["previous_policy_number"]) == ("CF-POL-2027-02", "CF-POL-2024-01")
    assert (done.data["previous_policy_withdrawn"], done.data["previous_policy_withdrawn_on"]) == (True, "2026-01-01")


def test_the_drafter_is_told_the_departments_listed_both_review_and_communicate_the_policy():
    departments = forms.get_form("policy_approval.draft").schema().fields["departments_in_scope"]
    assert "communicate" in departments.metadata["label"]["en"]
    assert "宣贯" in departments.metadata["label"]["zh"]
