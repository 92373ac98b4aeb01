"""The default scenario agrees with the article's statements (DESIGN.md).

Central values (mean-field, Ukraine at its most likely 20,000, offensive in
mid-January) must reproduce: about 100 North Korean casualties a day early
on (over 1,000 in ten days), over 3,000 by 23 December, about half of the
984 km² lost around the turn of the year, and the rest going within months.
The stochastic ensemble must agree with it in its median.
"""

from __future__ import annotations

import numpy as np
import pytest

import kursk_sim as ks


def _kpa_casualties(ens: ks.Ensemble, date: str) -> np.ndarray:
    return ens.trajectory("casualties").sel(date=date, contingent="kpa").values


def test_north_korean_casualties_about_100_a_day_early(central: ks.Ensemble) -> None:
    cas = central.trajectory("casualties").sel(contingent="kpa").values[0]
    first_ten_days = cas[10] - cas[0]
    assert 1000 < first_ten_days < 1500  # article: over 1,000 killed or wounded in ten days
    daily = np.diff(cas[:11])
    assert (daily > 90).all() and (daily < 150).all()  # about 100 a day


def test_over_3000_north_korean_casualties_by_23_december(central: ks.Ensemble) -> None:
    by_23rd = _kpa_casualties(central, "2024-12-24")[0]  # state at the end of 23 December
    assert 3000 < by_23rd < 4000


def test_half_the_ground_lost_at_the_turn_of_the_year(central: ks.Ensemble, kursk: ks.Scenario) -> None:
    reference = kursk.get("territory.reference_area_km2")
    assert reference == 984.0
    share = float(central.trajectory("area").sel(date="2025-01-05").values[0]) / reference
    assert 0.45 < share < 0.55


def test_the_rest_could_go_within_months(central: ks.Ensemble) -> None:
    area = central.trajectory("area").sel(replication=0)
    assert float(area.sel(date="2025-02-01")) > 300  # not all at once
    assert float(area.sel(date="2025-05-31")) == 0.0  # but gone (or abandoned) by the end of spring
    ended = np.fmin(central.event_day("ua_withdrawal"), central.event_day("ua_encirclement"))[0]
    assert ended < 170  # the defender withdrew or was encircled before the end of May


def test_russian_offensive_expected_in_january(kursk: ks.Scenario) -> None:
    start = kursk.get("modifiers.offensive.start")
    assert str(start.mode).startswith("2025-01")
    assert "this month" in kursk.provenance["modifiers.offensive.start"].source


def test_offensive_speeds_the_advance(kursk: ks.Scenario) -> None:
    base = {"noise.kind": "none", "ua.strength": 20000, "kpa.second_wave.probability": 0.0}
    with_offensive = ks.simulate(kursk.replace({**base, "modifiers.offensive.start": "2025-01-15"}), 1, seed=0)
    without = ks.simulate(kursk.replace({**base, "modifiers.offensive.start": "2025-05-30"}), 1, seed=0)
    a = float(with_offensive.trajectory("area").sel(replication=0, date="2025-03-01"))
    b = float(without.trajectory("area").sel(replication=0, date="2025-03-01"))
    assert a < b - 20


def test_ensemble_median_agrees_with_the_central_run(kursk: ks.Scenario, central: ks.Ensemble) -> None:
    sc = kursk.replace({"ua.strength": 20000, "modifiers.offensive.start": "2025-01-15"})
    ens = ks.simulate(sc.replace({"kpa.second_wave.probability": 0.0}), replications=2000, seed=3)
    got = np.median(_kpa_casualties(ens, "2024-12-24"))
    want = _kpa_casualties(central, "2024-12-24")[0]
    assert abs(got - want) / want < 0.02
    assert np.quantile(_kpa_casualties(ens, "2024-12-24"), 0.05) > 2800


@pytest.mark.parametrize("modifier", ["kpa_learning", "ua_fatigue", "long_range_strikes", "offensive"])
def test_each_modifier_can_be_switched_off_and_matters(kursk: ks.Scenario, modifier: str) -> None:
    base = {
        "noise.kind": "none",
        "ua.strength": 20000,
        "kpa.second_wave.probability": 0.0,
        "modifiers.offensive.start": "2025-01-15",
        "encirclement.enabled": False,
    }
    on = ks.simulate(kursk.replace(base), 1, seed=0)
    off = ks.simulate(kursk.replace({**base, f"modifiers.{modifier}.enabled": False}), 1, seed=0)
    a = on.trajectory("casualties").values[0, 60]
    b = off.trajectory("casualties").values[0, 60]
    assert not np.allclose(a, b, rtol=1e-3)
