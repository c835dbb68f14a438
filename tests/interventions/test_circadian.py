"""The daily rhythm (protocol key `circadian`) and sleep deprivation, against their sources."""

import numpy as np
import pytest

from neuroscape.errors import ProtocolError
from neuroscape.interventions import circadian as day
from neuroscape.protocol.run import run_protocol
from neuroscape.protocol.schema import parse_protocol


def _run(readouts, **extra):
    data = {"protocol": 1, "name": "day", "readouts": readouts, **extra}
    return run_protocol(parse_protocol(data)).readouts


def test_cortisol_curve_has_the_published_peak_nadir_and_mean():
    h = np.linspace(0, 24, 24 * 60, endpoint=False)
    c = day.cortisol_nmol_l(h)
    # Debono 2009: peak 15.5 ug/dL (428 nmol/L) at 08:32, nadir < 2.0 ug/dL (55 nmol/L) at 00:18
    assert c.max() == pytest.approx(428, abs=1) and h[c.argmax()] == pytest.approx(8.53, abs=0.05)
    assert c.min() == pytest.approx(55, abs=1) and h[c.argmin()] == pytest.approx(0.3, abs=0.05)
    assert c.mean() == pytest.approx(200, rel=1e-6)
    # Hindmarsh 2011: about 36% of the day's cortisol falls between 00:00 and 08:00
    assert c[h < 8].sum() / c.sum() == pytest.approx(0.36, abs=0.01)


def test_hourly_holds_keep_the_24h_mean_so_the_steady_state_is_the_mean():
    holds = day.cortisol_rhythm(8.5, 48.0)
    widths = np.array([b - a for _, a, b, _, _ in holds])
    folds = np.array([v for *_, v, _ in holds])
    assert holds[0][1:3] == (0.0, 0.5)  # aligned to the clock hour
    assert float(np.sum(widths * folds) / 48.0) == pytest.approx(1.0, abs=1e-9)


def test_protocol_rhythm_follows_clock_start():
    ro = [{"id": "c", "quantity": "plasma.cortisol", "at_h": [0.5, 16.5], "relative_to": "baseline"}]
    morning = _run(ro, circadian={"cortisol": True})["c"]["value"]  # 08:30 and 00:30
    assert morning[0] == pytest.approx(428 / 200, rel=0.02) and morning[1] == pytest.approx(55 / 200, rel=0.1)
    evening = _run(ro, circadian={"cortisol": True}, clock_start="16:00")["c"]["value"]  # 16:30, 08:30
    assert evening[1] == pytest.approx(morning[0], rel=1e-9) and evening[0] < 0.7


def test_rhythm_moves_tdo_and_plasma_trp_around_their_baseline():
    ro = [{"id": "tdo", "quantity": "activity.TDO", "at_h": list(range(48, 73)), "relative_to": "baseline"},
          {"id": "trp", "quantity": "plasma.tryptophan", "at_h": list(range(48, 73)), "relative_to": "baseline"}]
    out = _run(ro, circadian={})
    tdo, trp = np.array(out["tdo"]["value"]), np.array(out["trp"]["value"])
    # TDO (2 h half-life) follows cortisol: highest in the late morning, lowest in the evening
    assert 1.15 < tdo.max() < 1.4 and 0.6 < tdo.min() < 0.8
    assert abs(trp.mean() - 1) < 0.05 and trp.max() - trp.min() > 0.08


def test_no_circadian_key_means_no_rhythm():
    ro = [{"id": "c", "quantity": "plasma.cortisol", "at_h": [0, 8, 16], "relative_to": "baseline"}]
    assert _run(ro)["c"]["value"] == [1.0, 1.0, 1.0]


def test_nightly_sleep_at_the_protocol_bedtime():
    ro = [{"id": "f", "quantity": "firing.raphe", "at_h": [4, 20, 28]}]  # 12:00, 04:00, 12:00
    firing = _run(ro, circadian={"cortisol": False, "sleep": "23:00-07:00"})["f"]["value"]
    assert abs(firing[0] - 1) < 1e-6 and firing[1] < 0.8 and abs(firing[2] - 1) < 0.35


def test_total_sleep_deprivation_keeps_waking_drive_and_raises_next_evening_cortisol():
    ro = [{"id": "f", "quantity": "firing.raphe", "at_h": [20]},
          {"id": "c", "quantity": "plasma.cortisol", "at_h": [12, 35, 40], "relative_to": "baseline"}]
    out = _run(ro, circadian={"cortisol": False, "sleep": "23:00-07:00"},
               interventions=[{"sleep_deprivation": "total", "start_h": 0, "duration_h": 36}])
    assert out["f"]["value"][0] == pytest.approx(1.0, abs=1e-3)  # awake at 04:00
    # Leproult 1997: +45% over 18:00-23:00 the evening after a night without sleep; 20:00 next is 1
    assert out["c"]["value"] == pytest.approx([1.0, 1.45, 1.0])


def test_partial_sleep_deprivation_raises_evening_cortisol_less():
    # awake 23:00-04:00, as in Leproult 1997's partial deprivation (+37%); without circadian.sleep the
    # habitual night is 23:00-07:00
    ro = [{"id": "c", "quantity": "plasma.cortisol", "at_h": [35], "relative_to": "baseline"}]
    out = _run(ro, interventions=[{"sleep_deprivation": "partial", "start_h": 15, "duration_h": 5}])
    assert out["c"]["value"] == pytest.approx([1.37])


def test_deprivation_cortisol_rides_on_the_rhythm():
    ro = [{"id": "c", "quantity": "plasma.cortisol", "at_h": [11.5, 35.5], "relative_to": "baseline"}]
    out = _run(ro, circadian={}, interventions=[{"sleep_deprivation": "total", "start_h": 0, "duration_h": 36}])
    assert out["c"]["value"][1] == pytest.approx(1.45 * out["c"]["value"][0], rel=1e-9)


def test_bad_clock_texts_teach():
    with pytest.raises(ProtocolError, match=r"sleep: '23:00' is not a clock window; write \"HH:MM-HH:MM\""):
        day.clock_window("23:00", "sleep")
    with pytest.raises(ProtocolError, match=r"clock_start: '25:00' is not a clock time"):
        day.clock_hours("25:00", "clock_start")
