"""A model that loops without waiting stops in error with the reason, instead of ending "completed" with no data."""
from __future__ import annotations

from lxml import etree
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.bpmn import runtime as rt
from tests.engine.test_validation import BUSY_LOOP


def test_a_busy_loop_that_got_past_deploy_puts_the_instance_in_error_with_the_reason():
    # Deploy refuses this model (test_validation); a version deployed before that rule still runs it.
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_xml(etree.fromstring(BUSY_LOOP), "loop.bpmn")
    workflow = BpmnWorkflow(parser.get_spec("checked"), script_engine=rt.shared_runtime().script_engine)
    assert rt.advance(workflow) is None  # up to the user task
    [task] = rt.ready_user_tasks(workflow)
    error = rt.complete_user_task(workflow, task, {"note": "go"})
    assert error is not None and f"more than {rt.MAX_ENGINE_STEPS} steps" in error
    assert "a loop without a wait state" in error and not workflow.is_completed()
