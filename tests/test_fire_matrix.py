"""The fire matrix (each contingent's ``against`` table): who fires at whom, and how effectively.

A matrix of ones is the pooled fire to the bit; with the square law and the
noise off, heterogeneous cases with a fixed allocation of fire are linear
ODEs whose solution (a matrix exponential) the many-step Euler integration
must match; one day of the difference equations matches the formula by hand
for any law; a doubled entry doubles the target's expected losses in
binomial runs; bad tables fail naming their path.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.linalg import expm

import kursk_sim as ks
from kursk_sim.parameters import draw_parameters
from kursk_sim.rules import combat as combat_rule
from kursk_sim.rules.combat import fire_matrix

START = dt.date(2000, 1, 1)


def front(
    contingents: dict[str, dict[str, Any]],
    *,
    days: int = 10,
    law: dict[str, Any] | None = None,
    noise: str = "none",
    k_att: float = 0.01,
    k_def: float = 0.01,
) -> ks.Scenario:
    """A front of the given contingents, all losses killed, nothing returns or arrives."""
    data: dict[str, Any] = {
        "name": "front",
        "start_date": START,
        "end_date": START + dt.timedelta(days=days),
        "law": law or {"preset": "square"},
        "noise": {"kind": noise},
        "attacker": {"id": "a", "name": "A", "lethality": k_att},
        "defender": {"id": "d", "name": "D", "lethality": k_def},
        "territory": {"initial_area_km2": 1.0},
    }
    for cid, spec in contingents.items():
        body = {k: v for k, v in spec.items() if k != "against"}
        data[cid] = {"name": cid, "casualties": {"killed": 1.0, "missing": 0.0}, **body}
        if "against" in spec:
            data[cid]["against"] = {t: {"effectiveness": m} for t, m in spec["against"].items()}
    return ks.Scenario.from_dict(data)


def strengths(sc: ks.Scenario, replications: int = 1, seed: int = 0) -> np.ndarray:
    """``(replications, days + 1, C)`` strengths (kept as float32), columns in the scenario's contingent order."""
    return ks.simulate(sc, replications, seed=seed).trajectory("strength").values.astype(float)


def after_one_day(sc: ks.Scenario, replications: int = 1, seed: int = 0) -> np.ndarray:
    """``(replications, C)`` exact (float64) strengths at the end of a one-day scenario."""
    assert sc.horizon_days == 1
    return ks.simulate(sc, replications, seed=seed).final["strength"]


# ---------------------------------------------------------------- (a) ones are the pooled fire, to the bit


def _ensemble_arrays(ens: ks.Ensemble) -> list[np.ndarray]:
    arrays = [ens.trajectory(n).values for n in ("strength", "killed", "wounded", "missing", "area")]
    arrays += [ens.final[k] for k in sorted(ens.final)]
    return arrays + [ens.event_day(e) for e in sorted(ens.event_names)]


@pytest.mark.parametrize(
    ("changes", "against", "replications"),
    [
        # every entry given, binomial noise (normal approximation), the default scenario's modifiers and wave
        (
            {},
            {"ru": {"ua": 1.0}, "kpa": {"ua": 1.0}, "ua": {"ru": 1.0, "kpa": 1.0}},
            300,
        ),
        # one entry given (the others default to 1), exact draws, the law integrated in sub-day steps
        ({"noise.approximation": "none", "law.steps_per_day": 4}, {"ua": {"kpa": 1.0}}, 100),
        # negative binomial noise, mean-field is covered by the closed forms
        ({"noise.kind": "negative_binomial"}, {"kpa": {"ua": 1.0}}, 100),
    ],
)
def test_a_matrix_of_ones_is_the_pooled_fire_to_the_bit(
    kursk: ks.Scenario, changes: dict[str, Any], against: dict[str, dict[str, float]], replications: int
) -> None:
    pooled = kursk.replace(changes)
    tables = {f"{cid}.against": {t: {"effectiveness": m} for t, m in row.items()} for cid, row in against.items()}
    ones = pooled.replace(tables)
    assert fire_matrix(draw_parameters(ones, 2)) is not None  # the matrix path is the one taken
    assert fire_matrix(draw_parameters(pooled, 2)) is None
    a = _ensemble_arrays(ks.simulate(pooled, replications, seed=11))
    b = _ensemble_arrays(ks.simulate(ones, replications, seed=11))
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


# ---------------------------------------------------------------- (b) closed forms and the ODE


def test_linear_heterogeneous_square_law_matches_the_matrix_exponential() -> None:
    """An exposed attacker a1 and an unexposed one a2 (artillery out of reach) against one defender d.

    Every contingent that takes losses is alone in drawing its side's fire,
    so the allocation is fixed and the square law with the matrix is the
    linear system ``z' = M z``, ``z = (a1, a2, d)``::

        a1' = -k_d e_d m(d, a1) d
        a2' = 0
        d'  = -k_a (e_a1 m(a1, d) a1 + e_a2 m(a2, d) a2)

    solved by ``expm(M t) z0``. 64 Euler steps a day must match it within 0.1 %.
    """
    k_a, k_d, days = 0.004, 0.003, 30
    e1, e2, ed = 1.0, 1.5, 1.2
    m1d, m2d, md1 = 2.0, 0.5, 3.0
    z0 = np.array([1000.0, 500.0, 1500.0])
    sc = front(
        {
            "a1": {"side": "attacker", "strength": z0[0], "effectiveness": e1, "against": {"d1": m1d}},
            "a2": {"side": "attacker", "strength": z0[1], "effectiveness": e2, "exposure": 0.0, "against": {"d1": m2d}},
            "d1": {"side": "defender", "strength": z0[2], "effectiveness": ed, "against": {"a1": md1, "a2": 7.0}},
        },
        days=days,
        law={"preset": "square", "steps_per_day": 64},
        k_att=k_a,
        k_def=k_d,
    )
    got = strengths(sc)[0]
    m = np.array([[0.0, 0.0, -k_d * ed * md1], [0.0, 0.0, 0.0], [-k_a * e1 * m1d, -k_a * e2 * m2d, 0.0]])
    exact = np.array([expm(m * t) @ z0 for t in range(days + 1)])
    assert exact.min() > 0.2 * z0.min()  # nobody is wiped out: the linear solution holds throughout
    err = np.max(np.abs(got - exact) / z0)
    assert err < 1e-3, err
    # the test can tell: the pooled fire (no matrix) ends far from the matrix's course
    pooled = np.array([[0.0, 0.0, -k_d * ed], [0.0, 0.0, 0.0], [-k_a * e1, -k_a * e2, 0.0]])
    assert np.max(np.abs(expm(pooled * days) @ z0 - exact[-1]) / z0) > 0.1


def test_two_pairs_with_harmless_cross_fire_follow_the_ode() -> None:
    """Two attackers and two defenders: a1 and d1 hurt only each other, a2's and d2's fire is harmless.

    a2 and d2 take no losses at all; a1 and d1 take their shares (by
    strength) of the fire of their own duel, which keeps a2 and d2 drawing
    fire that does them no harm::

        a1' = -k d1 a1 / (a1 + a2),   d1' = -k a1 d1 / (d1 + d2)

    (solve_ivp, tight tolerances); 64 Euler steps a day within 0.1 %.
    """
    k, days = 0.01, 20
    sc = front(
        {
            "a1": {"side": "attacker", "strength": 1000.0, "against": {"d1": 1.0, "d2": 0.0}},
            "a2": {"side": "attacker", "strength": 800.0, "against": {"d1": 0.0, "d2": 0.0}},
            "d1": {"side": "defender", "strength": 900.0, "against": {"a1": 1.0, "a2": 0.0}},
            "d2": {"side": "defender", "strength": 700.0, "against": {"a1": 0.0, "a2": 0.0}},
        },
        days=days,
        law={"preset": "square", "steps_per_day": 64},
        k_att=k,
        k_def=k,
    )
    got = strengths(sc)[0]
    np.testing.assert_array_equal(got[:, 1], 800.0)
    np.testing.assert_array_equal(got[:, 3], 700.0)

    def rhs(t: float, z: np.ndarray) -> list[float]:
        a1, d1 = z
        return [-k * d1 * a1 / (a1 + 800.0), -k * a1 * d1 / (d1 + 700.0)]

    ode = solve_ivp(rhs, (0, days), [1000.0, 900.0], t_eval=np.arange(days + 1), rtol=1e-10, atol=1e-8)
    err = max(np.max(np.abs(got[:, 0] - ode.y[0]) / 1000.0), np.max(np.abs(got[:, 2] - ode.y[1]) / 900.0))
    assert err < 1e-3, err


def test_zero_effectiveness_wastes_the_fire_that_falls_on_the_target() -> None:
    """One attacker against two defenders, harmless to d2: d2 loses nothing, d1 only its share (the ODE)."""
    k_a, k_d, days = 0.01, 0.008, 25
    a0, b0, c0 = 1200.0, 600.0, 400.0
    sc = front(
        {
            "a1": {"side": "attacker", "strength": a0, "against": {"d2": 0.0}},
            "d1": {"side": "defender", "strength": b0},
            "d2": {"side": "defender", "strength": c0},
        },
        days=days,
        law={"preset": "square", "steps_per_day": 64},
        k_att=k_a,
        k_def=k_d,
    )
    got = strengths(sc)[0]
    np.testing.assert_array_equal(got[:, 2], c0)

    def rhs(t: float, z: np.ndarray) -> list[float]:
        a, b = z
        return [-k_d * (b + c0), -k_a * a * b / (b + c0)]

    ode = solve_ivp(rhs, (0, days), [a0, b0], t_eval=np.arange(days + 1), rtol=1e-10, atol=1e-8)
    assert ode.y[1].min() > 0.1 * b0
    err = max(np.max(np.abs(got[:, 0] - ode.y[0]) / a0), np.max(np.abs(got[:, 1] - ode.y[1]) / b0))
    assert err < 1e-3, err


@pytest.mark.parametrize(
    "law",
    [{"preset": "mixed"}, {"preset": "custom", "attacker": {"p": 0.7, "q": 0.4}, "defender": {"p": 1.2, "q": 0.2}}],
)
def test_one_day_of_the_difference_equations_by_hand(law: dict[str, Any]) -> None:
    """Day one, noise off, one Euler step: each target's losses are its share of the law with its own F_j."""
    s = {"r": 20000.0, "n": 8000.0, "u": 12000.0, "v": 3000.0}
    e = {"r": 1.0, "n": 0.6, "u": 1.3, "v": 0.8}
    x = {"r": 1.0, "n": 3.0, "u": 1.0, "v": 0.5}
    side = {"r": "attacker", "n": "attacker", "u": "defender", "v": "defender"}
    against = {"r": {"v": 1.5}, "n": {"u": 0.4, "v": 2.5}, "u": {"n": 2.0}, "v": {"r": 0.0, "n": 3.0}}
    k = {"attacker": 3e-6, "defender": 2e-3}
    sc = front(
        {
            c: {"side": side[c], "strength": s[c], "effectiveness": e[c], "exposure": x[c], "against": against[c]}
            for c in s
        },
        days=1,
        law=law,
        k_att=k["attacker"],
        k_def=k["defender"],
    )
    (pa, qa), (pd, qd) = draw_parameters(sc, 1).law
    got = after_one_day(sc)[0]
    for j, c in enumerate(s):
        own = [i for i in s if side[i] == side[c]]
        enemy = "defender" if side[c] == "attacker" else "attacker"
        f_j = sum(e[i] * against[i].get(c, 1.0) * s[i] for i in s if side[i] != side[c])
        p, q = (pa, qa) if side[c] == "attacker" else (pd, qd)
        loss = k[enemy] * f_j**p * sum(s[i] for i in own) ** q * x[c] * s[c] / sum(x[i] * s[i] for i in own)
        assert s[c] - got[j] == pytest.approx(loss, rel=1e-12), c


def test_uncertain_entries_are_drawn_per_replication() -> None:
    """An entry with a distribution: each replication's day-one losses of the target scale with its draw."""
    sc = front(
        {
            "r": {"side": "attacker", "strength": 20000.0},
            "n": {"side": "attacker", "strength": 8000.0, "exposure": 2.0},
            "u": {
                "side": "defender",
                "strength": 15000.0,
                "against": {"n": {"dist": "uniform", "low": 0.5, "high": 3.0}},
            },
        },
        days=1,
    )
    n = 40
    m = draw_parameters(sc, n, seed=5).values["u.against.n.effectiveness"]
    assert np.ptp(m) > 1.0
    lost = np.array([20000.0, 8000.0, 15000.0]) - after_one_day(sc, n, seed=5)
    np.testing.assert_allclose(lost[:, 1] / m, 0.01 * 15000.0 * 16000.0 / 36000.0, rtol=1e-12)
    np.testing.assert_allclose(lost[:, 0], 0.01 * 15000.0 * 20000.0 / 36000.0, rtol=1e-12)  # ru: as without it


# ---------------------------------------------------------------- (c) binomial runs follow the matrix


def test_doubling_an_entry_doubles_the_targets_expected_losses() -> None:
    """``ua.against.kpa = 2``: kpa's day-one losses double, ru's stay (binomial noise, 4 standard errors)."""

    def day_one(m: float | None) -> np.ndarray:
        ua: dict[str, Any] = {"side": "defender", "strength": 15000.0}
        if m is not None:
            ua["against"] = {"kpa": m}
        sc = front(
            {
                "ru": {"side": "attacker", "strength": 20000.0},
                "kpa": {"side": "attacker", "strength": 10000.0, "exposure": 2.0},
                "ua": ua,
            },
            days=2,
            noise="binomial",
        )
        got = strengths(sc, 3000, seed=21)
        return got[:, 0, :2] - got[:, 1, :2]  # (replications, [ru, kpa]) losses of day one

    base, doubled = day_one(None), day_one(2.0)
    fire = 0.01 * 15000.0  # square law: the attackers' expected losses, shared 20000 : 20000 by exposure * strength
    for lost, expected in ((base, [fire / 2, fire / 2]), (doubled, [fire / 2, fire])):
        mean = lost.mean(axis=0)
        se = np.sqrt(np.array(expected) * (1 - np.array(expected) / [20000.0, 10000.0]) / len(lost))
        assert (np.abs(mean - expected) < 4 * se).all(), (mean, expected, se)
    ratio = doubled[:, 1].mean() / base[:, 1].mean()
    se_ratio = ratio * np.hypot(doubled[:, 1].std() / doubled[:, 1].mean(), base[:, 1].std() / base[:, 1].mean())
    assert abs(ratio - 2.0) < 4 * se_ratio / np.sqrt(len(base)), ratio


# ---------------------------------------------------------------- (d) bad tables


@pytest.mark.parametrize(
    ("table", "path", "words"),
    [
        ({"ua.against": {"xx": {"effectiveness": 2.0}}}, "ua.against.xx", "enemy contingent id ['kpa', 'ru']"),
        ({"ua.against": {"ua": {"effectiveness": 2.0}}}, "ua.against.ua", "the contingent itself"),
        ({"ru.against": {"kpa": {"effectiveness": 2.0}}}, "ru.against.kpa", "on the attacker's side, like 'ru'"),
        ({"ua.against": {"kpa": {"effectiveness": -0.5}}}, "ua.against.kpa.effectiveness", ">= 0"),
        (
            {"ua.against": {"kpa": {"effectiveness": {"dist": "normal", "mean": 1.0, "sd": 0.5}}}},
            "ua.against.kpa.effectiveness",
            ">= 0",
        ),
        ({"ua.against": {"kpa": {"effectivness": 2.0}}}, "ua.against.kpa.effectivness", "did you mean 'effectiveness'"),
        ({"ua.against": {"kpa": {}}}, "ua.against.kpa.effectiveness", "required"),
    ],
)
def test_bad_tables_name_their_path(kursk: ks.Scenario, table: dict[str, Any], path: str, words: str) -> None:
    with pytest.raises(ks.ScenarioError) as err:
        kursk.replace(table)
    assert err.value.path == path
    assert str(err.value).startswith(f"{path}: got ")
    assert words in str(err.value)


def test_the_table_round_trips_through_toml(kursk: ks.Scenario) -> None:
    sc = kursk.replace({"ua.against": {"kpa": {"effectiveness": {"value": 2.0, "assumption": "untrained infantry"}}}})
    again = ks.Scenario.from_dict(__import__("tomllib").loads(sc.to_toml()))
    assert again == sc
    assert again.get("ua.against.kpa.effectiveness") == 2.0
    assert "[ua.against.kpa]" in sc.to_toml()
    assert ".against" not in kursk.to_toml()  # no table where none is given


def test_uncertain_entries_on_a_subset_of_rows(kursk: ks.Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the front has ended in some replications combat computes for the others alone: same results."""
    sc = kursk.replace({"ua.against": {"kpa": {"effectiveness": {"dist": "uniform", "low": 0.5, "high": 3.0}}}})
    runs = []
    for below in (0.0, 1.01):  # never, or as soon as one replication stops fighting
        monkeypatch.setattr(combat_rule, "SUBSET_BELOW", below)
        runs.append(_ensemble_arrays(ks.simulate(sc, 200, seed=4)))
    assert (runs[0][4][:, -1] == 0).any()  # some fronts ended (area 0): the subset path was taken
    for x, y in zip(*runs, strict=True):
        np.testing.assert_array_equal(x, y)
