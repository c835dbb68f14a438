"""Target profiles (manage/targets.py): the shipped files, errors that name the key, and scoring
against analytic series and a simulated regimen."""

import numpy as np
import pytest

from neuroscape.errors import ProtocolError
from neuroscape.manage.targets import (
    attainment,
    load_profile,
    parse_profile,
    profile_names,
    resolve_reference,
)
from neuroscape.model.library import default_network
from neuroscape.pharmacology.network import network_for
from neuroscape.plan import Plan, add_dose
from neuroscape.simulate import simulate
from neuroscape.subject import Subject


def _profile(**band):
    base = dict(id="b", quantity="brain.serotonin.extracellular", region="cortex", low=1.0, high=2.0,
                rationale="r", source="assumed")
    base.update(band)
    return {"profile": 1, "name": "t", "bands": [base]}


def test_shipped_profiles_load_and_every_band_names_a_readout_of_its_network():
    assert {"ssri-efficacy", "antipsychotic-window", "tdm-agnp2017", "serotonin-reference-band",
            "low-serotonergic-tone"} <= set(profile_names())
    for name in profile_names():
        profile = load_profile(name)
        for band in profile.bands:
            net = network_for((band.when_dosed,)) if band.when_dosed else default_network()
            if band.quantity.startswith(("occupancy.", "plasma.")) and not band.when_dosed:
                net = network_for(("escitalopram", "haloperidol"))
            for q in (band.quantity, *band.plus):
                net.readout(q, band.region)  # raises ModelError if the readout does not exist


@pytest.mark.parametrize("change, message", [
    (dict(low=2.0, high=1.0), "lower bound (2) must be below its upper bound (1)"),
    (dict(quantity="brain.serotonin.extracelular"), "'brain.serotonin.extracelular' is not a readout quantity"),
    (dict(region="amygdala"), "bands[0].region: 'amygdala' is not a region"),
    (dict(source="nobody2099"), "bands[0].source: 'nobody2099' is not a reference key"),
    (dict(low=None, high=None), "a band needs low and/or high"),
    (dict(reference="population", low_percentile=25), "takes its bounds from the reference band"),
    (dict(statistic="median"), "bands.0.statistic: Input should be 'min', 'max', 'mean' or 'time_in_band'"),
    (dict(weigth=2.0), "bands.0.weigth: Extra inputs are not permitted"),
    (dict(when_dosed="aspirin"), "bands[0].when_dosed: 'aspirin' is not a library drug"),
])
def test_a_malformed_profile_names_the_key_and_the_fix(change, message):
    with pytest.raises(ProtocolError, match="not a valid target profile") as err:
        parse_profile(_profile(**change), "mine.yaml")
    assert message in str(err.value) and "mine.yaml" in str(err.value)


def test_duplicate_band_ids_and_unknown_files_are_refused(tmp_path):
    data = _profile()
    data["bands"].append(dict(data["bands"][0]))
    with pytest.raises(ProtocolError, match="'b' is used twice"):
        parse_profile(data)
    with pytest.raises(ProtocolError, match="no such file and not a shipped profile; shipped: antipsychotic"):
        load_profile(tmp_path / "missing.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("name: caf\xe9".encode("latin-1"))
    with pytest.raises(ProtocolError, match="not UTF-8"):
        load_profile(bad)


def test_time_in_band_of_a_ramp_is_the_analytic_fraction():
    # v(t) = t over a 0-10 h window; band [2, 5] holds it for 3 of 10 hours
    t = np.linspace(0.0, 10.0, 2001)
    profile = parse_profile(_profile(low=2.0, high=5.0, statistic="time_in_band", min_time_in_band=0.3))
    res = attainment(profile, lambda band: (t, t[None, :]), horizon_h=10.0)
    assert res.statistic[0, 0] == pytest.approx(0.3, abs=2e-3)
    assert bool(res.attained[0, 0])  # 0.3 >= 0.3 within the rule's slack
    stricter = parse_profile(_profile(low=2.0, high=5.0, statistic="time_in_band", min_time_in_band=0.5))
    res = attainment(stricter, lambda band: (t, t[None, :]), horizon_h=10.0)
    assert not res.attained[0, 0]
    # loss: shortfall 0.2 of time, plus the median 5.0 at the upper bound (0 outside)
    assert res.loss[0, 0] == pytest.approx(0.2, abs=2e-3)


def test_min_statistic_is_compared_with_both_bounds():
    t = np.linspace(0.0, 24.0, 97)
    v = np.array([c + 0.25 * np.sin(2 * np.pi * t / 24) for c in (1.5, 2.5, 0.5)])
    profile = parse_profile(_profile(low=1.0, high=2.0, statistic="min"))
    res = attainment(profile, lambda band: (t, v), horizon_h=24.0)
    assert res.statistic[0] == pytest.approx([1.25, 2.25, 0.25], abs=1e-3)
    assert res.attained[0].tolist() == [True, False, False]
    # distance outside [1, 2] in band widths: 0, 0.25, 0.75
    assert res.loss[0] == pytest.approx([0.0, 0.25, 0.75], abs=1e-3)
    # (max - min) / mean: 0.5 / c
    assert res.fluctuation[0] == pytest.approx([0.5 / 1.5, 0.5 / 2.5, 0.5 / 0.5], rel=1e-3)


def test_a_band_for_an_undosed_drug_does_not_apply_and_windows_must_fit_the_horizon():
    profile = load_profile("tdm-agnp2017")
    t = np.linspace(0, 700, 701)
    res = attainment(profile, lambda band: (t, np.full((2, t.size), 40.0)), horizon_h=700.0,
                     dosed=("escitalopram",))
    esc = res.band_ids.index("escitalopram")
    assert res.applies.sum() == 1 and res.applies[esc]
    assert res.attained[esc].all() and res.jointly.all()
    with pytest.raises(ProtocolError, match="window 336-200 h is empty"):
        attainment(profile, lambda band: (t, np.ones((1, t.size))), horizon_h=200.0, dosed=("escitalopram",))


def test_population_bands_take_their_bounds_from_the_reference_sample():
    profile = load_profile("low-serotonergic-tone")
    sample = np.arange(1.0, 101.0)  # percentiles are analytic: p25 = 25.75, p75 = 75.25, p95 = 95.05
    resolved = resolve_reference(profile, lambda q, r: sample)
    middle, ceiling = resolved.bands
    assert (middle.low, middle.high) == pytest.approx((25.75, 75.25))
    assert ceiling.low is None and ceiling.high == pytest.approx(95.05)
    with pytest.raises(ProtocolError, match="resolve_reference first"):
        attainment(profile, lambda band: (np.array([0.0, 1.0]), np.ones((1, 2))), horizon_h=400.0)


def test_ssri_profile_on_a_simulated_escitalopram_course():
    """Consistency of the scoring with the simulation it reads: the statistic is the simulated trough,
    and a higher dose raises it (occupancy is monotone in dose)."""
    profile = load_profile("ssri-efficacy")
    horizon = 21 * 24.0
    t = np.arange(0.0, horizon + 0.25, 0.25)
    troughs = []
    for dose in (5.0, 20.0):
        traj = simulate(Subject(), add_dose(Plan(), "escitalopram", 0.0, dose, every_h=24, count=21), times=t)
        occ = traj.readout("occupancy.SERT")
        res = attainment(profile, lambda band: (t, occ[None, :]), horizon_h=horizon, dosed=("escitalopram",))
        window = t >= profile.settle_h
        assert res.statistic[0, 0] == pytest.approx(occ[window].min(), abs=1e-12)
        troughs.append(res.statistic[0, 0])
    assert troughs[0] < troughs[1]
    assert 0.5 < troughs[0] < troughs[1] < 0.88  # below Emax 0.88 (meyer2007)
