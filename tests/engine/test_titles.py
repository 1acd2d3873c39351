"""Every instance has a title: its start event's instanceTitle, evaluated over the data it starts with."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.errors import InvalidProcess
from engine.models import AuditEvent, ProcessInstance
from engine.read import records
from engine.services import instances, messages
from tests.factories import (
    bpmn,
    deploy,
    flows,
    instance,
    raise_data,
    start_corrective_action,
    user_task,
)

START_WITH = '''<bpmn:startEvent id="start"><bpmn:extensionElements><spiffworkflow:properties>
  <spiffworkflow:property name="formKey" value="test.note" />
  <spiffworkflow:property name="instanceTitle" value="{title}" /></spiffworkflow:properties>
</bpmn:extensionElements></bpmn:startEvent>'''


def _titled(title: str) -> bytes:
    return bpmn("titled", START_WITH.format(title=title) + user_task("work") + '<bpmn:endEvent id="end" />'
                + flows(("start", "work"), ("work", "end")), lanes={"carbon_staff": ["start", "work", "end"]})


def test_a_corrective_action_started_by_hand_is_titled_by_its_nonconformity(db):
    started = instance(db, start_corrective_action(db, title="Kiln 2 gas meter out of calibration"))
    assert started.title == "Kiln 2 gas meter out of calibration"
    with db.reading() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.instance_id == started.id,
                                                        AuditEvent.action == "start"))
        assert event.data["title"] == started.title
        assert records.instance_record(session, started)["title"] == started.title


def test_a_corrective_action_raised_by_a_message_is_titled_too(db):
    with db.transaction() as session:
        delivery = messages.send_message(session, name="nonconformity_raised", actor="admin",
                                         payload=raise_data(title="Stack analyser drifting"))
    assert instance(db, delivery.started[0]).title == "Stack analyser drifting"


def test_a_yearly_accounting_is_titled_by_its_reporting_year(db):
    from tests.formdata import sample_form

    with db.transaction() as session:
        started = instances.start(session, process_id="emissions_accounting", actor="body",
                                  data={**sample_form("emissions_accounting.start"), "reporting_year": 2026})
    assert started.title == "2026 年度碳排放核算 Emissions accounting"


def test_a_title_expression_that_fails_leaves_the_instance_untitled_but_started(db):
    deploy(db, _titled("missing_field + 'x'"))
    with db.transaction() as session:
        started = instances.start(session, process_id="titled", actor="staff_prod", data={"follow_up_note": "n"})
    assert (started.status, started.title) == ("running", None)


def test_a_long_title_is_cut_to_the_column_and_its_white_space_folded(db):
    deploy(db, _titled("follow_up_note * 200"))
    with db.transaction() as session:
        started = instances.start(session, process_id="titled", actor="staff_prod",
                                  data={"follow_up_note": "ab\n "})
    assert started.title == " ".join(("ab\n " * 200).split())[:300]


@pytest.mark.parametrize("flow, message", [
    (START_WITH.format(title="__import__('os')") + user_task("work"),
     "element 'start': expression .*__import__.* is refused"),
    ('<bpmn:startEvent id="start" />' + user_task("work", instanceTitle="follow_up_note"),
     "element 'work': instanceTitle belongs on a start event"),
])
def test_deploy_refuses_a_title_it_cannot_evaluate_or_a_misplaced_one(db, flow, message):
    source = bpmn("titled", flow + '<bpmn:endEvent id="end" />' + flows(("start", "work"), ("work", "end")),
                  lanes={"carbon_staff": ["start", "work", "end"]})
    with pytest.raises(InvalidProcess, match=message):
        deploy(db, source, "titled.bpmn")
    with db.reading() as session:
        assert session.scalar(select(ProcessInstance.id).limit(1)) is None
