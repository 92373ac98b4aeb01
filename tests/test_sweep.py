"""Sweeps: a design's points x R replications in one chunked batch, reduced by point.

The per-point statistics are checked against the replications themselves,
recorded by a process of the test's own; a one-point sweep against
simulate(); pairing and common random numbers through identical points;
results against workers and Dask; and the resumable store against an
uninterrupted run.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
from collections.abc import Generator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

import kursk_sim as ks
from kursk_sim.model import Model, Phase
from kursk_sim.sketch import RELATIVE_ERROR, SMALLEST

DAYS = 110


@pytest.fixture(scope="module")
def short(kursk: ks.Scenario) -> ks.Scenario:
    return kursk.replace({"end_date": kursk.start_date + dt.timedelta(days=DAYS)})


def recorder() -> tuple[Any, dict[tuple[int, int], dict[str, Any]]]:
    """A process keeping each (point, replication)'s end state and event days."""
    seen: dict[tuple[int, int], dict[str, Any]] = {}

    def record(model: Model) -> Generator[Any, Any, None]:
        while True:
            yield model.wait_for(Phase.RECORD)
            if model.day == model.params.horizon - 1:
                rows = model.params.rows
                s = model.state
                for i in range(rows.n):
                    j = rows.points[0] + i // rows.n_replications
                    r = rows.replications[0] + i % rows.n_replications
                    seen[(j, r)] = {
                        "strength": s.strength[i].copy(),
                        "casualties": s.casualties[i].copy(),
                        "area": float(s.area[i]),
                        "events": {k: int(v[i]) for k, v in s.events.items()},
                    }
            yield model.env.timeout(0.5)

    return record, seen


def by_point(seen: dict[tuple[int, int], dict[str, Any]], points: int, reps: int, key: str) -> np.ndarray:
    return np.array([[seen[(j, r)][key] for r in range(reps)] for j in range(points)])


LEVERS = ks.grid({"defender.lethality": [0.0145, 0.012], "kpa.second_wave.probability": [0.3, 1.0]})


@pytest.fixture(scope="module")
def recorded(short: ks.Scenario) -> tuple[ks.SweepResult, dict[tuple[int, int], dict[str, Any]]]:
    """4 points x 300 replications in chunks of 500 rows (125 replications of each point a chunk)."""
    record, seen = recorder()
    res = ks.sweep(short, LEVERS, 300, seed=8, chunk_size=500, extra_processes=[record], quantiles=True)
    return res, seen


def test_means_standard_errors_and_differences_are_those_of_the_replications(recorded: Any) -> None:
    res, seen = recorded
    assert res.n_points == 4 and (res.completed == 300).all()
    strength = by_point(seen, 4, 300, "strength")  # (point, replication, contingent)
    np.testing.assert_allclose(res.mean("strength").values[:, -1], strength.mean(axis=1), rtol=1e-12)
    se = strength.std(axis=1, ddof=1) / np.sqrt(300)
    np.testing.assert_allclose(res.standard_error("strength").values[:, -1], se, rtol=1e-9)
    area = by_point(seen, 4, 300, "area")
    np.testing.assert_allclose(res.mean("area").values[:, -1], area.mean(axis=1), rtol=1e-12)
    diff = strength - strength[0]  # paired with the reference, replication by replication
    d = res.difference("strength").values[:, :, -1]
    np.testing.assert_allclose(d[0], diff.mean(axis=1), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(d[1], diff.std(axis=1, ddof=1) / np.sqrt(300), rtol=1e-7, atol=1e-9)
    assert (d[:, 0] == 0).all()  # the reference against itself


def test_event_probabilities_intervals_and_paired_differences(recorded: Any, short: ks.Scenario) -> None:
    res, seen = recorded
    by = "2025-01-20"
    day = (np.datetime64(by) - np.datetime64(short.start_date)).astype(int)
    for event in res.event_names:
        days = np.array([[seen[(j, r)]["events"][event] for r in range(300)] for j in range(4)])
        happened = (days >= 0) & (days <= day)
        np.testing.assert_array_equal(res.probability(event, by=by).values, happened.mean(axis=1))
        interval = res.probability_interval(event, by=by, level=0.9).values
        for j in range(4):
            ci = stats.binomtest(int(happened[j].sum()), 300).proportion_ci(0.9, method="wilson")
            np.testing.assert_allclose(interval[:, j], (ci.low, ci.high), rtol=1e-9, atol=1e-12)
        paired = happened.astype(float) - happened[0]
        d = res.difference(event, by=by).values
        np.testing.assert_allclose(d[0], paired.mean(axis=1), atol=1e-12)
        np.testing.assert_allclose(d[1], paired.std(axis=1, ddof=1) / np.sqrt(300), rtol=1e-9, atol=1e-12)


def test_quantiles_and_event_dates_per_point(recorded: Any, short: ks.Scenario) -> None:
    res, seen = recorded
    cas = by_point(seen, 4, 300, "casualties")
    exact = np.quantile(cas, (0.05, 0.5, 0.95), axis=1)
    got = res.quantiles("casualties", q=(0.05, 0.5, 0.95)).values[:, :, -1]
    bound = np.where(exact >= SMALLEST, RELATIVE_ERROR * exact, SMALLEST)
    assert (np.abs(got - exact) <= bound + 1e-9).all()
    days = np.array([[seen[(j, r)]["events"]["ua_withdrawal"] for r in range(300)] for j in range(4)])
    q = res.event_quantiles("ua_withdrawal", q=(0.25, 0.75)).values
    for j in range(4):
        happened = days[j][days[j] >= 0]
        want = np.datetime64(short.start_date) + np.round(np.quantile(happened, (0.25, 0.75))).astype(int)
        np.testing.assert_array_equal(q[:, j], want)


def test_replication_r_of_every_point_shares_its_streams(short: ks.Scenario) -> None:
    """Identical points draw the same parameters, waves, hazards and normal noise, so they are tightly paired.

    Only the exact (small) binomial draws are not shared between points of
    a chunk: identical points differ by those alone, a few troops, far less
    than an unpaired difference (measured on the default scenario with
    1,000 replications: Russian strength 16 against 479, Ukrainian 9
    against 127).
    """
    design = ks.Design({"ru.replenishment.per_day": [900.0, 900.0, 1200.0]})
    res = ks.sweep(short, design, 200, seed=3, chunk_size=300)
    wave = res._totals.events["kpa_second_wave"]
    np.testing.assert_array_equal(wave[0], wave[1])  # the same replications have the wave, on the same days
    se = res.standard_error("casualties").values
    d = res.difference("casualties").values
    unpaired = np.hypot(se[1, -1], se[0, -1])
    assert (d[1, 1, -1] < 0.15 * unpaired).all(), (d[1, 1, -1], unpaired)
    ua, kpa = short.contingent_ids.index("ua"), short.contingent_ids.index("kpa")
    unpaired = np.hypot(se[2, -1], se[0, -1])
    assert (d[1, 2, -1, [ua, kpa]] < 0.5 * unpaired[[ua, kpa]]).all()


def test_one_point_sweep_is_simulate(short: ks.Scenario) -> None:
    ens = ks.simulate(short, 700, seed=4, chunk_size=256, trajectories=True)
    res = ks.sweep(short, ks.grid({"ru.strength": [50_000]}), 700, seed=4, chunk_size=256)
    for name in ("strength", "casualties", "area"):
        np.testing.assert_allclose(res.mean(name).values[0], ens.mean(name).values, rtol=1e-12)
    for event in ens.event_names:
        assert res.probability(event).values[0] == ens.probability(event)
        np.testing.assert_array_equal(res.event_quantiles(event).values[:, 0], ens.event_quantiles(event))
    final = ens.final["strength"]
    np.testing.assert_allclose(res.standard_error("strength").values[0, -1], final.std(axis=0, ddof=1) / np.sqrt(700))


def test_points_agree_with_separate_runs(short: ks.Scenario) -> None:
    """Each point's mean agrees with simulate() of the scenario at that point (different noise, 4 SE)."""
    res = ks.sweep(short, LEVERS, 400, seed=11)
    for j in range(len(LEVERS)):
        point = {k: float(v) for k, v in LEVERS.point(j).items()}
        ens = ks.simulate(short.replace(point), 400, seed=12)
        cas = ens.final["killed"] + ens.final["wounded"] + ens.final["missing"]
        se = np.hypot(res.standard_error("casualties").values[j, -1], cas.std(axis=0, ddof=1) / np.sqrt(400))
        assert (np.abs(res.mean("casualties").values[j, -1] - cas.mean(axis=0)) < 4 * se + 1e-9).all()


def fingerprint(res: ks.SweepResult) -> dict[str, np.ndarray]:
    out = {}
    for name in ("strength", "casualties", "area"):
        out[f"mean.{name}"] = res.mean(name).values
        out[f"se.{name}"] = res.standard_error(name).values
        out[f"q.{name}"] = res.quantiles(name).values
        out[f"d.{name}"] = res.difference(name).values
    for event in res.event_names:
        out[f"p.{event}"] = res.probability(event).values
        out[f"d.{event}"] = res.difference(event).values
    return out


def test_workers_and_dask_give_identical_results(short: ks.Scenario) -> None:
    from dask.distributed import Client, LocalCluster

    args = dict(replications=250, seed=21, chunk_size=200)
    here = fingerprint(ks.sweep(short, LEVERS, **args))
    workers = fingerprint(ks.sweep(short, LEVERS, workers=2, **args))
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        dask = fingerprint(ks.sweep(short, LEVERS, executor=client, **args))
    for key in here:
        np.testing.assert_array_equal(here[key], workers[key], err_msg=key)
        np.testing.assert_array_equal(here[key], dask[key], err_msg=key)


def test_more_points_than_a_chunk_holds(short: ks.Scenario) -> None:
    design = ks.grid({"ua.replenishment.per_day": np.linspace(0.0, 150.0, 30)})
    res = ks.sweep(short, design, 20, seed=2, chunk_size=16, reference=None)
    assert (res.completed == 20).all()
    ua = short.contingent_ids.index("ua")
    assert np.corrcoef(design["ua.replenishment.per_day"], res.mean("strength").values[:, -1, ua])[0, 1] > 0.9
    with pytest.raises(ValueError, match="no paired reference"):
        res.difference("strength")
    with pytest.raises(ValueError, match="do not fit in one chunk"):
        ks.sweep(short, design, 20, seed=2, chunk_size=16, reference=0)


def test_recorded_dates_only(short: ks.Scenario) -> None:
    full = ks.sweep(short, LEVERS, 100, seed=5)
    dates = ["2024-12-15", "2025-01-01", "2025-02-08"]
    some = ks.sweep(short, LEVERS, 100, seed=5, dates=dates, quantiles=["2025-01-01"])
    np.testing.assert_array_equal(some.dates, np.array(dates, dtype="datetime64[D]"))
    for date in dates:
        np.testing.assert_array_equal(
            some.mean("strength").sel(date=date).values, full.mean("strength").sel(date=date).values
        )
        for event in full.event_names:
            assert (some.probability(event, by=date).values == full.probability(event, by=date).values).all()
    assert some.quantiles("area").dims == ("quantile", "point", "date")
    with pytest.raises(ValueError, match="every date"):
        some.event_quantiles("ua_withdrawal")
    with pytest.raises(ValueError, match="recorded dates"):
        some.probability("ua_withdrawal", by="2025-01-02")
    with pytest.raises(ValueError, match="not among the recorded dates"):
        ks.sweep(short, LEVERS, 10, seed=5, dates=dates, quantiles=["2025-01-02"])


def test_bad_arguments(short: ks.Scenario) -> None:
    with pytest.raises(ks.ScenarioError, match=r"kpa.second_wave.probability.*\(point 1\)"):
        ks.sweep(short, {"kpa.second_wave.probability": [0.5, 1.5]}, 10, seed=1)
    with pytest.raises(ValueError, match="reference"):
        ks.sweep(short, LEVERS, 10, seed=1, reference=4)
    with pytest.raises(ValueError, match="dates"):
        ks.sweep(short, LEVERS, 10, seed=1, dates=["2030-01-01"])
    with pytest.raises(ValueError, match="replications"):
        ks.sweep(short, LEVERS, 0, seed=1)
    huge = ks.grid({"ua.replenishment.per_day": np.linspace(0.0, 150.0, 20_000)})
    with pytest.raises(ValueError, match=r"GiB.*dates=\["):
        ks.sweep(short.replace({"end_date": "2026-12-31"}), huge, 10, seed=1, reference=None)


def test_exports(recorded: Any, tmp_path: Path) -> None:
    res, _ = recorded
    ds = res.to_xarray()
    np.testing.assert_array_equal(ds["strength_mean"].values, res.mean("strength").values)
    np.testing.assert_array_equal(ds["defender.lethality"].values, LEVERS["defender.lethality"])
    assert ds["area_quantiles"].dims == ("quantile", "point", "date")
    df = res.to_pandas()
    row = df[(df.point == 3) & (df.output == "strength") & (df.contingent == "kpa") & (df.date == res.dates[-1])]
    assert float(row["mean"].iloc[0]) == res.mean("strength").sel(point=3, contingent="kpa").values[-1]
    assert (df["kpa.second_wave.probability"][df.point == 3] == 1.0).all()
    paths = res.export(tmp_path / "out")
    assert {p.name for p in paths} == {"points.csv", "means.csv", "table.csv", "scenario.toml", "run.json"}
    assert (tmp_path / "out" / "points.csv").read_text().count("\n") == 5
    assert "ua strength" in str(res.table())


# ------------------------------------------------------------------ failures and the store
def fail_on_sentinel(model: Model) -> Generator[Any, Any, None]:
    """Raises in any batch holding a point with the sentinel replenishment 777."""
    yield model.wait_for(Phase.RECORD)
    if np.any(np.asarray(model.params["ua.replenishment.per_day"]) == 777.0):
        raise RuntimeError("sentinel point")


def test_a_failing_point_is_recorded_and_the_others_finish(short: ks.Scenario) -> None:
    design = ks.grid({"ua.replenishment.per_day": [0.0, 777.0, 60.0]})
    with pytest.warns(RuntimeWarning) as record:
        res = ks.sweep(short, design, 40, seed=1, chunk_size=60, extra_processes=[fail_on_sentinel])
    messages = [str(w.message) for w in record]
    assert any("run point by point" in m for m in messages)  # the chunk's failure is not silent either
    assert any("points [1]" in m for m in messages)
    assert res.completed.tolist() == [40, 0, 40]
    assert {f.points for f in res.failures} == {(1, 2)}
    assert all("sentinel point" in f.error and "SeedSequence(1" in f.seed for f in res.failures)
    assert res.rerun_alone.tolist() == [True, False, True]
    assert np.isnan(res.mean("strength").values[1]).all() and np.isfinite(res.mean("strength").values[[0, 2]]).all()


def interrupt_in_chunk(chunk: int) -> Any:
    def process(model: Model) -> Generator[Any, Any, None]:
        yield model.wait_for(Phase.RECORD)
        if model.chunk == chunk:
            raise KeyboardInterrupt

    return process


def test_interrupted_sweep_resumes_to_the_same_results(short: ks.Scenario, tmp_path: Path) -> None:
    args = dict(replications=300, seed=6, chunk_size=400)  # 4 points: 100 replications each a chunk, 3 chunks
    whole = fingerprint(ks.sweep(short, LEVERS, **args))
    store = tmp_path / "store"
    with pytest.raises(KeyboardInterrupt):
        ks.sweep(short, LEVERS, store=store, extra_processes=[interrupt_in_chunk(2)], **args)
    assert sorted(p.name for p in store.glob("chunk-*.npz")) == ["chunk-000000.npz", "chunk-000001.npz"]
    ran: list[int] = []

    def count(model: Model) -> Generator[Any, Any, None]:
        ran.append(model.chunk)
        yield model.wait_for(Phase.RECORD)

    resumed = fingerprint(ks.sweep(short, LEVERS, store=store, extra_processes=[count], **args))
    assert ran == [2]  # only the missing chunk ran
    for key in whole:
        np.testing.assert_array_equal(whole[key], resumed[key], err_msg=key)
    again = fingerprint(ks.sweep(short, LEVERS, store=store, **{**args, "seed": None}))  # the stored seed
    np.testing.assert_array_equal(whole["mean.strength"], again["mean.strength"])


def test_a_store_of_another_sweep_is_refused(short: ks.Scenario, tmp_path: Path) -> None:
    ks.sweep(short, LEVERS, 20, seed=6, store=tmp_path)
    with pytest.raises(ValueError, match=r"replications: stored 20, this sweep 30.*seed: stored"):
        ks.sweep(short, LEVERS, 30, seed=7, store=tmp_path)
    with pytest.raises(ValueError, match="design: stored"):
        ks.sweep(short, ks.grid({"defender.lethality": [0.0145]}), 20, seed=6, store=tmp_path)
    with pytest.raises(ValueError, match="scenario: stored"):
        ks.sweep(short.replace({"ru.strength": 40_000}), LEVERS, 20, seed=6, store=tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="expected a folder"):
        ks.sweep(short, LEVERS, 20, seed=6, store=tmp_path / "file")


KILLED = """
import os, sys, datetime as dt
import kursk_sim as ks
from kursk_sim.model import Phase

def die_in_chunk_two(model):
    yield model.wait_for(Phase.RECORD)
    if model.chunk == 2:
        os._exit(3)

sc = ks.load_scenario("kursk-2024")
sc = sc.replace({{"end_date": sc.start_date + dt.timedelta(days={days})}})
design = ks.grid({{"defender.lethality": [0.0145, 0.012], "kpa.second_wave.probability": [0.3, 1.0]}})
ks.sweep(sc, design, 300, seed=6, chunk_size=400, store=sys.argv[1], extra_processes=[die_in_chunk_two])
"""


def test_a_killed_sweep_resumes_to_the_same_results(short: ks.Scenario, tmp_path: Path) -> None:
    script = tmp_path / "killed.py"
    script.write_text(textwrap.dedent(KILLED.format(days=DAYS)))
    store = tmp_path / "store"
    env = {**os.environ, "PYTHONPATH": str(Path(ks.__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, str(script), str(store)], env=env, capture_output=True, timeout=300)
    assert done.returncode == 3, done.stderr.decode()
    assert len(list(store.glob("chunk-*.npz"))) == 2 and not list(store.glob("*.tmp"))
    resumed = fingerprint(ks.sweep(short, LEVERS, 300, seed=6, chunk_size=400, store=store))
    whole = fingerprint(ks.sweep(short, LEVERS, 300, seed=6, chunk_size=400))
    for key in whole:
        np.testing.assert_array_equal(whole[key], resumed[key], err_msg=key)


def test_sweep_heatmap_draws_the_grid(recorded: Any) -> None:
    res, _ = recorded
    ax = ks.plot.sweep_heatmap(res, "ua_withdrawal@2025-01-20", x="defender.lethality", y="kpa.second_wave.probability")
    image = ax.get_images()[0].get_array()
    p = res.probability("ua_withdrawal", by="2025-01-20").values
    # rows: kpa.second_wave.probability 0.3, 1.0; columns: defender.lethality 0.012, 0.0145 (sorted)
    np.testing.assert_array_equal(np.asarray(image), [[p[2], p[0]], [p[3], p[1]]])
    with pytest.raises(ValueError, match="not a grid"):
        ks.plot.sweep_heatmap(res, "area@2025-01-20", x="defender.lethality", y="defender.lethality")
