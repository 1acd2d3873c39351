// The version diff page's two diagrams (bpmn-js NavigatedViewer): the old version with its removed elements
// in red, the new one with its added elements in green, changed ones amber on both.
(() => {
  const holder = document.getElementById("diff-diagrams");
  if (!holder) return;
  const fail = () => {
    holder.classList.add("failed");
    holder.textContent = holder.dataset.failed;
  };

  const show = async (container, xml, marks) => {
    const viewer = new BpmnJS({ container });
    await viewer.importXML(xml);
    viewer.get("canvas").zoom("fit-viewport", "auto");
    const canvas = viewer.get("canvas");
    const elements = viewer.get("elementRegistry");
    for (const [marker, ids] of Object.entries(marks)) {
      ids.filter((id) => elements.get(id)).forEach((id) => canvas.addMarker(id, marker));
    }
  };

  if (typeof BpmnJS !== "function") {
    fail();
    return;
  }
  fetch(holder.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then((response) => {
      if (!response.ok) throw new Error(`diff: HTTP ${response.status}`);
      return response.json();
    })
    .then((diff) => Promise.all([
      show(holder.querySelector("[data-side=old]"), diff.old, { "diff-removed": diff.removed, "diff-changed": diff.changed }),
      show(holder.querySelector("[data-side=new]"), diff.new, { "diff-added": diff.added, "diff-changed": diff.changed }),
    ]))
    .catch(fail);
})();
