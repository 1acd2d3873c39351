"""What the forms refuse, checked where every client's data goes through: text that shows nothing, dates out
of their bounds, clauses the guideline does not have, and people who could never do the work handed to them."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import clock
from engine.errors import InvalidFormData
from engine.models import User
from engine.people import SessionDirectory
from engine.services import instances, tasks
from forms import json_schema
from tests.factories import (
    analyse_data,
    complete,
    days_ahead,
    open_task,
    raise_data,
    start_corrective_action,
)
from tests.processes.test_communication import (
    acknowledge_all,
    assess_data,
    file_data,
    nonconformity,
    record,
    record_data,
)


def _raise(db, **overrides) -> int:
    with db.transaction() as session:
        return instances.start(session, process_id="corrective_action", actor="staff_prod",
                               data=raise_data(**overrides)).id


def _refused(db, **overrides) -> dict:
    with pytest.raises(InvalidFormData) as caught:
        _raise(db, **overrides)
    return caught.value.errors


@pytest.mark.parametrize("blank", ["", "   ", "\u200b", "\ufeff", " \u3000\u200b\u2060 ", "\u3164", "\u200d\n\t"])
def test_required_text_of_spaces_or_invisible_characters_is_refused(db, blank):
    errors = _refused(db, title=blank, description=blank)
    assert set(errors) == {"title", "description"}
    assert "此项必填" in errors["title"][0] or "不可见字符" in errors["title"][0]


def test_optional_text_holding_nothing_visible_counts_as_empty(db):
    com = record(db, record_data(participants="\u200b\u200b"))
    assert open_task(db, com, "assess").instance_id == com
    with db.reading() as session:
        from engine.read import queries
        assert queries.get_instance(session, com).data["participants"] == ""


def test_a_detection_date_in_the_future_is_refused_today_is_not(db):
    errors = _refused(db, detected_on=days_ahead(1))
    assert list(errors) == ["detected_on"] and "in the future" in errors["detected_on"][0]
    assert _raise(db, detected_on=days_ahead(0))


def test_dates_beyond_the_systems_era_are_refused(db):
    assert "detected_on" in _refused(db, detected_on="1999-12-31")
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    task = open_task(db, nc, "analyse_cause")
    for due, problem in ((days_ahead(-1), "in the past"), ("2101-01-01", "outside")):
        with db.transaction() as session, pytest.raises(InvalidFormData, match=problem):
            tasks.complete(session, task_id=task.id, actor="head_prod", data=analyse_data(correction_due=due))


def test_dates_are_bounded_by_the_plants_today_by_the_engines_clock(db):
    later = clock.now() + timedelta(days=30)
    with clock.frozen_at(later):
        assert _raise(db, detected_on=days_ahead(20))  # in the past by then


def test_date_inputs_carry_their_bounds(db):
    with db.reading() as session:
        schema = json_schema("corrective_action.analyse_cause", SessionDirectory(session))
        raised = json_schema("corrective_action.raise", SessionDirectory(session))
    assert schema["properties"]["correction_due"]["formatMinimum"] == days_ahead(0)
    assert raised["properties"]["detected_on"]["formatMaximum"] == days_ahead(0)


@pytest.mark.parametrize("clause", ["99.9", "8.10", "4", "x.y", "8.1.3z", ""])
def test_a_clause_the_guideline_does_not_have_is_refused(db, clause):
    assert "clause" in _refused(db, clause=clause)


@pytest.mark.parametrize("clause", ["4.1", "8.1.3", "9.1.1c", "10.4"])
def test_a_clause_of_the_guideline_with_or_without_its_item_letter_is_taken(db, clause):
    assert _raise(db, clause=clause)


def test_a_clause_picker_offers_every_clause_with_its_title(db):
    with db.reading() as session:
        prop = json_schema("corrective_action.raise", SessionDirectory(session))["properties"]["clause"]
    offered = dict(zip(prop["x-choices"], prop["x-choice-labels"]))
    assert offered["8.1.3"] == "8.1.3 数据质量管理 / 8.1.3 Data quality management"
    assert len(offered) == 53


def test_the_owner_picker_offers_only_active_people_who_can_do_the_work(db):
    with db.transaction() as session:
        session.scalar(select(User).where(User.username == "docs")).active = False
    with db.reading() as session:
        offered = json_schema("corrective_action.analyse_cause", SessionDirectory(session))["properties"]["owner"]
    assert "staff_prod" in offered["enum"] and "head_prod" in offered["enum"]
    assert not {"verifier", "admin", "docs"} & set(offered["enum"])  # read-only, admin only, deactivated
    assert offered["x-enum-labels"][offered["enum"].index("staff_prod")] == "Staff_Prod"


@pytest.mark.parametrize("owner", ["verifier", "admin", "nobody"])
def test_a_correction_cannot_be_handed_to_someone_who_could_never_do_it(db, owner):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    task = open_task(db, nc, "analyse_cause")
    with db.transaction() as session, pytest.raises(InvalidFormData) as caught:
        tasks.complete(session, task_id=task.id, actor="head_prod", data=analyse_data(owner=owner))
    assert list(caught.value.errors) == ["owner"]
    assert open_task(db, nc, "analyse_cause").id == task.id


def test_a_picker_that_names_a_role_offers_only_its_holders(db):
    with db.reading() as session:
        schema = json_schema("internal_audit.draft_programme", SessionDirectory(session))
    assert schema["properties"]["lead_auditor"]["enum"] == ["auditor", "auditor_prod"]
    assert schema["properties"]["lead_auditor"]["x-roles"] == ["internal_auditor"]


def test_the_communication_record_files_with_no_nonconformity(db):
    com = record(db, record_data())
    complete(db, com, "assess", "body", assess_data("production"))
    acknowledge_all(db, com)
    done = complete(db, com, "file_record", "body2", {**file_data(), "nonconformities": []})
    assert done.submitted_data["nonconformities"] == []


def test_a_nonconformity_filed_with_a_communication_is_checked_like_any_other(db):
    com = record(db, record_data())
    complete(db, com, "assess", "body", assess_data("production"))
    acknowledge_all(db, com)
    bad = file_data(nonconformity(clause="99.9", detected_on=days_ahead(3), title="\u200b"))
    with pytest.raises(InvalidFormData) as caught:
        complete(db, com, "file_record", "body2", bad)
    assert set(caught.value.errors["nonconformities"][0]) == {"clause", "detected_on", "title"}
