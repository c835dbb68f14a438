// Ranked plans side by side (GET /api/v1/plans/{id}): PTA, risk, burden and safety margins in one table, the
// trajectories of the chosen plans against each target band (plotly), and the excluded candidates.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const { api, el, clear, text, fmt, pct, fillDl, showError } = ns;
  const id = ns.page().planId;
  const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];
  const DEFAULT_SHOWN = 3;

  const ci = (p) => (p && p.ci95 ? " (" + pct(p.ci95[0]) + "–" + pct(p.ci95[1]) + ")" : "");
  const pta = (p) => (p ? pct(p.p) + ci(p) + (p.n ? " of " + p.n : "") : "");

  function describeIntervention(it) {
    const name = it.drug || it.supplement || it.nutrient || it.hormone || it.exercise || it.kind || it.type || "";
    const parts = [name];
    if (it.dose_mg !== undefined) parts.push(fmt(it.dose_mg) + " mg");
    if (it.every_h !== undefined) parts.push("every " + fmt(it.every_h) + " h");
    if (it.count !== undefined) parts.push("× " + it.count);
    if (it.start_h !== undefined) parts.push("from t = " + fmt(it.start_h) + " h");
    return parts.filter(Boolean).join(" ");
  }

  // rows of the side-by-side table: [heading, plan -> cell text]
  function rows(plans) {
    const bands = [];
    for (const p of plans) for (const b of Object.keys(p.pta || {})) if (b !== "joint" && !bands.includes(b)) bands.push(b);
    const ceilings = [];
    for (const p of plans) for (const c of Object.keys(p.ceiling_margin || {})) if (!ceilings.includes(c)) ceilings.push(c);
    return [
      ["Pareto front", (p) => (p.pareto ? "yes" : "no")],
      ["Joint PTA (95% CI)", (p) => pta((p.pta || {}).joint)],
      ...bands.map((b) => ["PTA " + b, (p) => pta((p.pta || {})[b])]),
      ...bands.map((b) => ["Median " + b, (p) => fmt((p.statistic || {})[b])]),
      ["Expected loss", (p) => fmt(p.expected_loss)],
      ["CVaR" + (plans[0] && plans[0].cvar_level ? " (worst " + Math.round((1 - plans[0].cvar_level) * 100) + "%)" : ""),
        (p) => fmt(p.cvar)],
      ...ceilings.map((c) => ["Safety margin: " + c + " (share of ceiling)", (p) => pct((p.ceiling_margin || {})[c])]),
      ["Pills per day", (p) => fmt((p.burden || {}).pills_per_day)],
      ["Changes", (p) => fmt((p.burden || {}).changes)],
      ["Interventions", (p) => (p.interventions || []).map(describeIntervention).join("; ")],
      ["Posterior draws", (p) => (p.draws ?? "") + (p.failed_draws ? " (" + p.failed_draws + " failed)" : "")],
    ];
  }

  function renderTable(plans) {
    const table = document.getElementById("compare");
    const head = clear(table.querySelector("thead"));
    const body = clear(table.querySelector("tbody"));
    head.append(el("tr", {}, el("th", { scope: "col" }, "Plan"),
      plans.map((p) => el("th", { scope: "col" }, "#" + p.rank + " " + p.label))));
    for (const [heading, cell] of rows(plans)) {
      body.append(el("tr", {}, el("th", { scope: "row" }, heading), plans.map((p) => el("td", {}, cell(p)))));
    }
  }

  const bandEdges = (band) => {
    if (!band) return [null, null];
    if (Array.isArray(band)) return band;
    return [band.low ?? band.lo ?? null, band.high ?? band.hi ?? null];
  };

  // the report's static trajectory figure (the PNG after its "Ranked plans" table), for plan searches whose
  // JSON holds no trajectories; DOMParser builds an inert document, so nothing of the report runs here
  async function reportFigure(url) {
    const doc = new DOMParser().parseFromString(await api(url), "text/html");
    let node = [...doc.querySelectorAll("h2")].find((h) => h.textContent.trim() === "Ranked plans");
    while (node && node.tagName !== "IMG" && node.tagName !== "H3") node = node.nextElementSibling;
    const src = node && node.tagName === "IMG" ? node.getAttribute("src") || "" : "";
    return src.startsWith("data:image/png;base64,") ? src : null;
  }

  let figure = null;   // the report's figure, fetched once
  let generation = 0;  // a newer choice of plans supersedes a drawing still under way

  async function renderTrajectories(plans, search) {
    const mine = ++generation;
    const box = clear(document.getElementById("trajectories"));
    delete box.dataset.ready;
    const bands = [];
    for (const p of plans) for (const b of Object.keys(p.trajectories || {})) if (!bands.includes(b)) bands.push(b);
    if (!bands.length && search.report_url) {
      figure = figure || reportFigure(search.report_url).catch(() => null);
      const src = await figure;
      if (mine !== generation) return;
      if (src) {
        box.append(el("p", {}, "The report's figure of the top plans (a static image; this plan search's data hold " +
          "no trajectories to draw interactively):"),
          el("img", { src, alt: "Trajectories of the top-ranked plans against the target bands, from the report",
            className: "report-figure" }));
        box.dataset.ready = "true";
        return;
      }
    }
    document.getElementById("traj-empty").hidden = bands.length > 0;
    const now = search.now_h || 0;
    for (const b of bands) {
      if (mine !== generation) return;
      const div = el("div", { className: "figure", role: "img", "aria-label": "Trajectories of " + b });
      box.append(el("h3", {}, b), div);
      const traces = [];
      let unit = "";
      let edges = [null, null];
      plans.forEach((p) => {
        const tr = (p.trajectories || {})[b];
        if (!tr) return;
        const colour = COLOURS[(p.rank - 1) % COLOURS.length];
        const x = tr.times_h.map((t) => (t - now) / 24);
        unit = tr.unit || unit;
        edges = bandEdges(tr.band);
        traces.push({ x, y: tr.high, mode: "lines", line: { width: 0, color: colour }, showlegend: false,
          hoverinfo: "skip", legendgroup: p.label });
        traces.push({ x, y: tr.low, mode: "lines", line: { width: 0, color: colour }, fill: "tonexty",
          fillcolor: colour + "33", showlegend: false, hoverinfo: "skip", legendgroup: p.label });
        traces.push({ x, y: tr.median, mode: "lines", line: { color: colour }, name: "#" + p.rank + " " + p.label,
          legendgroup: p.label });
      });
      const shapes = [];
      if (edges[0] !== null || edges[1] !== null) {
        shapes.push({ type: "rect", xref: "paper", x0: 0, x1: 1, yref: "y", y0: edges[0] ?? 0,
          y1: edges[1] ?? Math.max(...traces.flatMap((t) => t.y)), fillcolor: "#2ca02c", opacity: 0.12, line: { width: 0 } });
      }
      await Plotly.newPlot(div, traces, {
        margin: { t: 10, r: 10 }, height: 320, shapes, xaxis: { title: { text: "days from now" } },
        yaxis: { title: { text: b + (unit ? " (" + unit + ")" : "") } }, legend: { orientation: "h" },
      }, { responsive: true, displaylogo: false });
    }
    if (mine === generation) box.dataset.ready = "true";
  }

  function renderExcluded(excluded) {
    const list = clear(document.getElementById("excluded"));
    for (const e of excluded) {
      list.append(el("li", {}, el("strong", {}, e.label), " — ", (e.rules || []).join(", "),
        (e.reasons || []).length ? ": " + e.reasons.join("; ") : ""));
    }
    if (!excluded.length) list.append(el("li", {}, "No candidate was excluded."));
  }

  async function load() {
    const data = await api("/api/v1/plans/" + encodeURIComponent(id));
    const search = data.plans ? data : data.result || data.search || data;
    const plans = search.plans || [];
    fillDl(document.getElementById("search-summary"), [
      ["Patient", data.patient_key || search.patient_id], ["Target profile", search.profile],
      ["Horizon (days)", typeof search.horizon_h === "number" ? fmt(search.horizon_h / 24) : ""],
      ["Candidates", search.candidates], ["Required joint PTA", pct(search.required_pta)],
      ["Targets reached", search.reached === undefined ? "" : search.reached ? "yes" : "no"], ["Seed", search.seed],
    ]);
    document.getElementById("search-message").textContent = text(search.message);
    if (search.report_url === null) document.getElementById("report-link").parentElement.hidden = true;
    const choose = document.getElementById("choose");
    const chosen = () => plans.filter((p, i) => choose.querySelectorAll("input")[i].checked);
    plans.forEach((p, i) => {
      const box = el("input", { type: "checkbox", id: "show-" + p.rank, checked: i < DEFAULT_SHOWN });
      choose.append(el("span", { className: "choice" }, box, el("label", { for: "show-" + p.rank }, "#" + p.rank + " " + p.label)));
    });
    const render = () => {
      renderTable(chosen());
      renderTrajectories(chosen(), search).catch(showError);
    };
    choose.addEventListener("change", render);
    render();
    renderExcluded(search.excluded || []);
  }

  load().catch(showError);
});
