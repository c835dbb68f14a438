"""The assessment's figures: the visual predictive check (each observation against time with the model's
band over posterior draws, censored values as open markers with an arrow) and the landscape heat map
(plain numbers with units in the cells, a colour scale centred on the reference median)."""

import dataclasses
import math

import numpy as np
import pytest
from matplotlib.path import Path

from neuroscape.assess.calibrate import calibrate
from neuroscape.assess.landscape import Z_BAND, landscape
from neuroscape.assess.observations import ModelObservation
from neuroscape.assess.predictive import predictive_bands
from neuroscape.plan import Plan, add_dose
from neuroscape.report.assessment import landscape_plot
from neuroscape.report.labels import plain
from neuroscape.report.predictive_plot import prediction_plot
from neuroscape.simulate import simulate
from neuroscape.subject import Subject

TIMES = [47.9, 71.9]  # troughs, just before the third and fourth daily dose


def obs(quantity, value, unit, time_h=None, cv=0.15):
    return ModelObservation(quantity, None, value, unit, time_h, "proportional", cv, 0.0, quantity, "test")


@dataclasses.dataclass(frozen=True)
class Censored(ModelObservation):
    censor: str | None = None  # as the records carry it ('<': below the limit `value`)


@pytest.fixture(scope="module")
def fitted():
    plan = add_dose(Plan(), "escitalopram", 0.0, 10.0, every_h=24, count=4)
    levels = simulate(Subject(), plan, TIMES).readout("plasma.escitalopram")
    trp = simulate(Subject()).baseline("plasma.tryptophan")
    post = calibrate(Subject(), [obs("plasma.escitalopram", 1.2 * levels[0], "ng/mL", TIMES[0]),
                                 obs("plasma.escitalopram", levels[1], "ng/mL", TIMES[1]),
                                 obs("plasma.tryptophan", trp, "uM")], plan)
    return post, predictive_bands(post, draws=24)


def _axes_by_title(fig, start):
    return next(ax for ax in fig.axes if ax.get_title(loc="left").startswith(start))


def test_bands_cover_each_observed_quantity_on_a_dense_grid(fitted):
    post, bands = fitted
    assert [(b.quantity, b.observations) for b in bands] == [("plasma.escitalopram", (0, 1)),
                                                            ("plasma.tryptophan", (2,))]
    esc = bands[0]
    assert set(TIMES) <= set(esc.times_h) and esc.times_h.size > 200
    assert np.all(esc.low <= esc.median + 1e-12) and np.all(esc.median <= esc.high + 1e-12)
    assert np.all(esc.measured_low <= esc.low + 1e-9) and np.all(esc.measured_high >= esc.high - 1e-9)
    # the trough before a dose lies below the peak a few hours after it: the grid resolves the course
    day3 = (esc.times_h > 48) & (esc.times_h < 60)
    k = int(np.searchsorted(esc.times_h, TIMES[0]))
    assert esc.median[day3].max() > 1.3 * esc.median[k]
    # the prediction at an observation's time is the model's value for it: the MAP fit lies in the band
    for i, t in zip((0, 1), TIMES):
        j = int(np.searchsorted(esc.times_h, t))
        assert esc.low[j] <= post.predicted[i] <= esc.high[j]
    lo, med, hi = bands[1].baseline[1], bands[1].baseline[0], bands[1].baseline[2]
    assert lo < med < hi and lo <= post.predicted[2] <= hi


def test_vpc_band_contains_the_median_and_the_observations_are_drawn(fitted):
    post, bands = fitted
    fig = prediction_plot(post, bands)
    ax = _axes_by_title(fig, "plasma escitalopram")
    band = next(c for c in ax.collections if c.get_gid() == "band:model")
    median = next(ln for ln in ax.lines if ln.get_gid() == "median")
    xy = np.column_stack([median.get_xdata(), median.get_ydata()])
    esc = bands[0]
    spread = esc.high - esc.low > 1e-6 * esc.high.max()  # where draws differ (not at t = 0, before absorption)
    inside = Path(band.get_paths()[0].vertices).contains_points(xy[spread], radius=1e-9)
    assert inside.mean() > 0.99
    points = [ln for ln in ax.lines if ln.get_gid() == "observed"]
    got = sorted((float(p.get_xdata()[0]), float(p.get_ydata()[0])) for p in points)
    want = [(t / 24, post.observations[i].value) for i, t in enumerate(TIMES)]
    assert np.asarray(got) == pytest.approx(np.asarray(want))
    assert " ".join(ax.get_ylabel().split()) == "plasma escitalopram (ng/mL)" and "days" in ax.get_xlabel()
    base = _axes_by_title(fig, "observed at baseline")
    assert [t.get_text() for t in base.get_yticklabels()] == ["plasma tryptophan"]
    band = next(ln for ln in base.lines if ln.get_gid() == "baseline-band")
    lo, hi = band.get_xdata()
    observed = next(ln for ln in base.lines if ln.get_gid() == "observed").get_xdata()[0]
    assert lo < 1.0 < hi and lo < observed < hi  # the typical man's own value, as a multiple of the median
    text = next(t for t in base.texts if t.get_gid() == "baseline-text").get_text()
    assert text.startswith(f"{plain(post.observations[2].value)} µM (model ")


def test_a_censored_observation_is_an_open_marker_at_its_limit_with_an_arrow(fitted):
    post, bands = fitted
    first = post.observations[0]
    fields = {f.name: getattr(first, f.name) for f in dataclasses.fields(first)}
    limit = Censored(**{**fields, "censor": "<"})
    post2 = dataclasses.replace(post, observations=(limit, *post.observations[1:]))
    ax = _axes_by_title(prediction_plot(post2, bands), "plasma escitalopram")
    open_ = [ln for ln in ax.lines if ln.get_gid() == "censored"]
    assert len(open_) == 1 and open_[0].get_markerfacecolor() == "none"
    assert float(open_[0].get_ydata()[0]) == pytest.approx(first.value)
    arrow = next(t for t in ax.texts if t.get_gid() == "censor-arrow")
    assert arrow.xy[1] < first.value  # pointing down: the value lies below the limit
    assert len([ln for ln in ax.lines if ln.get_gid() == "observed"]) == 1


@pytest.fixture(scope="module")
def heat(fitted):
    post, _ = fitted
    land = landscape(post, samples=40)
    return land, landscape_plot(land)


def test_heat_map_cells_carry_plain_numbers_with_units(heat):
    land, fig = heat
    ax = fig.axes[0]
    values = {t.get_gid().removeprefix("value:"): t.get_text() for t in ax.texts
              if (t.get_gid() or "").startswith("value:")}
    assert set(values) == {e.label for e in land.entries}
    e = land.entry("brain.serotonin.extracellular", "cortex")
    assert values[e.label] == f"{plain(e.median)} nM"
    assert float(values[e.label].split()[0]) == pytest.approx(e.median, rel=5e-3)
    occ = land.entry("occupancy.SERT")
    assert values[occ.label].endswith("%")
    assert float(values[occ.label][:-1]) == pytest.approx(100 * occ.median, rel=5e-3)
    assert all("e+" not in v and "e-" not in v for v in values.values())
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert "serotonin: extracellular serotonin (nM)" in rows and not any("brain." in r for r in rows)


def test_heat_map_colour_scale_is_centred_on_the_reference(heat):
    _, fig = heat
    cbar_ax = fig.axes[1]
    lo, hi = cbar_ax.get_ylim()
    assert lo == pytest.approx(-hi)
    labels = dict(zip(np.round(cbar_ax.get_yticks(), 3), [t.get_text() for t in cbar_ax.get_yticklabels()]))
    assert labels[0.0] == "reference median" and labels[round(Z_BAND, 3)] == "band's high edge"


def test_plain_numbers():
    assert [plain(x) for x in (390.4, 0.019812, 1.0, 12345.0, math.nan)] == ["390", "0.0198", "1", "12300", "-"]


def test_band_rows_are_named_in_words_with_the_median_and_unit(heat):
    from neuroscape.report.assessment import _entry_text

    land, _ = heat
    e = land.entry("brain.serotonin.extracellular", "raphe")
    assert _entry_text(e) == f"extracellular serotonin, raphe ({plain(e.median)} nM)"
    assert _entry_text(land.entry("activity.MAO-A")) == f"MAO-A activity ({plain(land.entry('activity.MAO-A').median)})"
