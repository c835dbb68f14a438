"""Regenerate the example patients in src/neuroscape/examples/patients/ (deterministic).

Each person is simulated with the model (a Subject with a few parameters moved 10-30% from
their defaults, the person's genotype and medication), read out at the sampling times, and
given measurement noise from the mapping table's error model. So the files are consistent
with the model by construction, and a calibration should find roughly the perturbed values.

    PYTHONPATH=src .venv/bin/python tools/make_example_patients.py
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from neuroscape.assess.units import lookup, to_model_unit
from neuroscape.plan import Plan, add_dose
from neuroscape.simulate import default_model, simulate
from neuroscape.subject import Subject

OUT = Path(__file__).resolve().parents[1] / "src" / "neuroscape" / "examples" / "patients"
RNG = np.random.default_rng(20261126)
UTC = timezone.utc


def defaults(*names: str) -> dict[str, float]:
    net = default_model().network
    return {n: net.parameter(n).value for n in names}


def noisy(key: str, value: float) -> float:
    """value with the table's measurement noise (normal with sd = sigma(value))."""
    err = lookup(key).error
    sd = {"proportional": err.cv * abs(value), "additive": err.sd,
          "combined": float(np.hypot(err.cv * value, err.sd))}[err.kind]
    return float(value + RNG.normal(0.0, sd))


def reported(key: str, value: float, unit: str) -> float:
    """`value` in the table entry's model unit, written in `unit` (UCUM) as the lab reports it
    (mass <-> molar through the table's molar mass)."""
    return value / to_model_unit(1.0, unit, lookup(key))


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def quantity(value: float, unit: str) -> dict:
    return {"value": round(value, 4), "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}


def lab(id_: str, loinc: str | None, text: str, value: float, unit: str, when: datetime, **extra) -> dict:
    code = {"text": text}
    if loinc:
        code["coding"] = [{"system": "http://loinc.org", "code": loinc, "display": text}]
    res = {"resourceType": "Observation", "id": id_, "status": "final",
           "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                     "code": extra.pop("category", "laboratory")}]}],
           "code": code, "subject": {"reference": "Patient/" + extra.pop("patient")},
           "effectiveDateTime": iso(when), "valueQuantity": quantity(value, unit)}
    res.update(extra)
    return res


def genotype_obs(id_: str, patient: str, gene: str, hgnc: str, diplotype: str, when: datetime) -> dict:
    return {"resourceType": "Observation", "id": id_, "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "laboratory"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "84413-4", "display": "Genotype display name"}]},
            "subject": {"reference": "Patient/" + patient}, "effectiveDateTime": iso(when),
            "valueCodeableConcept": {"text": f"{gene} {diplotype}"},
            "component": [{"code": {"coding": [{"system": "http://loinc.org", "code": "48018-6",
                                                 "display": "Gene studied [ID]"}]},
                           "valueCodeableConcept": {"coding": [{"system": "http://www.genenames.org/geneId",
                                                                "code": hgnc, "display": gene}]}}]}


def bundle(entries: list[dict]) -> dict:
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"urn:uuid:{r['resourceType'].lower()}-{r['id']}", "resource": r} for r in entries]}


def hours(t: datetime, t0: datetime) -> float:
    return (t - t0).total_seconds() / 3600.0


# ---- (a) Anna: female 34, CYP2C19 *2/*2, escitalopram 10 mg daily for 6 weeks -------------------

def anna() -> None:
    p = defaults("kyn_clearance", "cortisol_base", "tph2_expr_raphe")
    who = Subject(sex="female", age_years=34.4, weight_kg=61.0, genotypes={"CYP2C19": "*2/*2"},
                  parameters={"kyn_clearance": p["kyn_clearance"] * 0.8, "cortisol_base": p["cortisol_base"] * 1.2,
                              "tph2_expr_raphe": p["tph2_expr_raphe"] * 0.85})
    t0 = datetime(2026, 8, 3, 8, 0, tzinfo=UTC)
    plan = add_dose(Plan(), "escitalopram", 0.0, 10.0, every_h=24.0, count=42)
    base = simulate(who, Plan(), [0.0])
    levels = [t0 + timedelta(days=d, hours=-0.25) for d in (14, 28, 42)]  # troughs before the 08:00 dose
    traj = simulate(who, plan, [hours(t, t0) for t in levels])
    esc = traj.readout("plasma.escitalopram")
    baseline_t = datetime(2026, 7, 31, 8, 30, tzinfo=UTC)
    res = [{"resourceType": "Patient", "id": "anna", "gender": "female", "birthDate": "1992-03-14"},
           lab("anna-weight", "29463-7", "Body weight", 61.0, "kg", baseline_t, patient="anna", category="vital-signs"),
           genotype_obs("anna-cyp2c19", "anna", "CYP2C19", "HGNC:2621", "*2/*2", datetime(2026, 6, 20, 10, tzinfo=UTC)),
           # plasma tryptophan reported in mg/dL, cortisol in ug/dL (US units), the rest SI
           lab("anna-trp", None, "Tryptophan, plasma",
               reported("tryptophan", noisy("tryptophan", float(base.readout("plasma.tryptophan")[0])), "mg/dL"),
               "mg/dL",
               baseline_t, patient="anna"),
           lab("anna-kyn", None, "Kynurenine, plasma", noisy("kynurenine", float(base.readout("plasma.kynurenine")[0])),
               "umol/L", baseline_t, patient="anna"),
           lab("anna-cortisol", "2143-6", "Cortisol [Mass/volume] in Serum or Plasma",
               reported("cortisol", noisy("cortisol", float(base.readout("plasma.cortisol")[0])), "ug/dL"),
               "ug/dL", baseline_t,
               patient="anna", note=[{"text": "drawn 08:30, fasting; reports poor sleep for 2 weeks"}]),
           lab("anna-e2", "2243-4", "Estradiol (E2) [Mass/volume] in Serum or Plasma",
               reported("estradiol", noisy("estradiol", float(base.readout("plasma.estradiol")[0])), "pg/mL"),
               "pg/mL", baseline_t,
               patient="anna"),
           {"resourceType": "Condition", "id": "anna-mdd", "subject": {"reference": "Patient/anna"},
            "code": {"text": "Major depressive disorder, single episode, moderate"}},
           {"resourceType": "MedicationStatement", "id": "anna-esc", "status": "active",
            "subject": {"reference": "Patient/anna"},
            "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                      "code": "321988", "display": "escitalopram"}],
                                          "text": "escitalopram 10 mg tablet"},
            "effectivePeriod": {"start": iso(t0)},
            "dosage": [{"text": "10 mg once daily in the morning",
                        "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                        "route": {"text": "oral"},
                        "doseAndRate": [{"doseQuantity": quantity(10, "mg")}]}]}]
    for k, (t, c) in enumerate(zip(levels, esc), 1):
        res.append(lab(f"anna-esc-{k}", "34405-1", "Escitalopram [Mass/volume] in Serum or Plasma",
                       noisy("escitalopram", float(c)), "ng/mL", t, patient="anna"))
    (OUT / "anna-fhir.json").write_text(json.dumps(bundle(res), indent=1) + "\n")


# ---- (b) Ben: male 52, CYP2D6 *4/*4, no medication, CSF + MRS ---------------------------------

def ben() -> None:
    p = defaults("gad_vmax", "th_scale", "p0_trp")
    who = Subject(sex="male", age_years=52.3, weight_kg=88.0, genotypes={"CYP2D6": "*4/*4"},
                  parameters={"gad_vmax": p["gad_vmax"] * 0.8, "th_scale": p["th_scale"] * 1.15,
                              "p0_trp": p["p0_trp"] * 0.9})
    b = simulate(who, Plan(), [0.0])
    blood = datetime(2026, 5, 12, 7, 45, tzinfo=UTC)
    lp = datetime(2026, 5, 14, 9, 10, tzinfo=UTC)
    mrs = datetime(2026, 5, 19, 14, 0, tzinfo=UTC)
    rows = [("ben", "", "", "sex", "male", "", "", ""),
            ("ben", "", "", "birth_date", "1974-01-30", "", "", ""),
            ("ben", iso(blood), "", "weight", "88", "kg", "", ""),
            ("ben", iso(blood), "", "genotype:CYP2D6", "*4/*4", "", "", ""),
            ("ben", "", "", "condition", "Generalised anxiety disorder", "", "", ""),
            ("ben", "", "", "note", "Drug-free for 3 months; previously paroxetine 20 mg (stopped, side effects)", "", "", "")]
    for key, code, q in (("tryptophan", "20659-9", "plasma.tryptophan"), ("tyrosine", "20660-7", "plasma.tyrosine"),
                         ("phenylalanine", "14875-9", "plasma.phenylalanine"), ("leucine", "20649-0", "plasma.leucine"),
                         ("isoleucine", "20648-2", "plasma.isoleucine"), ("valine", "20661-5", "plasma.valine")):
        rows.append(("ben", iso(blood), code, key, f"{noisy(key, float(b.readout(q)[0])):.1f}", "umol/L", "plasma", ""))
    rows.append(("ben", iso(lp), "47544-2", "csf_5hiaa", f"{noisy('csf_5hiaa', float(b.readout('csf.5hiaa')[0])):.1f}",
                 "nmol/L", "CSF", ""))
    rows.append(("ben", iso(lp), "", "hva", f"{noisy('csf_hva', float(b.readout('csf.hva')[0])):.1f}",
                 "nmol/L", "CSF", ""))
    rows.append(("ben", iso(mrs), "", "gaba", f"{noisy('mrs_gaba', float(b.readout('brain.gaba', 'cortex')[0])):.3f}",
                 "mmol/kg", "MRS", "cortex"))
    with (OUT / "ben-records.csv").open("w", newline="") as f:
        f.write("# Ben: long-format patient record (docs/assessment.md). Times in UTC.\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["patient_id", "time", "code", "name", "value", "unit", "specimen", "region"])
        w.writerows(rows)


# ---- (c) Carla: female 45, CYP2B6 *6/*6, bupropion 150 mg bid, PET DAT occupancy ---------------

def carla() -> None:
    p = defaults("th_scale", "kyn_clearance")
    who = Subject(sex="female", age_years=45.6, weight_kg=72.0, genotypes={"CYP2B6": "*6/*6"},
                  parameters={"th_scale": p["th_scale"] * 0.9, "kyn_clearance": p["kyn_clearance"] * 1.1})
    t0 = datetime(2026, 9, 7, 8, 0, tzinfo=UTC)
    n = 2 * 21  # 3 weeks bid
    plan = add_dose(Plan(), "bupropion", 0.0, 150.0, every_h=12.0, count=n)
    draws = [t0 + timedelta(days=7, hours=-0.5), t0 + timedelta(days=14, hours=3)]   # trough, ~peak
    pet = t0 + timedelta(days=20, hours=3)
    traj = simulate(who, plan, [hours(t, t0) for t in (*draws, pet)])
    bup, hyd = traj.readout("plasma.bupropion"), traj.readout("plasma.hydroxybupropion")
    occ = traj.readout("occupancy.DAT")
    res = [{"resourceType": "Patient", "id": "carla", "gender": "female", "birthDate": "1981-02-02"},
           lab("carla-weight", "29463-7", "Body weight", 72.0, "kg", t0 - timedelta(days=1), patient="carla",
               category="vital-signs"),
           genotype_obs("carla-cyp2b6", "carla", "CYP2B6", "HGNC:2615", "*6/*6", datetime(2026, 8, 1, 9, tzinfo=UTC)),
           {"resourceType": "Condition", "id": "carla-dep", "subject": {"reference": "Patient/carla"},
            "code": {"text": "Recurrent depressive disorder with fatigue"}},
           {"resourceType": "MedicationRequest", "id": "carla-bup", "status": "active", "intent": "order",
            "subject": {"reference": "Patient/carla"}, "authoredOn": iso(t0 - timedelta(days=2)),
            "medicationCodeableConcept": {"text": "Bupropion hydrochloride 150 mg (immediate release)"},
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": iso(t0)},
                                                         "frequency": 2, "period": 1, "periodUnit": "d"}},
                                   "route": {"text": "oral"},
                                   "doseAndRate": [{"doseQuantity": quantity(150, "mg")}]}],
            "note": [{"text": "Switched from sertraline; discuss 300 mg/day if no response by week 6"}]}]
    for k, t in enumerate(draws):
        res.append(lab(f"carla-bup-{k + 1}", None, "Bupropion, serum", noisy("bupropion", float(bup[k])),
                       "ng/mL", t, patient="carla"))
        res.append(lab(f"carla-ohbup-{k + 1}", None, "Hydroxybupropion, serum",
                       noisy("hydroxybupropion", float(hyd[k])), "ng/mL", t, patient="carla"))
    res.append(lab("carla-pet-dat", None, "DAT occupancy", 100 * noisy("pet_dat_occupancy", float(occ[2])), "%",
                   pet, patient="carla", category="imaging", bodySite={"text": "striatum"},
                   note=[{"text": "[11C]-PE2I PET, occupancy vs. a population baseline BPnd"}]))
    (OUT / "carla-fhir.json").write_text(json.dumps(bundle(res), indent=1) + "\n")


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    anna()
    ben()
    carla()
    print(f"wrote {', '.join(sorted(p.name for p in OUT.iterdir()))}")
