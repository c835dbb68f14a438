// The patient list: GET /api/v1/patients.
"use strict";

document.addEventListener("DOMContentLoaded", async () => {
  const { api, el, showError } = ns;
  try {
    const data = await api("/api/v1/patients");
    const body = document.querySelector("#patients tbody");
    for (const p of data.items) {
      body.append(el("tr", {},
        el("th", { scope: "row" }, el("a", { href: "/ui/patients/" + encodeURIComponent(p.key) }, p.key)),
        el("td", {}, p.sex || ""), el("td", {}, p.age_years ?? ""), el("td", {}, p.n_imports ?? ""),
        el("td", {}, p.n_observations ?? ""), el("td", {}, p.n_assessments ?? ""), el("td", {}, p.n_plans ?? "")));
    }
    document.getElementById("patients-empty").hidden = data.items.length > 0;
  } catch (error) {
    showError(error);
  }
});
