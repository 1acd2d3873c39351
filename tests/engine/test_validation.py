"""Validating a model before deploying it: every refusal and the warnings, each at its element, nothing stored."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.bpmn import lint
from engine.bpmn.parsing import parse_xml
from engine.config import PROJECT_ROOT
from engine.errors import InvalidProcess
from engine.models import AuditEvent, ProcessDefinition
from engine.services import validation
from tests.factories import bpmn, deploy, flows, user_task

PROCESSES = sorted((PROJECT_ROOT / "processes").glob("*.bpmn"))
STAFF = "carbon_staff"
UNKNOWN_QUERY = ('<bpmn:serviceTask id="gather"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator '
                 'id="http/get" resultVariable="r"><spiffworkflow:parameters /></spiffworkflow:serviceTaskOperator>'
                 '</bpmn:extensionElements></bpmn:serviceTask>')


def _model(elements: str, *pairs: tuple[str, str], conditional: tuple[tuple[str, str, str], ...] = (),
           lane: list[str] | None = None) -> bytes:
    """A process of ``elements`` with a start ``s`` and an end ``e``; ``conditional`` flows carry a condition."""
    guarded = "".join(f'<bpmn:sequenceFlow id="f_{a}_{b}" sourceRef="{a}" targetRef="{b}"><bpmn:conditionExpression>'
                      f"{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>" for a, b, condition in conditional)
    return bpmn("checked", '<bpmn:startEvent id="s" />' + elements + '<bpmn:endEvent id="e" />' + flows(*pairs)
                + guarded, lanes={STAFF: lane or ["work"]})


def _script(task_id: str) -> str:
    return f'<bpmn:scriptTask id="{task_id}"><bpmn:script>n = 1</bpmn:script></bpmn:scriptTask>'


def _timer(cycle: str) -> str:
    return ('<bpmn:boundaryEvent id="remind" name="Reminder" attachedToRef="work" cancelActivity="false">'
            f'<bpmn:timerEventDefinition><bpmn:timeCycle>{cycle}</bpmn:timeCycle></bpmn:timerEventDefinition>'
            '</bpmn:boundaryEvent>' + _script("nudge"))


WORK = user_task("work", dueIn="P7D")
GATE = '<bpmn:exclusiveGateway id="again" name="Again?" default="f_again_e" />'
CHOICE = (("again", "work", "n &lt; 3"), ("again", "e", "n &gt;= 3"))

# code: (a model that gets the warning at the element, the same model fixed)
WARNINGS = {
    "unreachable": ("lost", _model(WORK + _script("lost"), ("s", "work"), ("work", "e"), ("lost", "e")),
                    _model(WORK + _script("lost"), ("s", "work"), ("work", "lost"), ("lost", "e"))),
    "dead_end": ("stuck", _model(WORK + GATE + _script("stuck"), ("s", "work"), ("work", "again"),
                                 ("again", "e"), conditional=(("again", "stuck", "n"),)),
                 _model(WORK + GATE + _script("stuck"), ("s", "work"), ("work", "again"), ("again", "e"),
                        ("stuck", "e"), conditional=(("again", "stuck", "n"),))),
    "no_default_flow": ("again", _model(WORK + GATE.replace(' default="f_again_e"', ""), ("s", "work"),
                                        ("work", "again"), conditional=CHOICE),
                        _model(WORK + GATE, ("s", "work"), ("work", "again"), conditional=CHOICE)),
    "no_due": ("work", _model(user_task("work"), ("s", "work"), ("work", "e")),
               _model(user_task("work", dueDate="correction_due"), ("s", "work"), ("work", "e"))),
    "short_timer_cycle": ("remind", _model(WORK + _timer('"R/PT10M"'), ("s", "work"), ("work", "e"),
                                           ("remind", "nudge"), ("nudge", "e")),
                          _model(WORK + _timer('"R/PT1H"'), ("s", "work"), ("work", "e"),
                                 ("remind", "nudge"), ("nudge", "e"))),
}


# A script and a gateway going round with nothing to wait for (refused), and the same loop through the user task.
BUSY_LOOP = _model(WORK + _script("calc") + GATE, ("s", "work"), ("work", "calc"), ("calc", "again"), ("again", "e"),
                   conditional=(("again", "calc", "n &lt; 3"),))
WAITING_LOOP = _model(WORK + _script("calc") + GATE, ("s", "work"), ("work", "calc"), ("calc", "again"),
                      ("again", "e"), conditional=(("again", "work", "n &lt; 3"),))


def _codes(problems):
    return [(p.code, p.element) for p in problems]


def _stored(db):
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(ProcessDefinition)), \
            session.scalar(select(func.count()).select_from(AuditEvent))


def _validate(db, source, file_name="checked.bpmn"):
    with db.reading() as session:
        return validation.validate(session, source=source, file_name=file_name)


def test_a_file_with_two_refusals_reports_both_at_their_elements(db):
    source = _model(user_task("work", dueIn="P7D", priority="urgent") + UNKNOWN_QUERY,
                    ("s", "work"), ("work", "gather"), ("gather", "e"), lane=["s"])
    with pytest.raises(InvalidProcess) as caught:
        deploy(db, source, "bad.bpmn")
    assert _codes(caught.value.problems) == [("no_lane", "work"), ("bad_priority", "work"),
                                             ("unknown_query", "gather")]
    message = str(caught.value)
    assert message.startswith("bad.bpmn: ")
    assert "user task 'work' is in no lane" in message and "priority must be 1, 2 or 3, not 'urgent'" in message
    assert "service task 'gather' names query 'http/get'" in message
    assert caught.value.problems[1].params == {"value": "urgent"}
    assert caught.value.problems[2].params["query"] == "http/get"
    result = _validate(db, source)
    assert _codes(result.refusals) == _codes(caught.value.problems) and not result.deployable
    assert all(p.severity == "error" for p in result.refusals)


def test_a_file_that_is_not_xml_is_refused_once_and_gets_no_warnings(db):
    result = _validate(db, b"<bpmn:definitions")
    assert _codes(result.refusals) == [("malformed_xml", None)]
    assert result.warnings == [] and result.process_id is None and not result.identical


def test_an_error_raised_without_problems_carries_one():
    error = InvalidProcess("x.bpmn: something")
    assert [(p.code, p.element, p.message) for p in error.problems] == [("invalid_process", None, "x.bpmn: something")]


@pytest.mark.parametrize("code", sorted(WARNINGS))
def test_each_warning_stands_at_its_element_and_goes_when_the_model_is_fixed(code):
    element, bad, fixed = WARNINGS[code]
    found = [w for w in lint.warnings(parse_xml(bad, "bad.bpmn")) if w.code == code]
    assert [w.element for w in found] == [element]
    assert found[0].severity == "warning" and repr(element) in found[0].message
    assert lint.warnings(parse_xml(fixed, "fixed.bpmn")) == []


def test_a_loop_without_a_wait_state_is_refused_at_deploy_where_it_stands(db):
    with pytest.raises(InvalidProcess) as caught:
        deploy(db, BUSY_LOOP, "loop.bpmn")
    assert [(p.code, p.element, p.params["ids"]) for p in caught.value.problems] == [
        ("loop_without_wait", "calc", "calc, again")]
    assert _codes(_validate(db, BUSY_LOOP).refusals) == [("loop_without_wait", "calc")]
    assert lint.refusals(parse_xml(WAITING_LOOP, "fine.bpmn")) == []
    deploy(db, WAITING_LOOP, "fine.bpmn")


@pytest.mark.parametrize("cycle", ['"R/PT0S"', '"R/PT30S"', '"R/2027-03-01T09:00:00+08:00/PT0S"'])
def test_a_timer_repeating_within_a_minute_is_refused(db, cycle):
    source = _model(WORK + _timer(cycle), ("s", "work"), ("work", "e"), ("remind", "nudge"), ("nudge", "e"))
    with pytest.raises(InvalidProcess) as caught:
        deploy(db, source, "ticking.bpmn")
    assert _codes(caught.value.problems) == [("timer_too_frequent", "remind")]


def test_warnings_name_the_element_and_the_values_a_translation_needs():
    timer = lint.warnings(parse_xml(WARNINGS["short_timer_cycle"][1], "timer.bpmn"))
    assert timer[0].params == {"type": "boundaryEvent", "name": "Reminder", "cycle": '"R/PT10M"',
                               "period": "PT10M"}
    assert timer[0].message.startswith("boundary event 'remind' (Reminder) repeats every PT10M")


def test_a_scheduled_start_every_half_hour_is_warned_about():
    source = bpmn("often", '<bpmn:startEvent id="tick"><bpmn:timerEventDefinition><bpmn:timeCycle>'
                  '"R/2027-03-01T09:00:00+08:00/PT30M"</bpmn:timeCycle></bpmn:timerEventDefinition>'
                  '</bpmn:startEvent><bpmn:endEvent id="e" />' + flows(("tick", "e")))
    assert _codes(lint.warnings(parse_xml(source, "often.bpmn"))) == [("short_timer_cycle", "tick")]


def test_an_event_subprocess_and_its_contents_are_reached_from_its_own_start():
    source = _model(WORK + '<bpmn:subProcess id="on_cancel" triggeredByEvent="true"><bpmn:startEvent id="cs">'
                    '<bpmn:messageEventDefinition /></bpmn:startEvent>' + _script("tidy")
                    + '<bpmn:endEvent id="ce" />' + flows(("cs", "tidy"), ("tidy", "ce")) + "</bpmn:subProcess>",
                    ("s", "work"), ("work", "e"))
    assert lint.warnings(parse_xml(source, "sub.bpmn")) == []


@pytest.mark.parametrize("path", PROCESSES, ids=lambda p: p.stem)
def test_shipped_processes_have_no_unreachable_step_dead_end_or_busy_loop(path):
    found = lint.warnings(parse_xml(path.read_bytes(), path.name))
    assert [w for w in found if w.code in ("unreachable", "dead_end", "loop_without_wait")] == []


def test_warnings_are_given_even_when_deploy_refuses(db):
    result = _validate(db, _model(user_task("work") + _script("lost"), ("s", "work"), ("work", "e"),
                                  ("lost", "e"), lane=["s"]))
    assert _codes(result.refusals) == [("no_lane", "work")]
    assert _codes(result.warnings) == [("unreachable", "lost"), ("no_due", "work")]
    assert result.process_id == "checked" and result.name == "Test checked"


def test_validating_stores_nothing(db):
    before = _stored(db)
    good = _validate(db, WARNINGS["no_due"][2], "good.bpmn")
    assert good.deployable and not good.identical and good.process_id == "checked"
    assert good.refusals == [] and good.warnings == []
    _validate(db, WARNINGS["no_due"][1].replace(b"test.note", b"no.such_form"))
    assert _stored(db) == before


def test_a_file_already_deployed_is_reported_identical(db):
    source = (PROJECT_ROOT / "processes" / "corrective_action.bpmn").read_bytes()
    same = _validate(db, source, "corrective_action.bpmn")
    assert same.identical and same.deployable and same.process_id == "corrective_action"
    changed = _validate(db, source.replace(b'value="P7D"', b'value="P3D"', 1), "corrective_action.bpmn")
    assert not changed.identical and changed.deployable
