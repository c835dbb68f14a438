"""Regenerate the plot pictures in docs/img (docs/plots.md): the protocol plot of docs/img/escitalopram_course.yaml
and the assessment figures of the example patient anna. Run from the repository root:

    PYTHONPATH=src python tools/docs_pictures.py

The *_before.png pictures were made from the code before the plots were reworked and are not regenerated."""

from pathlib import Path

from neuroscape.assess.predictive import predictive_bands
from neuroscape.assess.run import assess
from neuroscape.io.patient import read_patient
from neuroscape.protocol.run import run_protocol
from neuroscape.protocol.schema import load_protocol
from neuroscape.report.assessment import landscape_plot
from neuroscape.report.predictive_plot import prediction_plot
from neuroscape.report.protocol_plot import protocol_figure

IMG = Path("docs/img")
DPI = {"protocol_plot_after.png": 90, "assessment_fit_after.png": 90, "assessment_landscape_after.png": 80}


def main() -> None:
    result = run_protocol(load_protocol(IMG / "escitalopram_course.yaml"))
    protocol_figure(result).savefig(IMG / "protocol_plot_after.png", dpi=DPI["protocol_plot_after.png"])
    a = assess(read_patient("src/neuroscape/examples/patients/anna-fhir.json"))
    prediction_plot(a.posterior, predictive_bands(a.posterior)).savefig(
        IMG / "assessment_fit_after.png", dpi=DPI["assessment_fit_after.png"], bbox_inches="tight")
    landscape_plot(a.landscape).savefig(IMG / "assessment_landscape_after.png",
                                        dpi=DPI["assessment_landscape_after.png"], bbox_inches="tight")
    for name in DPI:
        small(IMG / name)
        print(name, (IMG / name).stat().st_size // 1024, "kB")


def small(path: Path) -> None:
    """A 256-colour palette: the pictures stay sharp and well under 150 kB for the repository."""
    from PIL import Image

    Image.open(path).convert("RGB").quantize(colors=256, dither=Image.Dither.NONE).save(path, optimize=True)


if __name__ == "__main__":
    main()
