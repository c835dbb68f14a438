"""The re-planning decision (manage/replan.py) and the guard rails (manage/guards.py) on hand-made
searches: every branch of the decision, the dose step and the hysteresis band."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest

from neuroscape.errors import ProtocolError
from neuroscape.manage.guards import GuardRails, default_guard_rails, dose_step_ok, inside_tolerance
from neuroscape.manage.replan import decide
from neuroscape.manage.risk import pta
from neuroscape.manage.space import Candidate, Regimen
from neuroscape.manage.targets import parse_profile

PROFILE = parse_profile({"profile": 1, "name": "trough", "settle_h": 72, "bands": [
    {"id": "trough", "quantity": "plasma.escitalopram", "low": 15.0, "high": 80.0, "statistic": "min",
     "rationale": "test", "source": "assumed"}]})
NOW = datetime(2026, 9, 28, tzinfo=timezone.utc)


def _reg(dose, start=0.0):
    return Regimen("drug", "escitalopram", dose, start, 24.0, 30, None)


@dataclass
class _Plan:
    candidate: Candidate
    p: float
    median: float
    draws: int = 50
    expected_loss: float = 1.0
    pta: dict = field(init=False)
    statistic: dict = field(init=False)

    def __post_init__(self):
        hits = round(self.p * self.draws)
        self.pta = {"joint": pta([True] * hits + [False] * (self.draws - hits))}
        self.statistic = {"trough": self.median}


@dataclass
class _Search:
    plans: list
    screened: list
    profile: object = PROFILE
    required_pta: float = 0.8
    now_h: float = 24.0


def _search(keep_p, keep_median, others):
    keep = _Plan(Candidate("continue as now", (_reg(10.0),), ()), keep_p, keep_median)
    plans = [_Plan(Candidate(f"change to escitalopram {d:g} mg every 24 h", (_reg(10.0),), (_reg(d, 24.0),)), p,
                   m) for d, p, m in others]
    ranked = sorted(plans + [keep], key=lambda x: -x.p)
    return _Search(ranked, ranked)


def test_on_target_continues():
    d = decide(_search(0.9, 30.0, [(20.0, 0.95, 50.0)]), GuardRails(), as_of=NOW, last_change=None)
    assert d.action == "continue" and "attains every band on 90%" in d.reason


def test_inside_the_hysteresis_band_continues():
    # median trough 14 ng/mL: below the band's 15 but inside 10% of it (13.5)
    d = decide(_search(0.3, 14.0, [(20.0, 0.95, 28.0)]), GuardRails(hysteresis=0.1), as_of=NOW, last_change=None)
    assert d.action == "continue" and "inside 10%" in d.reason
    d = decide(_search(0.3, 14.0, [(20.0, 0.95, 28.0)]), GuardRails(hysteresis=0.05), as_of=NOW, last_change=None)
    assert d.action == "change"


def test_off_target_changes_within_the_dose_step():
    # 10 -> 40 mg would be x4: above the x2 step; 20 mg is offered although 40 mg scores higher
    search = _search(0.1, 8.0, [(40.0, 0.99, 60.0), (20.0, 0.9, 30.0)])
    d = decide(search, GuardRails(max_dose_step=1.0), as_of=NOW, last_change=None)
    assert d.action == "change" and d.plan.candidate.future[0].dose_mg == 20.0
    assert "larger steps not offered: change to escitalopram 40 mg" in d.reason
    d = decide(search, GuardRails(max_dose_step=3.0), as_of=NOW, last_change=None)
    assert d.plan.candidate.future[0].dose_mg == 40.0


def test_a_change_too_soon_after_the_last_is_held():
    search = _search(0.1, 8.0, [(20.0, 0.9, 30.0)])
    d = decide(search, GuardRails(), as_of=NOW, last_change=NOW - timedelta(days=3))
    assert d.action == "hold" and "3.0 days ago" in d.reason and "7-day minimum" in d.reason
    assert decide(search, GuardRails(), as_of=NOW, last_change=NOW - timedelta(days=8)).action == "change"


def test_when_nothing_attains_the_closest_safe_plan_is_proposed():
    """Every plan 0% (a fast clearer far below the band): 20 mg comes closer than 10 mg, so it is proposed as
    the best partial plan; 40 mg (closer still) is beyond the dose step."""
    keep = _Plan(Candidate("continue as now", (_reg(10.0),), ()), 0.0, 5.0, expected_loss=0.6)
    twenty = _Plan(Candidate("change to escitalopram 20 mg every 24 h", (_reg(10.0),), (_reg(20.0, 24.0),)), 0.0,
                   10.0, expected_loss=0.3)
    forty = _Plan(Candidate("change to escitalopram 40 mg every 24 h", (_reg(10.0),), (_reg(40.0, 24.0),)), 0.0,
                  14.0, expected_loss=0.05)
    search = _Search([keep, twenty, forty], [keep, twenty, forty])
    d = decide(search, GuardRails(hysteresis=0.1), as_of=NOW, last_change=None)
    assert d.action == "change" and d.plan is twenty and "best safe partial plan" in d.reason
    # within the hysteresis of the current loss: no change
    twenty.expected_loss = 0.57
    assert decide(search, GuardRails(hysteresis=0.1), as_of=NOW, last_change=None).action == "continue"


def test_no_better_plan_within_the_rails_continues_and_says_why():
    d = decide(_search(0.1, 8.0, [(40.0, 0.99, 60.0)]), GuardRails(max_dose_step=1.0), as_of=NOW, last_change=None)
    assert d.action == "continue" and "no plan within the guard rails" in d.reason


def test_guard_rail_helpers_and_defaults():
    rails = default_guard_rails()
    assert (rails.max_dose_step, rails.min_change_interval_h, rails.hysteresis) == (1.0, 168.0, 0.1)
    cand = Candidate("x", (), (_reg(20.0),))
    assert dose_step_ok({"escitalopram": 10.0}, cand, 1.0) and not dose_step_ok({"escitalopram": 5.0}, cand, 1.0)
    assert dose_step_ok({}, cand, 0.1)  # a start is not a dose step
    assert inside_tolerance(PROFILE, {"trough": 85.0}, 0.1) and not inside_tolerance(PROFILE, {"trough": 90.0}, 0.1)
    with pytest.raises(ProtocolError, match="max_dose_step"):
        GuardRails(max_dose_step=0)


def test_a_level_at_twice_the_forecast_lowers_clearance_and_the_dose_in_proportion():
    """Parity with a MAP dosing tool (mapbayr, posologyr): escitalopram is linear (first-order routes) and the
    level has a proportional error. A steady-state level at twice the forecast lowers the posterior clearance;
    the dose that puts the mean level at the band's centre falls by the same ratio (mean Css = F D / (CL tau)),
    within 5%."""
    from neuroscape.assess.calibrate import calibrate
    from neuroscape.assess.observations import ModelObservation
    from neuroscape.manage.search import continuous_dose
    from neuroscape.plan import Plan, add_dose
    from neuroscape.simulate import simulate
    from neuroscape.subject import Subject

    plan = add_dose(Plan(), "escitalopram", 0.0, 10.0, every_h=24, count=21)
    t = 20 * 24 + 23.5  # the trough before the 22nd dose
    forecast = float(simulate(Subject(), plan, [t]).readout("plasma.escitalopram")[0])
    level = ModelObservation(quantity="plasma.escitalopram", region=None, value=2 * forecast, unit="ng/mL",
                             time_h=t, error_kind="proportional", cv=0.1, sd=0.0, label="level", source="test")
    post = calibrate(Subject(), [level], plan)
    cl_ratio = post.factors()["escitalopram.clearance"]
    assert cl_ratio < 0.8  # a level twice the forecast: slower clearance
    profile = parse_profile({"profile": 1, "name": "mean level", "settle_h": 14 * 24, "bands": [
        {"id": "mean", "quantity": "plasma.escitalopram", "low": 20.0, "high": 40.0, "statistic": "mean",
         "rationale": "test band", "source": "assumed"}]})
    typical = continuous_dose(Subject(), profile, "escitalopram", 24.0, horizon_h=21 * 24.0)
    personal = continuous_dose(post, profile, "escitalopram", 24.0, horizon_h=21 * 24.0)
    assert personal < typical
    assert personal / typical == pytest.approx(cl_ratio, rel=0.05)
