"""simulate(): run one scenario for n replications, chunk by chunk.

Replications are cut into chunks of a fixed size; chunk ``i`` always draws
from a generator seeded with the ``i``-th child of the run's
:class:`numpy.random.SeedSequence`. The same seed therefore gives the same
numbers whatever the chunk is run on. Each chunk is one batch of the one
model (:class:`~kursk_sim.model.Model`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .model import Model, Process, default_processes
from .parameters import draw_parameters
from .results import TRAJECTORY_NAMES, Ensemble
from .scenario import Scenario

__all__ = ["simulate", "DEFAULT_CHUNK_SIZE"]

#: Replications per chunk. Fixed so that results do not depend on how chunks are run.
DEFAULT_CHUNK_SIZE = 4096


@dataclass
class _TrajectoryRecorder:
    """Copies the state into daily arrays (float32: whole troops are exact to 2**24)."""

    arrays: dict[str, NDArray[np.float32]]

    @classmethod
    def allocate(cls, n: int, rows: int, n_contingents: int) -> _TrajectoryRecorder:
        arrays = {name: np.empty((n, rows, n_contingents), dtype=np.float32) for name in TRAJECTORY_NAMES}
        arrays["area"] = np.empty((n, rows), dtype=np.float32)
        return cls(arrays)

    def __call__(self, model: Model, row: int) -> None:
        s = model.state
        a = self.arrays
        a["strength"][:, row] = s.strength
        a["killed"][:, row] = s.killed
        a["wounded"][:, row] = s.wounded
        a["missing"][:, row] = s.missing
        a["area"][:, row] = s.area


def simulate(
    scenario: Scenario,
    replications: int = 1000,
    seed: int | np.random.SeedSequence | None = None,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    extra_processes: Iterable[Process] = (),
) -> Ensemble:
    """Run a scenario for a number of replications.

    Parameters
    ----------
    scenario : Scenario
        What to run (see :func:`~kursk_sim.scenario.load_scenario`).
    replications : int
        Number of replications; 1 runs the same model as a batch of one.
    seed : int or numpy.random.SeedSequence, optional
        Seed of the run. ``None`` draws fresh entropy (recorded in the
        result, so the run can be repeated).
    chunk_size : int
        Replications per batch; results depend on it only through which
        random numbers each replication receives.
    extra_processes : iterable of callables, optional
        Processes of your own, run after the model's own ones: each takes
        the :class:`~kursk_sim.model.Model` and returns a SimPy generator
        that reads or changes ``model.state`` (see :mod:`kursk_sim.model`).

    Returns
    -------
    Ensemble
        Daily trajectories, final state and event days of every replication.

    Raises
    ------
    TypeError
        If ``scenario`` is not a :class:`~kursk_sim.scenario.Scenario`.
    ValueError
        If ``replications`` or ``chunk_size`` is not a positive integer.

    Examples
    --------
    >>> import kursk_sim as ks
    >>> ens = ks.simulate(ks.load_scenario("kursk-2024"), replications=50, seed=7)
    >>> ens.replications
    50
    >>> bool((ens.trajectory("strength").values >= 0).all())
    True
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(f"scenario: got {type(scenario).__name__}, expected a Scenario (see ks.load_scenario)")
    if isinstance(replications, bool) or not isinstance(replications, (int, np.integer)) or replications < 1:
        raise ValueError(f"replications: got {replications!r}, expected a whole number >= 1")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ValueError(f"chunk_size: got {chunk_size!r}, expected a whole number >= 1")
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    extra = list(extra_processes)
    rows = scenario.horizon_days + 1
    n_c = len(scenario.contingent_ids)
    recorder = _TrajectoryRecorder.allocate(replications, rows, n_c)
    final: dict[str, NDArray[np.float64]] = {}
    events: dict[str, NDArray[np.int64]] = {}
    for index, lo in enumerate(range(0, replications, chunk_size)):
        hi = min(lo + chunk_size, replications)
        child = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, index))
        rng = np.random.Generator(np.random.PCG64(child))
        params = draw_parameters(scenario, hi - lo, rng)
        part = _TrajectoryRecorder({k: v[lo:hi] for k, v in recorder.arrays.items()})
        model = Model(params, rng, [*default_processes(params), *extra], recorders=[part])
        model.run()
        s = model.state
        for name in ("initial", "strength", "killed", "wounded", "missing", "arrived", "returned"):
            final.setdefault(name, np.empty((replications, n_c)))[lo:hi] = getattr(s, name)
        final.setdefault("recovering", np.empty((replications, n_c)))[lo:hi] = s.recovering.sum(axis=2)
        for name, days in s.events.items():
            events.setdefault(name, np.empty(replications, dtype=np.int64))[lo:hi] = days
    return Ensemble(
        scenario=scenario,
        seed=root,
        trajectories=recorder.arrays,
        final=final,
        events=events,
    )
