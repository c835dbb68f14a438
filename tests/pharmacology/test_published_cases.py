"""Published cases the library was not built on: other doses, single doses, time courses and phenotypes.

An audit (2025) of the drug library against published numbers beyond the typical-regimen checks in
test_reference_ranges.py: PET occupancy at other doses and after single doses, dose non-linearity,
poor-metaboliser ratios and single-dose levodopa. Each check gives the published value and its source
in a comment; checks the model does not reproduce are strict xfails with the model's number in the
reason, so a fix shows up. Table and discussion: docs/pharmacology.md, section 10 ("Audit").
"""

from functools import cache

import numpy as np
import pytest

from neuroscape.plan import Plan, add_dose
from neuroscape.simulate import simulate
from neuroscape.subject import Subject

ADULT = Subject(weight_kg=70.0)


@cache
def _steady(drug, dose_mg, every_h, days, genotype=None):
    """Last dosing interval after `days` of dosing: (t since the last dose, trajectory)."""
    subject = Subject(weight_kg=70.0, genotypes=dict([genotype])) if genotype else ADULT
    count = round(days * 24 / every_h)
    plan = add_dose(Plan(), drug, 0.0, dose_mg, every_h=every_h, count=count)
    t = np.linspace(0.0, every_h, 97)
    return t, simulate(subject, plan, times=(count - 1) * every_h + t)


@cache
def _single(drug, dose_mg, hours=48.0, step=0.25):
    t = np.arange(0.0, hours + 1e-9, step)
    return t, simulate(ADULT, add_dose(Plan(), drug, 0.0, dose_mg), times=t)


def _avg(t, c):
    return float(np.trapezoid(c, t) / (t[-1] - t[0]))


def _at(t, c, hour):
    return float(np.interp(hour, t, c))


# --------------------------------------------------------------------------------------------
# 1. SERT occupancy after a single dose (sert_timecourse2016: [11C]DASB at 4, 24 and 48 h in healthy
#    volunteers). The abstract gives the range over the escitalopram 10 mg, 20 mg and sertraline 50 mg
#    arms (69.1-77.9% at 4 h, 52.8-57.8% at 48 h), not each arm: every arm is checked against that range
#    widened by 5 points (the SSRI occupancy band of test_reference_ranges.py).
#    The SSRI EC50s were derived from steady-state PET (meyer2001/2004, klein2007), so these single-dose
#    checks test the PK (absorption, washout) and the assumption of plasma-brain equilibrium.
# --------------------------------------------------------------------------------------------

def _sert(drug, dose, hour):
    t, tr = _single(drug, dose)
    return _at(t, tr.readout("occupancy.SERT"), hour)


SINGLE_DOSE_SERT = [
    ("escitalopram 10 mg, 4 h", "escitalopram", 10.0, 4.0, 0.641, 0.829),
    ("escitalopram 10 mg, 48 h", "escitalopram", 10.0, 48.0, 0.478, 0.628),
    ("escitalopram 20 mg, 4 h", "escitalopram", 20.0, 4.0, 0.641, 0.829),
    ("sertraline 50 mg, 4 h", "sertraline", 50.0, 4.0, 0.641, 0.829),
    ("sertraline 50 mg, 48 h", "sertraline", 50.0, 48.0, 0.478, 0.628),
]

SINGLE_DOSE_SERT_XFAIL = [
    # The 48-h value of the three arms is at most 57.8%; the model keeps 20 mg at 0.70 (10 mg: 0.58), i.e.
    # its occupancy falls too little between 4 and 48 h at the higher dose (EC50 1.0 ng/mL from klein2007's
    # steady state; a slower brain equilibration or a higher single-dose EC50 is not modelled).
    ("escitalopram 20 mg, 48 h", "escitalopram", 20.0, 48.0, 0.478, 0.628,
     "model 0.70 vs <= 0.578 (sert_timecourse2016, range over three arms)"),
    # Paroxetine 20 mg single dose: 44.6% at 4 h, 10.3% at 48 h. With the saturable first pass and the
    # CYP2D6 auto-inactivation the model's plasma level after one 20 mg dose matches a bioequivalence study
    # (Cmax 5.6 vs 5.1-5.4 ng/mL at 5.2 h, shi2012), but the occupancy stays high (0.74 / 0.45, was
    # 0.81 / 0.61): with the steady-state PET EC50 (1.0 ng/mL, meyer2001) 44.6% needs ~1 ng/mL at 4 h.
    # Slow brain equilibration, or a single-dose cohort with lower exposure, is not modelled. Revisited (issue 18):
    # an effect compartment cannot lower a 48-h value (the effect site lags above falling plasma), the study's
    # authors attribute paroxetine's low occupancy to low single-dose plasma levels (not reported), and the
    # escitalopram EC50 is a midbrain one (klein2007) where occupancy runs regionally higher (Baldinger 2014);
    # the study's per-arm values, region and plasma levels would settle it (docs/pharmacology.md section 10).
    ("paroxetine 20 mg, 4 h", "paroxetine", 20.0, 4.0, 0.396, 0.496,
     "model 0.74 vs 0.446 (sert_timecourse2016) at plasma 5.5 ng/mL (shi2012 single-dose Cmax ~5.3)"),
    ("paroxetine 20 mg, 48 h", "paroxetine", 20.0, 48.0, 0.053, 0.153,
     "model 0.45 vs 0.103 (sert_timecourse2016) at plasma 1.1 ng/mL"),
]


@pytest.mark.parametrize("label,drug,dose,hour,low,high", SINGLE_DOSE_SERT, ids=[c[0] for c in SINGLE_DOSE_SERT])
def test_single_dose_sert_occupancy_time_course(label, drug, dose, hour, low, high):
    value = _sert(drug, dose, hour)
    assert low <= value <= high, f"{label}: model {value:.3f}, published {low}-{high}"


@pytest.mark.parametrize("label,drug,dose,hour,low,high,reason", [
    pytest.param(*c, id=c[0], marks=pytest.mark.xfail(strict=True, reason=c[-1])) for c in SINGLE_DOSE_SERT_XFAIL])
def test_single_dose_sert_occupancy_known_gaps(label, drug, dose, hour, low, high, reason):
    value = _sert(drug, dose, hour)
    assert low <= value <= high, f"{label}: model {value:.3f}, published {low}-{high} ({reason})"


def test_sert_occupancy_rises_hyperbolically_with_dose():
    # meyer2004 (abstract): "substantial occupancy at subtherapeutic doses", "as the dose increased,
    # occupancy increased nonlinearly, with a plateau"; ~80% at the minimum therapeutic dose.
    # Sorensen 2022 (Mol Psychiatry, systematic review, abstract): hyperbolic, plateau ~80% at the usual
    # minimum dose. Checked: at a quarter of the minimum dose occupancy is still >= 0.5 and at four times
    # it no more than 0.1 above the minimum-dose value.
    for drug, dmin, days in (("citalopram", 20.0, 28), ("escitalopram", 10.0, 21), ("paroxetine", 20.0, 28),
                             ("sertraline", 50.0, 28), ("fluoxetine", 20.0, 56)):
        occ = {}
        for factor in (0.25, 1.0, 4.0):
            t, tr = _steady(drug, dmin * factor, 24.0, days)
            occ[factor] = _avg(t, tr.readout("occupancy.SERT"))
        assert 0.50 <= occ[0.25] < occ[1.0] < occ[4.0], (drug, occ)
        assert occ[4.0] - occ[1.0] <= 0.10, (drug, occ)


# --------------------------------------------------------------------------------------------
# 2. D2 occupancy at other doses
# --------------------------------------------------------------------------------------------

def _d2(drug, dose):
    t, tr = _steady(drug, dose, 24.0, 14)
    return _avg(t, tr.readout("occupancy.D2"))


def test_haloperidol_low_dose_d2_occupancy():
    # kapur2000: first-episode patients on haloperidol 1.0 or 2.5 mg/d for 2 weeks, striatal D2 occupancy
    # 38-87% over all patients (abstract; per-dose means not given). Both doses within the range, and the
    # 2.5 mg mean above the 1 mg mean. Model: 0.56 and 0.76 (EC50 0.40 ng/mL, fitzgerald2000).
    low, high = _d2("haloperidol", 1.0), _d2("haloperidol", 2.5)
    assert 0.38 <= low < high <= 0.87, (low, high)


@pytest.mark.xfail(strict=True, reason="model 0.76 vs 0.655 (45-75%), dehaan2003 (SPECT [123I]IBZM, "
                   "which reads lower than [11C]raclopride PET; within kapur2000's PET range)")
def test_haloperidol_2_5_mg_d2_occupancy_spect():
    # dehaan2003: haloperidol 2.5 mg/d for 6 weeks, D2 occupancy 65.5% (range 45-75%).
    value = _d2("haloperidol", 2.5)
    assert 0.45 <= value <= 0.75, value


def test_risperidone_single_dose_d2_occupancy():
    # kodaka2011 (abstract, via the risperidone file and V05): single 0.5-2 mg doses in healthy men, dose ED50
    # 1.03 mg. Only the plasma EC50 (8.0 ng/mL) was taken from that study; the dose-occupancy relation also
    # tests risperidone + paliperidone PK after one dose. Peak occupancy against the hyperbola
    # Occmax * D / (1.03 + D) with Occmax 0.88 (kapur1999) or 1.0 (form not read), +/- 0.07 (V05 tolerance).
    for dose in (0.5, 1.0, 2.0):
        t, tr = _single("risperidone", dose, hours=24.0)
        peak = float(tr.readout("occupancy.D2").max())
        lo, hi = 0.88 * dose / (1.03 + dose) - 0.07, 1.0 * dose / (1.03 + dose) + 0.07
        assert lo <= peak <= hi, (dose, peak, lo, hi)


# --------------------------------------------------------------------------------------------
# 3. Non-linear and phenotype-dependent PK
# --------------------------------------------------------------------------------------------

def test_paroxetine_trough_rises_more_than_dose():
    # paxil_label (dose-proportionality studies, 20-50 mg/d): "In comparison to Cmin values after 20 mg
    # daily, values after 40 mg daily were only about 2 to 3 times greater than doubled" -- read as a
    # Cmin ratio of 2-3 for a doubling of dose (the saturable CYP2D6 route). Model: 2.2 (2.5 with the
    # earlier Vmax/Km).
    ratio = _steady("paroxetine", 40.0, 24.0, 28)[1].readout("plasma.paroxetine")[-1] / \
        _steady("paroxetine", 20.0, 24.0, 28)[1].readout("plasma.paroxetine")[-1]
    assert 2.0 < ratio <= 3.0, ratio


@pytest.mark.fit_check
def test_paroxetine_poor_metaboliser_steady_state():
    # sindrup1992: 30 mg/d, Css 151 nmol/L (49.7 ng/mL) in CYP2D6 poor metabolisers. Consistency check:
    # the file's CYP3A4 clearance was derived from the PM CL/F. Model 51.9.
    t, pm = _steady("paroxetine", 30.0, 24.0, 28, ("CYP2D6", "poor"))
    assert _avg(t, pm.readout("plasma.paroxetine")) == pytest.approx(49.7, rel=0.35)


@pytest.mark.xfail(strict=True, reason="model PM/EM 1.07 vs 1.86 (sindrup1992; rudesheim2022 PBPK 3.4): "
                   "EM Cavg 48.3 ng/mL matches paxil_label (Cavg 46.8) but not sindrup1992's EMs (26.7); "
                   "the CYP2D6 inactivation (KI read against total plasma) leaves EMs ~2% CYP2D6 at 30 mg/d")
def test_paroxetine_poor_to_extensive_metaboliser_ratio():
    # sindrup1992: 30 mg/d, Css 151 nmol/L in CYP2D6 poor metabolisers, 81 nmol/L in extensive ones.
    t, em = _steady("paroxetine", 30.0, 24.0, 28)
    _, pm = _steady("paroxetine", 30.0, 24.0, 28, ("CYP2D6", "poor"))
    c_em, c_pm = _avg(t, em.readout("plasma.paroxetine")), _avg(t, pm.readout("plasma.paroxetine"))
    assert c_pm / c_em == pytest.approx(151 / 81, rel=0.25)


def test_paroxetine_30mg_label_steady_state():
    # paxil_label (recalled, not re-read): 30 mg daily for 30 days, mean Cmax 61.7 ng/mL (CV 45%),
    # Cmin 30.7 ng/mL (CV 67%), t1/2 21 h; AUC 1123 ng.h/mL (recalled; Cavg 46.8). Band: one CV around
    # the mean. Model 54.6 / 40.0 (33.5 / 18.7 with the earlier steady-state Vmax/Km, which followed
    # sindrup1992's EMs).
    t, tr = _steady("paroxetine", 30.0, 24.0, 30)
    c = tr.readout("plasma.paroxetine")
    assert 61.7 / 1.45 <= c.max() <= 61.7 * 1.45 and 30.7 / 1.67 <= c[-1] <= 30.7 * 1.67


def test_citalopram_cyp2c19_poor_metaboliser_exposure():
    # celexa_label (recalled, not re-read: the label text was not found in the search corpus): in CYP2C19 poor
    # metabolisers steady-state citalopram AUC is about twice (+107%) that of extensive metabolisers. Band
    # 1.7-2.5. A test, not a fit: citalopram.yaml's CYP2C19 share comes from its enantiomers (S 37.9% of the
    # racemic AUC, sidhu1997; S-citalopram PM ratio 3.3, jukic2018; R-citalopram ~1.0 from the omeprazole
    # interaction, gjestad2015), giving 1.87. Was a strict xfail at 1.39 (in vitro CYP2C19 share 37%).
    t, em = _steady("citalopram", 20.0, 24.0, 28)
    _, pm = _steady("citalopram", 20.0, 24.0, 28, ("CYP2C19", "poor"))
    ratio = _avg(t, pm.readout("plasma.citalopram")) / _avg(t, em.readout("plasma.citalopram"))
    assert 1.7 <= ratio <= 2.5, ratio


def test_venlafaxine_cyp2d6_poor_metaboliser_shifts_parent_to_metabolite():
    # effexor_label / Medical Genetics Summaries (venlafaxine, 2020): in CYP2D6 PMs venlafaxine is high and
    # ODV low; the ODV/venlafaxine ratio separates EMs from PMs (ratio < 1 in PMs). Model (75 mg bid):
    # venlafaxine x3.95, ODV x0.20, ODV/V 3.2 (EM) and 0.16 (PM); x2.3 and x0.12 before the enantiomer-based
    # CYP2D6 share (venlafaxine.yaml).
    t, em = _steady("venlafaxine", 75.0, 12.0, 10)
    _, pm = _steady("venlafaxine", 75.0, 12.0, 10, ("CYP2D6", "poor"))
    v = [_avg(t, x.readout("plasma.venlafaxine")) for x in (em, pm)]
    o = [_avg(t, x.readout("plasma.desvenlafaxine")) for x in (em, pm)]
    assert v[1] > 2.0 * v[0] and o[1] < 0.5 * o[0]
    assert o[0] / v[0] > 1.0 > o[1] / v[1]


def test_venlafaxine_poor_metaboliser_active_moiety():
    # effexor_label (as summarised in Medical Genetics Summaries, venlafaxine 2020): the total
    # concentration of active compounds (venlafaxine + ODV) is similar in CYP2D6 PMs and EMs (and not
    # affected by imipramine's partial CYP2D6 inhibition). Band 0.8-1.25. A test, not a fit: the CYP2D6 share
    # comes from the enantiomer clearances of eap2003 (racemic PM/EM 3.95); was a strict xfail at 0.64.
    t, em = _steady("venlafaxine", 75.0, 12.0, 10)
    _, pm = _steady("venlafaxine", 75.0, 12.0, 10, ("CYP2D6", "poor"))
    total = [_avg(t, x.readout("plasma.venlafaxine")) + _avg(t, x.readout("plasma.desvenlafaxine"))
             for x in (em, pm)]
    assert 0.8 <= total[1] / total[0] <= 1.25, total


@pytest.mark.fit_check
def test_levodopa_half_life_with_carbidopa():
    # nutt1985 / sinemet_label: levodopa's elimination half-life with carbidopa is ~1.5 h (45 min alone).
    # Terminal slope 3-8 h after levodopa 100 mg + carbidopa 25 mg; +/-35% (the library's tolerance).
    # Model 1.23 h: carbidopa's AADC inhibition wanes over those hours, so the slope is a little steeper.
    t = np.arange(0.0, 12.0001, 0.05)
    plan = add_dose(add_dose(Plan(), "levodopa", 0.0, 100.0), "carbidopa", 0.0, 25.0)
    c = simulate(ADULT, plan, times=t).readout("plasma.levodopa")
    late = (t > 3.0) & (t < 8.0)
    half_life = np.log(2) / -np.polyfit(t[late], np.log(c[late]), 1)[0]
    assert 1.5 / 1.35 <= half_life <= 1.5 * 1.35, half_life
