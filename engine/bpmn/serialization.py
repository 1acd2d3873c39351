"""Saved workflow state without the process spec in it: the spec is stored once per version."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG


class _SpecByReference(BpmnWorkflowConverter):
    """Writes a workflow without its spec; restores it onto spec objects the caller supplies."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["spec"] = workflow.spec.name
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], spec: Any = None,
                  subprocess_specs: dict[str, Any] | None = None) -> BpmnWorkflow:
        if spec is None or dct.pop("spec") != spec.name:
            raise ValueError("saved state belongs to another process spec")
        workflow = self.target_class(spec, subprocess_specs or {}, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _registry(spec_by_reference: bool) -> Any:
    config = dict(SPIFF_CONFIG)
    if spec_by_reference:
        config[BpmnWorkflow] = _SpecByReference
    registry = BpmnWorkflowSerializer.configure(config)
    # Scripts may compute with Decimal and dates; keep them exact across saves.
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]))
    return registry


class StateSerializer:
    """Turns specs and workflows into JSON text and back."""

    def __init__(self) -> None:
        self._workflows = BpmnWorkflowSerializer(_registry(spec_by_reference=True))
        self._full = BpmnWorkflowSerializer(_registry(spec_by_reference=False))

    @property
    def spec_registry(self) -> Any:
        """The converter of specs to dictionaries (SpiffWorkflow's spec diff compares specs through it)."""
        return self._full.registry

    def dump_spec(self, spec: Any, subprocess_specs: dict[str, Any]) -> str:
        """JSON of a process spec and its subprocess specs, stored once per deployed version."""
        registry = self._full.registry
        return json.dumps({"spec": registry.convert(spec),
                           "subprocess_specs": {k: registry.convert(v) for k, v in subprocess_specs.items()}})

    def load_spec(self, text: str) -> tuple[Any, dict[str, Any]]:
        registry = self._full.registry
        dct = json.loads(text)
        return registry.restore(dct["spec"]), {k: registry.restore(v) for k, v in dct["subprocess_specs"].items()}

    def dump_workflow(self, workflow: BpmnWorkflow) -> str:
        return self._workflows.serialize_json(workflow)

    def load_workflow(self, text: str, spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
        dct = json.loads(text)
        self._workflows.migrate(dct)
        return self._workflows.registry.restore(dct, spec=spec, subprocess_specs=subprocess_specs)

    def dump_workflow_with_spec(self, workflow: BpmnWorkflow) -> str:
        """SpiffWorkflow's default format, spec included (benchmarks compare against it)."""
        return self._full.serialize_json(workflow)

    def load_workflow_with_spec(self, text: str) -> BpmnWorkflow:
        return self._full.deserialize_json(text)


def json_safe(value: Any) -> Any:
    """Task data as plain JSON values (Decimal and dates become strings)."""
    return json.loads(json.dumps(value, default=_default))


def _default(value: Any) -> Any:
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return None
