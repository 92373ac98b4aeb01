"""Invariants that every run must uphold, checked every day of the run.

A checking process is added to the model (the extension mechanism users
have): at the end of each day it asserts no negative strength, exact
conservation of personnel per contingent and replication, cumulative losses
that never decrease, and events that happen at most once and never change.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import kursk_sim as ks
from kursk_sim.model import Model, Phase
from kursk_sim.rules import combat as combat_module


class DailyChecks:
    """An extra SimPy process that checks the batch state at the end of each day."""

    def __init__(self, exact: bool) -> None:
        self.exact = exact
        self.days_checked = 0
        self.failures: list[str] = []

    def __call__(self, model: Model) -> Any:
        s = model.state
        prev = {k: getattr(s, k).copy() for k in ("killed", "wounded", "missing", "arrived", "returned", "departed")}
        events = {k: v.copy() for k, v in s.events.items()}
        yield model.wait_for(Phase.RECORD)
        while True:
            self._check(model, prev, events)
            prev = {k: getattr(s, k).copy() for k in prev}
            events = {k: v.copy() for k, v in s.events.items()}
            self.days_checked += 1
            yield model.env.timeout(1.0)

    def _check(self, model: Model, prev: dict[str, np.ndarray], events: dict[str, np.ndarray]) -> None:
        s = model.state
        day = model.day
        if (s.strength < 0).any():
            self.failures.append(f"day {day}: negative strength {s.strength.min()}")
        if (s.recovering < 0).any() or (s.area < 0).any():
            self.failures.append(f"day {day}: negative recovering pool or area")
        balance = s.initial + s.arrived + s.returned - (s.killed + s.wounded + s.missing) - s.departed
        if self.exact:
            ok = np.array_equal(balance, s.strength)
        else:
            ok = np.allclose(balance, s.strength, rtol=1e-12, atol=1e-9)
        if not ok:
            self.failures.append(f"day {day}: conservation off by {np.abs(balance - s.strength).max()}")
        if self.exact and not np.array_equal(s.strength, np.rint(s.strength)):
            self.failures.append(f"day {day}: fractional troops in a counting run")
        for key, before in prev.items():
            if (getattr(s, key) < before).any():
                self.failures.append(f"day {day}: cumulative {key} decreased")
        if (s.returned + s.recovering.sum(axis=0) > s.wounded + 1e-9).any():
            self.failures.append(f"day {day}: more returning than wounded")
        for name, before in events.items():
            changed = (before >= 0) & (s.events[name] != before)
            if changed.any():
                self.failures.append(f"day {day}: event {name} happened twice or changed")
            new = (before < 0) & (s.events[name] >= 0)
            if (s.events[name][new] != day).any():
                self.failures.append(f"day {day}: event {name} recorded with a wrong day")


def _stressed(sc: ks.Scenario) -> ks.Scenario:
    """The default with every mechanism firing often: waves, encirclement, mobilisation."""
    return sc.replace(
        {
            "kpa.second_wave.probability": 0.7,
            "encirclement.daily_hazard": 0.05,
            "encirclement.area_below_km2": 400,
            "mobilisation.replenishment_below": 1100,
            "mobilisation.losses_above": 5000,
            "mobilisation.delay_days": 20,
        }
    )


@pytest.mark.parametrize("noise", ["binomial", "negative_binomial", "none"])
def test_daily_invariants_hold_for_every_noise(kursk: ks.Scenario, noise: str) -> None:
    sc = _stressed(kursk).replace({"noise.kind": noise, "noise.dispersion": 5.0})
    check = DailyChecks(exact=noise != "none")
    ens = ks.simulate(sc, replications=300, seed=11, chunk_size=128, extra_processes=[check])
    assert check.failures == []
    # the checker really ran: once per day and chunk (3 chunks)
    assert check.days_checked == 3 * sc.horizon_days
    # every mechanism fired somewhere, so the invariants were exercised by all of them
    for event in ens.event_names:
        if noise == "none" and event == "ua_encirclement":  # its expected effect acts, with no day of its own
            assert ens.probability(event) == 0.0
            continue
        if noise == "none" and event in ("ua_withdrawal", "ua_withdrawn"):  # no random encirclement ends it first
            assert 0 < ens.probability(event, by="2025-03-01") < 1
            continue
        assert 0 < ens.probability(event) < 1 or event == "ru_mobilisation", event
    assert ens.final["returned"].sum() > 0
    assert ens.final["arrived"].sum() > 0


def test_final_state_balances_exactly(kursk: ks.Scenario) -> None:
    ens = ks.simulate(kursk, replications=500, seed=3)
    f = ens.final
    balance = f["initial"] + f["arrived"] + f["returned"] - (f["killed"] + f["wounded"] + f["missing"]) - f["departed"]
    np.testing.assert_array_equal(balance, f["strength"])
    # the recorded trajectories agree with the exact final state
    np.testing.assert_array_equal(ens.trajectory("strength").values[:, -1, :], f["strength"].astype(np.float32))
    cas = ens.trajectory("casualties").values
    assert (np.diff(cas, axis=1) >= 0).all()
    assert (ens.trajectory("strength").values >= 0).all()


def test_the_front_ends_once_and_the_fighting_with_it(kursk: ks.Scenario) -> None:
    """A staged withdrawal is complete or a pocket collapses, never both; once the ground is gone, no more
    combat and no more replacements for the defender."""
    ens = ks.simulate(_stressed(kursk), replications=400, seed=5)
    began = ~np.isnan(ens.event_day("ua_withdrawal"))
    done = ~np.isnan(ens.event_day("ua_withdrawn"))
    encircled = ~np.isnan(ens.event_day("ua_encirclement"))
    assert began.any() and done.any() and encircled.any()
    assert not (done & encircled).any() and began[done].all()
    assert (ens.event_day("ua_withdrawn")[done] >= ens.event_day("ua_withdrawal")[done]).all()
    cas = ens.trajectory("casualties").values.sum(axis=2)
    area = ens.trajectory("area").values
    ua = ens.trajectory("strength").sel(contingent="ua").values
    checked = 0
    for r in np.nonzero(done | encircled)[0]:
        gone = np.flatnonzero(area[r] == 0.0)
        if gone.size == 0:  # a pocket still holding out at the horizon
            continue
        d = int(gone[0])  # the first row with no ground: the state after the day the front ended
        assert area[r, d:].max() == 0.0
        assert cas[r, -1] == cas[r, d]  # no combat losses after the front ended
        assert ua[r, -1] - ua[r, d] <= ens.final["returned"][r, 2]  # only returning wounded, no replacements
        checked += 1
    assert checked > 100


def test_disabled_rules_never_fire(kursk: ks.Scenario) -> None:
    sc = _stressed(kursk).replace(
        {"withdrawal.enabled": False, "encirclement.enabled": False, "mobilisation.enabled": False}
    )
    ens = ks.simulate(sc, replications=200, seed=2)
    for event in ("ua_withdrawal", "ua_encirclement", "ru_mobilisation"):
        assert ens.probability(event) == 0.0


def test_cap_stops_replenishment(kursk: ks.Scenario) -> None:
    """Russian replacements fill up to the cap and never beyond it."""
    sc = kursk.replace({"ru.return_to_duty.share": 0.0, "ru.replenishment.share": 1.0})  # all 1,200 a day
    ens = ks.simulate(sc, replications=200, seed=4)
    ru = ens.trajectory("strength").sel(contingent="ru").values
    assert ru.max() <= 50_000
    # losses are replaced: strength stays within a day's losses of the cap
    assert ru[:, 1:].min() > 50_000 - 1_000


def test_second_wave_adds_its_size_on_its_day(kursk: ks.Scenario) -> None:
    sc = kursk.replace({"kpa.second_wave.probability": 1.0, "kpa.second_wave.date": "2025-03-01", "noise.kind": "none"})
    ens = ks.simulate(sc, replications=1, seed=1)
    assert ens.event_date("kpa_second_wave")[0] == np.datetime64("2025-03-01")
    arrived = ens.final["arrived"][0, ens.contingents.index("kpa")]
    assert arrived == 8000.0


def test_a_user_process_can_change_the_state(kursk: ks.Scenario) -> None:
    """Extension: a ceasefire process of the user's own freezes the front on a date, per replication mask."""
    ceasefire_day = (np.datetime64("2025-01-20") - np.datetime64(kursk.start_date)).astype(int)

    def ceasefire(model: Model) -> Any:
        yield model.env.timeout(ceasefire_day + float(Phase.CONDITIONS))
        # only in the even replications of each batch
        model.state.engaged[::2] = False

    check = DailyChecks(exact=True)
    ens = ks.simulate(kursk, replications=200, seed=8, chunk_size=100, extra_processes=[ceasefire, check])
    assert check.failures == []
    cas = ens.trajectory("casualties").values.sum(axis=2)
    area = ens.trajectory("area").values
    frozen = slice(ceasefire_day, None)
    even, odd = np.arange(0, 200, 2), np.arange(1, 200, 2)
    assert (cas[even, -1] == cas[even, ceasefire_day]).all()  # no losses after the ceasefire
    assert (area[even][:, frozen] == area[even, ceasefire_day][:, None]).all()  # the line holds
    assert (cas[odd, -1] > cas[odd, ceasefire_day]).all()  # the others fight on


def test_mobilisation_adds_troops_beyond_the_cap(kursk: ks.Scenario) -> None:
    sc = kursk.replace(
        {
            "mobilisation.replenishment_below": 1300,  # the quota (1,200) counts as failed at once
            "mobilisation.losses_above": 0,
            "mobilisation.delay_days": 10,
            "mobilisation.per_day": 500,
        }
    )
    ens = ks.simulate(sc, replications=50, seed=6)
    day = ens.event_day("ru_mobilisation")
    assert (day == 0).all()  # the first day with casualties on the books
    ru = ens.trajectory("strength").sel(contingent="ru").values
    assert ru[:, -1].min() > 50_000 + 150 * 400  # ~500/day for 176 days, minus losses, beyond the cap
    base = ks.simulate(kursk.replace({"mobilisation.enabled": False}), replications=50, seed=6)
    mobilised = 500 * (sc.horizon_days - 10)  # from day 10 on, every day
    arrived = ens.final["arrived"][:, 0]
    # all the mobilised troops arrive; the capped quota adds at most what it added without them
    assert (arrived >= mobilised).all()
    assert (arrived <= mobilised + base.final["arrived"][:, 0]).all()


@pytest.mark.parametrize("noise", ["binomial", "negative_binomial", "none"])
def test_combat_on_the_engaged_rows_alone_changes_nothing(
    kursk: ks.Scenario, noise: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Computing combat for the still-engaged replications only gives bit-identical runs."""
    sc = kursk.replace({"noise.kind": noise})
    runs = []
    for share in (0.0, 1.01):  # never / always take the subset
        monkeypatch.setattr(combat_module, "SUBSET_BELOW", share)
        runs.append(ks.simulate(sc, 3000, seed=4, trajectories=True, progress=False))
    for output in ("strength", "killed", "wounded", "missing", "area"):
        np.testing.assert_array_equal(runs[0].trajectory(output).values, runs[1].trajectory(output).values)
    assert 0.0 < runs[0].probability("ua_withdrawal", by="2025-03-01") < 1.0  # some rows left the front early


def test_the_state_layout_does_not_change_results(kursk: ks.Scenario) -> None:
    """A process that stores the state row-major every day (as a user's process might) gives the same run.

    The state is kept column-major for speed; every rule and the binomial
    draws must give the same numbers whatever the order of the arrays.
    """
    names = ("strength", "killed", "wounded", "missing", "arrived", "returned", "effectiveness", "exposure")

    def row_major(model: Model) -> Any:
        while True:
            yield model.wait_for(Phase.RETURNS)
            s = model.state
            for name in names:
                setattr(s, name, np.ascontiguousarray(getattr(s, name)))
            s.recovering = np.ascontiguousarray(s.recovering)
            yield model.wait_for(Phase.COMBAT)  # after the modifiers have set today's multipliers
            s.effectiveness, s.exposure = np.ascontiguousarray(s.effectiveness), np.ascontiguousarray(s.exposure)
            yield model.env.timeout(0.5)

    base = ks.simulate(kursk, 600, seed=13, trajectories=True, progress=False)
    moved = ks.simulate(kursk, 600, seed=13, trajectories=True, progress=False, extra_processes=[row_major])
    for output in ("strength", "killed", "wounded", "missing", "area"):
        np.testing.assert_array_equal(moved.trajectory(output).values, base.trajectory(output).values)
    for name in ("returned", "arrived"):
        np.testing.assert_array_equal(moved.final[name], base.final[name])


def test_mean_field_encirclement_acts_by_its_expected_effect(kursk: ks.Scenario) -> None:
    """No combat, the whole run at risk: the share held is (1 - h)**t, the defender loses h (1 - h)**k lf a day."""
    h, lf, captured = 0.04, 0.4, 0.25
    sc = kursk.replace(
        {
            "noise.kind": "none",
            "attacker.lethality": 0.0,
            "defender.lethality": 0.0,
            "ua.strength": 20_000.0,
            "ua.replenishment.per_day": 0.0,
            "territory.advance_km2_per_day": 0.0,
            "encirclement.area_below_km2": 1_000.0,
            "encirclement.daily_hazard": h,
            "encirclement.loss_fraction": lf,
            "encirclement.captured_share": captured,
            "withdrawal.enabled": False,
        }
    )
    ens = ks.simulate(sc, 1, seed=0)
    days = np.arange(sc.horizon_days + 1)
    np.testing.assert_allclose(ens.trajectory("area").values[0], 600.0 * (1 - h) ** days, rtol=1e-6)
    kept = np.cumprod(np.concatenate([[1.0], 1 - h * (1 - h) ** days[:-1] * lf]))
    ua = ens.trajectory("strength").sel(contingent="ua").values[0]
    np.testing.assert_allclose(ua, 20_000.0 * kept, rtol=1e-6)
    lost = 20_000.0 - ens.final["strength"][0, 2]
    assert ens.final["missing"][0, 2] == pytest.approx(captured * lost)
    assert ens.probability("ua_encirclement") == 0.0
