// One patient: the record, the latest assessment's landscape (plotly), running an assessment and a plan search
// as jobs with a progress bar, and links to the stored plan searches.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const { api, el, clear, text, fillDl, showError, followJob } = ns;
  const key = ns.page().key;
  const base = "/api/v1/patients/" + encodeURIComponent(key);

  const idOf = (item) => item.id ?? item.assessment_id ?? item.plan_search_id ?? item.search_id;
  const idFromUrl = (url, kind) => {
    const m = (url || "").match(new RegExp("/" + kind + "/(\\d+)"));
    return m ? m[1] : null;
  };

  function planLink(id, label) {
    return el("a", { href: "/ui/plans/" + encodeURIComponent(id), className: "plan-link" }, label);
  }

  const OBSERVATION_COLUMNS = [["time", "Time (UTC)"], ["name", "Observation"], ["code", "Code"], ["value", "Value"],
    ["unit", "Unit"], ["censor", "Censored"], ["specimen", "Specimen"], ["import_id", "Import"]];

  function renderObservations(rows) {
    const table = document.getElementById("observations");
    const head = clear(table.querySelector("thead"));
    const body = clear(table.querySelector("tbody"));
    head.append(el("tr", {}, OBSERVATION_COLUMNS.map(([, title]) => el("th", { scope: "col" }, title))));
    if (!rows.length) body.append(el("tr", {}, el("td", { colspan: OBSERVATION_COLUMNS.length }, "No observations.")));
    for (const row of rows) body.append(el("tr", {}, OBSERVATION_COLUMNS.map(([k]) => el("td", {}, text(row[k])))));
  }

  async function loadDetails() {
    const p = await api(base);
    fillDl(document.getElementById("details"), [
      ["Patient", p.key], ["Sex", p.sex], ["Birth date", p.birth_date], ["Age (years)", p.age_years],
      ["Record version", p.version], ["Notes", p.notes], ["In the store since", p.created_at],
      ["Imports", (p.imports || []).map((i) => i.filename + " (" + i.imported_at + ")").join("; ")],
    ]);
    renderObservations(p.observations || []);
    const assessments = clear(document.getElementById("assessments"));
    for (const a of p.assessments || []) {
      assessments.append(el("li", {}, "Assessment " + idOf(a) + " (" + [a.method, a.seed !== undefined ? "seed " + a.seed : null,
        a.converged === false ? "not converged" : null].filter(Boolean).join(", ") + ")" +
        (a.created_at ? ", " + a.created_at : "")));
    }
    const plans = clear(document.getElementById("plans"));
    for (const s of p.plans || []) {
      const id = idOf(s);
      plans.append(el("li", {}, planLink(id, "Plan search " + id + (s.profile ? ": " + s.profile : "")),
        s.best ? ", best: " + s.best : "", s.reached === false ? " (targets not reached)" : "",
        s.created_at ? ", " + s.created_at : ""));
    }
  }

  async function loadLandscape() {
    const box = document.getElementById("landscape");
    const empty = document.getElementById("landscape-empty");
    try {
      const figure = await api(base + "/landscape");
      empty.hidden = true;
      box.hidden = false;
      await Plotly.react(box, figure.data || [], figure.layout || {}, { responsive: true, displaylogo: false });
      box.dataset.ready = "true";
    } catch (error) {
      if (error.status !== 404) throw error;
      empty.hidden = false;
      box.hidden = true;
    }
  }

  const names = (value) => value.split(",").map((s) => s.trim()).filter(Boolean);

  document.getElementById("assess-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    showError(null);
    form.querySelector("button").disabled = true;
    try {
      const job = await api(base + "/assessments", {
        method: "POST", json: { method: document.getElementById("method").value,
          seed: Number(document.getElementById("assess-seed").value) },
      });
      await followJob(job.job_id, document.getElementById("assess-progress"), document.getElementById("assess-status"));
      await Promise.all([loadDetails(), loadLandscape()]);
    } catch (error) {
      showError(error);
    } finally {
      form.querySelector("button").disabled = false;
    }
  });

  document.getElementById("plan-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    showError(null);
    const levers = {};
    if (form.drugs.value.trim()) levers.drugs = names(form.drugs.value);
    if (form.supplements.value.trim()) levers.supplements = names(form.supplements.value);
    form.querySelector("button").disabled = true;
    try {
      const job = await api(base + "/plans", {
        method: "POST",
        json: {
          targets: form.targets.value, levers, horizon_days: Number(form.horizon_days.value),
          draws: Number(form.draws.value), objective: document.getElementById("objective").value,
          seed: Number(document.getElementById("plan-seed").value),
        },
      });
      const status = document.getElementById("plan-status");
      const done = await followJob(job.job_id, document.getElementById("plan-progress"), status);
      const id = idFromUrl(done.result_url, "plans");
      if (id) status.append(" ", planLink(id, "Compare the ranked plans"));
      await loadDetails();
    } catch (error) {
      showError(error);
    } finally {
      form.querySelector("button").disabled = false;
    }
  });

  Promise.all([loadDetails(), loadLandscape()]).catch(showError);
});
