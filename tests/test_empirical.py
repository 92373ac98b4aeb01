"""Joint empirical samples: the columns of a group draw the same row, so a posterior's correlations survive."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import kursk_sim as ks
from kursk_sim.parameters import draw_parameters


def joint(n: int = 400, rho: float = 0.8, seed: int = 1) -> tuple[ks.Empirical, ks.Empirical]:
    z = np.random.default_rng(seed).standard_normal((n, 2))
    a = 0.0145 * (1 + 0.1 * z[:, 0])
    b = 1.16e-7 * (1 + 0.1 * (rho * z[:, 0] + np.sqrt(1 - rho**2) * z[:, 1]))
    w = tuple(np.random.default_rng(seed + 1).uniform(0.5, 1.5, n))
    return ks.Empirical(tuple(a), w, "post"), ks.Empirical(tuple(b), w, "post")


def test_columns_of_a_group_draw_the_same_rows(kursk: ks.Scenario, tmp_path: Path) -> None:
    a, b = joint()
    sc = kursk.replace({"defender.lethality": a, "attacker.lethality": b})
    again = ks.load_scenario(sc.save(tmp_path / "posterior.toml"))  # stored with the scenario file
    assert again.get("defender.lethality") == a and again.get("attacker.lethality") == b
    bp = draw_parameters(again, 20_000, seed=3)
    x, y = bp["defender.lethality"], bp["attacker.lethality"]
    rows = {(u, v) for u, v in zip(a.values, b.values, strict=True)}
    assert all((u, v) in rows for u, v in zip(x[:500], y[:500], strict=True))  # whole rows, never mixed
    want = np.cov(a.values, b.values, aweights=a.weights)
    want_rho = want[0, 1] / np.sqrt(want[0, 0] * want[1, 1])
    assert np.corrcoef(x, y)[0, 1] == pytest.approx(want_rho, abs=0.02)
    # ungrouped, the same columns are drawn independently
    apart = kursk.replace({"defender.lethality": ks.Empirical(a.values), "attacker.lethality": ks.Empirical(b.values)})
    bp = draw_parameters(apart, 20_000, seed=3)
    assert abs(np.corrcoef(bp["defender.lethality"], bp["attacker.lethality"])[0, 1]) < 0.03


def test_marginal_quantiles_and_mean() -> None:
    d = ks.Empirical((5.0, 1.0, 3.0), weights=(1.0, 1.0, 2.0))
    assert d.ppf([0.2, 0.5, 0.7, 0.9]).tolist() == [1.0, 3.0, 3.0, 5.0]
    assert d.expected_value() == pytest.approx(3.0) and d.support() == (1.0, 5.0)
    x = d.sample(np.random.default_rng(0), 40_000)
    assert np.mean(x == 3.0) == pytest.approx(0.5, abs=0.01)


def test_deterministic_mode_takes_the_marginal_median(kursk: ks.Scenario) -> None:
    a, b = joint()
    run = ks.deterministic(kursk.replace({"defender.lethality": a, "attacker.lethality": b}))
    assert run.scenario.get("defender.lethality") == pytest.approx(float(a.ppf(0.5)))


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ({"dist": "empirical", "values": []}, "at least one value"),
        ({"dist": "empirical", "values": [1.0, float("nan")]}, "finite numbers (value 1)"),
        ({"dist": "empirical", "values": [1.0, 2.0], "weights": [1.0]}, "one weight per value (2)"),
        ({"dist": "empirical", "values": [1.0, 2.0], "weights": [1.0, -1.0]}, "positive finite weights"),
        ({"dist": "empirical", "values": [0.5, 1.5]}, "<= 1"),  # a share's sample must stay a share
    ],
)
def test_bad_samples_are_refused(kursk: ks.Scenario, value: dict, words: str) -> None:
    with pytest.raises(ks.ScenarioError) as err:
        kursk.replace({"kpa.second_wave.probability": value})
    assert words in str(err.value)


def test_a_group_must_share_its_rows(kursk: ks.Scenario) -> None:
    a, b = joint()
    short = ks.Empirical(b.values[:-1], b.weights[:-1], "post")
    with pytest.raises(ks.ScenarioError, match="other columns of group 'post'"):
        kursk.replace({"defender.lethality": a, "attacker.lethality": short})
