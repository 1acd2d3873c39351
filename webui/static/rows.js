// Table fields: "Add a row" copies the table's blank row (its <template>) with the next index; "Remove" takes a
// row out, down to none. Rows whose every cell is empty are left out when the form is sent (the server drops
// them too), so an optional table may stay empty.
function showEmpty(fieldset) {
  const empty = fieldset.querySelector(".no-rows");
  if (empty) empty.hidden = fieldset.querySelector("tbody").children.length > 0;
}

function addRow(fieldset) {
  const template = fieldset.querySelector("template.row-template");
  const body = fieldset.querySelector("tbody");
  const index = Number(fieldset.dataset.next || body.children.length);
  fieldset.dataset.next = String(index + 1);
  const html = template.innerHTML.replaceAll("__INDEX__", String(index))
    .replaceAll("__ROW__", String(body.children.length + 1));
  body.insertAdjacentHTML("beforeend", html);
  showEmpty(fieldset);
  const first = body.lastElementChild.querySelector("input:not([type=hidden]), select, textarea");
  if (first) first.focus();
}

function removeRow(button) {
  const fieldset = button.closest("fieldset");
  const row = button.closest("tr");
  const next = row.nextElementSibling || row.previousElementSibling;
  row.remove();
  showEmpty(fieldset);
  const target = next ? next.querySelector(".remove-row") : fieldset.querySelector(".add-row");
  if (target) target.focus();
}

function isBlank(row) {
  return [...row.querySelectorAll("input, select, textarea")].every((input) => {
    if (input.type === "hidden") return true;
    if (input.type === "checkbox" || input.type === "radio") return !input.checked;
    return input.value.trim() === "";
  });
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  if (button.classList.contains("add-row")) addRow(button.closest("fieldset"));
  else if (button.classList.contains("remove-row")) removeRow(button);
});

document.addEventListener("submit", (event) => {
  event.target.querySelectorAll("fieldset.rows").forEach((fieldset) => {
    fieldset.querySelectorAll("tbody tr").forEach((row) => { if (isBlank(row)) row.remove(); });
    showEmpty(fieldset);
  });
});
