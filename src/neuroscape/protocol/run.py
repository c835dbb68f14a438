"""Run a parsed protocol: subject -> plan -> simulate -> readouts (PROTOCOL.md output format)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine.compiled import Solver
from ..errors import DataError, ModelError, NotModelledError, ProtocolError
from ..interventions.hormone_therapy import ABSURD_DOSE_FACTOR
from ..plan import (
    Plan,
    add_dose,
    add_hormone_dose,
    add_nutrition,
    hold_input,
    hold_inputs,
)
from ..simulate import Trajectory, model_for, simulate
from ..subject import Subject
from .schema import (
    DrugIntervention,
    ExerciseIntervention,
    FastingIntervention,
    HormoneIntervention,
    InflammationIntervention,
    NutritionIntervention,
    Protocol,
    SleepIntervention,
)
from .summaries import summarise, summary_grid, summary_unit

HORMONE_INPUTS = {"cortisol": "cortisol_fold", "estradiol": "estradiol_fold",
                  "progesterone": "progesterone_fold"}
# Cytokine stimuli that drive IDO (the model carries one lumped cytokine drive)
INFLAMMATION_NAMES = ("interferon_alpha", "il6", "il-6", "tnf_alpha", "lps")


@dataclass(frozen=True)
class ProtocolResult:
    protocol: Protocol
    trajectory: Trajectory
    readouts: dict[str, dict]

    def to_dict(self) -> dict:
        return {"protocol": self.protocol.protocol, "name": self.protocol.name, "readouts": self.readouts}


def subject_of(protocol: Protocol) -> Subject:
    """The protocol's subject, with its `parameters:` (checked against the parameter table of the
    protocol's model, converted to the table's units) as the subject's parameter values, which the
    one scenario path (scenario.py) puts into the parameter vector last."""
    s = protocol.subject
    return Subject(sex=s.sex, age_years=s.age_years, weight_kg=s.weight_kg,
                   genotypes=dict(s.genotypes), modifications=dict(s.modifications),
                   cycle_day=s.cycle_day, reproductive_stage=s.reproductive_stage,
                   postpartum_day=s.postpartum_day, parameters=parameter_overrides(protocol))


def network_of(protocol: Protocol):
    """The network a protocol runs on: the default one with the protocol's drugs wired in."""
    from ..model.library import default_network

    plan = plan_of(protocol) if any(isinstance(i, DrugIntervention) for i in protocol.interventions) else Plan()
    if not plan.drugs:
        return default_network()
    from ..pharmacology.network import network_for

    return network_for(plan.drugs, plan.formulations)


def parameter_overrides(protocol: Protocol, values=None, where: str = "parameters") -> dict[str, float]:
    """`values` (default: the protocol's `parameters:`) checked against the parameter table of the
    protocol's model, in the table's units; ProtocolError naming `where`.<name> for every problem."""
    from ..model.parameters import override_values

    values = protocol.parameters if values is None else values
    if not values:
        return {}
    try:
        return override_values(network_of(protocol), values)
    except ModelError as exc:
        # a file's key path (parameters.sert_km) or an option as it was typed (--set sert_km=-3)
        label = ((lambda n: f"{where} {n}={values[n]}") if where.startswith("--")
                 else (lambda n: f"{where}.{n}"))
        lines = [f"{label(name)}: {msg}" for name, msg in exc.problems]  # type: ignore[attr-defined]
        raise ProtocolError(lines[0] if len(lines) == 1 else f"{len(lines)} problems:\n" + "\n".join(
            f"  {line}" for line in lines)) from None


def with_settings(protocol: Protocol, settings) -> Protocol:
    """The protocol with `--set NAME=VALUE` settings (texts) over its `parameters:` (a setting wins).
    ProtocolError naming the option for a malformed or impossible setting."""
    values = {}
    for text in settings:
        name, eq, value = str(text).partition("=")
        name, value = name.strip(), value.strip()
        if not eq or not name or not value:
            raise ProtocolError(f"--set {text}: write --set NAME=VALUE, e.g. --set sert_km=0.08 or "
                                "--set rel_5ht=\"2 1/h\" (a number in the table's unit or a value with a unit)")
        values[name] = value
    resolved = parameter_overrides(protocol, values, where="--set")
    return protocol.model_copy(update={"parameters": {**protocol.parameters, **resolved}})


def plan_of(protocol: Protocol) -> Plan:
    plan = Plan()
    for i, item in enumerate(protocol.interventions):
        where = f"interventions[{i}]"
        if isinstance(item, DrugIntervention):
            plan = _add_drug(plan, item, where)
            continue
        if isinstance(item, ExerciseIntervention):
            from ..interventions.exercise import exercise_inputs

            plan = hold_inputs(plan, exercise_inputs(item.exercise, item.start_h, item.duration_h,
                                                     item.intensity, where))
            continue
        if isinstance(item, HormoneIntervention):
            plan = _add_hormone(plan, item, where)
            continue
        if isinstance(item, SleepIntervention) and item.kind == "sleep":
            from ..interventions.sleep import sleep_inputs

            plan = hold_inputs(plan, sleep_inputs(item.start_h, item.duration_h))
            continue
        if isinstance(item, FastingIntervention):
            from ..interventions.fasting import fasting_inputs

            plan = hold_inputs(plan, fasting_inputs(item.start_h, item.duration_h))
            continue
        if isinstance(item, SleepIntervention) and item.kind == "sleep_deprivation":
            continue  # defined against the day: added with the daily rhythm below
        if isinstance(item, InflammationIntervention):
            if item.inflammation.lower() not in INFLAMMATION_NAMES:
                raise ProtocolError(f"{where}.inflammation: unknown stimulus {item.inflammation!r}; allowed: "
                                    f"{', '.join(INFLAMMATION_NAMES)}")
            until = item.start_h + item.duration_h if item.duration_h else None
            plan = hold_input(plan, "cytokine_fold", item.start_h, item.fold, end_h=until)
            continue
        if not isinstance(item, NutritionIntervention):
            kind = getattr(item, "kind", type(item).__name__)
            raise NotModelledError(
                f"{where}: intervention kind {kind!r} is not modelled yet in this model version; "
                "it arrives with a later module. Modelled now: drug, nutrition, "
                "hormone (fold), inflammation, exercise, sleep, sleep_deprivation, fasting")
        for t in item.times_h:
            plan = add_nutrition(plan, item.nutrition, t, protein_g=item.protein_g,
                                 carbohydrate_g=item.carbohydrate_g, fat_g=item.fat_g,
                                 dose_mg=item.dose_mg, where=where)
    return _add_day(plan, protocol)


def protocol_end_h(protocol: Protocol) -> float:
    """The last time the protocol mentions (readouts, interventions and their ends)."""
    times = [0.0, *(t for ro in protocol.readouts for t in ro.times_h)]
    for item in protocol.interventions:
        times += list(getattr(item, "times_h", ()))
        end = getattr(item, "end_h", None)
        times += [end] if end is not None else []
    return max(times)


def _add_day(plan: Plan, protocol: Protocol) -> Plan:
    """Time-dependent physiology of the protocol: the daily rhythm (protocol key circadian) and sleep
    deprivation, in clock time clock_start + t. These holds run to a day past the protocol's last
    time, so every readout sees them. The subject's own hormone course (cycle_day, postpartum) is
    added by simulate(), with the history that brings her to t = 0 (interventions/reproductive.py)."""
    from ..interventions import DAY_H
    from ..interventions import circadian as day

    end = protocol_end_h(protocol) + DAY_H
    holds = []
    deprivations = [item for item in protocol.interventions
                    if isinstance(item, SleepIntervention) and item.kind == "sleep_deprivation"]
    spec = protocol.circadian
    if spec is not None or deprivations:
        clock0 = day.clock_hours(protocol.clock_start, "clock_start")
        night = day.clock_window(spec.sleep, "circadian.sleep") if spec is not None and spec.sleep else None
        if spec is not None and spec.cortisol:
            holds += day.cortisol_rhythm(clock0, end)
        if night is not None:
            awake = [(item.start_h, item.end_h) for item in deprivations]
            holds += day.nightly_sleep(night, clock0, end, awake)
        for item in deprivations:
            holds += day.sleep_deprivation(item.start_h, item.duration_h, clock0, night)
    return hold_inputs(plan, holds)


def _add_hormone(plan: Plan, item: HormoneIntervention, where: str) -> Plan:
    if item.dose_mg is not None:
        # hormone therapy: doses on the drug schedule (start_h, every_h, count), PK in hormones.py
        return add_hormone_dose(plan, item.hormone, item.start_h, item.dose_mg, route=item.route,
                                every_h=item.every_h, count=item.count, where=where)
    name = item.hormone.lower()
    if name not in HORMONE_INPUTS:
        raise ProtocolError(f"{where}.hormone: unknown hormone {item.hormone!r}; allowed: "
                            f"{', '.join(HORMONE_INPUTS)}")
    return hold_input(plan, HORMONE_INPUTS[name], item.start_h, item.fold)


def _add_drug(plan: Plan, item: DrugIntervention, where: str) -> Plan:
    from ..pharmacology.library import load_drug

    try:
        drug = load_drug(item.drug)
    except ProtocolError as exc:
        raise ProtocolError(f"{where}.drug: {exc}") from None
    if drug.kind == "metabolite":
        raise ProtocolError(f"{where}.drug: {item.drug!r} is a metabolite in the library, not a dosable "
                            "drug; give its parent")
    ceiling = drug.label_max_daily_mg
    if ceiling is not None and item.dose_mg > ABSURD_DOSE_FACTOR * ceiling.value:
        raise ProtocolError(
            f"{where}.dose_mg: {item.dose_mg:g} mg is more than {ABSURD_DOSE_FACTOR:g}x the label maximum "
            f"daily dose of {item.drug} ({ceiling.value:g} mg); allowed: up to "
            f"{ABSURD_DOSE_FACTOR * ceiling.value:g} mg per dose")
    if item.formulation is not None:
        try:
            drug.formulation(item.formulation)
        except ProtocolError as exc:
            raise ProtocolError(f"{where}.formulation: {exc}") from None
    try:
        return add_dose(plan, item.drug, item.start_h, item.dose_mg, route=item.route,
                        every_h=item.every_h, count=item.count, infusion_h=item.infusion_h,
                        formulation=item.formulation)
    except ProtocolError as exc:
        raise type(exc)(f"{where}: {exc}") from None


def _own_model_only(protocol: Protocol) -> None:
    """A protocol with `model:` (an external SBML file) runs at the edge of the system (io), never here."""
    if protocol.model is not None:
        raise ProtocolError("model: this function runs neuroscape's own model; run a protocol with model: "
                            "through neuroscape.io.external_protocol.run_external or `neuroscape protocol run`")


def run_protocol(protocol: Protocol, *, solver: Solver = Solver(), extra_times=()) -> ProtocolResult:
    """Simulate a protocol and collect its readouts. `extra_times` adds output times (for plots)."""
    _own_model_only(protocol)
    subject = subject_of(protocol)
    plan = plan_of(protocol)
    resolved = resolve_readouts(protocol, model_for(plan).network)
    times, grids = output_times(protocol, extra_times)
    try:
        trajectory = simulate(subject, plan, np.asarray(times), solver=solver)
    except (ModelError, DataError) as exc:
        raise ProtocolError(f"subject.{exc}") from None
    out = collect_readouts(resolved, times, grids, trajectory.readout, trajectory.baseline)
    return ProtocolResult(protocol, trajectory, out)


def resolve_readouts(protocol: Protocol, network) -> list:
    """(readout spec of the file, the network's Readout) for every readout; NotModelledError naming it."""
    resolved = []
    for i, ro in enumerate(protocol.readouts):
        try:
            spec = network.readout(ro.quantity, ro.region)
        except ModelError as exc:
            raise NotModelledError(f"readouts[{i}].quantity: {exc}") from None
        resolved.append((ro, spec))
    return resolved


def output_times(protocol: Protocol, extra_times=()) -> tuple[list[float], dict[str, np.ndarray]]:
    """The sorted output times of a run (readout times, `extra_times`, the summaries' grids) and the
    grid of each summary readout by id."""
    grids = {ro.id: summary_grid(*ro.over_h) for ro in protocol.readouts if ro.summary is not None}
    times = sorted({0.0, *map(float, extra_times), *(t for ro in protocol.readouts for t in ro.times_h),
                    *(float(t) for g in grids.values() for t in g)})
    return times, grids


def collect_readouts(resolved, times, grids, values_of, baseline_of) -> dict[str, dict]:
    """The output of every readout (PROTOCOL.md) from `values_of(quantity, region, relative_to)` (values
    at `times`) and `baseline_of(quantity, region)`: one run's trajectory or one member of a batch."""
    index = {t: k for k, t in enumerate(times)}
    out = {}
    for i, (ro, spec) in enumerate(resolved):
        if ro.relative_to and baseline_of(spec.quantity, spec.region) == 0:
            raise ProtocolError(f"readouts[{i}].relative_to: the baseline of {ro.quantity} is 0, so a ratio "
                                "to it is undefined; remove relative_to")
        values = values_of(spec.quantity, spec.region, ro.relative_to)
        unit = "1" if ro.relative_to else spec.unit
        if ro.summary is not None:
            grid = grids[ro.id]
            value = summarise(ro.summary, grid, values[[index[float(t)] for t in grid]], ro.level)
            out[ro.id] = {"quantity": ro.quantity, "region": spec.region, "unit": summary_unit(ro.summary, unit),
                          "summary": ro.summary, "over_h": [_number(t) for t in ro.over_h], "value": value}
            if ro.level is not None:
                out[ro.id]["level"] = ro.level
        else:
            picked = [float(values[index[t]]) for t in ro.times_h]
            out[ro.id] = {"quantity": ro.quantity, "region": spec.region, "unit": unit,
                          "at_h": [_number(t) for t in ro.times_h] if ro.is_list else _number(ro.times_h[0]),
                          "value": picked if ro.is_list else picked[0]}
        if ro.relative_to:
            out[ro.id]["relative_to"] = ro.relative_to
    return out


def _number(t: float) -> float | int:
    """Times as the file wrote them: 672, not 672.0."""
    return int(t) if float(t).is_integer() else t


def trajectory_readout(protocol: Protocol, *, step_h: float = 1.0, tail_h: float = 72.0):
    """Simulate a plan densely (every `step_h` hours from 0 to `tail_h` after its last event) and
    return readout(quantity, region, relative_to) -> (times_h, values), as the safety checks use."""
    _own_model_only(protocol)
    subject = subject_of(protocol)
    plan = plan_of(protocol)
    last = max([0.0, *(d.at_h for d in plan.doses), *(i.at_h for i in plan.intakes),
                *(h.at_h for h in plan.hormone_doses),
                *(t for ro in protocol.readouts for t in ro.times_h)])
    times = np.arange(0.0, last + tail_h + step_h / 2, step_h)
    trajectory = simulate(subject, plan, times)

    def readout(quantity: str, region: str | None = None, relative_to: str | None = None):
        return times, trajectory.readout(quantity, region, relative_to)

    return readout
