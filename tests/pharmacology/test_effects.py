"""Mechanism tests of the pharmacology layer: each checks a simulated number against an analytic
expectation from the wiring equations (pharmacology/network.py) and, where one exists, a published
finding (reference keys are those of pharmacology/data/references.yaml or model/data/references.yaml).

Compilation is the cost here (a few seconds per new drug combination, then cached on disk), so a few
combinations are compiled once and shared. A drug that is in a compiled model but not dosed has zero
concentration everywhere: its binding loads, inhibition terms and hooks are 0 and every equation is the
one of the model without it (checked to solver tolerance when this file was written).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from neuroscape import Plan, Subject, simulate
from neuroscape.engine.compiled import compile_network
from neuroscape.pharmacology import pgx
from neuroscape.pharmacology.library import load_drug
from neuroscape.pharmacology.network import network_for
from neuroscape.plan import add_dose

REFERENCE = Subject(weight_kg=70.0)  # the library's volumes and clearances are for 70 kg


@lru_cache(maxsize=None)
def model(*drugs: str):
    """The compiled model with these drugs (and their metabolites) wired in."""
    return compile_network(network_for(tuple(sorted(drugs))))


def auc(traj, quantity: str, start_h: float, end_h: float) -> float:
    """Trapezoidal AUC of a readout between two output times (fine output grids only)."""
    t = traj.times
    m = (t >= start_h) & (t <= end_h)
    return float(np.trapezoid(traj.readout(quantity)[m], t[m]))


def param(traj, name: str) -> float:
    """A parameter value as used for this subject (covariates applied)."""
    return float(traj.parameters[0, traj.model.param_index[name]])


# ---- 1. CYP2C19 phenotype and escitalopram exposure ----------------------------------------------

ESC_DAYS = 40  # a poor metaboliser's half-life is ~80 h here: 40 days is > 11 half-lives
ESC_TAU = (ESC_DAYS - 1) * 24.0
ESC_TIMES = np.concatenate([[0.0], np.linspace(ESC_TAU, ESC_TAU + 24.0, 193)])


@pytest.fixture(scope="module")
def escitalopram_exposure():
    plan = add_dose(Plan(), "escitalopram", 0.0, 10.0, every_h=24, count=ESC_DAYS)

    def steady_auc(subject: Subject) -> float:
        traj = simulate(subject, plan, ESC_TIMES, model=model("escitalopram"))
        return auc(traj, "plasma.escitalopram", ESC_TAU, ESC_TAU + 24.0)

    return steady_auc


@pytest.mark.fit_check
def test_cyp2c19_poor_metaboliser_escitalopram_exposure(escitalopram_exposure):
    drug = load_drug("escitalopram")
    cl_2c19 = next(p.clearance_L_per_h.value for p in drug.elimination if p.enzyme == "CYP2C19")
    fm = cl_2c19 / drug.total_clearance_L_per_h()
    m = pgx.clearance_multiplier("CYP2C19", "poor")
    normal = escitalopram_exposure(REFERENCE)
    poor = escitalopram_exposure(Subject(weight_kg=70.0, genotypes={"CYP2C19": "poor"}))
    # Steady-state AUC over a dosing interval = F dose / CL, so the ratio is CL_normal / CL_poor.
    assert poor / normal == pytest.approx(1.0 / (1.0 - fm + fm * m), rel=0.02)
    # And the absolute value: F dose / CL (10 mg, mg/L x 1000 = ng/mL)
    f = drug.absorption.bioavailability.value
    assert normal == pytest.approx(f * 10.0 / drug.total_clearance_L_per_h() * 1000.0, rel=0.01)
    # Jukic et al. 2018 (jukic2018): CYP2C19 poor metabolisers (Null/Null) had 3.3-fold the
    # dose-normalised escitalopram concentration of *1/*1. Not independent: fm was chosen from it.
    assert poor / normal == pytest.approx(3.3, rel=0.25)


def test_diplotype_and_phenotype_word_give_the_same_exposure(escitalopram_exposure):
    assert pgx.phenotype("CYP2C19", "*2/*2").phenotype == "poor"
    by_word = escitalopram_exposure(Subject(weight_kg=70.0, genotypes={"CYP2C19": "poor"}))
    by_diplotype = escitalopram_exposure(Subject(weight_kg=70.0, genotypes={"CYP2C19": "*2/*2"}))
    assert by_diplotype == pytest.approx(by_word, rel=1e-12)


# ---- 8. Weight scaling --------------------------------------------------------------------------

def test_clearance_scales_allometrically_with_weight(escitalopram_exposure):
    # subject.py: CL ~ W^0.75, V ~ W; steady-state AUC over an interval = F dose / CL ~ W^-0.75.
    light = escitalopram_exposure(REFERENCE)
    heavy = escitalopram_exposure(Subject(weight_kg=140.0))
    assert heavy / light == pytest.approx(2.0 ** -0.75, rel=0.02)


# ---- 2. Phenoconversion: paroxetine and risperidone (CYP2D6) -------------------------------------

RIS_START, RIS_TIMES = 21 * 24.0, np.concatenate([[0.0], np.arange(648.0, 672.01, 0.25)])


@pytest.fixture(scope="module")
def risperidone_arms():
    """Risperidone 2 mg/day on days 21-27, alone or after 3 weeks of paroxetine 20 mg/day (continued);
    the AUC is taken over the last dosing interval (day 27-28). Both arms in one compiled model."""
    m = model("paroxetine", "risperidone")
    ris = add_dose(Plan(), "risperidone", RIS_START, 2.0, every_h=24, count=7)
    both = add_dose(ris, "paroxetine", 0.0, 20.0, every_h=24, count=28)
    alone = simulate(REFERENCE, ris, RIS_TIMES, model=m)
    with_par = simulate(REFERENCE, both, RIS_TIMES, model=m)
    pm = simulate(Subject(weight_kg=70.0, genotypes={"CYP2D6": "*4/*4"}), ris, RIS_TIMES, model=m)
    return alone, with_par, pm


def test_paroxetine_phenoconverts_cyp2d6_for_risperidone(risperidone_arms):
    alone, with_par, pm = risperidone_arms
    a, b = RIS_TIMES[1], RIS_TIMES[-1]
    fold = auc(with_par, "plasma.risperidone", a, b) / auc(alone, "plasma.risperidone", a, b)
    # Analytic: CYP2D6 activity seen by risperidone = intact fraction (paroxetine's mechanism-based
    # inactivation) / (1 + C_par / Ki_par) (no phenotype change), read from the model; its clearance is
    # CL_2D6 act + CL_3A4, and with a slowly varying act the AUC ratio is close to the ratio at the
    # interval-mean activity (risperidone's half-life under inhibition is ~12 h).
    ris = load_drug("risperidone")
    cl = {p.enzyme: p.clearance_L_per_h.value for p in ris.elimination}
    mask = RIS_TIMES[1:] >= a
    act = with_par.readout("activity.CYP2D6")[1:][mask]
    # A normal metaboliser is phenoconverted towards a poor one: desipramine AUC x5.2 on 20 mg/d
    # (alderman1997) means ~0.1 of CYP2D6 left (fm 0.9); the model leaves ~0.04.
    assert act.mean() < 0.2
    expected = (cl["CYP2D6"] + cl["CYP3A4"]) / (cl["CYP2D6"] * act.mean() + cl["CYP3A4"])
    assert fold == pytest.approx(expected, rel=0.05)
    # Published: risperidone concentrations rose significantly on paroxetine 20 mg/day (Spina E et al.
    # Ther Drug Monit 2001;23:223-7; ~4-fold as summarised by Pharmacist's Letter, Dec 2001);
    # Saito M et al. J Clin Psychopharmacol 2005;25:527-32 (doi:10.1097/01.jcp.0000185428.02430.c7)
    # found 3.8x, 7.1x (95% CI 5.3-16.5) and 9.7x at paroxetine 10, 20, 40 mg/day. Lower bound from
    # the brief (> 2x); upper bound generous. NB the model cannot exceed the CYP2D6-poor-metaboliser
    # ratio (24/3.6 = 6.7x, heykants1994), which is below Saito's 20 mg point estimate.
    assert 2.0 < fold < 10.0
    # The phenoconverted normal metaboliser approaches a genotypic poor metaboliser (*4/*4).
    pm_fold = auc(pm, "plasma.risperidone", a, b) / auc(alone, "plasma.risperidone", a, b)
    # With the CYP2D6 inactivation (bertelsen2003) the model's fold (5.4) reaches the *4/*4 value (5.2;
    # 1.04x, not explained: act is ~0.04, not 0); the ratio is held to 0.6-1.1.
    assert 0.6 < fold / pm_fold < 1.1


@pytest.mark.xfail(strict=True, reason=(
    "risperidone active moiety barely rises with paroxetine (model ~1.08x vs +45% in Spina 2001): "
    "paliperidone is formed only through CYP2D6 and paroxetine inhibits only CYP2D6, so blocking "
    "CYP2D6 trades parent for metabolite; the extra clinical rise (Spina: inhibition of other "
    "risperidone/9-OH-risperidone pathways) is not represented"))
def test_paroxetine_raises_the_risperidone_active_moiety(risperidone_arms):
    alone, with_par, _ = risperidone_arms
    a, b = RIS_TIMES[1], RIS_TIMES[-1]

    def moiety(traj):
        return auc(traj, "plasma.risperidone", a, b) + auc(traj, "plasma.paliperidone", a, b)

    # Spina et al. 2001 (Ther Drug Monit 23:223-7): active moiety +45% (P < 0.05) after 4 weeks of paroxetine
    # 20 mg/day; Saito et al. 2005: 1.6x (n.s.) at 20 mg, 1.8x at 40 mg/day.
    assert moiety(with_par) / moiety(alone) > 1.25


# ---- 3. Carbidopa and levodopa -------------------------------------------------------------------

LD_TIMES = np.arange(0.0, 24.0001, 0.05)


@pytest.fixture(scope="module")
def levodopa_arms():
    """Levodopa 100 mg alone or with carbidopa 25 mg at the same time (one compiled model)."""
    m = model("carbidopa", "levodopa")
    alone_plan = add_dose(Plan(), "levodopa", 0.0, 100.0)
    alone = simulate(REFERENCE, alone_plan, LD_TIMES, model=m)
    both = simulate(REFERENCE, add_dose(alone_plan, "carbidopa", 0.0, 25.0), LD_TIMES, model=m)
    return alone, both


def test_carbidopa_raises_levodopa_exposure_and_brain_levodopa(levodopa_arms):
    alone, both = levodopa_arms
    ld = load_drug("levodopa")
    # Levodopa alone: AUC = F dose / CL (AADC fully active)
    expected_alone = ld.absorption.bioavailability.value * 100.0 / ld.total_clearance_L_per_h() * 1000.0
    assert auc(alone, "plasma.levodopa", 0, 24) == pytest.approx(expected_alone, rel=0.01)
    ratio = auc(both, "plasma.levodopa", 0, 24) / auc(alone, "plasma.levodopa", 0, 24)
    # Nutt et al. 1985 (nutt1985): carbidopa halves levodopa clearance and roughly doubles its oral
    # bioavailability (so up to ~4x AUC with full peripheral AADC inhibition); a single co-dose
    # inhibits AADC only partly while carbidopa is still being absorbed. Band from the brief.
    assert 1.5 < ratio < 4.0
    occ = both.readout("occupancy.AADC-peripheral")
    assert 0.5 < occ.max() < 1.0
    # Brain levodopa (LAT1 influx from plasma) rises too
    assert both.readout("brain.levodopa").max() > 1.3 * alone.readout("brain.levodopa").max()
    assert auc(both, "brain.levodopa", 0, 24) > 1.3 * auc(alone, "brain.levodopa", 0, 24)


@pytest.mark.fit_check
def test_levodopa_with_carbidopa_peaks_at_the_label_tmax(levodopa_arms):
    alone, both = levodopa_arms
    tmax_alone = LD_TIMES[alone.readout("plasma.levodopa").argmax()]
    tmax_both = LD_TIMES[both.readout("plasma.levodopa").argmax()]
    # Sinemet label: levodopa (given with carbidopa) peaks at about 0.75 h (0.5-2 h). Carbidopa halves
    # levodopa's clearance, so in a one-compartment model the peak comes a little later than alone.
    assert 0.5 <= tmax_both <= 1.0
    assert tmax_alone <= tmax_both


# ---- 4. Irreversible vs reversible MAO inhibition -------------------------------------------------

def test_phenelzine_inhibition_outlasts_plasma_and_recovers_by_resynthesis():
    last = 41 * 8.0  # 15 mg tid for 14 days: doses at 0, 8, ..., 328 h
    t = np.array([0.0, last, last + 168.0, last + 504.0])
    traj = simulate(REFERENCE, add_dose(Plan(), "phenelzine", 0.0, 15.0, every_h=8, count=42), t,
                    model=model("moclobemide", "phenelzine"))
    occ, plasma = traj.readout("occupancy.MAO-A"), traj.readout("plasma.phenelzine")
    assert occ[1] > 0.8
    # 7 days after the last dose: plasma gone (t1/2 11.6 h, nardil_label), enzyme still inactivated
    assert plasma[2] < 0.01 * plasma[1]
    assert occ[2] > 0.5
    # Without drug, d mao_a/dt = k (1 - mao_a): the inactivated fraction decays as exp(-k t), k the
    # MAO-A resynthesis rate (mao_a_turnover; half-time 14 days, assumed; fowler1994 for MAO-B).
    k = param(traj, "mao_a_turnover")
    # (a 15% tolerance was asked for; with no drug left the relation is exact)
    assert occ[3] / occ[2] == pytest.approx(np.exp(-k * 336.0), rel=1e-3)


def test_moclobemide_inhibition_is_gone_within_a_day():
    last = 13 * 12.0  # 150 mg bid for 7 days
    t = np.array([0.0, last + 1.0, last + 24.0, last + 48.0])
    traj = simulate(REFERENCE, add_dose(Plan(), "moclobemide", 0.0, 150.0, every_h=12, count=14), t,
                    model=model("moclobemide", "phenelzine"))
    occ = traj.readout("occupancy.MAO-A")
    # moclobemide1985 (PMID 3987791, via SOURCES.md): peripheral MAO-A inhibition ~80% by 2 h after a
    # dose, lasting 8-10 h, fully recovered by 24 h.
    assert 0.6 < occ[1] < 0.95
    assert occ[2] < 0.02
    assert occ[3] < 1e-3
    assert traj.readout("activity.MAO-A")[2] == pytest.approx(traj.baseline("activity.MAO-A"), rel=0.02)


# ---- 5. SERT occupancy hyperbola and extracellular 5-HT --------------------------------------------

ESC20_TIMES = np.arange(0.0, 672.001, 0.5)


@pytest.fixture(scope="module")
def escitalopram_chronic():
    """Escitalopram 20 mg/day for 28 days, every 30 min."""
    return simulate(REFERENCE, add_dose(Plan(), "escitalopram", 0.0, 20.0, every_h=24, count=28),
                    ESC20_TIMES, model=model("escitalopram"))


def test_sert_occupancy_is_the_hyperbola_of_plasma_escitalopram(escitalopram_chronic):
    target = load_drug("escitalopram").targets[0]
    emax, ec50 = target.emax.value, target.ec50_ng_per_mL.value
    steady = ESC20_TIMES >= 21 * 24.0
    c = escitalopram_chronic.readout("plasma.escitalopram")[steady]
    occ = escitalopram_chronic.readout("occupancy.SERT")[steady]
    assert c.min() > 5.0 and c.max() / c.min() > 1.2  # several concentrations at steady state
    assert np.allclose(occ, emax * c / (ec50 + c), rtol=1e-6, atol=0)
    # klein2007: 81.5% midbrain SERT occupancy at 10 mg/day; meyer2007: plateau ~85% -> 20 mg near it
    assert 0.8 < occ.mean() < 0.88


def test_ssri_raises_cortical_extracellular_serotonin(escitalopram_chronic):
    cortex = escitalopram_chronic.readout("brain.serotonin.extracellular", "cortex", relative_to="baseline")
    raphe = escitalopram_chronic.readout("brain.serotonin.extracellular", "raphe", relative_to="baseline")
    i4 = int(np.searchsorted(ESC20_TIMES, 4.0))
    # Bel & Artigas 1992 (bel1992): an acute SSRI raises extracellular 5-HT, more in the raphe (V12)
    assert cortex[i4] > 1.05
    assert raphe[i4] > cortex[i4]


# ---- 6. Chronic adaptation ------------------------------------------------------------------------

def _relaxation(times, drive, k, i):
    """Solution at times[i] of dy/dt = k (drive - y), y(0) = 0: k * int exp(-k (t - u)) drive(u) du."""
    return k * np.trapezoid(np.exp(-k * (times[i] - times[: i + 1])) * drive[: i + 1], times[: i + 1])


def test_sert_surface_falls_with_occupancy(escitalopram_chronic):
    traj = escitalopram_chronic
    occ, surface = traj.readout("occupancy.SERT"), traj.readout("receptor.SERT.surface")
    k, smax = param(traj, "k_sert_traffic"), param(traj, "sert_internalisation_max")
    i = int(np.searchsorted(ESC20_TIMES, 21 * 24.0))
    # adaptation.py: d s/dt = k (1 - smax occ - s); exact solution by convolution of the occupancy
    assert surface[i] == pytest.approx(1.0 - smax * _relaxation(ESC20_TIMES, occ, k, i), rel=1e-3)
    # After 3 weeks (5 half-times of 4 days) it is close to the target 1 - smax occ.
    # benmansour1999: SERT binding falls by several tens of percent after 2-3 weeks of SSRI.
    target = 1.0 - smax * occ[i - 48:i].mean()
    assert surface[i] == pytest.approx(target, abs=0.02)
    assert surface[i] < 0.75


def test_d2_density_rises_under_haloperidol():
    t = np.arange(0.0, 504.001, 0.5)
    traj = simulate(REFERENCE, add_dose(Plan(), "haloperidol", 0.0, 5.0, every_h=24, count=21), t,
                    model=model("diazepam", "haloperidol", "lorazepam"))
    occ, density = traj.readout("occupancy.D2"), traj.readout("receptor.D2.density")
    k, dmax = param(traj, "k_d2_traffic"), param(traj, "d2_upregulation_max")
    # fitzgerald2000: %D2 = C/(0.40 ng/mL + C); 5 mg/day gives ~85% at steady state
    assert 0.75 < occ[-48:].mean() < 0.95
    # adaptation.py: d D/dt = k (1 + dmax occ - D)
    assert density[-1] == pytest.approx(1.0 + dmax * _relaxation(t, occ, k, t.size - 1), rel=1e-3)
    # Half-time ~1 week: after 3 weeks 7/8 of the way to 1 + dmax occ; silvestri2000: D2 binding up
    # by about a third after long-term antipsychotic treatment.
    full = dmax * occ[-48:].mean()
    assert (density[-1] - 1.0) / full == pytest.approx(1.0 - np.exp(-k * 504.0), abs=0.05)
    assert 1.2 < density[-1] < 1.4


@pytest.mark.fit_check
def test_5ht1a_desensitisation_and_raphe_firing_recovery(escitalopram_chronic):
    traj = escitalopram_chronic
    sens = traj.readout("receptor.5HT1A.sensitivity", relative_to="baseline")
    firing = traj.readout("firing.raphe", relative_to="baseline")
    day = lambda d: int(np.searchsorted(ESC20_TIMES, 24.0 * d))  # noqa: E731
    # czachura2000, lepoul1995 (V13, loosely): firing falls at once, recovers over 2-3 weeks while
    # the somatodendritic 5-HT1A autoreceptors desensitise.
    nadir = firing[: day(2)].min()
    assert nadir < 0.7
    assert sens[day(21)] < 0.7 * sens[day(1)]
    # integral feedback may overshoot slightly before settling: the rebound stays small
    assert sens[day(1):].max() <= sens[day(1)] + 1e-9
    assert sens[day(28)] <= 1.05 * sens[day(1):].min()
    recovered = (firing[day(21)] - nadir) / (1.0 - nadir)
    assert recovered > 0.85
    assert firing[day(28)] == pytest.approx(1.0, abs=0.05)


# ---- 7. Benzodiazepines ---------------------------------------------------------------------------

def test_lorazepam_potentiates_gabaa_signalling():
    t = np.array([0.0, 2.0, 24.0])
    traj = simulate(REFERENCE, add_dose(Plan(), "lorazepam", 0.0, 2.0), t,
                    model=model("diazepam", "haloperidol", "lorazepam"))
    occ = traj.readout("occupancy.GABAA-BZ")
    c = traj.readout("plasma.lorazepam")
    ec50 = load_drug("lorazepam").targets[0].ec50_ng_per_mL.value
    assert 0.0 < occ[1] < 1.0
    assert occ[1] == pytest.approx(c[1] / (ec50 + c[1]), rel=1e-6)  # emax 1
    signal = traj.readout("signalling.GABAA", "cortex", relative_to="baseline")
    assert signal[1] > 1.2
    # gaba.py: signalling = f(ambient GABA) (1 + gain occ); ambient GABA does not respond to the BZ
    # site here, so the relative rise is exactly 1 + gain occ.
    assert signal[1] == pytest.approx(1.0 + param(traj, "gabaa_pam_gain") * occ[1], rel=1e-4)


def test_diazepam_accumulates_desmethyldiazepam():
    t = np.array([0.0, 72.0, 336.0])
    traj = simulate(REFERENCE, add_dose(Plan(), "diazepam", 0.0, 5.0, every_h=8, count=42), t,
                    model=model("diazepam", "haloperidol", "lorazepam"))
    dmdz = traj.readout("plasma.desmethyldiazepam")
    # desmethyldiazepam half-life ~65 h (dmdz_clorazepate) vs diazepam ~44 h (greenblatt1989): the
    # metabolite keeps accumulating over two weeks of dosing
    assert dmdz[1] > 0.0
    assert dmdz[2] > 1.5 * dmdz[1]
    occ = traj.readout("occupancy.GABAA-BZ")
    assert occ[2] > occ[1] > 0.0


# ---- 9. Bupropion and its three active metabolites ------------------------------------------------

BUP_DAYS = 21  # threohydrobupropion's half-life is 37 h: 21 days of dosing is > 13 half-lives
BUP_TAU = (BUP_DAYS - 1) * 24.0
BUP_TIMES = np.concatenate([[0.0], np.arange(BUP_TAU, BUP_TAU + 12.001, 0.05)])
BUP_METABOLITES = ("hydroxybupropion", "threohydrobupropion", "erythrohydrobupropion")


@pytest.fixture(scope="module")
def bupropion_steady_state():
    """Bupropion 150 mg every 12 h (the SR regimen of V07) to steady state; the interval after the last
    dose. (An output time equal to a dose time at the end of the grid made the integrator fail with
    step_underflow when this was written, so the grid ends 12 h after the last dose, not at a dose.)"""
    plan = add_dose(Plan(), "bupropion", 0.0, 150.0, every_h=12, count=2 * BUP_DAYS - 1)
    return simulate(REFERENCE, plan, BUP_TIMES, model=model("bupropion"))


@pytest.mark.fit_check
def test_bupropion_metabolite_exposure_matches_the_label(bupropion_steady_state):
    traj = bupropion_steady_state
    a, b = BUP_TAU, BUP_TAU + 12.0
    parent = auc(traj, "plasma.bupropion", a, b)
    ratio = {m: auc(traj, f"plasma.{m}", a, b) / parent for m in BUP_METABOLITES}
    # Analytic at steady state (mass units): AUC_m / AUC_p = CL_form / CL_m x MW_m / MW_p
    bup = load_drug("bupropion")
    for m in BUP_METABOLITES:
        met = load_drug(m)
        cl_form = sum(p.clearance_L_per_h.value * p.fraction_to_metabolite for p in bup.elimination if p.forms == m)
        expected = (cl_form / met.total_clearance_L_per_h()
                    * met.molar_mass_g_per_mol.value / bup.molar_mass_g_per_mol.value)
        assert ratio[m] == pytest.approx(expected, rel=0.02), m
    # Wellbutrin labels: hydroxybupropion AUC ~13x (XL label) to ~17x (SR label) the parent's at steady
    # state; threohydrobupropion ~7x, erythrohydrobupropion ~1.5x (wellbutrin_label)
    assert 12.0 < ratio["hydroxybupropion"] < 17.5
    assert 6.0 < ratio["threohydrobupropion"] < 8.0
    assert 1.2 < ratio["erythrohydrobupropion"] < 1.8
    # The carbonyl-reduction metabolites dominate bupropion's clearance (sager2016: ~50% + 8% for
    # R-bupropion; bhattacharya2019: 53% + 9%); CYP2B6 hydroxylation is a minority route.
    shares = {p.enzyme: p.clearance_L_per_h.value / bup.total_clearance_L_per_h() for p in bup.elimination}
    assert shares["HSD11B1"] > shares["CYP2B6"]
    assert 0.2 <= shares["CYP2B6"] <= 0.4


def test_threohydrobupropion_is_long_lived_but_weak_at_dat(bupropion_steady_state):
    traj = bupropion_steady_state
    # Share of the DAT binding load L = C / EC50 carried by each species at the end of the interval.
    load = {}
    for name in ("bupropion",) + BUP_METABOLITES:
        ec50 = next(t.ec50_ng_per_mL.value for t in load_drug(name).targets if t.target == "DAT")
        load[name] = traj.readout(f"plasma.{name}")[-1] / ec50
    total = sum(load.values())
    occ = traj.readout("occupancy.DAT")[-1]
    assert occ == pytest.approx(total / (1.0 + total), rel=1e-6)  # all emax 1
    # threohydrobupropion inhibits DA uptake ~80x more weakly than bupropion (bondarev2003): despite
    # ~7x the parent's exposure it carries under a quarter of the DAT load; hydroxybupropion carries most
    assert load["threohydrobupropion"] / total < 0.25
    assert load["hydroxybupropion"] == max(load.values())
    # the metabolites decline slowly: over a 12 h interval they vary by < 10% while the parent varies > 2x
    for m in BUP_METABOLITES:
        c = traj.readout(f"plasma.{m}")[1:]
        assert c.max() / c.min() < 1.1, m
    c = traj.readout("plasma.bupropion")[1:]
    assert c.max() / c.min() > 2.0
