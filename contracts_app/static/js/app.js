// Asks before a destructive inline action (forms marked .confirm-submit with data-confirm).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.matches(".confirm-submit") && !window.confirm(form.dataset.confirm || "Are you sure?")) {
    event.preventDefault();
    return;
  }
  // one form, several decisions: a dangerous button asks for itself
  const button = event.submitter;
  if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});
