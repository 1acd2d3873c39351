// The instance page's BPMN diagram (bpmn-js NavigatedViewer): completed steps marked "done", open ones "current".
// The container's data attributes give the JSON's address and the (translated) message shown if loading fails.
(() => {
  const container = document.getElementById("diagram");
  if (!container) return;

  const fail = () => {
    container.classList.add("failed");
    container.textContent = container.dataset.failed;
  };

  // Markers only on elements the diagram draws (steps of called processes are not in it).
  const mark = (viewer, ids, marker) => {
    const canvas = viewer.get("canvas");
    const elements = viewer.get("elementRegistry");
    ids.filter((id) => elements.get(id)).forEach((id) => canvas.addMarker(id, marker));
  };

  const show = async (state) => {
    const viewer = new BpmnJS({ container });
    await viewer.importXML(state.bpmn);
    viewer.get("canvas").zoom("fit-viewport", "auto");
    // A step done before and open again (a loop back) is current, not done.
    const current = new Set(state.current);
    mark(viewer, state.completed.filter((id) => !current.has(id)), "done");
    mark(viewer, [...current], "current");
  };

  if (typeof BpmnJS !== "function") {
    fail();
    return;
  }
  fetch(container.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then((response) => {
      if (!response.ok) throw new Error(`diagram: HTTP ${response.status}`);
      return response.json();  // a sign-in page instead of JSON (session expired) also ends in fail()
    })
    .then(show)
    .catch(fail);
})();
