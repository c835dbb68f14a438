// The patient list: GET /api/v1/patients.
"use strict";

document.addEventListener("DOMContentLoaded", async () => {
  const { api, el, showError } = ns;
  try {
    const data = await api("/api/v1/patients");
    const body = document.querySelector("#patients tbody");
    for (const p of data.items) {
      // p.ref names the patient for this user: its key for one's own, OWNER~KEY for a shared one (or, for an
      // administrator, another owner's), since a key is unique per owner only.
      const ref = p.ref ?? p.key;
      body.append(el("tr", {},
        el("th", { scope: "row" }, el("a", { href: "/ui/patients/" + encodeURIComponent(ref) }, ref)),
        el("td", {}, p.sex || ""), el("td", {}, p.age_years ?? ""), el("td", {}, p.n_imports ?? ""),
        el("td", {}, p.n_observations ?? ""), el("td", {}, p.n_assessments ?? ""), el("td", {}, p.n_plans ?? "")));
    }
    document.getElementById("patients-empty").hidden = data.items.length > 0;
  } catch (error) {
    showError(error);
  }
});
