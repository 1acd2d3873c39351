"""The admin changes a process in the browser: the modeler, its properties panel, the server's checks, deploy, diff."""
from __future__ import annotations

from engine.config import PROJECT_ROOT
from engine.read import process_diff
from tests.factories import open_task_names, start_corrective_action

PROCESSES = PROJECT_ROOT / "processes"

# As the palette and context pad would: a user task between the start's script and the first step, in the
# carbon body's lane (the lane is taken from where the shape lands), wired in with two flows.
ADD_TASK = """() => {
  const modeler = document.getElementById("modeler-page").modeler;
  const registry = modeler.get("elementRegistry"), modeling = modeler.get("modeling");
  const before = registry.get("init_rounds"), after = registry.get("evaluate_consequences");
  modeling.removeElements([registry.get("flow_init_evaluate")]);
  const task = modeling.createShape({ type: "bpmn:UserTask" },
    { x: before.x + before.width / 2 + 40, y: before.y + before.height / 2 + 110 }, before.parent);
  modeling.updateProperties(task, { id: "confirm_register", name: "确认登记" });
  modeling.connect(before, task);
  modeling.connect(task, after);
  modeler.get("selection").select(task);
}"""


def _open_modeler(page, path: str) -> None:
    page.goto(path)
    page.wait_for_selector(".modeler-canvas svg g.djs-shape")
    page.wait_for_function("document.querySelector('.modeler-status').textContent.length > 0 && "
                           "!document.querySelector('.modeler-status').textContent.includes('…')")


def test_the_admin_adds_a_user_task_sees_it_refused_fixes_it_in_the_panel_and_deploys_it(db, sign_in):
    page = sign_in("admin")
    _open_modeler(page, "/processes/corrective_action/v1/modeler")
    page.evaluate(ADD_TASK)

    page.locator("button[data-action=validate]").click()
    refusal = page.locator('.modeler-problems li.problem-error[data-element="confirm_register"]')
    refusal.wait_for()
    assert refusal.get_attribute("data-code") == "no_form_key"
    assert "表单" in refusal.inner_text()  # the page's language
    shape = page.locator('.modeler-canvas g.djs-element[data-element-id="confirm_register"]')
    assert "problem-error" in shape.get_attribute("class").split()
    assert page.locator('.modeler-problems li[data-code="no_due"][data-element="confirm_register"]').count() == 1

    # The list selects the element it names; the panel edits it.
    page.locator("body").click(position={"x": 5, "y": 5})
    refusal.locator("button").click()
    panel = page.locator(".modeler-properties")
    panel.locator("#bio-properties-panel-carbonflow-formKey").select_option("corrective_action.evaluate_consequences")
    panel.locator("#bio-properties-panel-carbonflow-dueIn").fill("P3D")
    page.wait_for_timeout(500)  # the panel's text entries are debounced
    page.locator("button[data-action=validate]").click()
    page.wait_for_selector(".modeler-status[data-kind=success]")
    assert page.locator(".modeler-problems li.problem-error").count() == 0
    assert "problem-error" not in shape.get_attribute("class").split()

    page.locator(".modeler-deploy textarea[name=note]").fill("Confirm the register before evaluating")
    page.locator(".modeler-deploy button[type=submit]").click()
    page.wait_for_selector(".modeler-status[data-kind=success] a")
    assert "版本 2" in page.locator(".modeler-status").inner_text()

    page.goto("/processes/corrective_action/diff")
    page.wait_for_selector('#diff-diagrams [data-side=new] g.djs-shape.diff-added[data-element-id="confirm_register"]')
    assert page.locator('li.change-added[data-element="confirm_register"]').count() == 1
    nc = start_corrective_action(db)
    assert open_task_names(db, nc) == ["confirm_register"]


def test_every_shipped_model_saved_by_the_modeler_unchanged_deploys_with_no_differences(sign_in):
    page = sign_in("admin")
    _open_modeler(page, "/modeler")
    page.locator("button[data-action=validate]").click()  # a new process: executable, in a lane, deployable
    page.wait_for_selector(".modeler-status[data-kind=success]")
    assert page.locator(".modeler-problems li.problem-error").count() == 0
    for path in sorted(PROCESSES.glob("*.bpmn")):
        source = path.read_text(encoding="utf-8")
        saved = page.evaluate("""async (xml) => {
          const modeler = document.getElementById("modeler-page").modeler;
          await modeler.importXML(xml);
          return (await modeler.saveXML({ format: true })).xml;
        }""", source)
        changes = process_diff.diff(source, saved)
        assert changes.empty, (path.name, changes.elements[:3])
        checked = page.evaluate("""async ([xml, name]) => {
          const page = document.getElementById("modeler-page");
          const response = await fetch(page.dataset.validateUrl, { method: "POST", headers: {
            "Content-Type": "application/json", "X-CSRFToken": page.dataset.csrf },
            body: JSON.stringify({ bpmn: xml, file_name: name }) });
          return response.json();
        }""", [saved, path.name])
        assert checked["deployable"] and not checked["warnings"], (path.name, checked["refusals"])
