"""`neuroscape demo [--out DIR]`: validation, an example protocol and the example patients, as reports."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import all_references, console

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def demo(out: Path = typer.Option(Path("reports"), help="output folder")):
    """The main job: run the validation suite and an example protocol, assess the example patients,
    and write HTML reports."""
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
    _demo_patients(out / "patients")
    console.print("neuroscape output is a simulated scenario for research, not medical advice.")


def _demo_patients(out: Path) -> None:
    """Import and assess every bundled example patient; one landscape report each."""
    from ..assess.run import assess
    from ..io.patient import read_patient
    from ..report.assessment import assessment_report

    folder = EXAMPLES / "patients"
    files = sorted(p for p in folder.iterdir() if p.suffix in (".json", ".csv"))
    for file in files:
        with console.status(f"assessing {file.name}..."):
            result = assess(read_patient(file))
            path = assessment_report(result, out)
        flagged = [e.label for e in result.landscape.entries if e.flag in ("low", "high")]
        console.print(f"patient {result.record.patient_id} ({file.name}): calibrated in "
                      f"{result.posterior.seconds:.1f} s; outside the reference band: "
                      f"{', '.join(flagged) or 'nothing'}\n  report: {path.resolve()}", highlight=False)
