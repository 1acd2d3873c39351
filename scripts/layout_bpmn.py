"""Lay out the BPMNDI diagram of BPMN files, so the web modeller can show processes written by hand.

    python scripts/layout_bpmn.py processes/*.bpmn          give each file a newly laid-out diagram
    python scripts/layout_bpmn.py --check processes/*.bpmn  change nothing; exit 1 naming the files
                                                            whose diagram leaves an element out

Each process is a horizontal pool (its participant; a collaboration is added when the file has
none) with one band per lane, in document order. Flow nodes stand in columns by their longest path
from the start events, loops left out; nodes of one lane in one column stack inside its band.
Sequence flows leave their source to the right and enter their target from the left; flows that
loop back run below their band. Subprocesses are drawn collapsed, with no layout inside them, and
message flows are not drawn.

Only the diagram changes (and the collaboration, when a participant had to be added): every other
byte of the file is kept, so a diff shows the new layout and nothing else.
"""
from __future__ import annotations

import argparse
import math
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from lxml.etree import _Element

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
PREFIXES = {BPMNDI: "bpmndi", DC: "dc", DI: "di"}

SIZES = {"activity": (100, 80), "event": (36, 36), "gateway": (50, 50)}
COLLAPSED = {"subProcess", "transaction", "adHocSubProcess"}
COLUMN = 150        # column pitch: a task's width and the gap after it
GAP = COLUMN - SIZES["activity"][0]
ROW = 140           # a node, its label, its boundary events and the flows leaving them
FOOT = 70           # under a band's last row, for the names of boundary events
CHANNEL = 20        # between flows that loop back below the same band
DROP = 12           # how far a flow leaving a boundary event goes down before it turns
POOL_X, POOL_Y, POOL_GAP = 160, 80, 50
HEADER = 30         # the pool's name strip, left of its lanes
EMPTY_POOL = (600, 120)
LABEL_WIDTH = 90

# Nothing is expanded or fetched; a DOCTYPE is refused outright in _read.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          strip_cdata=False)

# A tag, or a comment, CDATA section or processing instruction to step over. Attribute values may
# hold ">", so they are matched whole.
_TOKEN = re.compile(r"""<!--.*?-->|<!\[CDATA\[.*?]]>|<\?.*?\?>"""
                    r"""|<(/?)[^\s/>]+(?:"[^"]*"|'[^']*'|[^"'>])*?(/?)>""", re.DOTALL)

Point = tuple[int, int]
Flow = tuple[str, str, str]  # id, source id, target id
Turn = tuple[int, str]       # the gap before a column, and whose flows turn there (see Route)


class LayoutError(Exception):
    """Raised when a file cannot be read as a BPMN 2.0 file to lay out."""


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    @property
    def cx(self) -> int:
        return self.x + self.width // 2

    @property
    def cy(self) -> int:
        return self.y + self.height // 2


@dataclass(frozen=True)
class Graph:
    """The flow nodes and sequence flows directly inside one process."""

    nodes: dict[str, _Element]  # by id, in document order
    hosts: dict[str, str]       # boundary event id -> id of the activity it is attached to
    on_host: dict[str, int]     # boundary event id -> its place on the host, counted from the right
    flows: list[Flow]

    @property
    def placed(self) -> list[str]:
        """The nodes that stand in a column: all but boundary events."""
        return [node for node in self.nodes if node not in self.hosts]

    def owner(self, node: str) -> str:
        return self.hosts.get(node, node)


@dataclass(frozen=True)
class Band:
    """A horizontal strip of a pool: one lane (or the nodes in no lane) and the loops below it."""

    lane: _Element | None
    y: int
    rows: int
    loops: int

    @property
    def bottom(self) -> int:
        return self.channel(self.loops)

    def centre(self, row: int) -> int:
        return self.y + row * ROW + ROW // 2

    def channel(self, index: int) -> int:
        return self.y + self.rows * ROW + FOOT + index * CHANNEL


@dataclass(frozen=True)
class Route:
    """How a sequence flow runs: out of its source, along `run` past the columns in between, into
    its target. Flows of one owner (their source, or the flow itself for a loop) turn at the same
    x in a gap between columns, and flows of different owners at different x."""

    flow_id: str
    source: Box
    target: Box
    run: int
    from_boundary: bool
    exit_turn: Turn | None  # where it leaves the level of its source, e.g. a loop for its channel
    entry_turn: Turn        # where the flow turns towards its target

    def waypoints(self, turn_x: dict[Turn, int]) -> list[Point]:
        """Right out of the source (down out of a boundary event), left into the target."""
        source, target = self.source, self.target
        if self.from_boundary:
            start = [(source.cx, source.bottom), (source.cx, self.run)]
        elif self.exit_turn:
            x = turn_x[self.exit_turn]
            start = [(source.right, source.cy), (x, source.cy), (x, self.run)]
        else:
            start = [(source.right, source.cy)]
        x = turn_x.get(self.entry_turn, target.x)
        return _simplify([*start, (x, self.run), (x, target.cy), (target.x, target.cy)])


@dataclass
class Drawing:
    """Shapes (element, bounds, label bounds) and edges (flow id, waypoints) in drawing order."""

    shapes: list[tuple[_Element, Box, Box | None]] = field(default_factory=list)
    edges: list[tuple[str, list[Point]]] = field(default_factory=list)


def relayout(source: bytes) -> bytes:
    """The file with its diagrams replaced by one new layout, all else kept byte for byte."""
    text, root = _read(source)
    processes = list(root.iterchildren(_q(BPMN, "process")))
    if not processes:
        raise LayoutError("holds no process")
    spans, root_end = _spans(root, text)
    first = spans[processes[0]][0]
    between = text[_space_before(text, first):first]  # what separates top-level elements: "\n\n  "
    indent = between.rpartition("\n")[2] if "\n" in between else "  "
    between = between if "\n" in between else "\n" + indent

    edits = []
    for old in list(root.iterchildren(_q(BPMNDI, "BPMNDiagram"))):
        edits.append((_space_before(text, spans[old][0]), spans[old][1], ""))
        root.remove(old)
    taken = set(root.xpath("//@id"))
    collaboration, completed = _collaboration(root, processes, taken)
    diagram = _diagram(root, collaboration, processes, taken)
    for element in (collaboration, diagram):
        etree.indent(element, space=indent, level=1)

    # lxml writes the new elements; they are then set into the original text.
    rendered = etree.tostring(root, encoding="unicode")
    written = {element: rendered[start:end]
               for element, (start, end) in _spans(root, rendered)[0].items()}
    if collaboration not in spans:
        edits.append((first, first, written[collaboration] + between))
    elif completed:
        edits.append((*spans[collaboration], written[collaboration]))
    end = _space_before(text, root_end)
    edits.append((end, end, between + written[diagram]))
    for start, stop, replacement in sorted(edits, key=lambda edit: edit[0], reverse=True):
        text = text[:start] + replacement + text[stop:]
    return text.encode("utf-8")


def missing_from_diagram(root: _Element) -> list[str]:
    """Ids of the flow nodes, sequence flows, lanes and participants that no diagram shows."""
    shown = {di.get("bpmnElement")
             for di in root.iter(_q(BPMNDI, "BPMNShape"), _q(BPMNDI, "BPMNEdge"))}
    return [element_id for element_id in _drawable(root) if element_id not in shown]


def _drawable(root: _Element) -> Iterator[str]:
    yield from (p.get("id") for p in root.iter(_q(BPMN, "participant")) if p.get("id"))
    for process in root.iterchildren(_q(BPMN, "process")):
        graph = _graph(process)
        yield from graph.nodes
        yield from (flow_id for flow_id, _, _ in graph.flows)
        yield from (lane.get("id") for lane in _lanes(process) if lane.get("id"))


def _spans(root: _Element, text: str) -> tuple[dict[_Element, tuple[int, int]], int]:
    """Where each child element of the root starts and ends in `text`, and where the root's end
    tag starts."""
    spans, depth, start, root_end = [], 0, 0, len(text)
    for token in _TOKEN.finditer(text):
        closing, empty = token.group(1, 2)
        if closing is None:  # a comment, CDATA section or processing instruction
            continue
        if not closing:
            depth += 1
            if depth == 2:
                start = token.start()
        if closing or empty:
            if depth == 2:
                spans.append((start, token.end()))
            elif depth == 1:
                root_end = token.start()
            depth -= 1
    children = list(root.iterchildren(tag=etree.Element))
    if len(children) != len(spans):
        raise LayoutError("could not find the top-level elements in the text")
    return dict(zip(children, spans, strict=True)), root_end


def _space_before(text: str, position: int) -> int:
    return len(text[:position].rstrip(" \t\r\n"))


def _collaboration(root: _Element, processes: list[_Element],
                   taken: set[str]) -> tuple[_Element, bool]:
    """The collaboration whose pools show the processes, created before the first process if the
    file has none, with a participant added for each process that has none; and whether it
    changed."""
    collaboration = root.find(_q(BPMN, "collaboration"))
    if collaboration is None:
        collaboration = etree.Element(_q(BPMN, "collaboration"),
                                      id=_unique(f"{processes[0].get('id')}_collaboration", taken))
        processes[0].addprevious(collaboration)
    shown = {p.get("processRef") for p in collaboration.iterchildren(_q(BPMN, "participant"))}
    missing = [process for process in processes if process.get("id") not in shown]
    for process in missing:
        participant = etree.Element(_q(BPMN, "participant"),
                                    id=_unique(f"{process.get('id')}_participant", taken))
        if process.get("name"):
            participant.set("name", process.get("name"))
        participant.set("processRef", process.get("id"))
        # Participants come first in a collaboration, after its documentation and extensions.
        leading = [child for child in collaboration if isinstance(child.tag, str)
                   and _local(child) in {"documentation", "extensionElements", "participant"}]
        if leading:
            leading[-1].addnext(participant)
        else:
            collaboration.insert(0, participant)
    return collaboration, bool(missing)


def _unique(wanted: str, taken: set[str]) -> str:
    candidate, number = wanted, 1
    while candidate in taken:
        number += 1
        candidate = f"{wanted}_{number}"
    taken.add(candidate)
    return candidate


def _diagram(root: _Element, collaboration: _Element, processes: list[_Element],
             taken: set[str]) -> _Element:
    """Append a BPMNDiagram showing the collaboration's pools, one below the other."""
    by_id = {process.get("id"): process for process in processes}
    drawing, top = Drawing(), POOL_Y
    for participant in collaboration.iterchildren(_q(BPMN, "participant")):
        process = by_id.get(participant.get("processRef"))
        top = _draw_pool(participant, process, top, drawing) + POOL_GAP

    undeclared = {prefix: uri for uri, prefix in PREFIXES.items() if uri not in root.nsmap.values()}
    base = processes[0].get("id")
    diagram = etree.SubElement(root, _q(BPMNDI, "BPMNDiagram"), nsmap=undeclared,
                               id=_unique(f"{base}_diagram", taken))
    plane = etree.SubElement(diagram, _q(BPMNDI, "BPMNPlane"), id=_unique(f"{base}_plane", taken),
                             bpmnElement=collaboration.get("id"))
    for element, box, label in drawing.shapes:
        shape = etree.SubElement(plane, _q(BPMNDI, "BPMNShape"), _shape_attributes(element, taken))
        _bounds(shape, box)
        if label is not None:
            _bounds(etree.SubElement(shape, _q(BPMNDI, "BPMNLabel")), label)
    for flow_id, points in drawing.edges:
        edge = etree.SubElement(plane, _q(BPMNDI, "BPMNEdge"), id=_unique(f"{flow_id}_di", taken),
                                bpmnElement=flow_id)
        for x, y in points:
            etree.SubElement(edge, _q(DI, "waypoint"), x=str(x), y=str(y))
    return diagram


def _shape_attributes(element: _Element, taken: set[str]) -> dict[str, str]:
    attributes = {"id": _unique(f"{element.get('id')}_di", taken), "bpmnElement": element.get("id")}
    name = _local(element)
    if name in ("participant", "lane"):
        attributes["isHorizontal"] = "true"
    elif name == "exclusiveGateway":
        attributes["isMarkerVisible"] = "true"
    elif name in COLLAPSED:
        attributes["isExpanded"] = "false"
    return attributes


def _bounds(parent: _Element, box: Box) -> None:
    etree.SubElement(parent, _q(DC, "Bounds"), x=str(box.x), y=str(box.y),
                     width=str(box.width), height=str(box.height))


def _draw_pool(participant: _Element, process: _Element | None, top: int, drawing: Drawing) -> int:
    """Lay out one pool with its top edge at `top`; return its bottom edge."""
    if process is None:
        drawing.shapes.append((participant, Box(POOL_X, top, *EMPTY_POOL), None))
        return top + EMPTY_POOL[1]
    graph = _graph(process)
    column, back = _columns(graph)
    loops = [flow for flow in graph.flows if (graph.owner(flow[1]), graph.owner(flow[2])) in back]
    lanes = _lanes(process)
    slots = _slots(graph, lanes, column, [flow for flow in graph.flows if flow not in loops])
    loops_below = Counter(slots[graph.owner(source)][0] for _, source, _ in loops)
    bands = _bands(lanes, slots, loops_below, top)
    boxes = _boxes(graph, column, slots, bands)
    labels = _labels(graph, boxes)

    width = HEADER + GAP + (max(column.values(), default=0) + 1) * COLUMN
    lanes_x = POOL_X + HEADER
    drawing.shapes.append((participant, Box(POOL_X, top, width, bands[-1].bottom - top), None))
    drawing.shapes += [(band.lane, Box(lanes_x, band.y, width - HEADER, band.bottom - band.y), None)
                       for band in bands if band.lane is not None]
    drawing.shapes += [(graph.nodes[node], box, labels.get(node)) for node, box in boxes.items()]
    routes = _routes(graph, column, boxes, _channels(graph, loops, slots, bands))
    turn_x = _spread_turns(routes)
    drawing.edges += [(route.flow_id, route.waypoints(turn_x)) for route in routes]
    return bands[-1].bottom


def _columns(graph: Graph) -> tuple[dict[str, int], set[tuple[str, str]]]:
    """Each node's column (its longest path from the start events) and the back edges left out."""
    edges = [(graph.owner(source), graph.owner(target)) for _, source, target in graph.flows]
    starts = [node for node in graph.placed if _local(graph.nodes[node]) == "startEvent"]
    back = _back_edges(starts + graph.placed, edges)
    before = defaultdict(list)
    for source, target in edges:
        if (source, target) not in back:
            before[target].append(source)
    column: dict[str, int] = {}

    def place(node: str) -> int:
        if node not in column:
            column[node] = max((place(source) + 1 for source in before[node]), default=0)
        return column[node]

    for node in graph.placed:
        place(node)
    return column, back


def _back_edges(roots: Iterable[str], edges: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """The edges that close a loop: a depth-first search from the roots, in order, finds them
    leading back to a node on its current path."""
    after = defaultdict(list)
    for source, target in edges:
        after[source].append(target)
    seen: set[str] = set()
    on_path: set[str] = set()
    back: set[tuple[str, str]] = set()

    def visit(node: str) -> None:
        seen.add(node)
        on_path.add(node)
        for target in after[node]:
            if target in on_path:
                back.add((node, target))
            elif target not in seen:
                visit(target)
        on_path.discard(node)

    for root in roots:
        if root not in seen:
            visit(root)
    return back


def _slots(graph: Graph, lanes: list[_Element], column: dict[str, int],
           forward: list[Flow]) -> dict[str, tuple[int, int]]:
    """Band and row of each node. A node goes in its lane's band (nodes in no lane share one more
    band at the bottom). Nodes of one band and column stack in the order their predecessors stand,
    nodes reached only from boundary events (exception paths) after the rest, then in document
    order."""
    band_of = {ref.text.strip(): index for index, lane in enumerate(lanes)
               for ref in lane.iterchildren(_q(BPMN, "flowNodeRef")) if ref.text}
    before = defaultdict(list)
    for _, source, target in forward:
        before[graph.owner(target)].append(source)
    slots: dict[str, tuple[int, int]] = {}
    stacked: Counter[tuple[int, int]] = Counter()

    def order(node: str) -> tuple[float, bool]:
        places = [slots[graph.owner(source)] for source in before[node]]
        mean = sum(band * len(graph.nodes) + row for band, row in places) / max(len(places), 1)
        return mean, bool(places) and all(source in graph.hosts for source in before[node])

    # Predecessors stand in earlier columns, so the columns are stacked from left to right.
    for current in sorted(set(column.values())):
        for node in sorted((node for node in graph.placed if column[node] == current), key=order):
            band = band_of.get(node, len(lanes))
            slots[node] = band, stacked[band, current]
            stacked[band, current] += 1
    return slots


def _bands(lanes: list[_Element], slots: dict[str, tuple[int, int]], loops: Counter[int],
           top: int) -> list[Band]:
    lanes_and_rest: list[_Element | None] = list(lanes)
    if not lanes or any(band == len(lanes) for band, _ in slots.values()):
        lanes_and_rest.append(None)
    bands: list[Band] = []
    for index, lane in enumerate(lanes_and_rest):
        rows = 1 + max((row for band, row in slots.values() if band == index), default=0)
        bands.append(Band(lane, bands[-1].bottom if bands else top, rows, loops[index]))
    return bands


def _boxes(graph: Graph, column: dict[str, int], slots: dict[str, tuple[int, int]],
           bands: list[Band]) -> dict[str, Box]:
    """Bounds of every node, in document order; boundary events sit on their host's bottom edge,
    from its right corner leftwards."""
    placed = {}
    for node, (band, row) in slots.items():
        width, height = SIZES[_kind(graph.nodes[node]) or "activity"]
        x = _column_x(column[node]) + (SIZES["activity"][0] - width) // 2
        placed[node] = Box(x, bands[band].centre(row) - height // 2, width, height)
    boxes = {}
    for node in graph.nodes:
        if node in graph.hosts:
            host = placed[graph.hosts[node]]
            centre = host.right - 20 - 44 * graph.on_host[node]
            boxes[node] = Box(centre - 18, host.bottom - 18, 36, 36)
        else:
            boxes[node] = placed[node]
    return boxes


def _column_x(column: int) -> int:
    return POOL_X + HEADER + GAP + column * COLUMN


def _labels(graph: Graph, boxes: dict[str, Box]) -> dict[str, Box]:
    """Where the names of events and gateways go: below them. The names of a task's boundary
    events stack under the task, left of the flows that leave them downwards."""
    labels = {}
    stack: dict[str, int] = {}  # host -> top of the next name under it
    for node, box in boxes.items():
        name = (graph.nodes[node].get("name") or "").strip()
        if not name or _kind(graph.nodes[node]) == "activity":
            continue
        # About 6 px a Latin letter and 11 px a CJK character in bpmn-js's 11 px label font.
        text_width = sum(11 if ord(char) >= 0x2E80 else 6 for char in name)
        height = 14 * math.ceil(text_width / LABEL_WIDTH)
        host = graph.hosts.get(node)
        if host is None:
            labels[node] = Box(box.cx - LABEL_WIDTH // 2, box.bottom + 5, LABEL_WIDTH, height)
            continue
        leftmost = min(boxes[event].cx for event in graph.hosts if graph.hosts[event] == host)
        top = stack.get(host, box.bottom + 5)
        labels[node] = Box(leftmost - 6 - LABEL_WIDTH, top, LABEL_WIDTH, height)
        stack[host] = top + height + 2
    return labels


def _channels(graph: Graph, loops: list[Flow], slots: dict[str, tuple[int, int]],
              bands: list[Band]) -> dict[str, int]:
    """The height at which each loop runs back: a channel of its own below its source's band."""
    used: Counter[int] = Counter()
    channels = {}
    for flow_id, source, _ in loops:
        band = slots[graph.owner(source)][0]
        channels[flow_id] = bands[band].channel(used[band])
        used[band] += 1
    return channels


def _routes(graph: Graph, column: dict[str, int], boxes: dict[str, Box],
            channels: dict[str, int]) -> list[Route]:
    routes = []
    for flow_id, source, target in graph.flows:
        channel = channels.get(flow_id)
        from_boundary = source in graph.hosts
        if channel is not None:
            run = channel
        elif from_boundary:  # events further left drop further, so that their flows do not cross
            run = boxes[source].bottom + DROP + CHANNEL // 2 * graph.on_host[source]
        else:
            run = _free_run(boxes[source], boxes[target], boxes.values())
        turns_early = not from_boundary and run != boxes[source].cy
        exit_turn = (column[source] + 1, source) if turns_early else None
        entry_turn = (column[graph.owner(target)], source if channel is None else flow_id)
        routes.append(Route(flow_id, boxes[source], boxes[target], run, from_boundary,
                            exit_turn, entry_turn))
    return routes


def _free_run(source: Box, target: Box, boxes: Iterable[Box]) -> int:
    """The height of a flow's stretch past the columns between its ends: level with the source or
    else with the target, if no node stands in the way, else along the free strip at the top of
    the source's row."""
    for y in (source.cy, target.cy):
        if not any(box.x < target.x and box.right > source.right and box.y <= y <= box.bottom
                   for box in boxes):
            return y
    return source.cy - ROW // 2 + CHANNEL // 2


def _spread_turns(routes: list[Route]) -> dict[Turn, int]:
    """x of every turn: the owners turning in one gap share it out evenly. Flows going up turn left
    of flows going down, the higher source further left going up and the lower going down, which
    keeps most of their stretches from crossing."""
    in_gap: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    for route in routes:
        if route.exit_turn:
            gap, owner = route.exit_turn
            in_gap[gap].setdefault(owner, _turn_order(route.source.cy, route.run))
        if route.run != route.target.cy:
            gap, owner = route.entry_turn
            in_gap[gap].setdefault(owner, _turn_order(route.run, route.target.cy))
    turn_x = {}
    for gap, owners in in_gap.items():
        for index, owner in enumerate(sorted(owners, key=owners.__getitem__)):
            turn_x[gap, owner] = _column_x(gap) - GAP + GAP * (index + 1) // (len(owners) + 1)
    return turn_x


def _turn_order(level: int, towards: int) -> tuple[int, int]:
    return (0, level) if towards < level else (1, -level)


def _simplify(points: list[Point]) -> list[Point]:
    """The path without repeated points or points in the middle of a straight stretch."""
    kept: list[Point] = []
    for point in points:
        if kept and point == kept[-1]:
            continue
        if len(kept) >= 2 and (kept[-2][0] == kept[-1][0] == point[0]
                               or kept[-2][1] == kept[-1][1] == point[1]):
            kept.pop()
        kept.append(point)
    return kept


def _read(source: bytes) -> tuple[str, _Element]:
    try:
        text = source.decode("utf-8")
        root = etree.fromstring(source, _PARSER)
    except UnicodeDecodeError as exc:
        raise LayoutError("not UTF-8 text") from exc
    except etree.XMLSyntaxError as exc:
        raise LayoutError(f"malformed XML: {exc}") from exc
    if root.getroottree().docinfo.doctype:
        raise LayoutError("declares a DOCTYPE, which BPMN files may not")
    if root.tag != _q(BPMN, "definitions"):
        raise LayoutError(f"not a BPMN 2.0 file (root element {root.tag!r})")
    return text, root


def _graph(process: _Element) -> Graph:
    nodes = {child.get("id"): child for child in process if _kind(child) and child.get("id")}
    hosts = {node_id: node.get("attachedToRef") for node_id, node in nodes.items()
             if _local(node) == "boundaryEvent" and node.get("attachedToRef") in nodes}
    counted: Counter[str] = Counter()
    on_host = {}
    for event, host in hosts.items():
        on_host[event] = counted[host]
        counted[host] += 1
    flows = [(flow.get("id"), flow.get("sourceRef"), flow.get("targetRef"))
             for flow in process.iterchildren(_q(BPMN, "sequenceFlow"))
             if flow.get("sourceRef") in nodes and flow.get("targetRef") in nodes]
    return Graph(nodes, hosts, on_host, flows)


def _lanes(process: _Element) -> list[_Element]:
    return [lane for lane_set in process.iterchildren(_q(BPMN, "laneSet"))
            for lane in lane_set.iter(_q(BPMN, "lane"))]


def _kind(element: _Element) -> str | None:
    """'activity', 'event' or 'gateway' for a BPMN flow node; None for anything else."""
    if not isinstance(element.tag, str) or etree.QName(element).namespace != BPMN:
        return None
    name = _local(element)
    if name.endswith("Event"):
        return "event"
    if name.endswith("Gateway"):
        return "gateway"
    if name.lower().endswith("task") or name in COLLAPSED or name == "callActivity":
        return "activity"
    return None


def _q(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def _local(element: _Element) -> str:
    return etree.QName(element).localname


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 naming the files whose diagram is missing or "
                             "leaves a flow node, sequence flow, lane or participant out")
    args = parser.parse_args(argv)
    problems = [problem for path in args.files
                if (problem := _check(path) if args.check else _rewrite(path))]
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems and args.check:
        print("lay them out with: python scripts/layout_bpmn.py FILE...", file=sys.stderr)
    return 1 if problems else 0


def _check(path: Path) -> str | None:
    try:
        missing = missing_from_diagram(_read(path.read_bytes())[1])
    except (OSError, LayoutError) as exc:
        return f"{path}: {exc}"
    if not missing:
        return None
    more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
    return f"{path}: the diagram does not show {', '.join(missing[:5])}{more}"


def _rewrite(path: Path) -> str | None:
    try:
        source = path.read_bytes()
        result = relayout(source)
        if result != source:
            path.write_bytes(result)
            print(f"laid out {path}")
    except (OSError, LayoutError) as exc:
        return f"{path}: {exc}"
    return None


if __name__ == "__main__":
    sys.exit(main())
