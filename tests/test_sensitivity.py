"""Sensitivity: Sobol indices against the Ishigami function's analytic values and against a model case
with a closed form (indices computed here by quadrature), Morris screening, outputs and errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

import kursk_sim as ks
from kursk_sim.sensitivity import parse_output, sobol

START = dt.date(2000, 1, 1)


# ------------------------------------------------------------------ Ishigami
def ishigami_indices(a: float = 7.0, b: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Analytic first- and total-order indices of f = sin x1 + a sin² x2 + b x3⁴ sin x1 on [-π, π]³."""
    pi = np.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 / 18 - b**2 * pi**8 / 50
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def ishigami(u: np.ndarray) -> np.ndarray:
    x = -np.pi + 2 * np.pi * u
    return np.sin(x[:, 0]) + 7.0 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_ishigami_indices_are_recovered() -> None:
    first, total = ishigami_indices()
    np.testing.assert_allclose(first, [0.3139, 0.4424, 0.0], atol=5e-5)  # the published values
    np.testing.assert_allclose(total, [0.5576, 0.4424, 0.2437], atol=5e-5)
    out = sobol(ishigami, 3, 4096, seed=2, n_resamples=300)
    assert np.abs(out["first"][0] - first).max() < 0.03
    assert np.abs(out["total"][0] - total).max() < 0.03
    for key, truth in (("first_ci", first), ("total_ci", total)):
        low, high = out[key][:, 0]
        assert ((low <= truth + 0.01) & (truth - 0.01 <= high)).all(), (key, low, high, truth)
        assert (high - low).max() < 0.1


def test_sobol_refuses_n_not_a_power_of_two() -> None:
    with pytest.raises(ValueError, match="power of two"):
        sobol(ishigami, 3, 1000)


# ------------------------------------------------------------------ a model case with a closed form
DAYS = 20
A0 = 20_000.0
RANGES = {"attacker.lethality": (0.01, 0.03), "defender.lethality": (0.01, 0.05), "red.strength": (5_000.0, 15_000.0)}


def duel() -> ks.Scenario:
    """Square law, mean-field: A' = A - k_d B, B' = B - k_a A each day (Lanchester's difference equations)."""
    ranged = lambda value, path: {"value": value, "range": list(RANGES[path])}  # noqa: E731
    return ks.Scenario.from_dict(
        {
            "name": "duel",
            "start_date": START,
            "end_date": START + dt.timedelta(days=DAYS),
            "law": {"preset": "square"},
            "noise": {"kind": "none"},
            "attacker": {"id": "a", "name": "A", "lethality": ranged(0.02, "attacker.lethality")},
            "defender": {"id": "d", "name": "D", "lethality": ranged(0.03, "defender.lethality")},
            "territory": {"initial_area_km2": 1.0},
            "blue": {
                "side": "attacker",
                "name": "Blue",
                "strength": A0,
                "casualties": {"killed": {"value": 1.0, "range": [0.5, 1.0]}, "missing": 0.0},  # no effect on strength
            },
            "red": {
                "side": "defender",
                "name": "Red",
                "strength": ranged(10_000.0, "red.strength"),
                "casualties": {"killed": 1.0, "missing": 0.0},
            },
        }
    )


def closed_form(k_a: np.ndarray, k_d: np.ndarray, b0: np.ndarray) -> np.ndarray:
    """Blue's strength after DAYS steps: the first row of [[1, -k_d], [-k_a, 1]]**DAYS @ [A0, B0]."""
    a, b = np.full_like(b0, A0), b0.copy()
    for _ in range(DAYS):
        a, b = a - k_d * b, b - k_a * a
    return a


def quadrature_indices() -> tuple[np.ndarray, np.ndarray]:
    """First- and total-order indices of the closed form, by Gauss-Legendre quadrature (exact: a polynomial of degree 20)."""
    nodes, weights = np.polynomial.legendre.leggauss(24)
    u, w = (nodes + 1) / 2, weights / 2
    axes = [lo + u * (hi - lo) for lo, hi in RANGES.values()]
    grid = np.meshgrid(*axes, indexing="ij")
    y = closed_form(*grid)
    weight = w[:, None, None] * w[None, :, None] * w[None, None, :]
    mean = (weight * y).sum()
    var = (weight * (y - mean) ** 2).sum()
    first, total = [], []
    for i in range(3):
        others = tuple(j for j in range(3) if j != i)
        w_others = weight.sum(axis=i, keepdims=True)
        cond_mean = (weight * y).sum(axis=others, keepdims=True) / weight.sum(axis=others, keepdims=True)
        first.append((weight * (cond_mean - mean) ** 2).sum() / var)
        cond_mean_i = (weight * y).sum(axis=i, keepdims=True) / w_others  # E[Y | all but i]
        total.append((weight * (y - cond_mean_i) ** 2).sum() / var)
    return np.array(first), np.array(total)


def test_closed_form_is_the_model() -> None:
    sc = duel()
    ens = ks.simulate(sc, 1, seed=0)
    np.testing.assert_allclose(ens.final["strength"][0, 0], closed_form(np.array(0.02), np.array(0.03), np.array(1e4)))


@pytest.fixture(scope="module")
def duel_sobol() -> ks.SensitivityResult:
    return ks.sensitivity(
        duel(), f"strength.blue@{START + dt.timedelta(days=DAYS)}", n=1024, replications=1, seed=5, n_resamples=300
    )


def test_model_indices_match_the_closed_form(duel_sobol: ks.SensitivityResult) -> None:
    res = duel_sobol
    assert res.paths == ("attacker.lethality", "defender.lethality", "blue.casualties.killed", "red.strength")
    first, total = quadrature_indices()
    order = [res.paths.index(p) for p in RANGES]
    assert np.abs(res.indices["first"][0, order] - first).max() < 0.03, (res.indices["first"], first)
    assert np.abs(res.indices["total"][0, order] - total).max() < 0.03, (res.indices["total"], total)
    for key, truth in (("first_ci", first), ("total_ci", total)):
        low, high = res.indices[key][:, 0, order]
        assert ((low <= truth + 0.01) & (truth - 0.01 <= high)).all(), (key, low, high, truth)
    # a parameter that cannot change the output gets exactly zero: every pair of its runs is the same run
    dummy = res.paths.index("blue.casualties.killed")
    assert res.indices["total"][0, dummy] == 0.0
    assert res.ranking()[-1] == "blue.casualties.killed"
    assert res.points == 1024 * 6 and res.sweep.n_points == res.points


def test_morris_ranks_like_sobol(duel_sobol: ks.SensitivityResult) -> None:
    morris = ks.sensitivity(duel(), "strength.blue", method="morris", n=64, replications=1, seed=3)
    assert morris.points == 64 * 5
    dummy = morris.paths.index("blue.casualties.killed")
    assert morris.indices["mu_star"][0, dummy] == 0.0 and morris.indices["sigma"][0, dummy] == 0.0
    assert morris.ranking()[:3] == duel_sobol.ranking()[:3]
    table = morris.table()
    assert table.rows[0][0] == morris.ranking()[0] and "mu*" in table.columns


def test_sensitivity_of_the_default_scenario_in_small(kursk: ks.Scenario) -> None:
    res = ks.sensitivity(
        kursk, ["area@2025-03-01", "ua_withdrawal@2025-03-31"], n=8, replications=2, seed=1, n_resamples=50
    )
    assert len(res.paths) == 49 and res.points == 8 * 51
    assert res.indices["total"].shape == (2, 49) and res.indices["total_ci"].shape == (2, 2, 49)
    assert sorted(res.ranking(1)) == sorted(res.paths)
    df = res.to_pandas()
    assert len(df) == 98 and {"first", "total", "total_ci_low", "total_ci_high"} <= set(df.columns)
    again = ks.sensitivity(
        kursk, ["area@2025-03-01", "ua_withdrawal@2025-03-31"], n=8, replications=2, seed=1, n_resamples=50
    )
    for key in res.indices:
        np.testing.assert_array_equal(res.indices[key], again.indices[key], err_msg=key)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("strength@2025-03-01", "expected 'strength.<contingent>'"),
        ("strength.xx@2025-03-01", "got ['xx']"),
        ("area.ua@2025-03-01", "area has no contingent"),
        ("areas@2025-03-01", "expected one of the outputs"),
        ("area@2026-03-01", "expected a date in"),
        ("area@March", "expected YYYY-MM-DD"),
        ("", "expected e.g."),
    ],
)
def test_bad_outputs(kursk: ks.Scenario, text: str, words: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_output(text, kursk, ["ua_withdrawal"])
    assert words in str(err.value)


def test_bad_arguments(kursk: ks.Scenario) -> None:
    args: dict[str, Any] = dict(n=8, replications=1, seed=1)
    with pytest.raises(ValueError, match="method"):
        ks.sensitivity(kursk, "area", method="fast", **args)
    with pytest.raises(ValueError, match="power of two"):
        ks.sensitivity(kursk, "area", **{**args, "n": 12})
    with pytest.raises(ks.ScenarioError, match="did you mean"):
        ks.sensitivity(kursk, "area", paths=["ru.strenght"], **args)
    with pytest.raises(ValueError, match="outputs"):
        ks.sensitivity(kursk, [], **args)


def test_tornado_draws_the_indices(duel_sobol: ks.SensitivityResult) -> None:
    ax = ks.plot.tornado(duel_sobol, top=3)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == duel_sobol.ranking()[:3][::-1]  # the most influential at the top
    totals = [bar.get_width() for bar in ax.containers[0]]
    want = [duel_sobol.indices["total"][0, duel_sobol.paths.index(p)] for p in labels]
    np.testing.assert_allclose(totals, want)
