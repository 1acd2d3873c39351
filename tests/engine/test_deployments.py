"""Deploying BPMN: versions, identical content, refusals that store nothing, spec kept out of state."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from engine.config import PROJECT_ROOT
from engine.errors import InvalidProcess
from engine.models import AuditEvent, ProcessDefinition
from engine.read.definitions import latest_definition
from engine.services import deployments
from tests.factories import (
    bpmn,
    complete,
    deploy,
    flows,
    instance,
    start_corrective_action,
    user_task,
)

SOURCE = (PROJECT_ROOT / "processes" / "corrective_action.bpmn").read_bytes()


def _definitions(db):
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(ProcessDefinition)), \
            session.scalar(select(func.count()).select_from(AuditEvent))


def test_deploying_identical_content_creates_no_new_version(db):
    before = _definitions(db)
    again = deploy(db, SOURCE, "corrective_action.bpmn")
    assert not again.created and again.definition.version == 1
    assert _definitions(db) == before


def test_changed_content_becomes_the_next_version_and_running_instances_stay_on_theirs(db):
    old = start_corrective_action(db)
    changed = SOURCE.replace(b'value="P7D"', b'value="P3D"', 1)
    new = deploy(db, changed, "corrective_action.bpmn")
    assert new.created and new.definition.version == 2
    assert new.definition.deployed_by == "admin" and new.definition.content_hash != ""
    fresh = start_corrective_action(db, business_key="NC-2")
    assert instance(db, old).definition_id != instance(db, fresh).definition_id
    complete(db, old, "evaluate_consequences", "body")  # the old instance runs on version 1
    with db.reading() as session:
        assert latest_definition(session, "corrective_action").version == 2


def test_saved_instance_state_does_not_contain_the_process_spec(db):
    nc = start_corrective_action(db)
    state = json.loads(instance(db, nc).state_json)
    assert state["spec"] == "corrective_action"
    assert "subprocess_specs" not in state and "task_specs" not in json.dumps(state)
    with db.reading() as session:
        assert "task_specs" in session.get(ProcessDefinition, instance(db, nc).definition_id).spec_json


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&xxe;</bpmn:definitions>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol3;</bpmn:definitions>"""


def _simple(task: str, lanes: dict | None) -> bytes:
    return bpmn("simple", '<bpmn:startEvent id="start" />' + task + '<bpmn:endEvent id="end" />'
                + flows(("start", "t1"), ("t1", "end")), lanes=lanes)


@pytest.mark.parametrize("source, message", [
    (XXE, "refused unsafe XML"),
    (LAUGHS, "refused unsafe XML"),
    (b"<bpmn:definitions", "malformed XML"),
    (b"<html><body>hello</body></html>", "not a BPMN 2.0 file"),
    (_simple(user_task("t1"), None), "user task 't1' is in no lane"),
    (_simple(user_task("t1"), {"plant_manager": ["start", "t1", "end"]}),
     "lane 'plant_manager', which names no known role"),
    (_simple(user_task("t1", form_key="no.such_form"), {"carbon_staff": ["start", "t1", "end"]}),
     "names form 'no.such_form', which does not exist in forms/"),
    (_simple('<bpmn:userTask id="t1" />', {"carbon_staff": ["start", "t1", "end"]}), "has no formKey"),
    (_simple('<bpmn:manualTask id="t1" />', {"carbon_staff": ["start", "t1", "end"]}),
     "element 't1' is a manual or untyped task"),
    (_simple('<bpmn:task id="t1" />', None), "element 't1' is a manual or untyped task"),
    (_simple(user_task("t1", dueIn="fortnight"), {"carbon_staff": ["start", "t1", "end"]}),
     "dueIn 'fortnight' is not an ISO 8601 duration"),
    (_simple(user_task("t1", priority="urgent"), {"carbon_staff": ["start", "t1", "end"]}),
     "priority must be 1, 2 or 3"),
    (_simple(user_task("t1", candidateUser="owner.__class__"), {"carbon_staff": ["start", "t1", "end"]}),
     "expression 'owner.__class__' is refused"),
    (_simple('<bpmn:scriptTask id="t1"><bpmn:script>x = ().__class__.__base__</bpmn:script></bpmn:scriptTask>',
             None), "element 't1': script .* is refused: .*invalid attribute name"),
    (_simple('<bpmn:scriptTask id="t1"><bpmn:script>x = (</bpmn:script></bpmn:scriptTask>', None),
     "element 't1': script 'x = \\(' is refused"),
    ("<?xml version='1.0' encoding='GBK'?><bpmn:definitions/>".encode() + "过程".encode("gbk"), "not UTF-8 text"),
    (_simple('<bpmn:scriptTask id="t1"><bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>'
             'n.__class__</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>'
             '<bpmn:script>y = 1</bpmn:script></bpmn:scriptTask>', None),
     "element 't1': expression 'n.__class__' is refused"),
    (_simple('<bpmn:serviceTask id="t1"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator '
             'id="http/get" resultVariable="r"><spiffworkflow:parameters /></spiffworkflow:serviceTaskOperator>'
             '</bpmn:extensionElements></bpmn:serviceTask>', None),
     "service task 't1' names query 'http/get', which the engine does not answer"),
    (_simple('<bpmn:serviceTask id="t1"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator '
             'id="internal_audits" resultVariable="r"><spiffworkflow:parameters /></spiffworkflow:serviceTaskOperator>'
             '</bpmn:extensionElements></bpmn:serviceTask>', None),
     "query 'internal_audits' takes the parameters year, not none"),
    (_simple('<bpmn:serviceTask id="t1"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator '
             'id="internal_audits" resultVariable="r"><spiffworkflow:parameters><spiffworkflow:parameter id="year" '
             'type="int" value="x.__class__" /></spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>'
             '</bpmn:extensionElements></bpmn:serviceTask>', None),
     "expression 'x.__class__' is refused"),
    (_simple('<bpmn:serviceTask id="t1"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator '
             'id="baseline_in_force"><spiffworkflow:parameters /></spiffworkflow:serviceTaskOperator>'
             '</bpmn:extensionElements></bpmn:serviceTask>', None),
     "give a resultVariable"),
])
def test_deploy_refuses_bad_files_naming_file_and_element_and_stores_nothing(db, source, message):
    before = _definitions(db)
    with pytest.raises(InvalidProcess, match=message) as caught:
        deploy(db, source, "bad.bpmn")
    assert str(caught.value).startswith("bad.bpmn:")
    assert _definitions(db) == before


def test_one_bad_file_in_a_batch_stores_none_of_the_batch(db):
    good = _simple(user_task("t1"), {"carbon_staff": ["start", "t1", "end"]})
    before = _definitions(db)
    with pytest.raises(InvalidProcess), db.transaction() as session:
        deployments.deploy(session, source=good, file_name="good.bpmn", actor="admin")
        deployments.deploy(session, source=XXE, file_name="bad.bpmn", actor="admin")
    assert _definitions(db) == before


def test_comments_inside_a_script_task_are_allowed(db):
    commented = bpmn("commented", (
        '<bpmn:startEvent id="s" /><bpmn:scriptTask id="calc"><!-- why: totals for the report -->'
        '<bpmn:script>total = 1</bpmn:script></bpmn:scriptTask>' + user_task("work")
        + flows(("s", "calc"), ("calc", "work"))), lanes={"carbon_body": ["s", "calc", "work"]})
    assert deploy(db, commented).created
