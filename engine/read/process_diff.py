"""What changed between two versions of a process, element by element, ignoring layout and formatting.

Each element with an id that the engine runs (flow nodes, sequence flows, lanes, messages, the process
itself) is compared by its facets: its type, attributes and everything nested in it (properties, scripts,
conditions, event definitions), flattened to ``path: value``. Diagram interchange (positions, shapes),
namespace prefixes, the ids of nested elements and whitespace around texts are not compared, so a file
saved again by another modeler without changes has no differences.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
_PREFIXES = {BPMN: "", SPIFF: "spiffworkflow:", XSI: "xsi:"}
# Containers whose children are compared as elements of their own.
_CONTAINERS = {"definitions", "process", "subProcess", "transaction", "adHocSubProcess", "collaboration"}
# Containers only: modelers differ on whether they give them ids.
_LANE_SETS = {"laneSet", "childLaneSet"}
# Written by some modelers and not others; a sequence flow's sourceRef and targetRef already say it.
_REDUNDANT = {"incoming", "outgoing"}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)


@dataclass(frozen=True)
class FacetChange:
    """One facet of an element whose value changed (None: absent on that side)."""

    facet: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class ElementDiff:
    """An element added, removed or changed between the versions."""

    element_id: str
    kind: str  # "added", "removed" or "changed"
    type: str  # its BPMN type, e.g. userTask
    name: str | None
    changes: tuple[FacetChange, ...] = ()


@dataclass(frozen=True)
class ProcessDiff:
    """The differences between an old and a new version, in element id order within each kind."""

    elements: tuple[ElementDiff, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not self.elements

    def of_kind(self, kind: str) -> list[ElementDiff]:
        return [e for e in self.elements if e.kind == kind]


def diff(old_source: str | bytes, new_source: str | bytes) -> ProcessDiff:
    """The element-by-element differences from the old BPMN source to the new one."""
    old, new = _elements(old_source), _elements(new_source)
    found = []
    for element_id in sorted(old.keys() | new.keys()):
        before, after = old.get(element_id), new.get(element_id)
        if before is None:
            found.append(ElementDiff(element_id, "added", after.type, after.name))
        elif after is None:
            found.append(ElementDiff(element_id, "removed", before.type, before.name))
        else:
            changes = _changes(before.facets, after.facets)
            if changes:
                found.append(ElementDiff(element_id, "changed", after.type, after.name or before.name, changes))
    order = {"added": 0, "removed": 1, "changed": 2}
    return ProcessDiff(tuple(sorted(found, key=lambda e: (order[e.kind], e.element_id))))


@dataclass(frozen=True)
class _Element:
    type: str
    name: str | None
    facets: dict[str, str]


def _elements(source: str | bytes) -> dict[str, _Element]:
    root = etree.fromstring(source.encode("utf-8") if isinstance(source, str) else source, parser=_PARSER)
    found: dict[str, _Element] = {}
    _collect(root, found)
    return found


def _collect(container: etree._Element, found: dict[str, _Element]) -> None:
    for child in container:
        if not isinstance(child.tag, str) or etree.QName(child).namespace != BPMN:
            continue  # diagram interchange and other tools' extensions at this level
        local = etree.QName(child).localname
        if local in _LANE_SETS or (local in _CONTAINERS and child.get("id") is None):
            _collect(child, found)
            continue
        element_id = child.get("id")
        if element_id is None:
            continue
        nested = _CONTAINERS & {local}
        facets = _facets(child, skip_children_with_ids=bool(nested) or local == "lane")
        if local == "lane":
            facets.update(_lane_facets(child))
        found[element_id] = _Element(local, child.get("name"), facets)
        if nested or local == "lane":
            _collect(child, found)


def _facets(element: etree._Element, *, skip_children_with_ids: bool) -> dict[str, str]:
    facets = {"type": etree.QName(element).localname}
    facets.update(_attributes(element, ""))
    counts: dict[str, int] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        local = etree.QName(child).localname
        if local in _REDUNDANT or local in _LANE_SETS or local == "flowNodeRef":
            continue  # lanes are compared as elements of their own, their nodes as the lane's facet
        if skip_children_with_ids and child.get("id") is not None and etree.QName(child).namespace == BPMN:
            continue  # compared as an element of its own
        _flatten(child, _path_part(child, counts), facets)
    return facets


def _flatten(element: etree._Element, path: str, facets: dict[str, str]) -> None:
    qname = etree.QName(element)
    if qname.localname == "extensionElements" or (qname.namespace, qname.localname) == (SPIFF, "properties"):
        counts: dict[str, int] = {}
        for child in element:  # the wrappers say nothing: their children are the facets
            if isinstance(child.tag, str):
                _flatten(child, _path_part(child, counts), facets)
        return
    if (qname.namespace, qname.localname) == (SPIFF, "property"):
        facets[f"property {element.get('name')}"] = element.get("value") or ""
        return
    facets.update(_attributes(element, path + "@"))
    text = (element.text or "").strip()
    if text:
        facets[path] = text
    children: dict[str, int] = {}
    for child in element:
        if isinstance(child.tag, str):
            _flatten(child, f"{path}/{_path_part(child, children)}", facets)


def _path_part(element: etree._Element, counts: dict[str, int]) -> str:
    """The child's place in its parent: a property by its name, otherwise its tag and index among its kind."""
    tag = _prefixed(element.tag)
    name = element.get("name") if etree.QName(element).localname in {"property", "parameter"} else None
    key = element.get("id") if etree.QName(element).localname == "parameter" else name
    if key:
        return f"{tag}[{key}]"
    index = counts.get(tag, 0)
    counts[tag] = index + 1
    return tag if index == 0 else f"{tag}[{index + 1}]"


def _attributes(element: etree._Element, prefix: str) -> dict[str, str]:
    found = {}
    own_id = etree.QName(element).namespace != BPMN  # a service task operator's id names its query
    for name, value in element.attrib.items():
        if name == "id" and not own_id:
            continue
        if name == f"{{{XSI}}}type":
            value = value.split(":")[-1]  # bpmn:tFormalExpression and tFormalExpression mean the same
        found[prefix + _prefixed(name).lstrip(":")] = value
    return found


def _lane_facets(lane: etree._Element) -> dict[str, str]:
    refs = sorted((ref.text or "").strip() for ref in lane.iter(f"{{{BPMN}}}flowNodeRef")
                  if ref.getparent() is lane)
    return {"flowNodeRef": ", ".join(refs)} if refs else {}


def _prefixed(tag: str) -> str:
    qname = etree.QName(tag)
    if qname.namespace is None:
        return qname.localname
    prefix = _PREFIXES.get(qname.namespace, "{" + qname.namespace + "}")
    return prefix + qname.localname


def _changes(old: dict[str, str], new: dict[str, str]) -> tuple[FacetChange, ...]:
    return tuple(FacetChange(key, old.get(key), new.get(key))
                 for key in sorted(old.keys() | new.keys()) if old.get(key) != new.get(key))
