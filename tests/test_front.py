"""A front that shrinks: the advance slows with the ground held, a staged
fighting withdrawal gives ground at a pace and can leave a rearguard on a
remnant, and an encircled pocket holds out for days before it collapses."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

import kursk_sim as ks

START = dt.date(2000, 1, 1)


def front(days: int = 60, noise: str = "none", **tables: Any) -> ks.Scenario:
    """An attacker twice the defender's effective strength, a defender holding 400 km²."""
    data: dict[str, Any] = {
        "name": "front",
        "start_date": START,
        "end_date": START + dt.timedelta(days=days),
        "noise": {"kind": noise},
        "attacker": {"id": "a", "name": "A", "lethality": 0.0},
        "defender": {"id": "d", "name": "D", "lethality": 0.0},
        "territory": {"initial_area_km2": 400.0, "threshold_ratio": 1.0, "advance_km2_per_day": 10.0},
        "blue": {"side": "attacker", "name": "Blue", "strength": 20_000, "casualties": {"killed": 0.3, "missing": 0.1}},
        "red": {"side": "defender", "name": "Red", "strength": 10_000, "casualties": {"killed": 0.3, "missing": 0.1}},
    }
    for key, table in tables.items():
        if key in data and isinstance(data[key], dict):
            data[key] = {**data[key], **table}
        else:
            data[key] = table
    return ks.Scenario.from_dict(data)


def area(sc: ks.Scenario, replications: int = 1, seed: int = 0) -> np.ndarray:
    return ks.simulate(sc, replications, seed=seed).trajectory("area").values.astype(float)


def conserved(ens: ks.Ensemble) -> None:
    f = ens.final
    lost = f["killed"] + f["wounded"] + f["missing"]
    np.testing.assert_allclose(f["strength"], f["initial"] + f["arrived"] + f["returned"] - lost - f["departed"])
    assert (f["strength"] >= 0).all() and (f["departed"] >= 0).all()


# ----------------------------------------------------------------- the advance


def test_without_a_frontage_exponent_the_advance_is_constant() -> None:
    a = area(front())[0]
    np.testing.assert_allclose(np.diff(a)[:30], -10.0)  # ratio 2, threshold 1: 10 km² a day


def test_a_shrinking_salient_slows_the_advance_as_the_square_root_of_its_area() -> None:
    a = area(front(territory={"frontage_exponent": 0.5}))[0]
    # the daily step is the law: A[t+1] = A[t] - 10 * sqrt(A[t] / 400)
    np.testing.assert_allclose(a[1:], a[:-1] - 10.0 * np.sqrt(a[:-1] / 400.0), rtol=1e-6)
    # and it approaches the continuous solution sqrt(A) = sqrt(A0) - 10 t / (2 sqrt(A0)) (first order in the step)
    t = np.arange(a.size)
    exact = np.maximum(np.sqrt(400.0) - 10.0 * t / (2 * np.sqrt(400.0)), 0.0) ** 2
    early = t <= 30
    assert np.max(np.abs(a[early] - exact[early])) < 0.02 * 400.0
    assert -np.diff(a)[45] < 0.5 * -np.diff(a)[0]  # the advance has slowed by half and more


# -------------------------------------------------------------- withdrawal


def test_an_immediate_withdrawal_gives_up_the_ground_at_once() -> None:
    a = area(front(withdrawal={"area_below_km2": 300.0}))[0]
    first = int(np.argmax(a < 300.0))
    assert a[first] == 0.0 and a[first - 1] >= 300.0


def test_a_staged_withdrawal_gives_ground_at_its_pace_to_the_end() -> None:
    sc = front(withdrawal={"area_below_km2": 300.0, "pace_km2_per_day": 25.0})
    ens = ks.simulate(sc, 1, seed=0)
    a = ens.trajectory("area").values[0].astype(float)
    start = int(ens.event_day("d_withdrawal")[0])
    end = int(ens.event_day("d_withdrawn")[0])
    # rows are the state at the start of each day: the day it began, the advance took the area below 300
    assert a[start] - 10.0 < 300.0 <= a[start - 1] - 10.0
    # each day of the withdrawal: the advance (10) plus the pace (25), until nothing is left
    np.testing.assert_allclose(-np.diff(a)[start:end], 35.0)
    assert a[end + 1] == 0.0 and end - start == int(np.ceil(a[start] / 35.0)) - 1
    conserved(ens)


def test_a_rearguard_holds_a_remnant_to_the_horizon_and_the_main_body_departs() -> None:
    sc = front(
        days=90,
        territory={"threshold_ratio": 1000.0},  # the attacker takes nothing: only the withdrawal gives ground
        withdrawal={
            "on_date": START + dt.timedelta(days=10),
            "pace_km2_per_day": 50.0,
            "remnant_km2": 40.0,
            "rearguard_share": 0.1,
        },
        red={"replenishment": {"per_day": 100.0}},
    )
    ens = ks.simulate(sc, 1, seed=0)
    a = ens.trajectory("area").values[0].astype(float)
    assert ens.event_day("d_withdrawal")[0] == 10
    done = int(ens.event_day("d_withdrawn")[0])
    assert done == 10 + int(np.ceil((400.0 - 40.0) / 50.0)) - 1
    np.testing.assert_allclose(a[done + 1 :], 40.0)  # the remnant is held to the end
    strength = ens.trajectory("strength").values[0, :, 1].astype(float)
    # replacements arrive up to the day the withdrawal begins (day 10, before it), then stop
    assert strength[11] == 10_000 + 100 * 11 and strength[done] == strength[11]
    rearguard = round(0.1 * strength[11])  # a tenth of the force stays
    np.testing.assert_allclose(strength[done + 1 :], rearguard)
    assert ens.final["departed"][0, 1] == strength[11] - rearguard
    conserved(ens)


@pytest.mark.parametrize(
    ("table", "path"),
    [
        ({"area_below_km2": 100.0, "remnant_km2": 10.0, "rearguard_share": 0.1}, "withdrawal.pace_km2_per_day"),
        ({"area_below_km2": 100.0, "pace_km2_per_day": 5.0, "remnant_km2": 10.0}, "withdrawal.rearguard_share"),
        ({"area_below_km2": 100.0, "pace_km2_per_day": 5.0, "rearguard_share": 0.1}, "withdrawal.remnant_km2"),
        ({"area_below_km2": 100.0, "pace_km2_per_day": 0.0}, "withdrawal.pace_km2_per_day"),
    ],
)
def test_a_withdrawal_that_cannot_be_staged_is_refused(table: dict[str, Any], path: str) -> None:
    with pytest.raises(ks.ScenarioError, match=path.replace(".", r"\.")):
        front(withdrawal=table)


# -------------------------------------------------------------- encirclement


def pocket(collapse_days: float, noise: str = "binomial") -> ks.Scenario:
    return front(
        days=40,
        noise=noise,
        territory={"threshold_ratio": 1000.0, "initial_area_km2": 50.0},
        encirclement={
            "area_below_km2": 100.0,
            "daily_hazard": 1.0,
            "loss_fraction": 0.6,
            "captured_share": 0.5,
            "collapse_days": collapse_days,
        },
        red={"replenishment": {"per_day": 50.0}},
    )


def test_an_encircled_front_collapses_at_once_by_default() -> None:
    ens = ks.simulate(pocket(0.0), 200, seed=3)
    assert (ens.event_day("d_encirclement") == 0).all()
    assert (ens.trajectory("area").values[:, 1:] == 0).all()


def test_an_encircled_pocket_holds_out_for_its_days_and_loses_its_share() -> None:
    ens = ks.simulate(pocket(8.0), 2000, seed=3)
    assert (ens.event_day("d_encirclement") == 0).all()
    a = ens.trajectory("area").values.astype(float)
    # the ground goes in eight equal steps: 50 km² over 8 days
    np.testing.assert_allclose(a[:, 1:9], np.broadcast_to(50.0 - 50.0 / 8.0 * np.arange(1, 9), (2000, 8)), atol=1e-4)
    assert (a[:, 9:] == 0.0).all()
    red = ens.trajectory("strength").values[:, :, 1].astype(float)
    # cut off from the first day: no replacements; no combat (lethality 0), so only the pocket's losses:
    # 60 % over the eight days, as a binomial share of 10,000 (sd about 49: 5 sd is 2.5 % of the mean)
    lost = 1.0 - red[:, 9].mean() / 10_000
    assert lost == pytest.approx(0.6, abs=0.01)
    assert (np.diff(red[:, :10], axis=1) <= 0).all()  # no replacements reach the pocket
    missing = ens.final["missing"][:, 1]  # captured: half of the pocket's losses (there are no combat losses)
    assert missing.mean() == pytest.approx(0.5 * 0.6 * 10_000, rel=0.02)
    conserved(ens)


@pytest.mark.parametrize("noise", ["binomial", "none"])
def test_every_day_of_a_shrinking_front_keeps_the_invariants(noise: str) -> None:
    """Staged withdrawal with a rearguard, pockets that hold out, combat and replacements, checked daily."""
    from test_invariants import DailyChecks

    sc = front(
        days=120,
        noise=noise,
        attacker={"lethality": 0.004},
        defender={"lethality": 0.006},
        territory={"frontage_exponent": 0.5},
        withdrawal={"area_below_km2": 200.0, "pace_km2_per_day": 20.0, "remnant_km2": 30.0, "rearguard_share": 0.2},
        encirclement={"area_below_km2": 60.0, "daily_hazard": 0.05, "collapse_days": 6},
        red={"replenishment": {"per_day": 60.0}},
    )
    checks = DailyChecks(exact=noise != "none")
    ens = ks.simulate(sc, 400, seed=5, extra_processes=[checks])
    assert checks.days_checked == 120 and not checks.failures, checks.failures[:3]
    if noise != "none":  # most withdraw to the remnant; some pockets are cut off on the way
        assert ens.probability("d_withdrawn") > 0.5
        assert ens.probability("d_encirclement") > 0.0
    assert (ens.final["departed"][:, 1] > 0).any()
    conserved(ens)
