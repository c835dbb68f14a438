"""The plot of a protocol run (`neuroscape protocol run FILE --plot PNG`): each readout simulated on a dense
grid (so a course of daily doses shows its peaks and troughs, not straight lines between the requested
times), plain names and units on the axes, a dosing strip with each dose labelled, days on the time axis
for runs over 72 h, fold changes drawn around 1 with the baseline marked, and axes that start at 0.

    >>> from neuroscape.protocol.schema import load_protocol
    >>> from neuroscape.protocol.run import run_protocol
    >>> result = run_protocol(load_protocol("docs/img/escitalopram_course.yaml"))  # doctest: +SKIP
    >>> protocol_figure(result).savefig("course.png")  # doctest: +SKIP
"""

from __future__ import annotations

import textwrap

import math

import numpy as np
from matplotlib.figure import Figure

from .labels import AxisLabel, axis_label, plain
from ..timegrid import dense_times
from .timeaxis import Mark, draw_schedule, format_time_axis, time_axis

LINE, SAMPLE, BASELINE = "#1f4e79", "#1f4e79", "#777777"
FOLD_LINEAR_MAX = 2.0  # fold changes within 1/2-2x are drawn on a linear axis, wider ones on a log axis
FOLD_MIN_HALF_WIDTH = 0.25  # a fold axis spans at least 0.75-1.25, so that a 2% change looks like 2%


def intervention_marks(protocol) -> list[Mark]:
    """What the protocol gives, as labelled marks (one per intervention in the file)."""
    marks = []
    for item in protocol.interventions:
        kind = item.kind
        if kind == "drug":
            text = f"{item.drug} {item.dose_mg:g} mg {item.route}" + _course(item)
        elif kind == "hormone":
            text = (f"{item.hormone} {item.dose_mg:g} mg {item.route}" + _course(item) if item.dose_mg is not None
                    else f"{item.hormone} held at {item.fold:g}x baseline")
        elif kind == "nutrition":
            amount = f" {item.dose_mg:g} mg" if item.dose_mg is not None else ""
            grams = ", ".join(f"{g:g} g {what}" for what, g in (("protein", item.protein_g),
                                                                 ("carbohydrate", item.carbohydrate_g),
                                                                 ("fat", item.fat_g)) if g is not None)
            text = item.nutrition.replace("_", " ") + amount + (f": {grams}" if grams else "") + _course(item)
        elif kind == "exercise":
            text = f"{item.exercise} exercise, {item.intensity:.0%} VO2max"
        elif kind == "inflammation":
            text = f"{item.inflammation.replace('_', ' ')} (cytokine drive {item.fold:g}x)"
        else:
            text = kind.replace("_", " ")
        until = _until(item)
        marks.append(Mark(tuple(float(t) for t in item.times_h), text, until, kind))
    return marks


def _course(item) -> str:
    return f", every {item.every_h:g} h x {item.count}" if item.count > 1 else ""


def _until(item) -> tuple[float, ...] | None:
    end = getattr(item, "end_h", None)
    if end is None and getattr(item, "duration_h", None) is not None:
        end = item.start_h + item.duration_h
    held = item.kind == "inflammation" or (item.kind == "hormone" and item.dose_mg is None)
    if end is None and held:
        return (math.inf,)  # held to the end of the run
    return None if end is None else (float(end),)


def plot_times(protocol) -> np.ndarray:
    """The dense grid of a protocol's plot: 0 to its last time, finer after each dose, the requested
    readout times included."""
    from ..protocol.run import protocol_end_h

    dosed = [t for item in protocol.interventions for t in item.times_h]
    requested = [t for ro in protocol.readouts for t in ro.times_h]
    return dense_times(protocol_end_h(protocol), dosed, requested)


def dense_run(protocol):
    """The protocol run again with the plot's grid as extra output times (its own model: neuroscape's, or
    the external SBML model of `model:`)."""
    if protocol.model is not None:
        from ..io.external_protocol import run_external

        return run_external(protocol, extra_times=plot_times(protocol))
    from ..protocol.run import run_protocol

    return run_protocol(protocol, extra_times=plot_times(protocol))


def protocol_figure(result, dense=None) -> Figure:
    """The figure of a protocol run `result`; `dense` is its run on the plot grid (default: run now)."""
    dense = dense_run(result.protocol) if dense is None else dense
    protocol, ros = result.protocol, result.readouts
    traj = dense.trajectory
    t_h = np.asarray(traj.times, dtype=float)
    span = float(t_h[-1]) if t_h.size else 0.0
    axis = time_axis(span)
    marks = intervention_marks(protocol)
    heights = ([0.32 * len(marks) + 0.25] if marks else []) + [2.1] * max(len(ros), 1)
    fig = Figure(figsize=(7.5, sum(heights) + 1.0))
    axes = fig.subplots(len(heights), 1, sharex=True, squeeze=False,
                        gridspec_kw={"height_ratios": heights, "hspace": 0.35})[:, 0]
    if marks:
        marks = [Mark(m.times_h, m.text, tuple(min(u, span) for u in m.until_h) if m.until_h else None, m.kind)
                 for m in marks]
        draw_schedule(axes[0], marks, axis)
        axes[0].set_title("given (triangles: doses; bars: held)", fontsize=8, loc="left")
    dose_times = sorted({t for m in marks if m.until_h is None for t in m.times_h})
    for ax, (rid, ro) in zip(axes[len(axes) - len(ros):], ros.items()):
        summary = "at_h" not in ro  # a PK summary (cmax, auc, ...) of the readout over an interval
        unit = _trajectory_unit(traj, ro) if summary else ro["unit"]
        label = axis_label(ro["quantity"], ro["region"], unit, ro.get("relative_to"))
        values = traj.readout(ro["quantity"], ro["region"], ro.get("relative_to")) * label.scale
        if summary:
            at, picked = [], np.zeros(0)
        else:
            at = ro["at_h"] if isinstance(ro["at_h"], list) else [ro["at_h"]]
            picked = np.asarray(ro["value"] if isinstance(ro["value"], list) else [ro["value"]], float) * label.scale
        _panel(ax, axis, t_h, values, at, picked, label, rid, traj, ro)
        if summary:
            _summary_window(ax, axis, ro, label)
        if len(dose_times) <= 30:
            for x in axis(dose_times):
                ax.axvline(x, color="#bbbbbb", ls=":", lw=0.8, zorder=0)
    if not ros:
        axes[-1].text(0.5, 0.5, "no readouts to draw", ha="center", va="center", transform=axes[-1].transAxes)
    format_time_axis(axes[-1], axis, span)
    s = protocol.subject
    who = "external SBML model" if protocol.model is not None else f"{s.sex}, {s.age_years:g} years, {s.weight_kg:g} kg"
    fig.suptitle(f"{protocol.name}\n{who} - simulated scenario, not medical advice", fontsize=9)
    inches = sum(heights) + 1.0
    fig.subplots_adjust(left=0.14, right=0.97, top=1 - 0.85 / inches, bottom=0.5 / inches)
    return fig


def _trajectory_unit(traj, ro) -> str:
    """The readout's own unit (a summary's entry carries the summary's unit: ng/mL*h for an AUC)."""
    if ro.get("relative_to"):
        return "1"
    try:
        return traj.unit(ro["quantity"], ro["region"])
    except Exception:  # an external model's readout: its own units
        return "(model units)"


def _summary_window(ax, axis, ro, label: AxisLabel) -> None:
    """The interval a summary reads, shaded, and its value in the panel's title."""
    a, b = (float(x) for x in ro["over_h"])
    ax.axvspan(*axis([a, b]), color="#fdd49e", alpha=0.35, lw=0, zorder=0, label="summary interval")
    value = ro["value"]
    text = "-" if value is None else plain(float(value))
    ax.set_title(f"{label.title}: {ro['summary']} over {a:g}-{b:g} h = {text} {ro['unit']}", fontsize=8.5,
                 loc="left")
    ax.legend(fontsize=6.5, loc="best", frameon=False)


def _panel(ax, axis, t_h, values, at, picked, label: AxisLabel, rid, traj, ro) -> None:
    ax.plot(axis(t_h), values, color=LINE, lw=1.3, gid=f"model:{rid}", label="model (dense)")
    ax.plot(axis(at), picked, ls="none", marker="o", ms=3.5, mfc="white", mec=SAMPLE, mew=1.0,
            gid=f"requested:{rid}", label="requested readout times" if len(at) else "_none")
    ax.set_title(label.title, fontsize=8.5, loc="left")
    ax.set_ylabel(_wrap(label.text), fontsize=8)
    ax.tick_params(labelsize=7.5)
    finite = values[np.isfinite(values)]
    if label.fold:
        _fold_axis(ax, finite)
    else:
        base = _baseline(traj, ro) * label.scale
        if math.isfinite(base) and base > 0:
            ax.axhline(base, color=BASELINE, ls="--", lw=0.9, label="baseline")
        top = max([float(finite.max()) if finite.size else 0.0, base if math.isfinite(base) else 0.0])
        if label.unit.startswith("%"):
            ax.set_ylim(0, max(100.0, top * 1.05))
        elif finite.size and finite.min() >= 0:
            ax.set_ylim(0, top * 1.08 if top > 0 else 1.0)  # from 0: a level is read against nothing
    ax.legend(fontsize=6.5, loc="best", frameon=False)
    ax.grid(axis="y", color="#eeeeee", lw=0.6)


def _baseline(traj, ro) -> float:
    try:
        return float(traj.baseline(ro["quantity"], ro["region"]))
    except Exception:  # an external model's readout may have no baseline state; draw none
        return math.nan


def _fold_axis(ax, values) -> None:
    """Around 1, the baseline, marked as a line: linear and symmetric about 1 within 1/2-2x, logarithmic
    beyond (1 always shown)."""
    ax.axhline(1.0, color=BASELINE, ls="--", lw=0.9, label="baseline (1)")
    if not values.size:
        return
    hi, lo = float(values.max()), float(values.min())
    if lo > 0 and (hi > FOLD_LINEAR_MAX or lo < 1 / FOLD_LINEAR_MAX):
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

        ax.set_yscale("log")  # equal ratios at equal distances: a halving looks as large as a doubling
        ax.set_ylim(min(lo, 1.0) / 1.25, max(hi, 1.0) * 1.25)
        ax.yaxis.set_major_locator(LogLocator(base=2.0))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        return
    half = max(FOLD_MIN_HALF_WIDTH, 1.1 * max(hi - 1.0, 1.0 - lo))
    ax.set_ylim(max(0.0, 1.0 - half), 1.0 + half)


def _wrap(text: str, width: int = 26) -> str:
    return textwrap.fill(text, width, break_long_words=False, break_on_hyphens=False)


def write_protocol_plot(result, path, dense=None):
    """Save the protocol figure as PNG (or another format matplotlib writes) at `path`; return the path."""
    from pathlib import Path

    fig = protocol_figure(result, dense)
    path = Path(path)
    fig.savefig(path, dpi=100)
    return path
