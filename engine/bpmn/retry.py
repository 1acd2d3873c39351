"""Running an instance's failed step again, after an admin corrected what made it fail."""
from __future__ import annotations

from copy import deepcopy
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.runtime import advance, describe_error


def retry_failed(workflow: BpmnWorkflow, data: dict[str, Any] | None) -> str | None:
    """Run failed steps again (with corrected data) and advance.

    A failed user task (its postScript) is re-run at once, since its person already submitted.
    With no failed step, the error was in preparing what comes next (a user task, or a timer or
    message wait whose expression failed); those steps get the data and are prepared again.
    """
    # A timer start that fired and failed in the same step still waits to complete its last cycle: completing it
    # first (as the step would have) keeps it from re-making its branch under the step retried below.
    workflow.refresh_timers()
    for start in workflow.get_tasks(state=TaskState.READY):
        if isinstance(start.task_spec, StartEvent):
            start.run()
    failed = workflow.get_tasks(state=TaskState.ERROR)
    if not failed:
        return _prepare_again(workflow, data)
    for task in failed:
        if data:
            task.data.update(deepcopy(data))
        task._set_state(TaskState.READY)  # SpiffWorkflow's documented way back from ERROR
        if isinstance(task.task_spec, UserTask):
            try:
                task.run()
            except Exception as exc:  # noqa: BLE001
                return describe_error(exc)
    return advance(workflow)


def _prepare_again(workflow: BpmnWorkflow, data: dict[str, Any] | None) -> str | None:
    ready_or_waiting = workflow.get_tasks(state=TaskState.READY | TaskState.WAITING)
    # A step whose preparation failed stays FUTURE under a completed parent.
    stalled = [t for t in workflow.get_tasks(state=TaskState.FUTURE)
               if t.parent is not None and t.parent.state == TaskState.COMPLETED]
    for task in ready_or_waiting + stalled:
        if data:
            task.data.update(deepcopy(data))
    try:
        for task in stalled:
            task.task_spec._update(task)  # what SpiffWorkflow does when the parent completes
    except Exception as exc:  # noqa: BLE001
        return describe_error(exc)
    return advance(workflow)
