"""The follow-up report (report/followup.py) is drawn from a decision's JSON alone: the observed-vs-previous
prediction table, the movement of the posterior, a phenotype mixture's weights, and a prediction that could
not be computed."""

from neuroscape.report.followup import followup_report, predicted_rows

ROW = {"observation_id": 7, "label": "escitalopram", "time_h": 1679.5, "unit": "ng/mL", "observed": 61.0,
       "observed_text": "61", "predicted_median": 24.04, "predicted_low": 15.2, "predicted_high": 37.9, "level": 0.9,
       "inside": False, "below": 1.0, "censor": None}
DATA = {"decision_id": 3, "action": "change", "plan": "change to escitalopram 5 mg", "reason": "above the band",
        "as_of": "2026-10-12T07:45:00+00:00", "predicted_before": [ROW, {"observation_id": 8, "error": "no draw"}],
        "posterior_moved": [{"parameter": "escitalopram.clearance", "before": 1.02, "now": 0.61,
                             "interval_now": [0.45, 0.83], "status": "identified"},
                            {"parameter": "tph2", "before": 1.0, "now": 1.0, "interval_now": [0.6, 1.6],
                             "status": "prior"}],
        "phenotype_mixture": {"components": [{"phenotypes": {"CYP2C19": "poor"}, "prior": 0.021, "weight": 0.302}]},
        "observations": [{"label": "escitalopram", "time_h": 1679.5, "unit": "ng/mL", "observed": 61.0,
                          "observed_text": "61", "fitted": 55.2, "z": 0.98}]}


def test_rows_and_page(tmp_path):
    rows = predicted_rows(DATA)
    assert rows[0] == ("escitalopram", "1679.5", "ng/mL", "61", "24", "15.2-37.9", "NO", "100%")
    assert rows[1][0] == "observation 8" and rows[1][-1] == "no draw"
    page = followup_report("anna", DATA, tmp_path).read_text()
    assert (tmp_path / "anna-followup.html").is_file()
    assert "<td>61</td><td>24</td><td>15.2-37.9</td><td>NO</td><td>100%</td>" in page
    assert "<td>escitalopram.clearance</td><td>1.02</td><td>0.61</td><td>0.45-0.83</td>" in page
    assert "<td>tph2</td>" not in page  # a parameter at its prior that did not move is left out
    assert "<td>CYP2C19 poor</td><td>0.021</td><td>0.302</td>" in page
    assert "90% interval" in page and "change to escitalopram 5 mg" in page


def test_without_an_earlier_assessment_the_page_says_so(tmp_path):
    page = followup_report("anna", {**DATA, "predicted_before": [], "phenotype_mixture": None}, tmp_path).read_text()
    assert "No earlier assessment to predict the new observations from" in page
    assert "phenotype weights" not in page
