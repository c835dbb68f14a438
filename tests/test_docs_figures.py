"""The counts the docs state (states, reactions, Jacobian non-zeros, drugs, ...) are the model's own."""

import re
from pathlib import Path

import pytest

from neuroscape.engine.compiled import compile_network
from neuroscape.engine.figures import figures, sentence
from neuroscape.model.library import default_network
from neuroscape.pharmacology.library import drug_names, load_drug

ROOT = Path(__file__).resolve().parents[1]
ARCHITECTURE = ROOT / "docs" / "architecture.md"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# A number (approximate ones included, so that "~220" is caught) before a word with a known count.
_COUNT = re.compile(r"(?<![\w.])([~≈]?\d[\d,]*)\s+(states|reactions|parameters|non-zeros|fill-ins|"
                    r"multiply-adds|drugs)\b")


@pytest.fixture(scope="module")
def counts():
    known = figures(compile_network(default_network()))
    known["drugs"] = sum(load_drug(name).kind == "parent" for name in drug_names())
    return known


def _stated(path):
    text = path.read_text()
    for match in _COUNT.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        yield line, match.group(1), match.group(2)


def test_architecture_quotes_the_generated_engine_figures(counts):
    quoted = sentence(counts)
    if quoted not in " ".join(ARCHITECTURE.read_text().split()):
        pytest.fail("docs/architecture.md does not state the engine's figures; replace its 'Engine facts' "
                    f"sentence with the output of `python -m neuroscape.engine.figures`:\n{quoted}")


def test_every_count_stated_in_the_docs_is_the_models(counts):
    stated = [(path, line, number, word) for path in DOCS for line, number, word in _stated(path)]
    assert {"states", "non-zeros", "drugs"} <= {word for *_, word in stated}  # the scan sees them
    wrong = [f"{path.relative_to(ROOT)}:{line}: '{number} {word}', but the model has {counts[word]}"
             for path, line, number, word in stated if number.replace(",", "") != str(counts[word])]
    assert not wrong, "\n".join(wrong) + "\n(`python -m neuroscape.engine.figures` prints the engine's figures)"


def test_a_stale_count_is_found(tmp_path):
    stale = tmp_path / "stale.md"
    stale.write_text("Engine facts: 70 states, ~125 reactions,\nJacobian with ~220 non-zeros; 17 drugs.\n")
    assert list(_stated(stale)) == [(1, "70", "states"), (1, "~125", "reactions"), (2, "~220", "non-zeros"),
                                    (2, "17", "drugs")]
