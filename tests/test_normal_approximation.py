"""The normal approximation to large-variance binomial draws agrees with exact sampling.

``noise.normal_above`` (default 10) is the variance ``n p (1 - p)`` from
which a binomial draw is replaced by a rounded normal variate with the same
mean and variance, kept within ``[0, n]``. Single draws are checked against
the binomial distribution at the threshold, where the approximation is
worst; the model's outputs are checked against runs with every draw exact.
Seeds are fixed, so each check either always passes or always fails.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import kursk_sim as ks
from kursk_sim.sampling import binomial_counts

DRAWS = 400_000


def draws(n: int, p: float, threshold: float, seed: int) -> np.ndarray:
    return binomial_counts(np.random.default_rng(seed), np.full(DRAWS, float(n)), p, threshold)


@pytest.mark.parametrize(("n", "p"), [(100, 0.12), (112, 0.9), (20_000, 0.0006), (5_000, 0.5)])
def test_single_draws_at_and_above_the_threshold(n: int, p: float) -> None:
    var = n * p * (1 - p)
    assert var >= 10.0  # approximated
    x = draws(n, p, 10.0, seed=1)
    assert (x == np.rint(x)).all() and x.min() >= 0 and x.max() <= n
    # same mean (4 standard errors) and variance (rounding adds 1/12; 3 % covers sampling at 400k draws)
    assert abs(x.mean() - n * p) <= 4 * np.sqrt(var / DRAWS)
    assert x.var() == pytest.approx(var + 1 / 12, rel=0.03)
    # Kolmogorov distance to the exact CDF: at variance 10 the normal approximation's own error is about
    # skewness / (6 sqrt(2 pi)) < 0.02; sampling adds about 0.002
    support = np.arange(n + 1)
    empirical = np.searchsorted(np.sort(x), support, side="right") / DRAWS
    assert np.abs(empirical - stats.binom.cdf(support, n, p)).max() < 0.025


def binomial_chisquare_pvalue(x: np.ndarray, n: int, p: float) -> float:
    """Chi-square p-value of draws ``x`` against Binomial(n, p), sparse tails pooled (expected counts > 5)."""
    observed = np.bincount(x.astype(int), minlength=n + 1)
    expected = stats.binom.pmf(np.arange(n + 1), n, p) * x.size
    keep = expected > 5
    observed = np.append(observed[keep], observed[~keep].sum())
    expected = np.append(expected[keep], expected[~keep].sum())
    return float(stats.chisquare(observed, expected * observed.sum() / expected.sum()).pvalue)


def test_draws_below_the_threshold_are_exact() -> None:
    n, p = 40, 0.3  # variance 8.4 < 10
    x = draws(n, p, 10.0, seed=2)
    assert binomial_chisquare_pvalue(x, n, p) > 0.001


def test_degenerate_draws() -> None:
    n = np.array([0.0, 50.0, 50.0, 1e6])
    p = np.array([0.5, 0.0, 1.0, 1e-12])
    np.testing.assert_array_equal(binomial_counts(np.random.default_rng(3), n, p, 10.0)[:3], [0.0, 0.0, 50.0])


@pytest.fixture(scope="module")
def both(kursk: ks.Scenario) -> tuple[ks.Ensemble, ks.Ensemble]:
    exact = kursk.replace({"noise.approximation": "none"})
    return (
        ks.simulate(kursk, 4000, seed=21, trajectories=True),
        ks.simulate(exact, 4000, seed=22, trajectories=True),
    )


@pytest.mark.parametrize("output", ["strength", "casualties", "killed", "missing"])
def test_model_outputs_agree_with_exact_sampling(both: tuple[ks.Ensemble, ks.Ensemble], output: str) -> None:
    approx, exact = both
    a, e = approx.trajectory(output).values, exact.trajectory(output).values
    for day in (10, 60, 120, a.shape[1] - 1):
        for c in range(a.shape[2]):
            if np.ptp(e[:, day, c]) == 0:
                continue
            assert stats.ks_2samp(a[:, day, c], e[:, day, c]).pvalue > 0.001, (output, day, c)
            difference = np.median(a[:, day, c]) - np.median(e[:, day, c])
            assert abs(difference) <= 4 * median_difference_se(a[:, day, c], e[:, day, c]) + 0.5, (output, day, c)


def median_difference_se(x: np.ndarray, y: np.ndarray, resamples: int = 200) -> float:
    """Bootstrap standard error of ``median(x) - median(y)`` for independent samples (fixed seed)."""
    rng = np.random.default_rng(0)
    medians = [np.median(rng.choice(v, (resamples, v.size)), axis=1) for v in (x, y)]
    return float(np.std(medians[0] - medians[1]))


def test_area_and_events_agree_with_exact_sampling(both: tuple[ks.Ensemble, ks.Ensemble]) -> None:
    approx, exact = both
    for day in (30, 90, 150):
        assert (
            stats.ks_2samp(
                approx.trajectory("area").values[:, day], exact.trajectory("area").values[:, day], method="asymp"
            ).pvalue
            > 0.001
        )
    for event in exact.event_names:
        pa, pe = approx.probability(event), exact.probability(event)
        se = np.sqrt(pe * (1 - pe) * 2 / 4000) + 1e-9
        assert abs(pa - pe) <= 4 * se, event


@pytest.mark.parametrize("p_shape", [(), (3,), (400, 3), (1, 400, 3), (1, 1, 3), (2, 1, 3), (2, 400, 3)])
def test_probabilities_broadcast_along_leading_axes(p_shape: tuple[int, ...]) -> None:
    """``p`` repeated along leading axes gives the draws of ``p`` written out in full, work array or not."""
    rng = np.random.default_rng(7)
    n = np.rint(rng.uniform(0.0, 300.0, size=(2, 400, 3)))  # variances on both sides of 10
    p = rng.uniform(0.0, 1.0, size=p_shape)
    full = np.ascontiguousarray(np.broadcast_to(p, n.shape))
    expected = binomial_counts(np.random.default_rng(8), n, full, 10.0)
    got = binomial_counts(np.random.default_rng(8), n, p, 10.0, work=np.empty(n.shape, order="F"))
    np.testing.assert_array_equal(got, expected)
    assert 0 < ((n * full * (1 - full)) < 10).mean() < 1  # both samplers were used


@pytest.mark.parametrize("p_down_columns", ["one per column", "full"])
@pytest.mark.parametrize("trials", [(1, 2, 5, 20, 60), (1, 70_000)])  # n narrow (sorted draws) and too wide
def test_exact_draws_land_on_their_own_elements(trials: tuple[int, ...], p_down_columns: str) -> None:
    """Exact draws are made column by column in order of n and written back to the elements they belong to."""
    rng = np.random.default_rng(11)
    p = np.array([1e-4, 1.2e-4, 3e-5]) if trials[-1] > 1_000 else np.array([0.02, 0.1, 0.15])
    n = rng.choice(np.array(trials, dtype=float), size=(60_000, 3))
    assert (n * p * (1 - p)).max() < 10  # every draw exact
    given = p if p_down_columns == "one per column" else np.asfortranarray(np.broadcast_to(p, n.shape))
    x = binomial_counts(np.random.default_rng(12), n, given, 10.0, work=np.empty(n.shape, order="F"))
    assert (x == np.rint(x)).all() and (x >= 0).all() and (x <= n).all()
    for c in range(3):
        for t in trials:
            cell = x[n[:, c] == t, c]
            mean, var = t * p[c], t * p[c] * (1 - p[c])
            assert abs(cell.mean() - mean) <= 4 * np.sqrt(var / cell.size), (c, t)
            if mean >= 1:  # the whole distribution, where it has more than a point or two
                assert binomial_chisquare_pvalue(cell, t, p[c]) > 0.001, (c, t)


def test_layout_of_the_input_does_not_change_the_draws() -> None:
    """Row-major and column-major ``n`` and ``p`` give the same draws (the draws follow column-major order)."""
    rng = np.random.default_rng(3)
    n = np.rint(rng.uniform(0.0, 300.0, size=(500, 4)))
    p = rng.uniform(0.0, 1.0, size=(500, 4))
    by_rows = binomial_counts(np.random.default_rng(9), n, p, 10.0)
    by_columns = binomial_counts(np.random.default_rng(9), np.asfortranarray(n), np.asfortranarray(p), 10.0)
    np.testing.assert_array_equal(by_rows, by_columns)
    assert 0 < ((n * p * (1 - p)) < 10).mean() < 1  # both samplers were used


def test_a_row_major_work_array_is_refused() -> None:
    n = np.full((100, 3), 50.0)
    with pytest.raises(ValueError, match="column-major float64 array of shape"):
        binomial_counts(np.random.default_rng(0), n, 0.5, 10.0, work=np.empty((100, 3)))
    with pytest.raises(ValueError, match=r"shape \(100, 3\)"):
        binomial_counts(np.random.default_rng(0), n, 0.5, 10.0, work=np.empty((3, 100), order="F"))
