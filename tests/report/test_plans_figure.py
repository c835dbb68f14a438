"""The plan report's trajectories: each band's quantity with its plain name, region and unit on the axis."""

from types import SimpleNamespace

import numpy as np
import pytest

from neuroscape.manage.targets import Band
from neuroscape.report.plans import _band_label, trajectory_plot


def _band(**kw):
    return Band(id=kw.pop("id", "b"), rationale="test", source="test", **kw)


def test_band_labels_name_the_quantity_region_and_unit():
    occ = _band(quantity="occupancy.SERT", low=0.7, high=0.9)
    assert _band_label(occ, {"quantity": "occupancy.SERT", "region": None}) == ("SERT occupancy (% of sites)", 100.0)
    level = _band(quantity="plasma.escitalopram", low=10, high=40)
    assert (_band_label(level, {"quantity": "plasma.escitalopram", "region": None})
            == ("plasma escitalopram (ng/mL)", 1.0))
    fold = _band(quantity="brain.serotonin.extracellular", region="cortex", relative_to="baseline", low=1.2)
    assert (_band_label(fold, {"quantity": "brain.serotonin.extracellular", "region": "cortex"})
            == ("extracellular serotonin, cortex (fold of baseline)", 1.0))


def test_trajectory_plot_axes_carry_units_not_ids():
    band = _band(id="sert", quantity="occupancy.SERT", low=0.7, high=0.9)
    t = np.linspace(0, 72, 13)
    tr = {"times_h": t.tolist(), "median": [0.8] * 13, "low": [0.75] * 13, "high": [0.85] * 13,
          "band": [0.7, 0.9], "quantity": "occupancy.SERT", "region": None}
    plan = SimpleNamespace(trajectories={"sert": tr}, pta={"sert": SimpleNamespace(p=0.9)}, rank=1,
                           candidate=SimpleNamespace(label="escitalopram 10 mg daily"))
    search = SimpleNamespace(plans=(plan,), profile=SimpleNamespace(bands=(band,), settle_h=24.0), horizon_h=72.0)
    fig = trajectory_plot(search)
    ax = fig.axes[0]
    assert " ".join(ax.get_ylabel().split()) == "sert SERT occupancy (% of sites)"
    assert ax.get_xlabel() == "days from now"
    assert np.asarray(ax.lines[-1].get_ydata()) == pytest.approx([80.0] * 13)  # a fraction drawn in %
    assert [ln.get_ydata()[0] for ln in ax.lines[:2]] == pytest.approx([70.0, 90.0])  # the band's bounds too
