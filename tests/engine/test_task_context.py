"""What a task shows above its form: the earlier steps it declares (all by default), labelled; what sent it back."""
from __future__ import annotations

import pytest

from engine.errors import InvalidProcess
from engine.read import records
from engine.read.task_context import context_of
from tests.factories import complete, deploy, open_task, start_corrective_action
from tests.processes.test_baseline_adjustment import assessment, decision, recalculation
from tests.processes.test_baseline_adjustment import start as start_baseline


def _fields(step) -> dict[str, tuple[str, str]]:
    return {line.label_en: (line.value_zh, line.value_en) for line in step.lines}


def test_evaluating_the_consequences_shows_the_nonconformity_it_is_about(db):
    nc = start_corrective_action(db, title="Kiln 2 gas meter out of calibration", description="Found in the audit.")
    with db.reading() as session:
        context = context_of(session, open_task(db, nc, "evaluate_consequences"))
    [raised] = context.steps
    assert (raised.element, raised.title_en, raised.by) == ("start", "Raise a nonconformity", "staff_prod")
    shown = _fields(raised)
    assert shown["Title"] == ("Kiln 2 gas meter out of calibration",) * 2
    assert shown["Description"] == ("Found in the audit.",) * 2
    assert shown["Source"] == ("内部审核", "Internal audit")  # a choice by its label, not its code
    assert shown["Responsible department"] == ("生产部", "Production")  # a department by its name
    assert context.sent_back_by is None and context.previous_entries is None


def test_later_steps_show_every_earlier_step_in_order_with_who_did_it(db):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    with db.reading() as session:
        context = context_of(session, open_task(db, nc, "analyse_cause"))
    assert [s.element for s in context.steps] == ["start", "evaluate_consequences"]
    assert context.steps[1].by == "body" and _fields(context.steps[1])["Consequences"]


def test_a_recalculation_sent_back_shows_the_decision_and_starts_from_the_last_round(db):
    bl = start_baseline(db)
    complete(db, bl, "assess_significance", "body", assessment())
    first = recalculation("6900")
    complete(db, bl, "recalculate_baseline", "staff_prod", first)
    complete(db, bl, "approve_baseline", "gm", decision(False))
    again = open_task(db, bl, "recalculate_baseline")
    with db.reading() as session:
        context = context_of(session, again)
        record = records.task_record(session, again, with_context=True)
    back = context.sent_back_by
    assert (back.element, back.by) == ("approve_baseline", "gm")
    assert _fields(back)["Comment"][1] == "Use 2024 grinding data."
    assert context.previous_entries["new_baseline"] == first["new_baseline"]
    assert record["sent_back_by"]["element"] == "approve_baseline"
    assert record["previous_entries"]["recalculation_method"] == first["recalculation_method"]
    assert record["context"][0]["element"] == "start_by_hand"
    assert "Line 3 (grinding) added to the plant." in {f["value"]["en"] for f in record["context"][0]["fields"]}


CONTEXTUAL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="contextual" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="carbon_staff"><bpmn:flowNodeRef>start</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>one</bpmn:flowNodeRef><bpmn:flowNodeRef>two</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>three</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formKey" value="test.note" /></spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:startEvent>
    {tasks}
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="one" />
    <bpmn:sequenceFlow id="f2" sourceRef="one" targetRef="two" />
    <bpmn:sequenceFlow id="f3" sourceRef="two" targetRef="three" />
    <bpmn:sequenceFlow id="f4" sourceRef="three" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


def _task(task_id: str, context: str | None = None) -> str:
    extra = f'<spiffworkflow:property name="context" value="{context}" />' if context is not None else ""
    return (f'<bpmn:userTask id="{task_id}"><bpmn:extensionElements><spiffworkflow:properties>'
            f'<spiffworkflow:property name="formKey" value="test.note" />{extra}</spiffworkflow:properties>'
            f'</bpmn:extensionElements></bpmn:userTask>')


def test_a_task_shows_only_the_steps_its_bpmn_declares(db):
    from engine.services import instances

    deploy(db, CONTEXTUAL.replace("{tasks}", _task("one") + _task("two") + _task("three", "start, two")).encode())
    with db.transaction() as session:
        iid = instances.start(session, process_id="contextual", actor="staff_prod",
                              data={"follow_up_note": "why we start"}).id
    note = {"follow_up_note": "done", "new_expected_date": None}
    complete(db, iid, "one", "staff_prod", note)
    complete(db, iid, "two", "staff_prod", note)
    with db.reading() as session:
        steps = context_of(session, open_task(db, iid, "three")).steps
    assert [s.element for s in steps] == ["start", "two"]


@pytest.mark.parametrize("context, named", [("start, nowhere", "'nowhere'"), ("end", "'end'"), (" ", "nothing")])
def test_deploy_refuses_a_context_naming_what_the_process_does_not_hold(db, context, named):
    source = CONTEXTUAL.replace("{tasks}", _task("one") + _task("two") + _task("three", context)).encode()
    with pytest.raises(InvalidProcess, match=rf"user task 'three': context names {named}"):
        deploy(db, source, "contextual.bpmn")
