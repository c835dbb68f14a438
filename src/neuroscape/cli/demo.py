"""`neuroscape demo [--out DIR]`: validation, an example protocol, the example patients and plans for them,
as reports."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import all_references, console

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def demo(out: Path = typer.Option(Path("reports"), help="output folder")):
    """The main job: run the validation suite and an example protocol, assess the example patients, search
    plans for them, and write HTML reports."""
    from ..protocol.run import run_protocol
    from ..protocol.schema import load_protocol
    from ..report.html import trajectory_figure, validation_report
    from ..validation import headline, headline_text, run_validation

    out.mkdir(parents=True, exist_ok=True)
    with console.status("running validation cases..."):
        results = run_validation()
    path = validation_report(results, out, all_references())
    example = EXAMPLES / "tryptophan_depletion.yaml"
    result = run_protocol(load_protocol(example))
    fig = trajectory_figure(result, out / "tryptophan_depletion.png")
    counts = {s: sum(r.status == s for r in results) for s in ("pass", "fail", "missing", "error", "reference")}
    console.print(f"validation: {counts}")
    console.print(headline_text(headline(results)), highlight=False)
    console.print(f"report: {path.resolve()}\nexample protocol plot: {fig.resolve()}")
    store = _demo_store(out)
    assessments = _demo_patients(out / "patients", store)
    _demo_plans(assessments, out / "plans", store)
    _demo_replan(store)
    console.print("neuroscape output is a simulated scenario for research, not medical advice.")


def _demo_store(out: Path):
    """A fresh store for the demo (out/neuroscape-demo.db), so that the demo never writes into the user's own
    store and a rerun starts clean."""
    from ..store import open_store

    path = out / "neuroscape-demo.db"
    for old in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        old.unlink(missing_ok=True)
    store = open_store(str(path))
    console.print(f"store: {path.resolve()} (NEUROSCAPE_DB={path} neuroscape patients list)", highlight=False)
    return store


def _demo_replan(store) -> None:
    """Anna's week-8 trough level arrives: re-calibrate on everything known, re-plan, record the decision."""
    from ..manage.space import Levers
    from ..manage.targets import load_profile
    from ..store.followup import replan

    profile_name, levers = DEMO_PLANS["anna-fhir.json"]
    follow_up = EXAMPLES / "followup" / "anna-week8.csv"
    with console.status("re-planning anna from her week-8 level..."):
        result = replan(store, "anna", follow_up, profile=load_profile(profile_name), levers=Levers(**levers),
                        draws=DEMO_DRAWS, horizon_h=DEMO_HORIZON_H)
    console.print(f"follow-up for anna ({follow_up.name}): decision {result.decision_id}: {result.action} - "
                  f"{result.plan_label}\n  why: {result.reason}", highlight=False)
    for r in result.report.get("predicted_before", []):
        if "error" not in r and r["inside"] is not None:
            console.print(f"  {r['label']} {r['observed_text']} {r['unit']} against the earlier posterior's "
                          f"prediction {r['predicted_median']:.3g} [{r['predicted_low']:.3g}-{r['predicted_high']:.3g}]"
                          f": {'inside' if r['inside'] else 'outside'} its 90% interval", highlight=False)


def _demo_patients(out: Path, store) -> dict:
    """Import and assess every bundled example patient; one landscape report each, and the record and the
    assessment stored. Returns the assessments by file name, for the plan search."""
    from ..assess.run import assess
    from ..io.patient import read_patient
    from ..report.assessment import assessment_report

    folder = EXAMPLES / "patients"
    files = sorted(p for p in folder.iterdir() if p.suffix in (".json", ".csv"))
    done = {}
    for file in files:
        with console.status(f"assessing {file.name}..."):
            record = read_patient(file)
            result = assess(record)
            path = assessment_report(result, out)
            saved = store.save_record(record, raw=file.read_bytes(), filename=file.name)
            stored_id = store.save_assessment(result, import_id=saved.import_id, method="laplace", seed=0)
        flagged = [e.label for e in result.landscape.entries if e.flag in ("low", "high")]
        console.print(f"patient {result.record.patient_id} ({file.name}): calibrated in "
                      f"{result.posterior.seconds:.1f} s; outside the reference band: "
                      f"{', '.join(flagged) or 'nothing'}\n  report: {path.resolve()}", highlight=False)
        done[file.name] = (result, stored_id)
    return done


# Which shipped target profile and which levers each example patient's plan search uses. The demo keeps
# the search small (one or two drugs, single tablets, 8 weeks, 30 draws) so that it runs in minutes on
# two cores; `neuroscape plan` runs the full-size search.
DEMO_PLANS: dict[str, tuple[str, dict]] = {
    # escitalopram 10 mg: is the SERT trough above 80%, or does it need 20 mg or a switch to sertraline?
    "anna-fhir.json": ("ssri-efficacy", dict(drugs=("escitalopram", "sertraline"), max_units=1)),
    # bupropion: is the hydroxybupropion trough in the AGNP range at the current dose?
    "carla-fhir.json": ("tdm-agnp2017", dict(drugs=("bupropion",), max_units=1)),
    # no medication, low serotonergic tone: what do the supplements alone do?
    "ben-records.csv": ("low-serotonergic-tone", dict(drugs=(), drug_changes=False,
                                                      supplements=("tryptophan", "5-htp"), max_units=1)),
}
DEMO_HORIZON_H = 8 * 7 * 24.0
DEMO_DRAWS = 30


def _demo_plans(assessments: dict, out: Path, store) -> None:
    """Search plans for every example patient with a demo profile; one plan report each, and each
    returned plan as a protocol file."""
    import time

    from ..manage.search import optimise
    from ..manage.space import Levers
    from ..manage.targets import load_profile
    from ..report.plans import plans_report
    from .plan import write_protocols

    for name, (assessment, assessment_id) in assessments.items():
        if name not in DEMO_PLANS:
            continue
        profile_name, levers = DEMO_PLANS[name]
        pid = assessment.record.patient_id
        start = time.perf_counter()
        with console.status(f"searching plans for {pid} ({profile_name})..."):
            result = optimise(assessment, load_profile(profile_name), levers=Levers(**levers),
                              horizon_h=DEMO_HORIZON_H, draws=DEMO_DRAWS, screen_draws=8, finalists=3)
            settings = {"targets": profile_name, "horizon_days": DEMO_HORIZON_H / 24, "draws": DEMO_DRAWS,
                        "objective": "pta", "seed": 0,
                        **{k: ", ".join(v) or "none" if isinstance(v, tuple) else v for k, v in levers.items()}}
            path = plans_report(result, assessment, out, settings)
            protocols = write_protocols(result, out / f"{pid}-protocols")
            store.save_plans(result, assessment_id=assessment_id, settings=settings, report=str(path.resolve()))
        best = result.plans[0] if result.plans else None
        summary = (f"best: {best.candidate.label} (joint PTA {best.pta['joint'].p:.0%})" if best
                   else "no plan passed the safety rules")
        console.print(f"plans for {pid} ({profile_name}, {result.candidates} candidates, "
                      f"{time.perf_counter() - start:.0f} s): {summary}; targets "
                      f"{'reached' if result.reached else 'not reached'}\n  plan report: {path.resolve()}\n"
                      f"  protocols: {len(protocols)} in {(out / f'{pid}-protocols').resolve()}", highlight=False)
