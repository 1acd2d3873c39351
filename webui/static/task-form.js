// Task and start forms: after a refused submit the error summary takes the focus, so a screen reader reads it
// and its links lead to each field; pressing Enter in a one-line field never sends the form (only its buttons
// do; the form's disabled first button already stops browsers from submitting implicitly).
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
});

document.addEventListener("keydown", (event) => {
  const target = event.target;
  if (event.key !== "Enter" || !(target instanceof HTMLInputElement) || !target.form) return;
  if (!target.form.matches("form.task-fields")) return;
  if (["button", "submit", "reset", "file"].includes(target.type)) return;
  event.preventDefault();
});
