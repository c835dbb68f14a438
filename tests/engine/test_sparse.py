import numpy as np

from neuroscape.engine.sparse import LUArrays, analyse


def test_tridiagonal_plan_has_no_fill_and_one_update_per_elimination():
    n = 6
    rows = np.array([*range(n), *range(1, n), *range(n - 1)])
    cols = np.array([*range(n), *range(n - 1), *range(1, n)])
    plan = analyse(n, rows, cols)
    assert isinstance(plan.arrays, LUArrays)
    assert (plan.nnz, plan.fill, plan.flops) == (3 * n - 2, 0, n - 1)
    assert plan.arrays.nnz == plan.nnz and plan.arrays.jmap.size == rows.size
    assert sorted(plan.arrays.perm) == list(range(n))


def test_arrow_matrix_hub_is_eliminated_at_the_end():
    # A hub coupled to every state fills the whole matrix if eliminated first; minimum degree
    # leaves it to the end (a tie with the last leaf), so nothing fills and each leaf costs one update.
    n = 5
    rows = np.array([*range(n), *[0] * (n - 1), *range(1, n)])
    cols = np.array([*range(n), *range(1, n), *[0] * (n - 1)])
    plan = analyse(n, rows, cols)
    assert 0 in plan.arrays.perm[-2:]
    assert (plan.fill, plan.flops) == (0, n - 1)
    np.testing.assert_array_equal(np.diff(plan.arrays.upd_ptr), [1] * (n - 1) + [0])
