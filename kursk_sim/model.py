"""The model: SimPy processes acting on a batch state.

Each rule of the model is a module of :mod:`kursk_sim.rules` holding its
small SimPy generator processes; all of them act on one
:class:`~kursk_sim.batch.BatchState`, whose arrays have the replication as
their leading axis. One replication is a batch of one; 100,000 replications
are one batch of 100,000 run by the same processes, so SimPy's per-event
cost is paid once per day and process, not once per replication.
Differences between replications (an uncertain arrival date, a defender
that has already withdrawn) are masks and per-replication parameter arrays,
never a Python loop over replications.

A day is split into ordered phases (:class:`~kursk_sim.phase.Phase`), so the
order of the rules within a day is explicit rather than an accident of
scheduling. :class:`Model` is the plumbing: the SimPy environment, the
batch's parameters, state and random streams, and the noise model's draws
(:meth:`Model.draw_losses`, :meth:`Model.thin`), which every rule uses.

A user extends the model with a process of their own: a generator taking
the :class:`Model`, started with :meth:`Model.add_process`, that waits for
its phase with :meth:`Model.wait_for` and reads or changes ``model.state``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Iterable
from typing import Any

import numpy as np
import simpy
from numpy.typing import NDArray

from . import rules
from .batch import NOT_YET, BatchState
from .parameters import BatchParameters
from .phase import Phase
from .rules.base import Process
from .sampling import binomial_counts, negative_binomial_counts
from .streams import ChunkStreams

__all__ = ["Phase", "Model", "Process", "default_processes", "recorder"]

Array = NDArray[np.float64]

#: Negative binomial losses are drawn by the normal approximation only where the dispersion is at least this.
NORMAL_MIN_DISPERSION = 20.0


class Model:
    """One batch of replications: parameters, state, SimPy environment.

    Parameters
    ----------
    params : BatchParameters
        Parameters of this batch (see :mod:`kursk_sim.parameters`).
    streams : ChunkStreams, SeedSequence or int, optional
        The batch's random streams (:mod:`kursk_sim.streams`), or the seed
        of a run whose chunk ``chunk`` this batch is. Each rule draws from
        its own stream (:meth:`stream`); ``model.rng`` is the stream
        ``user``, for processes of your own.
    processes : iterable of callables, optional
        The processes to run; each takes the model and returns a generator.
        Defaults to :func:`default_processes`.
    recorders : iterable of callables, optional
        Called as ``recorder(model, row)`` at the end of each day (``row`` is
        the day index + 1) and once with ``row = 0`` before the first day.
    chunk : int, optional
        Index of the chunk of replications this batch is (see
        :mod:`kursk_sim.chunks`); available to processes as ``model.chunk``.

    Examples
    --------
    >>> import kursk_sim as ks
    >>> from kursk_sim.parameters import draw_parameters
    >>> m = Model(draw_parameters(ks.load_scenario("kursk-2024"), 8, seed=1), streams=1)
    >>> m.run()
    >>> bool((m.state.strength >= 0).all())
    True
    """

    def __init__(
        self,
        params: BatchParameters,
        streams: ChunkStreams | np.random.SeedSequence | int | None = None,
        processes: Iterable[Process] | None = None,
        recorders: Iterable[Callable[[Model, int], None]] = (),
        chunk: int = 0,
    ) -> None:
        self.params = params
        self.chunk = chunk
        if not isinstance(streams, ChunkStreams):
            root = streams if isinstance(streams, np.random.SeedSequence) else np.random.SeedSequence(streams)
            streams = ChunkStreams(root, chunk, params.rows.replications)
        self.streams = streams
        self.rng = streams.generator("user")
        self.env = simpy.Environment()
        self.recorders = list(recorders)
        self.state = self._initial_state()
        self._generators: list[Generator[Any, Any, Any]] = []
        self._scratch: dict[tuple[int, ...], Array] = {}  # work arrays reused day after day, by shape
        for proc in default_processes(params) if processes is None else processes:
            self.add_process(proc)

    # ------------------------------------------------------------ plumbing
    def add_process(self, process: Process) -> simpy.Process:
        """Start a process (a callable taking the model, returning a generator)."""
        generator = process(self)
        self._generators.append(generator)
        return self.env.process(generator)

    def wait_for(self, phase: Phase) -> simpy.Timeout:
        """A timeout to the next time of day ``phase`` (now if it is now)."""
        now = self.env.now
        target = math.floor(now) + float(phase)
        if target < now:
            target += 1.0
        return self.env.timeout(target - now)

    def run(self) -> None:
        """Run every process over the horizon (once: the processes are closed at the end).

        Closing the processes, which still wait for the day after the
        horizon, breaks the reference cycles between them and the model, so
        a finished batch's state is freed as soon as it is dropped instead of
        waiting for Python's full garbage collection (which, with many
        chunks in one process, let dead batches pile up by hundreds of MB).
        """
        for rec in self.recorders:
            rec(self, 0)
        try:
            self.env.run(until=self.params.horizon)
        finally:
            for generator in self._generators:
                generator.close()

    def stream(self, purpose: str) -> np.random.Generator:
        """The batch's generator for ``purpose`` (a rule's name): each rule's noise has its own stream."""
        return self.streams.generator(purpose)

    def uniforms_per_replication(self, purpose: str) -> Array:
        """Today's uniform variate of each row's replication for ``purpose``, ``(n,)``.

        Replication ``r`` draws the same variate in every point of a sweep
        and in every variant run with the same seed (a replication stream,
        one substream per day; see :mod:`kursk_sim.streams`).
        """
        return self.params.rows.per_replication(self.streams.uniforms(purpose, step=self.day))

    @property
    def day(self) -> int:
        """Index of the current day (0 is the scenario's start date)."""
        return int(math.floor(self.env.now))

    def _work(self, shape: tuple[int, ...]) -> Array:
        """A column-major float64 work array of ``shape``, reused by every call (contents undefined).

        Fresh arrays of this size would each be new memory from the system
        (page faults, which cost as much as the arithmetic on a VM).
        """
        work = self._scratch.get(shape)
        if work is None:
            if len(self._scratch) >= 8:  # shapes that change day by day (subsets): keep a few only
                self._scratch.clear()
            work = self._scratch[shape] = np.empty(shape, order="F")
        return work

    # --------------------------------------------------------------- state
    def _initial_state(self) -> BatchState:
        p = self.params
        n, c = p.n, len(p.contingent_ids)
        strength = p.per_contingent("strength")
        zeros = lambda: np.zeros((n, c), order="F")  # noqa: E731
        events = {name: np.full(n, NOT_YET, dtype=np.int64) for name in p.event_names}
        return BatchState(
            initial=np.copy(strength),
            strength=strength,
            killed=zeros(),
            wounded=zeros(),
            missing=zeros(),
            arrived=zeros(),
            returned=zeros(),
            departed=zeros(),
            recovering=np.zeros((int(p.rtd_stages.max()), c, n)).transpose(0, 2, 1),  # each stage column-major
            area=np.broadcast_to(p["territory.initial_area_km2"], (n,)).astype(float).copy(),
            engaged=np.ones(n, dtype=bool),
            holding=np.ones(n),
            events=events,
            quota_issued=zeros(),
            quota_expected=zeros(),
            quota_today=zeros(),
            mobilised_expected=np.zeros(n),
            mobilised_issued=np.zeros(n),
            effectiveness=p.per_contingent("effectiveness"),
            exposure=p.per_contingent("exposure"),
            advance=np.ones(n),
            lethality=np.ones((n, 2), order="F"),
            supplied=np.ones(n),
            withdrawing=np.zeros(n, dtype=bool),
            encircled=np.zeros(n, dtype=bool),
            pocket_area=np.zeros(n),
        )

    # ----------------------------------------------------------- sampling
    def draw_losses(self, n: Array, p: Array, purpose: str = "combat", rows: Any = slice(None)) -> Array:
        """Realised losses among ``n`` troops each lost with probability ``p`` (the noise model's draw).

        ``rows`` are the batch rows ``n`` holds (all by default; ``None``:
        rows drawn on their own, as in :meth:`binomial`). Negative binomial
        noise draws with :func:`~kursk_sim.sampling.negative_binomial_counts`
        from the same streams as :meth:`binomial` (normal variates shared by
        the rows of a replication in a batch of several points); rows of
        zero mean use no random numbers. With a dispersion below
        :data:`NORMAL_MIN_DISPERSION` anywhere in the batch every draw is
        exact: the rounded normal would miss the skew and, clipped at 0,
        the variance of a strongly over-dispersed count (docs/performance.md).
        """
        kind = self.params.noise
        if kind == "none":
            return n * p
        if kind == "binomial":
            return self.binomial(n, p, purpose, rows)
        r = self.params["noise.dispersion"]
        if np.ndim(r):  # one per row: (rows, 1)
            r = np.broadcast_to(r, (self.params.n,))[slice(None) if rows is None else rows, None]
        rows_of = self.params.rows
        replication = None
        if rows is not None and rows_of.n_points > 1:
            replication = rows_of.replication_of_row[rows]
        normal_above = self.params.normal_above if np.min(r) >= NORMAL_MIN_DISPERSION else np.inf
        return negative_binomial_counts(
            self.stream(purpose),
            n,
            p,
            r,
            normal_above,
            work=self._work(n.shape),
            normal_rng=self.stream(f"{purpose}:normal"),
            replication=replication,
            replications=rows_of.n_replications,
        )

    def thin(self, n: Array, p: Array, purpose: str, rows: Any = slice(None)) -> Array:
        """How many of ``n`` (the batch rows ``rows``) fall in a class of probability ``p`` (binomial thinning)."""
        if not self.params.integer_counts:
            return n * p
        return self.binomial(n, p, purpose, rows)

    def binomial(self, n: Array, p: Array, purpose: str, rows: Any = slice(None)) -> Array:
        """Binomial draws from ``purpose``'s streams, ``n`` (the batch rows ``rows``) whole, ``p`` broadcastable to it.

        The normal variates come from the stream ``<purpose>:normal``; in a
        batch of several points they are shared by the rows of each
        replication (see :func:`binomial_counts`). ``rows=None``: rows
        drawn on their own (a rule acting on a few rows on some days).
        """
        rows_of = self.params.rows
        replication = None
        if rows is not None and rows_of.n_points > 1:
            replication = rows_of.replication_of_row[rows]
        return binomial_counts(
            self.stream(purpose),
            n,
            p,
            self.params.normal_above,
            work=self._work(n.shape),
            normal_rng=self.stream(f"{purpose}:normal"),
            replication=replication,
            replications=rows_of.n_replications,
        )


def recorder(model: Model) -> Generator[simpy.events.Event, Any, None]:
    """Calls the model's recorders at the end of each day."""
    yield model.wait_for(Phase.RECORD)
    while True:
        for rec in model.recorders:
            rec(model, model.day + 1)
        yield model.env.timeout(1.0)


def default_processes(params: BatchParameters) -> list[Process]:
    """The processes of a run: every rule's (:func:`kursk_sim.rules.default_processes`), then the recorder."""
    return [*rules.default_processes(params), recorder]
