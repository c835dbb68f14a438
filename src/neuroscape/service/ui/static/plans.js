// Ranked plans side by side (GET /api/v1/plans/{id}): PTA, risk, burden and safety margins in one table, the
// trajectories of the chosen plans against each target band and safety ceiling (plotly, from the JSON's
// `trajectories`; the report's static figure for searches stored without them), and the excluded candidates.
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

  // the plan-search JSON's trajectories (docs/management.md): per band and per trajectory ceiling, days from now
  // and the median and 5th/95th percentiles over the posterior draws; searches stored before it have none
  const bandsOf = (p) => (p.trajectories && p.trajectories.bands) || {};
  const ceilingsOf = (p) => (p.trajectories && p.trajectories.ceilings) || {};
  const idsOf = (plans, of) => {
    const ids = [];
    for (const p of plans) for (const k of Object.keys(of(p))) if (!ids.includes(k)) ids.push(k);
    return ids;
  };
  // plotly reads a few HTML-like tags in names and hover text: the labels are shown as plain text
  const plain = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

  // the values' unit as the JSON gives it: "1" is a plain number (a fraction, a ratio to the baseline)
  const unitOf = (s) => (s.relative_to === "baseline" ? "× baseline" : s.unit && s.unit !== "1" ? s.unit : "");

  function axisTitle(s) {
    const what = [s.quantity, ...(s.plus || [])].join(" + ") + (s.region ? ", " + s.region : "");
    return what + (unitOf(s) ? " (" + unitOf(s) + ")" : "");
  }

  // three traces a plan: the 95th percentile, the 5th filled up to it (the ribbon), the median; one legend entry
  // (the median's) toggles the three
  function planTraces(p, s) {
    const colour = COLOURS[(p.rank - 1) % COLOURS.length];
    const name = "#" + p.rank + " " + p.label;
    const unit = unitOf(s) ? " " + unitOf(s) : "";
    const hover = (what) => plain(name) + "<br>" + what + ": %{y:.4g}" + unit + "<br>day %{x:.2f}<extra></extra>";
    const common = { x: s.days, mode: "lines", legendgroup: "plan-" + p.rank, name: plain(name) };
    return [
      { ...common, y: s.p95, line: { width: 0, color: colour }, showlegend: false,
        hovertemplate: hover("95th percentile") },
      { ...common, y: s.p05, line: { width: 0, color: colour }, fill: "tonexty", fillcolor: colour + "33",
        showlegend: false, hovertemplate: hover("5th percentile") },
      { ...common, y: s.median, line: { color: colour, width: 2 }, hovertemplate: hover("median") },
    ];
  }

  // the y range: every value drawn and the limits shown, with a margin (an open side of a band reaches its edge)
  const yRange = (traces, also) => {
    const ys = traces.flatMap((t) => t.y).concat(also).filter((v) => typeof v === "number");
    const [lo, hi] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
    const pad = 0.06 * (hi - lo || Math.abs(hi) || 1);
    return [lo - pad, hi + pad];
  };

  async function figure(box, id, title, traces, shapes, ytitle, yrange) {
    const div = el("div", { id, className: "figure", role: "img", "aria-label": title });
    box.append(el("h3", {}, title), div);
    await Plotly.newPlot(div, traces, {
      margin: { t: 40, r: 10 }, height: 360, shapes, hovermode: "closest",
      legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
      xaxis: { title: { text: "days from now" }, rangemode: "tozero" },
      yaxis: { title: { text: plain(ytitle) }, range: yrange },
    }, { responsive: true, displaylogo: false });
  }

  // the report's static trajectory figure (the PNG after its "Ranked plans" table), for plan searches whose
  // JSON holds no trajectories; DOMParser builds an inert document, so nothing of the report runs here
  async function reportFigure(url) {
    const doc = new DOMParser().parseFromString(await api(url), "text/html");
    let node = [...doc.querySelectorAll("h2")].find((h) => h.textContent.trim() === "Ranked plans");
    while (node && node.tagName !== "IMG" && node.tagName !== "H3") node = node.nextElementSibling;
    const src = node && node.tagName === "IMG" ? node.getAttribute("src") || "" : "";
    return src.startsWith("data:image/png;base64,") ? src : null;
  }

  let picture = null;  // the report's figure, fetched once
  let generation = 0;  // a newer choice of plans supersedes a drawing still under way

  async function renderTrajectories(plans, search) {
    const mine = ++generation;
    const box = clear(document.getElementById("trajectories"));
    delete box.dataset.ready;
    const bands = idsOf(plans, bandsOf);
    const ceilings = idsOf(plans, ceilingsOf);
    const stored = (search.plans || []).some((p) => Object.keys(bandsOf(p)).length);
    if (!stored && search.report_url) {
      picture = picture || reportFigure(search.report_url).catch(() => null);
      const src = await picture;
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
    document.getElementById("traj-empty").hidden = stored;
    for (const b of bands) {
      if (mine !== generation) return;
      const shown = plans.filter((p) => bandsOf(p)[b]);
      const first = bandsOf(shown[0])[b];
      const traces = shown.flatMap((p) => planTraces(p, bandsOf(p)[b]));
      const [lo, hi] = first.band || [null, null];
      const yrange = yRange(traces, [lo, hi]);
      // the target band (an open side reaches the plot's edge), then the time before its scoring window
      const shapes = [{ type: "rect", xref: "paper", x0: 0, x1: 1, yref: "y", y0: lo ?? yrange[0], y1: hi ?? yrange[1],
        fillcolor: "#2ca02c", opacity: 0.18, line: { width: 0 }, layer: "below" }];
      if (first.window_days && first.window_days[0] > 0) {
        shapes.push({ type: "rect", xref: "x", x0: 0, x1: first.window_days[0], yref: "paper", y0: 0, y1: 1,
          fillcolor: "#999999", opacity: 0.08, line: { width: 0 }, layer: "below" });
      }
      await figure(box, "traj-" + b, "Target band " + b + " (" + (lo ?? "−∞") + " to " + (hi ?? "∞") + ", " +
        first.statistic + " over the window)", traces, shapes, axisTitle(first), yrange);
    }
    for (const c of ceilings) {
      if (mine !== generation) return;
      const shown = plans.filter((p) => ceilingsOf(p)[c]);
      const first = ceilingsOf(shown[0])[c];
      const traces = shown.flatMap((p) => planTraces(p, ceilingsOf(p)[c]));
      const shapes = [{ type: "line", xref: "paper", x0: 0, x1: 1, yref: "y", y0: first.ceiling, y1: first.ceiling,
        line: { color: "#d62728", width: 2, dash: "dash" } }];
      await figure(box, "ceiling-" + c, "Safety ceiling " + c + " (at most " + first.ceiling + ")", traces, shapes,
        axisTitle(first), yRange(traces, [first.ceiling]));
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
