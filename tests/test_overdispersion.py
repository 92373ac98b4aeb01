"""Over-dispersed losses: the negative binomial sampler and negative binomial noise in the model.

``noise.kind = "negative_binomial"`` draws each count with mean ``m = n p``
and variance ``m + m**2 / r`` (``r = noise.dispersion``) through
:func:`~kursk_sim.sampling.negative_binomial_counts`: exact gamma-Poisson
draws where the variance is below ``noise.normal_above``, rounded normal
variates otherwise, kept within ``[0, n]``. Seeds are fixed, so each check
either always passes or always fails; the tolerances are stated where they
are used (``SE``: the sampling standard error of the statistic checked).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scipy import stats

import kursk_sim as ks
from kursk_sim.sampling import negative_binomial_counts

DRAWS = 400_000


def moments_and_errors(x: np.ndarray) -> tuple[float, float, float, float]:
    """Sample mean and variance, with their standard errors (the variance's from the sample's fourth moment)."""
    mean, var = float(x.mean()), float(x.var())
    fourth = float(np.mean((x - mean) ** 4))
    return mean, var, np.sqrt(var / x.size), np.sqrt(max(fourth - var * var, 0.0) / x.size)


def rounded_clipped_normal_moments(m: float, v: float, n: float) -> tuple[float, float]:
    """Mean and variance of ``clip(rint(N(m, v)), 0, n)``, summed over its support (the normal branch's law)."""
    k = np.arange(0.0, n + 1.0)
    sd = np.sqrt(v)
    cdf = stats.norm.cdf((np.append(k, n + 1.0) - 0.5 - m) / sd)
    prob = np.diff(cdf)
    prob[0] += cdf[0]  # below -0.5: rounded to 0 or less, clipped to 0
    prob[-1] += 1.0 - cdf[-1]  # above n + 0.5: clipped to n
    mean = float(prob @ k)
    return mean, float(prob @ (k - mean) ** 2)


# (n, p, r, normal_above): the branch each case exercises
CASES = {
    "exact, small mean": (1_000.0, 0.004, 5.0, 10.0),  # m = 4, v = 7.2
    "exact, mean below 1": (1_000.0, 0.0005, 2.0, 10.0),  # m = 0.5, v = 0.625
    "exact, large mean (no approximation)": (10_000.0, 0.02, 5.0, np.inf),  # m = 200, v = 8,200
    "normal, just above the threshold": (2_000.0, 0.005, 20.0, 10.0),  # m = 10, v = 15
    "normal, large mean": (10_000.0, 0.02, 20.0, 10.0),  # m = 200, v = 2,200
    "normal, large mean and scatter": (10_000.0, 0.02, 5.0, 10.0),  # m = 200, v = 8,200
}


@pytest.mark.parametrize("case", CASES)
def test_mean_and_variance_are_the_negative_binomials(case: str) -> None:
    """Sample mean and variance within 4 SE of the law's, which are ``m`` and ``m + m**2 / r``.

    Exact draws are the negative binomial itself. A normal draw's law is a
    rounded normal clipped at 0 and ``n``: rounding adds about 1/12 to the
    variance and the clip at 0 moves the moments a little where ``m`` is
    within a few standard deviations of 0 (r = 5: every normal draw,
    ``sd > m / sqrt(r)``), so its exact moments are computed and checked to
    be within 0.5 % (mean) and 3 % (variance) of the negative binomial's.
    """
    n, p, r, normal_above = CASES[case]
    m, v = n * p, n * p + (n * p) ** 2 / r
    x = negative_binomial_counts(np.random.default_rng(1), np.full(DRAWS, n), p, r, normal_above)
    assert (x == np.rint(x)).all() and x.min() >= 0.0 and x.max() <= n
    if v >= normal_above:
        law_mean, law_var = rounded_clipped_normal_moments(m, v, n)
        assert law_mean == pytest.approx(m, rel=0.005) and law_var == pytest.approx(v, rel=0.03)
    else:
        law_mean, law_var = m, v
    mean, var, se_mean, se_var = moments_and_errors(x)
    assert abs(mean - law_mean) <= 4 * se_mean, (mean, law_mean, se_mean)
    assert abs(var - law_var) <= 4 * se_var, (var, law_var, se_var)


@pytest.mark.parametrize(("m", "r"), [(0.3, 1.0), (2.0, 0.5), (4.0, 5.0), (6.0, 20.0)])
def test_exact_draws_follow_the_negative_binomial_distribution(m: float, r: float) -> None:
    """Chi-square against NB(r, r / (r + m)) (sparse tails pooled, expected counts > 5): p-value above 0.001."""
    x = negative_binomial_counts(np.random.default_rng(2), np.full(DRAWS, 1e9), m / 1e9, r, np.inf)
    law = stats.nbinom(r, r / (r + m))
    top = int(x.max())
    observed = np.bincount(x.astype(int), minlength=top + 1).astype(float)
    expected = law.pmf(np.arange(top + 1)) * x.size
    expected[-1] += law.sf(top) * x.size
    keep = expected > 5
    observed = np.append(observed[keep], observed[~keep].sum())
    expected = np.append(expected[keep], expected[~keep].sum())
    assert stats.chisquare(observed, expected * observed.sum() / expected.sum()).pvalue > 0.001


@pytest.mark.parametrize("normal_above", [10.0, np.inf])
def test_draws_are_whole_and_kept_within_zero_and_n(normal_above: float) -> None:
    """Near ``p = 1`` many draws would exceed ``n``: they are ``n``, so the mean is below ``n p`` (documented)."""
    rng = np.random.default_rng(3)
    n = np.rint(rng.uniform(0.0, 60.0, size=(50_000, 4)))
    p = np.array([0.0, 0.05, 0.6, 0.97])
    x = negative_binomial_counts(np.random.default_rng(4), n, p, 2.0, normal_above)
    assert (x == np.rint(x)).all() and (x >= 0.0).all() and (x <= n).all()
    assert (x[:, 0] == 0.0).all() and (x[n == 0.0] == 0.0).all()
    at_n = x[:, 3] == n[:, 3]
    assert at_n[n[:, 3] > 0].mean() > 0.2  # the clip at n is active near p = 1 ...
    assert x[:, 3].mean() < 0.97 * n[:, 3].mean() - 1.0  # ... and lowers the mean there


@pytest.mark.parametrize("normal_above", [10.0, np.inf])
def test_zero_means_use_no_random_numbers(normal_above: float) -> None:
    """Rows of zero mean are 0 and leave the streams as they were, so the others' draws do not depend on them."""
    rng = np.random.default_rng(5)
    n = np.asfortranarray(np.rint(rng.uniform(0.0, 500.0, size=(2_000, 3))))
    p = rng.uniform(0.0, 0.05, size=(2_000, 3))
    p[rng.random(2_000) < 0.5] = 0.0  # half the rows out of the fight
    live = np.flatnonzero(p[:, 0] > 0.0)
    assert 0 < ((n * p)[live] + (n * p)[live] ** 2 / 3.0 < 10.0).mean() < 1  # both branches
    streams = [np.random.default_rng(6), np.random.default_rng(7)]
    every = negative_binomial_counts(streams[0], n, p, 3.0, normal_above, normal_rng=streams[1])
    after = [g.bit_generator.state for g in streams]
    again = [np.random.default_rng(6), np.random.default_rng(7)]
    alone = negative_binomial_counts(again[0], n[live], p[live], 3.0, normal_above, normal_rng=again[1])
    np.testing.assert_array_equal(every[live], alone)
    assert (np.delete(every, live, axis=0) == 0.0).all()
    assert [g.bit_generator.state for g in again] == after
    untouched = np.random.default_rng(8)
    state = untouched.bit_generator.state
    zeros = negative_binomial_counts(untouched, n, np.zeros_like(p), 3.0, normal_above)
    assert (zeros == 0.0).all() and untouched.bit_generator.state == state


def test_dispersion_per_row() -> None:
    """``r`` of shape ``(rows, 1)`` gives the draws of ``r`` written out in full; each row has its own scatter.

    Each row's draws have their own law's mean and variance (4 SE; for
    normal draws the law of :func:`rounded_clipped_normal_moments`).
    """
    rows = 200_000
    n = np.asfortranarray(np.full((rows, 2), 2_000.0))
    p = np.array([0.002, 0.05])  # m = 4 (exact for both sizes) and 100 (normal)
    r = np.where(np.arange(rows) % 2 == 0, 3.0, 50.0)[:, None]
    x = negative_binomial_counts(np.random.default_rng(9), n, p, r, 10.0, work=np.empty(n.shape, order="F"))
    full = np.asfortranarray(np.broadcast_to(r, n.shape))
    np.testing.assert_array_equal(x, negative_binomial_counts(np.random.default_rng(9), n, p, full, 10.0))
    for parity, size in ((0, 3.0), (1, 50.0)):
        for column, m in ((0, 4.0), (1, 100.0)):
            v = m + m * m / size
            law_mean, law_var = rounded_clipped_normal_moments(m, v, 2_000.0) if v >= 10.0 else (m, v)
            mean, var, se_mean, se_var = moments_and_errors(x[parity::2, column])
            assert abs(mean - law_mean) <= 4 * se_mean and abs(var - law_var) <= 4 * se_var, (size, m, mean, var)


def test_normal_variates_are_shared_by_the_rows_of_a_replication() -> None:
    """With ``replication``, rows of the same replication and inputs get the same normal draws, exact draws aside."""
    n = np.asfortranarray(np.tile(np.array([[5_000.0, 5_000.0, 300.0]]), (8, 1)))
    p = np.array([0.02, 0.0, 0.01])  # normal (m = 100), none, exact (m = 3)
    replication = np.array([0, 1, 2, 3, 0, 1, 2, 3])
    x = negative_binomial_counts(
        np.random.default_rng(10),
        n,
        p,
        5.0,
        10.0,
        normal_rng=np.random.default_rng(11),
        replication=replication,
        replications=4,
    )
    np.testing.assert_array_equal(x[:4, 0], x[4:, 0])  # shared
    assert len(set(x[:4, 0].tolist())) > 1  # but not between replications
    assert (x[:, 1] == 0.0).all()
    # the normal variates are the first 4 (replications) of each column's, whatever the exact draws take
    z = np.random.default_rng(11).standard_normal(4 * 3)[:4]
    np.testing.assert_array_equal(x[:4, 0], np.clip(np.rint(100.0 + np.sqrt(100.0 + 100.0**2 / 5.0) * z), 0, 5_000))


# ------------------------------------------------------------------ the model
def fixed(sc: ks.Scenario, days: int) -> ks.Scenario:
    """``sc`` over ``days`` days with its uncertain parameters fixed, so every replication's first day is the same."""
    return sc.replace(
        {
            "end_date": sc.start_date + dt.timedelta(days=days),
            "ua.strength": 20_000,
            "modifiers.offensive.start": "2025-01-15",
            "kpa.second_wave.probability": 0.0,
        }
    )


NB5 = {"noise.kind": "negative_binomial", "noise.dispersion": 5}


def test_daily_losses_scatter_by_the_expected_factor(kursk: ks.Scenario) -> None:
    """First day's losses: variance over binomial's within 10 % of ``(1 + m / r) / (1 - p)``.

    Every replication starts the same, so the first day's losses of a
    contingent are one draw: binomial, variance ``m (1 - p)``, or negative
    binomial, ``m + m**2 / r`` (r = 5; m is 120-160 troops, p = m /
    strength, so the factor is 25-33). Sampling error of the ratio with
    20,000 replications: about 2 %; the clip at 0 of normal draws lowers
    the variance by about 1 %.
    """
    binomial = fixed(kursk, 2)
    nb = binomial.replace(NB5)
    runs = [ks.simulate(sc, 20_000, seed=17, trajectories=True) for sc in (binomial, nb)]
    b, x = (run.trajectory("casualties").values[:, 1] - run.trajectory("casualties").values[:, 0] for run in runs)
    strength = runs[0].trajectory("strength").values[:, 0].mean(axis=0)
    m = b.mean(axis=0)
    assert (m > 50).all()
    np.testing.assert_allclose(x.mean(axis=0), m, rtol=0.02)  # the same mean
    expected = (1.0 + m / 5.0) / (1.0 - m / strength)
    np.testing.assert_allclose(x.var(axis=0) / b.var(axis=0), expected, rtol=0.10)


def test_default_scenario_with_negative_binomial_noise(kursk: ks.Scenario) -> None:
    """The default scenario with NB noise (r = 5): every count whole, the books balance exactly, more scatter."""
    sc = kursk.replace(NB5)
    ens = ks.simulate(sc, 1_000, seed=18)
    f = ens.final
    for key in ("strength", "killed", "wounded", "missing", "arrived", "returned"):
        assert (f[key] == np.rint(f[key])).all() and (f[key] >= 0).all(), key
    # troops that left the front alive, where the model records them
    departed = f.get("departed", 0.0)
    balance = f["initial"] + f["arrived"] + f["returned"] - (f["killed"] + f["wounded"] + f["missing"]) - departed
    np.testing.assert_array_equal(balance, f["strength"])
    # more scatter than binomial noise, where noise is the only source of it (uncertain inputs fixed, ten days)
    short = fixed(kursk, 10)
    nb, base = ks.simulate(short.replace(NB5), 1_000, seed=18), ks.simulate(short, 1_000, seed=18)
    spread = [e.trajectory("casualties").values[:, -1].std(axis=0) for e in (nb, base)]
    assert (spread[0] > 2 * spread[1]).all(), spread


def test_identical_points_of_a_sweep_share_their_normal_noise(kursk: ks.Scenario) -> None:
    """Two identical points (r = 20) differ by the exact draws alone: a paired SE under 15 % of the unpaired one.

    The dispersion is the sweep's lever, so each row has its own ``r``; the
    third point (r = 200) scatters less. Without shared normal variates the
    identical points' paired SE would be about the unpaired one.
    """
    sc = fixed(kursk, 60).replace({"noise.kind": "negative_binomial"})
    res = ks.sweep(sc, ks.Design({"noise.dispersion": [20.0, 20.0, 200.0]}), 300, seed=3, chunk_size=300)
    se = res.standard_error("casualties").values[:, -1]
    d = res.difference("casualties").values
    unpaired = np.hypot(se[1], se[0])
    assert (d[1, 1, -1] < 0.15 * unpaired).all(), (d[1, 1, -1], unpaired)
    assert (se[2] < 0.7 * se[0]).all()


def test_a_small_dispersion_is_drawn_exactly(kursk: ks.Scenario) -> None:
    """Below r = 20 every loss is an exact gamma-Poisson draw: the variance of daily losses is the negative binomial's.

    At r = 2 the rounded normal, clipped at 0, would give about 15 % less variance (docs/performance.md).
    """
    sc = fixed(kursk, 1).replace({"noise.kind": "negative_binomial", "noise.dispersion": 2.0})
    ens = ks.simulate(sc, 20_000, seed=8)
    lost = (ens.trajectory("casualties").values[:, 1, 1]).astype(float)  # the first day's, North Korean
    m = lost.mean()
    # the variance of an NB(r=2) count with this mean, m + m^2 / 2, within 4 standard errors of a sample variance
    want = m + m * m / 2.0
    se = want * np.sqrt((2.0 + 6.0 / 2.0 + 1.0) / lost.size)  # sample variance's SE; NB excess kurtosis ~ 6/r + 1/m
    assert abs(lost.var() - want) < 4 * se, (lost.var(), want)
