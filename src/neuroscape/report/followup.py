"""The follow-up report (`neuroscape replan ... --report DIR`): the decision and why, each new observation
against the prediction of the posterior the running plan was decided on, how the posterior moved, and the
fit on everything known. It reads only the decision's JSON report (store/followup.py FollowUp.to_dict), so
a ledger entry can be drawn again without recomputing it."""

from __future__ import annotations

import html
import math
from pathlib import Path

from .assessment import _safe, _table
from .html import _STYLE, DISCLAIMER


def _g(x) -> str:
    return "-" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.3g}"


def predicted_rows(report: dict) -> list[tuple]:
    """Table rows of `predicted_before`: observation, time, observed, predicted median, interval, inside."""
    out = []
    for r in report.get("predicted_before") or []:
        if "error" in r:
            out.append((f"observation {r['observation_id']}", "-", "-", "-", "-", "-", "-", r["error"]))
            continue
        inside = "-" if r["inside"] is None else ("yes" if r["inside"] else "NO")
        out.append((r["label"], "baseline" if r["time_h"] is None else f"{r['time_h']:g}", r["unit"],
                    r["observed_text"], _g(r["predicted_median"]),
                    f"{_g(r['predicted_low'])}-{_g(r['predicted_high'])}", inside, f"{r['below']:.0%}"))
    return out


def followup_report(patient: str, data: dict, out_dir: str | Path) -> Path:
    """Write `<out_dir>/<patient>-followup.html` from a follow-up's JSON (FollowUp.to_dict) and return its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    predicted = predicted_rows(data)
    level = next((r["level"] for r in data.get("predicted_before") or [] if "level" in r), 0.9)
    moved = [(m["parameter"], _g(m["before"]), _g(m["now"]), f"{_g(m['interval_now'][0])}-{_g(m['interval_now'][1])}",
              m["status"]) for m in data.get("posterior_moved", []) if m["status"] != "prior" or
             (m["before"] is not None and m["before"] != m["now"])]
    fit = [(r.get("label", ""), "baseline" if r.get("time_h") is None else f"{r['time_h']:g}", r.get("unit", ""),
            r.get("observed_text", _g(r.get("observed"))), _g(r.get("fitted")), _g(r.get("z")))
           for r in data.get("observations", [])]
    mixture = data.get("phenotype_mixture")
    mix = ("" if not mixture else
           "<h2>Unknown genotype: phenotype weights</h2>" + _table(
               ["phenotype", "population prior", "weight given every level"],
               [(", ".join(f"{g} {w}" for g, w in c["phenotypes"].items()), f"{c['prior']:.3f}", f"{c['weight']:.3f}")
                for c in mixture["components"]]))
    if predicted:
        before = (f"<p class='note'>Each observation new since the previous assessment, against that assessment's "
                  f"posterior predictive (its stored draws, simulated on the medication known now, with the "
                  f"observation's error model): median and {level:.0%} interval of a measurement; 'below' is the "
                  f"share of predicted measurements under the observed value.</p>"
                  + _table(["observation", "time (h)", "unit", "observed", "predicted (median)",
                            f"{level:.0%} interval", "inside", "below"], predicted))
    else:
        before = "<p>No earlier assessment to predict the new observations from (or no new observation).</p>"
    page = f"""<!doctype html><html><head><meta charset='utf-8'>
<title>neuroscape follow-up {html.escape(patient)}</title><style>{_STYLE}</style></head><body>
<h1>Follow-up: {html.escape(patient)}</h1>
<p class='note'><b>{DISCLAIMER}</b></p>
<p><b>{html.escape(str(data.get('action', '')))}</b>: {html.escape(str(data.get('plan', '')))} (as of
{html.escape(str(data.get('as_of', '')))}; ledger decision {html.escape(str(data.get('decision_id')))})</p>
<p>{html.escape(str(data.get('reason', '')))}</p>
<h2>New observations against the previous prediction</h2>
{before}
<h2>How the posterior moved</h2>
<p class='note'>Factor on the typical value: the previous assessment's MAP, and now (with its 90% interval).</p>
{_table(["parameter", "before", "now", "interval now", "status"], moved)}
{mix}
<h2>Fit on everything known</h2>
{_table(["observation", "time (h)", "unit", "observed", "fitted", "z"], fit)}
</body></html>"""
    path = out / f"{_safe(patient)}-followup.html"
    path.write_text(page, encoding="utf-8")
    return path
