"""Plotly figures (as JSON) for the API and the dashboard, built from stored summaries."""

from __future__ import annotations

import json
import math


def landscape_figure(summary: dict, *, title: str = "") -> dict:
    """Each readout's median and interval on the scale of its reference range (0 = lower limit, 1 = upper
    limit), so that readouts of different units share one axis; the reference band is shaded. Readouts
    without a reference range (none, or an empty one) are left out."""
    import plotly.graph_objects as go

    rows = [r for r in summary.get("landscape", []) if _finite(r.get("ref_low")) and _finite(r.get("ref_high"))
            and r["ref_high"] > r["ref_low"] and _finite(r.get("median"))]

    def scaled(r, v):
        return (v - r["ref_low"]) / (r["ref_high"] - r["ref_low"])

    labels = [r["quantity"].removeprefix("brain.").replace(".extracellular", "")
              + (f" ({r['region']})" if r.get("region") else "") for r in rows]
    med = [scaled(r, r["median"]) for r in rows]
    lo = [m - scaled(r, r["low"]) if _finite(r.get("low")) else 0.0 for r, m in zip(rows, med)]
    hi = [scaled(r, r["high"]) - m if _finite(r.get("high")) else 0.0 for r, m in zip(rows, med)]
    colour = {"low": "#1f77b4", "high": "#d62728"}
    text = [f"{r['median']:.3g} {'' if r.get('unit') == '1' else r.get('unit', '')} (reference "
            f"{r['ref_low']:.3g}-{r['ref_high']:.3g}; {r.get('flag', '')})" for r in rows]
    fig = go.Figure(go.Scatter(
        x=med, y=labels, mode="markers", text=text, hoverinfo="y+text",
        marker={"color": [colour.get(r.get("flag"), "#444444") for r in rows], "size": 9},
        error_x={"type": "data", "symmetric": False, "array": hi, "arrayminus": lo}))
    fig.add_vrect(x0=0, x1=1, fillcolor="#2ca02c", opacity=0.12, line_width=0)
    fig.update_layout(title=title or "landscape", xaxis_title="position in the reference range (0 = lower, 1 = "
                      "upper limit)", yaxis={"autorange": "reversed"}, height=max(300, 28 * len(rows) + 120),
                      margin={"l": 220})
    return json.loads(fig.to_json())


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
