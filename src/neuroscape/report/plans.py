"""HTML report of a plan search: the landscape now, the ranked plans side by side against the target
bands, their PTA, risk, burden and safety margins, what was excluded and why, and the assumptions."""

from __future__ import annotations

import textwrap

import html
import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from .assessment import _safe, _table, landscape_figure
from .html import _STYLE, _png

TOP = 4  # plans drawn side by side; the tables list every returned plan
_MEDIAN, _SPREAD, _TARGET = "#1f4e79", "#9ecae1", "#c7e9c0"


def _g(x) -> str:
    return "-" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.3g}"


def _pct(p) -> str:
    return f"{p.p:.0%} ({p.low:.0%}-{p.high:.0%})"


def _bounds(band) -> str:
    lo, hi = band
    if lo is not None and hi is not None:
        return f"{lo:.3g}-{hi:.3g}"
    return f">= {lo:.3g}" if lo is not None else f"<= {hi:.3g}"


def _band_ids(plans) -> list[str]:
    ids: list[str] = []
    for p in plans:
        ids += [b for b in p.trajectories if b not in ids]
    return ids


def trajectory_figure(search, top: int = TOP) -> str | None:
    """The plans' trajectories (trajectory_plot) as a base64 PNG; None when there is nothing to draw."""
    fig = trajectory_plot(search, top)
    return None if fig is None else _png(fig)


def trajectory_plot(search, top: int = TOP) -> Figure | None:
    """Bands (rows) by the top plans (columns): the median and 90% band of the posterior draws against the
    target band (green), time in days from now; the grey span is before the profile's scoring window."""
    plans = list(search.plans[:top])
    ids = _band_ids(plans)
    if not plans or not ids:
        return None
    bands = {b.id: b for b in search.profile.bands}
    fig = Figure(figsize=(3.4 * len(plans) + 0.6, 2.3 * len(ids) + 0.5))
    axes = fig.subplots(len(ids), len(plans), squeeze=False, sharex=True, sharey="row")
    for i, bid in enumerate(ids):
        for j, plan in enumerate(plans):
            ax = axes[i][j]
            tr = plan.trajectories.get(bid)
            if tr is None:
                ax.text(0.5, 0.5, "not applicable\n(drug not dosed)", ha="center", va="center",
                        transform=ax.transAxes, fontsize=8, color="#777")
                continue
            t = np.asarray(tr["times_h"]) / 24.0
            text, sc = _band_label(bands.get(bid), tr)  # sc: a fraction drawn in %
            lo, hi = (None if v is None else v * sc for v in tr["band"])
            low, high, median = (np.asarray(tr[k], dtype=float) * sc for k in ("low", "high", "median"))
            ax.axhspan(-1e300 if lo is None else lo, 1e300 if hi is None else hi, color=_TARGET, alpha=0.7, lw=0)
            for bound in (lo, hi):  # the bounds stay visible where the draws' interval covers the band
                if bound is not None:
                    ax.axhline(bound, color="#238b45", lw=0.9, ls="--")
            band = bands.get(bid)
            start = (search.profile.settle_h if band is None or band.from_h is None else band.from_h) / 24.0
            ax.axvspan(0, start, color="#eeeeee", lw=0)
            ax.fill_between(t, low, high, color=_SPREAD, alpha=0.75, lw=0)
            ax.plot(t, median, color=_MEDIAN, lw=1.2)
            values = np.concatenate([low, high] + [[v] for v in (lo, hi) if v is not None])
            pad = 0.08 * (float(np.max(values)) - float(np.min(values)) or 1.0)
            ax.set_ylim(float(np.min(values)) - pad, float(np.max(values)) + pad)
            ax.set_xlim(0, search.horizon_h / 24.0)
            p = plan.pta.get(bid)
            ax.set_title(f"PTA {p.p:.0%}" if p is not None else "", fontsize=7.5, loc="right")
            if i == 0:
                ax.set_title(f"#{plan.rank} {_wrap(plan.candidate.label)}", fontsize=7.5, loc="left")
            if j == 0:
                ax.set_ylabel(f"{bid}\n{_wrap(text, 30)}", fontsize=7)
            ax.tick_params(labelsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("days from now", fontsize=7.5)
    fig.suptitle("median (line) and 90% interval (blue) over posterior draws; green, dashed: target band; grey: "
                 "before the scoring window", fontsize=8)
    fig.tight_layout()
    return fig


def _band_label(band, tr: dict) -> tuple[str, float]:
    """The band's quantity as an axis names it (plain name, region and unit: report/labels.py), and the
    factor from model values to the axis's (a fraction shown in %)."""
    from .labels import axis_label, quantity_name

    relative_to = getattr(band, "relative_to", None)
    label = axis_label(tr["quantity"], tr.get("region"), _unit(tr["quantity"], tr.get("region")), relative_to)
    plus = "".join(f" + {quantity_name(q)}" for q in getattr(band, "plus", ()))
    name = label.name + plus + (f", {label.region}" if label.region else "")
    return (f"{name} ({label.unit})" if label.unit else name), label.scale


def _unit(quantity: str, region: str | None) -> str:
    """The readout's unit in the model that has it: the base model, else the model with the drug the
    quantity names (plasma.<drug>); "" when neither has it."""
    from ..errors import NeuroscapeError
    from ..model.library import default_network

    try:
        return default_network().readout(quantity, region).unit
    except NeuroscapeError:
        pass
    try:
        from ..pharmacology.network import network_for

        return network_for((quantity.split(".", 1)[-1],)).readout(quantity, region).unit
    except (NeuroscapeError, KeyError, ValueError):
        return ""


def _wrap(label: str, width: int = 32) -> str:
    return textwrap.fill(label, width, break_long_words=False, break_on_hyphens=False)


def _regimen_text(r) -> str:
    if r.kind == "exercise":
        hours, intensity = getattr(r, "duration_h", None) or 0.0, getattr(r, "intensity", None) or 0.0
        what = f"{r.name} exercise {hours:g} h at {intensity:.0%} VO2max"
    else:
        what = f"{r.name}{' ' + r.formulation if r.formulation else ''} {r.dose_mg:g} mg"
    if r.count > 1:
        unit = "sessions" if r.kind == "exercise" else "doses"
        return f"{what} every {r.every_h:g} h, {r.start_h:g}-{r.end_h:g} h ({r.count} {unit})"
    return f"{what} once at {r.start_h:g} h"


def _references() -> dict:
    from ..model.parameters import references
    from ..pharmacology.library import drug_references

    refs = dict(references())
    refs.update(drug_references())
    return refs


def _source(key: str, profile, refs: dict) -> str:
    if key in profile.sources:
        return f"{key}: {profile.sources[key]}"
    entry = refs.get(key)
    citation = entry.get("citation") if isinstance(entry, dict) else None
    return f"{key}: {citation}" if citation else key


def plans_report(search, assessment=None, out_dir: str | Path = ".", settings: dict | None = None) -> Path:
    """Write `<out_dir>/<patient_id>-plans.html` (or `plans.html` without an assessment); return its path."""
    from ..manage.search import DISCLAIMER

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    prof, s = search.profile, search.subject
    pid = assessment.record.patient_id if assessment is not None else "plans"
    genos = ", ".join(f"{g} {v}" for g, v in s.genotypes.items()) or "none"
    if assessment is not None:
        current = ", ".join(f"{m.drug} {m.dose_mg:g} mg every {m.every_h:g} h x {m.count}"
                            for m in assessment.record.medications)
    else:  # "continue as now" carries the current medication on to the horizon
        base = next((p for p in search.plans if not p.candidate.future and p.candidate.changes == 0), None)
        current = "; ".join(_regimen_text(r) for r in base.candidate.history) if base else ""
    land = ""
    if assessment is not None:
        land = (f"<h2>The landscape now</h2><p class='note'>From the calibrated assessment at t = "
                f"{assessment.landscape.at_h:g} h (the end of the record), before any change.</p>"
                f"<img src='data:image/png;base64,{landscape_figure(assessment.landscape)}'>")
    status = "reached" if search.reached else "not reached"
    level = int(round(search.plans[0].cvar_level * 100)) if search.plans else 90
    band_ids = _band_ids(search.plans)
    rank_rows = [(p.rank, p.candidate.label, "*" if p.pareto else "", _pct(p.pta["joint"]),
                  *[_pct(p.pta[b]) if b in p.pta else "n/a" for b in band_ids], _g(p.cvar), _g(p.expected_loss),
                  f"{p.burden.pills_per_day:g}", p.burden.changes, p.burden.interventions,
                  f"{p.draws - p.failed_draws}/{p.draws}") for p in search.plans]
    stat_rows = [(p.rank, *[_g(p.statistic.get(b)) for b in band_ids]) for p in search.plans]
    rules = sorted({r for p in search.plans for r in p.ceiling_margin})
    margin_rows = [(p.rank, p.candidate.label, *[f"{p.ceiling_margin[r]:.0%}" if r in p.ceiling_margin else "-"
                                                  for r in rules]) for p in search.plans]
    interv_rows = [(p.rank, "; ".join(_regimen_text(r) for r in p.candidate.history) or "none",
                    "; ".join(_regimen_text(r) for r in p.candidate.future) or "no change")
                   for p in search.plans]
    groups: dict[str, list] = {}
    for e in search.excluded:
        groups.setdefault(e.rule_ids[0] if e.rule_ids else "other", []).append(e)
    excl_rows = [(rule, len(items), "; ".join(e.candidate.label for e in items),
                  items[0].reasons[0]) for rule, items in groups.items()]
    refs = _references()
    band_rows = [(b.id, b.quantity + "".join(f" + {q}" for q in b.plus), b.region or "-",
                  _bounds((b.low, b.high)) + (" (x baseline)" if b.relative_to else ""), b.statistic,
                  f"{(prof.settle_h if b.from_h is None else b.from_h) / 24:g} d - "
                  + ("end" if b.to_h is None else f"{b.to_h / 24:g} d"), f"{b.weight:g}", b.when_dosed or "always",
                  b.rationale, _source(b.source, prof, refs)) for b in prof.bands]
    settings = dict(settings or {})
    assumption_rows = [("profile", f"{prof.name}: {prof.description.strip() or '-'}"),
                       ("horizon", f"{search.horizon_h / 24:g} days ({search.horizon_h:g} h) from now, t = "
                                   f"{search.now_h:g} h"),
                       ("posterior draws", f"{search.plans[0].draws if search.plans else '-'} per returned plan, "
                                           f"{search.screened[0].draws if search.screened else '-'} to screen every "
                                           "candidate (common random numbers: the same draws for every plan)"),
                       ("seed", search.seed), ("objective", settings.get("objective", "pta")),
                       ("CVaR level", f"{level}% (mean loss of the worst {100 - level}% of draws)"),
                       ("required joint PTA", f"{search.required_pta:.0%}"),
                       ("candidates", f"{search.candidates} considered, {len(search.excluded)} excluded, "
                                      f"{len(search.plans)} returned; {search.seconds:.1f} s"),
                       ("subject", f"{s.sex}, {s.age_years:.0f} years, {s.weight_kg:g} kg; genotypes: {genos}")]
    assumption_rows += [(k, v) for k, v in settings.items()
                        if k not in ("objective", "seed", "targets", "horizon_days", "draws")]
    if prof.stability is not None:
        assumption_rows.append(("stability", f"(max - min) / mean <= {prof.stability.max_fluctuation:g} per band, "
                                             f"weight {prof.stability.weight:g}; source: {prof.stability.source}"))
    fig = trajectory_figure(search)
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in search.notes)
    page = f"""<!doctype html><html><head><meta charset='utf-8'>
<title>neuroscape plans {html.escape(pid)}</title><style>{_STYLE}</style></head><body>
<h1>Plans for {html.escape(pid)}: {html.escape(prof.name)}</h1>
<p class='note'><b>{html.escape(DISCLAIMER)}</b></p>
<p>{html.escape(s.sex)}, {s.age_years:.0f} years, {s.weight_kg:g} kg; genotypes: {html.escape(genos)};
current medication: {html.escape(current or 'none')}.</p>
<p class='{"pass" if search.reached else "fail"}'>Targets {status}: {html.escape(search.message)}</p>
{land}
<h2>Ranked plans</h2>
<p class='note'>PTA: the share of posterior draws of this person on which the band is attained (95% Wilson
interval); joint: every band at once. CVaR{level}: the mean loss of the worst {100 - level}% of draws (a band's
distance outside its bounds in units of its width; 0 = attained). Pareto *: no other plan is at least as good
on joint PTA, CVaR and pills per day and better on one. Ranking: {html.escape(_ranking(settings))}.</p>
{_table(["#", "plan", "Pareto", "joint PTA", *[f"PTA {b}" for b in band_ids], f"CVaR{level}", "expected loss",
         "pills/day", "changes", "interventions", "draws simulated"], rank_rows)}
{f"<img src='data:image/png;base64,{fig}'>" if fig else "<p>No plan to draw.</p>"}
<h3>Median of each band's statistic over draws</h3>
{_table(["#", *band_ids], stat_rows)}
<h3>What each plan gives</h3>
{_table(["#", "current medication kept (cut where the plan stops it)", "new from now"], interv_rows)}
<h2>Safety</h2>
<p>Every returned plan passed the hard rules (neuroscape/manage/data/safety_rules.yaml): contraindicated
combinations, wash-outs, duplication, label and genotype dose ceilings, and the trajectory ceilings on every
evaluated posterior draw. Margin: the highest value over the draws as a share of the rule's ceiling
(100% would break it).</p>
{_table(["#", "plan", *rules], margin_rows) if rules else "<p>No trajectory ceiling applied.</p>"}
<h2>Excluded ({len(search.excluded)})</h2>
{_table(["rule", "plans", "which", "reason (first plan)"], excl_rows) if excl_rows else "<p>None.</p>"}
<h2>Assumptions and sources</h2>
{_table(["assumption", "value"], assumption_rows)}
<h3>Target bands</h3>
{_table(["band", "quantity", "region", "bounds", "statistic", "window", "weight", "applies", "rationale",
         "source"], band_rows)}
{"<h3>Notes</h3><ul>" + notes + "</ul>" if notes else ""}
<p class='note'><b>Every plan is a simulated scenario for a qualified clinician, never medical advice.</b>
Brain quantities are model inferences from peripheral and imaging data; the intervals show the posterior
uncertainty of this person's calibration, not every way the model can be wrong.</p>
</body></html>"""
    path = out / (f"{_safe(pid)}-plans.html" if assessment is not None else "plans.html")
    path.write_text(page, encoding="utf-8")
    return path


def _ranking(settings: dict) -> str:
    if settings.get("objective") == "cvar":
        return "CVaR first (risk-averse), then joint PTA, expected loss, pills per day, changes"
    return "joint PTA first, then CVaR, expected loss, pills per day, changes"
