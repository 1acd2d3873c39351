"""The instance page draws its BPMN diagram with bpmn-js in the browser, marking the steps done and the current one."""
from __future__ import annotations

import re

from engine.config import PROJECT_ROOT
from tests.factories import analyse_data, complete, start_corrective_action

DONE_FILL, CURRENT_FILL = "rgb(216, 239, 229)", "rgb(255, 241, 208)"  # carbonflow.css


def _shape(page, element_id):
    return page.locator(f'#diagram svg g.djs-shape[data-element-id="{element_id}"]')


def _fill(shape):
    return shape.locator(".djs-visual > :first-child").evaluate("node => getComputedStyle(node).fill")


def test_the_diagram_draws_every_step_and_marks_the_done_and_current_ones(db, sign_in):
    nc = start_corrective_action(db, actor="staff_prod")
    complete(db, nc, "evaluate_consequences", "body")
    complete(db, nc, "analyse_cause", "head_prod", analyse_data())
    page = sign_in("staff_prod")
    page.goto(f"/instances/{nc}")
    page.wait_for_selector("#diagram svg g.djs-shape.current")
    assert page.locator("h1 .status").inner_text() == "进行中"  # the status in the page's language

    source = (PROJECT_ROOT / "processes" / "corrective_action.bpmn").read_text(encoding="utf-8")
    drawn = set(page.locator("#diagram svg g.djs-shape").evaluate_all("gs => gs.map(g => g.dataset.elementId)"))
    assert set(re.findall(r'<bpmndi:BPMNShape [^>]*bpmnElement="([^"]+)"', source)) <= drawn
    for done in ("start", "evaluate_consequences", "analyse_cause"):
        assert "done" in _shape(page, done).get_attribute("class").split(), done
    current = _shape(page, "implement_correction")
    assert "current" in current.get_attribute("class").split()
    assert "done" not in (_shape(page, "close_nonconformity").get_attribute("class") or "")
    assert (_fill(_shape(page, "analyse_cause")), _fill(current)) == (DONE_FILL, CURRENT_FILL)
    assert "".join(current.locator("text").text_content().split()) == "实施纠正措施"  # its name, drawn
    assert page.locator("#diagram .bjs-powered-by").is_visible()  # the licence's watermark stays visible
    assert "failed" not in page.locator("#diagram").get_attribute("class")
