"""Literature sweep: classic human studies on amino-acid drinks, meals, exercise, hormones and baselines,
run through the protocol layer (or, for presets the protocol schema does not list yet, through the plan)
and compared with the published magnitudes and time courses. Each tolerance comes from the source's
variability where it was read (SD, SEM x sqrt(n), range); where only a mean was read, +-30% is used and
said so. Genuine unresolved discrepancies are strict xfails with the reason. docs/interventions.md has the
table of these comparisons."""

from dataclasses import replace

import numpy as np
import pytest

from neuroscape import Plan, Subject, simulate
from neuroscape.interventions.nutrition import MOLAR_MASS, Intake, intake
from neuroscape.plan import add_nutrition
from neuroscape.protocol.run import run_protocol
from neuroscape.protocol.schema import parse_protocol

HOURLY = [float(h) for h in range(0, 9)]  # 0..8 h


def _run(interventions, readouts, subject=None, **extra):
    doc = {"protocol": 1, "name": "literature", "interventions": interventions, "readouts": readouts, **extra}
    if subject is not None:
        doc["subject"] = subject
    return {k: np.asarray(v["value"]) for k, v in run_protocol(parse_protocol(doc)).readouts.items()}


def _series(interventions, quantity, times=HOURLY, region=None, relative=True, subject=None):
    readout = {"id": "x", "quantity": quantity, "at_h": list(times)}
    if region:
        readout["region"] = region
    if relative:
        readout["relative_to"] = "baseline"
    return _run(interventions, [readout], subject)["x"]


def _drink(name, quantities, times=HOURLY):
    """A drink given through the plan directly (`_series` runs the protocol layer)."""
    traj = simulate(Subject(), add_nutrition(Plan(), name, 0.0), np.asarray(times))
    return {q if r is None else f"{q}@{r}": traj.readout(q, r, relative_to="baseline") for q, r in quantities}


# ---------------------------------------------------------------- amino-acid drinks
@pytest.mark.fit_check
def test_acute_tryptophan_depletion_young1985_dougherty2008():
    atd = [{"nutrition": "tryptophan_depletion_drink", "at_h": 0}]
    trp = _series(atd, "plasma.tryptophan")
    ratio = _series(atd, "plasma.trp_lnaa_ratio", times=[float(h) for h in range(0, 8)])
    # Young 1985 (PMID 3929164): 100 g Trp-free mixture lowers plasma Trp by about 80% at 5 h; +-30% of the fall
    assert 0.10 <= trp[5] <= 0.35
    # Dougherty 2008 (PMID 18452034): Trp/LNAA -96% at the nadir (n = 112), 4-6 h: V08 tolerance
    assert 0.02 <= ratio.min() <= 0.15 and 3 <= int(ratio.argmin()) <= 7


@pytest.mark.fit_check
def test_tryptophan_5g_peak_greenwood1975():
    trp = _series([{"nutrition": "tryptophan", "at_h": 0, "dose_mg": 5000}], "plasma.tryptophan",
                  times=[0, 1, 2, 3, 4, 6])
    # Greenwood 1975: 5 g raises total plasma Trp 8-fold, peak at 2 h (mean only read: +-30%)
    assert 5.6 <= trp.max() <= 10.4
    assert [0, 1, 2, 3, 4, 6][int(trp.argmax())] in (1, 2, 3)


def test_tryptophan_load_peak_linear_in_dose_green1980():
    # Green 1980 (PMID 6162471): 10, 25, 50 mg/kg; peak total Trp linear in dose (so 50/10 ~ 5 in the rise)
    rises = []
    for mg_kg in (10, 50):
        trp = _series([{"nutrition": "tryptophan", "at_h": 0, "dose_mg": mg_kg * 75}], "plasma.tryptophan",
                      times=[0, 1, 1.5, 2, 3], relative=False)
        rises.append(trp.max() - trp[0])
    assert 3.5 <= rises[1] / rises[0] <= 5.5


@pytest.mark.parametrize("dose_mg", [3000, 5000])
@pytest.mark.fit_check
def test_tryptophan_load_back_to_baseline_within_24h_yuwiler1981(dose_mg):
    trp = _series([{"nutrition": "tryptophan", "at_h": 0, "dose_mg": dose_mg}], "plasma.tryptophan",
                  times=[0, 24])
    # Yuwiler 1981: dose-responsive rises returned to basal within 24 h (model: TDO substrate activation)
    assert trp[1] < 1.35


_TYR_LOAD = ("Plasma Tyr after an oral Tyr load peaks at 1 h in the model (100 mg/kg: 6.0x at 1 h, 3.9x at 2 h; "
             "150 mg/kg: 7.3x, 5.0x) against 2.2x and 2.9x at 2 h measured. Sourced first-pass mechanisms do not "
             "close it: splanchnic first-pass protein synthesis needs the other amino acids (none in a single "
             "load); a 42% first-pass sink on Tyr (from Moller 2000 splanchnic uptake) gave 3.2x at 2 h but put "
             "the balanced mixture's Tyr below its measured band (1.6x at 5 h); hepatic catabolism at portal "
             "levels (well-stirred liver, 20 mL/min/kg) 3.8x. A dissolution cap (commit ab80971, reverted): Tyr "
             "0.68 g/L at 37 C (Merck Index 0.045 g/100 g at 25 C, 0.105 at 50 C, interpolated) saturating "
             "Schiller 2005's 105 mL fasted small-intestinal water, the rest lost with 4 h small-bowel transit, "
             "gives 1.20x at 1 h and 1.31x at 2 h at both doses (too little, and no dose response); the measured "
             "2 h values need an effective dissolution volume of about 0.3-0.6 L (0.3 L: 1.84x; 0.6 L: 2.50x), "
             "which co-ingested fluid, secretions and acid gastric dissolution could supply but were not sourced. "
             "Revisited (issue 18): van de Rest 2017 (PMID 29168741; 100-200 mg/kg, plasma at 90-240 min, "
             "dose-dependent, higher in older than young adults) has the time course that would test the peak "
             "time at a second site; its per-time values were not read (abstract only)")


@pytest.mark.xfail(strict=True, reason=_TYR_LOAD)
def test_tyrosine_100mg_per_kg_glaeser1979():
    tyr = _series([{"nutrition": "tyrosine", "at_h": 0, "dose_mg": 100 * 75}], "plasma.tyrosine")
    # Glaeser 1979: 69 +- 3.9 -> 154 +- 9.5 (SEM; n = 12 in all, 6 per dose in a secondary account,
    # so SD 23-33) nmol/mL at 2 h: fold 2.23, SD range 1.75-2.7
    assert 1.75 <= tyr[2] <= 2.7


@pytest.mark.xfail(strict=True, reason=_TYR_LOAD)
def test_tyrosine_150mg_per_kg_glaeser1979():
    tyr = _series([{"nutrition": "tyrosine", "at_h": 0, "dose_mg": 150 * 75}], "plasma.tyrosine")
    # Glaeser 1979: 69 -> 203 +- 31.5 (SEM) nmol/mL at 2 h: fold 2.94, SD range (n = 6-12) 1.4-4.5,
    # and the peak at 2 h as after 100 mg/kg (a dose response with the test above)
    assert 1.4 <= tyr[2] <= 4.5 and tyr[2] >= tyr[1]


def test_phenylalanine_load_raises_tyrosine_guttler1977():
    # Guttler & Hansen 1977 (PMID 601515): 0.6 mmol/kg oral L-Phe; serum Tyr rose linearly over the first
    # 30 min by 1.2 (range 0.8-1.9) umol/L/min in 16 normal homozygotes: Phe hydroxylation to Tyr
    dose_mg = 0.6 * 75 * 165.19
    tyr = _series([{"nutrition": "phenylalanine", "at_h": 0, "dose_mg": dose_mg}], "plasma.tyrosine",
                  times=[0, 0.5], relative=False)
    assert 0.8 <= (tyr[1] - tyr[0]) / 30 <= 1.9


def test_phenylalanine_tyrosine_depletion_plasma_jpn_aptd():
    out = _drink("phenylalanine_tyrosine_depletion_drink",
                 [("plasma.tyrosine", None), ("plasma.phenylalanine", None), ("plasma.lnaa", None)])
    tyr, phe, lnaa = out["plasma.tyrosine"], out["plasma.phenylalanine"], out["plasma.lnaa"]
    # APTD table (jpn_aptd): Tyr -74.1% and Phe -67.5% in the afternoon (about 5 h); Sheehan 1996 about -50%
    # with a smaller load; Leyton 2000 / Harmer 2001 test at 5-6 h. Band: fold 0.15-0.5
    assert 0.15 <= tyr[5] <= 0.5 and 0.15 <= phe[5] <= 0.5
    # Tyr/LNAA -88.8% (jpn_aptd; LNAA with Met there): fold 0.05-0.2
    assert 0.05 <= tyr[5] / lnaa[5] <= 0.2


def test_phenylalanine_tyrosine_depletion_lowers_brain_tyrosine_and_dopamine_synthesis():
    out = _drink("phenylalanine_tyrosine_depletion_drink",
                 [("brain.tyrosine", None), ("synthesis.dopamine", "striatum"),
                  ("brain.dopamine.extracellular", "striatum")])
    # Harmer 2001 (PMID 11291999): prolactin rises after the Tyr-free drink (less dopamine), McTavish 2001:
    # methamphetamine effects blunted. Signs only: no human brain Tyr or DA synthesis number was read.
    # The model's brain Tyr nadir (about 10% at 4-5 h) is as deep as its ATD brain Trp (docs/model.md)
    assert out["brain.tyrosine"][5] < 0.5
    assert out["synthesis.dopamine@striatum"][5] < 0.8
    assert out["brain.dopamine.extracellular@striatum"][5] < 0.95
    assert out["brain.tyrosine"][8] > out["brain.tyrosine"][5]  # recovering


def test_balanced_mixture_tyrosine_and_phenylalanine_jpn_aptd():
    out = _drink("balanced_amino_acid_drink", [("plasma.tyrosine", None), ("plasma.phenylalanine", None)])
    # jpn_aptd balanced arm: Tyr +147% (49.8 -> 123.0, SD 10) and Phe +27% (44.8 -> 57.0, SD 4) in the afternoon;
    # band: Tyr fold 1.8-3.2, Phe fold 1.0-1.6 (SD of the afternoon means and the unknown sampling hour 4-6 h)
    assert 1.8 <= out["plasma.tyrosine"][5] <= 3.2 or 1.8 <= out["plasma.tyrosine"][6] <= 3.2
    assert 1.0 <= out["plasma.phenylalanine"][5] <= 1.6


def _half(name):
    """Dougherty's 50 g formulations, taken as half of every amount of the 100 g ones (assumed)."""
    item = intake(name, 0.0)
    return replace(item, amino_acids_umol={k: v / 2 for k, v in item.amino_acids_umol.items()})


def _ratio(item, times=tuple(float(h) for h in range(8))):
    traj = simulate(Subject(), replace(Plan(), intakes=(item,)), np.asarray(times))
    return traj.readout("plasma.trp_lnaa_ratio", relative_to="baseline")


@pytest.mark.xfail(strict=True, reason="After the Trp-loading 100 g mixture the model's Trp/LNAA keeps rising "
                   "to 13x by 7 h (5.3x at 4 h, 7.1x at 5 h): the other LNAA are cleared within hours (first-pass "
                   "splanchnic protein synthesis now takes a share of them too) while 10.3 g Trp is cleared "
                   "slowly through TDO. The 50 g arm (+570%) is reproduced (test below); that the 100 g arm rose "
                   "less than the 50 g one points at the preset's recalled Trp content or at the attrition "
                   "after the 100 g drink (re-read, issue 18: Dougherty 2008's abstract reports significant attrition "
                   "after the 100 g depletion and loading drinks, none after the 50 g ones, so the 100 g means are "
                   "of the subjects who kept the drink; per-protocol time courses with intake completion, and the "
                   "mixture's Trp content, would settle it)")
def test_tryptophan_loading_drink_dougherty2008():
    ratio = _series([{"nutrition": "tryptophan_loading_drink", "at_h": 0}], "plasma.trp_lnaa_ratio",
                    times=[float(h) for h in range(0, 8)])
    # Dougherty 2008: 100 g loading +372% (fold 4.7) over the 7-h sampling; mean only read: +-40%
    assert 2.8 <= ratio.max() <= 6.6


def test_tryptophan_loading_and_depletion_50g_dougherty2008():
    # Dougherty 2008 (PMID 18452034): 50 g loading +570% (fold 6.7; mean only read: +-40%, as the 100 g arm)
    assert 4.0 <= _ratio(_half("tryptophan_loading_drink")).max() <= 9.4
    # 50 g depletion -89% (+-30% of the fall), shallower than the 100 g drink's -96% (V08)
    nadir = _ratio(_half("tryptophan_depletion_drink")).min()
    assert 0.02 <= nadir <= 0.38
    assert nadir > _ratio(intake("tryptophan_depletion_drink", 0.0)).min()


def test_essential_amino_acid_mixture_lowers_tryptophan_in_proportion_moja1988():
    # Moja 1988 (PMID 3352467): a Trp-free mixture of seven essential amino acids (Ile 11.5%, Leu 18%,
    # Lys 13.1%, Met 18%, Phe 18%, Thr 8.2%, Val 13.1% by weight; Lys, Met, Thr not modelled) lowered plasma
    # Trp in proportion to the amount; 36.6 g to a minimum of about 35% of the initial level, still markedly
    # reduced at 6 h. Mean only read: +-30% of the fall
    share = {"isoleucine": 0.115, "leucine": 0.18, "phenylalanine": 0.18, "valine": 0.131}

    def trp(grams):
        item = Intake(0.0, {aa: f * grams / MOLAR_MASS[aa] * 1e6 for aa, f in share.items()})
        traj = simulate(Subject(), replace(Plan(), intakes=(item,)), np.asarray(HOURLY))
        return traj.readout("plasma.tryptophan", relative_to="baseline")

    full, half = trp(36.6), trp(18.3)
    assert 0.155 <= full.min() <= 0.545 and full[6] < 0.8
    assert 0.35 <= (1 - half.min()) / (1 - full.min()) <= 0.65  # the fall in proportion to the amount


# ---------------------------------------------------------------- meals
@pytest.mark.fit_check
def test_carbohydrate_vs_protein_breakfast_wurtman2003():
    times = [0, 0.67, 1.33, 2.0, 4.0]  # 40, 80, 120, 240 min
    carb = [{"nutrition": "meal", "at_h": 0, "carbohydrate_g": 69.9, "protein_g": 5.2}]
    prot = [{"nutrition": "meal", "at_h": 0, "carbohydrate_g": 15.4, "protein_g": 46.8}]
    rc = _series(carb, "plasma.trp_lnaa_ratio", times)
    rp = _series(prot, "plasma.trp_lnaa_ratio", times)
    # Wurtman 2003 (PMID 12499331): median difference in Trp/LNAA between the breakfasts 54% (range 36-88%)
    diff = (rc / rp - 1).max()
    assert 0.36 <= diff <= 0.88
    assert rc.max() > 1.1 and rp[1:4].min() < 0.9  # carbohydrate raises, protein lowers the ratio
    ic = _series(carb, "plasma.insulin", times, relative=False)
    ip = _series(prot, "plasma.insulin", times, relative=False)
    # insulin rose after the carbohydrate but not (significantly) after the protein breakfast
    assert ic.max() > 4 and ic.max() > 2 * ip.max()


# ---------------------------------------------------------------- exercise
@pytest.mark.fit_check
def test_marathon_free_tryptophan_blomstrand1988():
    ex = [{"exercise": "endurance", "start_h": 0, "duration_h": 3.5, "intensity": 0.75}]
    times = [0, 3.4]
    free = _series(ex, "plasma.tryptophan.free", times)
    total = _series(ex, "plasma.tryptophan", times)
    bcaa = _series(ex, "plasma.bcaa", times)
    # Blomstrand 1988: marathon (about 3-3.5 h) free Trp 2.4-fold, total Trp unchanged, BCAA fall
    # (n = 22; mean only read: 1.8-3.0)
    assert 1.8 <= free[1] <= 3.0
    assert abs(total[1] - 1) < 0.1
    assert bcaa[1] < 0.9
    # so free Trp/BCAA rises markedly (Blomstrand 1988, Davis 1992)
    assert _series(ex, "plasma.free_trp_bcaa_ratio", times)[1] > 2.5


# ---------------------------------------------------------------- hormones
def test_hydrocortisone_induces_tdo_altman1966():
    tdo = _series([{"hormone": "hydrocortisone", "dose_mg": 100, "start_h": 0}], "activity.TDO",
                  times=[0, 2, 4, 6, 8], relative=False)
    kyn = _series([{"hormone": "hydrocortisone", "dose_mg": 100, "start_h": 0}], "plasma.kynurenine",
                  times=[0, 2, 4, 6, 8])
    # Altman & Greengard 1966: hydrocortisone raised human liver TDO 2-4-fold (biopsies; dosing over days);
    # a single 100 mg dose should reach the lower part of that band
    assert 1.5 <= tdo.max() <= 4.0 and kyn.max() > 1.2


@pytest.mark.xfail(strict=True, reason="Sorgdrager 2018: in adrenal insufficiency the higher hydrocortisone dose "
                   "lowered Kyn/Trp and raised Trp; the model (TDO induction only, endogenous cortisol intact, "
                   "no anti-inflammatory IDO suppression) predicts the opposite sign")
def test_hydrocortisone_dose_and_kyn_trp_sorgdrager2018():
    at = [1656.0 + h for h in range(0, 24, 2)]  # day 70
    ratios = []
    for dose in (15, 30):  # about 0.2 and 0.4 mg/kg/day at 75 kg
        ratios.append(_series([{"hormone": "hydrocortisone", "dose_mg": dose, "start_h": 0, "every_h": 24,
                                "count": 70}], "plasma.kyn_trp_ratio", at, relative=False).mean())
    assert ratios[1] < ratios[0]


def test_cortisol_rhythm_peak_and_nadir_clock_times_weitzman1971_debono2009():
    c = _run([], [{"id": "c", "quantity": "plasma.cortisol", "at_h": [h + 0.5 for h in range(24)]}],
             clock_start="00:00", circadian={"cortisol": True})["c"]
    # Weitzman 1971 / Debono 2009: nadir around midnight, peak in the early morning (Debono 428 nmol/L at 08:32)
    assert int(c.argmin()) in (23, 0, 1) and int(c.argmax()) in (7, 8, 9)
    assert 380 <= c.max() <= 480 and c.min() < 100


# ---------------------------------------------------------------- baselines
def test_fasting_baselines():
    q = {"trp": "plasma.tryptophan", "kyn": "plasma.kynurenine", "kt": "plasma.kyn_trp_ratio",
         "hiaa": "csf.5hiaa", "hva": "csf.hva"}
    out = _run([], [{"id": k, "quantity": v, "at_h": 0} for k, v in q.items()])
    assert 40 <= out["trp"] <= 80        # Psychogios 2011 (HMDB normal range, about 60 uM)
    assert 1.5 <= out["kyn"] <= 2.0      # plasma kynurenine about 1.5-2 uM (Badawy & Guillemin 2019)
    assert 25 <= out["kt"] <= 35         # Kyn/Trp about 25-35 uM/mM (Badawy & Guillemin 2019)
    assert 125 - 54 <= out["hiaa"] <= 125 + 54   # Blennow 1993: lumbar CSF 5-HIAA 125 +- 54 nM (n = 114)
    assert 253 - 109 <= out["hva"] <= 253 + 109  # Blennow 1993: lumbar CSF HVA 253 +- 109 nM


# ---------------------------------------------------------------- physiology audit (held-out cases)
def test_exercise_cortisol_intensity_dependence_hill2008():
    # Hill 2008 (J Endocrinol Invest 31:587): 30 min at 40/60/80% VO2max, pre-to-post cortisol change
    # +5.7 +- 11.0%, +39.9 +- 11.8%, +83.1 +- 18.5% (n = 12; SD as tolerance)
    out = {}
    for i in (0.4, 0.6, 0.8):
        out[i] = _series([{"exercise": "endurance", "start_h": 0, "duration_h": 0.5, "intensity": i}],
                         "plasma.cortisol", times=[0.49])[0]
    assert abs(out[0.4] - 1.057) <= 0.110
    assert abs(out[0.6] - 1.399) <= 0.118
    assert abs(out[0.8] - 1.831) <= 0.185


ATD_T = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 24]


def _atd(quantity):
    return _series([{"nutrition": "tryptophan_depletion_drink", "at_h": 0}], quantity, times=ATD_T)


def test_atd_plasma_and_central_tryptophan_falls_carpenter1998_williams1999():
    trp, brain = _atd("plasma.tryptophan"), _atd("brain.tryptophan")
    # Carpenter 1998 (PMID 9608574, n = 5): plasma Trp -85%, CSF Trp -92% at their nadirs;
    # Williams 1999 (PMID 10098872, n = 6): plasma total -86.3%, CSF Trp -92.3% (mean only read: +-30% of the fall)
    assert 0.0 <= trp.min() <= 1 - 0.7 * 0.86
    # CSF Trp compared with brain Trp (the model has no lumbar CSF Trp pool; magnitude only)
    assert 0.0 <= brain.min() <= 1 - 0.7 * 0.92


@pytest.mark.xfail(strict=True, reason=(
    "Williams 1999 (PMID 10098872): plasma total and free Trp lowest about 6 h after the Trp-free drink "
    "(-86%); the model's nadir is at 4 h (0.17) and Trp is already back to 0.27 at 6 h and 0.36 at 7 h "
    "(recovery too fast; their subjects also ate a 160 mg/day low-Trp diet from 46 h before, which the "
    "model does not run). Not the gut: the model absorbs the drink's LNAA half in 2.1 h, about 1.6 kcal/min of "
    "drink, no faster than caloric gastric emptying (Hunt & Stubbs 1975; Calbet & MacLean 1997: 3.5-8.5 "
    "kcal/min early on for a 75 kg adult), and slower absorption only trades depth for time (abs_vmax 2000 -> "
    "1200, about 1 kcal/min: nadir 0.26 at 6 h, still above 0.196 and Williams's 0.14) "
    "Not the diet either: run as Williams did (trp_intake "
    "x0.16 from 46 h before), the nadir moves earlier (0.20 at 3 h vs the pre-drink level). Re-read (issue 18, "
    "Williams 1999 abstract): plasma Trp down at ~2 h, lowest ~6 h, CSF Trp lowest ~8 h; no mechanism found that "
    "delays recovery without the diet; a plasma Trp time course to 24 h after the drink without the pre-diet "
    "would separate drink kinetics from diet"))
def test_atd_plasma_tryptophan_still_at_its_nadir_at_6h_williams1999():
    trp = _atd("plasma.tryptophan")
    assert trp[6] <= 0.14 * 1.4


def test_atd_serotonin_synthesis_falls_by_about_90_percent_nishizawa1997():
    # Nishizawa 1997 (PNAS 94:5308, alpha-[11C]methyl-L-Trp PET), as summarised by the same group: ATD lowered
    # brain 5-HT synthesis "by 90% or more". Model: about -89% at 4 h
    syn = _atd("synthesis.serotonin")
    assert syn.min() <= 0.15


def test_atd_csf_5hiaa_reaches_its_lowest_8_to_14h_after_the_drink_carpenter1998():
    # Carpenter 1998: CSF 5-HIAA lowest 8-12 h after the drink; Williams 1999: still falling at 14 h
    hiaa = _atd("csf.5hiaa")
    assert ATD_T[int(hiaa.argmin())] in (8, 10, 12, 14)


@pytest.mark.xfail(strict=True, reason=(
    "Carpenter 1998: CSF 5-HIAA fell 24-40% (mean 31%); Williams 1999: -32.8%. The model's csf.5hiaa falls "
    "18.6% (0.814 at 14 h). Both studies added a low-Trp diet for a day before the drink (not run here); the "
    "model's brain Trp recovers from 6 h on (see the 6 h xfail), which shortens the synthesis deficit. Slower "
    "absorption does not close it (abs_vmax 1000: 0.784); Williams's 160 mg/day diet from 46 h before and "
    "continued gives 0.742 vs the pre-drink level, inside the band, but the model's plasma Trp then falls 45% "
    "on the diet alone, which no source here checks. Re-read (issue 18): the depth is tied to the 6 h recovery "
    "above; plasma Trp on the 160 mg/day diet alone (before the drink) would settle whether the diet run is "
    "valid"))
def test_atd_csf_5hiaa_fall_carpenter1998_williams1999():
    hiaa = _atd("csf.5hiaa")
    assert 0.60 <= hiaa.min() <= 0.76
