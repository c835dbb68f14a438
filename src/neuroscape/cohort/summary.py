"""The summary of a cohort run: endpoint distributions per arm, responder rates with Wilson 95 %
intervals, first-order sensitivity of the responder measure (or each endpoint) to every covariate,
phenotype and prior, as JSON and as an HTML page with plots; and the files a run writes."""

from __future__ import annotations

import base64
import html
import io
import json
import math
from pathlib import Path

import numpy as np

from .stats import measure, responds, sensitivity, varies, wilson

DISCLAIMER = ("Simulated virtual cohort for research; not medical advice. Members are sampled from the stated "
              "distributions and priors; results describe the model, not patients.")
SENSITIVITY_METHOD = ("first-order Sobol indices from the sampled population (given data): SALib's binned estimator "
                      "for continuous inputs, the correlation ratio for categorical ones; bootstrap 95 % intervals "
                      "(docs/cohorts.md)")


def _columns(table, names) -> dict[str, np.ndarray]:
    return {n: table.column(n).to_numpy(zero_copy_only=False) for n in names}


def _finite(x) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def _describe(v: np.ndarray) -> dict:
    v = v[np.isfinite(v)]
    if v.size == 0:
        return {"n": 0}
    q = np.percentile(v, [5, 25, 50, 75, 95])
    return {"n": int(v.size), "mean": float(v.mean()), "sd": float(v.std(ddof=1)) if v.size > 1 else 0.0,
            "p5": float(q[0]), "p25": float(q[1]), "median": float(q[2]), "p75": float(q[3]), "p95": float(q[4])}


def _member_values(cols, arm: str, endpoint: str, at_h: float, size: int):
    """(value, baseline, status) per member (index = member) of one endpoint time in one arm."""
    rows = (cols["arm"] == arm) & (cols["endpoint"] == endpoint) & (cols["at_h"] == at_h)
    value, base = np.full(size, np.nan), np.full(size, np.nan)
    status = np.full(size, "missing", dtype=object)
    m = cols["member"][rows]
    value[m], base[m], status[m] = cols["value"][rows], cols["baseline"][rows], cols["status"][rows]
    return value, base, status


def summarise(run) -> dict:
    """The summary of a CohortRun as a JSON-ready dict."""
    spec, pop = run.spec, run.population
    cols = _columns(run.table, ["member", "arm", "endpoint", "at_h", "value", "baseline", "status"])
    out: dict = {"cohort": 1, "name": spec.name, "size": spec.size, "seed": spec.seed,
                 "arms": [a.name for a in spec.arms], "seconds": run.seconds, "disclaimer": DISCLAIMER}
    status = {}
    for arm in out["arms"]:
        first = (cols["arm"] == arm) & (cols["endpoint"] == spec.endpoints[0].id) & (
            cols["at_h"] == spec.endpoints[0].times_h[0])
        names, counts = np.unique(cols["status"][first], return_counts=True)
        status[arm] = {str(k): int(c) for k, c in zip(names, counts)}
    out["status"] = status
    out["endpoints"] = {arm: {f"{e.id}@{e.times_h[i]:g}h": _describe(
        _member_values(cols, arm, e.id, t, spec.size)[0]) for e in spec.endpoints for i, t in enumerate(e.times_h)}
        for arm in out["arms"]}
    inputs = {arm.name: _inputs(pop, names) for arm, names in zip(spec.arms, _arm_parameters(spec))}
    if spec.responder is not None:
        r, t = spec.responder, spec.responder_time_h
        arms = {}
        sens = {}
        for arm in out["arms"]:
            value, base, st = _member_values(cols, arm, r.endpoint, t, spec.size)
            m = measure(value, base, r.measure)
            ok = st == "ok"
            hit = responds(m, r) & ok
            p = wilson(int(hit.sum()), int(ok.sum()))
            arms[arm] = {"members_ok": p.n, "responders": p.k, "rate": _finite(p.rate),
                         "ci95": [_finite(p.low), _finite(p.high)]}
            sens[arm] = _sensitivity(f"{r.measure} of {r.endpoint} at {t:g} h", m[ok], inputs[arm], ok, spec.seed)
        out["responder"] = {**r.model_dump(), "at_h": t, "interval": "Wilson score, 95 %", "arms": arms}
        out["sensitivity"] = {"method": SENSITIVITY_METHOD, "arms": sens}
    else:
        sens = {}
        for arm in out["arms"]:
            e = spec.endpoints[0]
            value, _, st = _member_values(cols, arm, e.id, e.times_h[-1], spec.size)
            ok = st == "ok"
            sens[arm] = _sensitivity(f"{e.id} at {e.times_h[-1]:g} h", value[ok], inputs[arm], ok, spec.seed)
        out["sensitivity"] = {"method": SENSITIVITY_METHOD, "arms": sens}
    return out


def _arm_parameters(spec) -> list[set[str]]:
    """The parameter names of each arm's model (a drug's PK priors act only where the drug is given)."""
    from ..scenario import model_for
    from .arms import arm_plans

    return [set(model_for(plan).param_index) for plan in arm_plans(spec)]


def _inputs(pop, parameters: set[str]) -> dict[str, tuple[np.ndarray, bool]]:
    inputs = {"sex": (pop.sex, True), "age_years": (pop.age_years, False), "weight_kg": (pop.weight_kg, False)}
    inputs.update({gene: (words, True) for gene, words in pop.phenotypes.items()})
    inputs.update({f"prior:{v.name}": (pop.etas[:, j], False) for j, v in enumerate(pop.variations)
                   if parameters.intersection(v.targets)})
    return inputs


def _sensitivity(output: str, y, inputs, ok, seed: int) -> dict:
    """First-order indices of `inputs` (rows `ok`) for output values y of the members whose status is ok."""
    finite = y[np.isfinite(y)]
    if finite.size and not varies(finite):
        return {"output": output, "indices": [], "note": "the output does not vary across members"}
    kept = {name: (np.asarray(x)[ok], cat) for name, (x, cat) in inputs.items()}
    found = sensitivity(y, kept, seed=seed)
    return {"output": output, "indices": [{"input": i.input, "S1": i.S1, "ci95": [i.low, i.high]} for i in found]}


# -- HTML --------------------------------------------------------------------------------------------
def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _figures(run, summary: dict) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    spec = run.spec
    cols = _columns(run.table, ["member", "arm", "endpoint", "at_h", "value", "baseline", "status"])
    figs = []
    for e in spec.endpoints:
        t = e.times_h[-1]
        fig, ax = plt.subplots(figsize=(6, 3))
        data = [_member_values(cols, arm, e.id, t, spec.size)[0] for arm in summary["arms"]]
        data = [d[np.isfinite(d)] for d in data]
        ax.boxplot(data, tick_labels=summary["arms"], showfliers=True)
        unit = "ratio to baseline" if e.relative_to else e.quantity
        ax.set_title(f"{e.id} at {t:g} h ({unit})", fontsize=10)
        figs.append((f"Endpoint {e.id}", _png(fig)))
    if "responder" in summary:
        arms = summary["responder"]["arms"]
        fig, ax = plt.subplots(figsize=(6, 3))
        names = list(arms)
        rate = np.array([arms[a]["rate"] if arms[a]["rate"] is not None else np.nan for a in names])
        lo = np.array([arms[a]["ci95"][0] if arms[a]["ci95"][0] is not None else np.nan for a in names])
        hi = np.array([arms[a]["ci95"][1] if arms[a]["ci95"][1] is not None else np.nan for a in names])
        ax.bar(names, rate, yerr=[rate - lo, hi - rate], capsize=4, color="#4c72b0")
        ax.set_ylim(0, 1)
        ax.set_ylabel("responder rate")
        ax.set_title("Responders (Wilson 95 % interval)", fontsize=10)
        figs.append(("Responder rates", _png(fig)))
    for arm, s in summary["sensitivity"]["arms"].items():
        top = s["indices"][:12]
        if not top:
            continue
        fig, ax = plt.subplots(figsize=(6, 0.3 * len(top) + 1))
        ax.barh([i["input"] for i in top][::-1], [i["S1"] for i in top][::-1], color="#55a868")
        ax.set_xlabel("first-order index S1")
        ax.set_title(f"{arm}: {s['output']}", fontsize=10)
        figs.append((f"Sensitivity, {arm}", _png(fig)))
    return figs


def summary_html(run, summary: dict) -> str:
    esc = html.escape
    parts = [f"<h1>Cohort {esc(summary['name'])}</h1><p class='note'>{esc(DISCLAIMER)}</p>",
             f"<p>{summary['size']} members, seed {summary['seed']}, arms: {esc(', '.join(summary['arms']))}; "
             f"{summary['seconds']:.1f} s.</p><h2>Member status</h2><table><tr><th>arm</th><th>status</th></tr>"]
    for arm, st in summary["status"].items():
        parts.append(f"<tr><td>{esc(arm)}</td><td>{esc(', '.join(f'{k}: {v}' for k, v in st.items()))}</td></tr>")
    parts.append("</table><h2>Endpoints</h2><table><tr><th>arm</th><th>endpoint</th><th>n</th><th>median</th>"
                 "<th>p5</th><th>p95</th><th>mean</th><th>sd</th></tr>")
    for arm, eps in summary["endpoints"].items():
        for key, d in eps.items():
            cells = "".join(f"<td>{d[k]:.4g}</td>" if k in d else "<td></td>"
                            for k in ("median", "p5", "p95", "mean", "sd"))
            parts.append(f"<tr><td>{esc(arm)}</td><td>{esc(key)}</td><td>{d['n']}</td>{cells}</tr>")
    parts.append("</table>")
    if "responder" in summary:
        r = summary["responder"]
        parts.append(f"<h2>Responders</h2><p>{esc(r['measure'])} of {esc(r['endpoint'])} at {r['at_h']:g} h "
                     f"{esc(r['comparison'])} {r['threshold']:g}</p><table><tr><th>arm</th><th>responders</th>"
                     "<th>members</th><th>rate</th><th>95 % interval (Wilson)</th></tr>")
        for arm, a in r["arms"].items():
            rate = "" if a["rate"] is None else f"{a['rate']:.3f}"
            ci = "" if a["ci95"][0] is None else f"{a['ci95'][0]:.3f}-{a['ci95'][1]:.3f}"
            parts.append(f"<tr><td>{esc(arm)}</td><td>{a['responders']}</td><td>{a['members_ok']}</td>"
                         f"<td>{rate}</td><td>{ci}</td></tr>")
        parts.append("</table>")
    parts.append(f"<h2>Sensitivity</h2><p class='note'>{esc(summary['sensitivity']['method'])}</p>")
    for arm, s in summary["sensitivity"]["arms"].items():
        parts.append(f"<h3>{esc(arm)}: {esc(s['output'])}</h3>")
        if "note" in s:
            parts.append(f"<p class='note'>{esc(s['note'])}</p>")
            continue
        parts.append("<table><tr><th>input</th><th>S1</th><th>95 % interval</th></tr>")
        for i in s["indices"][:20]:
            parts.append(f"<tr><td>{esc(i['input'])}</td><td>{i['S1']:.3f}</td>"
                         f"<td>{i['ci95'][0]:.3f}-{i['ci95'][1]:.3f}</td></tr>")
        parts.append("</table>")
    parts.append("<h2>Plots</h2>")
    for title, png in _figures(run, summary):
        parts.append(f"<h3>{esc(title)}</h3><img src='data:image/png;base64,{png}'>")
    style = ("body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}.note{color:#666}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{esc(summary['name'])}</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")


def write_outputs(run, out_dir, summary: dict | None = None) -> dict[str, Path]:
    """results.parquet, summary.json and summary.html in `out_dir` (created if missing); `summary` is
    summarise(run), computed here when not given."""
    from .table import write_parquet

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = summarise(run) if summary is None else summary
    paths = {"results": out / "results.parquet", "summary_json": out / "summary.json",
             "summary_html": out / "summary.html"}
    write_parquet(run.table, paths["results"])
    paths["summary_json"].write_text(json.dumps(summary, indent=1, allow_nan=False))
    paths["summary_html"].write_text(summary_html(run, summary), encoding="utf-8")
    return paths
