"""What is done to a subject and when: an immutable plan of interventions, compiled to events."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from .engine.compiled import CompiledModel, Events
from . import limits, schedule
from .errors import NotModelledError, ProtocolError
from .interventions.nutrition import GUT_SPECIES, Intake, held_inputs, intake, is_held
from .schedule import dose_times, schedule_problems


@dataclass(frozen=True)
class Dose:
    """One administration of a drug. `infusion_h` makes it a zero-order input over that time;
    `formulation` names an oral product of the drug library (None: the drug's default product)."""

    drug: str
    at_h: float
    dose_mg: float
    route: Literal["oral", "iv", "ip"] = "oral"
    infusion_h: float | None = None
    formulation: str | None = None


@dataclass(frozen=True)
class InputSpan:
    """One intervention's hold on a model input (e.g. `cortisol_fold`) from `start_h` to `end_h`
    (None: to the end). Spans of the same input combine: folds multiply, rates add."""

    name: str
    start_h: float
    end_h: float | None
    value: float
    mode: Literal["multiply", "add"] = "multiply"


@dataclass(frozen=True)
class HormoneDose:
    """One dose of hormone therapy (model/modules/hormones.py), e.g. oral estradiol 2 mg."""

    hormone: str  # the model hormone: estradiol, progesterone or cortisol
    at_h: float
    dose_mg: float
    route: Literal["oral", "iv"] = "oral"


@dataclass(frozen=True)
class Plan:
    intakes: tuple[Intake, ...] = ()
    doses: tuple[Dose, ...] = ()
    inputs: tuple[InputSpan, ...] = ()
    hormone_doses: tuple[HormoneDose, ...] = ()

    @property
    def drugs(self) -> tuple[str, ...]:
        return tuple(sorted({d.drug for d in self.doses}))

    @property
    def formulations(self) -> tuple[tuple[str, str], ...]:
        """(drug, formulation) pairs of the non-default products dosed (each needs a gut compartment)."""
        return tuple(sorted({(d.drug, d.formulation) for d in self.doses if d.formulation}))


def add_nutrition(plan: Plan, name: str, at_h: float, **amounts) -> Plan:
    """Return a plan with one more nutrition intake (see PROTOCOL.md `nutrition`). A supplement that
    acts on a model input (vitamin_b6) holds that input instead of filling the gut."""
    if is_held(name):
        return hold_inputs(plan, held_inputs(name, at_h, **amounts))
    return replace(plan, intakes=(*plan.intakes, intake(name, at_h, **amounts)))


def add_dose(plan: Plan, drug: str, at_h: float, dose_mg: float, *, route: str = "oral",
             every_h: float | None = None, count: int = 1, infusion_h: float | None = None,
             formulation: str | None = None) -> Plan:
    """Return a plan with `count` more doses of `drug` (every `every_h` hours from `at_h`);
    `formulation` picks an oral product of the drug library (e.g. "SR"; None: the default)."""
    from .pharmacology.library import load_drug

    drug_data = load_drug(drug)  # unknown names fail here, with the library listed
    _check_schedule(at_h, dose_mg, every_h, count)
    # Library volumes and clearances are systemic, so IV dosing is defined for every drug; oral
    # dosing needs an absorption block.
    if route == "ip":
        raise NotModelledError(f"route 'ip' for {drug}: preclinical (species-scaled) protocols are not "
                               "modelled yet; use oral or iv")
    if route == "oral" and drug_data.absorption is None:
        raise ProtocolError(f"route 'oral' is not available for {drug} (no absorption data); allowed: iv")
    if route not in ("oral", "iv"):
        raise ProtocolError(f"route {route!r}; allowed: oral, iv")
    if infusion_h is not None and route != "iv":
        raise ProtocolError(f"infusion_h = {infusion_h} with route {route!r}: a zero-order infusion is "
                            "given IV; write route: iv")
    if formulation is not None and route != "oral":
        raise ProtocolError(f"formulation {formulation!r} with route {route!r}: a formulation is an oral "
                            "product; write route: oral or remove formulation")
    form = drug_data.formulation(formulation)  # library spelling; unknown names list the products
    new = tuple(Dose(drug, t, float(dose_mg), route, infusion_h, form)
                for t in dose_times(at_h, every_h or None, count))
    return replace(plan, doses=(*plan.doses, *new))


def add_hormone_dose(plan: Plan, name: str, at_h: float, dose_mg: float, *, route: str = "oral",
                     every_h: float | None = None, count: int = 1, where: str = "hormone") -> Plan:
    """Return a plan with `count` more doses of hormone therapy (`name` may be an alias such as
    hydrocortisone), with the same schedule rules as `add_dose`."""
    from .interventions.hormone_therapy import check_dose

    _check_schedule(at_h, dose_mg, every_h, count, where)
    hormone = check_dose(name, dose_mg, route, where)
    new = tuple(HormoneDose(hormone, t, float(dose_mg), route)  # type: ignore[arg-type]
                for t in dose_times(at_h, every_h or None, count))
    return replace(plan, hormone_doses=(*plan.hormone_doses, *new))


def _check_schedule(at_h: float, dose_mg: float, every_h: float | None, count: int, where: str = "") -> None:
    """The schedule rules (schedule.py), worded for a caller of the plan API; `where` prefixes the key."""
    # every_h 0 has always meant "no interval" here
    problems = schedule_problems(at_h, dose_mg, every_h or None, count)
    if not problems:
        return
    problem = problems[0]
    key = f"{where}.{problem.key}" if where else problem.key
    value = {"dose_mg": dose_mg, "every_h": every_h, "count": count}[problem.key]
    said = f"{key}: {value}" if where else f"{key} = {value}"
    if problem.rule == "dose":
        limit = f", at most {schedule.MAX_DOSE_MG:g} ({schedule.MAX_DOSE_MG / 1000:g} g)" if dose_mg > 0 else ""
        raise ProtocolError(f"{said}: a dose must be a positive number of milligrams{limit}")
    if problem.rule == "interval":
        raise ProtocolError(f"{said}: the interval between doses must be a positive number of hours, at "
                            f"most {limits.MAX_TIME_H:g}")
    if problem.rule == "count":
        raise ProtocolError(f"{said}: the number of doses must be at least 1" if count < 1 else
                            f"{said}: the number of doses must be a whole number, at most {schedule.MAX_COUNT}")
    if problem.rule == "needs_interval":
        raise ProtocolError(f"{key + ': ' if where else ''}count > 1 needs every_h (hours between doses)")
    raise ProtocolError(f"{said}: the last dose would be at {problem.last_h:g} h, after {limits.MAX_TIME_H:g} h "
                        f"({limits.MAX_TIME_H / 8760:g} years); lower count or every_h")


def hold_input(plan: Plan, name: str, start_h: float, value: float, *, end_h: float | None = None,
               mode: Literal["multiply", "add"] = "multiply") -> Plan:
    """Hold input `name` at `value` x its baseline (mode multiply) or baseline + `value` (mode add)
    from `start_h` to `end_h`; overlapping holds of one input combine instead of overwriting."""
    return hold_inputs(plan, [(name, start_h, end_h, value, mode)])


def hold_inputs(plan: Plan, holds) -> Plan:
    """`hold_input` for many (name, start_h, end_h, value, mode) holds at once (a daily rhythm)."""
    spans = []
    for name, start, end, value, mode in holds:
        if end is not None and end <= start:
            raise ProtocolError(f"input {name!r}: end {end} h is not after start {start} h; give an end "
                                "after the start, or none to hold to the end")
        spans.append(InputSpan(name, float(start), None if end is None else float(end), float(value), mode))
    return replace(plan, inputs=(*plan.inputs, *spans))


def _input_rows(plan: Plan, model: CompiledModel, p: np.ndarray) -> list:
    rows = []
    pi = model.param_index
    for name in sorted({span.name for span in plan.inputs}):
        if name not in pi or not model.network.parameter(name).input:
            raise ProtocolError(f"{name!r} is not a model input; inputs: "
                                f"{', '.join(q.name for q in model.network.parameters if q.input)}")
        spans = [sp for sp in plan.inputs if sp.name == name]
        base = float(p[pi[name]])
        # Sweep the cut times in order, keeping the active spans (a daily rhythm adds thousands of
        # hourly spans, so testing every span at every cut would be quadratic).
        starts = sorted(range(len(spans)), key=lambda k: spans[k].start_h)
        cuts = sorted({t for sp in spans for t in (sp.start_h, sp.end_h) if t is not None})
        active: dict[int, InputSpan] = {}
        nxt = 0
        for t in cuts:
            while nxt < len(starts) and spans[starts[nxt]].start_h <= t:
                active[starts[nxt]] = spans[starts[nxt]]
                nxt += 1
            for k in [k for k, sp in active.items() if sp.end_h is not None and sp.end_h <= t]:
                del active[k]
            value = base
            for k in sorted(active):  # in plan order, as before
                sp = active[k]
                value = value * sp.value if sp.mode == "multiply" else value + sp.value
            rows.append((t, 1, pi[name], value, -1))
    return rows


def events_for(plan: Plan, model: CompiledModel, p: np.ndarray | None = None) -> Events:
    """The plan's events for `model`; `p` (the subject's parameters) sets lags and input baselines."""
    p = model.p_default if p is None else p
    rows = []
    pi, si = model.param_index, model.species_index
    for item in plan.intakes:
        for aa, umol in item.amino_acids_umol.items():
            rows.append((item.at_h, 0, si[GUT_SPECIES[aa]], umol, pi["aa_volume"]))
        if item.carbohydrate_g:
            rows.append((item.at_h, 0, si["gut_carb"], item.carbohydrate_g, -1))
        for species, umol in item.compounds_umol.items():
            rows.append((item.at_h, 0, si[species], umol, -1))
    rows += _input_rows(plan, model, p)
    from .model.modules.hormones import HORMONES

    for hd in plan.hormone_doses:
        # amount in the compartment's unit: pmol = mg x 1e9 / (g/mol), nmol = mg x 1e6 / (g/mol)
        per_mg = HORMONES[hd.hormone][3]
        where = f"{hd.hormone}_gut" if hd.route == "oral" else f"{hd.hormone}_dosed"
        rows.append((hd.at_h, 0, si[where], hd.dose_mg * per_mg, pi[f"{hd.hormone}_mw"]))
    from .pharmacology.library import drug_id

    infusions: dict[str, list[tuple[float, float, float]]] = {}
    for dose in plan.doses:
        d = drug_id(dose.drug)
        mw = pi[f"{d}_mw"]
        ug = dose.dose_mg * 1000.0  # ug / (g/mol) = umol
        if dose.infusion_h:
            rate = ug / p[mw] / dose.infusion_h
            infusions.setdefault(f"{d}_infusion", []).append((dose.at_h, dose.at_h + dose.infusion_h, rate))
        elif dose.route == "iv":
            rows.append((dose.at_h, 0, si[f"{d}_cen"], ug, mw))
        else:
            from .pharmacology.network import formulation_suffix

            x = formulation_suffix(dose.formulation)  # the network's own naming of gut compartments
            if f"{d}_lag{x}" not in pi:
                raise ProtocolError(f"{dose.drug} {dose.formulation}: this model has no gut compartment for "
                                    "that formulation; build it from the plan (simulate.model_for(plan), or "
                                    "network_for(plan.drugs, plan.formulations))")
            start = dose.at_h + float(p[pi[f"{d}_lag{x}"]])
            if f"{d}_release_h{x}" in pi:
                # Zero-order release from the tablet into its gut compartment over the release time.
                span = float(p[pi[f"{d}_release_h{x}"]])
                infusions.setdefault(f"{d}_release{x}", []).append((start, start + span, ug / p[mw] / span))
            else:
                rows.append((start, 0, si[f"{d}_gut{x}"], ug, mw))
    for name, spans in infusions.items():
        # Piecewise-constant total rate: overlapping infusions (or releases) of one input add up.
        cuts = sorted({t for a, b, _ in spans for t in (a, b)})
        for t in cuts:
            rate = sum(r for a, b, r in spans if a <= t < b)
            rows.append((t, 1, pi[name], rate, -1))
    return Events.from_rows(rows)


def input_parameters(events: Events, p: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Parameter vector in force at each output time (replays the set-parameter events)."""
    P = np.tile(p, (times.size, 1))
    for t, kind, target, value in zip(events.t, events.kind, events.target, events.value):
        if kind == 1:
            P[times >= t, target] = value
    return P
