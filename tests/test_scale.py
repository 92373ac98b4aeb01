"""Runs at scale: chunk seeding, executors, bounded memory, failures, progress.

The same seed must give bit-identical results whichever way the chunks run
(in this process, local worker processes, a thread pool, a process pool of
the caller's, a Dask cluster); summaries must be the same whether
trajectories are kept (exact) or only sketched (within the stated error);
a failing or dying chunk must lose nothing else and be reproducible alone.
"""

from __future__ import annotations

import gc
import io
import os
import weakref
from collections.abc import Generator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

import kursk_sim as ks
from kursk_sim import run as run_module
from kursk_sim.chunks import ChunkPlan, run_chunk
from kursk_sim.execution import Progress
from kursk_sim.model import Model
from kursk_sim.parameters import draw_parameters
from kursk_sim.results import OUTPUT_NAMES
from kursk_sim.sketch import RELATIVE_ERROR, SMALLEST

REPS, CHUNK = 2500, 1000  # three chunks, the last one shorter


def fingerprint(ens: ks.Ensemble) -> dict[str, Any]:
    """Everything a run reports about all its replications."""
    out: dict[str, Any] = {"n": ens.replications, "summary": ens.summary().rows}
    for name in OUTPUT_NAMES:
        out[f"mean.{name}"] = ens.mean(name).values
        out[f"q.{name}"] = ens.quantiles(name, q=(0.01, 0.05, 0.5, 0.95, 0.99)).values
    for event in ens.event_names:
        out[f"events.{event}"] = ens.event_counts(event).values
    return out


def assert_identical(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], np.ndarray):
            np.testing.assert_array_equal(a[key], b[key], err_msg=key, strict=True)
        else:
            assert a[key] == b[key], key


@pytest.fixture(scope="module")
def reference(kursk: ks.Scenario) -> dict[str, Any]:
    """The run in this process, summaries from the sketch."""
    return fingerprint(ks.simulate(kursk, REPS, seed=11, chunk_size=CHUNK, trajectories=False))


def test_chunk_sizes_and_seeds() -> None:
    plan = ChunkPlan(REPS, CHUNK, entropy=11)
    assert plan.n_chunks == 3
    assert [plan.bounds(i) for i in range(3)] == [(0, 1000), (1000, 2000), (2000, 2500)]
    assert plan.root.entropy == 11 and plan.root.spawn_key == ()
    assert plan.describe_seed(2) == "chunk 2 of SeedSequence(11, spawn_key=())"


def test_workers_give_identical_results(kursk: ks.Scenario, reference: dict[str, Any]) -> None:
    ens = ks.simulate(kursk, REPS, seed=11, chunk_size=CHUNK, trajectories=False, workers=2)
    assert_identical(reference, fingerprint(ens))


def test_thread_and_process_pools_give_identical_results(kursk: ks.Scenario, reference: dict[str, Any]) -> None:
    with ThreadPoolExecutor(max_workers=3) as pool:
        threads = ks.simulate(kursk, REPS, seed=11, chunk_size=CHUNK, trajectories=False, executor=pool)
    with ProcessPoolExecutor(max_workers=2) as pool:
        processes = ks.simulate(kursk, REPS, seed=11, chunk_size=CHUNK, trajectories=False, executor=pool)
    assert_identical(reference, fingerprint(threads))
    assert_identical(reference, fingerprint(processes))


def test_dask_cluster_gives_identical_results(kursk: ks.Scenario, reference: dict[str, Any]) -> None:
    from dask.distributed import Client, LocalCluster  # in the test extra: a missing install must fail

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        ens = ks.simulate(kursk, REPS, seed=11, chunk_size=CHUNK, trajectories=False, executor=client)
    assert_identical(reference, fingerprint(ens))


def test_different_seed_differs(kursk: ks.Scenario, reference: dict[str, Any]) -> None:
    other = fingerprint(ks.simulate(kursk, REPS, seed=12, chunk_size=CHUNK, trajectories=False))
    assert not np.array_equal(reference["mean.strength"], other["mean.strength"])


def test_sketched_summaries_match_exact_ones(kursk: ks.Scenario, reference: dict[str, Any]) -> None:
    kept = ks.simulate(kursk, REPS, seed=11, chunk_size=CHUNK, trajectories=True)
    assert kept.exact_quantiles and kept.kept == REPS
    exact = fingerprint(kept)
    for key in exact:
        if key.startswith("q."):
            e, s = exact[key], reference[key]
            bound = np.where(e >= SMALLEST, RELATIVE_ERROR * e, SMALLEST)
            assert (np.abs(s - e) <= bound + 1e-9).all(), key
        elif key.startswith(("mean.", "events.")) or key == "n":  # from sums and counts: the same numbers
            np.testing.assert_array_equal(exact[key], reference[key], err_msg=key)
    # the same quantiles, computed by NumPy from the kept trajectories
    strength = kept.trajectory("strength").values
    np.testing.assert_allclose(exact["q.strength"][2], np.quantile(strength, 0.5, axis=0))
    # event probabilities from histograms equal those of the replications
    for event in kept.event_names:
        days = kept.event_day(event)
        assert kept.probability(event) == pytest.approx(np.mean(~np.isnan(days)), abs=0)
        happened = days[~np.isnan(days)]
        if happened.size:
            expected = kept.dates[0] + np.round(np.quantile(happened, [0.05, 0.5, 0.95])).astype(int)
            np.testing.assert_array_equal(kept.event_quantiles(event), expected)


def test_keep_first_n_trajectories(kursk: ks.Scenario) -> None:
    full = ks.simulate(kursk, 1200, seed=3, chunk_size=500, trajectories=True)
    some = ks.simulate(kursk, 1200, seed=3, chunk_size=500, trajectories=700)
    assert some.kept == 700 and not some.exact_quantiles
    np.testing.assert_array_equal(some.trajectory("strength").values, full.trajectory("strength").values[:700])
    np.testing.assert_array_equal(some.event_day("ua_withdrawal"), full.event_day("ua_withdrawal")[:700])
    np.testing.assert_array_equal(some.mean("area").values, full.mean("area").values)


def test_large_runs_keep_no_trajectories_by_default(kursk: ks.Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_module, "TRAJECTORY_BUDGET_BYTES", 50 * run_module.trajectory_bytes(kursk))
    assert ks.simulate(kursk, 50, seed=1).kept == 50
    big = ks.simulate(kursk, 51, seed=1)
    assert big.kept == 0 and not big.exact_quantiles
    assert np.isfinite(big.quantiles("strength").values).all()
    with pytest.raises(ValueError, match="trajectories=N"):
        big.trajectory("strength")
    # the report figure needs no trajectories: its event curves count every replication
    ax = ks.plot.projection_figure(big).axes[2]
    for line, event in zip(ax.get_lines(), big.event_names, strict=True):
        assert line.get_ydata()[-1] == pytest.approx(big.probability(event))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"workers": 0}, "workers: got 0"),
        ({"workers": 1.5}, "workers: got 1.5"),
        ({"chunk_size": 0}, "chunk_size: got 0"),
        ({"trajectories": -1}, "trajectories: got -1"),
        ({"trajectories": 11}, "trajectories: got 11, expected at most the 10"),
        ({"replications": 0}, "replications: got 0"),
    ],
)
def test_bad_run_arguments(kursk: ks.Scenario, kwargs: dict[str, Any], match: str) -> None:
    args = {"replications": 10, "seed": 1, **kwargs}
    with pytest.raises(ValueError, match=match):
        ks.simulate(kursk, **args)


# --------------------------------------------------------------- failures
def fail_in_chunk_one(model: Model) -> Generator[Any, Any, None]:
    """An extra process that raises on day 5 of chunk 1 only."""
    yield model.env.timeout(5.5)
    if model.chunk == 1:
        raise RuntimeError("boom in chunk 1")


def die_in_chunk_one(model: Model) -> Generator[Any, Any, None]:
    """An extra process that kills its worker process on day 5 of chunk 1."""
    yield model.env.timeout(5.5)
    if model.chunk == 1:
        os._exit(3)


def other_chunks_mean(kursk: ks.Scenario, plan: ChunkPlan) -> np.ndarray:
    sums = sum(run_chunk(kursk, plan, i)[1].sums for i in (0, 2))
    return sums[:, -1] / (REPS - CHUNK)  # area


@pytest.mark.parametrize("workers", [None, 2])
def test_a_raising_chunk_loses_nothing_else(kursk: ks.Scenario, workers: int | None) -> None:
    with pytest.raises(ks.SimulationError) as info:
        ks.simulate(kursk, REPS, seed=5, chunk_size=CHUNK, workers=workers, extra_processes=[fail_in_chunk_one])
    err = info.value
    assert [f.chunk for f in err.failures] == [1]
    assert "chunk 1 (replications 1000..1999, seed chunk 1 of SeedSequence(5, spawn_key=()))" in str(err)
    assert "RuntimeError: boom in chunk 1" in str(err)
    assert "fail_in_chunk_one" in err.failures[0].details  # the worker's traceback
    assert err.partial.replications == REPS - CHUNK
    np.testing.assert_array_equal(err.partial.mean("area").values, other_chunks_mean(kursk, err.plan))
    with pytest.raises(RuntimeError, match="boom in chunk 1"):  # re-running the chunk alone reproduces it
        run_chunk(kursk, err.plan, 1, [fail_in_chunk_one])


def test_a_dying_worker_loses_nothing_else(kursk: ks.Scenario) -> None:
    with pytest.raises(ks.SimulationError) as info:
        ks.simulate(kursk, REPS, seed=5, chunk_size=CHUNK, workers=2, extra_processes=[die_in_chunk_one])
    err = info.value
    assert [f.chunk for f in err.failures] == [1]
    assert "seed chunk 1 of SeedSequence(5, spawn_key=())" in str(err)
    assert "BrokenProcessPool" in err.failures[0].error
    assert err.partial.replications == REPS - CHUNK
    np.testing.assert_array_equal(err.partial.mean("area").values, other_chunks_mean(kursk, err.plan))


def test_finished_model_is_freed_without_garbage_collection(kursk: ks.Scenario) -> None:
    """A finished batch must not wait for a full collection (workers grew by ~40 MB a chunk)."""
    model = Model(draw_parameters(kursk, 10, seed=1), streams=1)
    gc.disable()
    try:
        model.run()
        ref = weakref.ref(model)
        del model
        assert ref() is None
    finally:
        gc.enable()


# --------------------------------------------------------------- progress
def test_progress_is_shown_when_asked() -> None:
    stream = io.StringIO()
    bar = Progress(total=2000, days=100, enabled=True, stream=stream)
    bar.update(1000)
    bar.update(1000)
    bar.close()
    text = stream.getvalue()
    assert "100% 2,000/2,000 replications" in text and "replication-days/s" in text
    assert text.endswith("\n")


def test_progress_is_off_when_not_a_terminal() -> None:
    stream = io.StringIO()  # not a tty
    bar = Progress(total=10, days=5, stream=stream)
    bar.update(10)
    bar.close()
    assert not bar.enabled and stream.getvalue() == ""


def test_simulate_writes_no_progress_when_told(kursk: ks.Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    ks.simulate(kursk, 20, seed=1, progress=False)
    ks.simulate(kursk, 20, seed=1)  # stderr is not a terminal here
    assert capsys.readouterr().err == ""
    ks.simulate(kursk, 20, seed=1, progress=True)
    assert "100% 20/20 replications" in capsys.readouterr().err


@pytest.mark.parametrize("chunk", [-1, 3])
def test_a_chunk_the_plan_does_not_have_is_refused(kursk: ks.Scenario, chunk: int) -> None:
    plan = ChunkPlan(3 * CHUNK, CHUNK, entropy=5)
    with pytest.raises(ValueError, match=r"chunk must be in 0\.\.2 for this plan, got"):
        run_chunk(kursk, plan, chunk)
