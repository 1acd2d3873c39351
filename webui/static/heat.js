// A version's diagram with badges: how many instances wait at each element, how many are in error there (as Cockpit).
(() => {
  const container = document.getElementById("heat");
  if (!container) return;
  const fail = () => {
    container.classList.add("failed");
    container.textContent = container.dataset.failed;
  };
  const badge = (overlays, registry, id, count, kind, href) => {
    if (!registry.get(id)) return;
    const link = document.createElement("a");
    link.className = `heat-badge ${kind}`;
    link.textContent = String(count);
    link.href = href;
    overlays.add(id, kind, { position: kind === "waiting" ? { bottom: 10, left: -8 } : { bottom: 10, right: 8 }, html: link });
  };
  const show = async (data) => {
    const viewer = new BpmnJS({ container });
    await viewer.importXML(data.bpmn);
    viewer.get("canvas").zoom("fit-viewport", "auto");
    const overlays = viewer.get("overlays");
    const registry = viewer.get("elementRegistry");
    const list = container.dataset.instancesUrl;
    Object.entries(data.waiting).forEach(([id, n]) =>
      badge(overlays, registry, id, n, "waiting", `${list}&waiting=${encodeURIComponent(id)}`));
    Object.entries(data.incidents).forEach(([id, n]) =>
      badge(overlays, registry, id, n, "incident", `${list}&status=error`));
  };
  if (typeof BpmnJS !== "function") {
    fail();
    return;
  }
  fetch(container.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then((response) => {
      if (!response.ok) throw new Error(`heat: HTTP ${response.status}`);
      return response.json();
    })
    .then(show)
    .catch(fail);
})();
