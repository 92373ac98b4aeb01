"""Running a plan's chunks: in this process, on local processes, or on any executor.

Nothing here schedules work itself. Chunks are grouped into blocks of
consecutive chunks; blocks go to ``executor.submit`` (any object with the
:mod:`concurrent.futures` interface, or a ``dask.distributed.Client``), at
most a few per worker at a time so memory stays bounded, and their results
are merged in chunk order as they come back, so the merged result is the
same whichever executor ran them.

A block that raises or whose worker dies loses only itself: its chunks are
run again one by one (on a fresh pool when the pool was ours and broke), the
chunks that fail again are reported with their seeds, and every other
chunk's results are kept.
"""

from __future__ import annotations

import math
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np
from numpy.typing import NDArray

from .chunks import BlockResult, ChunkFailure, ChunkPlan, run_block, series_count
from .model import Process
from .parameters import Inputs
from .scenario import Scenario
from .sketch import QuantileSketch

__all__ = ["InChunkOrder", "Merged", "Progress", "execute", "SimulationError"]

#: Largest block of chunks sent to a worker at once.
MAX_CHUNKS_PER_BLOCK = 16
#: Largest number of replications in a block: a worker holds a block's
#: reduced chunks (about 7 MB per 16,384 replications of the default
#: scenario) until the block is sent back.
MAX_REPLICATIONS_PER_BLOCK = 32_768
#: Blocks per worker aimed for (more: better balance; fewer: less traffic).
BLOCKS_PER_WORKER = 4


class SimulationError(RuntimeError):
    """Some chunks of a run failed; the others were kept.

    Attributes
    ----------
    failures : list of ChunkFailure
        Each failed chunk, its replications, its seed and the error (with
        the worker's traceback in ``details`` when there was one). Re-run a
        chunk alone with :func:`kursk_sim.chunks.run_chunk`.
    partial : Ensemble or None
        The results of every chunk that finished.
    plan : ChunkPlan or None
        How the run was cut and seeded: ``run_chunk(scenario, err.plan,
        err.failures[0].chunk, extra_processes)`` re-runs the first failed
        chunk alone, in this process, and raises its error again.
    """

    def __init__(self, failures: list[ChunkFailure], partial: Any = None, plan: ChunkPlan | None = None) -> None:
        self.failures = failures
        self.partial = partial
        self.plan = plan
        first = failures[0]
        more = f" (and {len(failures) - 1} more chunks)" if len(failures) > 1 else ""
        if partial is not None:
            rest = "; the other chunks finished and are in .partial"
        else:
            rest = "; no chunk finished, so .partial is None"
        super().__init__(f"{first}{more}{rest}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (SimulationError, (self.failures, self.partial, self.plan))


class Progress:
    """A one-line progress report on a terminal stream.

    Parameters
    ----------
    total : int
        Replications to run.
    days : int
        Days per replication (for the replication-days/s figure).
    enabled : bool or None
        ``None``: on when ``stream`` is a terminal.
    """

    def __init__(self, total: int, days: int, enabled: bool | None = None, stream: TextIO | None = None) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.enabled = bool(self.stream.isatty()) if enabled is None else enabled
        self.total, self.days, self.done = total, days, 0
        self.started = time.perf_counter()
        self._shown = 0.0

    def update(self, replications: int) -> None:
        """Count ``replications`` more as finished."""
        self.done += replications
        now = time.perf_counter()
        if self.enabled and (now - self._shown > 0.25 or self.done >= self.total):
            self._shown = now
            elapsed = max(now - self.started, 1e-9)
            rate = self.done * self.days / elapsed
            left = (self.total - self.done) * elapsed / max(self.done, 1)
            self.stream.write(
                f"\rkursk-sim: {self.done / self.total:4.0%} {self.done:,}/{self.total:,} replications, "
                f"{rate:,.0f} replication-days/s, {left:,.0f} s left   "
            )
            self.stream.flush()

    def close(self) -> None:
        """End the line."""
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


class InChunkOrder:
    """Hands each chunk's result to ``release(chunk, result)`` in chunk order, as soon as every earlier chunk
    has come or been lost: sums then add up in the same order whichever worker finished first."""

    def __init__(self, release: Callable[[int, Any], None]) -> None:
        self.release = release
        self._pending: dict[int, Any] = {}
        self._lost: set[int] = set()
        self._next = 0

    def put(self, chunk: int, result: Any) -> None:
        """A chunk's result has come."""
        self._pending[chunk] = result
        self._drain()

    def lose(self, chunk: int) -> None:
        """A chunk will not come."""
        self._lost.add(chunk)
        self._drain()

    def _drain(self) -> None:
        while True:
            if self._next in self._lost:
                self._next += 1
            elif self._next in self._pending:
                self.release(self._next, self._pending.pop(self._next))
                self._next += 1
            else:
                return


class Merged:
    """The results of a plan's chunks, merged in chunk order."""

    def __init__(self, scenario: Scenario, plan: ChunkPlan) -> None:
        self.plan = plan
        self.rows = scenario.horizon_days + 1
        n_series = series_count(len(scenario.contingent_ids), plan.outputs)
        self.sums = np.zeros((self.rows, n_series))
        self.sketch = QuantileSketch(self.rows * n_series) if plan.sketch else None
        self.events: dict[str, NDArray[np.int64]] = {}
        self.kept: dict[str, list[NDArray[Any]]] = {}
        self.chunks: list[int] = []
        self.failures: list[ChunkFailure] = []
        self._order = InChunkOrder(self._release)

    @property
    def replications(self) -> int:
        """Replications merged so far."""
        return sum(map(self.plan.size, self.chunks))

    def add(self, block: BlockResult) -> None:
        """Merge a block: counts now, sums and kept trajectories in chunk order."""
        if self.sketch is not None:
            for index, counts in block.sketches:
                self.sketch.add_sparse(index, counts)
        for name, hist in block.events.items():
            self.events[name] = self.events.get(name, 0) + hist
        kept_offset = 0
        for chunk, sums in zip(block.chunks, block.sums, strict=True):
            lo, hi = self.plan.bounds(chunk)
            k = max(0, min(self.plan.keep, hi) - lo)
            mine = {name: arrs[kept_offset] for name, arrs in block.kept.items()} if k else {}
            kept_offset += 1 if k else 0
            self.chunks.append(chunk)
            self._order.put(chunk, (sums, mine))
        for failure in block.failures:
            self.fail(failure)

    def fail(self, failure: ChunkFailure) -> None:
        """Record a chunk that did not finish."""
        self.failures.append(failure)
        self._order.lose(failure.chunk)

    def _release(self, chunk: int, result: tuple[NDArray[np.float64], dict[str, NDArray[Any]]]) -> None:
        sums, mine = result
        self.sums += sums
        for name, arr in mine.items():
            self.kept.setdefault(name, []).append(arr)


def _width(executor: Any) -> int:
    """How many tasks the executor runs at once (best guess)."""
    n = getattr(executor, "_max_workers", None)
    if isinstance(n, int) and n > 0:
        return n
    ncores = getattr(executor, "ncores", None)  # dask.distributed.Client
    if callable(ncores):
        try:
            return max(1, sum(ncores().values()))
        except Exception:  # noqa: BLE001 - a guess only
            pass
    return os.cpu_count() or 1


def _blocks(plan: ChunkPlan, width: int, chunks: Sequence[int]) -> list[tuple[int, int]]:
    """Blocks ``(first, stop)`` of consecutive chunks among ``chunks``, a few per worker."""
    per = min(
        MAX_CHUNKS_PER_BLOCK,
        MAX_REPLICATIONS_PER_BLOCK // plan.chunk_size,
        math.ceil(len(chunks) / (BLOCKS_PER_WORKER * width)),
    )
    per = max(1, per)
    out: list[tuple[int, int]] = []
    for chunk in chunks:
        if out and out[-1][1] == chunk and out[-1][1] - out[-1][0] < per:
            out[-1] = (out[-1][0], chunk + 1)
        else:
            out.append((chunk, chunk + 1))
    return out


@dataclass(frozen=True)
class _Job:
    """What every block of a run shares."""

    scenario: Scenario
    plan: ChunkPlan
    extra: tuple[Process, ...]
    inputs: Inputs
    task: Callable[..., Any]
    chunks: list[int]

    def submit(self, executor: Any, first: int, stop: int) -> Any:
        return executor.submit(self.task, *self.args(first, stop))

    def args(self, first: int, stop: int) -> tuple[Any, ...]:
        """The task's arguments for a block: only the part of the inputs its chunks use."""
        part = self.inputs.window(*self.plan.window(first, stop))
        return self.scenario, self.plan, first, stop, self.extra, part


def execute(
    scenario: Scenario,
    plan: ChunkPlan,
    extra_processes: Sequence[Process] = (),
    *,
    workers: int | None = None,
    executor: Any = None,
    progress: Progress | None = None,
    inputs: Inputs | None = None,
    merged: Any = None,
    chunks: Sequence[int] | None = None,
    task: Callable[..., Any] = run_block,
) -> Any:
    """Run the chunks of ``plan`` and merge the results (failures recorded, not raised).

    Parameters
    ----------
    merged : optional
        What takes the results: ``add(block)`` for each block of chunks that
        comes back, ``fail(failure)`` for a chunk lost for good. Default: a
        :class:`Merged` (the reductions of :func:`~kursk_sim.chunks.run_block`).
    chunks : sequence of int, optional
        The chunks to run, increasing (default: all of them); a resumed
        sweep runs only those it does not have yet.
    task : callable
        ``task(scenario, plan, first, stop, extra_processes, inputs)`` runs
        and reduces chunks ``first .. stop - 1`` (module level: it is sent
        to workers).

    Each block of chunks is sent only the part of ``inputs`` (values set per
    point or per replication) that its chunks use.
    """
    merged = Merged(scenario, plan) if merged is None else merged
    extra = tuple(extra_processes)
    inputs = inputs or Inputs()
    todo = list(range(plan.n_chunks)) if chunks is None else list(chunks)

    def tick(reps: int) -> None:
        if progress is not None:
            progress.update(reps)

    if executor is None and (workers is None or workers == 1):
        for chunk in todo:  # merged as each finishes: memory does not grow with the run
            merged.add(task(scenario, plan, chunk, chunk + 1, extra, inputs))
            tick(plan.size(chunk))
        return merged
    job = _Job(scenario, plan, extra, inputs, task, todo)
    if executor is not None:
        _run_on(executor, job, merged, tick, retry=_retry_on(executor))
        return merged
    pool = _OwnPool(int(workers or 1))
    try:
        _run_on(pool, job, merged, tick, retry=pool.retry)
    except KeyboardInterrupt:  # stop now: the workers are ours, their chunks are abandoned
        pool.kill()
        raise
    pool.shutdown()
    return merged


class _OwnPool:
    """A process pool we own: replaced by a fresh one if a worker dies."""

    def __init__(self, workers: int) -> None:
        self._max_workers = workers
        self.pool = ProcessPoolExecutor(max_workers=workers, initializer=_ignore_interrupts)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return self.pool.submit(fn, *args)
        except BrokenProcessPool:
            self.renew()
            return self.pool.submit(fn, *args)

    def renew(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = ProcessPoolExecutor(max_workers=self._max_workers, initializer=_ignore_interrupts)

    def retry(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run one task alone on a fresh pool (so a dying chunk cannot take others with it)."""
        self.renew()
        return self.pool.submit(fn, *args).result()

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def kill(self) -> None:
        """Stop at once: terminate the workers (Ctrl-C), without waiting for their chunks."""
        processes = list(getattr(self.pool, "_processes", {}).values())  # no public way to reach them
        # the queue feeding the workers may hold tasks no one will read once they are gone: its feeder thread
        # must not be joined at exit (the interpreter would wait for it for ever after "interrupted")
        call_queue = getattr(self.pool, "_call_queue", None)
        if call_queue is not None:
            call_queue.cancel_join_thread()
        self.pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=1.0)


def _ignore_interrupts() -> None:
    """Workers of our own pool ignore Ctrl-C: the main process stops them (no traceback from each)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _retry_on(executor: Any) -> Callable[..., Any]:
    def retry(fn: Callable[..., Any], *args: Any) -> Any:
        return executor.submit(fn, *args).result()

    return retry


def _run_on(
    executor: Any,
    job: _Job,
    merged: Any,
    tick: Callable[[int], None],
    retry: Callable[..., Any],
) -> None:
    width = _width(executor)
    window = 2 * width
    in_flight: deque[tuple[int, int, Any]] = deque()
    lost: list[int] = []  # chunks of blocks that raised or whose worker died

    plan = job.plan

    def absorb(block: Any) -> None:
        merged.add(block)
        tick(sum(map(plan.size, block.chunks)))

    def collect() -> None:
        first, stop, future = in_flight.popleft()
        try:
            block = future.result()
        except BaseException as exc:  # noqa: BLE001 - the worker died or the task could not run
            if isinstance(exc, KeyboardInterrupt):
                raise
            lost.extend(range(first, stop))
            return
        absorb(block)

    for first, stop in _blocks(plan, width, job.chunks):
        try:
            future = job.submit(executor, first, stop)
        except Exception:  # an executor that cannot take work any more (a broken process pool of the user's)
            lost.extend(range(first, stop))
            continue
        in_flight.append((first, stop, future))
        while len(in_flight) >= window:
            collect()
    while in_flight:
        collect()
    for chunk in lost:  # one by one, alone: the ones that fail again are reported
        try:
            block = retry(job.task, *job.args(chunk, chunk + 1))
        except BaseException as exc:  # noqa: BLE001
            if isinstance(exc, KeyboardInterrupt):
                raise
            merged.fail(ChunkFailure.of(plan, chunk, exc))
            continue
        absorb(block)
