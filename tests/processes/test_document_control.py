"""The document control process (guideline 7.5.1 a-d, 7.5.2 a-d) driven through the services."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from engine.db import Database
from engine.errors import InvalidFormData, NotPermitted
from engine.people import get_actor
from engine.read import queries
from engine.services import instances, tasks, timers
from tests.factories import PASSWORD, complete, instance, open_task, open_task_names


def request_data(**overrides: Any) -> dict[str, Any]:
    return {"subject": "Carbon data management procedure", "reason": "Required by 7.5 and 8.1.",
            "needed_by": None, **overrides}


def draft_data(**overrides: Any) -> dict[str, Any]:
    return {"document_title": "碳排放数据管理制度 Carbon data management procedure",
            "document_type": "management_system", "owning_department": "carbon_office",
            "content_summary": "Who collects, checks and archives emission data.",
            "medium": "electronic", "retention_years": 10, "access_level": "internal",
            "access_conditions": "All staff through the document system.", "review_by": "carbon_body",
            "revision_note": "", **overrides}


PASS = {"review_decision": "pass", "review_comments": "Fit for use."}
APPROVE = {"approval_decision": "approve", "approval_comments": "", "approval_statement": True}
WITHDRAW = {"withdrawn_on": "2026-02-01", "copies_recalled": True, "reference_copy_kept": True,
            "withdrawal_note": ""}


def release_data(**overrides: Any) -> dict[str, Any]:
    return {"document_identifier": "CF-MS-001", "document_version": "A/0", "effective_date": "2027-01-15",
            "control_marking": "system_status", "distribution": "All departments, electronic only.",
            "storage_location": "Document system, carbon folder.", "review_interval": "P1Y", **overrides}


def start_document(db: Database, actor: str = "body") -> int:
    with db.transaction() as session:
        return instances.start(session, process_id="document_control", actor=actor,
                               business_key="DOC-1", data=request_data()).id


def release_new_document(db: Database, **release: Any) -> int:
    """A new document drafted by body, reviewed by body2, approved by gm and released by docs."""
    iid = start_document(db)
    complete(db, iid, "draft_document", "body", draft_data())
    complete(db, iid, "review_by_body", "body2", PASS)
    complete(db, iid, "approve_document", "gm", APPROVE)
    complete(db, iid, "release_document", "docs", release_data(**release))
    return iid


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def fire_review_timer(db: Database, iid: int) -> None:
    """Move past the one-year review interval and fire the instance's periodic review timer."""
    fired = timers.fire_due_timers(db, now_utc() + timedelta(days=367))
    assert [(f.instance_id, f.timer) for f in fired] == [(iid, "review_due")]


def test_new_document_is_released_under_control_and_waits_for_its_periodic_review(db):
    iid = release_new_document(db)

    running = instance(db, iid)
    assert running.status == "running" and open_task_names(db, iid) == []
    assert running.data["document_identifier"] == "CF-MS-001" and running.data["document_version"] == "A/0"
    # A new document replaces nothing, so nothing is withdrawn; the review is due a year from release.
    assert running.data["replaces_identifier"] == ""
    assert timedelta(days=364) < running.next_timer_at - now_utc() < timedelta(days=367)

    assert timers.fire_due_timers(db, now_utc() + timedelta(days=200)) == []
    fire_review_timer(db, iid)
    review = open_task(db, iid, "periodic_review")
    assert review.role == "carbon_body"
    complete(db, iid, "periodic_review", "body2",
             {"periodic_decision": "still_valid", "review_findings": "No change in rules or processes."})

    # Still valid: the document stays in force and under periodic review at the same interval.
    running = instance(db, iid)
    assert running.status == "running" and open_task_names(db, iid) == []
    assert running.data["document_status"] == "in_force"
    assert timedelta(days=364) < running.next_timer_at - now_utc() < timedelta(days=367)
    assert [(r["decision"], r["version"], r["next_review_interval"]) for r in running.data["periodic_reviews"]] == [
        ("still_valid", "A/0", "P1Y")]
    fire_review_timer(db, iid)
    assert open_task_names(db, iid) == ["periodic_review"]


def test_a_document_confirmed_valid_can_get_a_new_review_interval_and_is_reviewed_again(db):
    iid = release_new_document(db)
    fire_review_timer(db, iid)
    complete(db, iid, "periodic_review", "body",
             {"periodic_decision": "still_valid", "review_findings": "Stable procedure.",
              "next_review_interval": "P2Y"})
    running = instance(db, iid)
    assert running.data["review_interval"] == "P2Y"
    assert timedelta(days=729) < running.next_timer_at - now_utc() < timedelta(days=733)
    assert timers.fire_due_timers(db, now_utc() + timedelta(days=400)) == []

    # Two years on it is reviewed again; only withdrawing it ends its life.
    assert timers.fire_due_timers(db, now_utc() + timedelta(days=734))[0].instance_id == iid
    complete(db, iid, "periodic_review", "body",
             {"periodic_decision": "withdraw", "review_findings": "Process discontinued."})
    complete(db, iid, "withdraw_document", "docs", WITHDRAW)
    done = instance(db, iid)
    assert done.status == "completed" and done.data["document_status"] == "withdrawn"
    assert [r["decision"] for r in done.data["periodic_reviews"]] == ["still_valid", "withdraw"]


def test_a_new_review_interval_is_only_set_for_a_document_that_stays_valid(db):
    iid = release_new_document(db)
    fire_review_timer(db, iid)
    review = open_task(db, iid, "periodic_review")
    with db.transaction() as session, pytest.raises(InvalidFormData, match="next_review_interval"):
        tasks.complete(session, task_id=review.id, actor="body",
                       data={"periodic_decision": "withdraw", "review_findings": "Obsolete.",
                             "next_review_interval": "P2Y"})


def test_review_interval_chosen_at_release_sets_when_the_review_falls_due(db):
    iid = release_new_document(db, review_interval="P6M")
    due_in = instance(db, iid).next_timer_at - now_utc()
    assert timedelta(days=180) < due_in < timedelta(days=185)
    assert timers.fire_due_timers(db, now_utc() + timedelta(days=186))[0].instance_id == iid
    assert open_task_names(db, iid) == ["periodic_review"]


def test_releasing_a_replacing_version_has_the_controller_withdraw_the_old_one(db):
    iid = start_document(db)
    complete(db, iid, "draft_document", "body", draft_data(replaces_identifier="CF-MS-007", replaces_version="B/2"))
    complete(db, iid, "review_by_body", "body2", PASS)
    complete(db, iid, "approve_document", "gm", APPROVE)
    complete(db, iid, "release_document", "docs", release_data(document_identifier="CF-MS-007",
                                                                document_version="C/0"))

    withdrawal = open_task(db, iid, "withdraw_previous")
    assert withdrawal.role == "document_controller"
    assert instance(db, iid).next_timer_at is None  # the review clock starts once the old version is gone
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=withdrawal.id, actor="body", data=WITHDRAW)
    with db.transaction() as session, pytest.raises(InvalidFormData, match="copies_recalled"):
        tasks.complete(session, task_id=withdrawal.id, actor="docs", data={**WITHDRAW, "copies_recalled": False})
    complete(db, iid, "withdraw_previous", "docs", WITHDRAW)
    assert open_task_names(db, iid) == [] and instance(db, iid).next_timer_at is not None
    assert [(w["identifier"], w["version"], w["superseded_by"]) for w in instance(db, iid).data["withdrawals"]] == [
        ("CF-MS-007", "B/2", "CF-MS-007 C/0")]


def test_review_can_go_to_the_head_of_the_owning_department(db):
    iid = start_document(db)
    complete(db, iid, "draft_document", "body",
             draft_data(document_type="operating", owning_department="energy", review_by="department_head"))
    review = open_task(db, iid, "review_by_head")
    assert (review.role, review.candidate_department) == ("department_head", "energy")
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=review.id, actor="head_prod", data=PASS)
    complete(db, iid, "review_by_head", "head_energy", PASS)
    assert open_task_names(db, iid) == ["approve_document"]


def test_the_owning_department_head_can_return_the_draft_with_comments(db):
    iid = start_document(db)
    complete(db, iid, "draft_document", "body",
             draft_data(document_type="operating", owning_department="energy", review_by="department_head"))
    complete(db, iid, "review_by_head", "head_energy",
             {"review_decision": "return", "review_comments": "Name the boiler-house meters."})

    assert open_task_names(db, iid) == ["draft_document"]
    assert instance(db, iid).data["returns"] == [{"step": "review", "comments": "Name the boiler-house meters."}]
    complete(db, iid, "draft_document", "body2",
             draft_data(document_type="operating", owning_department="energy", review_by="department_head",
                        revision_note="Meters listed."))
    review = open_task(db, iid, "review_by_head")
    assert review.candidate_department == "energy"
    complete(db, iid, "review_by_head", "head_energy", PASS)
    assert open_task_names(db, iid) == ["approve_document"]


def test_a_returned_review_goes_back_to_drafting_with_the_comments(db):
    iid = start_document(db)
    complete(db, iid, "draft_document", "body", draft_data())
    complete(db, iid, "review_by_body", "body2",
             {"review_decision": "return", "review_comments": "Add the archiving rules."})

    assert open_task_names(db, iid) == ["draft_document"]
    assert instance(db, iid).data["returns"] == [{"step": "review", "comments": "Add the archiving rules."}]
    complete(db, iid, "draft_document", "body", draft_data(revision_note="Archiving rules added."))
    complete(db, iid, "review_by_body", "body2", PASS)
    assert open_task_names(db, iid) == ["approve_document"]


def test_a_returned_approval_goes_back_to_drafting_with_the_comments(db):
    iid = start_document(db)
    complete(db, iid, "draft_document", "body", draft_data())
    complete(db, iid, "review_by_body", "body2", PASS)
    # A return is not signed: the approval statement is left out altogether.
    complete(db, iid, "approve_document", "gm",
             {"approval_decision": "return", "approval_comments": "Name the data owner."})

    assert open_task_names(db, iid) == ["draft_document"]
    assert instance(db, iid).data["returns"] == [{"step": "approval", "comments": "Name the data owner."}]
    complete(db, iid, "draft_document", "body", draft_data(revision_note="Owner named."))
    complete(db, iid, "review_by_body", "body2", PASS)
    complete(db, iid, "approve_document", "gm", APPROVE)
    assert open_task_names(db, iid) == ["release_document"]


def test_the_author_may_not_approve_their_own_document(db):
    # gm holds both carbon_body (may draft) and top_management (may approve).
    iid = start_document(db, actor="gm")
    complete(db, iid, "draft_document", "gm", draft_data())
    complete(db, iid, "review_by_body", "body", PASS)

    approval = open_task(db, iid, "approve_document")
    assert approval.excluded_users == ["gm"]
    with db.transaction() as session, pytest.raises(NotPermitted, match="segregation of duties"):
        tasks.complete(session, task_id=approval.id, actor="gm", data=APPROVE)
    with db.reading() as session:
        assert approval.id not in [t.id for t in queries.tasks_for_user(session, get_actor(session, "gm"))]
    assert open_task_names(db, iid) == ["approve_document"]


def test_the_author_may_not_review_their_own_draft(db):
    iid = start_document(db)
    complete(db, iid, "draft_document", "body", draft_data())
    review = open_task(db, iid, "review_by_body")
    with db.transaction() as session, pytest.raises(NotPermitted, match="segregation of duties"):
        tasks.complete(session, task_id=review.id, actor="body", data=PASS)
    complete(db, iid, "review_by_body", "body2", PASS)


def test_periodic_review_can_start_a_revision_that_supersedes_the_released_version(db):
    iid = release_new_document(db)
    fire_review_timer(db, iid)
    complete(db, iid, "periodic_review", "body",
             {"periodic_decision": "revise", "review_findings": "New sector accounting rules."})

    assert open_task_names(db, iid) == ["draft_document"]
    data = instance(db, iid).data
    assert (data["replaces_identifier"], data["replaces_version"]) == ("CF-MS-001", "A/0")
    assert data["returns"][-1] == {"step": "periodic_review", "comments": "New sector accounting rules."}

    # The new version is drafted without retyping what it replaces, then goes through review again.
    complete(db, iid, "draft_document", "body", draft_data(revision_note="Sector rules of 2028."))
    complete(db, iid, "review_by_body", "body2", PASS)
    complete(db, iid, "approve_document", "gm", APPROVE)

    # Released under the identifier and version it replaces: refused, the controller gives a new version.
    complete(db, iid, "release_document", "docs", release_data(document_version="A/0"))
    assert open_task_names(db, iid) == ["release_document"]
    data = instance(db, iid).data
    assert "CF-MS-001 A/0" in data["release_error"] and "new version" in data["release_error"]
    assert data["withdrawals"] == []
    complete(db, iid, "release_document", "docs", release_data(document_version="B/0"))
    assert instance(db, iid).data["release_error"] == ""
    complete(db, iid, "withdraw_previous", "docs", WITHDRAW)

    data = instance(db, iid).data
    assert (data["document_identifier"], data["document_version"]) == ("CF-MS-001", "B/0")
    # The version withdrawn is the replaced A/0, superseded by the B/0 now in force.
    assert [(w["identifier"], w["version"], w["reason"], w["superseded_by"]) for w in data["withdrawals"]] == [
        ("CF-MS-001", "A/0", "superseded", "CF-MS-001 B/0")]
    assert data["document_status"] == "in_force"
    # The revision stays under periodic review, at the interval chosen at its release.
    assert instance(db, iid).status == "running" and instance(db, iid).next_timer_at is not None
    fire_review_timer(db, iid)
    assert open_task_names(db, iid) == ["periodic_review"]


def test_periodic_review_can_withdraw_an_obsolete_document(db):
    iid = release_new_document(db)
    fire_review_timer(db, iid)
    complete(db, iid, "periodic_review", "body",
             {"periodic_decision": "withdraw", "review_findings": "Merged into CF-MS-002."})
    withdrawal = open_task(db, iid, "withdraw_document")
    assert withdrawal.role == "document_controller"
    complete(db, iid, "withdraw_document", "docs", WITHDRAW)
    done = instance(db, iid)
    assert done.status == "completed" and done.data["document_status"] == "withdrawn"
    assert [(w["identifier"], w["version"], w["reason"]) for w in done.data["withdrawals"]] == [
        ("CF-MS-001", "A/0", "obsolete")]


def test_only_the_document_controller_releases_and_staff_may_not_request_documents(db):
    with db.transaction() as session, pytest.raises(NotPermitted):
        instances.start(session, process_id="document_control", actor="staff_prod", data=request_data())
    iid = start_document(db, actor="head_quality")
    complete(db, iid, "draft_document", "body", draft_data())
    complete(db, iid, "review_by_body", "body2", PASS)
    approval = open_task(db, iid, "approve_document")
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=approval.id, actor="body2", data=APPROVE)
    complete(db, iid, "approve_document", "gm", APPROVE)
    release = open_task(db, iid, "release_document")
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=release.id, actor="body", data=release_data())
    complete(db, iid, "release_document", "docs", release_data())


def test_release_refuses_an_uncontrolled_identifier_or_version(db):
    iid = start_document(db)
    complete(db, iid, "draft_document", "body", draft_data())
    complete(db, iid, "review_by_body", "body2", PASS)
    complete(db, iid, "approve_document", "gm", APPROVE)
    release = open_task(db, iid, "release_document")
    with db.transaction() as session, pytest.raises(InvalidFormData, match="document_identifier"):
        tasks.complete(session, task_id=release.id, actor="docs", data=release_data(document_identifier="MS1"))
    with db.transaction() as session, pytest.raises(InvalidFormData, match="document_version"):
        tasks.complete(session, task_id=release.id, actor="docs", data=release_data(document_version="v1"))
    assert open_task_names(db, iid) == ["release_document"]


def test_a_replaced_document_needs_both_its_identifier_and_version(db):
    iid = start_document(db)
    draft = open_task(db, iid, "draft_document")
    with db.transaction() as session, pytest.raises(InvalidFormData, match="replaces_version"):
        tasks.complete(session, task_id=draft.id, actor="body", data=draft_data(replaces_identifier="CF-MS-007"))


def test_a_return_may_not_carry_the_signed_approval_statement(db):
    iid = start_document(db)
    complete(db, iid, "draft_document", "body", draft_data())
    complete(db, iid, "review_by_body", "body2", PASS)
    approval = open_task(db, iid, "approve_document")
    with db.transaction() as session, pytest.raises(InvalidFormData, match="approval_statement"):
        tasks.complete_signed(session, task_id=approval.id, actor="gm", password=PASSWORD,
                              data={**APPROVE, "approval_decision": "return", "approval_comments": "Too long."})
    with db.transaction() as session, pytest.raises(InvalidFormData, match="approval_statement"):
        tasks.complete_signed(session, task_id=approval.id, actor="gm", password=PASSWORD,
                              data={**APPROVE, "approval_statement": False})
    assert open_task_names(db, iid) == ["approve_document"]
