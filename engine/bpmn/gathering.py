"""Service tasks that gather the records of other instances through the engine's declared read-only queries.

A service task names a query as its operator (``spiffworkflow:serviceTaskOperator id="internal_audits"``), its
parameters are expressions over the task data, and its ``resultVariable`` receives the answer. The answer comes
from the workflow's *gatherer*, which the engine binds to a workflow when it loads or creates it (with the
database session of that moment); scripts never touch the database themselves.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

Gatherer = Callable[[str, Mapping[str, Any]], Any]


def bind(workflow: Any, gatherer: Gatherer) -> Any:
    """Let this workflow's service tasks gather through ``gatherer`` (until it is saved); gives the workflow back."""
    workflow.gatherer = gatherer
    return workflow


def gatherer_of(workflow: Any) -> Gatherer | None:
    return getattr(workflow, "gatherer", None)


class GatheringScriptEngine(PythonScriptEngine):
    """The script engine, whose service tasks are answered by the workflow's gatherer."""

    def call_service(self, task: Any, operation_name: str = "", operation_params: Mapping[str, Any] | None = None,
                     **kwargs: Any) -> str:
        gatherer = gatherer_of(task.workflow.top_workflow)
        where = task.task_spec.bpmn_id or task.task_spec.name
        if gatherer is None:
            raise WorkflowTaskException(f"service task {where!r}: no records can be gathered here", task=task)
        params = {name: param["value"] for name, param in (operation_params or {}).items()}
        try:
            answer = gatherer(operation_name, params)
        except Exception as exc:  # a wrong parameter value, named, on the instance rather than a crash
            raise WorkflowTaskException(f"gathering {operation_name!r} failed: {exc}", task=task,
                                        exception=exc) from exc
        return json.dumps(answer, default=str, ensure_ascii=False)
