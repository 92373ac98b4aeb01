"""Bad input fails loudly: every error names the parameter path, the value and what was expected."""

from __future__ import annotations

import copy
import math
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import kursk_sim as ks
from kursk_sim.parameters import draw_parameters

RAW = tomllib.loads((resources.files("kursk_sim") / "scenarios" / "kursk_2024.toml").read_text(encoding="utf-8"))


def mutate(path: str, value: Any) -> dict[str, Any]:
    """A copy of the default scenario's dict with ``path`` set (or deleted when value is DELETE)."""
    data = copy.deepcopy(RAW)
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return data


DELETE = object()

CASES = [
    # (path to change, new value, error path, words expected in the message)
    # a misspelt table: named at its own path, with why it is not a table of its own either
    ("ru.replenishmnet", {"per_day": 5}, "ru.replenishmnet", "did you mean 'replenishment'?); read as a Wave"),
    ("territroy", {"initial_area_km2": 5}, "territroy", "did you mean 'territory'?); read as a Contingent"),
    ("ru.strenght", 5, "ru.strenght", "did you mean 'strength'"),
    ("kpa.second_wave.probabilty", 0.5, "kpa.second_wave.probabilty", "did you mean 'probability'"),
    ("ru.strength", DELETE, "ru.strength", "required"),
    ("end_date", DELETE, "end_date", "required"),
    ("ru.strength", -5, "ru.strength", ">= 0"),
    ("ua.replenishment.per_day", -1.0, "ua.replenishment.per_day", ">= 0"),
    ("kpa.second_wave.probability", 1.5, "kpa.second_wave.probability", "<= 1"),
    ("encirclement.daily_hazard", -0.1, "encirclement.daily_hazard", ">= 0"),
    ("end_date", RAW["start_date"]["value"], "end_date", "after start_date"),
    (
        "kpa.second_wave.date",
        {"dist": "uniform", "low": "2024-10-01", "high": "2025-01-01"},
        "kpa.second_wave.date",
        "on or after start_date",
    ),
    (
        "ua.replenishment",
        {"per_day": 5, "start": "2025-03-01", "stop": "2025-01-01"},
        "ua.replenishment.stop",
        "after start",
    ),
    ("ru.strength", math.nan, "ru.strength", "finite"),
    ("ru.strength", "many", "ru.strength", "a number"),
    ("ru.strength", True, "ru.strength", "a number"),
    ("start_date", 45, "start_date", "a date"),
    ("withdrawal.enabled", "yes", "withdrawal.enabled", "true or false"),
    ("noise.kind", "poisson", "noise.kind", "binomial"),
    ("ua.strength", {"dist": "gamma", "a": 2}, "ua.strength.dist", "uniform"),
    ("ua.strength", {"dist": "normal", "mean": 20000, "sd": 3000}, "ua.strength", "every draw is >= 0"),
    (
        "kpa.second_wave.probability",
        {"dist": "normal", "mean": 0.3, "sd": 0.1},
        "kpa.second_wave.probability",
        "every draw",
    ),
    ("ua.strength", {"dist": "uniform", "low": 30000, "high": 10000}, "ua.strength.high", "greater than low"),
    ("ua.strength", {"dist": "uniform", "low": 1, "high": 2, "mode": 3}, "ua.strength.mode", "a parameter of"),
    ("ru.casualties.killed", 0.97, "ru.casualties.missing", "killed + missing <= 1"),
    ("modifiers.offensive.multiply.xx", {"effectiveness": 1.2}, "modifiers.offensive.multiply.xx", "contingent id"),
    ("modifiers.kpa_learning.duration_days", 5, "modifiers.kpa_learning.duration_days", "only profile 'linear'"),
    ("mobilisation.contingent", "ua", "mobilisation.contingent", "attacker contingent"),
    ("ru.return_to_duty.stages", 2.5, "ru.return_to_duty.stages", "whole number"),
    ("ru.return_to_duty.mean_delay_days", 1.0, "ru.return_to_duty.mean_delay_days", ">= stages"),
    ("ru.side", "both", "ru.side", "attacker"),
    ("law.preset", "quadratic", "law.preset", "square"),
    ("ru.strength", {"value": 5, "sourse": "x"}, "ru.strength.sourse", "known keys"),
]


@pytest.mark.parametrize(("path", "value", "where", "words"), CASES, ids=[f"{c[0]}={c[1]!r}"[:60] for c in CASES])
def test_bad_value_names_path_value_and_expectation(path: str, value: Any, where: str, words: str) -> None:
    with pytest.raises(ks.ScenarioError) as info:
        ks.Scenario.from_dict(mutate(path, value))
    err = info.value
    assert err.path == where
    message = str(err)
    assert message.startswith(f"{where}: got ")
    assert words in message
    assert "expected" in message


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("[ru]\n", "[ru]\nstrenght = 5\n", "ru.strenght"),
        ("[territory]", "[territroy]", "territroy"),
        ('kind = { value = "binomial"', 'kind = { value = "binomal"', "noise.kind"),
        ("end_date = { value = 2025-05-31", "end_date = { value = 2024-01-01", "end_date"),
        ("strength = { value = 50000", "strength = { value = nan", "ru.strength"),
    ],
)
def test_bad_files_fail_on_load(tmp_path: Path, old: str, new: str, where: str) -> None:
    text = (resources.files("kursk_sim") / "scenarios" / "kursk_2024.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ks.ScenarioError) as info:
        ks.load_scenario(path)
    assert info.value.path == where


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("name = \n", encoding="utf-8")
    with pytest.raises(ks.ScenarioError, match="valid TOML"):
        ks.load_scenario(path)
    with pytest.raises(FileNotFoundError, match="not a built-in"):
        ks.load_scenario(tmp_path / "absent.toml")


def test_replace(kursk: ks.Scenario) -> None:
    sc = kursk.replace({"kpa.second_wave.probability": 1.0, "ru.replenishment.per_day": 900})
    assert sc.get("kpa.second_wave.probability") == 1.0
    assert sc.get("ru.replenishment.per_day") == 900.0
    assert kursk.get("ru.replenishment.per_day") == 1200.0  # the original is unchanged
    assert sc != kursk
    dated = kursk.replace({"kpa.second_wave.date": ks.Uniform("2025-03-01", "2025-03-10")})
    assert dated.get("kpa.second_wave.date") == ks.Uniform(
        __import__("datetime").date(2025, 3, 1), __import__("datetime").date(2025, 3, 10)
    )
    with pytest.raises(ks.ScenarioError, match="kpa.second_wave.probability: got 2"):
        kursk.replace({"kpa.second_wave.probability": 2})
    with pytest.raises(ks.ScenarioError) as info:
        kursk.replace({"ru.replenishment.per_dya": 5})
    assert info.value.path == "ru.replenishment.per_dya" and "per_day" in str(info.value)
    unset = kursk.replace({"withdrawal.area_below_km2": None, "ru.replenishment.cap": None})
    assert "withdrawal.area_below_km2" not in [p for p, *_ in unset.parameters()]
    assert unset.withdrawal.area_below_km2 is None and unset.contingents["ru"].replenishment.cap is None
    with pytest.raises(ks.ScenarioError, match="ru.strength: got None, expected a value"):
        kursk.replace({"ru.strength": None})
    third = kursk.replace({"kpa.third_wave": {"size": 500, "date": "2025-04-01"}})
    assert "kpa_third_wave" in ks.simulate(third, 5, seed=1).event_names


def test_round_trip_keeps_values_and_provenance(kursk: ks.Scenario, tmp_path: Path) -> None:
    again = ks.load_scenario(kursk.save(tmp_path / "x.toml"))
    assert again == kursk

    def sourced(sc: ks.Scenario) -> dict:
        return {k: v for k, v in sc.provenance.items() if v.describe()}

    assert sourced(again) == sourced(kursk) and len(sourced(kursk)) > 60
    changed = kursk.replace({"ua.strength": ks.LogNormal(20000.0, 0.3)})
    assert ks.load_scenario(changed.save(tmp_path / "y.toml")) == changed


def test_article_figures_cite_the_article_and_gaps_are_assumptions(kursk: ks.Scenario) -> None:
    cited = {
        "ru.strength": 50000.0,
        "kpa.strength": 11000.0,
        "kpa.second_wave.size": 8000.0,
        "ru.replenishment.per_day": 1200.0,
        "territory.reference_area_km2": 984.0,
    }
    for path, value in cited.items():
        assert kursk.get(path) == value
        assert kursk.provenance[path].source.startswith("article:"), path
    for path in (
        "ua.strength",
        "territory.initial_area_km2",
        "ua.return_to_duty.share",
        "ru.return_to_duty.mean_delay_days",
        "start_date",
        "territory.advance_km2_per_day",
    ):
        assert kursk.provenance[path].assumption, path
    # no numeric parameter is left without a source or an assumption
    for path, value, _unit, source in kursk.parameters():
        if isinstance(value, (float, ks.Uniform, ks.Triangular)) and not path.endswith("decline_per_day"):
            assert source and source != "library default", path


@pytest.mark.parametrize(
    "dist",
    [
        ks.Uniform(2.0, 5.0),
        ks.Normal(10.0, 2.0, low=9.0, high=14.0),
        ks.Normal(-1.0, 0.5),
        ks.LogNormal(100.0, 0.4),
        ks.Triangular(0.0, 1.0, 4.0),
    ],
)
def test_distributions_sample_their_support_and_mean(dist: ks.distributions.Distribution) -> None:
    x = dist.sample(np.random.default_rng(0), 200_000)
    lo, hi = dist.support()
    assert lo <= x.min() and x.max() <= hi
    assert abs(x.mean() - dist.expected_value()) < 4 * x.std() / np.sqrt(x.size)


def test_uncertain_wave_dates_differ_per_replication(kursk: ks.Scenario) -> None:
    bp = draw_parameters(kursk, 5000, seed=0)
    wave = bp.waves[0]
    assert wave.event == "kpa_second_wave"
    start = (np.datetime64("2025-02-01") - np.datetime64(kursk.start_date)).astype(int)
    end = (np.datetime64("2025-04-30") - np.datetime64(kursk.start_date)).astype(int)
    assert wave.day.min() == start and wave.day.max() == end
    assert np.unique(wave.day).size == end - start + 1
    assert abs(wave.happens.mean() - 0.3) < 0.03


def test_describe_lists_units_and_sources(kursk: ks.Scenario) -> None:
    line = next(ln for ln in kursk.describe().splitlines() if ln.startswith("ru.replenishment.per_day "))
    assert "troops/day" in line and "article" in line
