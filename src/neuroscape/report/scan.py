"""The figure of a parameter scan: each readout against the scanned parameter (one line per readout
time), with the parameter's unit on the axis and a log axis for a log grid."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def scan_figure(result, path: str | Path) -> Path:
    """Write `result` (protocol.scan.ScanResult) as a PNG."""
    rows = result.rows()
    ids = list(dict.fromkeys(r["readout"] for r in rows))
    fig, axes = plt.subplots(len(ids), 1, figsize=(6.5, 2.6 * len(ids)), squeeze=False, sharex=True)
    for ax, rid in zip(axes[:, 0], ids):
        mine = [r for r in rows if r["readout"] == rid]
        unit = mine[0]["unit"]
        for t in dict.fromkeys(r["time_h"] for r in mine):
            line = [r for r in mine if r["time_h"] == t]
            label = "summary" if t is None else f"t = {t:g} h"
            ax.plot([r[result.parameter] for r in line], [r["value"] for r in line], marker="o", ms=3,
                    label=label)
        ax.set_ylabel(f"{rid}\n[{unit}]" if unit not in ("", "1") else rid, fontsize=8)
        if len({r["time_h"] for r in mine}) > 1:
            ax.legend(fontsize=7)
        if result.log:
            ax.set_xscale("log")
        ax.grid(alpha=0.3)
    if len(result.values) <= 12:  # mark the grid itself (a log axis' own labels crowd a short range)
        from matplotlib.ticker import NullFormatter

        axes[-1, 0].set_xticks(result.values, [f"{v:.3g}" for v in result.values], fontsize=7)
        axes[-1, 0].xaxis.set_minor_formatter(NullFormatter())
    unit = "" if result.unit in ("1", "dimensionless") else f" [{result.unit}]"
    axes[-1, 0].set_xlabel(f"{result.parameter}{unit}")
    axes[0, 0].set_title(f"{result.run.protocol.name}: scan of {result.parameter} (simulated, not medical advice)",
                         fontsize=9)
    path = Path(path)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path
