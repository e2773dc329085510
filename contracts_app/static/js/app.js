// Loaded in the head of every page: small behaviours that need no server round trip.
document.documentElement.classList.replace("no-js", "js");

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

// Pages of live counts (My work, notifications) are read again when the back button brings
// them out of the browser's memory: an item opened meanwhile is read now.
window.addEventListener("pageshow", (event) => {
  if (event.persisted && document.querySelector("[data-refresh-on-back]")) location.reload();
});

// The top bar's menu on a phone: the button folds and unfolds it; Escape folds it again.
const setMenu = (button, open) => {
  button.setAttribute("aria-expanded", String(open));
  button.closest(".topbar").classList.toggle("menu-open", open);
};
document.addEventListener("click", (event) => {
  const button = event.target.closest(".menu-toggle");
  if (button) setMenu(button, button.getAttribute("aria-expanded") !== "true");
});
document.addEventListener("keydown", (event) => {
  const button = document.querySelector(".menu-toggle[aria-expanded=true]");
  if (event.key === "Escape" && button) {
    setMenu(button, false);
    button.focus();
  }
});

document.addEventListener("DOMContentLoaded", () => {
  // Each cell carries its column's name, so that on a phone a row reads as a card of
  // labelled values (app.css, table.stacks) instead of a table wider than the screen.
  for (const table of document.querySelectorAll("main table")) {
    const head = table.tHead && table.tHead.rows[0];
    if (!head) continue;
    const names = [];
    for (const th of head.cells) {
      // the plain name: a sort arrow (aria-hidden) would read as a control in the card
      const name = th.cloneNode(true);
      for (const hidden of name.querySelectorAll("[aria-hidden=true]")) hidden.remove();
      for (let i = 0; i < th.colSpan; i++) names.push(name.textContent.trim());
    }
    for (const body of table.tBodies) {
      for (const row of body.rows) {
        let column = 0;
        for (const cell of row.cells) {
          if (!cell.hasAttribute("data-label") && cell.colSpan === 1) {
            cell.dataset.label = names[column] || "";
          }
          column += cell.colSpan;
        }
      }
    }
    table.classList.add("stacks");
  }
  // A box that scrolls sideways can be reached and scrolled with the keyboard.
  const reachable = () => {
    for (const box of document.querySelectorAll("main *")) {
      const overflow = getComputedStyle(box).overflowX;
      if ((overflow === "auto" || overflow === "scroll") && box.scrollWidth > box.clientWidth) {
        if (!box.hasAttribute("tabindex")) box.tabIndex = 0;
      }
    }
  };
  reachable();
  window.addEventListener("resize", reachable);
});
