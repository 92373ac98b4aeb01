"""Least-squares fits: parameters recovered from synthetic data inside their intervals at about the nominal rate,
confounded parameters flagged as not identifiable, and named errors."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import kursk_sim as ks
from kursk_sim.observations import Observations

TRUTH = {
    "defender.lethality": 0.0145,
    "attacker.lethality": 1.16e-7,
    "modifiers.offensive.multiply.ru.effectiveness": 1.4,
}
BOUNDS = {
    "defender.lethality": (0.005, 0.05),
    "attacker.lethality": (3e-8, 5e-7),
    "modifiers.offensive.multiply.ru.effectiveness": (1.0, 2.5),
}


@pytest.fixture(scope="module")
def campaign(kursk: ks.Scenario) -> ks.Scenario:
    """80 days of the default scenario, offensive on 15 January, no second wave, no withdrawal."""
    return kursk.replace(
        {
            "end_date": "2025-02-13",
            "modifiers.offensive.start": "2025-01-15",
            "kpa.second_wave.probability": 0.0,
            "withdrawal.enabled": False,
            "encirclement.enabled": False,
        }
    )


def synthetic(sc: ks.Scenario, seed: int, relative_sd: float = 0.02) -> Observations:
    """Cumulative casualties of each contingent every 4 days, with 2 % Gaussian errors, from the true values."""
    run = ks.deterministic(sc, values={k: [v] for k, v in TRUTH.items()})
    cas = run.trajectory("casualties").values[0]
    rng = np.random.default_rng(seed)
    rows = []
    for day in range(4, sc.horizon_days, 4):
        date = sc.start_date + dt.timedelta(days=day - 1)  # counted to the end of the day: row ``day``
        for c, cid in enumerate(run.contingents):
            true = cas[day, c]
            sd = relative_sd * true
            rows.append(
                {
                    "date": date,
                    "output": "casualties",
                    "contingents": cid,
                    "kind": "state",
                    "value": true + sd * rng.standard_normal(),
                    "sd": sd,
                    "source": "synthetic",
                }
            )
    return Observations.from_rows(rows, "synthetic")


def test_parameters_are_recovered_inside_their_intervals(campaign: ks.Scenario) -> None:
    """Over 12 seeds, each 95 % interval holds the true value in at least 10 (P(fewer) < 2 % at 95 % coverage)."""
    start = {k: v * 1.3 for k, v in TRUTH.items()}
    covered = dict.fromkeys(TRUTH, 0)
    for seed in range(12):
        res = ks.fit(campaign, synthetic(campaign, seed), BOUNDS, start=start)
        assert res.converged, res.message
        for path, truth in TRUTH.items():
            assert res.status[path] == "estimated"
            low, high = res.interval[path]
            covered[path] += low <= truth <= high
            assert abs(res.estimate[path] / truth - 1) < 0.1  # and close
        assert res.calls < 60 and res.rows >= res.calls
    assert all(n >= 10 for n in covered.values()), covered
    # the fitted scenario carries the values
    assert res.scenario.get("defender.lethality") == pytest.approx(res.values["defender.lethality"])
    assert len(res.residuals.rows) == len(synthetic(campaign, 0))


def test_an_exact_fit_recovers_the_truth(campaign: ks.Scenario) -> None:
    exact = synthetic(campaign, 0, relative_sd=1e-9)
    start = {
        "defender.lethality": 0.01,
        "attacker.lethality": 8e-8,
        "modifiers.offensive.multiply.ru.effectiveness": 1.1,
    }
    res = ks.fit(campaign, exact, BOUNDS, start=start)
    for path, truth in TRUTH.items():
        assert res.estimate[path] == pytest.approx(truth, rel=1e-4)


def test_confounded_parameters_are_flagged_not_estimated(campaign: ks.Scenario) -> None:
    """Attacker losses k F^p S^q with the attacker held at a constant strength: k and q cannot be told apart."""
    sc = campaign.replace(
        {
            "law.preset": "custom",
            "law.attacker": {"p": 1.0, "q": 0.5},
            "law.defender": {"p": 1.0, "q": 1.0},
            "defender.lethality": 0.0145 / 50_000**0.5,
            "ru.replenishment.per_day": 100_000.0,  # refills to the cap every day: Russian strength constant
            "kpa.strength": 0.0,
        }
    )
    run = ks.deterministic(sc)
    ru = run.trajectory("casualties").sel(contingent="ru").values[0]
    rows = [
        {
            "date": sc.start_date + dt.timedelta(days=d - 1),
            "output": "casualties",
            "contingents": "ru",
            "kind": "state",
            "value": ru[d],
            "sd": 10.0,
            "source": "synthetic",
        }
        for d in range(5, sc.horizon_days, 5)
    ]
    res = ks.fit(sc, Observations.from_rows(rows), {"defender.lethality": (1e-6, 1e-3), "law.attacker.q": (0.0, 1.0)})
    assert res.status == {"defender.lethality": "not identifiable", "law.attacker.q": "not identifiable"}
    assert np.isnan(res.estimate["law.attacker.q"]) and np.isnan(res.interval["defender.lethality"][0])


def test_a_parameter_pushed_to_its_bound_is_not_an_estimate(campaign: ks.Scenario) -> None:
    obs = synthetic(campaign, 1)
    res = ks.fit(campaign, obs, {"defender.lethality": (0.02, 0.05)}, start={"defender.lethality": 0.03})  # truth below
    assert res.status["defender.lethality"] == "at lower bound 0.02"
    assert np.isnan(res.estimate["defender.lethality"]) and res.values["defender.lethality"] == pytest.approx(0.02)


def test_bad_arguments(campaign: ks.Scenario) -> None:
    obs = synthetic(campaign, 0)
    with pytest.raises(ks.ScenarioError, match="params.ru.strenght"):
        ks.fit(campaign, obs, {"ru.strenght": (1.0, 2.0)})
    with pytest.raises(ks.ScenarioError, match="low < high"):
        ks.fit(campaign, obs, {"defender.lethality": (0.05, 0.01)})
    with pytest.raises(ks.ScenarioError, match="start.defender.lethality"):
        ks.fit(campaign, obs, {"defender.lethality": (0.02, 0.05)}, start={"defender.lethality": 0.01})
    with pytest.raises(ValueError, match="method"):
        ks.fit(campaign, obs, BOUNDS, method="bayes")
    event = Observations.from_rows(
        [{"date": "2025-01-30", "output": "ua_withdrawal", "kind": "event_by", "value": 1, "source": "s"}]
    )
    with pytest.raises(ValueError, match="fit it with ks.abc"):
        ks.fit(campaign, event, BOUNDS)


def daily_counts(sc: ks.Scenario, seed: int) -> Observations:
    """Each contingent's casualties on each day, drawn by the noise model around the true deterministic means."""
    run = ks.deterministic(sc, values={k: [v] for k, v in TRUTH.items()})
    cas = run.trajectory("casualties").values[0]
    strength = run.trajectory("strength").values[0]
    daily = np.diff(cas, axis=0)
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(daily.shape[0]):
        for c, cid in enumerate(run.contingents):
            mu = daily[d, c]
            if sc.noise.kind == "negative_binomial":
                r = sc.noise.dispersion
                k = rng.negative_binomial(r, r / (r + mu))
            else:
                n = round(strength[d, c])
                k = rng.binomial(n, mu / n)
            date = sc.start_date + dt.timedelta(days=d)
            rows.append(
                {
                    "date": date,
                    "start": date,
                    "output": "casualties",
                    "contingents": cid,
                    "kind": "cumulative",
                    "value": k,
                    "source": "synthetic",
                }
            )
    return Observations.from_rows(rows, "daily")


START = {
    "defender.lethality": 0.012,
    "attacker.lethality": 1.4e-7,
    "modifiers.offensive.multiply.ru.effectiveness": 1.2,
}


def test_likelihood_recovers_lethalities_a_phase_multiplier_and_the_dispersion(campaign: ks.Scenario) -> None:
    """Daily negative-binomial counts (size 20): over 10 seeds each 95 % interval holds the truth at least 8 times."""
    sc = campaign.replace({"noise.kind": "negative_binomial", "noise.dispersion": 20.0})
    bounds = {**BOUNDS, "noise.dispersion": (2.0, 500.0)}
    truth = {**TRUTH, "noise.dispersion": 20.0}
    covered = dict.fromkeys(truth, 0)
    for seed in range(10):
        res = ks.fit(sc, daily_counts(sc, seed), bounds, method="likelihood", start={**START, "noise.dispersion": 8.0})
        assert res.converged, res.message
        for path, value in truth.items():
            assert res.status[path] == "estimated"
            low, high = res.interval[path]
            covered[path] += low <= value <= high
    assert all(n >= 8 for n in covered.values()), covered
    assert res.dof == len(daily_counts(sc, 0)) - 4 and res.chi2 > 0  # chi2 is -2 log-likelihood here


def test_likelihood_of_binomial_counts(campaign: ks.Scenario) -> None:
    res = ks.fit(campaign, daily_counts(campaign, 3), BOUNDS, method="likelihood", start=START)
    for path, value in TRUTH.items():
        low, high = res.interval[path]
        assert low <= value <= high, (path, low, high)
        assert high / low < 1.6  # binomial daily counts pin the lethalities down
    with pytest.raises(ks.ScenarioError, match="dispersion is fitted by the likelihood of negative binomial"):
        ks.fit(campaign, daily_counts(campaign, 3), {"noise.dispersion": (2.0, 50.0)}, method="likelihood")
    with pytest.raises(ValueError, match="no distribution of counts"):
        ks.fit(campaign.replace({"noise.kind": "none"}), daily_counts(campaign, 3), BOUNDS, method="likelihood")
