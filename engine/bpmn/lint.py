"""Warnings on a BPMN model that deploys but may not run as meant: steps nothing reaches or that lead nowhere,
loops that never wait, gateways that can find no way out, tasks never due, timers that repeat too often.

They read the XML tree (``parsing.parse_xml``), not the SpiffWorkflow spec, so that they are given even for a
file that deploy refuses.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.errors import Problem

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"

SUBPROCESSES = frozenset({"subProcess", "transaction", "adHocSubProcess"})
FLOW_NODES = SUBPROCESSES | {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask", "businessRuleTask",
    "callActivity", "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
    "complexGateway",
}
# Where a loop stops for a person or the outside world (a call activity is given the benefit of the doubt).
WAITING_TASKS = frozenset({"userTask", "manualTask", "receiveTask", "callActivity"})
WAITING_EVENTS = frozenset({"timerEventDefinition", "messageEventDefinition", "signalEventDefinition",
                            "conditionalEventDefinition"})
SHORTEST_CYCLE = timedelta(hours=1)  # shorter: a warning
SHORTEST_ALLOWED = timedelta(minutes=1)  # shorter (or none at all): refused, it would open a task every tick


def refusals(root: Any) -> list[Problem]:
    """What deploy refuses in the flow itself: a loop that never waits, a timer repeating within a minute."""
    found: list[Problem] = []
    for process in executable_processes(root):
        for container in [process, *_descendants(process, SUBPROCESSES)]:
            found += list(_loops_without_wait(_Graph.of(container)))
        found += list(_too_frequent_timers(process))
    return [Problem(p.code, p.element, p.params, p.message, severity="error") for p in found]


def warnings(root: Any) -> list[Problem]:
    """The warnings on the executable processes of a bpmn:definitions element, process by process."""
    found: list[Problem] = []
    for process in executable_processes(root):
        for container in [process, *_descendants(process, SUBPROCESSES)]:
            graph = _Graph.of(container)
            found += [*_unreachable(graph), *_dead_ends(graph)]
        found += [*_no_end(process), *_no_default_flow(process), *_no_due(process), *_short_timer_cycles(process)]
    return found


def _no_end(process: Any) -> Iterator[Problem]:
    """A process without an end event: its instances end only where a path runs out, which reads as a mistake."""
    if next(process.iterfind(f"{BPMN}endEvent"), None) is None:
        yield _warning("no_end_event", process, "has no end event: draw where each path ends")


def executable_processes(root: Any) -> list[Any]:
    """The bpmn:process elements SpiffWorkflow runs (isExecutable is true unless it says false)."""
    return [p for p in root.iterfind(f"{BPMN}process") if p.get("isExecutable", "true") == "true"]


@dataclass(frozen=True)
class _Graph:
    """The flow nodes directly inside one process or subprocess, in document order, and where each leads."""

    nodes: dict[str, Any]
    edges: dict[str, list[str]]

    @classmethod
    def of(cls, container: Any) -> _Graph:
        children = [c for c in container if isinstance(c.tag, str)]
        nodes = {c.get("id"): c for c in children if _kind(c) in FLOW_NODES and c.get("id")}
        edges: dict[str, list[str]] = {n: [] for n in nodes}
        pairs = [(f.get("sourceRef"), f.get("targetRef")) for f in children if _kind(f) == "sequenceFlow"]
        # A boundary event is reached through the activity it is attached to.
        pairs += [(n.get("attachedToRef"), i) for i, n in nodes.items() if _kind(n) == "boundaryEvent"]
        pairs += _link_pairs(nodes)
        for source, target in pairs:
            if source in nodes and target in nodes:
                edges[source].append(target)
        return cls(nodes, edges)

    def of_kind(self, *kinds: str) -> list[str]:
        return [i for i, n in self.nodes.items() if _kind(n) in kinds]

    def event_subprocesses(self) -> list[str]:
        return [i for i in self.of_kind(*SUBPROCESSES) if self.nodes[i].get("triggeredByEvent") == "true"]

    def reversed(self) -> dict[str, list[str]]:
        back: dict[str, list[str]] = {n: [] for n in self.nodes}
        for source, targets in self.edges.items():
            for target in targets:
                back[target].append(source)
        return back


def _link_pairs(nodes: dict[str, Any]) -> list[tuple[str, str]]:
    """A link throw event goes on at the link catch events of the same name."""
    def links(kind: str) -> list[tuple[str, str]]:
        return [(i, d.get("name")) for i, n in nodes.items() if _kind(n) == kind
                for d in n.iterfind(f"{BPMN}linkEventDefinition")]
    return [(thrower, catcher) for thrower, name in links("intermediateThrowEvent")
            for catcher, caught in links("intermediateCatchEvent") if name == caught]


def _unreachable(graph: _Graph) -> Iterator[Problem]:
    has_incoming = {t for targets in graph.edges.values() for t in targets}
    # BPMN: without start events, every node without incoming flows starts (as in a subprocess).
    roots = graph.of_kind("startEvent") or [n for n in graph.nodes if n not in has_incoming]
    reached = _reach(graph.edges, [*roots, *graph.event_subprocesses()])
    for node in graph.nodes:
        if node not in reached:
            yield _warning("unreachable", graph.nodes[node], "cannot be reached from any start event")


def _dead_ends(graph: _Graph) -> Iterator[Problem]:
    ends = graph.of_kind("endEvent") or [n for n, targets in graph.edges.items() if not targets]
    # An event subprocess has no flows out: it ends inside.
    reaching = _reach(graph.reversed(), ends) | set(graph.event_subprocesses())
    for node in graph.nodes:
        if node not in reaching:
            yield _warning("dead_end", graph.nodes[node], "leads to no end event")


def _loops_without_wait(graph: _Graph) -> Iterator[Problem]:
    """Each set of nodes that can go round without a person, a timer or a message stopping them, once."""
    busy = {n: [t for t in targets if not _waits(graph.nodes[t])]
            for n, targets in graph.edges.items() if not _waits(graph.nodes[n])}
    after = {n: _reach(busy, busy[n]) for n in busy}
    seen: set[str] = set()
    for node in busy:
        if node in after[node] and node not in seen:
            cycle = [m for m in busy if m in after[node] and node in after[m]]
            seen.update(cycle)
            ids = ", ".join(cycle)
            yield _warning("loop_without_wait", graph.nodes[node],
                           f"is on a loop ({ids}) with no user task and no wait for a timer or message: "
                           "it could go round without end", ids=ids)


def _no_default_flow(process: Any) -> Iterator[Problem]:
    for gateway in _descendants(process, {"exclusiveGateway"}):
        outgoing = [f for f in gateway.getparent().iterfind(f"{BPMN}sequenceFlow")
                    if f.get("sourceRef") == gateway.get("id")]
        conditional = all(f.find(f"{BPMN}conditionExpression") is not None for f in outgoing)
        if len(outgoing) > 1 and conditional and not gateway.get("default"):
            flows = ", ".join(f.get("id") or "" for f in outgoing)
            yield _warning("no_default_flow", gateway, f"has only conditional flows out ({flows}) and no "
                           "default flow: when every condition is false the instance stops with an error",
                           flows=flows)


def _no_due(process: Any) -> Iterator[Problem]:
    for task in _descendants(process, {"userTask"}):
        props = {p.get("name"): p.get("value") for p in task.iterfind(
            f"{BPMN}extensionElements/{SPIFF}properties/{SPIFF}property")}
        if not (props.get("dueIn") or props.get("dueDate")):
            yield _warning("no_due", task, "has no dueIn or dueDate property: it is never due, never overdue")


def _too_frequent_timers(process: Any) -> Iterator[Problem]:
    for cycle in process.iter(f"{BPMN}timeCycle"):
        expression = (cycle.text or "").strip()
        period = _cycle_period(expression)
        if period is not None and _is_short(period, SHORTEST_ALLOWED):
            event = cycle.getparent().getparent()
            yield _warning("timer_too_frequent", event, f"repeats every {period} (timeCycle {expression}): a timer "
                           "may not repeat more often than once a minute", cycle=expression, period=period)


def _short_timer_cycles(process: Any) -> Iterator[Problem]:
    for cycle in process.iter(f"{BPMN}timeCycle"):
        expression = (cycle.text or "").strip()
        period = _cycle_period(expression)
        if period is not None and _is_short(period) and not _is_short(period, SHORTEST_ALLOWED):
            event = cycle.getparent().getparent()  # timeCycle in timerEventDefinition in the event
            yield _warning("short_timer_cycle", event, f"repeats every {period} (timeCycle {expression}), "
                           "more often than once an hour", cycle=expression, period=period)


def _cycle_period(expression: str) -> str | None:
    """The duration of a quoted repeating interval (``"R/PT10M"``, ``"R/<start>/P1Y"``); None if it has none."""
    try:
        text = ast.literal_eval(expression)
    except (ValueError, SyntaxError):
        return None  # an expression over the data: known only at run time
    if not isinstance(text, str) or not text.upper().startswith("R"):
        return None
    return next((part for part in text.split("/")[1:] if part.upper().startswith("P")), None)


def _is_short(duration: str, shortest: timedelta = SHORTEST_CYCLE) -> bool:
    try:
        parts = TimerEventDefinition.parse_iso_duration(duration)
    except Exception:  # Spiff raises a bare Exception for a bad duration
        return False
    if any(parts.get(unit) for unit in ("years", "months", "weeks", "days")):
        return False
    length = timedelta(hours=parts.get("hours", 0), minutes=parts.get("minutes", 0),
                       seconds=parts.get("seconds", 0))
    return length < shortest


def _waits(node: Any) -> bool:
    kind = _kind(node)
    if kind in WAITING_TASKS:
        return True
    if kind in ("intermediateCatchEvent", "boundaryEvent"):
        return any(_kind(d) in WAITING_EVENTS for d in node if isinstance(d.tag, str))
    return kind in SUBPROCESSES and any(_waits(n) for n in _descendants(node, FLOW_NODES))


def _reach(edges: dict[str, list[str]], start: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(start)
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo += edges.get(node, [])
    return seen


def _descendants(element: Any, kinds: Iterable[str]) -> list[Any]:
    """The elements of these kinds inside ``element``, at any depth, in document order."""
    return [e for e in element.iter(*(f"{BPMN}{kind}" for kind in kinds)) if e is not element]


def _kind(element: Any) -> str:
    return str(element.tag).rpartition("}")[2]


def _warning(code: str, element: Any, says: str, **params: str) -> Problem:
    """A warning at an element; its message names it by kind, id and name (when it has one)."""
    kind, name = _kind(element), element.get("name") or ""
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", kind).lower()
    named = f"{words} {element.get('id')!r}" + (f" ({name})" if name else "")
    return Problem(code, element.get("id"), {"type": kind, "name": name, **params}, f"{named} {says}",
                   severity="warning")
