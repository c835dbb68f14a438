"""Hormone therapy by dose_mg (PROTOCOL.md `hormone`): one-compartment oral PK per hormone whose dosed
level adds to the endogenous one, against Yen 1975 and Kuhl 2005 (estradiol), the Prometrium label
and Maxson 1985 (progesterone), Derendorf 1991 and Thomson 2007 (hydrocortisone)."""

import numpy as np
import pytest

from neuroscape.errors import NotModelledError, ProtocolError
from neuroscape.model.parameters import load_table
from neuroscape.protocol.run import run_protocol
from neuroscape.protocol.schema import parse_protocol

POSTMENOPAUSAL = {"sex": "female", "reproductive_stage": "postmenopausal", "weight_kg": 70}
E2_PMOL_PER_PG_ML = 1000 / 272.38   # pg/mL -> pmol/L
P4_NG_ML_PER_NMOL = 314.47 / 1000   # nmol/L -> ng/mL


def _run(interventions, readouts, subject=None):
    doc = {"protocol": 1, "name": "hormone-therapy", "interventions": interventions, "readouts": readouts}
    if subject is not None:
        doc["subject"] = subject
    return run_protocol(parse_protocol(doc)).readouts


def _series(quantity, times, interventions, subject=None, **extra):
    out = _run(interventions, [{"id": "x", "quantity": quantity, "at_h": list(times), **extra}], subject)
    return np.asarray(out["x"]["value"])


@pytest.mark.fit_check
def test_oral_estradiol_2mg_peaks_at_5h_with_the_published_rise():
    times = np.arange(0.0, 24.01, 0.25)
    e2 = _series("plasma.estradiol", times, [{"hormone": "estradiol", "dose_mg": 2}], POSTMENOPAUSAL)
    assert e2[0] == pytest.approx(18.5)  # the postmenopausal baseline, to which the dose adds
    k = int(e2.argmax())
    assert 4.5 <= times[k] <= 5.5  # Yen 1975: maximum at 5 h
    # Yen 1975: +89.5 pg/mL at the peak (110 pg/mL, a 437% increase over baseline)
    assert (e2[k] - e2[0]) / E2_PMOL_PER_PG_ML == pytest.approx(89.5, rel=0.05)


@pytest.mark.fit_check
def test_oral_estradiol_declines_with_the_13_to_20h_apparent_half_life():
    e2 = _series("plasma.estradiol", [24, 48], [{"hormone": "estradiol", "dose_mg": 2}], POSTMENOPAUSAL)
    half_life = 24 * np.log(2) / np.log((e2[0] - 18.5) / (e2[1] - 18.5))
    assert 13 <= half_life <= 20  # Kuhl 2005


def test_daily_estradiol_accumulates_and_scales_with_dose():
    daily = np.arange(24 * 13, 24 * 14 + 0.01, 1.0)  # the 14th dosing day
    means = []
    for dose in (1, 2):
        e2 = _series("plasma.estradiol", daily,
                     [{"hormone": "estradiol", "dose_mg": dose, "every_h": 24, "count": 14}], POSTMENOPAUSAL)
        means.append(float(e2.mean()) / E2_PMOL_PER_PG_ML)
    # linear PK: the dosed part doubles with the dose (baseline 18.5 pmol/L = 5 pg/mL on top)
    assert (means[1] - 5.04) == pytest.approx(2 * (means[0] - 5.04), rel=0.01)
    # oral estradiol 2 mg/day is expected to give a daily mean within 50-180 pg/mL (range quoted for the
    # Estrace label / Lobo 2007; not read here): the model gives about 112
    assert 50 <= means[1] <= 180


@pytest.mark.fit_check
def test_oral_progesterone_matches_the_label_auc_and_the_measured_peak():
    times = np.arange(0.0, 24.01, 0.25)
    p4 = _series("plasma.progesterone", times, [{"hormone": "progesterone", "dose_mg": 200}], POSTMENOPAUSAL)
    k = int(p4.argmax())
    assert 1.5 <= times[k] <= 2.8  # label Tmax 1.5-2.3 h, Maxson 1985 2.8 h
    assert p4[k] * P4_NG_ML_PER_NMOL == pytest.approx(17.0, abs=4.9)  # Maxson 1985: 17.0 +- 4.9 ng/mL
    assert p4[-1] < 2 * p4[0]  # back near baseline by 24 h (Maxson 1985)
    # label: AUC(0-10 h) after the 5th daily 200 mg dose 101.2 ng.h/mL (baseline excluded here)
    day5 = np.arange(96.0, 106.01, 0.1)
    p4 = _series("plasma.progesterone", day5,
                 [{"hormone": "progesterone", "dose_mg": 200, "every_h": 24, "count": 5}], POSTMENOPAUSAL)
    auc = np.trapezoid((p4 - 0.7) * P4_NG_ML_PER_NMOL, day5)
    assert auc == pytest.approx(101.2, rel=0.1)


@pytest.mark.fit_check
def test_hydrocortisone_20mg_peak_time_and_half_life():
    times = np.arange(0.0, 12.01, 0.1)
    cort = _series("plasma.cortisol", times, [{"hormone": "hydrocortisone", "dose_mg": 20}],
                   {"weight_kg": 70})
    assert cort[0] == pytest.approx(200)  # the 24-h mean baseline, to which the dose adds
    k = int(cort.argmax())
    assert 0.8 <= times[k] <= 1.6  # Derendorf 1991: Tmax 1.2 +- 0.4 h
    assert 422 <= cort[k] - cort[0] <= 1554  # Thomson 2007: oral Cmax 422-1554 nmol/L
    late = (cort[times.searchsorted(6.0)] - 200) / (cort[times.searchsorted(8.0)] - 200)
    assert 1.2 <= 2 / np.log2(late) <= 2.0  # Derendorf 1991: elimination half-life 1.2-2.0 h


def test_hydrocortisone_induces_tdo_and_iv_is_immediate():
    tdo = _series("activity.TDO", [0, 8], [{"hormone": "cortisol", "dose_mg": 20, "every_h": 8, "count": 3}])
    assert tdo[1] > 1.2
    cort = _series("plasma.cortisol", [0], [{"hormone": "cortisol", "dose_mg": 50, "route": "iv"}],
                   {"weight_kg": 70})
    assert cort[0] - 200 == pytest.approx(50e6 / 362.46 / 40.4, rel=0.01)  # dose / V at once


def test_estradiol_therapy_raises_raphe_tph2_like_a_fold():
    tph = _series("activity.TPH2", [0, 336], [{"hormone": "estradiol", "dose_mg": 2, "every_h": 24, "count": 14}],
                  POSTMENOPAUSAL, region="raphe", relative_to="baseline")
    # a postmenopausal woman (18.5 pmol/L) restored to about premenopausal estradiol: TPH2 close to the
    # premenopausal level, (350/18.5)^gain = 1.155; 2 mg/day averages somewhat below 350 pmol/L
    gain = load_table("hormones")["e2_tph2_gain"].value
    assert tph[1] == pytest.approx((350 / 18.5) ** gain, abs=0.02)


def test_bad_hormone_doses_teach():
    with pytest.raises(NotModelledError, match=r"'iv' is not modelled for estradiol; allowed: oral"):
        _series("plasma.estradiol", [1], [{"hormone": "estradiol", "dose_mg": 2, "route": "iv"}])
    with pytest.raises(ProtocolError, match=r"more than 10x the label maximum daily dose of progesterone "
                                            r"\(400 mg\); allowed: up to 4000 mg"):
        _series("plasma.progesterone", [1], [{"hormone": "progesterone", "dose_mg": 5000}])
    with pytest.raises(ProtocolError, match=r"'thyroxine' cannot be dosed; allowed with dose_mg: cortisol, "
                                            r"estradiol, hydrocortisone, progesterone"):
        _series("plasma.cortisol", [1], [{"hormone": "thyroxine", "dose_mg": 2}])


# Allopregnanolone after oral progesterone: besides the saturable link from plasma progesterone
# (ceiling 1.30 nmol/L, Km 3.73 nmol/L), 1.76% of an oral dose reaches plasma as allopregnanolone in
# its first pass through gut wall and liver (allo_fp_frac, from Andreen 2006's dose-normalised exposure),
# cleared with brexanolone's IV clearance (89 L/h) and volume (210 L).
def test_allopregnanolone_after_1200mg_oral_progesterone_freeman1993():
    # Freeman 1993 (Neuroendocrinology 58:478): after 1200 mg, subjects with allopregnanolone + pregnanolone
    # above 95.55 nmol/L had side effects (allopregnanolone correlated with progesterone, r = 0.85); a
    # 10 nmol/L floor for allopregnanolone alone is a conservative reading. Held out of the calibration
    # (20 mg, Andreen 2006). The model peaks at 140 nmol/L (was 1.29 with the plasma link alone).
    allo = _series("plasma.allopregnanolone", [1, 2, 3, 4, 6], [{"hormone": "progesterone", "dose_mg": 1200}],
                   {"sex": "female", "cycle_day": 5})
    assert allo.max() >= 10.0


def test_allopregnanolone_rises_more_than_progesterone_after_20mg_andreen2006():
    # Andreen 2006 (Maturitas 54:238): 20 mg oral progesterone in 8 postmenopausal women raised AUC(0-12 h)
    # above the endogenous part by 127% (progesterone) and 196% (allopregnanolone): ratio 1.54. Not
    # independent: allo_fp_frac comes from the same study (with the GC-MS postmenopausal allopregnanolone/
    # progesterone ratio 0.39; the model's base ratio is 0.29, hence 1.72 here, was 0.48)
    t = np.arange(0.0, 12.01, 0.25)
    doses = [{"hormone": "progesterone", "dose_mg": 20}]
    p4 = _series("plasma.progesterone", t, doses, POSTMENOPAUSAL)
    allo = _series("plasma.allopregnanolone", t, doses, POSTMENOPAUSAL)
    rise = [np.trapezoid(x - x[0], t) / (x[0] * 12) for x in (p4, allo)]
    assert rise[1] > rise[0]
    assert rise[1] / rise[0] == pytest.approx(1.96 / 1.27, rel=0.25)


@pytest.mark.xfail(strict=True, reason=(
    "Andreen 2006: 20 mg oral progesterone raised progesterone AUC(0-12 h) 127% above the endogenous part "
    "(postmenopausal). The model gives +399% (allopregnanolone +687% against 196%): its progesterone PK "
    "(F 0.086, volume fitted to the immunoassay Prometrium label) puts 3x more progesterone in plasma per mg "
    "than this study, and the postmenopausal base progesterone is 0.7 nmol/L (not read in Andreen 2006)"))
def test_progesterone_auc_rise_after_20mg_andreen2006():
    t = np.arange(0.0, 12.01, 0.25)
    p4 = _series("plasma.progesterone", t, [{"hormone": "progesterone", "dose_mg": 20}], POSTMENOPAUSAL)
    assert np.trapezoid(p4 - p4[0], t) / (p4[0] * 12) == pytest.approx(1.27, rel=0.3)


def test_allopregnanolone_trough_on_20mg_twice_daily_is_in_the_cycle_range_andreen2006():
    # Andreen 2006: steady-state troughs on 20 mg twice daily were in the range of the menstrual cycle;
    # the model's own cycle range is 0.07 (follicular) to 1.15 nmol/L (luteal). Model: 0.40 nmol/L
    t = np.arange(132.0, 144.01, 0.25)
    allo = _series("plasma.allopregnanolone", t, [{"hormone": "progesterone", "dose_mg": 20, "every_h": 12,
                                                    "count": 12}], POSTMENOPAUSAL)
    assert 0.07 < allo.min() < 1.15


def test_allopregnanolone_peaks_about_2h_after_oral_progesterone_and_scales_with_dose():
    # Hughes-Medlicott 2025: allopregnanolone Cmax at 2 h after 200/400/600 mg, linear in dose (Cmax values
    # not read). Model: 1.75 h; 25.9 / 50.5 / 75.2 nmol/L (8.2 / 16.1 / 23.9 ng/mL)
    t = np.arange(0.0, 8.01, 0.25)
    peaks = []
    for dose in (200, 400, 600):
        allo = _series("plasma.allopregnanolone", t, [{"hormone": "progesterone", "dose_mg": dose}], POSTMENOPAUSAL)
        assert 1.0 <= t[int(allo.argmax())] <= 3.0
        peaks.append(allo.max() - allo[0])
    assert peaks[2] / peaks[0] == pytest.approx(3.0, rel=0.05)
