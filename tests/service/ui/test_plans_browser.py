"""The plan comparison page draws each ranked plan's trajectories from the plan-search JSON (plotly, in a real
headless Chromium): one figure per target band and per trajectory ceiling, three traces a plan (the 5th-95th
percentile ribbon and the median), the band as a shaded region, legend toggling; a search stored before the JSON
carried trajectories still shows the report's static figure. Screenshots go where the dashboard test's go."""

from __future__ import annotations

from pathlib import Path

from .test_dashboard_browser import EXAMPLES, Steps, browser  # noqa: F401 (browser: the fixture)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402

WEEK = 7 * 24.0


def _store_searches(svc, folder: Path) -> tuple[int, int, object]:
    """Two stored plan searches of the clinician's patient anna: one as stored now, and the same result as a
    search stored before the JSON carried trajectories (with its HTML report, whose figure the page shows)."""
    from sqlalchemy.orm import Session

    from neuroscape.io.patient import read_patient
    from neuroscape.manage.search import optimise
    from neuroscape.manage.space import Levers
    from neuroscape.manage.targets import load_profile
    from neuroscape.report.plans import plans_report
    from neuroscape.store import open_store
    from neuroscape.store import tables as t
    from neuroscape.store.users import user_by_name
    from neuroscape.subject import Subject

    store = open_store(svc.url)
    clinician, _ = user_by_name(store, "clinician")
    path = EXAMPLES / "anna-fhir.json"
    saved = store.save_record(read_patient(path), raw=path.read_bytes(), filename=path.name, writer=clinician)

    class _Stored:  # an assessment's stored parts, without a calibration (the page reads none of them)
        posterior = type("P", (), {"names": ("x",), "samples": __import__("numpy").zeros((2, 1))})()

        @staticmethod
        def as_dict():
            return {"calibration": {"converged": True}}

    aid = store.save_assessment(_Stored(), import_id=saved.import_id, method="laplace", seed=0)
    # the plan-search tests' small search (its models are compiled already): three ranked plans of escitalopram
    profile = load_profile("ssri-efficacy").model_copy(update={"settle_h": WEEK})
    search = optimise(Subject(), profile, levers=Levers(drugs=("escitalopram",)), horizon_h=2 * WEEK, draws=6,
                      screen_draws=3, finalists=2, seed=11)
    new = store.save_plans(search, assessment_id=aid, settings={"draws": 6})
    report = plans_report(search, None, folder)
    old = store.save_plans(search, assessment_id=aid, settings={"draws": 6}, report=str(report))
    with Session(store.engine) as s, s.begin():
        row = s.get(t.PlanSearchRow, old)
        row.result = {**row.result, "plans": [{k: v for k, v in p.items() if k != "trajectories"}
                                              for p in row.result["plans"]]}
    return new, old, search


def test_the_plans_page_draws_each_plans_trajectories_against_the_band(live_server, browser, tmp_path):  # noqa: F811
    base, svc = live_server
    new, old, search = _store_searches(svc, tmp_path)
    assert len(search.plans) == 3
    ui = Steps(browser, base, svc.passwords)
    ui.login("clinician")

    ui.open(f"/ui/plans/{new}")
    ui.wait(EC.presence_of_element_located((By.CSS_SELECTOR, "#trajectories[data-ready=true]")), 60)
    js = browser.execute_script
    # three plans shown by default, three traces each (95th, 5th filled to it, median)
    assert js("return document.getElementById('traj-sert_trough').data.length") == 9
    names = js("return document.getElementById('traj-sert_trough').data.map(t => t.name)")
    assert names[2::3] == [f"#{p.rank} {p.candidate.label}" for p in search.plans]
    shown = js("return document.getElementById('traj-sert_trough').data.filter(t => t.showlegend !== false).length")
    assert shown == 3  # one legend entry a plan
    shape = js("return document.getElementById('traj-sert_trough').layout.shapes[0]")
    assert shape["type"] == "rect" and shape["y0"] == 0.8  # the band: SERT occupancy >= 0.8, open above
    top = js("return document.getElementById('traj-sert_trough').layout.yaxis.range[1]")
    highest = js("return Math.max(...document.getElementById('traj-sert_trough').data.flatMap(t => t.y))")
    assert shape["y1"] == top > highest  # open above: the band reaches the top of the plot
    median = js("return document.getElementById('traj-sert_trough').data[2]")
    stored = search.to_dict()["plans"][0]["trajectories"]["bands"]["sert_trough"]
    assert median["x"] == stored["days"] and median["y"] == stored["median"]
    assert median["legendgroup"] == js("return document.getElementById('traj-sert_trough').data[0].legendgroup")
    for rule, ceiling in (("d2-occupancy-eps", 0.78), ("serotonin-toxicity-index", 10.0)):
        assert js(f"return document.getElementById('ceiling-{rule}').data.length") == 9
        line = js(f"return document.getElementById('ceiling-{rule}').layout.shapes[0]")
        assert line["type"] == "line" and line["y0"] == line["y1"] == ceiling
    assert not browser.find_element(By.ID, "traj-empty").is_displayed()
    assert not browser.find_elements(By.CSS_SELECTOR, "#trajectories img.report-figure")
    ui.shot("plans-trajectories")

    # a click on a plan's legend entry hides its median and its ribbon
    legend = browser.find_elements(By.CSS_SELECTOR, "#traj-sert_trough .legend .traces")
    assert len(legend) == 3
    legend[0].click()
    ui.wait(lambda d: d.execute_script("return document.getElementById('traj-sert_trough').data.slice(0, 3)"
                                       ".every(t => t.visible === 'legendonly')"))
    assert js("return document.getElementById('traj-sert_trough').data.slice(3)"
              ".every(t => t.visible !== 'legendonly')")

    # the choice of plans redraws the figures: plan 1 left out, two plans, six traces
    browser.find_element(By.ID, "show-1").click()
    ui.wait(lambda d: d.execute_script("const g = document.getElementById('traj-sert_trough');"
                                       "return g !== null && g.data !== undefined && g.data.length === 6"))

    # a search stored before the JSON carried trajectories: the report's figure, as before
    ui.open(f"/ui/plans/{old}")
    ui.wait(EC.presence_of_element_located((By.CSS_SELECTOR, "#trajectories[data-ready=true]")), 60)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#trajectories img.report-figure")) == 1
    assert not browser.find_elements(By.CSS_SELECTOR, "#trajectories .js-plotly-plot")
    ui.shot("plans-old-search")
    bad = [m for m in ui.log() if "Content Security Policy" in m or "Uncaught" in m]
    assert not bad, bad
