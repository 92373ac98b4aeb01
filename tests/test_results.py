"""Labelled results: quantiles, probabilities, tables and exports agree with the raw arrays."""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pytest

import kursk_sim as ks


@pytest.fixture(scope="module")
def ens(kursk: ks.Scenario) -> ks.Ensemble:
    return ks.simulate(kursk.replace({"kpa.second_wave.probability": 0.5}), replications=800, seed=21)


def test_dates_label_every_row(ens: ks.Ensemble, kursk: ks.Scenario) -> None:
    assert ens.dates[0] == np.datetime64(kursk.start_date)
    assert ens.dates[-1] == np.datetime64(kursk.end_date)
    assert len(ens.dates) == kursk.horizon_days + 1
    traj = ens.trajectory("strength")
    assert traj.dims == ("replication", "date", "contingent")
    assert traj.values.shape == (800, kursk.horizon_days + 1, 3)
    assert list(traj.coords["contingent"]) == ["ru", "kpa", "ua"]


def test_quantiles_match_numpy(ens: ks.Ensemble) -> None:
    band = ens.quantiles("casualties", q=(0.1, 0.5, 0.9))
    raw = ens.trajectory("casualties").values
    day = 40
    want = np.quantile(raw[:, day, 1], 0.9)
    got = band.sel(quantile=0.9, date=str(ens.dates[day]), contingent="kpa")
    assert got == pytest.approx(want)
    assert (band.values[0] <= band.values[1]).all() and (band.values[1] <= band.values[2]).all()


def test_probability_by_date_counts_event_days(ens: ks.Ensemble) -> None:
    days = ens.event_day("ua_withdrawal")
    by = dt.date(2025, 3, 31)
    last = (by - ens.scenario.start_date).days
    assert ens.probability("ua_withdrawal", by=by) == pytest.approx(np.mean(days <= last))
    assert ens.probability("ua_withdrawal", by="2025-03-31") == ens.probability("ua_withdrawal", by=by)
    # probability by a date is monotone and ends at the overall share
    probs = [ens.probability("ua_withdrawal", by=d) for d in ens.dates[::10]]
    assert probs == sorted(probs)
    assert ens.probability("ua_withdrawal") == pytest.approx(np.mean(~np.isnan(days)))
    # the drawn wave happened in about half the replications
    assert abs(ens.probability("kpa_second_wave") - 0.5) < 4 * np.sqrt(0.25 / 800)


def test_event_dates_are_dates(ens: ks.Ensemble) -> None:
    dates = ens.event_date("kpa_second_wave")
    happened = ~np.isnat(dates)
    assert (dates[happened] >= np.datetime64("2025-02-01")).all()
    assert (dates[happened] <= np.datetime64("2025-04-30")).all()


def test_bad_queries_name_the_choices(ens: ks.Ensemble) -> None:
    with pytest.raises(KeyError, match="outputs are"):
        ens.quantiles("strenght")
    with pytest.raises(KeyError, match="events are"):
        ens.probability("withdrawal")
    for outside in ("2026-01-01", "2024-01-01"):  # after the end, before the start (as a sweep's result)
        with pytest.raises(ValueError, match="expected a date of the run"):
            ens.probability("ua_withdrawal", by=outside)
    with pytest.raises(ValueError, match="probabilities in"):
        ens.quantiles("area", q=(0.5, 1.5))
    with pytest.raises(KeyError, match="not found"):
        ens.quantiles("area").sel(date="2030-01-01")
    with pytest.raises(KeyError, match="no dimension"):
        ens.quantiles("area").sel(contingent="ua")


def test_summary_rows_agree_with_final_state(ens: ks.Ensemble) -> None:
    table = ens.summary()
    row = next(r for r in table.rows if r[0] == "killed" and r[1] == "ua")
    final = ens.final["killed"][:, 2]
    assert row[3] == pytest.approx(final.mean())
    assert row[5] == pytest.approx(np.quantile(final, 0.5))
    event = next(r for r in table.rows if r[0] == "P(ua_encirclement)")
    assert event[3] == pytest.approx(ens.probability("ua_encirclement"))
    assert "state on 2025-05-31 (800 replications)" in str(table)


def test_projection_default_dates_are_month_starts(ens: ks.Ensemble) -> None:
    rows = ens.projection().rows
    dates = [r[0] for r in rows]
    assert dates[0] == "2024-11-25" and dates[-1] == "2025-05-31"
    assert all(d.endswith("-01") for d in dates[1:-1])
    with pytest.raises(ValueError, match="outside the run"):
        ens.projection(dates=["2030-01-01"])


def test_export_writes_consistent_files(ens: ks.Ensemble, tmp_path: Path) -> None:
    paths = ens.export(tmp_path)
    names = {"summary.csv", "event_summary.csv", "projection.csv", "quantiles.csv", "events.csv", "event_days.csv"}
    assert {p.name for p in paths} == names | {"scenario.toml", "run.json"}
    with (tmp_path / "events.csv").open() as fh:
        per_replication = list(csv.DictReader(fh))
    with (tmp_path / "event_days.csv").open() as fh:
        per_day = {r["date"]: r for r in csv.DictReader(fh)}
    with (tmp_path / "event_summary.csv").open() as fh:
        per_event = {r["event"]: r for r in csv.DictReader(fh)}
    assert "never" not in per_day  # no sentinel row: every row is a date
    for event in ens.event_names:  # the three files tell the same story
        dates = [r[event] for r in per_replication if r[event]]
        assert int(per_event[event]["never"]) == ens.replications - len(dates)
        assert int(per_event[event]["happened"]) == len(dates)
        for date in set(dates):
            assert int(per_day[date][event]) == dates.count(date)
    with (tmp_path / "quantiles.csv").open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["output"] == "area" and r["date"] == "2025-03-01"]
    median = next(float(r["value"]) for r in rows if float(r["q"]) == 0.5)
    assert median == float(ens.quantiles("area").sel(quantile=0.5, date="2025-03-01"))
    again = ks.load_scenario(tmp_path / "scenario.toml")
    assert again == ens.scenario


def test_mean_is_labelled(ens: ks.Ensemble) -> None:
    mean = ens.mean("area")
    assert mean.dims == ("date",)
    assert float(mean.sel(date="2025-01-01")) == pytest.approx(
        ens.trajectory("area").values[:, (np.datetime64("2025-01-01") - ens.dates[0]).astype(int)].mean(), rel=1e-6
    )


def test_missing_optional_dependency_says_how_to_install(ens: ks.Ensemble, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if pandas were not installed
    monkeypatch.setitem(sys.modules, "xarray", None)
    with pytest.raises(ImportError, match=r"pip install 'kursk-sim\[pandas\]'"):
        ens.quantiles("area").to_pandas()
    with pytest.raises(ImportError, match=r"pip install 'kursk-sim\[xarray\]'"):
        ens.quantiles("area").to_xarray()


def test_to_pandas_and_xarray_keep_labels(ens: ks.Ensemble) -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("xarray")
    band = ens.quantiles("strength")
    frame = band.to_pandas()
    assert frame.shape == (len(ens.dates), 9)
    assert frame.index[0].date() == ens.scenario.start_date
    assert frame[(0.5, "ua")].iloc[-1] == pytest.approx(band.sel(quantile=0.5, contingent="ua").values[-1])
    da = band.to_xarray()
    assert da.dims == ("quantile", "date", "contingent") and da.attrs["units"] == "troops"
    assert float(da.sel(quantile=0.5, contingent="kpa", date="2025-03-01")) == pytest.approx(
        float(band.sel(quantile=0.5, contingent="kpa", date="2025-03-01"))
    )
    assert ens.projection().to_pandas().columns[0] == "date"


def test_plots_draw_what_they_say(ens: ks.Ensemble) -> None:
    ax = ks.plot.fan(ens, "strength")
    lines = ax.get_lines()
    assert len(lines) == 3
    median_ua = ens.quantiles("strength", q=(0.5,)).values[0, :, 2]
    np.testing.assert_allclose(lines[2].get_ydata(), median_ua)
    assert "troops" in ax.get_ylabel()
    ax = ks.plot.event_dates(ens)
    steps = {line.get_label(): line.get_ydata() for line in ax.get_lines()}
    assert steps["ua_withdrawal"][-1] == pytest.approx(ens.probability("ua_withdrawal"))
    with pytest.raises(KeyError):
        ks.plot.fan(ens, "strength", contingents=["xx"])
