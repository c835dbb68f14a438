"""The protocol plot: dense trajectories with the peaks between requested times, plain names and units,
labelled doses, days for long runs, fold changes around 1 and levels from 0."""

import numpy as np
import pytest

from neuroscape.protocol.run import run_protocol
from neuroscape.protocol.schema import parse_protocol
from neuroscape.report.protocol_plot import dense_run, intervention_marks, plot_times, protocol_figure
from neuroscape.report.timeaxis import time_axis

DAYS = [0, 24, 48, 72, 96]
COURSE = {
    "protocol": 1, "name": "escitalopram-course",
    "interventions": [{"drug": "escitalopram", "dose_mg": 10, "every_h": 24, "count": 4},
                      {"nutrition": "meal", "at_h": 50, "protein_g": 25, "carbohydrate_g": 70}],
    "readouts": [{"id": "esc_plasma", "quantity": "plasma.escitalopram", "at_h": DAYS},
                 {"id": "sert_occ", "quantity": "occupancy.SERT", "at_h": DAYS},
                 {"id": "e5ht_cortex", "quantity": "brain.serotonin.extracellular", "region": "cortex",
                  "at_h": DAYS, "relative_to": "baseline"}],
}


@pytest.fixture(scope="module")
def plotted():
    protocol = parse_protocol(COURSE)
    result = run_protocol(protocol)
    fig = protocol_figure(result, dense_run(protocol))
    return result, fig


def _panel(fig, rid):
    for ax in fig.axes:
        for line in ax.lines:
            if line.get_gid() == f"model:{rid}":
                return ax, line
    raise AssertionError(f"no line for {rid}")


def test_the_line_is_dense_and_shows_the_peak_between_daily_troughs(plotted):
    result, fig = plotted
    ax, line = _panel(fig, "esc_plasma")
    requested = result.readouts["esc_plasma"]["value"]
    y = np.asarray(line.get_ydata())
    assert y.size > 20 * len(requested)
    # The samples at 0, 24, ... h are troughs; an oral dose peaks hours after each: the line shows it.
    assert y.max() > 1.3 * max(requested)
    x = np.asarray(line.get_xdata())
    peak_day = x[np.argmax(y[x < 1.0])]
    assert 1 / 24 < peak_day < 8 / 24  # escitalopram tmax 1-6 h after the first dose (label: ~5 h)


def test_axes_carry_plain_names_and_units_not_ids(plotted):
    result, fig = plotted
    ylabels = {rid: " ".join(_panel(fig, rid)[0].get_ylabel().split()) for rid in result.readouts}
    assert ylabels["esc_plasma"] == "plasma escitalopram (ng/mL)"
    assert ylabels["sert_occ"] == "SERT occupancy (% of sites)"
    assert ylabels["e5ht_cortex"] == "extracellular serotonin, cortex (fold of baseline)"
    for text in ylabels.values():
        assert "[1]" not in text and "_" not in text and "plasma.escitalopram" not in text
    assert "escitalopram-course" in fig._suptitle.get_text()


def test_time_axis_in_days_beyond_72_h():
    assert time_axis(96).unit == "days" and time_axis(72).unit == "h"


def test_the_plotted_run_is_in_days(plotted):
    _, fig = plotted
    ax, line = _panel(fig, "esc_plasma")
    assert "days" in fig.axes[-1].get_xlabel()
    assert np.asarray(line.get_xdata()).max() == pytest.approx(4.0)


def test_doses_are_marked_and_labelled(plotted):
    _, fig = plotted
    marks = [ln for ax in fig.axes for ln in ax.lines if ln.get_gid() == "dose-mark"]
    xs = sorted(float(x) for ln in marks for x in ln.get_xdata())
    assert xs == pytest.approx([0, 1, 2, 50 / 24, 3])
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "escitalopram 10 mg oral, every 24 h x 4" in texts and "meal: 25 g protein, 70 g carbohydrate" in texts


def test_fold_change_drawn_around_1_with_the_baseline_marked(plotted):
    result, fig = plotted
    ax, _ = _panel(fig, "e5ht_cortex")
    base = [ln for ln in ax.lines if ln.get_label().startswith("baseline")]
    assert base and list(base[0].get_ydata()) == [1.0, 1.0]
    lo, hi = ax.get_ylim()
    top = max(result.readouts["e5ht_cortex"]["value"])
    # symmetric about 1: a rise of (top - 1) leaves the same room below 1 (no truncated axis)
    assert lo <= 1 - (top - 1) + 1e-9 and hi >= top and lo < 0.8


def test_levels_and_occupancy_start_at_0(plotted):
    _, fig = plotted
    assert _panel(fig, "esc_plasma")[0].get_ylim()[0] == 0
    assert _panel(fig, "sert_occ")[0].get_ylim() == (0, 100)
    occ = np.asarray(_panel(fig, "sert_occ")[1].get_ydata())
    assert 60 < occ.max() < 100  # shown in %, not as a fraction


def test_plot_grid_is_independent_of_the_requested_times():
    protocol = parse_protocol(COURSE)
    times = plot_times(protocol)
    assert times[0] == 0 and times[-1] == 96 and set(DAYS) <= set(times)
    assert np.all(np.diff(times) <= 0.25 + 1e-9)
    marks = intervention_marks(protocol)
    assert [m.kind for m in marks] == ["drug", "nutrition"] and marks[0].times_h == (0, 24, 48, 72)


def test_a_long_course_keeps_rungs_near_every_peak_within_the_point_limit():
    from neuroscape.timegrid import AFTER_EVENT_H, dense_times

    doses = np.arange(0, 3650) * 24.0  # ten years of daily doses
    times = dense_times(3650 * 24.0, doses, max_points=20000)
    assert times.size <= 20000 + 10
    last = times[(times > doses[-1]) & (times < doses[-1] + 24)]
    assert 2 <= last.size < len(AFTER_EVENT_H) and any(2 <= t - doses[-1] <= 8 for t in last)


def test_a_summary_readout_is_drawn_over_its_interval_with_its_value(plotted):
    from dataclasses import replace

    from neuroscape.report.labels import plain

    result, fig = plotted
    _, line = _panel(fig, "esc_plasma")
    x, y = np.asarray(line.get_xdata()) * 24, np.asarray(line.get_ydata())
    window = (x >= 72) & (x <= 96)
    value = float(np.trapezoid(y[window], x[window]))  # the AUC over the last day, as a summary entry holds it
    auc = {"quantity": "plasma.escitalopram", "region": None, "unit": "ng/mL*h", "summary": "auc",
           "over_h": [72, 96], "value": value}
    fig = protocol_figure(replace(result, readouts={**result.readouts, "auc": auc}), dense_run(result.protocol))
    ax, line = _panel(fig, "auc")
    assert ax.get_title(loc="left") == f"plasma escitalopram: auc over 72-96 h = {plain(value)} ng/mL*h"
    assert " ".join(ax.get_ylabel().split()) == "plasma escitalopram (ng/mL)"  # the level's unit, not the AUC's
    span = next(p for p in ax.patches if p.get_label() == "summary interval")
    assert span.get_x() == pytest.approx(3.0) and span.get_width() == pytest.approx(1.0)
    assert len(next(ln for ln in ax.lines if ln.get_gid() == "requested:auc").get_xdata()) == 0
