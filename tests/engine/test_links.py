"""Messages a process throws start linked instances; links read from both ends; multi-instance work."""
from __future__ import annotations

import pytest

from engine.errors import InvalidFormData, NotPermitted
from engine.people import get_actor
from engine.read import queries
from engine.services import instances, tasks
from tests.factories import (
    bpmn,
    complete,
    complete_task,
    deploy,
    flows,
    instance,
    open_task_names,
    open_tasks,
    raise_data,
    user_task,
)

# A finder whose "report" form carries the findings; each one is thrown as nonconformity_raised.
FINDER = bpmn("finder", (
    '<bpmn:startEvent id="start" />'
    + '<bpmn:userTask id="report" name="Report"><bpmn:extensionElements><spiffworkflow:properties>'
      '<spiffworkflow:property name="formKey" value="test.note" />'
      '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>'
    + '<bpmn:intermediateThrowEvent id="raise"><bpmn:messageEventDefinition id="med" messageRef="msg_nc">'
      '<bpmn:extensionElements><spiffworkflow:messagePayload>findings</spiffworkflow:messagePayload>'
      '</bpmn:extensionElements></bpmn:messageEventDefinition></bpmn:intermediateThrowEvent>'
    + '<bpmn:endEvent id="end" />' + flows(("start", "report"), ("report", "raise"), ("raise", "end"))),
    lanes={"internal_auditor": ["start", "report", "raise", "end"]},
    extra='<bpmn:message id="msg_nc" name="nonconformity_raised" />')


def _finder(db, findings):
    deploy(db, FINDER)
    with db.transaction() as session:
        return instances.start(session, process_id="finder", actor="auditor", data={"findings": findings}).id


def _report(db, finder_id):
    complete(db, finder_id, "report", "auditor", {"follow_up_note": "Audit done", "new_expected_date": None})


def test_each_thrown_finding_starts_a_corrective_action_linked_both_ways(db):
    finder = _finder(db, [raise_data(title="Meter 7 uncalibrated"), raise_data(title="No QC plan", clause="8.1.1")])
    _report(db, finder)

    assert instance(db, finder).status == "completed"
    with db.reading() as session:
        out = queries.instance_links(session, finder)
        assert [(link["direction"], link["kind"], link["process_id"]) for link in out] == [
            ("out", "nonconformity_raised", "corrective_action")] * 2
        raised = [link["instance_id"] for link in out]
        back = queries.instance_links(session, raised[1])
    assert [(link["direction"], link["instance_id"], link["process_id"]) for link in back] == [
        ("in", finder, "finder")]
    assert [instance(db, i).data["title"] for i in raised] == ["Meter 7 uncalibrated", "No QC plan"]
    assert all(open_task_names(db, i) == ["evaluate_consequences"] for i in raised)
    assert instance(db, raised[0]).started_by == "auditor"


def test_no_findings_start_nothing(db):
    finder = _finder(db, [])
    _report(db, finder)
    with db.reading() as session:
        assert queries.instance_links(session, finder) == []
        assert [i.process_id for i in queries.instances(session)] == ["finder"]


def test_an_invalid_finding_refuses_the_completion_naming_the_thrower_and_changes_nothing(db):
    finder = _finder(db, [raise_data(), raise_data(department="no_such_department")])
    with pytest.raises(InvalidFormData, match="nonconformity_raised thrown by finder instance") as caught:
        _report(db, finder)
    assert "department" in caught.value.errors
    assert open_task_names(db, finder) == ["report"]
    with db.reading() as session:
        assert [i.process_id for i in queries.instances(session)] == ["finder"]


# Per-department confirmation: one task per department, each offered to that department's head.
PER_DEPARTMENT = bpmn("per_department", (
    '<bpmn:startEvent id="start" />'
    '<bpmn:userTask id="confirm" name="Confirm"><bpmn:extensionElements><spiffworkflow:properties>'
    '<spiffworkflow:property name="formKey" value="test.note" />'
    '<spiffworkflow:property name="candidateDepartment" value="department" />'
    '</spiffworkflow:properties></bpmn:extensionElements>'
    '<bpmn:multiInstanceLoopCharacteristics><bpmn:loopDataInputRef>departments</bpmn:loopDataInputRef>'
    '<bpmn:loopDataOutputRef>confirmations</bpmn:loopDataOutputRef>'
    '<bpmn:inputDataItem id="department" name="department" />'
    '<bpmn:outputDataItem id="confirmation" name="confirmation" />'
    '</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>'
    '<bpmn:userTask id="audit" name="Audit"><bpmn:extensionElements><spiffworkflow:properties>'
    '<spiffworkflow:property name="formKey" value="test.note" />'
    '<spiffworkflow:property name="excludeDepartment" value="audited" />'
    '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>'
    '<bpmn:endEvent id="end" />' + flows(("start", "confirm"), ("confirm", "audit"), ("audit", "end"))),
    lanes={"department_head": ["start", "confirm", "end"], "internal_auditor": ["audit"]})


def test_a_multi_instance_task_gives_each_department_its_own_task_and_collects_each_submission(db):
    deploy(db, PER_DEPARTMENT)
    with db.transaction() as session:
        iid = instances.start(session, process_id="per_department", actor="gm",
                              data={"departments": ["production", "energy"], "audited": "quality"}).id
    confirm = open_tasks(db, iid, "confirm")
    assert [t.candidate_department for t in confirm] == ["production", "energy"]
    with db.transaction() as session, pytest.raises(NotPermitted):
        tasks.complete(session, task_id=confirm[0].id, actor="head_energy", data={"follow_up_note": "x"})
    complete_task(db, confirm[1].id, "head_energy", {"follow_up_note": "Energy informed"})
    complete_task(db, confirm[0].id, "head_prod", {"follow_up_note": "Production informed"})

    data = instance(db, iid).data
    # In the order they were done, each with the department it was for.
    assert [(c["department"], c["follow_up_note"]) for c in data["confirmations"]] == [
        ("energy", "Energy informed"), ("production", "Production informed")]


def test_members_of_the_excluded_department_neither_see_nor_do_the_task(db):
    deploy(db, PER_DEPARTMENT)
    with db.transaction() as session:
        iid = instances.start(session, process_id="per_department", actor="gm",
                              data={"departments": ["production"], "audited": "quality"}).id
    complete(db, iid, "confirm", "head_prod", {"follow_up_note": "ok"})
    audit = open_tasks(db, iid, "audit")[0]
    assert audit.excluded_department == "quality"
    with db.reading() as session:
        assert audit.id not in [t.id for t in queries.tasks_for_user(session, get_actor(session, "auditor"))]
        assert audit.id in [t.id for t in queries.tasks_for_user(session, get_actor(session, "auditor_prod"))]
    with db.transaction() as session, pytest.raises(NotPermitted, match="own department"):
        tasks.complete(session, task_id=audit.id, actor="auditor", data={"follow_up_note": "x"})
    with db.transaction() as session, pytest.raises(NotPermitted, match="own department"):
        tasks.delegate(session, task_id=audit.id, actor="admin", to_user="auditor")
    complete(db, iid, "audit", "auditor_prod", {"follow_up_note": "Audited"})
    assert instance(db, iid).status == "completed"


def test_the_step_after_a_multi_instance_task_keeps_its_own_submission(db):
    # SpiffWorkflow makes that step a child of the multi-instance task too.
    deploy(db, PER_DEPARTMENT)
    with db.transaction() as session:
        iid = instances.start(session, process_id="per_department", actor="gm",
                              data={"departments": ["production"], "audited": "quality"}).id
    complete(db, iid, "confirm", "head_prod", {"follow_up_note": "confirmed"})
    complete(db, iid, "audit", "auditor_prod", {"follow_up_note": "audited"})
    data = instance(db, iid).data
    assert data["follow_up_note"] == "audited" and "confirmation" not in data
    assert data["confirmations"] == [{"department": "production", "follow_up_note": "confirmed",
                                      "new_expected_date": None}]


def test_a_task_can_go_to_the_head_of_the_department_a_named_user_belongs_to(db):
    owners_head = bpmn("owners_head", (
        '<bpmn:startEvent id="s" />' + user_task("follow_up", departmentOfUser="owner")
        + flows(("s", "follow_up"))), lanes={"department_head": ["s", "follow_up"]})
    deploy(db, owners_head)
    with db.transaction() as session:
        iid = instances.start(session, process_id="owners_head", actor="gm", data={"owner": "staff_energy"}).id
    assert open_tasks(db, iid, "follow_up")[0].candidate_department == "energy"
    with db.transaction() as session:
        broken = instances.start(session, process_id="owners_head", actor="gm", data={"owner": "nobody"})
    assert broken.status == "error" and "departmentOfUser 'nobody'" in broken.error_message


def test_an_assignment_expression_that_gives_no_name_puts_the_instance_in_error(db):
    deploy(db, PER_DEPARTMENT)
    with db.transaction() as session:
        iid = instances.start(session, process_id="per_department", actor="gm",
                              data={"departments": ["production"], "audited": {"department": "quality"}}).id
    complete(db, iid, "confirm", "head_prod", {"follow_up_note": "ok"})
    broken = instance(db, iid)
    assert broken.status == "error" and "excludeDepartment 'audited' gave dict" in broken.error_message
