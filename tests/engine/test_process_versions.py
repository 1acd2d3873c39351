"""Versions of a process as an admin reads them, an admin's deploy with a change note, and diffs between versions."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from engine.config import PROJECT_ROOT
from engine.errors import InvalidFormData, NotFound, NotPermitted
from engine.models import AuditEvent, ProcessDefinition
from engine.read import process_diff, process_versions
from engine.services import deployments
from tests.factories import start_corrective_action

PROCESSES = PROJECT_ROOT / "processes"
SOURCE = (PROCESSES / "corrective_action.bpmn").read_text(encoding="utf-8")


def _deploy(db, source: str, *, actor: str = "admin", note: str = "Tighter due time"):
    with db.transaction() as session:
        return deployments.deploy_as_admin(session, source=source.encode(), file_name="corrective_action.bpmn",
                                           actor=actor, note=note)


def _counts(db) -> tuple[int, int]:
    with db.reading() as session:
        return (session.scalar(select(func.count()).select_from(ProcessDefinition)),
                session.scalar(select(func.count()).select_from(AuditEvent)))


def test_an_admin_deploy_keeps_its_change_note_and_the_versions_count_their_instances(db):
    start_corrective_action(db)
    done = _deploy(db, SOURCE.replace('value="P14D"', 'value="P10D"', 1))
    assert done.created and done.definition.version == 2
    start_corrective_action(db)
    start_corrective_action(db)
    with db.reading() as session:
        newest, first = process_versions.versions(session, "corrective_action")
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "deploy")
                                .order_by(AuditEvent.id.desc())).first()
    assert (newest.version, newest.change_note, newest.deployed_by) == (2, "Tighter due time", "admin")
    assert newest.instances["running"] == 2 and first.instances["running"] == 1
    assert first.change_note is None and event.data["note"] == "Tighter due time"


@pytest.mark.parametrize("actor, note, error", [
    ("staff_prod", "a note", NotPermitted),   # not a process_admin
    ("verifier", "a note", NotPermitted),     # the read-only auditor
    ("admin", "   ", InvalidFormData),        # no change note
    ("admin", "x" * 2001, InvalidFormData),   # a document, not a note
])
def test_an_admin_deploy_is_refused_for_anyone_else_or_without_a_note_and_stores_nothing(db, actor, note, error):
    before = _counts(db)
    with pytest.raises(error):
        _deploy(db, SOURCE.replace('value="P14D"', 'value="P10D"', 1), actor=actor, note=note)
    assert _counts(db) == before


def test_the_process_list_shows_each_process_once_with_its_newest_version(db):
    _deploy(db, SOURCE.replace('value="P14D"', 'value="P10D"', 1))
    with db.reading() as session:
        summaries = {s.latest.process_id: s for s in process_versions.processes(session)}
    assert len(summaries) == len(list(PROCESSES.glob("*.bpmn")))
    assert (summaries["corrective_action"].latest.version, summaries["corrective_action"].versions) == (2, 2)
    assert summaries["management_review"].schedule is not None


def test_an_unknown_process_or_version_is_not_found(db):
    with db.reading() as session:
        with pytest.raises(NotFound, match="nonesuch"):
            process_versions.versions(session, "nonesuch")
        with pytest.raises(NotFound, match="no version 9"):
            process_versions.version_source(session, "corrective_action", 9)


def test_a_diff_names_each_element_added_removed_and_changed_in_its_properties():
    new = (SOURCE.replace('value="corrective_action.close"', 'value="corrective_action.review_effectiveness"')
           .replace('<bpmn:endEvent id="closed"', '<bpmn:endEvent id="closed_for_good"')
           .replace('targetRef="closed"', 'targetRef="closed_for_good"')
           .replace('bpmnElement="closed"', 'bpmnElement="closed_for_good"')
           .replace("<bpmn:flowNodeRef>closed</bpmn:flowNodeRef>", "<bpmn:flowNodeRef>closed_for_good</bpmn:flowNodeRef>"))
    changes = process_diff.diff(SOURCE, new)
    assert [e.element_id for e in changes.of_kind("added")] == ["closed_for_good"]
    assert [e.element_id for e in changes.of_kind("removed")] == ["closed"]
    changed = {e.element_id: e.changes for e in changes.of_kind("changed")}
    assert [(c.facet, c.old, c.new) for c in changed["close_nonconformity"]] == [
        ("property formKey", "corrective_action.close", "corrective_action.review_effectiveness")]
    assert {c.facet for c in changed["lane_carbon_body"]} == {"flowNodeRef"}


def test_layout_prefixes_and_formatting_make_no_difference():
    # Another modeler: other namespace prefixes, moved shapes, redundant incoming/outgoing left out, re-indented.
    other = (re.sub(r"\s*<bpmn:(incoming|outgoing)>[^<]*</bpmn:\1>", "", SOURCE.replace("\n  <", "\n <"))
             .replace("bpmn:", "semantic:").replace("xmlns:bpmn=", "xmlns:semantic=").replace('x="', 'x="1'))
    assert other.count("<semantic:") > 90 and "<semantic:incoming>" not in other
    assert process_diff.diff(SOURCE, other).empty
    for path in PROCESSES.glob("*.bpmn"):
        text = path.read_text(encoding="utf-8")
        assert process_diff.diff(text, text).empty, path.name


def test_a_changed_script_condition_and_timer_are_named():
    new = (SOURCE.replace("review_rounds = review_rounds + 1", "review_rounds += 1")
           .replace("overdue_rounds &gt;= 2", "overdue_rounds &gt;= 3"))
    changed = {e.element_id: [c.facet for c in e.changes] for e in process_diff.diff(SOURCE, new).elements}
    assert changed == {"count_review": ["script"], "overdue_again": ["conditionExpression"]}
