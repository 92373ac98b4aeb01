"""Noise off, the model is Lanchester's difference equations: it matches the
closed-form square and linear laws within the Euler step's error, converges
to the ODE form (scipy solve_ivp) as the step shrinks, and reproduces Engel's
Iwo Jima computation (1954)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

import kursk_sim as ks
from kursk_sim import laws

START = dt.date(2000, 1, 1)


def duel(
    a0: float, d0: float, k_att: float, k_def: float, days: int, law: dict[str, Any], noise: str = "none"
) -> ks.Scenario:
    """Two contingents, all losses killed, nothing returns or arrives."""
    return ks.Scenario.from_dict(
        {
            "name": "duel",
            "start_date": START,
            "end_date": START + dt.timedelta(days=days),
            "law": law,
            "noise": {"kind": noise},
            "attacker": {"id": "a", "name": "A", "lethality": k_att},
            "defender": {"id": "d", "name": "D", "lethality": k_def},
            "territory": {"initial_area_km2": 1.0},
            "blue": {"side": "attacker", "name": "Blue", "strength": a0, "casualties": {"killed": 1.0, "missing": 0.0}},
            "red": {"side": "defender", "name": "Red", "strength": d0, "casualties": {"killed": 1.0, "missing": 0.0}},
        }
    )


def run(sc: ks.Scenario) -> np.ndarray:
    """(days + 1, 2) strengths of the mean-field run, in float64 from the exact final state check."""
    ens = ks.simulate(sc, replications=1, seed=0)
    return ens.trajectory("strength").values[0].astype(float)


def scaled_error(law: dict[str, Any], exact, m: int, a0=1000.0, d0=800.0, ka=0.01, kd=0.012, days=60) -> float:
    """Max relative error against ``exact(t)`` with the step shrunk m times (rates / m, m times more days)."""
    traj = run(duel(a0, d0, ka / m, kd / m, days * m, law))
    t = np.arange(days + 1)
    a, d = exact(t)
    got = traj[::m]
    return float(max(np.max(np.abs(got[:, 0] - a) / a0), np.max(np.abs(got[:, 1] - d) / d0)))


def test_square_law_matches_cosh_sinh_within_euler_error() -> None:
    a0, d0, ka, kd, days = 1000.0, 800.0, 0.01, 0.012, 60
    traj = run(duel(a0, d0, ka, kd, days, {"preset": "square"}))
    a, d = laws.square_law_solution(a0, d0, ka, kd, np.arange(days + 1))
    err = np.max(np.abs(traj[:, 0] - a) / a0)
    w = np.sqrt(ka * kd)
    # explicit Euler: global error <= (dt/2) * w * T * max|state| / scale, here about 0.5 * w^2 T / 2
    bound = 0.5 * w * (w * days) * np.cosh(w * days)
    assert 0 < err < bound
    # the square-law invariant ka*A^2 - kd*D^2 holds to the same order
    inv = ka * traj[:, 0] ** 2 - kd * traj[:, 1] ** 2
    assert np.max(np.abs(inv - inv[0])) / (ka * a0**2) < 2 * bound


@pytest.mark.parametrize("preset", ["square", "linear"])
def test_closed_forms_converge_at_first_order(preset: str) -> None:
    a0, d0, ka, kd = 1000.0, 800.0, 0.01, 0.012
    if preset == "square":
        exact = lambda t: laws.square_law_solution(a0, d0, ka, kd, t)  # noqa: E731
        args = {}
    else:
        ka, kd = 1e-5, 1.2e-5  # per attacker per defender per day
        exact = lambda t: laws.linear_law_solution(a0, d0, ka, kd, t)  # noqa: E731
        args = {"ka": ka, "kd": kd}
    errors = [scaled_error({"preset": preset}, exact, m, **args) for m in (1, 2, 4, 8)]
    for coarse, fine in zip(errors, errors[1:], strict=False):
        assert 2 / 1.3 < coarse / fine < 2 * 1.3  # halving the step halves the error
    assert errors[-1] < 2e-3


@pytest.mark.parametrize(
    ("law", "exponents", "k"),
    [
        ({"preset": "square"}, ((1.0, 0.0), (1.0, 0.0)), (0.01, 0.012)),
        ({"preset": "linear"}, ((1.0, 1.0), (1.0, 1.0)), (1e-5, 1.2e-5)),
        ({"preset": "logarithmic"}, ((0.0, 1.0), (0.0, 1.0)), (0.01, 0.012)),
        ({"preset": "mixed"}, ((1.0, 0.0), (1.0, 1.0)), (1e-5, 0.012)),
        (
            {"preset": "custom", "attacker": {"p": 1.0, "q": 0.5}, "defender": {"p": 1.0, "q": 0.5}},
            ((1.0, 0.5), (1.0, 0.5)),
            (3e-4, 3.6e-4),
        ),
    ],
)
def test_converges_to_the_ode_form(law: dict[str, Any], exponents, k) -> None:
    a0, d0, days = 1000.0, 800.0, 40
    ka, kd = k
    ode = laws.solve_ode(a0, d0, ka, kd, exponents[0], exponents[1], np.arange(days + 1))
    errors = []
    for m in (1, 2, 4):
        traj = run(duel(a0, d0, ka / m, kd / m, days * m, law))[::m]
        errors.append(
            max(np.max(np.abs(traj[:, 0] - ode.attacker)) / a0, np.max(np.abs(traj[:, 1] - ode.defender)) / d0)
        )
    assert errors[0] > 0
    assert errors[0] / errors[1] > 1.6 and errors[1] / errors[2] > 1.6, errors


def test_the_law_matters() -> None:
    """Same initial loss rates, different laws: the courses must part (a program ignoring q would not)."""
    square = run(duel(1000.0, 800.0, 0.01, 0.012, 40, {"preset": "square"}))
    # linear-law lethalities that give the same losses on day one: k_lin = k_sq / (own strength)
    linear = run(duel(1000.0, 800.0, 0.01 / 800.0, 0.012 / 1000.0, 40, {"preset": "linear"}))
    np.testing.assert_allclose(square[1], linear[1], rtol=1e-6)
    assert abs(square[-1, 1] - linear[-1, 1]) / linear[-1, 1] > 0.1


def test_expected_losses_is_array_in_array_out() -> None:
    k = np.array([0.01, 0.02])[:, None]
    fire = np.array([[100.0, 0.0, 50.0]])
    out = laws.expected_losses(k, fire, 10.0, 1.0, 1.0)
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out, [[10.0, 0.0, 5.0], [20.0, 0.0, 10.0]])
    assert laws.expected_losses(0.5, 0.0, 100.0, 0.0, 1.0) == 0.0  # no enemy, no losses


def test_closed_forms_agree_with_ode() -> None:
    t = np.linspace(0, 50, 11)
    a, d = laws.square_law_solution(1000.0, 800.0, 0.01, 0.012, t)
    ode = laws.solve_ode(1000.0, 800.0, 0.01, 0.012, (1, 0), (1, 0), t)
    np.testing.assert_allclose(a, ode.attacker, rtol=1e-6)
    np.testing.assert_allclose(d, ode.defender, rtol=1e-6)
    a, d = laws.linear_law_solution(1000.0, 800.0, 1e-5, 1.2e-5, t)
    ode = laws.solve_ode(1000.0, 800.0, 1e-5, 1.2e-5, (1, 1), (1, 1), t)
    np.testing.assert_allclose(a, ode.attacker, rtol=1e-6)
    np.testing.assert_allclose(d, ode.defender, rtol=1e-6)
    # the balanced case k_a A0 = k_d D0 uses the c = 0 branch
    a, d = laws.linear_law_solution(1000.0, 1000.0, 1e-5, 1e-5, t)
    ode = laws.solve_ode(1000.0, 1000.0, 1e-5, 1e-5, (1, 1), (1, 1), t)
    np.testing.assert_allclose(a, ode.attacker, rtol=1e-6)


def test_square_law_solution_stops_at_annihilation() -> None:
    a, d = laws.square_law_solution(1000.0, 500.0, 0.01, 0.01, np.array([0.0, 100.0, 200.0, 400.0]))
    assert d[-1] == 0.0 and d[-2] == 0.0
    assert a[-1] == pytest.approx(np.sqrt(1000.0**2 - 500.0**2))  # the square law's survivor count


def test_binomial_mean_follows_the_mean_field() -> None:
    """With binomial noise the ensemble mean stays within 4 standard errors of the mean-field course."""
    det = run(duel(1000.0, 800.0, 0.01, 0.012, 40, {"preset": "square"}))
    ens = ks.simulate(duel(1000.0, 800.0, 0.01, 0.012, 40, {"preset": "square"}, "binomial"), 4000, seed=8)
    strength = ens.trajectory("strength").values.astype(float)
    for day in (5, 20, 40):
        mean = strength[:, day].mean(axis=0)
        se = strength[:, day].std(axis=0) / np.sqrt(4000)
        assert (np.abs(mean - det[day]) < 4 * se + 0.5).all(), (day, mean, det[day], se)
