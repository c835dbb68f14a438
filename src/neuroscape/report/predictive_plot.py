"""The visual predictive check of an assessment: each observed quantity against time, with the model's
median and 90% band over posterior draws (and the wider band of a new measurement, the error model
added), the observations as points, censored ones ('<' or '>' a limit) as open markers at the limit with
an arrow, baseline observations at t = 0 beside the model's baseline interval, and the doses marked."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter
from matplotlib.transforms import blended_transform_factory

from .labels import axis_label, plain
from .timeaxis import format_time_axis, time_axis

RATIO_TICKS = (0.1, 0.2, 0.25, 0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0, 4.0, 5.0, 10.0)
MEDIAN, MODEL_BAND, MEASURE_BAND, OBSERVED, FITTED = "#1f4e79", "#6baed6", "#deebf7", "#b2182b", "#333333"


def censor_of(ob) -> str | None:
    """'<' (the value is a limit the truth lies below), '>' (above) or None; records without the field
    (or a calibration that does not carry it) read as uncensored."""
    c = getattr(ob, "censor", None)
    return c if c in ("<", ">") else None


def prediction_plot(posterior, bands) -> Figure:
    """One panel per quantity observed over time (assess.predictive.predictive_bands), and one for the
    quantities observed only at baseline, two columns."""
    timed = [b for b in bands if any(posterior.observations[i].time_h is not None for i in b.observations)]
    baseline = [b for b in bands if b not in timed]
    n = len(timed) + (1 if baseline else 0)
    ncols = 1 if n == 1 else 2
    nrows = math.ceil(n / ncols) if n else 1
    height = 2.9 * nrows + 1.3
    fig = Figure(figsize=(5.2 * ncols, height))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    doses = sorted({float(d.at_h) for d in posterior.plan.doses})
    flat = axes.ravel()
    for ax, band in zip(flat, timed):
        _panel(ax, posterior, band, doses)
    if baseline:
        _baseline_panel(flat[len(timed)], posterior, baseline)
    for ax in flat[n:]:
        ax.set_visible(False)
    legend: dict[str, object] = {}
    for ax in flat[:n]:
        for handle, text in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(text, handle)
    fig.legend(list(legend.values()), list(legend), loc="lower center", ncol=3, fontsize=7, frameon=False)
    level = int(round(bands[0].level * 100)) if bands else 90
    fig.suptitle(f"Observations against the model: median and {level}% band over "
                 f"{bands[0].draws if bands else 0} posterior draws (dark: the model value; light: a new "
                 "measurement, with its error)", fontsize=8.5)
    fig.subplots_adjust(left=0.1, right=0.98, top=1 - 0.6 / height, bottom=1.15 / height, hspace=0.55, wspace=0.3)
    return fig


def _baseline_panel(ax, posterior, bands) -> None:
    """Quantities observed only at baseline (before any medication), one row each: the model's interval
    and the observation as multiples of the model's median (a log axis: each row in its own unit), the
    plain numbers with units written on the row."""
    from ..assess.problem import rhythm_factor

    rows = [(b, i) for b in bands for i in b.observations]
    pct = int(round(bands[0].level * 100))
    for r, (band, i) in enumerate(rows):
        ob = posterior.observations[i]
        label = axis_label(band.quantity, band.region, band.unit)
        f = rhythm_factor(ob.quantity, getattr(ob, "clock_h", None))  # the model at the sample's clock time
        med, lo, hi = (v * f for v in band.baseline)
        m_lo, m_hi = (v * f for v in band.baseline_measured)
        if not (math.isfinite(med) and med > 0):
            continue
        ax.plot([m_lo / med, m_hi / med], [r, r], color=MEASURE_BAND, lw=9, solid_capstyle="butt",
                label=f"{pct}% interval of a measurement", gid="baseline-measured")
        ax.plot([lo / med, hi / med], [r, r], color=MODEL_BAND, lw=9, solid_capstyle="butt",
                label=f"{pct}% interval of the model", gid="baseline-band")
        ax.plot([1.0], [r], "|", ms=11, mew=1.6, color=MEDIAN, label="median of the draws", gid="median")
        y = float(ob.value) / med
        c = censor_of(ob)
        if c is None:
            ax.plot([y], [r], "o", ms=5, color=OBSERVED, zorder=4, label="observed", gid="observed")
        else:
            ax.plot([y], [r], "o", ms=6, mfc="none", mec=OBSERVED, mew=1.3, zorder=4,
                    label="censored: the limit (arrow: where the value lies)", gid="censored")
            ax.annotate("", xy=(y * (0.75 if c == "<" else 1.33), r), xytext=(y, r), zorder=4,
                        arrowprops={"arrowstyle": "->", "color": OBSERVED, "lw": 1.2}, gid="censor-arrow")
        ax.plot([float(posterior.predicted[i]) / med], [r], "x", ms=5, color=FITTED, zorder=5,
                label="fitted (MAP)", gid="fitted")
        unit = f" {label.unit}" if band.unit != "1" else ""
        ax.annotate(f"{c or ''}{plain(ob.value * label.scale)}{unit} (model {plain(lo * label.scale)}-"
                    f"{plain(hi * label.scale)})", (0.0, r), xycoords=("axes fraction", "data"),
                    xytext=(3, 7), textcoords="offset points", fontsize=6.5, color="#333333", gid="baseline-text")
    ax.set_xscale("log")
    lo, hi = ax.get_xlim()
    m = max(hi, 1 / lo)  # symmetric about the median in ratio: a halving as wide as a doubling
    ax.set_xlim(1 / m, m)
    ax.xaxis.set_major_locator(FixedLocator([t for t in RATIO_TICKS if 1 / m <= t <= m]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_ylim(len(rows) - 0.4, -0.8)
    ax.set_yticks(range(len(rows)), [axis_label(b.quantity, b.region, b.unit).title for b, _ in rows], fontsize=7)
    ax.set_xlabel("multiple of the model's median (log scale)", fontsize=7.5)
    ax.tick_params(labelsize=7)
    ax.set_title("observed at baseline (before any medication)", fontsize=8, loc="left")
    _dedupe_legend(ax)


def _panel(ax, posterior, band, doses) -> None:
    """Observations against the band over time; one at baseline at t = 0, beside the model's baseline
    interval."""
    from ..assess.problem import rhythm_factor

    label = axis_label(band.quantity, band.region, band.unit)
    s = label.scale
    obs = [posterior.observations[i] for i in band.observations]
    fitted = [float(posterior.predicted[i]) for i in band.observations]
    t = band.times_h
    span = float(t[-1]) if t.size else 0.0
    axis = time_axis(span)
    pct = int(round(band.level * 100))
    if t.size:
        x = axis(t)
        ax.fill_between(x, band.measured_low * s, band.measured_high * s, color=MEASURE_BAND, lw=0,
                        label=f"{pct}% interval of a measurement", gid="band:measured")
        ax.fill_between(x, band.low * s, band.high * s, color=MODEL_BAND, alpha=0.8, lw=0,
                        label=f"{pct}% interval of the model", gid="band:model")
        ax.plot(x, band.median * s, color=MEDIAN, lw=1.3, label="median of the draws", gid="median")
        trans = blended_transform_factory(ax.transData, ax.transAxes)
        shown = [d for d in doses if d <= span]
        ax.plot(axis(shown), np.full(len(shown), 0.015), ls="none", marker="^", ms=3.5, color="#777777",
                transform=trans, clip_on=False, label="dose", gid="dose-mark")
        format_time_axis(ax, axis, span)
    for ob, fit in zip(obs, fitted):
        xo = 0.0 if ob.time_h is None else float(axis([ob.time_h])[0])
        if ob.time_h is None and all(math.isfinite(v) for v in band.baseline):
            # the model at the sample's clock time (a circadian analyte), as calibration compares it
            f = rhythm_factor(ob.quantity, getattr(ob, "clock_h", None)) * s
            med, lo, hi = (v * f for v in band.baseline)
            ax.errorbar([xo], [med], yerr=[[med - lo], [hi - med]], fmt="s", ms=4, color=MEDIAN,
                        ecolor=MODEL_BAND, elinewidth=6, capsize=0, zorder=3,
                        label=f"baseline: model median and {pct}% interval", gid="baseline-band")
        y = float(ob.value) * s
        c = censor_of(ob)
        if c is None:
            ax.plot([xo], [y], "o", ms=5, color=OBSERVED, zorder=4, label="observed", gid="observed")
        else:
            ax.plot([xo], [y], "o", ms=6, mfc="none", mec=OBSERVED, mew=1.3, zorder=4,
                    label="censored: the limit (arrow: where the value lies)", gid="censored")
            ax.annotate("", xy=(xo, y * (0.6 if c == "<" else 1.5)), xytext=(xo, y), zorder=4,
                        arrowprops={"arrowstyle": "->", "color": OBSERVED, "lw": 1.2}, gid="censor-arrow")
        ax.plot([xo], [fit * s], "x", ms=5, color=FITTED, zorder=5, label="fitted (MAP)", gid="fitted")
    ax.set_title(f"{label.title} ({len(obs)} observation{'s' if len(obs) != 1 else ''})", fontsize=8, loc="left")
    ax.set_ylabel(label.text, fontsize=7.5)
    ax.tick_params(labelsize=7)
    ax.set_ylim(bottom=0)
    _dedupe_legend(ax)


def _dedupe_legend(ax) -> None:
    """Keep one legend entry per label (each observation is its own artist)."""
    seen = set()
    for artist in ax.lines + ax.collections + ax.containers:
        lab = artist.get_label()
        if lab in seen:
            artist.set_label("_" + lab)
        seen.add(lab)
