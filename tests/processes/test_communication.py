"""The communication process (guideline 7.4.1, 7.4.2 a-e, 7.4.3) driven through the services."""
from __future__ import annotations

from typing import Any

import pytest

from engine.errors import InvalidFormData, NotPermitted
from engine.read import queries
from engine.services import instances, tasks
from tests.factories import (
    complete,
    complete_task,
    days_ahead,
    end_of_day,
    instance,
    open_task,
    open_task_names,
    open_tasks,
)


def record_data(**overrides: Any) -> dict[str, Any]:
    """An internal bulletin about the new monitoring plan."""
    return {"subject": "Monitoring plan 2027 released", "direction": "internal", "channel": "bulletin",
            "channel_detail": "", "occurred_on": days_ahead(0),
            "content": "The 2027 data quality control plan applies from 1 January.",
            "participants": "All departments", "source_party": "", "channel_owner": None,
            "importance": "important", "reference": "CO-2027-03", **overrides}


def external_data(**overrides: Any) -> dict[str, Any]:
    """A notice from the provincial ecology department, received on the external channel."""
    return record_data(**{"subject": "Verification schedule for 2026 emissions", "direction": "external",
                          "channel": "external_channel", "source_party": "Provincial ecology department",
                          "channel_owner": "staff_energy",
                          "content": "Verifiers visit in March; reports due 31 March.", **overrides})


VERIFY_DATA = {"source_verified": True, "verification_note": "Called the department to confirm.",
               "category": "regulator_request",
               "interpretation": "We must submit the 2026 report before the verifier visits.",
               "suggested_departments": ["energy", "production"], "response_required": True,
               "response_due": days_ahead(10)}

REPLY_DATA = {"reply_content": "We confirm the verifier visit on 12 March.", "replied_on": days_ahead(0),
              "reply_means": "Official letter", "reply_reference": "CO-OUT-2027-005"}


def assess_data(*departments: str) -> dict[str, Any]:
    return {"departments": list(departments), "instructions": "Read it and check your data.",
            "acknowledge_by": days_ahead(7)}


def acknowledge_data(actions: str = "Briefed the shift leaders.") -> dict[str, Any]:
    return {"received": True, "shared_in_department": True, "actions_taken": actions, "action_due": None,
            "feedback": ""}


def file_data(*nonconformities: dict[str, Any]) -> dict[str, Any]:
    return {"conveyed_in_time": True, "record_reference": "COM-2027-011",
            "records_complete": True, "nonconformities": list(nonconformities)}


def nonconformity(**overrides: Any) -> dict[str, Any]:
    return {"title": "Kiln 3 meter missing from the monitoring plan",
            "description": "Production reported the meter is not in the 2027 plan.", "clause": "8.1.1",
            "department": "production", "detected_on": days_ahead(0), **overrides}


def record(db, data: dict[str, Any], actor: str = "staff_prod") -> int:
    with db.transaction() as session:
        return instances.start(session, process_id="communication", actor=actor, business_key="COM-1",
                               data=data).id


def acknowledge_all(db, iid: int) -> None:
    heads = {"production": "head_prod", "energy": "head_energy", "quality": "head_quality"}
    for task in open_tasks(db, iid, "pass_on"):
        complete_task(db, task.id, heads[task.candidate_department], acknowledge_data())


def links(db, iid: int) -> list[dict[str, Any]]:
    with db.reading() as session:
        return queries.instance_links(session, iid)


def test_internal_bulletin_reaches_each_chosen_department_and_is_filed(db):
    com = record(db, record_data())
    assert open_task_names(db, com) == ["assess"]
    complete(db, com, "assess", "body", assess_data("production", "quality"))

    passes = open_tasks(db, com, "pass_on")
    assert [(t.role, t.candidate_department) for t in passes] == [
        ("department_head", "production"), ("department_head", "quality")]
    complete_task(db, passes[0].id, "head_prod", acknowledge_data("Updated the kiln log sheets."))
    complete_task(db, passes[1].id, "head_quality", acknowledge_data("Lab informed."))
    assert open_task_names(db, com) == ["file_record"]
    complete(db, com, "file_record", "body2", file_data())

    done = instance(db, com)
    assert done.status == "completed"
    assert [a["actions_taken"] for a in done.data["acknowledgements"]] == [
        "Updated the kiln log sheets.", "Lab informed."]
    assert done.data["nonconformities_raised"] == []
    assert links(db, com) == []


def test_external_information_goes_first_to_the_owner_of_the_channel(db):
    com = record(db, external_data(), actor="body")
    check = open_task(db, com, "verify_external")
    assert check.assignee == "staff_energy"
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=check.id, actor="staff_prod", data=VERIFY_DATA)
    complete(db, com, "verify_external", "staff_energy", VERIFY_DATA)

    complete(db, com, "assess", "gm", assess_data("energy", "production"))
    acknowledge_all(db, com)
    complete(db, com, "reply_externally", "staff_energy", REPLY_DATA)
    complete(db, com, "file_record", "body", file_data())
    done = instance(db, com)
    assert done.status == "completed"
    assert done.data["interpretation"].startswith("We must submit")
    assert done.data["outcome"] == "filed"


def test_external_information_needs_the_owner_of_its_channel(db):
    with pytest.raises(InvalidFormData, match="channel_owner"):
        record(db, external_data(channel_owner=None))


def test_a_nonconformity_found_in_a_communication_starts_a_linked_corrective_action(db):
    com = record(db, record_data())
    complete(db, com, "assess", "body", assess_data("production"))
    acknowledge_all(db, com)
    complete(db, com, "file_record", "body", file_data(nonconformity()))

    assert instance(db, com).status == "completed"
    [link] = links(db, com)
    assert (link["direction"], link["kind"], link["process_id"]) == ("out", "nonconformity_raised",
                                                                     "corrective_action")
    action = instance(db, link["instance_id"])
    raised = {key: action.data[key] for key in ("title", "source", "clause", "department")}
    assert raised == {"title": "Kiln 3 meter missing from the monitoring plan", "source": "communication",
                      "clause": "8.1.1", "department": "production"}
    assert [(back["direction"], back["instance_id"]) for back in links(db, action.id)] == [("in", com)]


def test_each_nonconformity_listed_starts_its_own_corrective_action(db):
    com = record(db, record_data())
    complete(db, com, "assess", "body", assess_data("energy"))
    acknowledge_all(db, com)
    complete(db, com, "file_record", "body",
             file_data(nonconformity(),
                       nonconformity(title="Bulletin late", clause="7.4.2d", department="energy")))
    assert sorted(instance(db, link["instance_id"]).data["title"] for link in links(db, com)) == [
        "Bulletin late", "Kiln 3 meter missing from the monitoring plan"]


@pytest.mark.parametrize("actor", ["head_prod", "auditor", "docs"])
def test_only_carbon_staff_or_the_carbon_body_record_communications(db, actor):
    with db.transaction() as session, pytest.raises(NotPermitted):
        instances.start(session, process_id="communication", actor=actor, data=record_data())


def test_only_the_carbon_body_decides_who_receives_an_item(db):
    com = record(db, record_data())
    task = open_task(db, com, "assess")
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=task.id, actor="staff_prod", data=assess_data("production"))


def test_a_department_head_acknowledges_only_for_their_own_department(db):
    com = record(db, record_data())
    complete(db, com, "assess", "body", assess_data("quality"))
    task = open_task(db, com, "pass_on")
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=task.id, actor="head_prod", data=acknowledge_data())


def test_a_meeting_by_other_means_must_say_which(db):
    with pytest.raises(InvalidFormData, match="channel_detail"):
        record(db, record_data(channel="other"))
    com = record(db, record_data(channel="meeting_business", participants="GM, heads"))
    assert open_task_names(db, com) == ["assess"]


def test_unverified_external_information_is_not_passed_on_and_the_reason_is_kept(db):
    com = record(db, external_data(), actor="body")
    task = open_task(db, com, "verify_external")
    unverified = {**VERIFY_DATA, "source_verified": False, "verification_note": ""}
    with db.transaction() as session, pytest.raises(InvalidFormData, match="verification_note"):
        tasks.complete(session, task_id=task.id, actor="staff_energy", data=unverified)
    complete(db, com, "verify_external", "staff_energy",
             {**unverified, "verification_note": "The sender's address is not the department's; it denies sending it."})

    done = instance(db, com)
    assert done.status == "completed"
    assert open_task_names(db, com) == []  # no department receives it
    assert (done.data["outcome"], done.data["verification_note"]) == (
        "not_passed_on", "The sender's address is not the department's; it denies sending it.")


def test_a_required_reply_is_given_by_the_channel_owner_before_the_record_is_filed(db):
    com = record(db, external_data(), actor="body")
    with pytest.raises(InvalidFormData, match="response_due"):
        complete(db, com, "verify_external", "staff_energy", {**VERIFY_DATA, "response_due": None})
    due = days_ahead(10)
    complete(db, com, "verify_external", "staff_energy", {**VERIFY_DATA, "response_due": due})
    complete(db, com, "assess", "body", assess_data("energy"))
    acknowledge_all(db, com)

    reply = open_task(db, com, "reply_externally")
    assert (reply.assignee, reply.due_at) == ("staff_energy", end_of_day(due))
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=reply.id, actor="staff_prod", data=REPLY_DATA)
    complete(db, com, "reply_externally", "staff_energy", REPLY_DATA)
    assert open_task_names(db, com) == ["file_record"]
    complete(db, com, "file_record", "body", file_data())
    assert instance(db, com).data["reply_reference"] == "CO-OUT-2027-005"


def test_external_information_needing_no_reply_goes_straight_to_filing(db):
    com = record(db, external_data(), actor="body")
    complete(db, com, "verify_external", "staff_energy", {**VERIFY_DATA, "response_required": False,
                                                          "response_due": None})
    complete(db, com, "assess", "body", assess_data("energy"))
    acknowledge_all(db, com)
    assert open_task_names(db, com) == ["file_record"]
