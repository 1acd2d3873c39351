// The modeler page: bpmn-js Modeler with CarbonFlow's properties panel (vendor/modeler/modeler.js), checks run by
// the server (POST validate) shown on the diagram and in a list, deploy with a change note, open and download files.
(() => {
  const page = document.getElementById("modeler-page");
  if (!page) return;
  const config = JSON.parse(document.getElementById("modeler-config").textContent);
  const say = config.messages;
  const part = (name) => page.querySelector(`[data-part="${name}"]`);
  const status = page.querySelector(".modeler-status");
  const fill = (text, values) => Object.entries(values || {}).reduce((t, [k, v]) => t.replace(`{${k}}`, v), text);
  const tell = (text, kind) => {
    status.textContent = text;
    status.dataset.kind = kind || "info";
  };

  if (!window.CarbonFlowModeler) {
    tell(fill(say.failed, { reason: "modeler.js" }), "error");
    return;
  }
  const modeler = window.CarbonFlowModeler.create({
    container: part("canvas"), propertiesParent: part("properties"),
    catalog: config.catalog, labels: config.labels, locale: config.locale,
  });
  const canvas = modeler.get("canvas");
  const registry = modeler.get("elementRegistry");
  const overlays = modeler.get("overlays");
  let dirty = false;
  modeler.on("commandStack.changed", () => { dirty = true; });
  window.addEventListener("beforeunload", (event) => {
    if (dirty) { event.preventDefault(); event.returnValue = say.unsaved; }
  });

  // A new process: executable, in a pool with one lane (lanes are named by role ids) and its start event.
  const BLANK = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="definitions_new_process"
  targetNamespace="http://carbonflow.local/processes">
  <bpmn:collaboration id="new_process_collaboration">
    <bpmn:participant id="new_process_participant" name="新流程 New process" processRef="new_process" />
  </bpmn:collaboration>
  <bpmn:process id="new_process" name="新流程 New process" isExecutable="true">
    <bpmn:laneSet id="new_process_lanes">
      <bpmn:lane id="lane_carbon_staff" name="carbon_staff"><bpmn:flowNodeRef>start</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="开始 Start" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="new_process_diagram">
    <bpmndi:BPMNPlane id="new_process_plane" bpmnElement="new_process_collaboration">
      <bpmndi:BPMNShape id="new_process_participant_di" bpmnElement="new_process_participant" isHorizontal="true">
        <dc:Bounds x="260" y="80" width="900" height="250" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="lane_carbon_staff_di" bpmnElement="lane_carbon_staff" isHorizontal="true">
        <dc:Bounds x="290" y="80" width="870" height="250" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="352" y="187" width="36" height="36" /></bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>`;

  const load = async (xml) => {
    clearProblems();
    await modeler.importXML(xml);
    canvas.zoom("fit-viewport", "auto");
    dirty = false;
    tell(say.loaded);
  };

  const processId = () => {
    const process = modeler.getDefinitions().rootElements.find((e) => e.$type === "bpmn:Process" && e.isExecutable)
      || modeler.getDefinitions().rootElements.find((e) => e.$type === "bpmn:Process");
    return process ? process.id : "process";
  };
  const currentXml = async () => (await modeler.saveXML({ format: true })).xml;

  const post = async (url, body) => {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": page.dataset.csrf },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({ message: `HTTP ${response.status}` }));
    return { status: response.status, answer };
  };

  // Problems: a marker and a badge on each element named, and a list whose items select it.
  let badges = [];
  function clearProblems() {
    badges.forEach((id) => overlays.remove(id));
    badges = [];
    registry.getAll().forEach((element) => {
      canvas.removeMarker(element, "problem-error");
      canvas.removeMarker(element, "problem-warning");
    });
    part("problems").replaceChildren();
  }

  const selectElement = (id) => {
    const element = registry.get(id);
    if (!element) return;
    modeler.get("selection").select(element);
    canvas.scrollToElement(element);
  };

  const listProblem = (problem) => {
    const item = document.createElement("li");
    item.className = `problem-${problem.severity}`;
    item.dataset.code = problem.code;
    if (problem.element) item.dataset.element = problem.element;
    const kind = document.createElement("strong");
    kind.textContent = problem.severity === "error" ? say.refusals : say.warnings;
    item.append(kind, " ");
    if (problem.element && registry.get(problem.element)) {
      const link = document.createElement("button");
      link.type = "button";
      link.className = "link";
      link.title = say.on_element;
      link.textContent = problem.element;
      link.addEventListener("click", () => selectElement(problem.element));
      item.append(link, ": ");
    }
    item.append(problem.text);
    part("problems").append(item);
    const element = problem.element && registry.get(problem.element);
    if (element && element.type !== "bpmn:Process") {
      canvas.addMarker(element, `problem-${problem.severity}`);
      const badge = document.createElement("span");
      badge.className = `problem-badge ${problem.severity}`;
      badge.textContent = problem.severity === "error" ? "!" : "?";
      badge.title = problem.text;
      badges.push(overlays.add(element, "problem", { position: { top: -10, right: 10 }, html: badge }));
    }
  };

  const showProblems = (refusals, warnings) => {
    clearProblems();
    refusals.forEach(listProblem);
    warnings.forEach(listProblem);
    const summary = [refusals.length ? `${say.refusals}: ${refusals.length}` : say.valid,
      warnings.length ? `${say.warnings}: ${warnings.length}` : say.none].join(" · ");
    part("problems-summary").textContent = summary;
  };

  const validate = async () => {
    tell(say.validating);
    const { status: code, answer } = await post(page.dataset.validateUrl,
      { bpmn: await currentXml(), file_name: `${processId()}.bpmn` });
    if (code !== 200) {
      tell(fill(say.error, { reason: answer.message || code }), "error");
      return null;
    }
    showProblems(answer.refusals, answer.warnings);
    const next = answer.deployable && !answer.identical && answer.latest_version
      ? fill(answer.unchanged ? say.unchanged_run : say.next_version, { version: answer.latest_version + 1 }) : "";
    tell(answer.deployable ? `${answer.identical ? say.identical : say.valid} ${next}`.trim() : say.not_deployed,
      answer.deployable ? "success" : "error");
    return answer;
  };

  const deploy = async (event) => {
    event.preventDefault();
    const note = event.target.elements.note.value.trim();
    if (!note) {
      tell(say.note_needed, "error");
      event.target.elements.note.focus();
      return;
    }
    tell(say.deploying);
    const { status: code, answer } = await post(page.dataset.deployUrl,
      { bpmn: await currentXml(), file_name: `${processId()}.bpmn`, note });
    if (code === 201 || code === 200) {
      dirty = false;
      const text = fill(code === 201 ? say.deployed : say.unchanged, { version: answer.version });
      status.replaceChildren(text, " ");
      const link = document.createElement("a");
      link.href = page.dataset.versionsUrl.replace("__process__", encodeURIComponent(answer.process_id));
      link.textContent = say.see_versions;
      status.append(link);
      status.dataset.kind = "success";
    } else if (code === 422 && answer.problems) {
      showProblems(answer.problems, []);
      tell(say.not_deployed, "error");
    } else {
      tell(fill(say.error, { reason: answer.message || code }), "error");
    }
  };

  const download = async () => {
    const blob = new Blob([await currentXml()], { type: "application/xml" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `${processId()}.bpmn`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  };

  page.querySelector('[data-action="validate"]').addEventListener("click", validate);
  page.querySelector('[data-action="download"]').addEventListener("click", download);
  page.querySelector('[data-action="open"]').addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    try {
      await load(await file.text());
    } catch (error) {
      tell(fill(say.failed, { reason: error.message }), "error");
    }
  });
  part("deploy").addEventListener("submit", deploy);

  tell(say.loading);
  const source = page.dataset.sourceUrl;
  (source
    ? fetch(source, { credentials: "same-origin" }).then((r) => {
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      return r.text();
    }).then(load)
    : load(BLANK))
    .catch((error) => tell(fill(say.failed, { reason: error.message }), "error"));
  page.modeler = modeler;  // for the browser tests
})();
