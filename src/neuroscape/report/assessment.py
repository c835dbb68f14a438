"""HTML report of an assessment: the landscape figure, the fit of every observation, the
calibration's parameters and what drove each finding."""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np

from .html import _STYLE, DISCLAIMER, _png, plt

REGIONS = ("raphe", "cortex", "hippocampus", "striatum", "prefrontal", None)
_REGION_TITLES = {None: "whole brain / plasma"}


def _rows(landscape):
    rows = []
    for e in landscape.entries:
        key = (e.system, e.measure, e.quantity)
        if key not in rows:
            rows.append(key)
    return rows


def landscape_figure(landscape) -> str:
    """Regions (columns) by transmitter system and measure (rows), coloured by the patient's
    z-score within the reference band; hatched cells: the data barely narrowed the estimate."""
    rows = _rows(landscape)
    cmap = plt.get_cmap("RdBu_r")
    fig, ax = plt.subplots(figsize=(11, 0.42 * len(rows) + 1.6))
    for i, (system, measure, quantity) in enumerate(rows):
        for j, region in enumerate(REGIONS):
            e = next((x for x in landscape.entries if x.quantity == quantity and x.region == region), None)
            if e is None:
                continue
            z = e.z if math.isfinite(e.z) else 0.0
            colour = cmap(0.5 + max(-3.0, min(3.0, z)) / 6.0) if math.isfinite(e.z) else "#eeeeee"
            width = _log_width(e.low, e.high)
            ref_width = _log_width(e.ref_low, e.ref_high)
            uncertain = ref_width > 0 and width / ref_width > 0.8
            ax.add_patch(plt.Rectangle((j, i), 1, 1, facecolor=colour, edgecolor="white",
                                       hatch="///" if uncertain else None, lw=1.5))
            text = f"{e.median:.3g}\n[{e.low:.2g}-{e.high:.2g}]"
            ax.text(j + 0.5, i + 0.5, text, ha="center", va="center", fontsize=6.5,
                    color="white" if abs(z) > 2 else "black")
    ax.set_xlim(0, len(REGIONS))
    ax.set_ylim(len(rows), 0)
    ax.set_xticks(np.arange(len(REGIONS)) + 0.5, [_REGION_TITLES.get(r, r) for r in REGIONS], fontsize=8)
    ax.xaxis.tick_top()
    ax.set_yticks(np.arange(len(rows)) + 0.5,
                  [f"{s} {m}: {q}" for s, m, q in rows], fontsize=7.5)
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(-3, 3))
    cbar = fig.colorbar(sm, ax=ax, fraction=0.025, pad=0.01)
    cbar.set_label("z within the reference band (log scale)", fontsize=8)
    ax.set_title(f"landscape at t = {landscape.at_h:g} h: median [{int(landscape.level * 100)}% "
                 "credible interval]; hatched: interval > 80% of the reference band's width",
                 fontsize=8, pad=22)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    return _png(fig)


def _log_width(lo: float, hi: float) -> float:
    return math.log(hi / lo) if lo > 0 and hi > 0 else 0.0


def band_figure(landscape) -> str:
    """Each entry's credible interval (coloured) against the reference band (grey), relative to
    the reference median, on a log scale."""
    entries = [e for e in landscape.entries if e.ref_median > 0 and e.median > 0]
    fig, ax = plt.subplots(figsize=(8, 0.22 * len(entries) + 1.0))
    for i, e in enumerate(entries):
        r = e.ref_median
        ax.plot([e.ref_low / r, e.ref_high / r], [i, i], color="#cccccc", lw=7, solid_capstyle="butt")
        colour = {"low": "#2166ac", "high": "#b2182b"}.get(e.flag, "#444444")
        ax.plot([e.low / r, e.high / r], [i, i], color=colour, lw=2.5)
        ax.plot([e.median / r], [i], "o", color=colour, ms=4)
    ax.set_xscale("log")
    ax.axvline(1.0, color="#888", lw=0.8, ls=":")
    ax.set_yticks(range(len(entries)), [e.label for e in entries], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("value / reference median (grey: reference band; line: patient interval)", fontsize=8)
    return _png(fig)


def fit_figure(posterior) -> str:
    """Observed vs fitted, each observation in its own error model's standard deviations."""
    rows = posterior.fit_rows()
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(rows) + 1.0))
    ax.axvspan(-2, 2, color="#e6f4ea")
    for i, r in enumerate(rows):
        if r["z"] is not None:  # a censored value has no z-score: its label says so
            ax.plot([r["z"]], [i], "o", color="#b2182b" if abs(r["z"]) > 2 else "#333333")
    ax.axvline(0, color="#888", lw=0.8)
    labels = [f"{r['label']} ({_when(r['time_h'])})" + (f" {r['observed_text']}: censored" if r["censor"] else "")
              for r in rows]
    ax.set_yticks(range(len(rows)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("(observed - fitted) / sd   (green: within 2 sd)", fontsize=8)
    lim = max(3.0, max((abs(r["z"]) for r in rows if r["z"] is not None), default=0) + 0.5)
    ax.set_xlim(-lim, lim)
    return _png(fig)


def _convergence(post) -> str:
    """MCMC only: ESS and R-hat per sampled parameter, and whether the chain converged."""
    d = post.diagnostics
    if post.method != "mcmc" or not d.get("convergence"):
        return ""
    word = "converged" if d["mcmc_converged"] else "<b>NOT converged</b>"
    rows = [(r["parameter"], f"{r['ess_bulk']:.0f}", f"{r['ess_tail']:.0f}", f"{r['rhat']:.3f}")
            for r in d["convergence"]]
    return (f"<p>MCMC {word}: {html.escape(d['mcmc_message'])}. Target: ESS >= {d['min_ess']:g}, "
            f"R-hat < {d['rhat_limit']:.3f}.</p>" + _table(["parameter", "ESS bulk", "ESS tail", "R-hat"], rows))


def _z_cell(row) -> str:
    """The z column: a censored value has none; the fitted probability of its report instead."""
    if row["censor"]:
        return f"censored (P = {row['limit_p']:.2g})"
    return f"{row['z']:+.2f}"


def _when(time_h) -> str:
    return "baseline" if time_h is None else f"t = {time_h:g} h"


def _table(header, rows) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _g(x) -> str:
    return "-" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.3g}"


def assessment_report(assessment, out_dir: str | Path) -> Path:
    """Write `<out_dir>/<patient_id>.html` and return its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    a, post, land = assessment, assessment.posterior, assessment.landscape
    rec = a.record
    meds = ", ".join(f"{m.drug} {m.dose_mg:g} mg every {m.every_h:g} h x {m.count}" for m in rec.medications) or "none"
    genos = ", ".join(f"{g} {v}" for g, v in a.subject.genotypes.items()) or "none"
    flagged = [e for e in land.entries if e.flag in ("low", "high")]
    summary = ("<p>Outside the reference band: " + ", ".join(
        f"<b>{html.escape(e.label)}</b> {e.flag} (z = {e.z:+.1f})" for e in flagged) + "</p>") if flagged \
        else "<p>Every landscape entry lies within the reference band.</p>"
    land_rows = [(e.system, e.measure, e.label, e.unit, _g(e.median), f"{_g(e.low)}-{_g(e.high)}",
                  f"{_g(e.ref_low)}-{_g(e.ref_high)}", _g(e.z), e.flag,
                  "; ".join(f"{d} {v:+.2f}" for d, v in land.drivers.get(e.label, [])))
                 for e in land.entries]
    par_rows = [(r["parameter"], r["group"], f"{r['factor']:.3g}", f"{r['ci_low']:.3g}-{r['ci_high']:.3g}",
                 f"{r['prior_cv']:.2f}", f"{r['sd_ratio']:.2f}", r["status"]) for r in post.rows()
                if r["status"] != "prior"]
    n_prior = sum(r["status"] == "prior" for r in post.rows())
    fit_rows = [(r["label"], "baseline" if r["time_h"] is None else f"{r['time_h']:g}", r["unit"],
                 r["observed_text"] if r["censor"] else _g(r["observed"]), _g(r["fitted"]), _z_cell(r), r["source"])
                for r in post.fit_rows()]
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in rec.notes)
    page = f"""<!doctype html><html><head><meta charset='utf-8'>
<title>neuroscape assessment {html.escape(rec.patient_id)}</title><style>{_STYLE}</style></head><body>
<h1>Neurochemical landscape: {html.escape(rec.patient_id)}</h1>
<p class='note'><b>{DISCLAIMER}</b></p>
<p>{html.escape(a.subject.sex)}, {a.subject.age_years:.0f} years, {a.subject.weight_kg:g} kg; genotypes: {html.escape(genos)};
medication: {html.escape(meds)}. State shown at the record's last entry ({land.at_h:g} h after
{html.escape(a.t0.isoformat())}).</p>
{summary}
<img src='data:image/png;base64,{landscape_figure(land)}'>
<h2>Against the reference band</h2>
<p class='note'>Reference band: people of the same sex and age drawn from the population priors, without
genotype information or medication, at steady state ({int(land.level * 100)}% central interval).</p>
<img src='data:image/png;base64,{band_figure(land)}'>
{_table(["system", "measure", "readout", "unit", "median", "credible interval", "reference band", "z",
         "flag", "main drivers (log-change)"], land_rows)}
<h2>Fit of every observation</h2>
<img src='data:image/png;base64,{fit_figure(post)}'>
{_table(["observation", "time (h)", "unit", "observed", "fitted", "z", "source"], fit_rows)}
<h2>Calibrated parameters</h2>
<p>Method: {html.escape(post.method)} ({'converged' if post.converged else 'NOT converged'}: {html.escape(post.message)});
{post.evaluations} model evaluations in {post.seconds:.1f} s. Factors are on the subject's typical
(covariate- and genotype-adjusted) value. {n_prior} further parameters are not informed by these data and
stay at their population prior.</p>
{_table(["parameter", "group", "factor (MAP)", "credible interval", "prior CV", "posterior/prior sd", "status"], par_rows)}
{_convergence(post)}
{"<h2>Notes in the record (not parsed)</h2><ul>" + notes + "</ul>" if notes else ""}
</body></html>"""
    path = out / f"{_safe(rec.patient_id)}.html"
    path.write_text(page, encoding="utf-8")
    return path


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name) or "patient"
