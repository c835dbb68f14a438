"""Self-contained HTML reports (plots embedded as PNG) for validation runs and protocol runs."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DISCLAIMER = ("neuroscape is research and decision-support software. Every result is a simulated "
              "scenario for a qualified clinician or researcher, never medical advice.")
_STYLE = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
.pass{background:#e6f4ea}.fail{background:#fde8e8}.missing{background:#f3f3f3}.error{background:#fff4d6}
.reference{background:#e8f0fe}.note{font-size:90%;color:#555}img{max-width:100%}"""


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def case_figure(result) -> str | None:
    """One figure per case (PNG, base64): see `validation_figure`."""
    return _png(validation_figure(result))


def validation_figure(result):
    """Each check's model value against its band, beside the published number with its error bar where
    the case gives one; and the time courses of list readouts."""
    curves = [(arm, rid, s) for arm, d in result.series.items() for rid, s in d.items()
              if isinstance(s[0], list)]
    ncols = 1 + (1 if curves else 0)
    fig, axes = plt.subplots(1, ncols, figsize=(5.5 * ncols, 0.9 + 0.5 * max(4, len(result.checks))),
                             squeeze=False)
    ax = axes[0][0]
    labels = [c.label for c in result.checks]
    shown = False
    for i, c in enumerate(result.checks):
        lo = c.min if c.min is not None else (c.value if c.max is None else min(c.value, c.max) * 0.8)
        hi = c.max if c.max is not None else max(c.value, lo) * 1.2 + 1e-12
        ax.plot([lo, hi], [i, i], color="#8bc48a" if c.passed else "#e39b9b", lw=8, alpha=0.6)
        ax.plot([c.value], [i], "ko", label="model" if i == 0 else None)
        if c.published is not None:
            p = c.published
            xerr = None if p.low is None else [[p.value - p.low], [p.high - p.value]]
            ax.errorbar([p.value], [i - 0.25], xerr=xerr, fmt="D", color="#1f5fa8", ms=5, capsize=3,
                        label=None if shown else "published (bar: " + _spread_kinds(result.checks) + ")")
            shown = True
    ax.set_yticks(range(len(labels)), [lab[:40] for lab in labels], fontsize=8)
    ax.set_ylim(len(labels) - 0.5, -0.75)
    ax.legend(fontsize=7, loc="best")
    ax.set_title("model (dot) vs tolerance (bar) and published data", fontsize=9)
    if curves:
        ax = axes[0][1]
        colours = {}
        for arm, rid, (t, v, unit, q) in curves:
            (line,) = ax.plot(t, v, marker=".", label=f"{arm}.{rid} [{unit}]")
            colours[f"{arm}.{rid}"] = line.get_color()
        timed = [c.published for c in result.checks if c.published is not None and c.published.series in colours]
        for k, p in enumerate(timed):
            yerr = None if p.low is None else [[p.value - p.low], [p.high - p.value]]
            ax.errorbar([p.at_h], [p.value], yerr=yerr, fmt="D", color=colours[p.series], mfc="white", ms=5,
                        capsize=3, label="published" if k == 0 else None)
        ax.set_xlabel("time (h)")
        ax.legend(fontsize=7)
        ax.set_title("readouts over time", fontsize=9)
    return fig


def _spread_kinds(checks) -> str:
    names = {"sem": "SEM", "sd": "SD", "ci": "interval", "": "none given"}
    kinds = sorted({c.published.kind for c in checks if c.published is not None})
    return ", ".join(names[k] for k in kinds)


def validation_report(results, out_dir: str | Path, references: dict) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    from ..validation.labels import case_kind, headline, headline_text

    rows, sections = [], []
    for r in results:
        values = "; ".join(f"{c.label}: {c.value:.4g} (target {c.band}, {c.kind})" for c in r.checks) \
            or html.escape(r.reason)
        rows.append(f"<tr class='{r.status}'><td>{r.id}</td><td>{html.escape(r.finding)}</td>"
                    f"<td>{r.status}</td><td>{case_kind(r)}</td><td>{html.escape(values)}</td></tr>")
        if r.checks:
            cites = "<br>".join(html.escape(references.get(k, {}).get("citation", k)) for k in r.sources)
            fitted = sorted({f for c in r.checks for f in c.fitted})
            why = (f"<p class='note'>Consistency: parameters fitted to or read from this case's sources: "
                   f"{html.escape('; '.join(fitted))}.</p>" if fitted else
                   "<p class='note'>Prediction: no parameter was fitted to or read from this case's sources.</p>")
            sections.append(f"<h2 id='{r.id}'>{r.id}: {html.escape(r.finding)} — {r.status}</h2>"
                            f"<p>Target: {html.escape(r.target)}. Tolerance: {html.escape(r.tolerance)}.</p>"
                            f"{why}<img src='data:image/png;base64,{case_figure(r)}'><p class='note'>{cites}</p>")
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>neuroscape validation</title>"
            f"<style>{_STYLE}</style></head><body><h1>neuroscape validation</h1><p class='note'>{DISCLAIMER}</p>"
            f"<p class='headline'><b>{html.escape(headline_text(headline(results)))}</b></p>"
            "<table><tr><th>case</th><th>finding</th><th>status</th><th>kind</th><th>model value (target)</th></tr>"
            + "".join(rows) + "</table>" + "".join(sections) + "</body></html>")
    path = out / "validation.html"
    path.write_text(page, encoding="utf-8")
    return path


def trajectory_figure(result, path: str | Path) -> Path:
    """Plot every readout of a protocol run over time (report/protocol_plot.py: dense trajectories,
    plain names and units, labelled doses)."""
    from .protocol_plot import write_protocol_plot

    return write_protocol_plot(result, path)
