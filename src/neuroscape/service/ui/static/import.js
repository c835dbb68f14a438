// Import a patient file: preview (POST /api/v1/imports/preview writes nothing), every problem shown, then
// confirm (POST /api/v1/imports). The confirm button stays disabled while the preview lists a problem.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const { api, el, clear, text, fillDl, showError } = ns;
  const form = document.getElementById("import-form");
  const confirm = document.getElementById("confirm");
  const done = document.getElementById("import-done");
  const busy = document.getElementById("import-busy");

  // the request, with the "reading" note shown while it runs
  async function send(path) {
    busy.hidden = false;
    try {
      return await api(path, { method: "POST", form: fileForm() });
    } finally {
      busy.hidden = true;
    }
  }

  function fileForm() {
    const data = new FormData();
    data.append("file", form.file.files[0]);
    return data;
  }

  // the preview's problems and the summary's own, once each
  function problemsOf(preview) {
    const seen = new Set();
    const all = [...(preview.problems || []), ...((preview.summary || {}).problems || [])];
    return all.filter((p) => {
      const key = JSON.stringify(p);
      return seen.has(key) ? false : (seen.add(key), true);
    });
  }

  function showProblems(problems) {
    const list = clear(document.getElementById("problems"));
    for (const p of problems) list.append(el("li", {}, text(p)));
    document.getElementById("no-problems").hidden = problems.length > 0;
  }

  function render(preview) {
    const summary = preview.summary || {};
    const read = summary.read || {};
    document.getElementById("read").hidden = !summary.read;
    document.getElementById("unreadable").hidden = Boolean(summary.read);
    fillDl(document.getElementById("summary"), [
      ["File", summary.file], ["Patient key", preview.patient_key || read.patient_id], ["Sex", read.sex],
      ["Birth date", read.birth_date], ["Age (years)", read.age_years], ["Weight (kg)", read.weight_kg],
      ["Last menstrual period", read.last_menstrual_period], ["Observations", read.observations],
      ["Censored observations", read.censored_observations], ["Conditions", read.conditions],
      ["Genotypes", Object.entries(read.genotypes || {}).map(([g, v]) => g + " " + v).join(", ")],
    ]);
    const obs = clear(document.querySelector("#observations tbody"));
    for (const [name, count] of Object.entries(read.observations_by_name || {})) {
      obs.append(el("tr", {}, el("td", {}, name), el("td", {}, count)));
    }
    const meds = clear(document.querySelector("#medications tbody"));
    if (!(read.medications || []).length) meds.append(el("tr", {}, el("td", { colspan: 6 }, "none")));
    for (const m of read.medications || []) {
      meds.append(el("tr", {}, el("td", {}, m.drug), el("td", {}, text(m.dose_mg)), el("td", {}, text(m.every_h)),
        el("td", {}, text(m.count)), el("td", {}, m.first_dose || ""), el("td", {}, m.source || "")));
    }
    const skipped = clear(document.getElementById("skipped"));
    for (const [label, items] of [["skipped", summary.skipped], ["as needed", summary.as_needed],
      ["not modelled", summary.not_modelled], ["note", summary.notes]]) {
      for (const item of items || []) skipped.append(el("li", {}, label + ": " + text(item)));
    }
    if (!skipped.firstChild) skipped.append(el("li", {}, "nothing skipped"));
    const problems = problemsOf(preview);
    showProblems(problems);
    confirm.disabled = problems.length > 0;
    document.getElementById("preview-result").hidden = false;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(null);
    done.hidden = true;
    confirm.disabled = true;
    try {
      render(await send("/api/v1/imports/preview"));
    } catch (error) {
      showError(error);
      if (error.data && Array.isArray(error.data.problems)) {
        document.getElementById("preview-result").hidden = false;
        showProblems(error.data.problems);
      }
    }
  });

  form.file.addEventListener("change", () => {
    confirm.disabled = true;
    document.getElementById("preview-result").hidden = true;
  });

  confirm.addEventListener("click", async () => {
    showError(null);
    confirm.disabled = true;
    try {
      const result = await send("/api/v1/imports");
      clear(done).append("Imported as patient ", el("a", { href: "/ui/patients/" + encodeURIComponent(result.patient_key),
        id: "imported-patient" }, result.patient_key), " (import " + result.import_id + (result.new_import === false ?
        "; this file was imported before, nothing new was added" : result.observations_added !== undefined ?
        "; " + result.observations_added + " observations added" : "") + ").");
      done.hidden = false;
    } catch (error) {
      showError(error);
      if (error.data && Array.isArray(error.data.problems)) showProblems(error.data.problems);
    }
  });
});
