"""HTML report of an assessment: the landscape figure, the fit of every observation, the
calibration's parameters and what drove each finding."""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..assess.landscape import Z_BAND
from .html import _STYLE, DISCLAIMER, _png, plt

REGIONS = ("raphe", "cortex", "hippocampus", "striatum", "prefrontal", None)
_REGION_TITLES = {None: "whole brain / plasma"}
Z_LIMIT = 3.0  # the colour scale's ends (z): beyond it, the darkest colour


def _rows(landscape):
    rows = []
    for e in landscape.entries:
        key = (e.system, e.measure, e.quantity)
        if key not in rows:
            rows.append(key)
    return rows


def landscape_figure(landscape) -> str:
    """The landscape heat map as a base64 PNG (landscape_plot)."""
    return _png(landscape_plot(landscape))


def landscape_plot(landscape) -> Figure:
    """Regions (columns) by transmitter system and measure (rows). Each cell: the patient's median with its
    unit, and the reference band below it, in plain numbers. Colour: the median's position in the reference
    band (z), centred on the reference median (white) with the band's edges marked on the scale; a bold
    frame: outside the band; hatched: the data barely narrowed the estimate."""
    from matplotlib.colors import Normalize

    from .labels import axis_label, plain

    rows = _rows(landscape)
    cmap = plt.get_cmap("RdBu_r")
    norm = Normalize(-Z_LIMIT, Z_LIMIT)  # symmetric: the reference median is the white middle
    fig = Figure(figsize=(11, 0.5 * len(rows) + 1.8))
    ax = fig.subplots()
    names = []
    for i, (system, measure, quantity) in enumerate(rows):
        unit = next(e.unit for e in landscape.entries if e.quantity == quantity)
        label = axis_label(quantity, None, unit)
        names.append(f"{system}: {label.text}")
        for j, region in enumerate(REGIONS):
            e = next((x for x in landscape.entries if x.quantity == quantity and x.region == region), None)
            if e is None:
                continue
            finite = math.isfinite(e.z)
            colour = cmap(norm(max(-Z_LIMIT, min(Z_LIMIT, e.z)))) if finite else "#eeeeee"
            width = _log_width(e.low, e.high)
            ref_width = _log_width(e.ref_low, e.ref_high)
            uncertain = ref_width > 0 and width / ref_width > 0.8
            outside = e.flag in ("low", "high")
            ax.add_patch(Rectangle((j, i), 1, 1, facecolor=colour, edgecolor="white",
                                   hatch="///" if uncertain else None, lw=1.5, gid=f"cell:{e.label}"))
            if outside:
                ax.add_patch(Rectangle((j + 0.04, i + 0.06), 0.92, 0.88, fill=False, edgecolor="black", lw=1.6))
            sc = label.scale
            # a unit in the cell only where it is one (nM, %); "x typical" and "ratio" are on the row's label
            unit_text = "%" if label.unit.startswith("%") else "" if e.unit == "1" else " " + label.unit
            value = f"{plain(e.median * sc)}{unit_text}"
            ref = (f"ref {plain(e.ref_low * sc)}-{plain(e.ref_high * sc)}" if e.ref_high > 0
                   else "no drug in the reference")
            box = {"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.75}  # legible on any colour
            ax.text(j + 0.5, i + 0.38, value, ha="center", va="center", fontsize=8, fontweight="bold",
                    bbox=box, gid=f"value:{e.label}")
            ax.text(j + 0.5, i + 0.76, ref, ha="center", va="center", fontsize=6, color="#333333",
                    bbox=box)
    ax.set_xlim(0, len(REGIONS))
    ax.set_ylim(len(rows), 0)
    ax.set_xticks(np.arange(len(REGIONS)) + 0.5, [_REGION_TITLES.get(r, r) for r in REGIONS], fontsize=8)
    ax.xaxis.tick_top()
    ax.set_yticks(np.arange(len(rows)) + 0.5, names, fontsize=7.5)
    ax.tick_params(length=0)
    sm = ScalarMappable(cmap=cmap, norm=norm)
    cbar = fig.colorbar(sm, ax=ax, fraction=0.025, pad=0.01)
    cbar.set_ticks([-Z_LIMIT, -Z_BAND, 0.0, Z_BAND, Z_LIMIT],
                   labels=["lower", "band's low edge", "reference median", "band's high edge", "higher"])
    cbar.ax.tick_params(labelsize=7)
    cbar.set_label("position in the reference band (z score)", fontsize=8)
    ax.set_title(f"the landscape at {_at(landscape.at_h)}: median ({int(landscape.level * 100)}% "
                 f"reference band below it); bold frame: outside the band; hatched: credible interval wider "
                 "than 80% of the band", fontsize=8, pad=22)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    fig.subplots_adjust(left=0.3, right=0.86, top=1 - 0.75 / (0.5 * len(rows) + 1.8), bottom=0.02)
    return fig


def _at(at_h: float) -> str:
    return f"day {at_h / 24:.1f} ({at_h:g} h)" if at_h > 72 else f"t = {at_h:g} h"


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
    from matplotlib.ticker import FuncFormatter, NullFormatter

    ax.set_yticks(range(len(entries)), [_entry_text(e) for e in entries], fontsize=7)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))  # 0.5, 1, 2: not 10^0
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.invert_yaxis()
    ax.set_xlabel("value / reference median (grey: reference band; line: patient interval)", fontsize=8)
    return _png(fig)


def _entry_text(e) -> str:
    """'extracellular serotonin, raphe (170 nM)': the entry's plain name and its median with the unit."""
    from .labels import axis_label, plain

    label = axis_label(e.quantity, e.region, e.unit)
    unit = "%" if label.unit.startswith("%") else "" if e.unit == "1" else f" {label.unit}"
    return f"{label.title} ({plain(e.median * label.scale)}{unit})"


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


def prediction_figure(posterior, draws: int = 40) -> str:
    """The visual predictive check (report/predictive_plot.py) as a base64 PNG."""
    from ..assess.predictive import predictive_bands
    from .predictive_plot import prediction_plot

    return _png(prediction_plot(posterior, predictive_bands(posterior, draws=draws)))


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
<img src='data:image/png;base64,{prediction_figure(post)}'>
<p class='note'>Each observation against time, with the model's median and 90% band over posterior draws.
Below: each observation's residual in its error model's standard deviations.</p>
<img src='data:image/png;base64,{fit_figure(post)}'>
{_table(["observation", "time (h)", "unit", "observed", "fitted", "z", "source"], fit_rows)}
<h2>Calibrated parameters</h2>
<p>Method: {html.escape(post.method)} ({'converged' if post.converged else 'NOT converged'}: {html.escape(post.message)});
{post.evaluations} model evaluations in {post.seconds:.1f} s. Factors are on the subject's typical
(covariate- and genotype-adjusted) value. {n_prior} further parameters are not informed by these data and
stay at their population prior.</p>
{_table(["parameter", "group", "factor (MAP)", "credible interval", "prior CV", "posterior/prior sd", "status"], par_rows)}
{_convergence(post)}
{_mixture(a.mixture)}
{"<h2>Notes in the record (not parsed)</h2><ul>" + notes + "</ul>" if notes else ""}
</body></html>"""
    path = out / f"{_safe(rec.patient_id)}.html"
    path.write_text(page, encoding="utf-8")
    return path


def _mixture(mixture) -> str:
    """The unknown genotype's phenotypes: population prior and the weight the observations give them."""
    if mixture is None:
        return ""
    rows = [(c.label, f"{c.prior:.3f}", f"{c.weight:.3f}",
             "; ".join(f"{k} {v:.3g}" for k, v in c.posterior.factors().items() if abs(v - 1) > 1e-3) or "-")
            for c in mixture.components]
    left = f" Joint phenotypes rarer than 0.5% ({mixture.left_out:.1%} of the prior) are left out." \
        if mixture.left_out > 0 else ""
    return (f"<h2>Unknown genotype: {html.escape(', '.join(mixture.genes))} phenotype mixture</h2>"
            f"<p>The record gives no {html.escape(', '.join(mixture.genes))} genotype, which the medication's "
            f"clearance depends on. Each phenotype was calibrated separately; its weight is its population "
            f"frequency ({html.escape(mixture.group)}: {html.escape(mixture.group_basis)}) times the marginal "
            f"likelihood of the observations under it (Laplace evidence).{left} The tables above are the most "
            f"probable phenotype's ({html.escape(mixture.best.label)}); plan searches draw from every phenotype "
            f"by weight.</p>"
            + _table(["phenotype", "population prior", "posterior weight", "calibrated factors (MAP)"], rows))


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name) or "patient"
