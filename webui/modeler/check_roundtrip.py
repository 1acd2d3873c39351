"""Check that the built modeler round-trips every shipped process unchanged (semantically).

Loads webui/static/vendor/modeler/modeler.js in headless Chromium, imports each processes/*.bpmn into
CarbonFlowModeler.create(...), saves it with saveXML({format: true}) and compares the two XML trees: the same
elements in the same order, the same attributes, the same texts (scripts, conditions, payloads and documentation
exactly; whitespace between elements ignored). XML comments are not part of the model and are only counted.

    .venv/bin/python webui/modeler/check_roundtrip.py [--write-dir DIR] [processes/x.bpmn ...]

Needs the build output (bash scripts/build_modeler.sh) and /usr/bin/chromium (scripts/setup_browser.sh).
Exit status 0 when every file round-trips.
"""
from __future__ import annotations

import argparse
import json
import mimetypes
import sys
from pathlib import Path

from lxml import etree
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "webui" / "static" / "vendor" / "modeler"
ORIGIN = "http://carbonflow.test"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"

PAGE = """<!doctype html>
<html><head><meta charset="utf-8">
<link rel="stylesheet" href="/webui/static/vendor/modeler/diagram-js.css">
<link rel="stylesheet" href="/webui/static/vendor/modeler/bpmn-js.css">
<link rel="stylesheet" href="/webui/static/vendor/modeler/bpmn-font/css/bpmn.css">
<link rel="stylesheet" href="/webui/static/vendor/modeler/properties-panel.css">
<link rel="stylesheet" href="/webui/static/vendor/modeler/carbonflow-modeler.css">
<script src="/webui/static/vendor/modeler/modeler.js"></script>
</head><body>
<div id="canvas" style="position:absolute;left:0;top:0;right:320px;bottom:0"></div>
<div id="panel" style="position:absolute;top:0;right:0;width:320px;bottom:0;overflow:auto"></div>
</body></html>"""

ROUND_TRIP = """async (xml) => {
  const modeler = window.CarbonFlowModeler.create({
    container: document.getElementById('canvas'),
    propertiesParent: document.getElementById('panel'),
    catalog: {}, labels: {}, locale: 'en'
  });
  try {
    const { warnings } = await modeler.importXML(xml);
    const { xml: saved } = await modeler.saveXML({ format: true });
    return { saved, warnings: warnings.map((w) => w.message) };
  } finally {
    modeler.destroy();
  }
}"""


def serve(route) -> None:
    path = route.request.url[len(ORIGIN):].split("?")[0]
    if path in ("/", "/index.html"):
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=PAGE)
        return
    file = (ROOT / path.lstrip("/")).resolve()
    if ROOT not in file.parents or not file.is_file():
        route.fulfill(status=404, body="not found")
        return
    route.fulfill(status=200, content_type=mimetypes.guess_type(file.name)[0] or "application/octet-stream",
                  body=file.read_bytes())


def label(element: etree._Element) -> str:
    name = etree.QName(element)
    prefix = {BPMN: "bpmn", SPIFF: "spiffworkflow"}.get(name.namespace, name.namespace)
    ident = element.get("id") or element.get("name") or element.get("bpmnElement") or ""
    return f"{prefix}:{name.localname}" + (f"[{ident}]" if ident else "")


def compare(a: etree._Element, b: etree._Element, path: str, problems: list[str]) -> None:
    here = f"{path}/{label(a)}"
    if a.tag != b.tag:
        problems.append(f"{here}: element {label(b)} instead")
        return
    if dict(a.attrib) != dict(b.attrib):
        problems.append(f"{here}: attributes {dict(a.attrib)} became {dict(b.attrib)}")
    kids_a = [child for child in a if isinstance(child.tag, str)]
    kids_b = [child for child in b if isinstance(child.tag, str)]
    if not kids_a and not kids_b:
        if (a.text or "") != (b.text or ""):
            problems.append(f"{here}: text {a.text!r} became {b.text!r}")
    elif (a.text or "").strip() != (b.text or "").strip():
        problems.append(f"{here}: text {a.text!r} became {b.text!r}")
    labels_a = [label(child) for child in kids_a]
    labels_b = [label(child) for child in kids_b]
    if sorted(labels_a) != sorted(labels_b):
        lost = sorted(set(labels_a) - set(labels_b))
        added = sorted(set(labels_b) - set(labels_a))
        problems.append(f"{here}: children lost {lost} added {added}")
    elif labels_a != labels_b and etree.QName(a).localname != "BPMNPlane":
        # bpmn-js writes the shapes and edges of a plane in drawing order (BpmnDiOrdering): no change in meaning
        problems.append(f"{here}: children in another order")
    unique = len(set(labels_a)) == len(labels_a) and len(set(labels_b)) == len(labels_b)
    if unique:
        by_label = {label(child): child for child in kids_b}
        pairs = [(child, by_label[label(child)]) for child in kids_a if label(child) in by_label]
    else:
        pairs = list(zip(kids_a, kids_b))
    for child_a, child_b in pairs:
        compare(child_a, child_b, here, problems)


def census(tree: etree._Element) -> dict[str, int]:
    """Counts of what must survive, for the report."""
    count = lambda xpath: len(tree.xpath(xpath, namespaces={"bpmn": BPMN, "spiffworkflow": SPIFF}))  # noqa: E731
    return {
        "spiffworkflow elements": count("//spiffworkflow:*"),
        "properties": count("//spiffworkflow:property"),
        "lanes": count("//bpmn:lane"),
        "scripts": count("//bpmn:script"),
        "conditions": count("//bpmn:conditionExpression"),
        "loop data refs": count("//bpmn:loopDataInputRef|//bpmn:loopDataOutputRef"),
        "diagram elements": count("//*[local-name()='BPMNShape' or local-name()='BPMNEdge']"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--write-dir", type=Path, help="also write each saved XML there")
    args = parser.parse_args()
    files = args.files or sorted((ROOT / "processes").glob("*.bpmn"))
    failed = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.route(f"{ORIGIN}/**", serve)
        page.goto(f"{ORIGIN}/index.html")
        page.wait_for_function("() => window.CarbonFlowModeler")
        for file in files:
            original = file.read_text(encoding="utf-8")
            result = page.evaluate(ROUND_TRIP, original)
            if args.write_dir:
                args.write_dir.mkdir(parents=True, exist_ok=True)
                (args.write_dir / file.name).write_text(result["saved"], encoding="utf-8")
            tree_a = etree.fromstring(original.encode("utf-8"))
            tree_b = etree.fromstring(result["saved"].encode("utf-8"))
            problems: list[str] = []
            compare(tree_a, tree_b, "", problems)
            counts_a, counts_b = census(tree_a), census(tree_b)
            if counts_a != counts_b:
                problems.append(f"counts {counts_a} became {counts_b}")
            comments = len(tree_a.xpath("//comment()"))
            status = "ok" if not problems else "DIFFERS"
            summary = ", ".join(f"{value} {key}" for key, value in counts_a.items())
            print(f"{status:8} {file.name}: {summary}; import warnings {len(result['warnings'])}"
                  f"; XML comments dropped {comments}")
            for warning in result["warnings"]:
                print(f"           warning: {warning}")
            for problem in problems[:40]:
                print(f"           {problem}")
            failed += bool(problems)
        for error in errors:
            print(f"page error: {error}")
        browser.close()
    print(json.dumps({"files": len(files), "differ": failed}))
    return 1 if failed or errors else 0


if __name__ == "__main__":
    sys.exit(main())
