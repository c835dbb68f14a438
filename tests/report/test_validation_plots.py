"""The validation report's plots show the published number with its error bar beside the model."""

from __future__ import annotations

import pytest
from matplotlib.container import ErrorbarContainer

from neuroscape.errors import NeuroscapeError
from neuroscape.report.html import case_figure, validation_figure, validation_report
from neuroscape.validation import CaseResult, Check
from neuroscape.validation.runner import published


def _result():
    checks = (Check("hippocampus e5-HT (nM)", 59.5, 45, 85, True, "consistency", (), ("abdalla2017",),
                    published({"value": 64.9, "sem": 2.3}, "V01.checks[0]")),
              Check("female/male", 0.69, 0.8, 1.25, False, "prediction", (), ("saylor2019",),
                    published({"value": 1.0}, "P18.checks[0]")),
              Check("no published number", 1.2, 1.0, None, True, "prediction"))
    return CaseResult("X01", "a finding", "pass", checks, sources=("abdalla2017",))


def test_published_value_and_sem_become_an_error_bar_beside_the_model_value():
    fig = validation_figure(_result())
    ax = fig.axes[0]
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 2  # two checks give a published number, the third does not
    x, y = bars[0].lines[0].get_data()
    assert list(x) == [64.9] and list(y) == [-0.25]  # drawn just above the model dot of check 0
    (segment,) = bars[0].lines[2][0].get_segments()
    assert segment[0][0] == pytest.approx(62.6) and segment[1][0] == pytest.approx(67.2)  # 64.9 -/+ SEM 2.3
    assert bars[0].has_xerr and not bars[1].has_xerr  # a number without a spread has no bar
    assert "SEM" in ax.get_legend().get_texts()[-1].get_text()


def test_a_published_time_point_is_drawn_on_its_readout_with_its_bar():
    pub = published({"value": 1.41, "sem": 0.137, "series": "single.gaba", "at_h": 2}, "P11.checks[0]")
    result = CaseResult("P11", "vigabatrin", "fail", (Check("fold at 2 h", 1.12, 1.14, 1.68, False, "prediction",
                                                            published=pub),),
                        series={"single": {"gaba": ([0, 2, 24], [1.0, 1.12, 1.57], "", "brain.gaba")}})
    ax = validation_figure(result).axes[1]
    (bar,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert list(bar.lines[0].get_xdata()) == [2] and list(bar.lines[0].get_ydata()) == [1.41]
    (segment,) = bar.lines[2][0].get_segments()
    assert segment[0][1] == pytest.approx(1.273) and segment[1][1] == pytest.approx(1.547)
    assert bar.lines[0].get_color() == ax.get_lines()[0].get_color()  # the colour of its readout's curve


def test_the_report_embeds_the_figure(tmp_path):
    assert len(case_figure(_result())) > 1000
    path = validation_report([_result()], tmp_path, {"abdalla2017": {"citation": "Abdalla 2017"}})
    assert "data:image/png;base64," in path.read_text() and "Abdalla 2017" in path.read_text()


@pytest.mark.parametrize("spec,message", [
    ({"sem": 1}, "needs a number `value`"),
    ({"value": 1, "sem": 1, "sd": 2}, "give one of sem, sd or ci, not sem, sd"),
    ({"value": 1, "ci": [0.5]}, r"published.ci: needs \[low, high\]"),
    ({"value": 1, "sd": -1}, "published.sd: needs a number >= 0"),
    ({"value": 1, "se": 1}, "unknown key se; the keys are value, sem, sd or ci"),
    ({"value": 1, "series": "a.b"}, "series .arm.readout. and at_h .hours. go together"),
])
def test_a_malformed_published_number_is_refused_naming_the_check_and_the_fix(spec, message):
    with pytest.raises(NeuroscapeError, match=message):
        published(spec, "P99.checks[x]")


def test_a_confidence_interval_is_kept_as_given():
    p = published({"value": 0.6, "ci": [0.45, 0.75]}, "P04.checks[0]")
    assert (p.value, p.low, p.high, p.kind) == (0.6, 0.45, 0.75, "ci")
