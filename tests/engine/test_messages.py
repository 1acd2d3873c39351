"""Messages by name: start processes that wait for them, continue correlated instances."""
from __future__ import annotations

import pytest

from engine.errors import InvalidFormData, NotFound, NotPermitted
from engine.read import queries
from engine.services import messages
from tests.factories import bpmn, complete, deploy, flows, instance, open_task_names, user_task

STARTED_BY_MESSAGE = bpmn("on_regulation", (
    '<bpmn:startEvent id="start"><bpmn:messageEventDefinition id="med_start" messageRef="msg_reg">'
    '<bpmn:extensionElements><spiffworkflow:messageVariable>regulation</spiffworkflow:messageVariable>'
    '</bpmn:extensionElements></bpmn:messageEventDefinition></bpmn:startEvent>'
    + user_task("assess") + '<bpmn:endEvent id="end" />' + flows(("start", "assess"), ("assess", "end"))),
    lanes={"carbon_body": ["start", "assess", "end"]},
    extra='<bpmn:message id="msg_reg" name="test_regulation_notice" />')

WAITS_FOR_REPLY = bpmn("await_reply", (
    '<bpmn:startEvent id="start" />' + user_task("ask")
    + '<bpmn:intermediateCatchEvent id="wait_reply"><bpmn:messageEventDefinition id="med_reply" '
      'messageRef="msg_reply"><bpmn:extensionElements>'
      '<spiffworkflow:messageVariable>reply</spiffworkflow:messageVariable>'
      '<spiffworkflow:processVariableCorrelation><spiffworkflow:propertyId>nc_id</spiffworkflow:propertyId>'
      '<spiffworkflow:expression>nc_id</spiffworkflow:expression></spiffworkflow:processVariableCorrelation>'
      '</bpmn:extensionElements></bpmn:messageEventDefinition></bpmn:intermediateCatchEvent>'
    + user_task("read_reply") + '<bpmn:endEvent id="end" />'
    + flows(("start", "ask"), ("ask", "wait_reply"), ("wait_reply", "read_reply"), ("read_reply", "end"))),
    lanes={"carbon_staff": ["start", "ask", "wait_reply", "read_reply", "end"]},
    collaboration='<bpmn:correlationKey name="nc_key"><bpmn:correlationPropertyRef>nc_id'
                  '</bpmn:correlationPropertyRef></bpmn:correlationKey>',
    extra='<bpmn:message id="msg_reply" name="supplier_reply" />'
          '<bpmn:correlationProperty id="nc_id" name="nc_id"><bpmn:correlationPropertyRetrievalExpression '
          'messageRef="msg_reply"><bpmn:formalExpression>nc_id</bpmn:formalExpression>'
          '</bpmn:correlationPropertyRetrievalExpression></bpmn:correlationProperty>')

NOTE = {"follow_up_note": "done", "new_expected_date": None}


def _send(db, name, payload, actor="gm"):
    with db.transaction() as session:
        return messages.send_message(session, name=name, payload=payload, actor=actor)


def _start_waiting(db, nc_id):
    from engine.services import instances
    with db.transaction() as session:
        started = instances.start(session, process_id="await_reply", actor="staff_prod",
                                  business_key=nc_id, data={"nc_id": nc_id})
    complete(db, started.id, "ask", "staff_prod", NOTE)
    return started.id


def test_a_message_starts_the_process_whose_start_event_waits_for_it(db):
    deploy(db, STARTED_BY_MESSAGE)
    payload = {"title": "New cement sector accounting rules", "issuer": "MEE", "effective": "2027-01-01"}
    delivery = _send(db, "test_regulation_notice", payload)
    assert delivery.continued == [] and len(delivery.started) == 1
    started = instance(db, delivery.started[0])
    assert started.process_id == "on_regulation"
    assert started.data["regulation"] == payload
    assert open_task_names(db, started.id) == ["assess"]
    with db.reading() as session:
        actions = [e.action for e in queries.audit_events(session, instance_id=started.id)]
    assert actions == ["start", "message_received"]


def test_a_message_continues_only_the_instance_it_correlates_with(db):
    deploy(db, WAITS_FOR_REPLY)
    first, second = _start_waiting(db, "NC-1"), _start_waiting(db, "NC-2")
    assert open_task_names(db, first) == open_task_names(db, second) == []

    delivery = _send(db, "supplier_reply", {"nc_id": "NC-2", "accepted": True})

    assert delivery.continued == [second] and delivery.started == []
    assert open_task_names(db, second) == ["read_reply"]
    assert instance(db, second).data["reply"] == {"nc_id": "NC-2", "accepted": True}
    assert open_task_names(db, first) == []


def test_a_message_continues_someone_elses_instance_only_for_who_may_work_on_it(db):
    """head_prod neither took part in staff_prod's instance nor oversees: refused at send and at delivery."""
    deploy(db, WAITS_FOR_REPLY)
    waiting = _start_waiting(db, "NC-1")
    reply = {"nc_id": "NC-1", "accepted": True}
    with pytest.raises(NotPermitted, match="head_prod may not continue await_reply instance"):
        with db.reading() as session:
            messages.check_sender(session, name="supplier_reply", actor="head_prod", payload=reply)
    with pytest.raises(NotPermitted, match="head_prod may not continue"):
        _send(db, "supplier_reply", reply, actor="head_prod")
    assert open_task_names(db, waiting) == []
    assert _send(db, "supplier_reply", reply, actor="staff_prod").continued == [waiting]


def test_a_message_nobody_waits_for_is_not_found_and_changes_nothing(db):
    deploy(db, WAITS_FOR_REPLY)
    waiting = _start_waiting(db, "NC-1")
    with pytest.raises(NotFound, match="no process starts on message 'supplier_reply'"):
        _send(db, "supplier_reply", {"nc_id": "NC-404"})
    with pytest.raises(NotFound):
        _send(db, "no_such_message", {})
    assert open_task_names(db, waiting) == []


def test_message_data_must_be_an_object(db):
    with pytest.raises(InvalidFormData, match="JSON object"):
        _send(db, "test_regulation_notice", ["not", "an", "object"])
