// Buttons that do something hard to undo ask first: their data-confirm text, in the page's language.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
});
