"""Observations: the shipped article figures, the model's counterpart of each kind, and named errors for bad rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import kursk_sim as ks
from kursk_sim.observations import Observations, load_observations


def trajectories(ens: ks.Ensemble) -> dict[str, np.ndarray]:
    out = {
        name: ens.trajectory(name).values for name in ("strength", "killed", "wounded", "missing", "casualties", "area")
    }
    out |= {f"event.{e}": np.nan_to_num(ens.event_day(e), nan=-1).astype(int) for e in ens.event_names}
    return out


def test_the_article_figures_are_shipped_with_sources() -> None:
    obs = load_observations("kursk-2024-article")
    assert [o.kind for o in obs] == ["at_least", "at_least", "state"]
    assert all(o.source.startswith("article:") for o in obs)
    assert obs[2].sd == pytest.approx((541 - 443) / 4)


def test_model_values_of_each_kind(central: ks.Ensemble, kursk: ks.Scenario) -> None:
    traj = trajectories(central)
    cas = traj["casualties"][0, :, 1]  # kpa
    area = traj["area"][0]
    rows = [
        {
            "date": "2024-12-04",
            "start": "2024-11-25",
            "output": "casualties",
            "contingents": "kpa",
            "kind": "cumulative",
        },
        {"date": "2024-12-23", "output": "casualties", "contingents": "kpa", "kind": "state"},
        {"date": "2024-12-04", "start": "2024-11-25", "output": "casualties", "contingents": "kpa", "kind": "rate"},
        {"date": "2024-12-23", "output": "casualties", "contingents": "kpa", "kind": "cumulative"},
        {"date": "2025-01-01", "output": "area", "kind": "state"},
        {"date": "2024-12-23", "output": "casualties", "contingents": "ru+kpa", "kind": "at_most"},
        {"date": "2025-05-30", "output": "ua_withdrawal", "kind": "event_by", "value": 1},
    ]
    obs = Observations.from_rows([{"value": 1.0, "source": "test", **r} for r in rows])
    obs.check(kursk)
    got = [float(o.model_value(traj, central.contingents, kursk.start_date)[0]) for o in obs]
    both = traj["casualties"][0, 29, 0] + traj["casualties"][0, 29, 1]
    withdrew = float(central.event_day("ua_withdrawal")[0] <= 186)
    want = [cas[10] - cas[0], cas[29], (cas[10] - cas[0]) / 10, cas[29] - cas[0], area[38], both, withdrew]
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_the_central_default_run_meets_the_article(central: ks.Ensemble, kursk: ks.Scenario) -> None:
    traj = trajectories(central)
    for o in load_observations("kursk-2024-article"):
        v = float(o.model_value(traj, central.contingents, kursk.start_date)[0])
        if o.kind == "at_least":
            assert v >= o.value, o.label()
        else:
            assert abs(v - o.value) < 2 * o.sd, o.label()


def test_csv_and_toml_round_trip(tmp_path: Path) -> None:
    obs = load_observations("kursk-2024-article")
    again = load_observations(obs.to_csv(tmp_path / "obs.csv"))
    assert list(again) == [o.__class__(**{**o.__dict__, "note": o.note}) for o in obs]
    toml = tmp_path / "obs.toml"
    toml.write_text(
        '[[observation]]\ndate = 2024-12-23\noutput = "casualties"\ncontingents = "kpa"\nkind = "at_least"\n'
        'value = 3000\nsource = "article"\n'
    )
    assert load_observations(toml)[0] == obs[1].__class__(**{**obs[1].__dict__, "source": "article", "note": ""})


GOOD = {"date": "2024-12-23", "output": "casualties", "contingents": "kpa", "kind": "state", "value": 1, "source": "s"}


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"colour": "red"}, "x row 1.colour", "one of the columns"),
        ({"source": ""}, "x row 1.source", "required"),
        ({"date": "23/12/2024"}, "x row 1.date", "YYYY-MM-DD"),
        ({"start": "2025-01-01"}, "x row 1.start", "on or before date"),
        ({"kind": "about"}, "x row 1.kind", "one of ['state'"),
        ({"output": "casualtees"}, "x row 1.output", "one of ['strength'"),
        ({"contingents": ""}, "x row 1.contingents", "e.g. ru or ru+kpa"),
        ({"output": "area"}, "x row 1.contingents", "none for area"),
        ({"kind": "event_by"}, "x row 1.output", "an event name"),
        ({"kind": "rate"}, "x row 1.start", "daily rate over a range"),
        ({"value": "lots"}, "x row 1.value", "a number"),
        ({"value": "nan"}, "x row 1.value", "a finite number"),
        ({"sd": 0}, "x row 1.sd", "> 0"),
        ({"low": 5}, "x row 1.high", "both low and high"),
        ({"low": 5, "high": 4}, "x row 1.high", "above low=5"),
        ({"low": 2, "high": 4}, "x row 1.value", "in [low, high]"),
        ({"low": 0, "high": 4, "sd": 1}, "x row 1.sd", "not both"),
    ],
)
def test_bad_rows_name_row_and_column(change: dict[str, Any], path: str, words: str) -> None:
    with pytest.raises(ks.ScenarioError) as err:
        Observations.from_rows([{**GOOD, **change}], "x")
    assert err.value.path == path and words in str(err.value)


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"date": "2025-05-31"}, "x row 1.date", "inside the run"),
        ({"start": "2024-11-01"}, "x row 1.date", "inside the run"),
        ({"contingents": "ua+xx"}, "x row 1.contingents", "contingents of"),
        ({"output": "ua_surrender", "kind": "event_by", "contingents": ""}, "x row 1.output", "scenario's events"),
    ],
)
def test_figures_the_run_cannot_give_are_refused(
    kursk: ks.Scenario, change: dict[str, Any], path: str, words: str
) -> None:
    obs = Observations.from_rows([{**GOOD, **change}], "x")
    with pytest.raises(ks.ScenarioError) as err:
        obs.check(kursk)
    assert err.value.path == path and words in str(err.value)


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="kursk-2024-article"):
        load_observations(tmp_path / "none.csv")
    bad = tmp_path / "bad.toml"
    bad.write_text("[observations]\n")
    with pytest.raises(ks.ScenarioError, match=r"\[\[observation\]\] tables only"):
        load_observations(bad)


def test_observed_plot_draws_the_model_and_each_figure(kursk: ks.Scenario) -> None:
    obs = load_observations("kursk-2024-article")
    run = ks.deterministic(kursk)
    axes = ks.plot.observed(kursk, obs, run=run)
    assert len(axes) == 2  # kpa casualties, area
    line = axes[1].get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), run.trajectory("area").values[0])
    points = [(c.lines[0].get_xdata()[0], c.lines[0].get_ydata()[0]) for c in axes[0].containers]
    ys = [y for _, y in points]
    assert ys == [1000.0, 3000.0]  # the ten-day figure drawn from the model's value at its start (0)
    area_point = axes[1].containers[0].lines[0].get_ydata()[0]
    assert area_point == 492.0
