"""The deterministic mode: nothing drawn, uncertain parameters at their point, expected waves, float64, smooth."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import kursk_sim as ks


def output(sc: ks.Scenario, path: str, x: np.ndarray) -> np.ndarray:
    """Kpa casualties on 24 December and Ukrainian strength on 10 January for each value of ``path``."""
    run = ks.deterministic(sc, values={path: x})
    cas = run.trajectory("casualties").sel(contingent="kpa", date="2024-12-24").values
    ua = run.trajectory("strength").sel(contingent="ua", date="2025-01-10").values
    return np.stack([cas, ua])


@pytest.mark.parametrize(
    ("path", "x0"), [("defender.lethality", 0.0145), ("attacker.lethality", 1.16e-7), ("kpa.exposure", 3.8)]
)
def test_outputs_are_smooth_finite_differences_converge(kursk: ks.Scenario, path: str, x0: float) -> None:
    """Central differences with step h and h/10 agree to 1e-5 relative: the output is differentiable there."""
    h = 1e-3 * x0
    x = np.array([x0 - h, x0 + h, x0 - h / 10, x0 + h / 10])
    y = output(kursk, path, x)
    coarse = (y[:, 1] - y[:, 0]) / (2 * h)
    fine = (y[:, 3] - y[:, 2]) / (h / 5)
    assert (np.abs(coarse) > 0).all()
    np.testing.assert_allclose(coarse, fine, rtol=1e-5)


def test_nothing_is_drawn_and_points_are_medians(kursk: ks.Scenario) -> None:
    a, b = ks.deterministic(kursk), ks.deterministic(kursk)
    np.testing.assert_array_equal(a.series, b.series)
    assert a.series.dtype == np.float64
    ua0 = a.trajectory("strength").sel(contingent="ua").values[0, 0]
    assert ua0 == pytest.approx(kursk.get("ua.strength").ppf(0.5))
    mean = ks.deterministic(kursk, at="mean").trajectory("strength").sel(contingent="ua").values[0, 0]
    assert mean == pytest.approx(kursk.get("ua.strength").expected_value())
    # the second wave brings its expected size, 8,000 x 0.3, on its median date
    kpa = a.contingents.index("kpa")
    arrived_on = a.events["kpa_second_wave"][0]
    median = dt.date.fromordinal(round(float(kursk.get("kpa.second_wave.date").ppf(0.5))))
    assert arrived_on == (median - kursk.start_date).days
    strength = a.trajectory("strength").values[0, :, kpa]
    jump = strength[arrived_on + 1] - strength[arrived_on]
    assert abs(jump - 2400) < 200  # the wave's 2,400, give or take a day's losses and returns


def test_rows_are_separate_runs(kursk: ks.Scenario) -> None:
    x = np.array([0.01, 0.02])
    both = ks.deterministic(kursk, values={"defender.lethality": x})
    for i, v in enumerate(x):
        one = ks.deterministic(kursk.replace({"defender.lethality": float(v)}))
        np.testing.assert_allclose(both.series[i], one.series[0], rtol=1e-12, atol=1e-9)


def test_it_is_the_mean_field_model(kursk: ks.Scenario) -> None:
    """With no uncertain parameter, wave or hazard left, the same run as simulate() with noise none."""
    sc = ks.deterministic(kursk).scenario.replace({"kpa.second_wave.probability": 0.0, "encirclement.enabled": False})
    det = ks.deterministic(sc)
    ens = ks.simulate(sc, 1, seed=0)
    np.testing.assert_allclose(det.trajectory("strength").values, ens.trajectory("strength").values, rtol=1e-6)
    np.testing.assert_array_equal(det.trajectory("strength").values[0, -1], ens.final["strength"][0])


def test_bad_arguments(kursk: ks.Scenario) -> None:
    with pytest.raises(ValueError, match="at"):
        ks.deterministic(kursk, at="mode")
    with pytest.raises(ValueError, match="one length"):
        ks.deterministic(kursk, values={"defender.lethality": [0.01, 0.02], "attacker.lethality": [1e-7]})
    with pytest.raises(ks.ScenarioError, match=r"\(row 1\)"):
        ks.deterministic(kursk, values={"defender.lethality": [0.01, -0.02]})
