"""Schedules: flows and intensities on dated values, phases that change the
law and who attacks, and modifiers acting on lethality directly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import kursk_sim as ks

START = dt.date(2000, 1, 1)


def day(n: int) -> dt.date:
    return START + dt.timedelta(days=n)


def scenario(noise: str = "none", days: int = 40, **tables: Any) -> ks.Scenario:
    """Square law, all losses killed, a defender holding 400 km²."""
    data: dict[str, Any] = {
        "name": "sched",
        "start_date": START,
        "end_date": day(days),
        "noise": {"kind": noise},
        "attacker": {"id": "a", "name": "A", "lethality": 0.01},
        "defender": {"id": "d", "name": "D", "lethality": 0.02},
        "territory": {"initial_area_km2": 400.0, "threshold_ratio": 1.0, "advance_km2_per_day": 5.0},
        "blue": {"side": "attacker", "name": "Blue", "strength": 20_000, "casualties": {"killed": 1.0, "missing": 0.0}},
        "red": {"side": "defender", "name": "Red", "strength": 10_000, "casualties": {"killed": 1.0, "missing": 0.0}},
    }
    for key, table in tables.items():
        data[key] = {**data[key], **table} if isinstance(data.get(key), dict) else table
    return ks.Scenario.from_dict(data)


def strengths(sc: ks.Scenario, replications: int = 1, seed: int = 0) -> np.ndarray:
    return ks.simulate(sc, replications, seed=seed).trajectory("strength").values.astype(float)


def daily_losses(sc: ks.Scenario) -> np.ndarray:
    """(days, C) mean-field losses of each day."""
    ens = ks.simulate(sc, 1, seed=0)
    return np.diff(ens.trajectory("killed").values[0].astype(float), axis=0)


# ------------------------------------------------------------------ flows


def test_a_negative_flow_takes_troops_out_of_the_line_as_departed() -> None:
    no_fire = {"lethality": 0.0}
    sc = scenario(
        attacker=no_fire,
        defender=no_fire,
        schedules={"rotation": {"target": "red.flow", "dates": [day(10), day(20)], "values": [-100.0, 0.0]}},
    )
    ens = ks.simulate(sc, 1, seed=0)
    red = ens.trajectory("strength").values[0, :, 1].astype(float)
    np.testing.assert_allclose(np.diff(red), np.where((np.arange(40) >= 10) & (np.arange(40) < 20), -100.0, 0.0))
    assert ens.final["departed"][0, 1] == 1000.0 and ens.final["arrived"][0, 1] == 0.0


def test_a_fractional_flow_arrives_in_whole_troops_with_the_rest_carried_over() -> None:
    sc = scenario(
        noise="binomial",
        attacker={"lethality": 0.0},
        defender={"lethality": 0.0},
        schedules={"arrivals": {"target": "blue.flow", "dates": [day(0)], "values": [12.5]}},
    )
    blue = strengths(sc)[0, :, 0]
    assert (blue == np.rint(blue)).all()
    np.testing.assert_array_equal(blue[1:] - 20_000, np.floor(12.5 * np.arange(1, 41)))


def test_a_flow_cannot_take_out_more_troops_than_there_are() -> None:
    sc = scenario(
        attacker={"lethality": 0.0},
        defender={"lethality": 0.0},
        schedules={"out": {"target": "red.flow", "dates": [day(0)], "values": [-3000.0]}},
    )
    ens = ks.simulate(sc, 1, seed=0)
    red = ens.trajectory("strength").values[0, :, 1]
    assert red.min() == 0.0 and ens.final["departed"][0, 1] == 10_000.0


def test_a_replenishment_schedule_multiplies_the_quota() -> None:
    base = {"replenishment": {"per_day": 50.0}}
    sc = scenario(
        attacker={"lethality": 0.0},
        defender={"lethality": 0.0},
        red=base,
        schedules={"cut": {"target": "red.replenishment", "dates": [day(5), day(15)], "values": [0.0, 2.0]}},
    )
    red = strengths(sc)[0, :, 1]
    np.testing.assert_allclose(np.diff(red), np.select([np.arange(40) < 5, np.arange(40) < 15], [50.0, 0.0], 100.0))


# ---------------------------------------------------------- intensities


def test_a_lethality_schedule_interpolates_linearly_between_its_dates() -> None:
    sc = scenario(
        schedules={
            "surge": {
                "target": "defender.lethality",
                "interpolation": "linear",
                "dates": [day(10), day(20)],
                "values": [1.0, 3.0],
            }
        }
    )
    base = daily_losses(scenario())
    got = daily_losses(sc)
    # the first ten days as without the schedule; day 15 the attacker's losses are the law's with k twice 0.02
    np.testing.assert_allclose(got[:10], base[:10])
    blue, red = strengths(sc)[0, 15]
    assert got[15, 0] == pytest.approx(0.02 * 2.0 * red, rel=1e-6)


def test_a_modifier_can_act_on_lethality_directly() -> None:
    sc = scenario(
        modifiers={"dark": {"profile": "step", "start": day(5), "multiply": {"defender": {"lethality": 0.5}}}}
    )
    got, base = daily_losses(sc), daily_losses(scenario())
    np.testing.assert_allclose(got[:5], base[:5])
    red = strengths(sc)[0, 5, 1]
    assert got[5, 0] == pytest.approx(0.01 * red, rel=1e-6)  # 0.02 halved


def test_an_effectiveness_schedule_multiplies_after_the_modifiers() -> None:
    mod = {"m": {"profile": "step", "start": day(0), "multiply": {"red": {"effectiveness": 2.0}}}}
    sched = {"s": {"target": "red.effectiveness", "dates": [day(0)], "values": [1.5]}}
    got = daily_losses(scenario(modifiers=mod, schedules=sched))
    assert got[0, 0] == pytest.approx(0.02 * 3.0 * 10_000, rel=1e-9)


# ----------------------------------------------------------------- phases


def test_a_phase_switches_the_laws_exponents_on_its_date() -> None:
    law = {"preset": "custom", "attacker": {"p": 1.0, "q": 0.0}, "defender": {"p": 1.0, "q": 0.0}}
    sc = scenario(
        law=law,
        attacker={"lethality": 1e-6},
        schedules={"area_fire": {"target": "law.defender.q", "dates": [day(10)], "values": [1.0]}},
    )
    got = daily_losses(sc)
    blue, red = strengths(sc)[0, 12]
    assert got[12, 1] == pytest.approx(1e-6 * blue * red, rel=1e-6)  # the linear law from day 10
    blue, red = strengths(sc)[0, 5]
    assert got[5, 1] == pytest.approx(1e-6 * blue, rel=1e-6)  # the square law before


def test_a_phase_in_which_the_defender_attacks_regains_ground_up_to_the_start() -> None:
    sc = scenario(
        attacker={"lethality": 0.0},
        defender={"lethality": 0.0},
        red={"strength": 50_000},  # the defender is 2.5 times stronger: it attacks
        blue={"strength": 20_000},
        schedules={"counter": {"target": "territory.direction", "dates": [day(0), day(30)], "values": [1.0, -1.0]}},
        territory={"threshold_ratio": 0.1, "initial_area_km2": 400.0},
    )
    area = ks.simulate(sc, 1, seed=0).trajectory("area").values[0].astype(float)
    np.testing.assert_allclose(np.diff(area)[:30], -5.0 * (0.4 - 0.1))  # the attacker advances at ratio 0.4
    np.testing.assert_allclose(np.diff(area)[30:32], 5.0 * (2.5 - 0.1))  # then the defender takes ground back
    assert area.max() <= 400.0 and area[-1] == 400.0


# ----------------------------------------------------------- files and errors


def test_a_schedule_read_from_csv_next_to_the_scenario_file(tmp_path: Path) -> None:
    (tmp_path / "rotation.csv").write_text("date,value\n2000-01-11,-100\n2000-01-21,0\n")
    sc = scenario(attacker={"lethality": 0.0}, defender={"lethality": 0.0})
    data = sc.to_dict()
    data["schedules"] = {"rotation": {"target": "red.flow", "file": "rotation.csv"}}
    path = tmp_path / "s.toml"
    ks.Scenario.from_dict(data, base=tmp_path).save(path)
    loaded = ks.load_scenario(path)
    assert loaded.schedules["rotation"].values == (-100.0, 0.0)
    assert loaded.schedules["rotation"].dates == (day(10), day(20))
    red = strengths(loaded)[0, :, 1]
    assert red[0] - red[-1] == 1000.0


@pytest.mark.parametrize(
    ("schedule", "path", "says"),
    [
        ({"target": "red.speed", "dates": [day(1)], "values": [1.0]}, "schedules.x.target", "one of"),
        ({"target": "green.flow", "dates": [day(1)], "values": [1.0]}, "schedules.x.target", "contingents"),
        ({"target": "red.flow", "dates": [day(2), day(1)], "values": [1.0, 2.0]}, "schedules.x.dates", "increasing"),
        ({"target": "red.flow", "dates": [day(1)], "values": [1.0, 2.0]}, "schedules.x.values", "one value per date"),
        ({"target": "red.exposure", "dates": [day(1)], "values": [-1.0]}, "schedules.x.values", ">= 0"),
        ({"target": "law.defender.q", "dates": [day(1)], "values": [1.0]}, "schedules.x.target", "custom"),
        ({"target": "territory.direction", "dates": [day(1)], "values": [0.5]}, "schedules.x.values", "+1"),
        ({"target": "red.flow", "dates": [], "values": []}, "schedules.x.dates", "non-empty"),
        ({"target": "red.flow", "dates": ["soon"], "values": [1.0]}, r"schedules.x.dates\[0\]", "date"),
    ],
)
def test_a_bad_schedule_is_refused_naming_its_path(schedule: dict[str, Any], path: str, says: str) -> None:
    with pytest.raises(ks.ScenarioError, match=path.replace(".", r"\.")) as err:
        scenario(schedules={"x": schedule})
    assert says in str(err.value)


def test_two_schedules_of_one_target_are_refused() -> None:
    one = {"target": "red.flow", "dates": [day(1)], "values": [1.0]}
    with pytest.raises(ks.ScenarioError, match="no other schedule"):
        scenario(schedules={"x": one, "y": one})


# ------------------------------------------- a share of a wider inflow


def test_a_share_of_a_wider_replenishment_reaches_the_front_and_mobilisation_reads_the_whole() -> None:
    def run(share: float) -> ks.Ensemble:
        sc = scenario(
            attacker={"lethality": 0.0},
            defender={"lethality": 0.001},  # some attacker losses, so mobilisation's loss criterion holds
            blue={"replenishment": {"per_day": 1200.0, "share": share, "decline_per_day": 0.05}},
            mobilisation={"contingent": "blue", "replenishment_below": 600.0, "losses_above": 0.0, "per_day": 0.0},
        )
        return ks.simulate(sc, 1, seed=0)

    whole, part = run(1.0), run(0.25)
    total = part.trajectory("strength").values[0, :, 0] + part.trajectory("casualties").values[0, :, 0]
    arrived = np.diff(total.astype(float))
    np.testing.assert_allclose(arrived[:5], 0.25 * 1200 * 0.95 ** np.arange(5), atol=1.0)  # whole troops
    # mobilisation fires when the army-wide quota halves (day 14: 1200 * 0.95**14 < 600), whatever the share
    assert whole.event_day("a_mobilisation")[0] == part.event_day("a_mobilisation")[0] == 14
