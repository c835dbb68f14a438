"""PTA with its Wilson interval and CVaR, against hand-computed values."""

import numpy as np
import pytest

from neuroscape.errors import DataError
from neuroscape.manage.risk import cvar, pta


def test_wilson_interval_matches_the_textbook_value():
    # 8 of 10: Wilson 95% interval 0.490-0.943 (Brown, Cai & DasGupta 2001 formula, computed by hand)
    res = pta([True] * 8 + [False] * 2)
    assert (res.p, res.n) == (0.8, 10)
    assert res.low == pytest.approx(0.4902, abs=1e-4) and res.high == pytest.approx(0.9433, abs=1e-4)


def test_wilson_interval_is_honest_at_the_edges():
    all_in = pta(np.ones(200, bool))
    assert all_in.p == 1.0 and all_in.high == 1.0
    assert all_in.low == pytest.approx(200 / (200 + 1.959964 ** 2), abs=1e-6)  # n / (n + z^2) at p = 1
    none_in = pta(np.zeros(200, bool))
    assert none_in.low == 0.0 and none_in.high == pytest.approx(1.959964 ** 2 / (200 + 1.959964 ** 2), abs=1e-6)
    with pytest.raises(DataError, match="no draws"):
        pta([])


@pytest.mark.parametrize("level, expected", [(0.9, 10.0), (0.75, (10 + 9 + 0.5 * 8) / 2.5), (0.0, 5.5), (0.5, 8.0)])
def test_cvar_of_one_to_ten(level, expected):
    assert cvar(np.arange(1, 11)[::-1], level) == pytest.approx(expected)


def test_cvar_refuses_nonfinite_losses_and_bad_levels():
    with pytest.raises(DataError, match="1 not finite"):
        cvar([1.0, np.nan])
    with pytest.raises(DataError, match=r"level = 1; it must be in \[0, 1\)"):
        cvar([1.0], 1)
