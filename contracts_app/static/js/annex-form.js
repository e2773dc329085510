// The annex form: add and remove change rows without losing what was typed, show the
// fields each operation needs, and pre-fill a "modify" row from the clause it names.
(() => {
  const form = document.getElementById("annex-form");
  if (!form) return;
  const rows = document.getElementById("change-rows");
  const template = document.getElementById("change-row-template");
  let clauses = JSON.parse(document.getElementById("scope-data").textContent || "{}");

  const nextIndex = () => {
    let highest = -1;
    rows.querySelectorAll("[name^='changes-']").forEach((input) => {
      const match = input.name.match(/^changes-(\d+)-/);
      if (match) highest = Math.max(highest, Number(match[1]));
    });
    return highest + 1;
  };

  const input = (row, name) => row.querySelector(`[name$='-${name}']`);

  const fillFromClause = (row) => {
    const clause = clauses[input(row, "ref").value.trim()];
    if (!clause || row.dataset.op !== "modify") return;
    const cap = clause.cap || {};
    const values = {
      title: clause.title, description: clause.description, kind: clause.kind,
      categories: clause.categories.join(", "), systems: clause.systems.join(", "),
      keywords: clause.keywords.join(", "), cap_unit: cap.unit || "", cap_limit: cap.limit || "",
      cap_period: cap.period || "", cap_unit_label: cap.unit_label || "",
      cap_unit_label_singular: cap.unit_label_singular || "",
      per_task_limit: clause.per_task_limit || "", rate: clause.rate || "",
    };
    Object.entries(values).forEach(([name, value]) => {
      const field = input(row, name);
      if (field) field.value = value;
    });
  };

  const wire = (row) => {
    const op = input(row, "op");
    row.dataset.op = op.value;
    op.addEventListener("change", () => { row.dataset.op = op.value; fillFromClause(row); });
    input(row, "ref").addEventListener("change", () => fillFromClause(row));
    row.querySelector(".remove-row").addEventListener("click", () => row.remove());
  };

  rows.querySelectorAll(".change-row").forEach(wire);

  document.getElementById("add-row").addEventListener("click", (event) => {
    event.preventDefault();
    const html = template.innerHTML.replaceAll("__prefix__", String(nextIndex()));
    const holder = document.createElement("div");
    holder.innerHTML = html.trim();
    const row = holder.firstElementChild;
    rows.appendChild(row);
    wire(row);
    input(row, "ref").focus();
  });

  const effective = form.querySelector("[name='effective_date']");
  effective.addEventListener("change", async () => {
    if (!effective.value) return;
    const response = await fetch(`${form.dataset.scopeUrl}?as_of=${encodeURIComponent(effective.value)}`,
      { credentials: "same-origin" });
    if (!response.ok) return;
    const answer = await response.json();
    const holder = effective.closest(".field");
    holder.querySelectorAll(".error.date-check").forEach((node) => node.remove());
    if (answer.error) {
      // A date outside the term keeps the clauses already offered: say why beside the date.
      const message = document.createElement("small");
      message.className = "error date-check";
      message.textContent = answer.error;
      holder.appendChild(message);
      holder.classList.add("has-error");
      effective.setAttribute("aria-invalid", "true");
      return;
    }
    if (!holder.querySelector(".error")) {
      holder.classList.remove("has-error");
      effective.setAttribute("aria-invalid", "false");
    }
    clauses = answer.clauses;
    const list = document.getElementById("clause-refs");
    list.replaceChildren(...Object.entries(clauses).map(([ref, clause]) => {
      const option = document.createElement("option");
      option.value = ref;
      option.textContent = clause.title;
      return option;
    }));
  });
})();
