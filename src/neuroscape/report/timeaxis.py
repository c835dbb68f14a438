"""Time in plots: hours or days on the axis, and labelled marks for what was given when. Shared by the
protocol plot and the assessment's predictive check (their dense grid: neuroscape/timegrid.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DAYS_AFTER_H = 72.0  # a run longer than this is drawn in days


@dataclass(frozen=True)
class TimeAxis:
    """Hours or days: `divisor` turns hours into the axis unit."""

    divisor: float
    unit: str

    @property
    def label(self) -> str:
        return f"time from the start ({self.unit})"

    def __call__(self, times_h) -> np.ndarray:
        return np.asarray(times_h, dtype=float) / self.divisor


def time_axis(span_h: float) -> TimeAxis:
    return TimeAxis(24.0, "days") if span_h > DAYS_AFTER_H else TimeAxis(1.0, "h")


def format_time_axis(ax, axis: TimeAxis, span_h: float) -> None:
    """Ticks at whole days (days) or at 6, 12 or 24 h steps (hours), and the axis label."""
    from matplotlib.ticker import MaxNLocator, MultipleLocator

    if axis.unit == "days":
        ax.xaxis.set_major_locator(MaxNLocator(nbins=12, integer=True, min_n_ticks=3))
    else:
        ax.xaxis.set_major_locator(MultipleLocator(24.0 if span_h > 48 else 12.0 if span_h > 24 else 6.0
                                                   if span_h > 6 else 1.0))
    ax.set_xlabel(axis.label, fontsize=8)


@dataclass(frozen=True)
class Mark:
    """Something given: `times_h` of each dose (or the start of a lasting intervention), `until_h` (the end
    of each lasting one; None for doses) and `text`, e.g. "escitalopram 10 mg oral, every 24 h x 14"."""

    times_h: tuple[float, ...]
    text: str
    until_h: tuple[float, ...] | None = None
    kind: str = "drug"


MARK_COLOURS = {"drug": "#b2182b", "hormone": "#762a83", "nutrition": "#1b7837", "exercise": "#e08214",
                "sleep": "#4d4d9f", "sleep_deprivation": "#4d4d9f", "inflammation": "#8c510a",
                "fasting": "#5aae61"}


def draw_schedule(ax, marks, axis: TimeAxis) -> None:
    """One row per mark: a triangle at each dose (a bar for a lasting intervention) and its text on the row,
    so that each dose on the time axis says what it was."""
    ax.set_ylim(len(marks) - 0.5, -0.5)
    ax.set_yticks([])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    for row, mark in enumerate(marks):
        colour = MARK_COLOURS.get(mark.kind, "#333333")
        x = axis(mark.times_h)
        if mark.until_h is None:
            ax.plot(x, np.full(x.size, row + 0.18), ls="none", marker="^", ms=5 if x.size < 60 else 3,
                    color=colour, gid="dose-mark")
        else:
            for a, b in zip(x, axis(mark.until_h)):
                ax.plot([a, b], [row + 0.18, row + 0.18], color=colour, lw=4, solid_capstyle="butt",
                        gid="dose-mark")
        ax.text(x[0] if x.size else 0.0, row - 0.12, mark.text, fontsize=7, color=colour, va="bottom",
                ha="left", clip_on=False)
