"""The protocol parser: the PROTOCOL.md example parses, and every malformed file gives a ProtocolError
naming the key path and the bad value."""

from __future__ import annotations

import copy
import math
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuroscape.errors import ProtocolError
from neuroscape.protocol import (
    KNOWN_QUANTITIES,
    QUANTITY_TEMPLATES,
    REGIONS,
    DrugIntervention,
    ExerciseIntervention,
    HormoneIntervention,
    InflammationIntervention,
    NutritionIntervention,
    Protocol,
    ReadoutSpec,
    SleepIntervention,
    load_protocol,
    parse_protocol,
)

EXAMPLE = """\
protocol: 1
name: citalopram-20mg-4-weeks
subject:                      # every key optional; defaults = a healthy adult of the given sex
  sex: male                   # male | female
  age_years: 35
  weight_kg: 75
  genotypes:                  # star alleles (PharmVar) or CPIC phenotype words
    CYP2C19: "*2/*2"          # -> poor metabolizer
    CYP2D6: normal
  modifications:              # applied from t = 0, before the baseline steady state is found
    DAT: 0.0                  # expression/activity multiplier of a named protein (1 = typical)
    dopamine_neurons: 0.1     # fraction of a neuron population that remains (lesion models)
interventions:
  - drug: citalopram          # a name in the drug library
    dose_mg: 20
    route: oral               # oral | iv | ip (ip only for species-scaled preclinical protocols, optional)
    every_h: 24
    count: 28                 # number of doses; omit for one dose
    start_h: 0
  - nutrition: tryptophan_depletion_drink   # named preset from the nutrition library
    at_h: 0
  - nutrition: meal
    at_h: 12
    protein_g: 30
    carbohydrate_g: 80
  - exercise: endurance       # endurance | resistance | ...
    start_h: 2
    duration_h: 3
    intensity: 0.7            # fraction of VO2max
  - hormone: estradiol        # estradiol | progesterone | cortisol | ...
    start_h: 0
    fold: 0.01                # level relative to the subject's baseline, held from start_h
  - inflammation: interferon_alpha
    start_h: 0
    fold: 5
readouts:
  - id: sert                  # unique id, used as the key in the output
    quantity: occupancy.SERT
    at_h: 672
  - id: e5ht_cortex
    quantity: brain.serotonin.extracellular
    region: cortex
    at_h: [0, 4, 24]          # a list gives a list of values
    relative_to: baseline     # value / pre-intervention steady-state value
"""


def example() -> dict[str, Any]:
    return yaml.safe_load(EXAMPLE)


def changed(path: list[Any], value: Any) -> dict[str, Any]:
    """The example with the value at `path` replaced (or added)."""
    data = example()
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return data


def without(path: list[Any]) -> dict[str, Any]:
    data = example()
    target = data
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    return data


def write(tmp_path: Path, text: str, name: str = "p.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the example --------------------------------------------------------------------------------

def test_example_parses_with_its_values(tmp_path: Path) -> None:
    p = load_protocol(write(tmp_path, EXAMPLE))
    assert isinstance(p, Protocol)
    assert (p.protocol, p.name, p.clock_start) == (1, "citalopram-20mg-4-weeks", "08:00")
    assert p.subject.sex == "male" and p.subject.age_years == 35 and p.subject.weight_kg == 75
    assert p.subject.genotypes == {"CYP2C19": "*2/*2", "CYP2D6": "normal"}
    assert p.subject.modifications == {"DAT": 0.0, "dopamine_neurons": 0.1}

    drug, drink, meal, exercise, hormone, inflammation = p.interventions
    assert isinstance(drug, DrugIntervention) and drug.kind == "drug"
    assert (drug.drug, drug.dose_mg, drug.route, drug.every_h, drug.count, drug.start_h) == (
        "citalopram", 20, "oral", 24, 28, 0)
    assert drug.infusion_h is None
    assert drug.dose_times_h == tuple(24.0 * i for i in range(28)) == drug.times_h
    assert isinstance(drink, NutritionIntervention) and drink.kind == "nutrition"
    assert (drink.nutrition, drink.at_h, drink.dose_mg, drink.times_h) == (
        "tryptophan_depletion_drink", 0, None, (0.0,))
    assert (meal.nutrition, meal.at_h, meal.protein_g, meal.carbohydrate_g, meal.fat_g) == (
        "meal", 12, 30, 80, None)
    assert isinstance(exercise, ExerciseIntervention) and exercise.kind == "exercise"
    assert (exercise.exercise, exercise.start_h, exercise.duration_h, exercise.intensity) == (
        "endurance", 2, 3, 0.7)
    assert exercise.times_h == (2.0,) and exercise.end_h == 5.0
    assert isinstance(hormone, HormoneIntervention) and hormone.kind == "hormone"
    assert (hormone.hormone, hormone.start_h, hormone.fold, hormone.dose_mg) == ("estradiol", 0, 0.01, None)
    assert hormone.times_h == (0.0,) and hormone.dose_times_h == ()
    assert isinstance(inflammation, InflammationIntervention) and inflammation.kind == "inflammation"
    assert (inflammation.inflammation, inflammation.fold, inflammation.duration_h) == (
        "interferon_alpha", 5, None)

    sert, e5ht = p.readouts
    assert isinstance(sert, ReadoutSpec)
    assert (sert.id, sert.quantity, sert.region, sert.at_h, sert.relative_to) == (
        "sert", "occupancy.SERT", None, 672, None)
    assert sert.times_h == (672.0,) and not sert.is_list
    assert (e5ht.id, e5ht.quantity, e5ht.region, e5ht.relative_to) == (
        "e5ht_cortex", "brain.serotonin.extracellular", "cortex", "baseline")
    assert e5ht.at_h == (0.0, 4.0, 24.0) == e5ht.times_h and e5ht.is_list


def test_example_as_json_parses(tmp_path: Path) -> None:
    import json
    p = load_protocol(write(tmp_path, json.dumps(example()), "p.json"))
    assert p == parse_protocol(example())


def test_models_are_frozen() -> None:
    p = parse_protocol(example())
    with pytest.raises(Exception):
        p.name = "other"  # type: ignore[misc]


def test_exported_vocabularies() -> None:
    assert "brain.serotonin.extracellular" in KNOWN_QUANTITIES and len(KNOWN_QUANTITIES) == 19
    assert "occupancy.<target>" in QUANTITY_TEMPLATES
    assert REGIONS == ("raphe", "cortex", "hippocampus", "striatum", "prefrontal")


def test_minimal_protocol_uses_defaults() -> None:
    p = parse_protocol({"protocol": 1, "name": "m", "readouts": [{"id": "t", "quantity": "plasma.tryptophan",
                                                                 "at_h": 0}]})
    assert p.interventions == () and p.subject.sex == "male" and p.subject.genotypes == {}


def test_extensions_and_other_kinds_parse() -> None:
    data = changed(["clock_start"], "22:30")
    data["interventions"] += [
        {"sleep": "night", "start_h": 22, "duration_h": 8},
        {"sleep_deprivation": None, "start_h": 40, "duration_h": 24},
        {"nutrition": "tryptophan", "at_h": 1, "dose_mg": 1000, "every_h": 8, "count": 3},
        {"hormone": "estradiol", "dose_mg": 2, "every_h": 24, "count": 7, "start_h": 5},
        {"drug": "ketamine", "dose_mg": 35, "route": "iv", "infusion_h": 0.67},
    ]
    data["subject"]["genotypes"]["CYP2D6"] = "*1/*4xN"
    data["subject"]["genotypes"]["CYP3A4"] = "ultrarapid metabolizer"
    p = parse_protocol(data)
    sleep, deprivation, supplement, therapy, infusion = p.interventions[-5:]
    assert isinstance(sleep, SleepIntervention) and (sleep.kind, sleep.label) == ("sleep", "night")
    assert sleep.end_h == 30
    assert (deprivation.kind, deprivation.label) == ("sleep_deprivation", None)
    assert supplement.times_h == (1.0, 9.0, 17.0)
    assert therapy.dose_times_h == tuple(5.0 + 24 * i for i in range(7))
    assert infusion.route == "iv" and infusion.infusion_h == 0.67
    assert p.clock_start == "22:30"


def test_yaml_loader_reads_what_the_file_shows(tmp_path: Path) -> None:
    # YAML 1.1 would read 12:30 as 750 and 1e3 as a string
    text = EXAMPLE.replace("dose_mg: 20", "dose_mg: 2e1") + "clock_start: 12:30\n"
    p = load_protocol(write(tmp_path, text))
    assert p.clock_start == "12:30" and p.interventions[0].dose_mg == 20


def test_custom_nutrition_names() -> None:
    data = changed(["interventions", 1, "nutrition"], "oat_drink")
    with pytest.raises(ProtocolError, match=r"interventions\[1\]\.nutrition: 'oat_drink' is not a known"):
        parse_protocol(data)
    names = {"meal", "oat_drink", "tryptophan_depletion_drink"}
    data["interventions"][1]["dose_mg"] = 500
    assert parse_protocol(data, nutrition_names=names).interventions[1].nutrition == "oat_drink"


# --- malformed files: one case each -------------------------------------------------------------

BAD_CASES = {
    # unknown keys at each level
    "unknown top key": (changed(["readout"], []), r"readout: unknown key; allowed keys: protocol, name, "
                                                  r"subject, interventions, readouts, clock_start, "
                                                  r"circadian, model, parameters \(did you mean 'readouts'\?\)"),
    "unknown subject key": (changed(["subject", "sexx"], "male"),
                            r"subject\.sexx: unknown key; allowed keys: sex, age_years, weight_kg, genotypes, "
                            r"modifications, cycle_day, reproductive_stage, postpartum_day \(did you mean 'sex'\?\)"),
    "unknown drug key": (changed(["interventions", 0, "dose"], 20),
                         r"interventions\[0\]\.dose: unknown key; allowed keys: drug, dose_mg, .*"
                         r"\(did you mean 'dose_mg'\?\)"),
    "unknown sleep key": ({**example(), "interventions": [{"sleep": "n", "start_h": 1, "duration_h": 8,
                                                           "intensity": 1}]},
                          r"interventions\[0\]\.intensity: unknown key; allowed keys: sleep, start_h, "
                          r"duration_h"),
    "unknown readout key": (changed(["readouts", 1, "unit"], "nM"),
                            r"readouts\[1\]\.unit: unknown key; allowed keys: id, quantity, region, at_h, "
                            r"relative_to"),
    # wrong types
    "dose as text": (changed(["interventions", 0, "dose_mg"], "20 mg"),
                     r"interventions\[0\]\.dose_mg: '20 mg' is not allowed: a dose must be a positive "
                     r"number of milligrams \(e\.g\. 20\)"),
    "count as float": (changed(["interventions", 0, "count"], 2.5),
                       r"interventions\[0\]\.count: 2\.5 is not allowed: count is the number of doses"),
    "boolean age": (changed(["subject", "age_years"], True), r"subject\.age_years: true is not allowed"),
    "subject as text": (changed(["subject"], "male"), r"subject: 'male' is not allowed: the subject, a mapping"),
    "readouts as mapping": (changed(["readouts"], {"id": "x"}), r"readouts: \{'id': 'x'\} is not allowed"),
    "interventions as text": (changed(["interventions"], "citalopram"),
                              r"interventions: 'citalopram' is not allowed: a list of interventions"),
    "intervention as text": (changed(["interventions", 2], "meal"),
                             r"interventions\[2\]: 'meal' is not allowed: an intervention is a mapping"),
    "nan dose": (changed(["interventions", 0, "dose_mg"], math.nan), r"interventions\[0\]\.dose_mg: nan is not"),
    "bad sex": (changed(["subject", "sex"], "m"), r"subject\.sex: 'm' is not allowed: sex is male or female"),
    "bad route": (changed(["interventions", 0, "route"], "oarl"),
                  r"interventions\[0\]\.route: 'oarl' is not allowed: the route is one of oral, iv, ip"),
    "bad genotype": (changed(["subject", "genotypes", "CYP2D6"], "slow"),
                     r"subject\.genotypes\.CYP2D6: 'slow' is not allowed: a genotype is a star-allele"),
    "bad gene name": (changed(["subject", "genotypes", "CYP 2D6"], "normal"),
                      r"subject\.genotypes: key 'CYP 2D6' is not allowed: genotype keys are gene names"),
    "modification too large": (changed(["subject", "modifications", "DAT"], 500),
                               r"subject\.modifications\.DAT: 500 is not allowed: .*multiplier from 0 to 100"),
    "bad clock": (changed(["clock_start"], "25:00"), r"clock_start: '25:00' is not allowed: .*HH:MM"),
    "empty name": (changed(["name"], ""), r"name: '' is not allowed: a non-empty name"),
    # physically absurd values
    "negative dose": (changed(["interventions", 0, "dose_mg"], -5),
                      r"interventions\[0\]\.dose_mg: -5 is not allowed: a dose must be a positive number of "
                      r"milligrams \(e\.g\. 20\)"),
    "zero hormone fold": (changed(["interventions", 4, "fold"], 0),
                          r"interventions\[4\]\.fold: 0 is not allowed: fold is the level relative to baseline"),
    "zero inflammation fold": (changed(["interventions", 5, "fold"], 0),
                               r"interventions\[5\]\.fold: 0 is not allowed"),
    "intensity 1.5": (changed(["interventions", 3, "intensity"], 1.5),
                      r"interventions\[3\]\.intensity: 1\.5 is not allowed: intensity is a fraction of VO2max, "
                      r"above 0 and at most 1"),
    "nutrient 250 g": (changed(["interventions", 2, "protein_g"], 250),
                       r"interventions\[2\]\.protein_g: 250 is not allowed: .*from 0 to 200"),
    "supplement over 200 g": (changed(["interventions", 1], {"nutrition": "tyrosine", "dose_mg": 250_000}),
                              r"interventions\[1\]\.dose_mg: 250000 is not allowed"),
    # times
    "unsorted readout times": (changed(["readouts", 1, "at_h"], [0, 24, 4]),
                               r"readouts\[1\]\.at_h\[2\]: 4 is not allowed: a readout list out of order"),
    "repeated readout time": (changed(["readouts", 1, "at_h"], [0, 4, 4]),
                              r"readouts\[1\]\.at_h\[2\]: 4 is not allowed: a readout list out of order"),
    "empty readout times": (changed(["readouts", 1, "at_h"], []), r"readouts\[1\]\.at_h: \[\] is not allowed"),
    "negative start": (changed(["interventions", 3, "start_h"], -1),
                       r"interventions\[3\]\.start_h: -1 is not allowed: a time is a number of hours .*"
                       r"from 0 to 87600 \(10 years\)"),
    "negative readout time": (changed(["readouts", 0, "at_h"], -0.5), r"readouts\[0\]\.at_h: -0\.5 is not allowed"),
    "time beyond 10 years": (changed(["readouts", 0, "at_h"], 90_000),
                             r"readouts\[0\]\.at_h: 90000 is not allowed: .*87600 \(10 years\)"),
    "last dose beyond 10 years": (changed(["interventions", 0, "count"], 4000),
                                  r"interventions\[0\]\.count: 4000 is not allowed: the last dose would be at "
                                  r"95976 h"),
    # names
    "unknown quantity": (changed(["readouts", 1, "quantity"], "brain.serotonin.extra"),
                         r"readouts\[1\]\.quantity: 'brain\.serotonin\.extra' is not a known quantity \(did you "
                         r"mean 'brain\.serotonin\.extracellular'\?\); allowed: .*brain\.serotonin\.extracellular"
                         r".*PROTOCOL\.md"),
    "misspelt template quantity": (changed(["readouts", 0, "quantity"], "ocupancy.SERT"),
                                   r"readouts\[0\]\.quantity: 'ocupancy\.SERT' is not a known quantity \(did you "
                                   r"mean 'occupancy\.SERT'\?\)"),
    "unknown region": (changed(["readouts", 1, "region"], "cortx"),
                       r"readouts\[1\]\.region: 'cortx' is not a known region \(did you mean 'cortex'\?\); "
                       r"allowed: raphe, cortex, hippocampus, striatum, prefrontal"),
    "region on plasma": (changed(["readouts", 0], {"id": "p", "quantity": "plasma.citalopram", "at_h": 1,
                                                   "region": "cortex"}),
                         r"readouts\[0\]\.region: 'cortex' is not allowed: plasma quantities have no region"),
    "duplicate readout ids": (changed(["readouts", 1, "id"], "sert"),
                              r"readouts\[1\]\.id: 'sert' is not allowed: readout ids must be unique and "
                              r"readouts\[0\] already uses it"),
    "bad readout id": (changed(["readouts", 1, "id"], "5ht cortex"), r"readouts\[1\]\.id: '5ht cortex' is not"),
    "unknown nutrition name": (changed(["interventions", 1, "nutrition"], "tryptophan_depletion"),
                               r"interventions\[1\]\.nutrition: 'tryptophan_depletion' is not a known nutrition "
                               r"name \(did you mean 'tryptophan_depletion_drink'\?\)"),
    "relative_to other": (changed(["readouts", 1, "relative_to"], "start"),
                          r"readouts\[1\]\.relative_to: 'start' is not allowed: relative_to is baseline"),
    # intervention structure
    "two kinds": (changed(["interventions", 3, "drug"], "citalopram"),
                  r"interventions\[3\]: 2 kinds \(drug, exercise\) in one intervention; each intervention needs "
                  r"exactly one of the keys drug, nutrition, exercise, sleep, sleep_deprivation, hormone, "
                  r"inflammation"),
    "no kind": (changed(["interventions", 0], {"dose_mg": 20}),
                r"interventions\[0\]: no kind in one intervention; .*drug, nutrition, exercise"),
    "count without every_h": (without(["interventions", 0, "every_h"]),
                              r"interventions\[0\]\.count: 28 is not allowed without every_h"),
    "meal without nutrients": (changed(["interventions", 2], {"nutrition": "meal", "at_h": 1}),
                               r"interventions\[2\]: a meal needs at least one of protein_g, carbohydrate_g"),
    "supplement without dose": (changed(["interventions", 1], {"nutrition": "5-htp", "at_h": 1}),
                                r"interventions\[1\]\.dose_mg: required key is missing; a supplement needs"),
    "grams on a supplement": (changed(["interventions", 1], {"nutrition": "tyrosine", "dose_mg": 100,
                                                             "fat_g": 3}),
                              r"interventions\[1\]\.fat_g: 3 is not allowed: fat_g applies only to nutrition: meal"),
    "hormone with fold and dose": (changed(["interventions", 4, "dose_mg"], 2),
                                   r"interventions\[4\]: both fold and dose_mg given"),
    "hormone without fold or dose": (without(["interventions", 4, "fold"]),
                                     r"interventions\[4\]: neither fold nor dose_mg given"),
    "exercise without duration": (without(["interventions", 3, "duration_h"]),
                                  r"interventions\[3\]\.duration_h: required key is missing"),
    "sleep label not text": ({**example(), "interventions": [{"sleep": {}, "start_h": 1, "duration_h": 8}]},
                             r"interventions\[0\]\.sleep: \{\} is not allowed: a free label"),
    # top level
    "protocol 2": (changed(["protocol"], 2), r"protocol: 2 is not allowed: only version 1 is supported"),
    "missing protocol": (without(["protocol"]), r"protocol: required key is missing; .*write protocol: 1"),
    "missing readouts": (without(["readouts"]), r"readouts: required key is missing; a non-empty list"),
    "empty readouts": (changed(["readouts"], []), r"readouts: \[\] is not allowed: a non-empty list of readouts"),
    "not a mapping": ([1, 2], r"\[1, 2\] is not allowed: a protocol is a mapping"),
    # the daily rhythm
    "circadian sleep not a window": ({**example(), "circadian": {"sleep": "23:00"}},
                                     r"circadian\.sleep: '23:00' is not allowed: sleep is a nightly clock window"),
    "circadian empty window": ({**example(), "circadian": {"sleep": "23:00-23:00"}},
                               r"circadian\.sleep: '23:00-23:00' is not allowed: the window starts and ends"),
    "circadian unknown key": ({**example(), "circadian": {"melatonin": True}},
                              r"circadian\.melatonin: unknown key; allowed keys: cortisol, sleep"),
    "circadian cortisol not bool": ({**example(), "circadian": {"cortisol": "yes"}},
                                    r"circadian\.cortisol: 'yes' is not allowed: cortisol is true"),
}


@pytest.mark.parametrize("data,pattern", list(BAD_CASES.values()), ids=list(BAD_CASES))
def test_malformed_protocol_is_a_protocol_error(data: Any, pattern: str) -> None:
    with pytest.raises(ProtocolError, match=pattern):
        parse_protocol(data, source="case.yaml")


def test_all_problems_are_reported_one_per_line() -> None:
    data = changed(["subject", "sexx"], "m")
    data["interventions"][0]["dose_mg"] = -5
    data["readouts"][1]["at_h"] = [4, 0]
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(data, source="multi.yaml")
    lines = str(caught.value).splitlines()
    assert lines[0] == "multi.yaml: 3 problems:"
    assert [line.split(":")[0].strip() for line in lines[1:]] == [
        "subject.sexx", "interventions[0].dose_mg", "readouts[1].at_h[1]"]
    assert caught.value.problems[1].startswith("interventions[0].dose_mg: -5 is not allowed")


def test_only_version_1_even_as_text() -> None:
    with pytest.raises(ProtocolError, match=r"protocol: '1' is not allowed"):
        parse_protocol(changed(["protocol"], "1"))


# --- files --------------------------------------------------------------------------------------

def test_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match=r"missing\.yaml: protocol file not found"):
        load_protocol(tmp_path / "missing.yaml")


def test_unreadable_yaml(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match=r"p\.yaml: not valid YAML: line 2, column 8: mapping values"):
        load_protocol(write(tmp_path, "protocol: 1\nname: a: b\n"))


def test_unquoted_star_allele_gets_a_hint(tmp_path: Path) -> None:
    text = EXAMPLE.replace('CYP2C19: "*2/*2"', "CYP2C19: *2/*2")
    with pytest.raises(ProtocolError, match=r'must be quoted, e\.g\. CYP2C19: "\*2/\*2"'):
        load_protocol(write(tmp_path, text))


def test_yaml_that_is_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match=r"- a\\n- b|\['a', 'b'\] is not allowed: a protocol is a mapping"):
        load_protocol(write(tmp_path, "- a\n- b\n"))


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match=r"the file is empty"):
        load_protocol(write(tmp_path, "# nothing\n"))


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    text = EXAMPLE.replace("    dose_mg: 20\n", "    dose_mg: 20\n    dose_mg: 40\n")
    with pytest.raises(ProtocolError, match=r"line 16, column 5: found duplicate key 'dose_mg'"):
        load_protocol(write(tmp_path, text))


def test_duplicate_json_key(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match=r"duplicate key 'name'"):
        load_protocol(write(tmp_path, '{"protocol": 1, "name": "a", "name": "b"}', "p.json"))


def test_unreadable_json(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match=r"p\.json: not valid JSON: line 1"):
        load_protocol(write(tmp_path, '{"protocol": 1,', "p.json"))


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match=r"cannot read the protocol file"):
        load_protocol(tmp_path)


# --- property: random mutations never escape as another exception ------------------------------

FIELD_NAMES = sorted({
    "protocol", "name", "subject", "interventions", "readouts", "clock_start", "sex", "age_years",
    "weight_kg", "genotypes", "modifications", "drug", "dose_mg", "route", "every_h", "count", "start_h",
    "infusion_h", "nutrition", "at_h", "protein_g", "carbohydrate_g", "fat_g", "exercise", "duration_h",
    "intensity", "sleep", "sleep_deprivation", "hormone", "fold", "inflammation", "id", "quantity", "region",
    "relative_to", "kind", "label", "CYP2D6", "[key]",
})
SCALARS = (st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.integers() | st.floats()
           | st.text(max_size=12) | st.sampled_from(["oral", "meal", "cortex", "*1/*2", "plasma.x", "08:00"]))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=6) | st.integers(), inner,
                                        max_size=4), max_leaves=10)
KEYS = st.sampled_from(FIELD_NAMES) | st.text(max_size=8) | st.integers() | st.none()


def _containers(node: Any) -> list[Any]:
    found = [node] if isinstance(node, (dict, list)) else []
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    for child in children:
        found += _containers(child)
    return found


@st.composite
def mutated_protocols(draw: st.DrawFn) -> dict[str, Any]:
    data = example()
    for _ in range(draw(st.integers(1, 4))):
        target = draw(st.sampled_from(_containers(data)))
        if isinstance(target, dict):
            key = draw(st.sampled_from(list(target)) | KEYS) if target else draw(KEYS)
            if key in target and draw(st.booleans()):
                del target[key]
            else:
                target[key] = draw(VALUES)
        elif target and draw(st.booleans()):
            index = draw(st.integers(0, len(target) - 1))
            target[index] = draw(VALUES)
        else:
            target.append(draw(VALUES))
    return data


def _use(protocol: Protocol) -> None:
    for intervention in protocol.interventions:
        assert all(0 <= t <= 87_600 for t in intervention.times_h)
    for readout in protocol.readouts:
        assert readout.times_h == tuple(sorted(set(readout.times_h)))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_protocols())
def test_mutated_protocols_parse_or_raise_protocol_error(data: dict[str, Any]) -> None:
    try:
        protocol = parse_protocol(copy.deepcopy(data))
    except ProtocolError as error:
        assert str(error).strip()
        # every reported line starts with a key path (or the source)
        assert all(re.match(r"^\S", line) for line in error.problems)
    else:
        _use(protocol)


NASTY_YAML = ["a: !!int abc", "a: !!float x", "a: !!timestamp foo", "a: !!bool maybe", "a: !!binary '%%'",
              "a: !!python/object:os.system x", "[" * 5000, "a: &x [*x]", "{? [a]: 1}", "\t- x", "a: b\na: c"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200) | st.sampled_from(NASTY_YAML)
       | mutated_protocols().map(lambda d: yaml.safe_dump(d, allow_unicode=True)))
def test_any_yaml_text_parses_or_raises_protocol_error(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            _use(load_protocol(path))
        except ProtocolError:
            pass


# --- vocabularies come from the model and the data files ----------------------------------------

@pytest.fixture
def fresh_vocabulary():
    from neuroscape.protocol import schema

    schema._offered.cache_clear()
    yield
    schema._offered.cache_clear()


def test_every_promised_quantity_and_region_is_offered_by_the_network() -> None:
    from neuroscape.model.library import default_network, default_readouts

    assert default_readouts() == default_network().readouts
    quantities = {r.quantity for r in default_readouts()}
    assert set(KNOWN_QUANTITIES) <= quantities
    assert set(REGIONS) == {r.region for r in default_readouts() if r.region}


def test_a_network_readout_no_list_names_is_accepted() -> None:
    # brain.5-htp is a readout of the network that the schema's own list never named
    data = changed(["readouts", 1, "quantity"], "brain.5-htp")
    assert parse_protocol(data).readouts[1].quantity == "brain.5-htp"


def test_a_new_readout_and_region_need_no_schema_edit(monkeypatch, fresh_vocabulary) -> None:
    from neuroscape.model import library
    from neuroscape.model.network import Readout
    from neuroscape.protocol import schema

    data = changed(["readouts", 1], {"id": "mel", "quantity": "brain.melatonin", "region": "pineal", "at_h": 1})
    with pytest.raises(ProtocolError, match=r"readouts\[1\]\.quantity: 'brain\.melatonin' is not a known quantity"):
        parse_protocol(data)
    original = library.default_readouts()
    monkeypatch.setattr(library, "default_readouts",
                        lambda: (*original, Readout("brain.melatonin", "pineal", "melatonin_pineal", "nM")))
    schema._offered.cache_clear()  # the vocabulary is read once per process; a new module means a new process
    assert parse_protocol(data).readouts[1].region == "pineal"
    with pytest.raises(ProtocolError, match=r"allowed: raphe, cortex, hippocampus, striatum, prefrontal, pineal;"):
        parse_protocol(changed(["readouts", 1, "region"], "pinal"))


def test_a_new_nutrition_preset_needs_no_schema_edit(monkeypatch) -> None:
    from neuroscape.interventions import nutrition

    original = nutrition.presets()
    monkeypatch.setattr(nutrition, "presets", lambda: {**original, "oat_drink": {"name": "oat_drink",
                                                                                  "kind": "drink"}})
    drink = parse_protocol(changed(["interventions", 1], {"nutrition": "oat_drink", "at_h": 2}))
    assert drink.interventions[1].nutrition == "oat_drink"
    with pytest.raises(ProtocolError, match=r"interventions\[1\]\.dose_mg: 5 is not allowed: oat_drink is a fixed "
                                            r"preset"):
        parse_protocol(changed(["interventions", 1], {"nutrition": "oat_drink", "dose_mg": 5}))


def test_each_kind_key_picks_its_intervention_class() -> None:
    from neuroscape.protocol import INTERVENTION_KINDS

    data = example()
    data["interventions"] += [{"sleep": "night", "start_h": 22, "duration_h": 8},
                              {"sleep_deprivation": "total", "start_h": 40, "duration_h": 24}]
    items = parse_protocol(data).interventions
    assert [item.kind for item in items] == ["drug", "nutrition", "nutrition", "exercise", "hormone",
                                             "inflammation", "sleep", "sleep_deprivation"]
    assert all(type(item) is INTERVENTION_KINDS[item.kind] for item in items)
    assert [item.label for item in items[-2:]] == ["night", "total"]
    # models made in code pass through the union by their class
    protocol = parse_protocol(data)
    assert Protocol(**dict(protocol)) == protocol


def test_parsing_reads_the_network_modules_without_assembling_the_network() -> None:
    # the vocabulary check must not cost an assembly (or a compilation) of the model
    import subprocess
    import sys

    code = ("from neuroscape.protocol import parse_protocol\n"
            "from neuroscape.model import library\n"
            f"parse_protocol({example()!r})\n"
            "assert library.default_readouts.cache_info().currsize == 1\n"
            "assert library.default_network.cache_info().currsize == 0\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
