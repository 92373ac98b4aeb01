"""ABC-SMC: a one-day binomial loss model whose posterior is analytic; the diagnostics; the posterior as a scenario."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import kursk_sim as ks
from kursk_sim.abc import distances
from kursk_sim.observations import Observations

START = dt.date(2000, 1, 1)
N, K = 200, 30  # defenders, and how many were killed on the day


def one_day() -> ks.Scenario:
    """Each of the 200 defenders is killed with probability k on one day (logarithmic law, exact binomial draws)."""
    return ks.Scenario.from_dict(
        {
            "name": "one-day",
            "start_date": START,
            "end_date": START + dt.timedelta(days=1),
            "law": {"preset": "logarithmic"},
            "noise": {"kind": "binomial", "approximation": "none"},
            "attacker": {"id": "a", "name": "A", "lethality": 0.1},
            "defender": {"id": "d", "name": "D", "lethality": 0.0},
            "territory": {"initial_area_km2": 1.0},
            "blue": {
                "side": "attacker",
                "name": "Blue",
                "strength": 1000.0,
                "casualties": {"killed": 1.0, "missing": 0.0},
            },
            "red": {
                "side": "defender",
                "name": "Red",
                "strength": float(N),
                "casualties": {"killed": 1.0, "missing": 0.0},
            },
        }
    )


KILLED = Observations.from_rows(
    [
        {
            "date": START,
            "output": "killed",
            "contingents": "red",
            "kind": "state",
            "value": K,
            "sd": 1.0,
            "source": "test",
        }
    ]
)


@pytest.fixture(scope="module")
def posterior() -> ks.ABCResult:
    return ks.abc(one_day(), KILLED, {"attacker.lethality": (0.0, 0.5)}, particles=4000, populations=9, seed=3)


def test_the_posterior_is_the_analytic_one(posterior: ks.ABCResult) -> None:
    """With a uniform prior on k and killed ~ Binomial(200, k), ABC's target at tolerance e is
    p(k | |killed - 30| <= e), proportional to the sum of Binomial(s; 200, k) for s within e of 30:
    Beta(31, 171) at e = 0. The weighted sample matches it (weighted Kolmogorov-Smirnov, 1 % level)."""
    eps = posterior.populations[-1]["epsilon"]
    grid = np.linspace(0.0, 0.5, 20_001)
    s = np.arange(int(np.ceil(K - eps)), int(np.floor(K + eps)) + 1)
    density = stats.binom.pmf(s[:, None], N, grid[None, :]).sum(axis=0)
    cdf = np.cumsum(density)
    cdf /= cdf[-1]
    x, w = posterior.samples["attacker.lethality"], posterior.weights
    order = np.argsort(x)
    ecdf = np.cumsum(w[order])
    d = np.max(np.abs(ecdf - np.interp(x[order], grid, cdf)))
    ess = posterior.populations[-1]["ess"]
    assert d < 1.63 / np.sqrt(ess), (d, ess)
    beta = stats.beta(K + 1, N - K + 1)  # the exact posterior
    assert posterior.mean("attacker.lethality") == pytest.approx(beta.mean(), abs=3 * beta.std() / np.sqrt(ess))
    lo, mid, hi = posterior.quantiles("attacker.lethality")
    assert lo == pytest.approx(beta.ppf(0.05), rel=0.1) and hi == pytest.approx(beta.ppf(0.95), rel=0.1)


def test_tolerances_shrink_and_diagnostics_are_reported(posterior: ks.ABCResult) -> None:
    eps = [p["epsilon"] for p in posterior.populations]
    assert eps[0] > 10 and eps[-1] <= 1 and all(b <= a for a, b in zip(eps[:-1], eps[1:], strict=True))
    for p in posterior.populations:
        assert p["accepted"] >= 2000 * 0.999 or p is posterior.populations[0]
        assert 0 < p["acceptance"] <= 1 and 0 < p["ess"] <= p["accepted"]
    assert posterior.weights.sum() == pytest.approx(1.0)
    assert "epsilon" in posterior.diagnostics().columns and "95%" in posterior.table().columns


def test_the_posterior_as_a_scenario(posterior: ks.ABCResult, tmp_path: Path) -> None:
    sc = posterior.scenario(name="one-day-calibrated")
    prior = sc.get("attacker.lethality")
    assert (
        isinstance(prior, ks.Empirical)
        and prior.group == "abc"
        and len(prior.values) == posterior.samples["attacker.lethality"].size
    )
    again = ks.load_scenario(sc.save(tmp_path / "calibrated.toml"))
    assert again.get("attacker.lethality") == prior
    ens = posterior.predictive(replications=4000, seed=1)  # the posterior predictive
    killed = ens.final["killed"][:, 1]
    # its predictive distribution of the killed is centred on what was observed
    assert abs(killed.mean() - K) < 1.0 and 5 < killed.std() < 9


def test_a_seed_repeats_the_run() -> None:
    a = ks.abc(one_day(), KILLED, {"attacker.lethality": (0.0, 0.5)}, particles=500, populations=3, seed=9)
    b = ks.abc(one_day(), KILLED, {"attacker.lethality": (0.0, 0.5)}, particles=500, populations=3, seed=9)
    np.testing.assert_array_equal(a.samples["attacker.lethality"], b.samples["attacker.lethality"])
    np.testing.assert_array_equal(a.weights, b.weights)


def test_distances() -> None:
    obs = Observations.from_rows(
        [
            {"date": START, "output": "killed", "contingents": "red", "kind": "at_least", "value": 10, "source": "s"},
            {
                "date": START,
                "output": "killed",
                "contingents": "red",
                "kind": "state",
                "value": 30,
                "sd": 5,
                "source": "s",
            },
        ]
    )
    got = distances(np.array([[12.0, 30.0], [5.0, 40.0]]), obs)
    np.testing.assert_allclose(got, [0.0, np.hypot(5.0, 2.0)])  # the bound, known to 10 %: 5 short of 10 is 5 units


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="particles"):
        ks.abc(one_day(), KILLED, ["attacker.lethality"], particles=1)
    with pytest.raises(ValueError, match="quantile"):
        ks.abc(one_day(), KILLED, {"attacker.lethality": (0.0, 0.5)}, quantile=1.0)
    with pytest.raises(ks.ScenarioError, match="a range"):
        ks.abc(one_day(), KILLED, ["attacker.lethality"], particles=10)


def test_pair_plot_and_fan_with_observations(posterior: ks.ABCResult) -> None:
    axes = ks.plot.posterior_pairs(posterior)
    assert axes.shape == (1, 1)
    counts = [patch.get_height() for patch in axes[0, 0].patches]
    assert sum(counts) == pytest.approx(1.0)  # weighted: the weights sum to one
    ens = posterior.predictive(replications=300, seed=2)
    ax = ks.plot.fan(ens, "killed", observations=KILLED)
    (observed,) = [c for c in ax.containers if hasattr(c, "lines")]
    assert observed.lines[0].get_ydata()[0] == K
