// The audit log (administrators): GET /api/v1/audit?limit=&patient= (a key, or OWNER~KEY for one patient).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const { api, el, clear, showError } = ns;
  const form = document.getElementById("audit-form");

  async function load() {
    showError(null);
    const query = new URLSearchParams({ limit: form.limit.value || "100" });
    if (form.patient.value.trim()) query.set("patient", form.patient.value.trim());
    try {
      const data = await api("/api/v1/audit?" + query);
      const body = clear(document.querySelector("#audit tbody"));
      for (const row of data.items) {
        body.append(el("tr", {}, el("td", {}, row.at), el("td", {}, row.username ?? ""), el("td", {}, row.action),
          el("td", {}, row.resource ?? ""), el("td", {}, row.patient ?? row.patient_key ?? "")));
      }
    } catch (error) {
      showError(error.status === 403 ? "The audit log is for administrators only." : error);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  load();
});
