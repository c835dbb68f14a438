"""Steady-state exposure and PET occupancy at typical regimens against published values.

One check per drug: a dose-normalised concentration (C/D, ng/mL per mg/day), a trough, or a label
Cmax, with the published value and its source in the comment; then occupancy at typical doses against
PET. Tolerances are the published variability or +/-35% (the library's half-life tolerance) where the
source gives a single mean. Checks that the model does not reproduce are strict xfails with the reason,
so a fix shows up. Table and discussion: docs/pharmacology.md, section 10.

Where an EC50 was itself derived from the PET number being checked (the SSRIs, Meyer 2001/2004), the
occupancy check is a consistency check, not a prediction (see docs/pharmacology.md section 7).
"""

from dataclasses import dataclass
from functools import cache

import numpy as np
import pytest

from neuroscape.plan import Plan, add_dose
from neuroscape.simulate import simulate
from neuroscape.subject import Subject


@cache
def _steady(drug, dose_mg, every_h, days, formulation=None):
    """Last dosing interval after `days` of dosing: (t since the last dose, trajectory)."""
    count = round(days * 24 / every_h)
    plan = add_dose(Plan(), drug, 0.0, dose_mg, every_h=every_h, count=count, formulation=formulation)
    last = (count - 1) * every_h
    t = np.linspace(0.0, every_h, 97)
    traj = simulate(Subject(), plan, times=last + t)
    return t, traj


def _conc(traj, species):
    return traj.readout(f"plasma.{species}")


def _avg(t, c):
    return float(np.trapezoid(c, t) / (t[-1] - t[0]))


@cache
def _single(drug, dose_mg, hours=24.0):
    t = np.linspace(0.0, hours, int(hours * 4) + 1)
    return t, simulate(Subject(), add_dose(Plan(), drug, 0.0, dose_mg), times=t)


# --------------------------------------------------------------------------------------------
# Exposure (PK). Each entry: a regimen, the species summed, the statistic over the last dosing
# interval, and the published band (low, high).
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Exposure:
    drug: str
    dose_mg: float
    every_h: float | None  # None: a single dose, read over 24 h
    days: int
    species: tuple[str, ...]  # summed (parent + active metabolite where the range is for both)
    stat: str  # "trough" (end of the interval), "cmax", "cavg" or "cavg_per_dose" (ng/mL per mg/day)
    low: float
    high: float
    formulation: str | None = None

    def value(self) -> float:
        if self.every_h is None:
            t, tr = _single(self.drug, self.dose_mg)
        else:
            t, tr = _steady(self.drug, self.dose_mg, self.every_h, self.days, self.formulation)
        c = sum(_conc(tr, s) for s in self.species)
        if self.stat == "trough":
            return float(c[-1])
        if self.stat == "cmax":
            return float(c.max())
        avg = _avg(t, c)
        return avg / self.dose_mg if self.stat == "cavg_per_dose" else avg


def _band(value, tolerance=1.35):
    """A single published mean with the library's +/-35% tolerance."""
    return value / tolerance, value * tolerance


PK = {
    # lexapro_label: oral clearance ~600 mL/min (36 L/h) -> Cavg/D = 1000/(24*36) = 1.16 ng/mL per mg/day.
    "escitalopram_cavg_per_dose": Exposure("escitalopram", 10.0, 24.0, 21, ("escitalopram",), "cavg_per_dose",
                                           *_band(1.16)),
    # celexa_label: systemic CL 330 mL/min, F 0.8 -> CL/F 24.75 L/h -> Cavg/D 1.68 ng/mL per mg/day.
    "citalopram_cavg_per_dose": Exposure("citalopram", 20.0, 24.0, 21, ("citalopram",), "cavg_per_dose",
                                         *_band(1.68)),
    # zoloft_label: 200 mg once daily for 14 days, mean Cmax 190 ng/mL (Tmax 4.5-8.4 h).
    "sertraline_200mg_cmax": Exposure("sertraline", 200.0, 24.0, 21, ("sertraline",), "cmax", *_band(190)),
    # hiemke2018: fluoxetine + norfluoxetine 120-500 ng/mL (trough) at usual doses; 20 mg/d after 8 weeks.
    "fluoxetine_plus_norfluoxetine_trough": Exposure("fluoxetine", 20.0, 24.0, 56, ("fluoxetine", "norfluoxetine"),
                                                     "trough", 120, 500),
    # prozac_label: 40 mg/d for 30 days, fluoxetine 91-302 ng/mL, norfluoxetine 72-258 ng/mL.
    "fluoxetine_40mg_label": Exposure("fluoxetine", 40.0, 24.0, 30, ("fluoxetine",), "trough", 91, 302),
    "norfluoxetine_40mg_label": Exposure("fluoxetine", 40.0, 24.0, 30, ("norfluoxetine",), "trough", 72, 258),
    # sindrup1992: 30 mg/d, CYP2D6 extensive metabolisers, Css 81 nmol/L = 26.7 ng/mL. NB: the file's Km
    # was derived from this number, so this is a consistency check; hiemke2018 range 20-65 ng/mL.
    # effexor_label: steady-state venlafaxine clearance 1.3 L/h/kg (oral apparent, CL/F; 70 kg: 91 L/h)
    # -> Cavg/D = 1000/(24*91) = 0.458 ng/mL per mg/day. The file before the 2025 review gave 0.196.
    "venlafaxine_cavg_per_dose": Exposure("venlafaxine", 150.0, 24.0, 10, ("venlafaxine",), "cavg_per_dose",
                                          *_band(0.458), "XR"),
    # effexor_label: Effexor XR 150 mg q24h, ODV Cmax 260 ng/mL (Tmax 9 h). Before the review: ~125.
    "desvenlafaxine_xr150_cmax": Exposure("venlafaxine", 150.0, 24.0, 10, ("desvenlafaxine",), "cmax",
                                          *_band(260), "XR"),
    # effexor_label: IR 75 mg q12h, ODV Cmax 290 ng/mL (Tmax 3 h).
    "desvenlafaxine_ir75bid_cmax": Exposure("venlafaxine", 75.0, 12.0, 10, ("desvenlafaxine",), "cmax",
                                            *_band(290)),
    # hiemke2018: venlafaxine + ODV 100-400 ng/mL (trough) at usual doses; XR 150 mg once daily.
    "venlafaxine_active_moiety_trough": Exposure("venlafaxine", 150.0, 24.0, 10, ("venlafaxine", "desvenlafaxine"),
                                                 "trough", 100, 400, "XR"),
    # hiemke2018: bupropion + hydroxybupropion 850-1500 ng/mL (hydroxybupropion dominates) at
    # 150-300 mg/d; SR 150 mg twice daily, trough.
    "bupropion_plus_hydroxybupropion_trough": Exposure("bupropion", 150.0, 12.0, 14, ("bupropion", "hydroxybupropion"),
                                                       "trough", 850, 1500, "SR"),
    # hiemke2018: haloperidol 1-10 ng/mL (trough) at usual doses; 10 mg/d.
    "haloperidol_trough": Exposure("haloperidol", 10.0, 24.0, 14, ("haloperidol",), "trough", 1.0, 10.0),
    # hiemke2018: risperidone + 9-OH-risperidone 20-60 ng/mL (trough); 6 mg/d (4 mg/d gives 19 ng/mL,
    # the lower edge; the range is for responders at 3-6 mg/d).
    "risperidone_active_moiety_trough": Exposure("risperidone", 6.0, 24.0, 10, ("risperidone", "paliperidone"),
                                                 "trough", 20, 60),
    # gram1995 (mean curves of 8 CYP2C19 extensive metabolisers, digitised in the kanacher2020 model files):
    # 300 mg bid, last interval of day 7: trough 226 ng/mL, AUCtau 14.2 mg.h/L (Cavg 1180), Cmax 2720.
    # Not fitted here; kanacher2020 used these curves to fit its inactivation constant (see the drug file).
    "moclobemide_300bid_trough": Exposure("moclobemide", 300.0, 12.0, 7, ("moclobemide",), "trough", *_band(226)),
    "moclobemide_300bid_cavg": Exposure("moclobemide", 300.0, 12.0, 7, ("moclobemide",), "cavg", *_band(1180)),
    # greenblatt_lorazepam / ativan_label: 2 mg oral gives a peak of ~20 ng/mL at ~2 h.
    "lorazepam_2mg_cmax": Exposure("lorazepam", 2.0, None, 1, ("lorazepam",), "cmax", *_band(20)),
    # hiemke2018 lists diazepam with nordazepam; 10 mg/d for 4 weeks gives a sum of a few hundred ng/mL
    # (greenblatt1989 half-lives 44 h and ~65 h); checked against the wide 200-2500 ng/mL range (recalled).
    "diazepam_plus_nordazepam_trough": Exposure("diazepam", 10.0, 24.0, 28, ("diazepam", "desmethyldiazepam"),
                                                "trough", 200, 2500),
}

PK_XFAIL = {
    # sindrup1992: EM Css 81 nmol/L (26.7 ng/mL) at 30 mg/d. With the CYP2D6 inactivation the model follows
    # the label instead (paxil_label 30 mg Cmax/Cmin 61.7/30.7, AUC 1123 -> Cavg 46.8; test_published_cases).
    "paroxetine_30mg_css": (Exposure("paroxetine", 30.0, 24.0, 21, ("paroxetine",), "cavg", *_band(26.7)),
                            ("model Cavg 48 ng/mL vs sindrup1992 EMs 26.7 (band 19.8-36.0); paxil_label Cavg 46.8: "
                             "the two sources differ 1.75x (docs/pharmacology.md section 10)")),
    # effexor_label: IR 75 mg q12h, venlafaxine Cmax 225 ng/mL. Not reproducible with the label's own
    # CL/F (91 L/h, Cavg 69 ng/mL at 150 mg/d): peak/average would have to be 3.3 with t1/2 5 h and
    # Tmax 2 h (the model gives 1.7). Model ~112 ng/mL.
    "venlafaxine_ir75bid_cmax": (Exposure("venlafaxine", 75.0, 12.0, 10, ("venlafaxine",), "cmax", *_band(225)),
                                 ("effexor_label Cmax 225 ng/mL is inconsistent with the label's own "
                                  "CL/F 1.3 L/h/kg; model ~112 ng/mL (see docs/pharmacology.md section 10)")),
    # gram1995 (as moclobemide_300bid_trough): Cmax 2720 ng/mL at ~2 h on day 7 of 300 mg bid.
    "moclobemide_300bid_cmax": (Exposure("moclobemide", 300.0, 12.0, 7, ("moclobemide",), "cmax", *_band(2720)),
                                ("model ~1970 ng/mL at ~1 h: the trough and mean are matched but the peak is "
                                 "lower and earlier; ka was set for the single-dose Tmax of 1 h (nair1993)")),
    # hiemke2018: moclobemide 300-1000 ng/mL (trough) at 300-600 mg/d; 150 mg twice daily.
    "moclobemide_trough": (Exposure("moclobemide", 150.0, 12.0, 7, ("moclobemide",), "trough", 300, 1000),
                           ("trough ~43 ng/mL at 150 mg bid with the time-dependent CYP2C19 inactivation "
                            "(kanacher2020; 8.5 before it) against the AGNP 300-1000 (hiemke2018), a patient range: "
                            "healthy extensive metabolisers at twice this dose have a trough of 226 (gram1995; "
                            "model ~200), patients on 150 mg tid ~490 (ignjatovic2009; model ~100) "
                            "(docs/pharmacology.md section 10)")),
}


PK_CASES = [pytest.param(name, id=name) for name in sorted(PK)] + [
    pytest.param(name, id=name, marks=pytest.mark.xfail(strict=True, reason=reason))
    for name, (_, reason) in sorted(PK_XFAIL.items())]


@pytest.mark.parametrize("name", PK_CASES)
def test_exposure_lies_in_the_published_range(name):
    check = PK[name] if name in PK else PK_XFAIL[name][0]
    value, low, high = check.value(), check.low, check.high
    assert low <= value <= high, f"{name}: model {value:.3g}, published {low:.3g}-{high:.3g}"


# --------------------------------------------------------------------------------------------
# Occupancy (PET). Value read as the mean over the last dosing interval unless stated.
# --------------------------------------------------------------------------------------------

def _occ_mean(drug, dose, every_h, days, target, formulation=None):
    t, tr = _steady(drug, dose, every_h, days, formulation)
    return _avg(t, tr.readout(f"occupancy.{target}"))


OCCUPANCY = [
    # meyer2004 / meyer2001: ~80% (76-85%) SERT occupancy at the minimum therapeutic dose; band +/-5 points
    # (the SSRI EC50s were derived from these numbers: consistency, not prediction).
    ("citalopram 20 mg", lambda: _occ_mean("citalopram", 20.0, 24.0, 28, "SERT"), 0.72, 0.85),
    ("fluoxetine 20 mg", lambda: _occ_mean("fluoxetine", 20.0, 24.0, 56, "SERT"), 0.75, 0.85),
    ("sertraline 50 mg", lambda: _occ_mean("sertraline", 50.0, 24.0, 28, "SERT"), 0.75, 0.85),
    ("paroxetine 20 mg", lambda: _occ_mean("paroxetine", 20.0, 24.0, 28, "SERT"), 0.78, 0.88),
    # klein2007: escitalopram 10 mg/d, 81.5% (EC50 derived from it)
    ("escitalopram 10 mg", lambda: _occ_mean("escitalopram", 10.0, 24.0, 21, "SERT"), 0.76, 0.86),
    # kapur1997: haloperidol 2 mg/d for 2 weeks, striatal D2 53-74% (mean ~67%); EC50 from fitzgerald2000
    ("haloperidol 2 mg D2", lambda: _occ_mean("haloperidol", 2.0, 24.0, 14, "D2"), 0.53, 0.80),
    # kapur1995 / V05: risperidone 2 and 4 mg/d, 66% and 73% (V05 bands)
    ("risperidone 2 mg D2", lambda: _occ_mean("risperidone", 2.0, 24.0, 10, "D2"), 0.59, 0.73),
    ("risperidone 4 mg D2", lambda: _occ_mean("risperidone", 4.0, 24.0, 10, "D2"), 0.66, 0.80),
    # fowler1993 (brief): selegiline 10 mg/d inactivates brain MAO-B almost completely
    ("selegiline 10 mg MAO-B", lambda: _occ_mean("selegiline", 10.0, 24.0, 14, "MAO-B"), 0.90, 1.00),
    # selegiline stays MAO-B selective at 10 mg/d (eldepryl_label): MAO-A well below half
    ("selegiline 10 mg MAO-A", lambda: _occ_mean("selegiline", 10.0, 24.0, 14, "MAO-A"), 0.0, 0.35),
    # sacher2011 (PMID 21463543): 74% (SD 6%, 95% CI 70-78%) brain MAO-A occupancy after 6 weeks of
    # 300-600 mg/d; chiuccariello2015 (PMID 26316187): 74.2 +/- 8.3% at 300-600 mg/d. Band mean +/- 1 SD at
    # the middle (450 mg/d) and top (600 mg/d) of the dose range; the bottom end is an xfail below.
    ("moclobemide 150 mg tid MAO-A", lambda: _occ_mean("moclobemide", 150.0, 8.0, 7, "MAO-A"), 0.66, 0.82),
    ("moclobemide 300 mg bid MAO-A", lambda: _occ_mean("moclobemide", 300.0, 12.0, 7, "MAO-A"), 0.66, 0.82),
    # chiuccariello2015: 83.75 +/- 5.52% at 900-1200 mg/d; 350 mg tid (1050 mg/d, the middle). The model
    # (0.892) sits at the top of the band.
    ("moclobemide 350 mg tid MAO-A", lambda: _occ_mean("moclobemide", 350.0, 8.0, 7, "MAO-A"), 0.782, 0.893),
    # nardil_label / clinical target: >= 80% MAO inhibition at 45-60 mg/d
    ("phenelzine 15 mg tid MAO-A", lambda: _occ_mean("phenelzine", 15.0, 8.0, 14, "MAO-A"), 0.80, 1.00),
]

OCCUPANCY_XFAIL = [
    # meyer2004: venlafaxine XR 75 mg ~80% (76-85%). After the 2025 PK fix 0.73 (was 0.64); the venlafaxine
    # EC50 is scaled from the ODV PET EC50 by in vitro Ki ratios (owens1997/deecher2006), not fitted.
    ("venlafaxine XR 75 mg SERT", lambda: _occ_mean("venlafaxine", 75.0, 24.0, 10, "SERT", "XR"), 0.76, 0.88,
     "model ~0.73 with EC50s not fitted to Meyer 2004"),
    # sacher2011 / chiuccariello2015: moclobemide 300-600 mg/d, brain MAO-A occupancy 74 +/- 8%; at the
    # bottom of the dose range (300 mg/d) the model gives less.
    ("moclobemide 150 mg bid MAO-A", lambda: _occ_mean("moclobemide", 150.0, 12.0, 7, "MAO-A"), 0.66, 0.82,
     ("model ~0.53 at 300 mg/d (0.39 before the CYP2C19 inactivation); 0.72 at 450 and 0.77 at 600 mg/d, "
      "in the band: the PET cohort's individual doses within 300-600 mg/d are not known")),
]


@pytest.mark.parametrize("label,check,low,high", OCCUPANCY, ids=[o[0] for o in OCCUPANCY])
def test_pet_occupancy_at_typical_doses(label, check, low, high):
    value = check()
    assert low <= value <= high, f"{label}: model {value:.3f}, published {low}-{high}"


@pytest.mark.parametrize("label,check,low,high,reason", OCCUPANCY_XFAIL, ids=[o[0] for o in OCCUPANCY_XFAIL])
@pytest.mark.xfail(strict=True, reason="known occupancy discrepancies, see docs/pharmacology.md section 10")
def test_known_occupancy_discrepancies(label, check, low, high, reason):
    value = check()
    assert low <= value <= high, f"{label}: model {value:.3f}, published {low}-{high} ({reason})"


def test_benzodiazepine_site_occupancy_is_low_at_anxiolytic_doses():
    # Human flumazenil/iomazenil imaging (videbaek1993, pauli1991 in the brief; numbers not re-read here):
    # occupancy at single anxiolytic doses is low, ~10-20%. Peak after a single dose, band 5-25%.
    for drug, dose in (("diazepam", 10.0), ("lorazepam", 2.0)):
        _, tr = _single(drug, dose)
        peak = float(tr.readout("occupancy.GABAA-BZ").max())
        assert 0.05 <= peak <= 0.25, (drug, peak)
