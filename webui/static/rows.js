// Table fields: add a row (a copy of the last one, emptied, with the next index) or remove one.
document.addEventListener("click", (event) => {
  const button = event.target;
  if (button.classList.contains("add-row")) {
    const body = button.closest("fieldset").querySelector("tbody");
    const last = body.lastElementChild;
    const copy = last.cloneNode(true);
    const index = body.children.length;
    copy.querySelectorAll("[name]").forEach((input) => {
      input.name = input.name.replace(/\[\d+\]/, `[${index}]`);
      if (input.type === "checkbox") input.checked = false;
      else if (input.type !== "hidden") input.value = "";
    });
    copy.querySelectorAll(".field-error").forEach((error) => error.remove());
    body.appendChild(copy);
  } else if (button.classList.contains("remove-row")) {
    const body = button.closest("tbody");
    if (body.children.length > 1) button.closest("tr").remove();
  }
});
