"""scripts/layout_bpmn.py: a process written by hand gets a diagram the web modeller can show."""
from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from itertools import combinations, pairwise
from pathlib import Path

import pytest
from lxml import etree

import forms
from engine.bpmn.parsing import parse_bpmn
from engine.config import PROJECT_ROOT
from engine.people import ROLES

TOOL = PROJECT_ROOT / "scripts" / "layout_bpmn.py"
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}

# Two lanes, a loop back from the gateway to the first task, a timer on the second task and no
# collaboration: written by hand, with no diagram.
SMALL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="layout_demo_definitions" targetNamespace="http://carbonflow.test/layout_demo">
  <bpmn:process id="layout_demo" name="版面 Layout demo" isExecutable="true">
    <bpmn:laneSet id="layout_demo_lanes">
      <bpmn:lane id="lane_body" name="carbon_body">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>evaluate</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>is_done</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>done</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="lane_head" name="department_head">
        <bpmn:flowNodeRef>analyse</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>too_slow</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>follow_up</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>followed_up</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="提出 Raised">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formKey" value="corrective_action.raise" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:startEvent>
    <bpmn:userTask id="evaluate" name="评价 Evaluate">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formKey" value="corrective_action.evaluate_consequences" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:userTask id="analyse" name="分析 Analyse">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formKey" value="corrective_action.analyse_cause" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="too_slow" name="太慢 Too slow" attachedToRef="analyse"
                        cancelActivity="false">
      <bpmn:timerEventDefinition id="too_slow_timer">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P3D"</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="follow_up" name="跟进 Follow up">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formKey" value="corrective_action.follow_up_overdue" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="followed_up" />
    <bpmn:exclusiveGateway id="is_done" name="完成？ Done?" default="again" />
    <bpmn:endEvent id="done" name="完成 Done" />
    <bpmn:sequenceFlow id="flow_start" sourceRef="start" targetRef="evaluate" />
    <bpmn:sequenceFlow id="flow_evaluate" sourceRef="evaluate" targetRef="analyse" />
    <bpmn:sequenceFlow id="flow_analyse" sourceRef="analyse" targetRef="is_done" />
    <bpmn:sequenceFlow id="flow_done" sourceRef="is_done" targetRef="done">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">closed</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="again" sourceRef="is_done" targetRef="evaluate" />
    <bpmn:sequenceFlow id="flow_too_slow" sourceRef="too_slow" targetRef="follow_up" />
    <bpmn:sequenceFlow id="flow_follow_up" sourceRef="follow_up" targetRef="followed_up" />
  </bpmn:process>
</bpmn:definitions>
"""

# What the tool must not trip over: a default namespace and no DI namespaces, a pool with no
# process, a message flow, a process with no lanes, a multi-instance task, a subprocess with
# nodes inside, intermediate events, a flow looping onto its own node.
UNUSUAL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="unusual" targetNamespace="x">
  <collaboration id="pools">
    <participant id="supplier" name="Supplier" />
    <messageFlow id="delivery" sourceRef="supplier" targetRef="wait" />
  </collaboration>
  <process id="unusual_process" isExecutable="true">
    <startEvent id="start" />
    <userTask id="per_department">
      <multiInstanceLoopCharacteristics isSequential="false" />
    </userTask>
    <subProcess id="inner">
      <startEvent id="inner_start" /><endEvent id="inner_end" />
      <sequenceFlow id="inner_flow" sourceRef="inner_start" targetRef="inner_end" />
    </subProcess>
    <intermediateCatchEvent id="wait" name="Delivered">
      <messageEventDefinition />
    </intermediateCatchEvent>
    <intermediateThrowEvent id="retry" />
    <endEvent id="end" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="per_department" />
    <sequenceFlow id="f2" sourceRef="per_department" targetRef="inner" />
    <sequenceFlow id="f3" sourceRef="inner" targetRef="wait" />
    <sequenceFlow id="f4" sourceRef="wait" targetRef="retry" />
    <sequenceFlow id="f5" sourceRef="retry" targetRef="retry" />
    <sequenceFlow id="f6" sourceRef="retry" targetRef="end" />
  </process>
</definitions>
"""


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    def contains(self, other: Rect) -> bool:
        return (self.x <= other.x and other.right <= self.right
                and self.y <= other.y and other.bottom <= self.bottom)

    def overlaps(self, other: Rect) -> bool:
        return (self.x < other.right and other.x < self.right
                and self.y < other.bottom and other.y < self.bottom)

    def on_border(self, x: float, y: float) -> bool:
        inside = self.x <= x <= self.right and self.y <= y <= self.bottom
        return inside and (x in (self.x, self.right) or y in (self.y, self.bottom))


@dataclass(frozen=True)
class LaidOut:
    """A file as written by hand (without a diagram) and the same file after the tool ran."""

    before: str
    after: str

    @property
    def root(self) -> etree._Element:
        return etree.fromstring(self.after.encode())

    def shapes(self) -> dict[str, Rect]:
        return {shape.get("bpmnElement"): _rect(shape.find("dc:Bounds", NS))
                for shape in self.root.iterfind(".//bpmndi:BPMNShape", NS)}

    def labels(self) -> dict[str, Rect]:
        return {shape.getparent().get("bpmnElement"): _rect(shape.find("dc:Bounds", NS))
                for shape in self.root.iterfind(".//bpmndi:BPMNShape/bpmndi:BPMNLabel", NS)}

    def edges(self) -> dict[str, list[tuple[float, float]]]:
        return {edge.get("bpmnElement"): [(float(p.get("x")), float(p.get("y")))
                                          for p in edge.iterfind("di:waypoint", NS)]
                for edge in self.root.iterfind(".//bpmndi:BPMNEdge", NS)}

    def flow_nodes(self) -> list[etree._Element]:
        return [child for child in self.root.find("bpmn:process", NS)
                if isinstance(child.tag, str) and re.search(r"(Event|Gateway|Task)$", child.tag)]


def _rect(bounds: etree._Element) -> Rect:
    return Rect(*(float(bounds.get(name)) for name in ("x", "y", "width", "height")))


def without_diagram(text: str) -> str:
    return re.sub(r"\s*<bpmndi:BPMNDiagram\b.*</bpmndi:BPMNDiagram>", "", text, flags=re.DOTALL)


def serialised(text: str, path: str) -> bytes:
    return etree.tostring(etree.fromstring(text.encode()).find(path, NS), with_tail=False)


def run_tool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)],
                          capture_output=True, text=True, check=False)


def lay_out(directory: Path, name: str, text: str) -> LaidOut:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    result = run_tool(path)
    assert result.returncode == 0, result.stderr
    return LaidOut(text, path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> LaidOut:
    return lay_out(tmp_path_factory.mktemp("small"), "layout_demo.bpmn", SMALL)


@pytest.fixture(scope="module")
def corrective_action(tmp_path_factory: pytest.TempPathFactory) -> LaidOut:
    # A copy: others edit processes/ while the tests run, so the tool never touches it here.
    source = (PROJECT_ROOT / "processes" / "corrective_action.bpmn").read_text(encoding="utf-8")
    return lay_out(tmp_path_factory.mktemp("corrective_action"), "corrective_action.bpmn",
                   without_diagram(source))


@pytest.fixture(params=["small", "corrective_action"])
def laid_out(request: pytest.FixtureRequest) -> LaidOut:
    return request.getfixturevalue(request.param)


def test_check_fails_without_a_diagram_and_passes_after_layout(laid_out, tmp_path):
    before, after = tmp_path / "before.bpmn", tmp_path / "after.bpmn"
    before.write_text(laid_out.before, encoding="utf-8")
    after.write_text(laid_out.after, encoding="utf-8")

    failed = run_tool("--check", before, after)
    assert failed.returncode == 1
    assert str(before) in failed.stderr and str(after) not in failed.stderr
    assert run_tool("--check", after).returncode == 0
    assert before.read_text(encoding="utf-8") == laid_out.before  # --check changes nothing


def test_every_flow_node_flow_lane_and_participant_is_drawn(laid_out):
    root, shapes, edges = laid_out.root, laid_out.shapes(), laid_out.edges()
    drawn = [*root.iterfind(".//bpmn:participant", NS), *root.iterfind(".//bpmn:lane", NS),
             *laid_out.flow_nodes()]
    assert {element.get("id") for element in drawn} <= set(shapes)
    flows = root.iterfind("bpmn:process/bpmn:sequenceFlow", NS)
    assert {flow.get("id") for flow in flows} <= set(edges)
    collaboration = root.find("bpmn:collaboration", NS)
    assert root.find(".//bpmndi:BPMNPlane", NS).get("bpmnElement") == collaboration.get("id")


def test_a_file_without_collaboration_gets_one_with_a_pool_for_its_process(small):
    participants = small.root.findall("bpmn:collaboration/bpmn:participant", NS)
    assert [p.get("processRef") for p in participants] == ["layout_demo"]
    assert participants[0].get("name") == "版面 Layout demo"


def test_lanes_are_bands_across_the_pool_in_document_order(laid_out):
    shapes = laid_out.shapes()
    pool = shapes[laid_out.root.find(".//bpmn:participant", NS).get("id")]
    lanes = [shapes[lane.get("id")] for lane in laid_out.root.iterfind(".//bpmn:lane", NS)]
    assert all(pool.contains(lane) and lane.right == pool.right for lane in lanes)
    assert [lane.y for lane in lanes] == sorted(lane.y for lane in lanes)
    assert all(upper.bottom == lower.y for upper, lower in pairwise(lanes))


def test_nodes_sit_inside_their_lanes_band(laid_out):
    shapes = laid_out.shapes()
    for lane in laid_out.root.iterfind(".//bpmn:lane", NS):
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            assert shapes[lane.get("id")].contains(shapes[ref.text]), \
                f"{ref.text} outside {lane.get('id')}"


def test_no_two_nodes_overlap_except_a_boundary_event_on_its_task(laid_out):
    shapes = laid_out.shapes()
    hosts = {node.get("id"): node.get("attachedToRef") for node in laid_out.flow_nodes()}
    for a, b in combinations([node.get("id") for node in laid_out.flow_nodes()], 2):
        if hosts[a] != b and hosts[b] != a:
            assert not shapes[a].overlaps(shapes[b]), f"{a} overlaps {b}"


def test_boundary_event_sits_on_the_bottom_edge_of_its_task(small):
    shapes = small.shapes()
    timer, task = shapes["too_slow"], shapes["analyse"]
    assert (timer.width, timer.height) == (36, 36)
    assert timer.y + timer.height / 2 == task.bottom
    assert task.x <= timer.x and timer.right <= task.right


def test_shapes_have_the_standard_sizes(small):
    shapes = small.shapes()
    assert (shapes["evaluate"].width, shapes["evaluate"].height) == (100, 80)
    assert (shapes["start"].width, shapes["start"].height) == (36, 36)
    assert (shapes["is_done"].width, shapes["is_done"].height) == (50, 50)


def test_nodes_stand_in_columns_along_the_flow(small):
    shapes = small.shapes()
    path = ["start", "evaluate", "analyse", "is_done", "done"]
    centres = [shapes[node].x + shapes[node].width / 2 for node in path]
    assert centres == sorted(centres) and len(set(centres)) == len(centres)


def test_flows_run_orthogonally_from_their_source_into_the_left_of_their_target(laid_out):
    shapes, edges = laid_out.shapes(), laid_out.edges()
    for flow in laid_out.root.iterfind("bpmn:process/bpmn:sequenceFlow", NS):
        points = edges[flow.get("id")]
        source, target = shapes[flow.get("sourceRef")], shapes[flow.get("targetRef")]
        assert source.on_border(*points[0]), f"{flow.get('id')} does not start on its source"
        assert target.on_border(*points[-1]) and points[-1][0] == target.x, \
            f"{flow.get('id')} does not end on the left of its target"
        assert all(a[0] == b[0] or a[1] == b[1] for a, b in pairwise(points)), flow.get("id")


def test_the_loop_back_runs_below_the_nodes_of_its_band(small):
    shapes = small.shapes()
    lowest_node = max(shapes[node].bottom for node in ("start", "evaluate", "is_done", "done"))
    loop = small.edges()["again"]
    assert max(y for _, y in loop) > lowest_node
    assert shapes["lane_body"].bottom > max(y for _, y in loop)


def test_names_of_events_and_gateways_sit_below_them(small):
    shapes, labels = small.shapes(), small.labels()
    assert {"start", "too_slow", "is_done", "done"} <= set(labels)
    assert all(labels[node].y >= shapes[node].bottom for node in labels)


def test_everything_but_the_diagram_and_the_new_collaboration_is_kept_byte_for_byte(small):
    added = r"<bpmn:collaboration\b.*?</bpmn:collaboration>\s*"
    assert re.sub(added, "", without_diagram(small.after), flags=re.DOTALL) == small.before
    assert serialised(small.after, "bpmn:process") == serialised(small.before, "bpmn:process")
    assert small.after.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')


def test_a_file_with_a_collaboration_only_gains_the_diagram(corrective_action):
    before, after = corrective_action.before, corrective_action.after
    assert without_diagram(after) == before
    for path in ("bpmn:collaboration", "bpmn:process"):
        assert serialised(after, path) == serialised(before, path)


def test_laying_out_again_changes_nothing(laid_out, tmp_path):
    path = tmp_path / "again.bpmn"
    path.write_text(laid_out.after, encoding="utf-8")
    assert run_tool(path).returncode == 0
    assert path.read_text(encoding="utf-8") == laid_out.after


def test_the_laid_out_file_still_deploys(laid_out):
    parsed = parse_bpmn(laid_out.after.encode(), "laid_out.bpmn",
                        roles=ROLES, form_keys=forms.FORMS, queries={})
    assert parsed.process_id in {"layout_demo", "corrective_action"}


def test_unusual_elements_are_drawn_without_trouble(tmp_path):
    unusual = lay_out(tmp_path, "unusual.bpmn", UNUSUAL)
    assert run_tool("--check", tmp_path / "unusual.bpmn").returncode == 0
    shapes = unusual.root.findall(".//bpmndi:BPMNShape", NS)
    assert [s.get("isExpanded") for s in shapes if s.get("bpmnElement") == "inner"] == ["false"]
    assert {"supplier", "start", "per_department", "wait", "retry", "end"} <= set(unusual.shapes())
    assert "inner_start" not in unusual.shapes()


def test_a_file_that_is_not_bpmn_is_named_and_left_alone(tmp_path):
    path = tmp_path / "broken.bpmn"
    path.write_text("<bpmn:definitions", encoding="utf-8")
    result = run_tool(path)
    assert result.returncode == 1 and str(path) in result.stderr
    assert path.read_text(encoding="utf-8") == "<bpmn:definitions"
