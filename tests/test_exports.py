"""Exports a program can read back, run.json, Parquet and NetCDF, and results that cannot be changed by their users.

Every CSV is read back with pandas (dates parsed) and compared, value for value, with the Ensemble or
SweepResult that wrote it: one type per column, numbers exact, ISO dates, an empty cell where an event did
not happen.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import kursk_sim as ks

pd = pytest.importorskip("pandas")

OUTPUTS = ("strength", "killed", "wounded", "missing", "casualties", "area")


@pytest.fixture(scope="module")
def short(kursk: ks.Scenario) -> ks.Scenario:
    return kursk.replace({"end_date": "2025-03-15", "kpa.second_wave.probability": 0.5})


@pytest.fixture(scope="module")
def ens(short: ks.Scenario) -> ks.Ensemble:
    seed = np.random.SeedSequence(17).spawn(2)[1]  # a spawn key, so that run.json must record it
    return ks.simulate(short, 400, seed=seed, progress=False)


@pytest.fixture(scope="module")
def sketched(short: ks.Scenario) -> ks.Ensemble:
    """Quantiles from the sketch, no replication kept: no events.csv."""
    return ks.simulate(short, 300, seed=3, trajectories=0, progress=False)


@pytest.fixture(scope="module")
def exported(ens: ks.Ensemble, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export")
    ens.export(out, command=["kursk-sim", "run", "--seed", "17"])
    return out


def read(path: Path, dates: list[str]) -> Any:
    return pd.read_csv(path, parse_dates=dates, keep_default_na=False, na_values=[""])


def same_frame(got: Any, want: Any) -> None:
    """Equal tables, whatever the resolution pandas gives each date column (s, ms, us or ns)."""
    got, want = got.copy(), want.copy()
    for frame in (got, want):
        for col in frame.columns:
            if is_date(frame[col]):
                frame[col] = frame[col].astype("datetime64[ns]")
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def is_date(column: Any) -> bool:
    return pd.api.types.is_datetime64_any_dtype(column)


def contingents(ens: ks.Ensemble, name: str) -> list[str]:
    return list(ens.contingents) if name != "area" else ["-"]


# ------------------------------------------------------------------ CSVs read back
def test_summary_csv(ens: ks.Ensemble, exported: Path) -> None:
    df = read(exported / "summary.csv", ["date"])
    assert list(df.columns) == ["output", "contingent", "unit", "date", "mean", "q5", "q50", "q95"]
    assert is_date(df["date"]) and (df["date"] == pd.Timestamp(ens.dates[-1])).all()
    for col in ("mean", "q5", "q50", "q95"):
        assert df[col].dtype == np.float64, col
    assert df.output.tolist() == [n for n in OUTPUTS for _ in contingents(ens, n)]
    for name in OUTPUTS:
        rows = df[df.output == name]
        assert rows.contingent.tolist() == contingents(ens, name) and (rows.unit == ks.results.UNITS[name]).all()
        np.testing.assert_array_equal(rows["mean"], np.atleast_1d(ens.mean(name).values[-1]))
        band = ens.quantiles(name).values[:, -1]
        for i, col in enumerate(("q5", "q50", "q95")):
            np.testing.assert_array_equal(rows[col], np.atleast_1d(band[i]))


def test_event_summary_csv(ens: ks.Ensemble, exported: Path) -> None:
    df = read(exported / "event_summary.csv", ["date_q5", "date_q50", "date_q95"])
    assert list(df.columns) == [
        *("event", "probability", "happened", "never", "replications"),
        *("date_q5", "date_q50", "date_q95"),
    ]
    assert df.event.tolist() == list(ens.event_names)
    for col in ("happened", "never", "replications"):
        assert df[col].dtype == np.int64, col
    assert df.probability.dtype == np.float64
    assert all(is_date(df[c]) for c in ("date_q5", "date_q50", "date_q95"))
    assert (df.happened + df.never == ens.replications).all()
    when = np.stack([df[c].to_numpy().astype("datetime64[D]") for c in ("date_q5", "date_q50", "date_q95")], axis=1)
    for i, event in enumerate(df.event):
        assert df.probability[i] == ens.probability(event)
        assert df.happened[i] == ens.event_counts(event).values.sum()
        np.testing.assert_array_equal(when[i], ens.event_quantiles(event))  # NaT (an empty cell) if it never happened
    assert df.date_q50.isna().any()  # mobilisation does not happen by mid-March: no dates, not a sentinel


def test_projection_csv(ens: ks.Ensemble, exported: Path) -> None:
    df = read(exported / "projection.csv", ["date"])
    assert list(df.columns) == ["date", "output", "contingent", "unit", "q5", "q50", "q95"]
    assert is_date(df["date"]) and all(df[c].dtype == np.float64 for c in ("q5", "q50", "q95"))
    shown = [str(r[0]) for r in ens.projection().rows]
    assert [str(d.date()) for d in df["date"].unique()] == shown
    for _, row in df.iterrows():
        band = ens.quantiles(row.output).sel(date=row.date.date())
        if row.output == "strength":
            band = band.sel(contingent=row.contingent)
        np.testing.assert_array_equal([row.q5, row.q50, row.q95], band.values)


def test_quantiles_csv(ens: ks.Ensemble, exported: Path) -> None:
    df = read(exported / "quantiles.csv", ["date"])
    assert list(df.columns) == ["date", "output", "contingent", "q", "value", "unit"]
    assert "quantile" not in df.columns and callable(df.quantile)  # the method is not shadowed
    assert is_date(df["date"]) and df.q.dtype == np.float64 and df.value.dtype == np.float64
    for name in OUTPUTS:
        band = ens.quantiles(name)
        rows = df[df.output == name]
        values = rows.value.to_numpy().reshape(band.shape if name != "area" else (*band.shape, 1))
        np.testing.assert_array_equal(values.squeeze(-1) if name == "area" else values, band.values)
        assert rows.q.unique().tolist() == [0.05, 0.5, 0.95]
    frame = ens.to_dataframe()
    assert list(frame.columns) == list(df.columns)
    same_frame(frame, df)
    assert is_date(frame["date"])


def test_event_days_csv(ens: ks.Ensemble, exported: Path) -> None:
    df = read(exported / "event_days.csv", ["date"])
    assert list(df.columns) == ["date", *ens.event_names]
    assert is_date(df["date"]) and len(df) == len(ens.dates)  # every row a date: no sentinel row
    np.testing.assert_array_equal(df["date"].to_numpy().astype("datetime64[D]"), ens.dates)
    for event in ens.event_names:
        assert df[event].dtype == np.int64
        np.testing.assert_array_equal(df[event], ens.event_counts(event).values)


def test_events_csv(ens: ks.Ensemble, exported: Path) -> None:
    df = read(exported / "events.csv", list(ens.event_names))
    assert list(df.columns) == ["replication", *ens.event_names]
    assert df.replication.tolist() == list(range(ens.kept))
    for event in ens.event_names:
        assert is_date(df[event]), event
        np.testing.assert_array_equal(df[event].to_numpy().astype("datetime64[D]"), ens.event_date(event))


def test_values_csv(short: ks.Scenario, tmp_path: Path) -> None:
    values = {
        "ru.strength": [50_000.0, 50_000.5, 1 / 3],
        "kpa.second_wave.date": ["2025-02-01", "2025-02-03", "2025-03-01"],
    }
    ens = ks.simulate(short, 3, seed=1, values=values, progress=False)
    ens.export(tmp_path)
    df = read(tmp_path / "values.csv", ["kpa.second_wave.date"])
    assert df["ru.strength"].tolist() == [50_000.0, 50_000.5, 1 / 3]  # exact
    assert [str(d.date()) for d in df["kpa.second_wave.date"]] == ["2025-02-01", "2025-02-03", "2025-03-01"]


def test_sketched_run_exports_without_per_replication_files(sketched: ks.Ensemble, tmp_path: Path) -> None:
    names = [p.name for p in sketched.export(tmp_path)]
    assert "events.csv" not in names and "values.csv" not in names
    df = read(tmp_path / "quantiles.csv", ["date"])
    area = df[df.output == "area"].value.to_numpy().reshape(3, -1)
    np.testing.assert_array_equal(area, sketched.quantiles("area").values)
    assert json.loads((tmp_path / "run.json").read_text())["kept"] == 0


# ------------------------------------------------------------------ run.json
def test_run_json_manifest(ens: ks.Ensemble, exported: Path) -> None:
    import scipy
    import simpy

    manifest = json.loads((exported / "run.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "ensemble"
    assert manifest["seed"] == {"entropy": 17, "spawn_key": [1]}
    again = np.random.SeedSequence(manifest["seed"]["entropy"], spawn_key=manifest["seed"]["spawn_key"])
    assert again.generate_state(4).tolist() == ens.seed.generate_state(4).tolist()
    assert (manifest["replications"], manifest["chunk_size"], manifest["kept"]) == (400, ens.chunk_size, 400)
    assert manifest["command"] == ["kursk-sim", "run", "--seed", "17"]
    versions = manifest["versions"]
    assert versions["kursk_sim"] == ks.__version__ and versions["numpy"] == np.__version__
    assert versions["scipy"] == scipy.__version__ and versions["simpy"] == simpy.__version__
    assert versions["python"] == ".".join(map(str, sys.version_info[:3]))
    assert manifest["scenario"]["name"] == ens.scenario.name
    toml = (exported / "scenario.toml").read_bytes()
    assert manifest["scenario"]["sha256"] == hashlib.sha256(toml).hexdigest()
    created = dt.datetime.fromisoformat(manifest["created"])
    assert created.utcoffset() == dt.timedelta(0)
    assert abs((dt.datetime.now(dt.UTC) - created).total_seconds()) < 3600
    written = {p.name for p in exported.iterdir()}
    assert set(manifest["files"]) == written - {"run.json"}


def test_command_is_optional_and_checked(sketched: ks.Ensemble, tmp_path: Path) -> None:
    sketched.export(tmp_path)
    assert json.loads((tmp_path / "run.json").read_text())["command"] is None
    with pytest.raises(TypeError, match="sequence of str"):
        sketched.export(tmp_path, command="kursk-sim run")


# ------------------------------------------------------------------ other formats
def test_formats_are_checked(sketched: ks.Ensemble, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="formats: got 'xlsx'"):
        sketched.export(tmp_path, formats="xlsx")
    with pytest.raises(ValueError, match="expected one or more"):
        sketched.export(tmp_path, formats=())


def test_parquet_without_an_engine_names_the_extra(sketched: ks.Ensemble, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if neither engine were installed
    monkeypatch.setitem(sys.modules, "fastparquet", None)
    with pytest.raises(ImportError, match=r"pip install 'kursk-sim\[parquet\]'"):
        sketched.export(tmp_path / "out", formats=("csv", "parquet"))
    assert not (tmp_path / "out").exists()  # refused before writing anything


def test_parquet_holds_the_csv_tables(ens: ks.Ensemble, exported: Path, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    paths = ens.export(tmp_path, formats="parquet")
    assert not any(p.suffix == ".csv" for p in paths)
    for name, dates in [("summary", ["date"]), ("quantiles", ["date"]), ("events", list(ens.event_names))]:
        got = pd.read_parquet(tmp_path / f"{name}.parquet")
        want = read(exported / f"{name}.csv", dates)
        same_frame(got, want)
        assert all(is_date(got[c]) for c in dates)


def test_netcdf_reads_back(ens: ks.Ensemble, tmp_path: Path) -> None:
    xr = pytest.importorskip("xarray")
    paths = ens.export(tmp_path, formats=("netcdf",), command=["x"])
    assert [p.name for p in paths] == ["ensemble.nc", "scenario.toml", "run.json"]
    with xr.open_dataset(tmp_path / "ensemble.nc", engine="scipy") as ds:
        np.testing.assert_array_equal(ds["strength_quantiles"].values, ens.quantiles("strength").values)
        np.testing.assert_array_equal(ds["area_mean"].values, ens.mean("area").values)
        np.testing.assert_array_equal(ds["date"].values.astype("datetime64[D]"), ens.dates)
        assert ds["contingent"].values.tolist() == list(ens.contingents)
        counts = ds["event_count"].sel(event="kpa_second_wave").values
        np.testing.assert_array_equal(counts, ens.event_counts("kpa_second_wave").values)
        assert int(ds["event_never"].sel(event="kpa_second_wave")) == ens.replications - counts.sum()
        when = ds["event_date_quantiles"].sel(event="ua_withdrawal").values.astype("datetime64[D]")
        np.testing.assert_array_equal(when, ens.event_quantiles("ua_withdrawal"))
        assert ds.attrs["scenario"] == ens.scenario.name and ds.attrs["replications"] == 400
        assert json.loads(ds.attrs["seed"]) == {"entropy": 17, "spawn_key": [1]}
        assert json.loads(ds.attrs["command"]) is None  # to_dataset() has no command; run.json has
    assert json.loads((tmp_path / "run.json").read_text())["command"] == ["x"]


# ------------------------------------------------------------------ sweeps
@pytest.fixture(scope="module")
def res(short: ks.Scenario) -> ks.SweepResult:
    design = ks.grid({"ua.replenishment.per_day": [0.0, 150.0], "kpa.second_wave.date": ["2025-02-01", "2025-03-01"]})
    return ks.sweep(short, design, 40, seed=8, progress=False)


def test_sweep_csvs_read_back(res: ks.SweepResult, tmp_path: Path) -> None:
    paths = res.export(tmp_path, command=["kursk-sim", "sweep"])
    assert [p.name for p in paths] == ["points.csv", "means.csv", "table.csv", "scenario.toml", "run.json"]
    points = read(tmp_path / "points.csv", ["kpa.second_wave.date"])
    assert points.replications.dtype == np.int64 and points.rerun_alone.dtype == bool
    assert is_date(points["kpa.second_wave.date"]) and points["ua.replenishment.per_day"].dtype == np.float64
    np.testing.assert_array_equal(points["kpa.second_wave.date"].to_numpy().astype("datetime64[D]"),
                                  res.points["kpa.second_wave.date"])  # fmt: skip
    means = read(tmp_path / "means.csv", ["date", "kpa.second_wave.date"])
    frame = res.to_pandas()
    same_frame(means, frame)
    assert means["mean"].dtype == np.float64 and means["standard_error"].dtype == np.float64
    ua = means[(means.output == "strength") & (means.contingent == "ua")]
    np.testing.assert_array_equal(ua["mean"].to_numpy().reshape(4, -1), res.mean("strength").sel(contingent="ua"))
    table = read(tmp_path / "table.csv", ["date", "kpa.second_wave.date"])
    assert is_date(table["date"]) and (table["date"] == pd.Timestamp(res.dates[-1])).all()
    np.testing.assert_array_equal(table["ua strength"], res.mean("strength").values[:, -1, 2])
    np.testing.assert_array_equal(table["ua strength se"], res.standard_error("strength").values[:, -1, 2])
    np.testing.assert_array_equal(table["area"], res.mean("area").values[:, -1])
    np.testing.assert_array_equal(table["P(ua_withdrawal)"], res.probability("ua_withdrawal").values)
    manifest = json.loads((tmp_path / "run.json").read_text())
    assert manifest["kind"] == "sweep" and manifest["points"] == 4 and manifest["command"] == ["kursk-sim", "sweep"]
    assert manifest["design_paths"] == ["ua.replenishment.per_day", "kpa.second_wave.date"]
    assert manifest["seed"] == {"entropy": 8, "spawn_key": []} and manifest["completed"] == [40] * 4


def test_sweep_netcdf_reads_back(res: ks.SweepResult, tmp_path: Path) -> None:
    xr = pytest.importorskip("xarray")
    res.export(tmp_path, formats=["netcdf"])
    with xr.open_dataset(tmp_path / "sweep.nc", engine="scipy") as ds:
        np.testing.assert_array_equal(ds["strength_mean"].values, res.mean("strength").values)
        np.testing.assert_array_equal(ds["ua.replenishment.per_day"].values, [0.0, 0.0, 150.0, 150.0])
        assert ds.attrs["scenario"] == res.scenario.name


# ------------------------------------------------------------------ nothing handed out changes the results
def scribble(x: Any) -> None:
    """Write into ``x`` if it lets us; a read-only array refuses."""
    arr = x.values if isinstance(x, ks.LabelledArray) else x
    try:
        if np.issubdtype(arr.dtype, np.datetime64):
            arr[...] = np.datetime64("1900-01-01")
        else:
            arr[...] = 7
    except ValueError as err:
        assert "read-only" in str(err)


def snapshot(ens: ks.Ensemble) -> dict[str, Any]:
    out: dict[str, Any] = {"dates": np.array(ens.dates)}
    for name in OUTPUTS:
        out[f"traj.{name}"] = np.array(ens.trajectory(name))
        out[f"q.{name}"] = np.array(ens.quantiles(name))
        out[f"mean.{name}"] = np.array(ens.mean(name))
    for event in ens.event_names:
        out[f"counts.{event}"] = np.array(ens.event_counts(event))
        out[f"day.{event}"] = ens.event_day(event).copy()
        out[f"date.{event}"] = ens.event_date(event).copy()
        out[f"eq.{event}"] = ens.event_quantiles(event).copy()
        out[f"p.{event}"] = ens.probability(event)
    out |= {f"final.{k}": v.copy() for k, v in ens.final.items()}
    out |= {f"values.{k}": v.copy() for k, v in ens.values.items()}
    out["summary"] = str(ens.summary())
    out["projection"] = str(ens.projection())
    return out


def test_ensemble_hands_out_nothing_writable(short: ks.Scenario) -> None:
    ens = ks.simulate(short, 30, seed=2, values={"ru.strength": np.linspace(40_000, 60_000, 30)}, progress=False)
    before = snapshot(ens)
    with pytest.raises(ValueError, match="read-only"):
        ens.trajectory("strength").values[:] = 0
    with pytest.raises(ValueError, match="read-only"):
        ens.final["strength"][0] = 0
    with pytest.raises(ValueError, match="read-only"):
        ens.dates[0] = ens.dates[1]
    handed_out: list[Any] = [ens.dates]
    for name in OUTPUTS:
        handed_out += [ens.trajectory(name), ens.quantiles(name), ens.mean(name), np.asarray(ens.trajectory(name))]
        handed_out += [ens.trajectory(name).sel(date="2025-01-01"), ens.trajectory(name)[0]]
    for event in ens.event_names:
        handed_out += [ens.event_counts(event), ens.event_day(event), ens.event_date(event)]
        handed_out += [ens.event_quantiles(event)]
    handed_out += list(ens.final.values()) + list(ens.values.values())
    for x in handed_out:
        scribble(x)
    ens.final["strength"] = np.zeros(3)  # a new dict each time: replacing an entry changes nothing
    ens.values.clear()
    frame = ens.quantiles("strength").to_pandas()
    frame.iloc[:, :] = 0.0  # a copy
    after = snapshot(ens)
    assert before.keys() == after.keys()
    for key in before:
        np.testing.assert_array_equal(after[key], before[key], err_msg=key)


def test_sweep_hands_out_nothing_writable(short: ks.Scenario) -> None:
    design = ks.grid({"ua.replenishment.per_day": [0.0, 150.0]})
    res = ks.sweep(short, design, 20, seed=4, progress=False, reference=0)

    def everything() -> dict[str, Any]:
        out = {
            "completed": res.completed,
            "rerun_alone": res.rerun_alone,
            "dates": res.dates,
            "quantile_dates": res.quantile_dates,
        }
        for name in OUTPUTS:
            out |= {f"mean.{name}": res.mean(name), f"se.{name}": res.standard_error(name)}
            out |= {f"q.{name}": res.quantiles(name), f"diff.{name}": res.difference(name)}
        for event in res.event_names:
            out |= {f"p.{event}": res.probability(event), f"ci.{event}": res.probability_interval(event)}
            out |= {f"eq.{event}": res.event_quantiles(event), f"diff.{event}": res.difference(event)}
        return out

    before = {k: np.array(v) for k, v in everything().items()}
    for x in everything().values():
        scribble(x)
    for x in (res.completed, res.dates):
        with pytest.raises(ValueError, match="read-only"):
            x[0] = x[1]
    table = str(res.table())
    frame = res.to_pandas()
    frame.loc[:, "mean"] = 0.0
    after = {k: np.array(v) for k, v in everything().items()}
    for key in before:
        np.testing.assert_array_equal(after[key], before[key], err_msg=key)
    assert str(res.table()) == table
