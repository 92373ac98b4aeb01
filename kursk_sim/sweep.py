"""sweep(): every point of a design, R replications each, as one chunked batch run.

A sweep is an ordinary run of the one model whose rows are the design's
points x ``replications``: chunks hold a range of replications of every
point (of a group of points when there are more points than rows in a
chunk), so replication ``r`` of every point draws the same uncertain
parameters, waves and hazards (common random numbers, see
:mod:`kursk_sim.streams`), and the reference point's replications run
beside every other point's, which is what makes paired differences
possible. Chunks are reduced by point as they finish
(:mod:`kursk_sim.point_reduction`): memory follows points x dates, not
replications. With ``store=`` each finished chunk is written to a folder
and an interrupted sweep resumes (:mod:`kursk_sim.store`).
"""

from __future__ import annotations

import functools
import hashlib
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .chunks import ChunkFailure, ChunkPlan, series_count
from .design import Design
from .execution import InChunkOrder, Progress, execute
from .model import Process
from .parameters import Inputs
from .point_reduction import PointBlock, PointChunk, PointReduction, PointTotals, run_point_block
from .rules import event_names
from .run import DEFAULT_CHUNK_SIZE, _whole
from .scenario import Scenario
from .store import SweepStore
from .streams import root_sequence
from .sweep_results import SweepResult

__all__ = ["sweep", "sweep_bytes", "MEMORY_BUDGET_BYTES"]

#: A sweep whose per-point statistics would take more than this is refused (the message says which knob to turn).
MEMORY_BUDGET_BYTES = 2 * 2**30
#: Sketch bins expected to be non-empty per point, date and series (a bound for the estimate, from runs of the default).
_SKETCH_BINS_EXPECTED = 1024


def sweep_bytes(
    points: int, dates: int, contingents: int, events: int, replications: int, quantiles: bool
) -> tuple[int, int]:
    """Bytes a sweep's merged statistics take: ``(statistics and event histograms, quantile sketch)``.

    The sketch's figure is an estimate (its counts are sparse: at most one
    entry per replication and non-empty bin, 16 bytes each).
    """
    series = series_count(contingents)
    stats = 4 * points * dates * series * 8 + 2 * events * points * (dates + 1) * 8
    sketch = points * dates * series * min(replications, _SKETCH_BINS_EXPECTED) * 16 if quantiles else 0
    return stats, sketch


def sweep(
    scenario: Scenario,
    design: Design | Any,
    replications: int = 1000,
    seed: int | np.random.SeedSequence | None = None,
    *,
    dates: Sequence[Any] | None = None,
    quantiles: bool | Sequence[Any] | None = None,
    reference: int | None = 0,
    workers: int | None = None,
    executor: Any = None,
    store: str | Path | None = None,
    progress: bool | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    extra_processes: Iterable[Process] = (),
) -> SweepResult:
    """Run every point of a design for ``replications`` replications, in one batch.

    Parameters
    ----------
    scenario : Scenario
        What every point changes.
    design : Design, mapping of str to array_like, or pandas.DataFrame
        One row per point, one column per parameter path (see
        :func:`~kursk_sim.design.grid` and :func:`~kursk_sim.design.sample`);
        each value is checked like a scenario file's.
    replications : int
        Replications of each point.
    seed : int or numpy.random.SeedSequence, optional
        ``None`` draws fresh entropy (recorded in the result), or, with a
        ``store`` that holds a sweep, resumes with its seed.
    dates : sequence of dates, optional
        The dates recorded for each point (default: every date of the run).
        Fewer dates, less memory; event probabilities are then available by
        these dates only.
    quantiles : bool or sequence of dates, optional
        On which recorded dates to keep per-point quantiles (a sketch, 0.2 %
        error): ``None`` (default) the start, the first of each month and
        the end; ``True`` every recorded date; ``False`` none; or the dates
        given.
    reference : int or None
        The point paired differences are taken against (default the first).
        Needs every point in every chunk: at most ``chunk_size`` points;
        ``None`` for no pairing.
    workers, executor, progress, chunk_size, extra_processes
        As for :func:`~kursk_sim.run.simulate`.
    store : str or Path, optional
        A folder where each finished chunk is written; the same call after
        an interruption runs only the missing chunks, with results
        bit-identical to an uninterrupted run. A folder holding another
        sweep is refused.

    Returns
    -------
    SweepResult
        Per point: means with standard errors, quantiles, event
        probabilities with intervals, event-date quantiles, paired
        differences, exports. Points whose chunk raised are run alone; those
        that still raise are in ``failures`` (a warning says so).

    Raises
    ------
    ScenarioError
        If a design value is out of range or names an unknown parameter.
    ValueError
        For bad arguments, a sweep too large to hold (the message gives the
        figure and what to change), or a store holding another sweep.

    Examples
    --------
    >>> import kursk_sim as ks
    >>> design = ks.grid({"kpa.second_wave.probability": [0.3, 1.0], "ru.replenishment.per_day": [600, 1200]})
    >>> res = ks.sweep(ks.load_scenario("kursk-2024"), design, replications=100, seed=1)
    >>> res.probability("ua_withdrawal", by="2025-03-31").dims, res.n_points
    (('point',), 4)
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(f"scenario: got {type(scenario).__name__}, expected a Scenario (see ks.load_scenario)")
    design = design if isinstance(design, Design) else Design(design)
    checked = design.check(scenario)
    replications = _whole("replications", replications, 1)
    chunk_size = _whole("chunk_size", chunk_size, 1)
    if workers is not None:
        workers = _whole("workers", workers, 1)
    days = _days(scenario, dates)
    n_points = len(design)
    if seed is None and store is not None:
        stored = SweepStore.stored_identity(store)
        if stored is not None:  # resume the stored sweep with its seed
            seed = np.random.SeedSequence(int(stored["seed"]["entropy"]), spawn_key=tuple(stored["seed"]["spawn_key"]))
    root = root_sequence(seed)
    plan = ChunkPlan(replications, chunk_size, root.entropy, tuple(root.spawn_key), sketch=False, points=n_points)
    if reference is not None:
        if isinstance(reference, bool) or not isinstance(reference, (int, np.integer)) or not 0 <= reference < n_points:
            raise ValueError(f"reference: got {reference!r}, expected a point index in 0..{n_points - 1} or None")
        if plan.point_groups > 1:
            raise ValueError(
                f"reference: got {reference}, but the {n_points:,} points do not fit in one chunk of {chunk_size:,} "
                "rows, so no point runs beside the reference; pass reference=None (or a larger chunk_size)"
            )
        reference = int(reference)
    quantile_days = _quantile_days(scenario, days, quantiles)
    events = event_names(scenario)
    n_c = len(scenario.contingent_ids)
    stats, _ = sweep_bytes(n_points, len(days), n_c, len(events), replications, False)
    _, sketch = sweep_bytes(n_points, len(quantile_days), n_c, 0, replications, True)
    if stats + sketch > MEMORY_BUDGET_BYTES:
        raise ValueError(
            f"sweep: {n_points:,} points x {len(days):,} dates ({len(quantile_days):,} with quantiles) need about "
            f"{(stats + sketch) / 2**30:.1f} GiB (at most {MEMORY_BUDGET_BYTES / 2**30:.0f} GiB); pass dates=[...] "
            "with fewer dates or quantiles=False"
        )
    reduction = PointReduction(tuple(days), n_c, n_points, tuple(quantile_days), reference)
    totals = PointTotals(reduction, events)
    keeper = None
    if store is not None:
        keeper = SweepStore(store, _identity(scenario, design, plan, reduction))
    merged = _PointMerged(plan, totals, keeper)
    done = keeper.load() if keeper is not None else {}
    for chunk, (results, failures) in sorted(done.items()):
        merged.take(chunk, results, failures)
    todo = [c for c in range(plan.n_chunks) if c not in done]
    bar = Progress(sum(map(plan.size, todo)), scenario.horizon_days, progress)
    try:
        execute(
            scenario,
            plan,
            list(extra_processes),
            workers=workers,
            executor=executor,
            progress=bar,
            inputs=Inputs(points=checked),
            merged=merged,
            chunks=todo,
            task=functools.partial(run_point_block, reduction=reduction),
        )
    finally:
        bar.close()
    result = SweepResult(
        scenario,
        design,
        replications=replications,
        seed=root,
        chunk_size=chunk_size,
        reduction=reduction,
        totals=totals,
        failures=sorted(merged.failures, key=lambda f: (f.chunk, f.points)),
    )
    if merged.rerun:
        warnings.warn(
            f"sweep: {len(merged.rerun)} chunk(s) raised and were run point by point (slower; the points' noise is "
            f"not the chunk's): first {merged.rerun[0]}",
            RuntimeWarning,
            stacklevel=2,
        )
    if result.failures:
        failed = sorted({j for f in result.failures for j in range(*f.points)})
        warnings.warn(
            f"sweep: {len(result.failures)} chunk(s) or point(s) raised; points {failed[:10]}"
            f"{' ...' if len(failed) > 10 else ''} are incomplete (first: {result.failures[0]}); see .failures",
            RuntimeWarning,
            stacklevel=2,
        )
    return result


def _days(scenario: Scenario, dates: Sequence[Any] | None) -> list[int]:
    """Row indices of the recorded dates, increasing and unique."""
    horizon = scenario.horizon_days
    if dates is None:
        return list(range(horizon + 1))
    try:
        wanted = np.atleast_1d(np.asarray(dates).astype("datetime64[D]"))
    except (ValueError, TypeError):
        raise ValueError(f"dates: got {dates!r}, expected dates (YYYY-MM-DD)") from None
    index = (wanted - np.datetime64(scenario.start_date, "D")).astype(int)
    bad = [str(d) for d, i in zip(wanted, index, strict=True) if not 0 <= i <= horizon]
    if bad or wanted.size == 0:
        raise ValueError(f"dates: got {bad or '[]'}, expected dates in {scenario.start_date}..{scenario.end_date}")
    return sorted(set(index.tolist()))


def _quantile_days(scenario: Scenario, days: list[int], quantiles: bool | Sequence[Any] | None) -> list[int]:
    """The recorded rows that keep quantile sketches."""
    if quantiles is None:
        start = np.datetime64(scenario.start_date, "D")
        dates = start + np.asarray(days)
        firsts = [d for d, date in zip(days, dates, strict=True) if str(date).endswith("-01")]
        return sorted({days[0], *firsts, days[-1]})
    if isinstance(quantiles, bool):
        return list(days) if quantiles else []
    wanted = _days(scenario, quantiles)
    missing = sorted(set(wanted) - set(days))
    if missing:
        start = np.datetime64(scenario.start_date, "D")
        raise ValueError(
            f"quantiles: got dates {[str(start + d) for d in missing]} that are not among the recorded dates="
        )
    return wanted


def _identity(scenario: Scenario, design: Design, plan: ChunkPlan, reduction: PointReduction) -> dict[str, Any]:
    from . import __version__

    return {
        "kursk_sim": __version__,
        "scenario": hashlib.sha256(scenario.to_toml().encode("utf-8")).hexdigest(),
        "scenario_name": scenario.name,
        "design": design.fingerprint(),
        "points": plan.points,
        "replications": plan.replications,
        "seed": {"entropy": str(plan.entropy), "spawn_key": list(plan.spawn_key)},
        "chunk_size": plan.chunk_size,
        "dates": list(reduction.days),
        "quantile_dates": list(reduction.quantile_days),
        "reference": reduction.reference,
    }


class _PointMerged:
    """Takes a sweep's blocks as they come back: stores each chunk at once, merges in chunk order."""

    def __init__(self, plan: ChunkPlan, totals: PointTotals, store: SweepStore | None) -> None:
        self.plan, self.totals, self.store = plan, totals, store
        self.failures: list[ChunkFailure] = []
        self.rerun: list[ChunkFailure] = []
        self._order = InChunkOrder(self._release)

    def add(self, block: PointBlock) -> None:
        self.rerun.extend(block.rerun)
        for chunk, results in zip(block.chunks, block.results, strict=True):
            failures = [f for f in block.failures if f.chunk == chunk]
            if self.store is not None:
                self.store.save(chunk, results, failures)
            self.take(chunk, results, failures)

    def take(self, chunk: int, results: list[PointChunk], failures: list[ChunkFailure]) -> None:
        """Merge one finished chunk (run now or loaded from the store)."""
        self.failures.extend(failures)
        self._order.put(chunk, results)

    def fail(self, failure: ChunkFailure) -> None:
        """A chunk lost for good (its worker died twice)."""
        self.failures.append(failure)
        self._order.lose(failure.chunk)

    def _release(self, chunk: int, results: list[PointChunk]) -> None:
        for part in results:
            self.totals.add(part)
