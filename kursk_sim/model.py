"""The model: SimPy processes acting on a batch state.

The rules of the model live here and nowhere else. Each rule is a small
SimPy generator process; all of them act on one :class:`BatchState`, whose
arrays have the replication as their leading axis. One replication is a
batch of one; 100,000 replications are one batch of 100,000 run by the same
processes, so SimPy's per-event cost is paid once per day and process, not
once per replication. Differences between replications (an uncertain
arrival date, a defender that has already withdrawn) are masks and
per-replication parameter arrays, never a Python loop over replications.

A day is split into ordered phases (:class:`Phase`), so the order of the
rules within a day is explicit rather than an accident of scheduling:

===========  =====  ==========================================================
phase        time   processes
===========  =====  ==========================================================
SUPPLY       0.0    replenishment
RETURNS      0.031  wounded returning to duty
ARRIVALS     0.0625 reinforcement waves
CONDITIONS   0.125  modifiers (learning, fatigue, strikes, offensive)
COMBAT       0.25   attrition
MANOEUVRE    0.5    territory
ENCIRCLE     0.625  encirclement hazard
WITHDRAW     0.6875 withdrawal rule
MOBILISE     0.75   mobilisation rule
RECORD       0.875  recorder (end of day)
===========  =====  ==========================================================

A user extends the model with a process of their own: a generator taking
the :class:`Model`, started with :meth:`Model.add_process`, that waits for
its phase with :meth:`Model.wait_for` and reads or changes ``model.state``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np
import simpy
from numpy.typing import ArrayLike, NDArray

from .laws import expected_losses
from .parameters import BatchParameters, ModifierParameters
from .streams import ChunkStreams

__all__ = ["Phase", "BatchState", "Model", "Process", "DEFAULT_PROCESSES", "default_processes", "binomial_counts"]

Array = NDArray[np.float64]
NOT_YET = -1


class Phase(float, Enum):
    """Time of day (fraction of a day) at which a process acts."""

    SUPPLY = 0.0
    RETURNS = 0.03125
    ARRIVALS = 0.0625
    CONDITIONS = 0.125
    COMBAT = 0.25
    MANOEUVRE = 0.5
    ENCIRCLE = 0.625
    WITHDRAW = 0.6875
    MOBILISE = 0.75
    RECORD = 0.875


@dataclass
class BatchState:
    """The state of ``n`` replications of ``C`` contingents.

    All counts are float64 arrays of shape ``(n, C)`` holding whole numbers
    when the noise is random (exact below 2**53), fractional values in
    mean-field runs. They are stored column-major (``order="F"``: each
    contingent's column contiguous), which is what makes per-contingent
    arithmetic and the binomial draws fast; a process that replaces one
    should keep that order (``np.copy`` and ufuncs do, ``ndarray.copy()``
    does not), though any order gives the same results. Conservation holds
    for every contingent and replication::

        strength == initial + arrived + returned - (killed + wounded + missing)
    """

    initial: Array
    strength: Array
    killed: Array
    wounded: Array
    missing: Array
    arrived: Array
    returned: Array
    recovering: Array  # (stages, n, C) wounded on their way back to duty, each stage contiguous (column-major)
    area: Array  # (n,) area held by the defender while it holds the front
    engaged: NDArray[np.bool_]  # (n,) the defender still holds the front
    holding: Array  # (n,) share of the front still held: engaged as 1 or 0 in counting runs; mean-field: expected
    events: dict[str, NDArray[np.int64]]  # day index of each event, -1 if none
    quota_issued: Array  # (n, C) replenishment quota issued so far (whole troops)
    quota_expected: Array  # (n, C) replenishment quota expected so far
    quota_today: Array  # (n, C) base quota of the current day (troops/day)
    mobilised_expected: Array  # (n,) mobilised inflow expected so far
    mobilised_issued: Array  # (n,) mobilised inflow issued so far (whole troops)
    effectiveness: Array  # (n, C) current multiplied effectiveness
    exposure: Array  # (n, C) current multiplied exposure
    advance: Array  # (n,) current multiplier on the territorial advance
    extra: dict[str, Any] = field(default_factory=dict)  # free space for processes users add

    @property
    def casualties(self) -> Array:
        """Killed + wounded + missing, cumulative, ``(n, C)``."""
        return self.killed + self.wounded + self.missing


Process = Callable[["Model"], Generator[simpy.events.Event, Any, None]]


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
        events = {w.event: np.full(n, NOT_YET, dtype=np.int64) for w in p.waves}
        for name in self.event_names(p):
            events.setdefault(name, np.full(n, NOT_YET, dtype=np.int64))
        return BatchState(
            initial=np.copy(strength),
            strength=strength,
            killed=zeros(),
            wounded=zeros(),
            missing=zeros(),
            arrived=zeros(),
            returned=zeros(),
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
        )

    @staticmethod
    def event_names(params: BatchParameters) -> list[str]:
        """Names of all events of a scenario, waves first."""
        return [w.event for w in params.waves] + [
            f"{params.defender_id}_encirclement",
            f"{params.defender_id}_withdrawal",
            f"{params.attacker_id}_mobilisation",
        ]

    # ----------------------------------------------------------- sampling
    def draw_losses(self, n: Array, p: Array, purpose: str = "combat", rows: Any = slice(None)) -> Array:
        """Realised losses among ``n`` troops each lost with probability ``p`` (the noise model's draw).

        ``rows`` are the batch rows ``n`` holds (all by default).
        """
        kind = self.params.noise
        if kind == "none":
            return n * p
        if kind == "binomial":
            return self.binomial(n, p, purpose, rows)
        mean = n * p
        r = self.params["noise.dispersion"]
        r = np.broadcast_to(r, (self.params.n,))[rows, None] if np.ndim(r) else r
        draw = self.stream(purpose).negative_binomial(r, r / (r + mean)).astype(float)
        return np.minimum(draw, n)

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


def binomial_counts(
    rng: np.random.Generator,
    n: Array,
    p: ArrayLike,
    normal_above: float,
    work: Array | None = None,
    *,
    normal_rng: np.random.Generator | None = None,
    replication: NDArray[np.intp] | None = None,
    replications: int | None = None,
) -> Array:
    """Binomial draws, exact where the variance is small, normal where it is large.

    Draws whose variance ``n p (1 - p)`` is at least ``normal_above`` are
    rounded normal variates with the same mean and variance, kept within
    ``[0, n]``; the others (and all of them when ``normal_above`` is
    infinite) are exact. Normal variates are drawn only for the elements
    that need them, in column-major order. Exact draws are made column by
    column (a column is every index but the first), each column's in order
    of ``n``, which lets NumPy reuse a draw's set-up for the next one (about
    twice as fast where ``p`` is the same down a column); the order is fixed
    by the inputs, so a seed still gives the same draws.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : ndarray of float
        Numbers of trials, whole. Column-major (Fortran) arrays are read in
        place; others are copied to that order first.
    p : array_like
        Probabilities in [0, 1], broadcastable to ``n``. Where ``p`` is the
        same down every column (shape ``(1, ...)`` or fewer dimensions than
        ``n``), each column's exact draws use one scalar probability.
    normal_above : float
        Variance from which a draw is approximated (at least 1).
    work : ndarray, optional
        Column-major float64 array of ``n``'s shape for intermediate values
        (its contents are overwritten); a caller drawing every day passes
        the same one to avoid fresh memory each time.
    normal_rng : numpy.random.Generator, optional
        Where the normal variates come from (default ``rng``): a stream of
        their own keeps them in step between variants whatever the exact
        draws take.
    replication : ndarray of int, optional
        Each row's replication, ``0 .. k - 1`` (rows of several points of a
        sweep in one batch). The normal variates are then drawn once per
        replication and column, ``k`` times the columns of them whether
        needed or not, and shared by every row of that replication: the
        same replication of different points gets the same noise where its
        draws are approximated.
    replications : int, optional
        ``k`` (default ``replication.max() + 1``); a caller drawing for some
        rows only passes the batch's, so the variates stay in step.

    Returns
    -------
    ndarray of float, shape of ``n``, column-major

    Raises
    ------
    ValueError
        If ``work`` is not a column-major float64 array of ``n``'s shape.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = binomial_counts(rng, np.array([0.0, 10.0, 50_000.0]), np.array([0.5, 1.0, 0.1]), 10.0)
    >>> x[:2].tolist(), bool(abs(x[2] - 5_000) < 5 * 67)
    ([0.0, 10.0], True)
    """
    if normal_above == np.inf:
        return rng.binomial(n.astype(np.int64), p).astype(float)
    p = np.asarray(p, dtype=float)
    out = n * p  # the draw where the variance is zero (n = 0, p = 0 or p = 1)
    if not out.flags.f_contiguous:  # (column-major inputs give a column-major product)
        out = np.asfortranarray(out)
    if work is None:
        var = np.empty(out.shape, order="F")
    elif work.shape != out.shape or work.dtype != np.float64 or not work.flags.f_contiguous:
        raise ValueError(f"binomial_counts: work must be a column-major float64 array of shape {out.shape}")
    else:
        var = work
    np.subtract(1.0, p, out=var)
    var *= out
    # flat views in column-major order (memory order of column-major arrays; a copy of n if it is not one)
    flat, var_flat = out.ravel(order="K"), var.ravel(order="K")
    n_flat = n.ravel(order="K") if n.flags.f_contiguous else n.reshape(-1, order="F")
    normal_mask = var_flat >= normal_above
    normal = normal_mask.nonzero()[0]  # drawn only where needed: a third are degenerate
    exact = ((var_flat > 0.0) ^ normal_mask).nonzero()[0]  # 0 < var < normal_above (normal_above >= 1)
    if replication is not None:  # one variate per replication and column, shared by its rows
        rows = out.shape[0] if out.ndim else 1
        k = replications if replications is not None else int(replication.max()) + 1 if replication.size else 0
        shared = (normal_rng or rng).standard_normal(k * (flat.size // max(rows, 1)))
        column = normal // rows
        z = shared.take(column * k + replication.take(normal - column * rows))
    elif normal.size:
        z = (normal_rng or rng).standard_normal(normal.size)
    if normal.size:
        sd = var_flat.take(normal)  # take gathers faster than fancy indexing
        z *= np.sqrt(sd, out=sd)
        z += flat.take(normal)
        np.rint(z, out=z)
        np.maximum(z, 0.0, out=z)  # two passes are faster than np.clip's one
        np.minimum(z, n_flat.take(normal), out=z)
        flat[normal] = z
    if exact.size:
        _draw_exact(rng, flat, n_flat, p, out.shape, exact, var_flat.view(np.intp))  # var no longer needed
    return out


#: Fewer exact draws than this in a column are made in their own order: sorting them costs more than it saves.
SORT_FROM = 256
_UINT16_KEYS = 2**16  # (np.iinfo costs 15 us a call)


def _draw_exact(
    rng: np.random.Generator,
    flat: Array,
    n_flat: Array,
    p: Array,
    shape: tuple[int, ...],
    exact: NDArray[np.intp],
    scratch: NDArray[np.intp],
) -> None:
    """Exact draws into ``flat[exact]`` (column-major flat indices), column by column in order of ``n``.

    NumPy's binomial sampler keeps its set-up (a logarithm, an exponential and
    a square root) while consecutive draws have the same ``n`` and ``p``, and
    recomputes it otherwise. Down a column of a ``(replications,
    contingents)`` array ``p`` is often the same for every replication, so
    drawing each column's elements in order of ``n`` (a stable radix sort of
    16-bit keys) roughly halves the cost of a draw, and a ``p`` the same down
    every column is passed as one scalar per column. Any order gives the
    same distribution (the draws are independent); this one is fixed by the
    inputs, so results stay reproducible. ``scratch`` (as long as ``flat``)
    is overwritten.
    """
    rows = shape[0] if shape else 1
    columns = flat.size // rows
    trials = n_flat.take(exact).astype(np.int64)
    if p.ndim < len(shape) or (p.ndim and p.shape[0] == 1):  # the same down every column: a scalar per column
        one_row = (1, *shape[1:])
        p_of_column = (p if p.shape == one_row else np.broadcast_to(p, one_row)).reshape(-1, order="F")
        p_flat = None
    else:
        p_of_column = None
        p_flat = np.broadcast_to(p, shape).reshape(-1, order="F")  # a view when p is column-major
    if exact.size < SORT_FROM:  # too few to gain from sorting: one call, in their own order
        if p_flat is not None:
            prob = p_flat.take(exact)
        else:
            prob = p_of_column[0] if columns == 1 else p_of_column.take(exact // rows)
        flat[exact] = rng.binomial(trials, prob)
        return
    ends = np.searchsorted(exact, np.arange(1, columns + 1) * rows).tolist() if columns > 1 else [exact.size]
    lo = 0
    for column, hi in enumerate(ends):
        if hi == lo:
            continue
        index, n_of = exact[lo:hi], trials[lo:hi]
        if hi - lo >= SORT_FROM and int(n_of.max()) < _UINT16_KEYS:
            order = np.argsort(n_of.astype(np.uint16), kind="stable")  # a radix sort for 16-bit keys
            index = index.take(order, out=scratch[lo:hi], mode="clip")  # "clip": unbuffered; order is in range
            n_of = n_of.take(order, mode="clip")
        prob = p_of_column[column] if p_of_column is not None else p_flat.take(index)
        flat[index] = rng.binomial(n_of, prob)
        lo = hi


# =============================================================================
# processes: the rules of the model


def supply(model: Model) -> Generator[simpy.events.Event, Any, None]:
    """Replenishment: a daily quota per contingent, capped by a strength ceiling.

    The quota ``per_day * (1 - decline)**(day - start)`` flows between start
    and stop (plus the mobilised inflow once mobilisation has taken effect).
    In counting runs whole troops are issued by carrying the fraction over to
    the next day, so no random draw is needed. Troops arrive only while the
    contingent is below its cap; a quota not delivered is lost. Mobilised
    troops form new units and are not limited by the cap. Once the defender
    has left the front (withdrawal or encirclement) its replacements stop.
    """
    p, s = model.params, model.state
    per_day = p.per_contingent("replenishment.per_day")
    decline = p.per_contingent("replenishment.decline_per_day")
    start = p.per_contingent("replenishment.start", 0.0)
    stop = p.per_contingent("replenishment.stop", np.inf)
    cap = p.per_contingent("replenishment.cap", np.inf)
    mob = p.mobilisation_contingent
    mob_event = s.events[f"{p.attacker_id}_mobilisation"]
    keep = 1.0 - decline
    rate = per_day * keep ** np.maximum(-start, 0.0)  # per_day * (1 - decline)**max(day - start, 0), day by day
    last_start, first_stop = start.max(), stop.min()  # every quota flows between these days
    capped = [(c, cap[:, c]) for c in range(cap.shape[1]) if np.isfinite(cap[:, c]).any()]  # columns a cap can bind
    defenders = np.flatnonzero(~p.attacker)
    yield model.wait_for(Phase.SUPPLY)
    while True:
        day = model.day
        if day > last_start:
            rate *= keep
        elif day > 0:
            rate = np.where(day > start, rate * keep, rate)
        quota = np.copy(rate)
        held = _held(s)
        for c in defenders:  # the defender's replacements stop once it has left the front
            quota[:, c] *= held
        if not last_start <= day < first_stop:
            quota *= (day >= start) & (day < stop)
        s.quota_today = quota
        arrivals = _issue(s.quota_today, s.quota_expected, s.quota_issued, p.integer_counts)
        for c, ceiling in capped:
            np.minimum(arrivals[:, c], np.maximum(ceiling - s.strength[:, c], 0.0), out=arrivals[:, c])
        if mob >= 0:
            mobilised = (mob_event != NOT_YET) & (day >= mob_event + p["mobilisation.delay_days"])
            if mobilised.any():  # new formations: not limited by the cap
                inflow = np.where(mobilised, p["mobilisation.per_day"], 0.0)
                arrivals[:, mob] += _issue(inflow, s.mobilised_expected, s.mobilised_issued, p.integer_counts)
        s.strength += arrivals
        s.arrived += arrivals
        yield model.env.timeout(1.0)


def _issue(quota: Array, expected: Array, issued: Array, integer: bool) -> Array:
    """Today's inflow for a quota; whole troops in counting runs, the fraction carried over (in place)."""
    expected += quota
    if not integer:
        return np.copy(quota)
    today = np.floor(expected) - issued
    issued += today
    return today


def wave(index: int) -> Process:
    """Process factory: reinforcement wave ``index`` arrives on its drawn day."""

    def process(model: Model) -> Generator[simpy.events.Event, Any, None]:
        w = model.params.waves[index]
        s = model.state
        days = np.unique(w.day[w.happens & (w.day >= 0) & (w.day < model.params.horizon)])
        for d in days:
            yield model.env.timeout(float(d) + float(Phase.ARRIVALS) - model.env.now)
            now = w.happens & (w.day == d)
            add = np.where(now, w.size, 0.0)
            s.strength[:, w.contingent] += add
            s.arrived[:, w.contingent] += add
            s.events[w.event][now] = d

    process.__name__ = f"wave_{index}"
    return process


def return_to_duty(model: Model) -> Generator[simpy.events.Event, Any, None]:
    """Wounded on their way back pass through stages; the last returns them.

    Each day every troop in a stage leaves it with probability
    ``stages / mean_delay_days``, every stage drawn from the day's counts
    before any troop moves, so each stage lasts a geometric number of days (at least one)
    with mean ``mean_delay_days / stages``, and the delay from wounding to
    return is a discrete Erlang (``stages`` plus a negative binomial) with
    mean ``mean_delay_days``. Contingents with fewer stages than others
    return their troops from their own last stage.
    """
    p, s = model.params, model.state
    stages = p.rtd_stages
    hazard = _one_row_if_all_same(np.minimum(stages / p.per_contingent("return_to_duty.mean_delay_days"), 1.0))
    n_stages = s.recovering.shape[0]
    # per stage, the contingents that return troops from it: those whose last stage it is (a contingent
    # with fewer stages than the longest has no troops in the stages beyond its own)
    home = [(stages - 1 == i) | (i == n_stages - 1) for i in range(n_stages)]
    yield model.wait_for(Phase.RETURNS)
    while True:
        if s.recovering.any():
            leaving = [model.thin(s.recovering[i], hazard, "return_to_duty") for i in range(n_stages)]  # today's counts
            for i, out in enumerate(leaving):
                s.recovering[i] -= out
                if home[i].any():
                    back = out if home[i].all() else out * home[i]
                    s.strength += back
                    s.returned += back
                if not home[i].all():  # the others move on to the next stage
                    s.recovering[i + 1] += out if not home[i].any() else out * ~home[i]
        yield model.env.timeout(1.0)


def conditions(model: Model) -> Generator[simpy.events.Event, Any, None]:
    """Modifiers: today's multipliers on effectiveness, exposure and advance.

    A modifier with full-effect multiplier ``m`` and profile ``g(t)`` in
    [0, 1] multiplies its target by ``1 + (m - 1) g(t)``.
    """
    p, s = model.params, model.state
    eff0 = p.per_contingent("effectiveness")
    exp0 = p.per_contingent("exposure")
    # (modifier, [(column, full effect - 1)] for effectiveness, the same for exposure, advance's or None):
    # only the contingents a modifier changes are touched
    effects = [
        (_timing_once(mod), _changed_columns(mod.effectiveness), _changed_columns(mod.exposure), _changed(mod.advance))
        for mod in p.modifiers
    ]
    yield model.wait_for(Phase.CONDITIONS)
    while True:
        eff, exp, adv = np.copy(eff0), np.copy(exp0), np.ones(p.n)
        for mod, d_eff, d_exp, d_adv in effects:
            g = mod.profile_at(model.day)
            if not g.any():
                continue
            for target, columns in ((eff, d_eff), (exp, d_exp)):
                for c, d in columns:
                    target[:, c] *= 1.0 + d * g
            if d_adv is not None:
                adv *= 1.0 + d_adv * g
        s.effectiveness, s.exposure, s.advance = eff, exp, adv
        yield model.env.timeout(1.0)


def _timing_once(mod: ModifierParameters) -> ModifierParameters:
    """The modifier with its timing as one row when every replication has the same (its profile computed once)."""
    start, end, scale = (_one_row_if_all_same(x) for x in (mod.start, mod.end, mod.scale))
    if start.shape == end.shape == scale.shape == (1,):
        return dataclasses.replace(mod, start=start, end=end, scale=scale)
    return mod


def _changed(multiplier: Array) -> Array | None:
    """``multiplier - 1`` (one row if the same in every replication), or None where it is 1 throughout."""
    return None if np.all(multiplier == 1.0) else _one_row_if_all_same(multiplier - 1.0)


def _changed_columns(multiplier: Array) -> list[tuple[int, Array]]:
    """``(column, multiplier[:, column] - 1)`` of each column of ``(n, C)`` multipliers not 1 throughout."""
    return [(c, d) for c in range(multiplier.shape[1]) if (d := _changed(multiplier[:, c])) is not None]


def side_fire(model: Model) -> tuple[Array, Array]:
    """Effectiveness-weighted strength ``F`` of attacker and defender, ``(n,)`` each."""
    s = model.state
    fire = side_totals(model.params, s.effectiveness * s.strength)
    return fire[:, 0], fire[:, 1]


def side_totals(p: BatchParameters, values: Array) -> Array:
    """Per-side totals of ``(n, C)`` values: ``(n, 2)`` column-major, attacker then defender."""
    out = np.empty((values.shape[0], 2), order="F")
    for side in (0, 1):
        side_total(p, side, values, out=out[:, side])
    return out


def side_total(p: BatchParameters, side: int, *arrays: Array, out: Array | None = None) -> Array:
    """Sum over one side's contingents (0 attacker, 1 defender) of one or more ``(n, C)`` arrays: ``(n,)``.

    Contiguous column additions (the state is column-major): faster than a
    matrix product, and in a fixed order whatever the number of rows.
    """
    terms = [a[:, c] for c in p.contingents_of_side[side] for a in arrays]
    if out is None:
        out = np.empty(arrays[0].shape[0])
    if not terms:
        out[...] = 0.0
    elif len(terms) == 1:
        out[...] = terms[0]
    else:
        np.add(terms[0], terms[1], out=out)
        for term in terms[2:]:
            out += term
    return out


def combat(model: Model) -> Generator[simpy.events.Event, Any, None]:
    """Attrition: expected losses from the law, shared by exposure, then drawn.

    Each side's expected losses are ``k_enemy * F_enemy**p * S_own**q``; they
    are shared among the side's contingents in proportion to exposure times
    strength, drawn by the noise model, and split into killed, missing and
    wounded; a share of the wounded starts on the way back to duty.
    """
    p, s = model.params, model.state
    k = {"attacker": p["attacker.lethality"], "defender": p["defender.lethality"]}
    killed_share = _one_row_if_all_same(p.per_contingent("casualties.killed"))
    missing_share = _one_row_if_all_same(p.per_contingent("casualties.missing"))
    shape = np.broadcast_shapes(missing_share.shape, killed_share.shape)  # one row each, or one per replication
    missing_of_rest = np.divide(missing_share, 1.0 - killed_share, out=np.ones(shape), where=killed_share < 1.0)
    rtd_share = _one_row_if_all_same(p.per_contingent("return_to_duty.share"))
    side = p.side_of_contingent  # each contingent's column in (n, 2) side arrays
    (pa, qa), (pd, qd) = p.law
    # negative binomial draws use the generator even where the mean is 0, so only full batches for them
    may_subset = p.noise != "negative_binomial"
    yield model.wait_for(Phase.COMBAT)
    while True:
        engaged = s.engaged
        fighting = np.count_nonzero(engaged)
        if fighting == 0:  # the front is gone everywhere: no losses, no draws (the same as drawing zeros)
            yield model.env.timeout(1.0)
            continue
        # where few replications still fight, compute for those alone: the others would draw zeros,
        # which use no random numbers, so the draws (and results) are the same either way
        rows = np.flatnonzero(engaged) if may_subset and fighting < SUBSET_BELOW * p.n else slice(None)
        at = _RowsOf(rows)
        strength, exposure = _take_rows(s.strength, rows), _take_rows(s.exposure, rows)
        fire = side_totals(p, _take_rows(s.effectiveness, rows) * strength)
        side_strength = side_totals(p, strength)
        side_loss = np.empty_like(side_strength)
        side_loss[:, 0] = expected_losses(at(k["defender"]), fire[:, 1], side_strength[:, 0], at(pa), at(qa))
        side_loss[:, 1] = expected_losses(at(k["attacker"]), fire[:, 0], side_strength[:, 1], at(pd), at(qd))
        side_loss *= _held(s)[rows, None]
        # a contingent's expected losses are its side's in proportion to exposure * strength, so each
        # of its troops is lost with probability exposure * side loss / side total of exposure * strength
        side_weight = side_totals(p, exposure * strength)
        loss_per_weight = np.divide(side_loss, side_weight, out=np.zeros_like(side_loss), where=side_weight > 0)
        prob = exposure * loss_per_weight[:, side]
        np.minimum(prob, 1.0, out=prob)
        if p.steps_per_day > 1:
            prob = _integrated_probability(
                p, strength, exposure, _take_rows(s.effectiveness, rows), at, k, _held(s)[rows]
            )
        lost = model.draw_losses(strength, prob, "combat", rows)
        killed = model.thin(lost, at(killed_share), "combat", rows)
        wounded = lost - killed  # the rest, for now
        missing = model.thin(wounded, at(missing_of_rest), "combat", rows)
        wounded -= missing
        recovering = model.thin(wounded, at(rtd_share), "combat", rows)
        s.strength[rows] -= lost
        s.killed[rows] += killed
        s.missing[rows] += missing
        s.wounded[rows] += wounded
        s.recovering[0, rows] += recovering
        yield model.env.timeout(1.0)


def _integrated_probability(
    p: BatchParameters, strength: Array, exposure: Array, effectiveness: Array, at: Any, k: dict[str, Any], held: Array
) -> Array:
    """Each troop's probability of being lost today, the law integrated over the day in ``steps_per_day`` Euler steps.

    Strengths are updated between the steps; effectiveness and exposure are
    the day's. The probability is the day's expected losses over the
    strength at its start.
    """
    (pa, qa), (pd, qd) = p.law
    side = p.side_of_contingent
    steps = p.steps_per_day
    current = np.copy(strength)
    lost = np.zeros_like(strength)
    for _ in range(steps):
        fire = side_totals(p, effectiveness * current)
        side_strength = side_totals(p, current)
        side_loss = np.empty_like(side_strength)
        side_loss[:, 0] = expected_losses(at(k["defender"]), fire[:, 1], side_strength[:, 0], at(pa), at(qa))
        side_loss[:, 1] = expected_losses(at(k["attacker"]), fire[:, 0], side_strength[:, 1], at(pd), at(qd))
        side_loss *= held[:, None] / steps
        weight = side_totals(p, exposure * current)
        per_weight = np.divide(side_loss, weight, out=np.zeros_like(side_loss), where=weight > 0)
        step = np.minimum(exposure * per_weight[:, side] * current, current)
        current -= step
        lost += step
    prob = np.divide(lost, strength, out=np.zeros_like(lost), where=strength > 0)
    return np.minimum(prob, 1.0, out=prob)


#: Combat computes for the engaged replications alone when they are fewer than this share of the batch.
SUBSET_BELOW = 0.5


@dataclass(frozen=True)
class _RowsOf:
    """Takes the chosen replications (rows) of per-replication parameters; scalars and single rows pass through."""

    rows: slice | NDArray[np.intp]

    def __call__(self, x: Any) -> Any:
        return x if np.ndim(x) == 0 or np.shape(x)[0] == 1 else _take_rows(x, self.rows)


def _take_rows(x: Array, rows: slice | NDArray[np.intp]) -> Array:
    """``x[rows]``, column-major for a column-major 2-D ``x`` (plain indexing would return row-major)."""
    if isinstance(rows, slice) or x.ndim != 2:
        return x[rows]
    return x.T.take(rows, axis=1).T


def _one_row_if_all_same(x: Array) -> Array:
    """``x[:1]`` when every replication (row) of ``x`` has the same values, else ``x``.

    One row broadcasts for free (an ``(n, C)`` probability the same down
    its columns is drawn with one scalar per column, see
    :func:`binomial_counts`), and arithmetic on it is done once, not ``n``
    times.
    """
    return x[:1] if x.ndim and x.shape[0] > 1 and bool((x == x[:1]).all()) else x


def territory(model: Model) -> Generator[simpy.events.Event, Any, None]:
    """Ground: the defender loses ``rate * (ratio - threshold)`` km² a day above threshold."""
    p, s = model.params, model.state
    rate = p["territory.advance_km2_per_day"]
    threshold = p["territory.threshold_ratio"]
    yield model.wait_for(Phase.MANOEUVRE)
    while True:
        if not s.engaged.any():  # no front: the ground stays as it is
            yield model.env.timeout(1.0)
            continue
        f_att, f_def = side_fire(model)
        ratio = np.divide(f_att, f_def, out=np.full_like(f_att, np.inf), where=f_def > 0)
        excess = np.maximum(ratio - threshold, 0.0)
        with np.errstate(invalid="ignore"):
            advance = np.where(np.isinf(excess), s.area, rate * excess * s.advance)
        advance = np.where(s.engaged, np.minimum(advance, s.area), 0.0)
        s.area -= advance
        yield model.env.timeout(1.0)


def _held(s: BatchState) -> Array:
    """The share of each replication's front that fights: ``holding`` where ``engaged``, else 0.

    1 or 0 in counting runs; below 1 in mean-field runs once the
    encirclement hazard has acted. A process of the user's own that sets
    ``engaged`` to False stops the fighting whatever ``holding`` says.
    """
    return np.where(s.engaged, s.holding, 0.0)


def end_front(model: Model, mask: NDArray[np.bool_], event: NDArray[np.int64]) -> None:
    """The defender's hold ends where ``mask``: record ``event`` today, stop combat, lose the ground."""
    s = model.state
    event[mask] = model.day
    s.engaged &= ~mask
    s.holding[mask] = 0.0
    s.area[mask] = 0.0


def encirclement(model: Model) -> Generator[simpy.events.Event, Any, None]:
    """While area held is below the threshold, a daily hazard of encirclement.

    When it strikes, each defender contingent loses ``loss_fraction`` of its
    strength (``captured_share`` of them captured, the rest killed), the
    defender's front collapses (no more combat) and the remaining ground is
    lost.

    In mean-field runs (``noise.kind = "none"``) the hazard acts by its
    expected effect, with no draw: each day at risk a share ``h`` of the front
    still held is encircled (``holding`` falls by ``h * holding``), the
    defender loses ``h * holding * loss_fraction`` of its strength, combat,
    replacements and the area reported scale with ``holding``, and the
    encirclement event, which has no day of its own, is not recorded.
    """
    p, s = model.params, model.state
    if not p["encirclement.enabled"]:
        return
    event = s.events[f"{p.defender_id}_encirclement"]
    dfd = ~p.attacker
    mean_field = p.noise == "none"
    yield model.wait_for(Phase.ENCIRCLE)
    while True:
        at_risk = s.engaged & (s.area < p["encirclement.area_below_km2"])
        if at_risk.any() and mean_field:
            share = np.where(at_risk, p["encirclement.daily_hazard"], 0.0) * s.holding  # of the replication, today
            lost = s.strength * (share * p["encirclement.loss_fraction"])[:, None] * dfd[None, :]
            captured = lost * np.reshape(p["encirclement.captured_share"], (-1, 1))
            s.strength -= lost
            s.missing += captured
            s.killed += lost - captured
            s.holding -= share
        elif at_risk.any():
            hit = at_risk & (model.uniforms_per_replication("encirclement") < p["encirclement.daily_hazard"])
            if hit.any():  # drawn for the rows hit alone: the others would draw zeros (no random numbers)
                rows = np.flatnonzero(hit)
                at = _RowsOf(rows)
                frac = np.reshape(at(p["encirclement.loss_fraction"]), (-1, 1)) * dfd[None, :]
                # rows=None: drawn on their own (on the days and rows hit, not in step with other points)
                lost = model.thin(_take_rows(s.strength, rows), frac, "encirclement.losses", None)
                captured = model.thin(
                    lost, np.reshape(at(p["encirclement.captured_share"]), (-1, 1)), "encirclement.losses", None
                )
                s.strength[rows] -= lost
                s.missing[rows] += captured
                s.killed[rows] += lost - captured
                end_front(model, hit, event)
        yield model.env.timeout(1.0)


def withdrawal(model: Model) -> Generator[simpy.events.Event, Any, None]:
    """The defender withdraws the first day any enabled criterion holds."""
    p, s = model.params, model.state
    if not p["withdrawal.enabled"]:
        return
    event = s.events[f"{p.defender_id}_withdrawal"]
    initial = side_total(p, 1, s.initial)
    share = p.values.get("withdrawal.strength_below")
    area_below = p.values.get("withdrawal.area_below_km2")
    on_day = p.values.get("withdrawal.on_date")
    yield model.wait_for(Phase.WITHDRAW)
    while True:
        fire = np.zeros(p.n, dtype=bool)
        if share is not None:
            fire |= side_total(p, 1, s.strength) < share * initial
        if area_below is not None:
            fire |= s.area < area_below
        if on_day is not None:
            fire |= model.day >= on_day
        fire &= s.engaged
        if fire.any():
            end_front(model, fire, event)
        yield model.env.timeout(1.0)


def mobilisation(model: Model) -> Generator[simpy.events.Event, Any, None]:
    """The attacker mobilises once its quota has failed and its losses are high."""
    p, s = model.params, model.state
    if not p["mobilisation.enabled"]:
        return
    event = s.events[f"{p.attacker_id}_mobilisation"]
    c = p.mobilisation_contingent
    yield model.wait_for(Phase.MOBILISE)
    while True:
        failing = s.quota_today[:, c] < p["mobilisation.replenishment_below"]
        heavy = side_total(p, 0, s.killed, s.wounded, s.missing) > p["mobilisation.losses_above"]
        fire = failing & heavy & (event == NOT_YET)
        if fire.any():
            event[fire] = model.day
        yield model.env.timeout(1.0)


def recorder(model: Model) -> Generator[simpy.events.Event, Any, None]:
    """Calls the model's recorders at the end of each day."""
    yield model.wait_for(Phase.RECORD)
    while True:
        for rec in model.recorders:
            rec(model, model.day + 1)
        yield model.env.timeout(1.0)


#: The rule processes every run starts, in order.
DEFAULT_PROCESSES: tuple[Process, ...] = (
    supply,
    return_to_duty,
    conditions,
    combat,
    territory,
    encirclement,
    withdrawal,
    mobilisation,
    recorder,
)


def default_processes(params: BatchParameters) -> list[Process]:
    """The processes of a run: :data:`DEFAULT_PROCESSES` and one per wave."""
    return [*DEFAULT_PROCESSES, *(wave(i) for i in range(len(params.waves)))]
