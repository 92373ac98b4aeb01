"""Iwo Jima (Engel 1954, "A verification of Lanchester's law", JORSA 2(2):163-171).

US landings: 54,000 on day 1, 6,000 on day 3, 13,000 on day 6; 21,500
Japanese defenders, no Japanese reinforcements; square law with
a = 0.0544 (US losses per Japanese soldier per day) and
b = 0.0106 (Japanese losses per US soldier per day); 36 days. Engel chose b
so that the 21,500 defenders are gone after 36 days, and his computed US
strength peaks after the last landing near 66,000-67,000 and ends in the
low 50,000s.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import kursk_sim as ks

A, B = 0.0544, 0.0106
START = dt.date(1945, 2, 19)
LANDINGS = {0: 54_000.0, 2: 6_000.0, 5: 13_000.0}  # day index -> troops (day 1, 3, 6 in Engel's count)


def iwo_jima(law: str = "square", noise: str = "none") -> ks.Scenario:
    return ks.Scenario.from_dict(
        {
            "name": "iwo-jima",
            "title": "Iwo Jima, 19 February - 26 March 1945 (Engel 1954)",
            "start_date": START,
            "end_date": START + dt.timedelta(days=36),
            "law": {"preset": law},
            "noise": {"kind": noise},
            "attacker": {"id": "us", "name": "United States", "lethality": B},
            "defender": {"id": "jp", "name": "Japan", "lethality": A},
            "territory": {"initial_area_km2": 21.0},
            "us": {
                "side": "attacker",
                "name": "V Amphibious Corps",
                "strength": LANDINGS[0],
                "casualties": {"killed": 1.0, "missing": 0.0},
                "landing_day3": {"size": LANDINGS[2], "date": START + dt.timedelta(days=2)},
                "landing_day6": {"size": LANDINGS[5], "date": START + dt.timedelta(days=5)},
            },
            "jp": {
                "side": "defender",
                "name": "Japanese garrison",
                "strength": 21_500.0,
                "casualties": {"killed": 1.0, "missing": 0.0},
            },
        }
    )


def engel_recurrence(days: int = 36) -> np.ndarray:
    """Engel's difference equations, written independently of the library."""
    x, y = 0.0, 21_500.0
    out = []
    for t in range(days):
        x += LANDINGS.get(t, 0.0)
        if t == 0:
            out.append((x, y))
        x, y = max(x - A * y, 0.0), max(y - B * x, 0.0)
        out.append((x, y))
    return np.array(out)


@pytest.fixture(scope="module")
def course() -> ks.Ensemble:
    return ks.simulate(iwo_jima(), replications=1, seed=0)


def test_reproduces_engels_difference_equations(course: ks.Ensemble) -> None:
    got = course.final["strength"][0]
    want = engel_recurrence()
    np.testing.assert_allclose(got, want[-1], rtol=1e-9, atol=1e-9)
    traj = course.trajectory("strength").values[0].astype(float)
    np.testing.assert_allclose(traj, want, rtol=1e-6, atol=0.01)  # float32 record


def test_published_course(course: ks.Ensemble) -> None:
    us = course.trajectory("strength").sel(contingent="us").values[0]
    jp = course.trajectory("strength").sel(contingent="jp").values[0]
    peak_day = int(np.argmax(us))
    assert peak_day == 6  # state after the day-6 landing
    assert 66_000 < us.max() < 67_000
    assert jp[35] > 0 and jp[36] == 0  # the garrison is gone after exactly 36 days
    assert 52_000 < us[-1] < 52_600  # Engel's computed curve ends in the low 50,000s
    # personnel balance: 73,000 landed, the rest killed
    f = course.final
    np.testing.assert_allclose(f["initial"] + f["arrived"] - f["killed"], f["strength"], rtol=0, atol=1e-9)
    assert f["arrived"][0, 0] == 19_000.0


def test_the_law_and_the_landings_matter(course: ks.Ensemble) -> None:
    linear = ks.simulate(iwo_jima("logarithmic"), replications=1, seed=0)
    assert abs(linear.final["strength"][0, 1] - course.final["strength"][0, 1]) > 1_000
    no_landings = iwo_jima().replace({"us.landing_day6.size": 0.0})
    jp_left = ks.simulate(no_landings, 1, seed=0).final["strength"][0, 1]
    assert jp_left > 2_000


def test_stochastic_battle_centres_on_the_deterministic_one(course: ks.Ensemble) -> None:
    ens = ks.simulate(iwo_jima(noise="binomial"), replications=2000, seed=4)
    us_end = ens.final["strength"][:, 0]
    want = course.final["strength"][0, 0]
    assert abs(us_end.mean() - want) < 4 * us_end.std() / np.sqrt(2000) + 50


def test_engels_coefficients_are_recovered_from_the_series() -> None:
    """Fit both lethalities to Engel's daily strengths (his difference equations, 1 % errors): a and b come back."""
    from kursk_sim.observations import Observations

    series = engel_recurrence()
    rows = []
    for day in range(1, 36):  # row ``day``: the state at the end of day ``day - 1``
        date = START + dt.timedelta(days=day - 1)
        for c, cid in enumerate(("us", "jp")):
            value = series[day, c]
            rows.append(
                {
                    "date": date,
                    "output": "strength",
                    "contingents": cid,
                    "kind": "state",
                    "value": value,
                    "sd": 0.01 * value + 1.0,
                    "source": "Engel (1954), recomputed",
                }
            )
    obs = Observations.from_rows(rows, "engel")
    sc = iwo_jima().replace({"attacker.lethality": 0.02, "defender.lethality": 0.03})  # start away from the answer
    res = ks.fit(sc, obs, {"attacker.lethality": (0.001, 0.1), "defender.lethality": (0.001, 0.5)})
    assert res.converged
    assert res.estimate["attacker.lethality"] == pytest.approx(B, rel=1e-3)
    assert res.estimate["defender.lethality"] == pytest.approx(A, rel=1e-3)
    for path, truth in (("attacker.lethality", B), ("defender.lethality", A)):
        low, high = res.interval[path]
        assert low <= truth <= high


def continuous_us_strength() -> float:
    """US strength after 36 days of the square-law ODE (fire stopping when a side is gone), landings at day starts."""
    from scipy.integrate import solve_ivp

    x, y, t0 = LANDINGS[0], 21_500.0, 0.0
    for t1, add in ((2.0, LANDINGS[2]), (5.0, LANDINGS[5]), (36.0, 0.0)):
        sol = solve_ivp(
            lambda t, s: [-A * max(s[1], 0.0), -B * max(s[0], 0.0)], (t0, t1), [x, y], rtol=1e-11, atol=1e-9
        )
        x, y = sol.y[:, -1]
        x, t0 = x + add, t1
    return float(x)


def test_steps_within_a_day_approach_the_continuous_law() -> None:
    """Daily steps leave 52,284 US troops, 1 % below the ODE's 52,797; 32 steps a day come within 0.1 %."""
    exact = continuous_us_strength()
    assert exact == pytest.approx(52_797, abs=1)
    daily = ks.deterministic(iwo_jima()).trajectory("strength").sel(contingent="us").values[0, -1]
    fine = ks.deterministic(iwo_jima().replace({"law.steps_per_day": 32}))
    us = fine.trajectory("strength").sel(contingent="us").values[0, -1]
    assert abs(daily / exact - 1) > 0.009
    assert abs(us / exact - 1) < 0.001
    # and the counting model with 32 steps centres on it
    ens = ks.simulate(iwo_jima(noise="binomial").replace({"law.steps_per_day": 32}), 400, seed=2)
    end = ens.final["strength"][:, 0]
    assert abs(end.mean() - us) < 4 * end.std() / np.sqrt(400) + 1
