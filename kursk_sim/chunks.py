"""Chunks of replications: how a run is cut, seeded, run and reduced.

A run of ``replications`` of each of ``points`` scenario points (one, for
:func:`~kursk_sim.run.simulate`; a design's, for a sweep) is cut into
chunks of at most ``chunk_size`` rows. A chunk holds a range of
replications of a group of points, point by point: every point of the group
with the same replications, so replication ``r`` of each point draws the
same parameter values, waves and hazards (see :mod:`kursk_sim.streams`). A
run of one point has chunk ``i`` cover replications
``i * chunk_size .. min((i + 1) * chunk_size, replications)``. Every random
number of a chunk comes from streams derived from the run's
:class:`numpy.random.SeedSequence`, the chunk's index or its replications,
and a purpose, so a chunk is reproducible on its own (:func:`run_chunk`),
wherever it runs.

Each chunk is reduced as it finishes, inside the process that ran it, to a
:class:`BlockResult`: per-chunk sums of every output (for means), a
:class:`~kursk_sim.sketch.QuantileSketch` of every output and day, exact
histograms of event days, and the daily trajectories of the replications
the caller asked to keep. Merging adds integer counts and adds the sums
chunk by chunk in chunk order, so a run's results do not depend on how its
chunks were grouped or on which worker ran them.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .model import Model, Process, default_processes
from .parameters import ChunkRows, Inputs, assemble, sample_values
from .rules import OUTPUTS
from .scenario import Scenario
from .sketch import QuantileSketch
from .streams import ChunkStreams

__all__ = [
    "ChunkPlan",
    "ChunkFailure",
    "BlockResult",
    "ALL_OUTPUTS",
    "SERIES",
    "FRONT_SERIES",
    "KEPT_SERIES",
    "chunk_model",
    "record_series",
    "recorded_outputs",
    "run_block",
    "run_chunk",
    "series_columns",
    "series_count",
]

#: Outputs of each contingent recorded per day, in the order of the sketch's series (:data:`kursk_sim.rules.OUTPUTS`).
SERIES = tuple(name for name, o in OUTPUTS.items() if o.per_contingent)
#: Outputs of the front (one value per replication), recorded after :data:`SERIES`.
FRONT_SERIES = tuple(name for name, o in OUTPUTS.items() if not o.per_contingent)
#: Outputs stored with kept trajectories: those that are not sums of others.
KEPT_SERIES = tuple(name for name, o in OUTPUTS.items() if not o.sum_of)
#: The exact end state kept per kept replication.
FINAL_NAMES = (
    "initial",
    "strength",
    "killed",
    "wounded",
    "missing",
    "arrived",
    "returned",
    "departed",
    "recovering",
)


#: Every output, in the order of the registry (:data:`kursk_sim.rules.OUTPUTS`): what a run records by default.
ALL_OUTPUTS = tuple(OUTPUTS)


def recorded_outputs(asked: Iterable[str] | str | None) -> tuple[str, ...]:
    """The outputs a run records when ``asked`` for some: those asked and the parts of any sum among them.

    ``None`` asks for all (:data:`ALL_OUTPUTS`). The result is in registry order, so the same outputs asked
    in any order give the same layout.

    Raises
    ------
    ValueError
        If ``asked`` is empty or names no output.

    Examples
    --------
    >>> recorded_outputs(["area", "strength"])
    ('strength', 'area')
    >>> recorded_outputs("casualties")
    ('killed', 'wounded', 'missing', 'casualties')
    """
    if asked is None:
        return ALL_OUTPUTS
    names = (asked,) if isinstance(asked, str) else tuple(asked) if isinstance(asked, Iterable) else None
    if names is None or not names or not all(isinstance(n, str) and n in OUTPUTS for n in names):
        bad = asked if names is None or not names else [n for n in names if not (isinstance(n, str) and n in OUTPUTS)]
        raise ValueError(f"outputs: got {bad!r}, expected one or more of {', '.join(ALL_OUTPUTS)}")
    needed = set(names)
    for name in names:
        needed.update(OUTPUTS[name].sum_of or ())
    return tuple(name for name in ALL_OUTPUTS if name in needed)


@functools.cache
def _layout(n_contingents: int, outputs: tuple[str, ...]) -> dict[str, slice]:
    """Columns of each recorded output: each per-contingent output's ``n_contingents``, then the front's."""
    columns = {}
    start = 0
    for per_contingent in (True, False):
        for name in outputs:
            if OUTPUTS[name].per_contingent == per_contingent:
                width = n_contingents if per_contingent else 1
                columns[name] = slice(start, start + width)
                start += width
    return columns


def series_count(n_contingents: int, outputs: tuple[str, ...] = ALL_OUTPUTS) -> int:
    """Number of recorded series: each recorded output of :data:`SERIES` per contingent, then those of the front."""
    return sum(n_contingents if OUTPUTS[name].per_contingent else 1 for name in outputs)


def series_columns(name: str, n_contingents: int, outputs: tuple[str, ...] = ALL_OUTPUTS) -> slice:
    """Columns of output ``name`` among the recorded series (the one layout sums and sketch share).

    ``outputs``: those the run recorded (:func:`recorded_outputs`; default all).

    Examples
    --------
    >>> series_columns("killed", 3), series_columns("area", 3)
    (slice(3, 6, None), slice(15, 16, None))
    >>> series_columns("area", 3, ("strength", "area"))
    slice(3, 4, None)
    """
    return _layout(n_contingents, outputs)[name]


@dataclass(frozen=True)
class ChunkPlan:
    """How a run is cut into chunks and how each chunk is seeded.

    Parameters
    ----------
    replications : int
        Replications of each point.
    chunk_size : int
        Most rows in a chunk.
    entropy, spawn_key
        Of the run's root :class:`numpy.random.SeedSequence`.
    keep : int
        The first ``keep`` replications keep their daily trajectories (runs
        of one point).
    sketch : bool
        Whether chunks build quantile sketches (needed unless every
        replication is kept).
    points : int
        Scenario points (rows of a design); 1 for a plain run.
    outputs : tuple of str
        The outputs recorded (:func:`recorded_outputs`; default all).

    Examples
    --------
    >>> plan = ChunkPlan(10_000, 4096, entropy=1)
    >>> plan.n_chunks, plan.bounds(2)
    (3, (8192, 10000))
    >>> sweep = ChunkPlan(1000, 4096, entropy=1, points=10)
    >>> sweep.n_chunks, sweep.rows(1)
    (3, ChunkRows(points=(0, 10), replications=(409, 818)))
    """

    replications: int
    chunk_size: int
    entropy: int | tuple[int, ...]
    spawn_key: tuple[int, ...] = ()
    keep: int = 0
    sketch: bool = True
    points: int = 1
    outputs: tuple[str, ...] = ALL_OUTPUTS

    @property
    def replications_per_chunk(self) -> int:
        """Replications of each point in a chunk (the last range may be shorter)."""
        return max(1, min(self.replications, self.chunk_size // self.points))

    @property
    def points_per_chunk(self) -> int:
        """Points in a chunk (all of them unless there are more points than rows in a chunk)."""
        return min(self.points, max(1, self.chunk_size // self.replications_per_chunk))

    @property
    def point_groups(self) -> int:
        """Groups of points, each run in its own chunks."""
        return -(-self.points // self.points_per_chunk)

    @property
    def n_chunks(self) -> int:
        """Number of chunks."""
        return -(-self.replications // self.replications_per_chunk) * self.point_groups

    @property
    def root(self) -> np.random.SeedSequence:
        """The run's seed."""
        return np.random.SeedSequence(self.entropy, spawn_key=self.spawn_key)

    def span(self, chunk: int) -> int:
        """The range of replications ``chunk`` covers (its index among them): chunks of the same span hold the
        same replications of other points and share their noise streams."""
        return chunk // self.point_groups

    def rows(self, chunk: int) -> ChunkRows:
        """The points and replications of ``chunk`` (replication ranges outer, point groups inner)."""
        span, group = divmod(chunk, self.point_groups)
        r0, j0 = span * self.replications_per_chunk, group * self.points_per_chunk
        return ChunkRows(
            (j0, min(j0 + self.points_per_chunk, self.points)),
            (r0, min(r0 + self.replications_per_chunk, self.replications)),
        )

    def bounds(self, chunk: int) -> tuple[int, int]:
        """First and one-past-last replication of ``chunk``."""
        return self.rows(chunk).replications

    def size(self, chunk: int) -> int:
        """Rows of ``chunk``."""
        return self.rows(chunk).n

    def window(self, first: int, stop: int) -> tuple[tuple[int, int], tuple[int, int]]:
        """The points and the replications chunks ``first .. stop - 1`` cover together."""
        rows = [self.rows(c) for c in (first, stop - 1)]
        if stop - first >= self.point_groups:  # the block wraps around the point groups
            points = (0, self.points)
        else:
            points = (min(r.points[0] for r in rows), max(r.points[1] for r in rows))
        return points, (rows[0].replications[0], rows[1].replications[1])

    def describe_seed(self, chunk: int) -> str:
        """The chunk's seed as Python: the run's seed and the chunk's index."""
        return f"chunk {chunk} of SeedSequence({self.entropy!r}, spawn_key={self.spawn_key!r})"


@dataclass
class ChunkFailure:
    """A chunk that raised (or whose worker died): where, with which seed, and why."""

    chunk: int
    replications: tuple[int, int]
    seed: str
    error: str
    details: str = ""
    points: tuple[int, int] = (0, 1)

    @classmethod
    def of(cls, plan: ChunkPlan, chunk: int, exc: BaseException, points: tuple[int, int] | None = None) -> ChunkFailure:
        """The failure of ``chunk`` (or of some of its ``points``), raised as ``exc``; call it in the ``except``."""
        valid = 0 <= chunk < plan.n_chunks
        return cls(
            chunk,
            plan.bounds(chunk) if valid else (0, 0),
            plan.describe_seed(chunk),
            f"{type(exc).__name__}: {exc}",
            traceback.format_exc(),
            points if points is not None else plan.rows(chunk).points if valid else (0, 1),
        )

    def __str__(self) -> str:
        lo, hi = self.replications
        where = f"replications {lo}..{hi - 1}"
        if self.points != (0, 1):
            where += f" of points {self.points[0]}..{self.points[1] - 1}"
        return f"chunk {self.chunk} ({where}, seed {self.seed}): {self.error}"


@dataclass
class BlockResult:
    """The reduced results of consecutive chunks ``first .. first + len(sums) - 1``.

    Attributes
    ----------
    first : int
        Index of the first chunk.
    chunks : list of int
        Chunks that finished (failed ones are in ``failures``).
    sums : list of ndarray
        Per finished chunk, the sum over its replications of every series,
        ``(days + 1, series)`` float64, in chunk order.
    sketches : list of (index, counts)
        Per finished chunk, its quantile-sketch counts, sparse (see
        :meth:`~kursk_sim.sketch.QuantileSketch.to_sparse`); empty when the
        plan keeps every replication.
    events : dict of str to ndarray
        Per event, how many replications had it on each day; the last bin
        counts those without it.
    kept : dict of str to ndarray
        Trajectories of the kept replications, ``(kept, days + 1, C)`` (area
        ``(kept, days + 1)``) float32, plus ``final.<name>`` exact end
        states and ``event.<name>`` day indices (-1: never).
    failures : list of ChunkFailure
    """

    first: int
    chunks: list[int] = field(default_factory=list)
    sums: list[NDArray[np.float64]] = field(default_factory=list)
    sketches: list[tuple[NDArray[np.unsignedinteger], NDArray[np.unsignedinteger]]] = field(default_factory=list)
    events: dict[str, NDArray[np.int64]] = field(default_factory=dict)
    kept: dict[str, list[NDArray[np.float64]]] = field(default_factory=dict)
    failures: list[ChunkFailure] = field(default_factory=list)


def record_series(
    out: NDArray[np.float64], state: Any, n_contingents: int, outputs: tuple[str, ...] = ALL_OUTPUTS
) -> None:
    """Write every recorded series of a batch's state into ``out`` of shape ``(series, n)`` (the one layout).

    Each series is a row of ``out``, contiguous, in the order of
    :func:`series_columns`: each recorded output of :data:`SERIES` per
    contingent, then those of :data:`FRONT_SERIES` (``outputs``, default
    all). An output that is a sum of others is added up from their rows.
    """
    for rows, value, per_contingent, parts in _record_plan(n_contingents, outputs):
        if parts:
            np.add(out[parts[0]], out[parts[1]], out=out[rows])
            for part in parts[2:]:
                out[rows] += out[part]
        elif per_contingent:
            out[rows] = value(state).T
        else:
            out[rows.start] = value(state)


@functools.cache
def _record_plan(
    n_contingents: int, outputs: tuple[str, ...]
) -> tuple[tuple[slice, Any, bool, tuple[slice, ...]], ...]:
    """What :func:`record_series` writes, output by output: its rows, how to read it, whether it has one row
    per contingent, the rows it adds up (an output that is a sum of others). Worked out once per number of
    contingents and outputs rather than every day."""
    columns = _layout(n_contingents, outputs)
    return tuple(
        (
            columns[name],
            OUTPUTS[name].value,
            OUTPUTS[name].per_contingent,
            tuple(columns[part] for part in OUTPUTS[name].sum_of or ()),
        )
        for name in columns  # per-contingent outputs first: a sum's parts are written before it
    )


class _Reducer:
    """A model recorder reducing a chunk's state at the end of each day.

    Every series is recorded once a day into ``values``, ``(series, n)``
    float64, each series a contiguous row; the day's sums, sketch counts and
    kept trajectories are all read from it. Kept trajectories are written
    day by day into day-major buffers (one contiguous block a day, the first
    ``keep`` columns of the recorded rows) and :attr:`kept` shows them as
    ``(keep, rows, C)`` (area ``(keep, rows)``) views: the same float32
    values as casting the state, without a strided write per replication
    each day or a copy at the end.
    """

    def __init__(
        self, n: int, rows: int, n_c: int, keep: int, sketch: bool, outputs: tuple[str, ...] = ALL_OUTPUTS
    ) -> None:
        self.n_series = series_count(n_c, outputs)
        self.n_c = n_c
        self.outputs = outputs
        self.sums = np.empty((rows, self.n_series))
        self.values = np.empty((self.n_series, n))
        self.keys = np.empty((self.n_series, n), dtype=np.int64) if sketch else None
        self._index: list[NDArray[np.unsignedinteger]] = []
        self._counts: list[NDArray[np.unsignedinteger]] = []
        self.keep = keep
        # (rows, series columns of the output, keep): day ``row`` is one contiguous block
        self._columns = {name: series_columns(name, n_c, outputs) for name in KEPT_SERIES if name in outputs}
        self._days = {
            name: np.empty((rows, cols.stop - cols.start, keep), dtype=np.float32)
            for name, cols in self._columns.items()
        }
        self.kept = {
            name: buf.transpose(2, 0, 1) if OUTPUTS[name].per_contingent else buf[:, 0].T
            for name, buf in self._days.items()
        }

    def __call__(self, model: Model, row: int) -> None:
        v = self.values  # (series, n): each series contiguous, so the sums and the sketch read it fast
        record_series(v, model.state, self.n_c, self.outputs)
        v.sum(axis=1, out=self.sums[row])
        if self.keys is not None:
            QuantileSketch.keys_into(self.keys, v)
            index, counts = QuantileSketch.count_keys(row * self.n_series, self.keys)
            self._index.append(index)
            self._counts.append(counts)
        if self.keep:
            k = self.keep
            for name, cols in self._columns.items():
                self._days[name][row] = v[cols, :k]  # float64 (exact copies of the state) to float32

    @property
    def sketch(self) -> tuple[NDArray[np.unsignedinteger], NDArray[np.unsignedinteger]] | None:
        """The chunk's quantile-sketch counts, sparse (``None`` when not sketched)."""
        if self.keys is None:
            return None
        return np.concatenate(self._index), np.concatenate(self._counts)


def chunk_model(
    scenario: Scenario,
    plan: ChunkPlan,
    chunk: int,
    extra_processes: Sequence[Process] = (),
    inputs: Inputs | None = None,
    recorders: Sequence[Any] = (),
    rows: ChunkRows | None = None,
) -> Model:
    """The model of one chunk, ready to run: its streams, sampled values and assembled parameters.

    ``rows`` narrows the chunk to some of its points (the same replications
    and streams); default: all its rows.
    """
    if not 0 <= chunk < plan.n_chunks:
        raise ValueError(f"run_chunk: chunk must be in 0..{plan.n_chunks - 1} for this plan, got {chunk}")
    rows = plan.rows(chunk) if rows is None else rows
    inputs = inputs or Inputs()
    streams = ChunkStreams(plan.root, plan.span(chunk), rows.replications)
    sampled = sample_values(scenario, streams, skip={*inputs.points, *inputs.replications})
    params = assemble(scenario, rows, streams, sampled, inputs)
    return Model(params, streams, [*default_processes(params), *extra_processes], recorders=recorders, chunk=chunk)


def run_chunk(
    scenario: Scenario,
    plan: ChunkPlan,
    chunk: int,
    extra_processes: Sequence[Process] = (),
    inputs: Inputs | None = None,
) -> tuple[Model, _Reducer]:
    """Run one chunk of a run of one point alone: the model after its last day and its reduced record.

    This is what a worker runs for each chunk, and what reproduces a chunk
    named in an error. Raises ``ValueError`` for a chunk the plan does not
    have.

    Examples
    --------
    >>> import kursk_sim as ks
    >>> sc = ks.load_scenario("kursk-2024")
    >>> plan = ChunkPlan(10_000, 4096, entropy=1)
    >>> model, record = run_chunk(sc, plan, 2)
    >>> model.params.n, model.chunk
    (1808, 2)
    """
    lo, hi = plan.bounds(chunk) if 0 <= chunk < plan.n_chunks else (0, 0)
    keep = max(0, min(plan.keep, hi) - lo)
    reducer = _Reducer(
        hi - lo, scenario.horizon_days + 1, len(scenario.contingent_ids), keep, plan.sketch, plan.outputs
    )
    model = chunk_model(scenario, plan, chunk, extra_processes, inputs, [reducer])
    model.run()
    return model, reducer


def run_block(
    scenario: Scenario,
    plan: ChunkPlan,
    first: int,
    stop: int,
    extra_processes: Sequence[Process] = (),
    inputs: Inputs | None = None,
) -> BlockResult:
    """Run chunks ``first .. stop - 1`` one after another and reduce them.

    A chunk that raises is recorded in ``failures`` (with its seed and
    traceback) and the block goes on with the next one.
    """
    rows = scenario.horizon_days + 1
    out = BlockResult(first=first)
    for chunk in range(first, stop):
        try:
            model, reducer = run_chunk(scenario, plan, chunk, extra_processes, inputs)
            sketch = reducer.sketch
        except Exception as exc:  # recorded, named and re-raised by the caller
            out.failures.append(ChunkFailure.of(plan, chunk, exc))
        else:
            out.chunks.append(chunk)
            out.sums.append(reducer.sums)
            if sketch is not None:
                out.sketches.append(sketch)
            s = model.state
            for name, days in s.events.items():
                hist = np.bincount(np.where(days >= 0, days, rows - 1), minlength=rows)
                out.events[name] = out.events.get(name, 0) + hist
            if reducer.keep:
                k = reducer.keep
                for name, arr in reducer.kept.items():
                    out.kept.setdefault(name, []).append(arr)
                for name in FINAL_NAMES:
                    value = s.recovering.sum(axis=0) if name == "recovering" else getattr(s, name)
                    out.kept.setdefault(f"final.{name}", []).append(value[:k].copy())
                for name, days in s.events.items():
                    out.kept.setdefault(f"event.{name}", []).append(days[:k].copy())
    return out
