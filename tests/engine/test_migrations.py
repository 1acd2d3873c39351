"""Moving running instances to a newer version: the preview, the move, and the refusals that leave them as they were."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.config import PROJECT_ROOT
from engine.errors import Conflict, NotPermitted
from engine.models import AuditEvent
from engine.services import deployments, migrations
from tests.factories import (
    FORM_DATA,
    analyse_data,
    complete,
    instance,
    open_task,
    open_task_names,
    start_corrective_action,
)

SOURCE = (PROJECT_ROOT / "processes" / "corrective_action.bpmn").read_text(encoding="utf-8")
# v2: the evaluation is due in 3 days instead of 7.
SOONER = SOURCE.replace('name="dueIn" value="P7D"', 'name="dueIn" value="P3D"', 1)
# v3 (on top of v2): the cause analysis is renamed analyse_root_cause.
RENAMED = re.sub(r"\banalyse_cause\b", "analyse_root_cause", SOONER).replace(
    'value="corrective_action.analyse_root_cause"', 'value="corrective_action.analyse_cause"')


def _deploy(db, source: str, note: str) -> int:
    with db.transaction() as session:
        return deployments.deploy_as_admin(session, source=source.encode(), file_name="corrective_action.bpmn",
                                           actor="admin", note=note).definition.version


def test_an_instance_waiting_at_a_task_that_stays_moves_and_its_task_takes_the_new_due_time(db):
    nc = start_corrective_action(db)
    old_task = open_task(db, nc, "evaluate_consequences")
    assert _deploy(db, SOONER, "Evaluate within 3 days") == 2
    with db.reading() as session:
        [found] = migrations.preview(session, instance_ids=[nc], to_version=2, mapping={}, actor="admin")
    assert found.possible and (found.from_version, found.to_version) == (1, 2)
    assert [(m.element, m.to) for m in found.moves] == [("evaluate_consequences", "evaluate_consequences")]
    with db.transaction() as session:
        migrations.migrate(session, instance_id=nc, to_version=2, mapping={}, actor="admin")
    task = open_task(db, nc, "evaluate_consequences")
    assert task.id == old_task.id and task.due_at - task.created_at == timedelta(days=3)  # read again
    with db.reading() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "migrate")).one()
    assert (event.instance_id, event.data["from_version"], event.data["to_version"]) == (nc, 1, 2)
    assert event.data["tasks_reread"] == ["evaluate_consequences"]
    complete(db, nc, "evaluate_consequences", "body", FORM_DATA["evaluate_consequences"])
    assert open_task_names(db, nc) == ["analyse_cause"]  # it runs on


def test_an_unchanged_open_task_keeps_its_claim_and_draft(db):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body", FORM_DATA["evaluate_consequences"])
    waiting = open_task(db, nc, "analyse_cause")
    _deploy(db, SOONER, "Evaluate within 3 days")
    with db.transaction() as session:
        migrations.migrate(session, instance_id=nc, to_version=2, mapping={}, actor="admin")
    assert open_task(db, nc, "analyse_cause").id == waiting.id


def test_a_removed_task_is_refused_without_a_mapping_and_moves_with_one(db):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body", FORM_DATA["evaluate_consequences"])
    _deploy(db, SOONER, "Evaluate within 3 days")
    _deploy(db, RENAMED, "Root cause")
    with db.reading() as session:
        [refused] = migrations.preview(session, instance_ids=[nc], to_version=3, mapping={}, actor="admin")
    assert not refused.possible
    assert [str(r) for r in refused.reasons] == ["analyse_cause is not in the new version: map it to an element that is"]
    assert [(r.code, r.params) for r in refused.reasons] == [("element_missing", {"element": "analyse_cause"})]
    before = instance(db, nc).state_json
    with db.transaction() as session, pytest.raises(Conflict, match="analyse_cause is not in the new version"):
        migrations.migrate(session, instance_id=nc, to_version=3, mapping={}, actor="admin")
    assert instance(db, nc).state_json == before  # refused in full: nothing moved
    with db.transaction() as session:
        migrations.migrate(session, instance_id=nc, to_version=3, mapping={"analyse_cause": "analyse_root_cause"},
                           actor="admin")
    assert open_task_names(db, nc) == ["analyse_root_cause"]
    complete(db, nc, "analyse_root_cause", "head_prod", analyse_data())
    assert open_task_names(db, nc) == ["implement_correction"]


def test_only_running_instances_move_only_forward_and_only_by_an_admin(db):
    nc = start_corrective_action(db)
    _deploy(db, SOONER, "Evaluate within 3 days")
    with db.reading() as session:
        [same] = migrations.preview(session, instance_ids=[nc], to_version=1, mapping={}, actor="admin")
        [unknown] = migrations.preview(session, instance_ids=[nc], to_version=9, mapping={}, actor="admin")
        [bad_map] = migrations.preview(session, instance_ids=[nc], to_version=2, mapping={"x": "nonesuch"},
                                       actor="admin")
        with pytest.raises(NotPermitted):
            migrations.preview(session, instance_ids=[nc], to_version=2, mapping={}, actor="body")
    assert [str(r) for r in same.reasons] == ["it runs on version 1; migrate only to a newer version"]
    assert [str(r) for r in unknown.reasons] == ["process corrective_action has no version 9"]
    assert [str(r) for r in bad_map.reasons] == ["the mapping names nonesuch, which the new version does not have"]


def test_each_instance_moves_in_its_own_transaction(db):
    moving = start_corrective_action(db)
    stuck = start_corrective_action(db)
    complete(db, stuck, "evaluate_consequences", "body", FORM_DATA["evaluate_consequences"])
    _deploy(db, SOONER, "Evaluate within 3 days")
    _deploy(db, RENAMED, "Root cause")
    outcomes = migrations.migrate_each(db, instance_ids=[moving, stuck], to_version=3, mapping={}, actor="admin")
    assert [(o.instance_id, o.done) for o in outcomes] == [(moving, True), (stuck, False)]
    assert [r.code for r in outcomes[1].reasons] == ["element_missing"]
