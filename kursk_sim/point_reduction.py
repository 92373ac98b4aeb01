"""A sweep's reductions, grouped by point: what each chunk keeps of its points, and their merge.

A sweep runs a design's points x ``R`` replications as the rows of ordinary
chunks (:class:`~kursk_sim.chunks.ChunkPlan` with ``points > 1``). Each
chunk is reduced as it finishes, in the process that ran it, to one
:class:`PointChunk` per group of points: for every recorded date and series
(strength, killed, ... per contingent, and area) each point's mean and sum
of squared deviations over the chunk's replications; the same for the
paired difference against a reference point when the reference runs in the
same chunk; histograms of event days on the recorded dates; and, if asked,
sparse quantile-sketch counts (:mod:`kursk_sim.sketch`). Nothing kept grows
with the number of replications (the sketch's counts are bounded by its
bins).

:class:`PointTotals` merges chunks in chunk order with Chan's pairwise
update of means and sums of squares, so the result does not depend on which
worker ran which chunk, and is stable for values that differ little (no
sum of squares minus square of sums over a whole run).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from .chunks import ChunkFailure, ChunkPlan, chunk_model, record_series, series_count
from .model import Model, Process
from .parameters import ChunkRows, Inputs
from .scenario import Scenario
from .sketch import N_BINS, QuantileSketch

__all__ = ["PointReduction", "PointChunk", "PointBlock", "PointTotals", "SparseCounts", "run_point_block"]


@dataclass(frozen=True)
class PointReduction:
    """What a sweep keeps of each point.

    Attributes
    ----------
    days : tuple of int
        The recorded rows (0 is the start state, ``d`` the state at 00:00
        of the start date + ``d``), increasing. Event histograms are binned
        on them: bin ``k`` counts events on days ``days[k-1] + 1 ..
        days[k]``, the last bin those after ``days[-1]`` or never.
    n_contingents : int
    n_points : int
    quantile_days : tuple of int
        The recorded rows (a subset of ``days``) on which chunks build
        quantile-sketch counts per point; empty for none.
    reference : int or None
        The point every other is paired against, when all points share
        each chunk (``None``: no pairing).
    """

    days: tuple[int, ...]
    n_contingents: int
    n_points: int
    quantile_days: tuple[int, ...] = ()
    reference: int | None = None

    @property
    def n_series(self) -> int:
        return series_count(self.n_contingents)

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(points, dates, series)`` of the merged statistics."""
        return self.n_points, len(self.days), self.n_series

    @property
    def quantiles(self) -> bool:
        """Whether quantile sketches are kept (on ``quantile_days``)."""
        return bool(self.quantile_days)


@dataclass
class PointChunk:
    """One chunk's reduction of a group of its points.

    ``mean`` and ``m2`` are ``(points, dates, series)``: the mean over the
    chunk's ``replications`` and the sum of squared deviations from it;
    ``diff_mean`` and ``diff_m2`` the same for the difference from the
    reference point (``None`` when it is not in the chunk). ``events`` and
    ``both`` are per event ``(points, dates + 1)`` histograms of the event's
    day, and of the later of the point's and the reference's days (both
    happened by then).
    """

    chunk: int
    points: tuple[int, int]
    replications: int
    mean: NDArray[np.float64]
    m2: NDArray[np.float64]
    events: dict[str, NDArray[np.int64]]
    diff_mean: NDArray[np.float64] | None = None
    diff_m2: NDArray[np.float64] | None = None
    both: dict[str, NDArray[np.int64]] | None = None
    sketch: tuple[NDArray[np.unsignedinteger], NDArray[np.unsignedinteger]] | None = None
    alone: bool = False  # the chunk failed and this point was run again on its own


@dataclass
class PointBlock:
    """What a worker sends back for consecutive chunks: their reductions and failures."""

    first: int
    chunks: list[int] = field(default_factory=list)
    results: list[list[PointChunk]] = field(default_factory=list)
    failures: list[ChunkFailure] = field(default_factory=list)
    rerun: list[ChunkFailure] = field(default_factory=list)  # chunks that raised and were run point by point


class PointRecorder:
    """A model recorder reducing a chunk's state, point by point, on the recorded days."""

    def __init__(self, reduction: PointReduction, rows: ChunkRows, chunk: int) -> None:
        self.reduction, self.rows, self.chunk = reduction, rows, chunk
        s, p, r = reduction.n_series, rows.n_points, rows.n_replications
        d = len(reduction.days)
        self.slot = {day: k for k, day in enumerate(reduction.days)}
        self.quantile_slot = {day: k for k, day in enumerate(reduction.quantile_days)}
        self.values = np.empty((s, rows.n))
        self.mean = np.empty((p, d, s))
        self.m2 = np.empty((p, d, s))
        ref = reduction.reference
        self.ref_local = ref - rows.points[0] if ref is not None and rows.points[0] <= ref < rows.points[1] else None
        self.diff_mean = np.empty((p, d, s)) if self.ref_local is not None else None
        self.diff_m2 = np.empty((p, d, s)) if self.ref_local is not None else None
        self.keys = np.empty((p * s, r), dtype=np.int64) if reduction.quantile_days else None
        self._index: list[NDArray[np.unsignedinteger]] = []
        self._counts: list[NDArray[np.unsignedinteger]] = []

    def __call__(self, model: Model, row: int) -> None:
        k = self.slot.get(row)
        if k is None:
            return
        red, rows = self.reduction, self.rows
        s, p, r = red.n_series, rows.n_points, rows.n_replications
        v = self.values
        record_series(v, model.state, red.n_contingents)
        v3 = v.reshape(s, p, r)
        # raw moments, three passes: exact for whole troops while r * x**2 < 2**53 (x up to about 700,000 in
        # a chunk of 16,384 replications); fractional values (area, mean-field runs) lose only the rounding
        # of the last bits of the sum of squares
        s1 = v3.sum(axis=2)
        s2 = np.einsum("spr,spr->sp", v3, v3)
        self.mean[:, k] = (s1 / r).T
        self.m2[:, k] = _m2(s1, s2, r).T
        if self.ref_local is not None:
            i = self.ref_local
            cross = np.einsum("spr,sr->sp", v3, v3[:, i])
            d1 = s1 - s1[:, i : i + 1]  # sums of the differences from the reference
            d2 = s2 + s2[:, i : i + 1] - 2.0 * cross  # and of their squares
            self.diff_mean[:, k] = (d1 / r).T
            self.diff_m2[:, k] = _m2(d1, d2, r).T
        q = self.quantile_slot.get(row)
        if q is not None and self.keys is not None:
            by_point = np.ascontiguousarray(v3.transpose(1, 0, 2)).reshape(p * s, r)
            QuantileSketch.keys_into(self.keys, by_point)
            first_row = (q * red.n_points + rows.points[0]) * s
            index, counts = QuantileSketch.count_keys(first_row, self.keys)
            self._index.append(index.astype(np.uint64))
            self._counts.append(counts.astype(np.uint32))

    def finish(self, model: Model, alone: bool = False) -> PointChunk:
        """The chunk's reduction, once the model has run."""
        rows, red = self.rows, self.reduction
        p, r = rows.n_points, rows.n_replications
        grid = np.asarray(red.days)
        events, both = {}, ({} if self.ref_local is not None else None)
        for name, days in model.state.events.items():
            events[name] = _binned(days, grid, p)
            if both is not None:
                ref = days.reshape(p, r)[self.ref_local]
                later = np.maximum(days.reshape(p, r), ref)
                later[(days.reshape(p, r) < 0) | (ref < 0)] = -1
                both[name] = _binned(later.ravel(), grid, p)
        sketch = None
        if self.keys is not None:
            sketch = (np.concatenate(self._index), np.concatenate(self._counts))
        return PointChunk(
            self.chunk, rows.points, r, self.mean, self.m2, events, self.diff_mean, self.diff_m2, both, sketch, alone
        )


def _m2(s1: NDArray[np.float64], s2: NDArray[np.float64], n: int) -> NDArray[np.float64]:
    """Sum of squared deviations from the sum and the sum of squares of ``n`` values (never below 0)."""
    m2 = s2 - s1 * s1 / n
    return np.maximum(m2, 0.0, out=m2)


def _binned(days: NDArray[np.int64], grid: NDArray[np.int64], points: int) -> NDArray[np.int64]:
    """Per point (rows point-major), how many event days fall in each bin of ``grid`` (last bin: after it or never)."""
    d = grid.size
    bins = np.searchsorted(grid, days, side="left")
    bins[days < 0] = d
    key = np.repeat(np.arange(points), days.size // points) * (d + 1) + bins
    return np.bincount(key, minlength=points * (d + 1)).reshape(points, d + 1)


def run_point_block(
    scenario: Scenario,
    plan: ChunkPlan,
    first: int,
    stop: int,
    extra_processes: Sequence[Process] = (),
    inputs: Inputs | None = None,
    reduction: PointReduction | None = None,
) -> PointBlock:
    """Run chunks ``first .. stop - 1`` of a sweep and reduce them by point.

    A chunk that raises is run again point by point (the same replications
    and streams): the points that run alone are kept (``alone=True``: their
    noise draws differ from the chunk's, and they are not paired), those
    that fail alone are recorded in ``failures`` with the chunk's seed.
    """
    assert reduction is not None
    out = PointBlock(first)
    for chunk in range(first, stop):
        try:
            results = [_run(scenario, plan, chunk, extra_processes, inputs, reduction, None)]
        except Exception as exc:  # noqa: BLE001 - each point is tried alone below
            results = []
            rows = plan.rows(chunk)
            out.rerun.append(ChunkFailure.of(plan, chunk, exc))
            for j in range(*rows.points):
                one = ChunkRows((j, j + 1), rows.replications)
                try:
                    results.append(_run(scenario, plan, chunk, extra_processes, inputs, reduction, one))
                except Exception as exc:  # noqa: BLE001 - recorded, named and reported by the caller
                    out.failures.append(ChunkFailure.of(plan, chunk, exc, (j, j + 1)))
        out.chunks.append(chunk)
        out.results.append(results)
    return out


def _run(
    scenario: Scenario,
    plan: ChunkPlan,
    chunk: int,
    extra: Sequence[Process],
    inputs: Inputs | None,
    reduction: PointReduction,
    rows: ChunkRows | None,
) -> PointChunk:
    rows = plan.rows(chunk) if rows is None else rows
    alone = rows != plan.rows(chunk)
    red = dataclasses.replace(reduction, reference=None) if alone else reduction
    recorder = PointRecorder(red, rows, chunk)
    model = chunk_model(scenario, plan, chunk, extra, inputs, [recorder], rows)
    model.run()
    return recorder.finish(model, alone)


class SparseCounts:
    """Sparse histogram counts over many rows of :data:`~kursk_sim.sketch.N_BINS` bins, added by flat index.

    Appended pieces are merged (sorted, duplicates summed) once they
    outgrow what is merged, so memory follows the number of non-empty bins.
    """

    def __init__(self) -> None:
        self.index = np.empty(0, dtype=np.uint64)
        self.counts = np.empty(0, dtype=np.uint64)
        self._pending: list[tuple[NDArray[np.uint64], NDArray[np.uint64]]] = []
        self._pending_size = 0

    def add(self, index: NDArray[np.unsignedinteger], counts: NDArray[np.unsignedinteger]) -> None:
        self._pending.append((index.astype(np.uint64), counts.astype(np.uint64)))
        self._pending_size += index.size
        if self._pending_size > max(self.index.size, 1 << 20):
            self.compact()

    def compact(self) -> None:
        """Merge the appended pieces into the sorted arrays."""
        if not self._pending:
            return
        index = np.concatenate([self.index, *(i for i, _ in self._pending)])
        counts = np.concatenate([self.counts, *(c for _, c in self._pending)])
        order = np.argsort(index, kind="stable")
        index, counts = index[order], counts[order]
        starts = np.flatnonzero(np.concatenate([[True], index[1:] != index[:-1]]))
        self.index, self.counts = index[starts], np.add.reduceat(counts, starts)
        self._pending, self._pending_size = [], 0

    def rows(self, rows: NDArray[np.integer]) -> NDArray[np.uint64]:
        """Dense counts ``(len(rows), N_BINS)`` of the chosen rows."""
        self.compact()
        rows = np.asarray(rows, dtype=np.uint64).ravel()
        out = np.zeros((rows.size, N_BINS), dtype=np.uint64)
        lo = np.searchsorted(self.index, rows * np.uint64(N_BINS))
        hi = np.searchsorted(self.index, (rows + np.uint64(1)) * np.uint64(N_BINS))
        for i, (a, b) in enumerate(zip(lo.tolist(), hi.tolist(), strict=True)):
            out[i, (self.index[a:b] - rows[i] * np.uint64(N_BINS)).astype(np.intp)] = self.counts[a:b]
        return out

    @property
    def nbytes(self) -> int:
        return self.index.nbytes + self.counts.nbytes + sum(i.nbytes + c.nbytes for i, c in self._pending)


class PointTotals:
    """A sweep's per-point statistics, merged chunk by chunk (in chunk order, for reproducible sums)."""

    def __init__(self, reduction: PointReduction, event_names: Sequence[str]) -> None:
        self.reduction = reduction
        p, d, s = reduction.shape
        self.count = np.zeros(p, dtype=np.int64)
        self.mean = np.zeros((p, d, s))
        self.m2 = np.zeros((p, d, s))
        self.diff_count = np.zeros(p, dtype=np.int64)
        self.diff_mean = np.zeros((p, d, s))
        self.diff_m2 = np.zeros((p, d, s))
        self.events = {name: np.zeros((p, d + 1), dtype=np.int64) for name in event_names}
        self.both = {name: np.zeros((p, d + 1), dtype=np.int64) for name in event_names}
        self.alone = np.zeros(p, dtype=bool)
        self.sketch = SparseCounts() if reduction.quantiles else None

    def add(self, part: PointChunk) -> None:
        """Merge one chunk's reduction of some points."""
        sl = slice(*part.points)
        _chan(self.count[sl], self.mean[sl], self.m2[sl], part.replications, part.mean, part.m2)
        if part.diff_mean is not None:
            _chan(
                self.diff_count[sl],
                self.diff_mean[sl],
                self.diff_m2[sl],
                part.replications,
                part.diff_mean,
                part.diff_m2,
            )
        self.count[sl] += part.replications
        if part.diff_mean is not None:
            self.diff_count[sl] += part.replications
        for name, hist in part.events.items():
            self.events[name][sl] += hist
        for name, hist in (part.both or {}).items():
            self.both[name][sl] += hist
        self.alone[sl] |= part.alone
        if self.sketch is not None and part.sketch is not None:
            self.sketch.add(*part.sketch)


def _chan(
    count: NDArray[np.int64],
    mean: NDArray[np.float64],
    m2: NDArray[np.float64],
    n_b: int,
    mean_b: NDArray[np.float64],
    m2_b: NDArray[np.float64],
) -> None:
    """Chan et al.'s update of (mean, m2) over ``count`` values by ``n_b`` more, in place (count not changed)."""
    n_a = count[:, None, None].astype(float)
    n = n_a + n_b
    delta = mean_b - mean
    mean += delta * (n_b / n)
    m2 += m2_b + delta * delta * (n_a * n_b / n)
