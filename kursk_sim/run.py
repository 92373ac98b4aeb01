"""simulate(): run one scenario for n replications, chunk by chunk, anywhere.

Replications are cut into chunks of a fixed size; chunk ``i`` always draws
from a generator seeded with the ``i``-th child of the run's
:class:`numpy.random.SeedSequence` (see :mod:`kursk_sim.chunks`). Each chunk
is one batch of the one model, reduced as it finishes, so memory does not
grow with the number of replications and the results do not depend on
where the chunks ran: in this process, on local worker processes, or on
any :mod:`concurrent.futures`-style executor such as a Dask cluster.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .chunks import ALL_OUTPUTS, FINAL_NAMES, KEPT_SERIES, ChunkPlan, recorded_outputs
from .execution import Progress, SimulationError, execute
from .inputs import check_values
from .model import Process
from .parameters import Inputs
from .results import Ensemble
from .rules import OUTPUTS
from .scenario import Scenario
from .sketch import MAX_COUNT
from .streams import root_sequence

__all__ = ["simulate", "DEFAULT_CHUNK_SIZE", "TRAJECTORY_BUDGET_BYTES", "SimulationError"]

#: Replications per chunk. Fixed so that results do not depend on how chunks are run.
DEFAULT_CHUNK_SIZE = 16384
#: With ``trajectories=None``, every trajectory is kept if they take at most this many bytes.
TRAJECTORY_BUDGET_BYTES = 256 * 2**20


def _whole(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name}: got {value!r}, expected a whole number >= {low}")
    return int(value)


def trajectory_bytes(scenario: Scenario, outputs: tuple[str, ...] = ALL_OUTPUTS) -> int:
    """Bytes one replication's kept trajectories (of ``outputs``, default all) and end state take."""
    rows = scenario.horizon_days + 1
    c = len(scenario.contingent_ids)
    columns = sum(c if OUTPUTS[name].per_contingent else 1 for name in KEPT_SERIES if name in outputs)
    return 4 * rows * columns + 8 * len(FINAL_NAMES) * c


#: Largest merged quantile sketch a run may build (bytes); above it, simulate refuses and says what to change.
SKETCH_BUDGET_BYTES = 2 * 2**30


def sketch_bytes(scenario: Scenario, outputs: tuple[str, ...] = ALL_OUTPUTS) -> int:
    """Bytes of a run's merged quantile sketch: days x recorded series x bins x 4 (whatever the replications)."""
    from .chunks import series_count
    from .sketch import N_BINS

    return (scenario.horizon_days + 1) * series_count(len(scenario.contingent_ids), outputs) * N_BINS * 4


def _check_sketch_memory(scenario: Scenario, replications: int, outputs: tuple[str, ...] = ALL_OUTPUTS) -> None:
    need = sketch_bytes(scenario, outputs)
    if need > SKETCH_BUDGET_BYTES:
        keep_all = replications * trajectory_bytes(scenario, outputs)
        raise ValueError(
            f"the quantile sketch of this run would take {need / 2**30:.1f} GiB ({scenario.horizon_days + 1} days x "
            f"{len(scenario.contingent_ids)} contingents x {len(outputs)} outputs; limit "
            f"{SKETCH_BUDGET_BYTES / 2**30:.0f} GiB): run fewer days or contingents, record fewer outputs "
            f"(outputs=[...]), or keep every trajectory instead (trajectories=True: {keep_all / 2**30:.2f} GiB "
            "for these replications), which needs no sketch"
        )


def simulate(
    scenario: Scenario,
    replications: int = 1000,
    seed: int | np.random.SeedSequence | None = None,
    *,
    workers: int | None = None,
    executor: Any = None,
    trajectories: bool | int | None = None,
    progress: bool | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    extra_processes: Iterable[Process] = (),
    values: Mapping[str, ArrayLike] | None = None,
    outputs: Iterable[str] | str | None = None,
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
    workers : int, optional
        Local worker processes (a :class:`concurrent.futures.ProcessPoolExecutor`
        made and shut down here). ``None`` or 1: run in this process.
    executor : optional
        Any object with ``submit(fn, *args)`` returning futures with
        ``.result()``: a :mod:`concurrent.futures` executor of yours or a
        ``dask.distributed.Client``. Overrides ``workers``. Your
        ``extra_processes`` must then be picklable (module-level functions).
    trajectories : bool or int, optional
        Keep the daily trajectories of every replication (``True``), of
        none (``False``) or of the first ``N``. ``None`` (default): all of
        them if they take at most :data:`TRAJECTORY_BUDGET_BYTES`, else none.
        Summaries cover every replication either way; quantiles are exact
        when all are kept and within 0.2 % otherwise
        (:mod:`kursk_sim.sketch`).
    progress : bool, optional
        Show a progress line on standard error. ``None``: when it is a terminal.
    chunk_size : int
        Replications per chunk. Results depend on it (it decides which
        random numbers each replication receives), not on ``workers`` or
        ``executor``.
    extra_processes : iterable of callables, optional
        Processes of your own, run after the model's own ones: each takes
        the :class:`~kursk_sim.model.Model` and returns a SimPy generator
        that reads or changes ``model.state`` (see :mod:`kursk_sim.model`).
    values : mapping of str to array_like, optional
        Parameters set per replication: path to an array of
        ``replications`` values (numbers, or dates as ``YYYY-MM-DD``,
        ``datetime.date`` or ``datetime64``), each checked against the
        parameter's range and the scenario's constraints. They replace the
        scenario's value or distribution of that path; every other
        uncertain parameter is drawn as usual, the same values as without
        them (each parameter has its own random stream).
    outputs : str or iterable of str, optional
        The outputs to record (of :data:`kursk_sim.results.OUTPUT_NAMES`);
        ``None`` (default): all. A run records, sums, sketches and keeps
        only these (and the parts of a sum asked for: ``casualties`` brings
        ``killed``, ``wounded`` and ``missing``), which costs less time and
        memory; results do not change (the model runs the same). Events
        and end states are always recorded.

    Returns
    -------
    Ensemble
        Daily quantiles, means and event distributions of every
        replication; trajectories and end states of the kept ones.

    Raises
    ------
    TypeError
        If ``scenario`` is not a :class:`~kursk_sim.scenario.Scenario`.
    ValueError
        If ``replications``, ``chunk_size``, ``workers`` or ``trajectories``
        is out of range, or ``outputs`` names no output.
    ScenarioError
        If ``values`` names an unknown path or holds a value out of range.
    SimulationError
        If chunks failed: names each with its seed (re-run it alone with
        ``run_chunk(scenario, err.plan, chunk, extra_processes)``, see
        :func:`kursk_sim.chunks.run_chunk`); the other chunks' results are
        in its ``partial``.

    Examples
    --------
    >>> import kursk_sim as ks
    >>> ens = ks.simulate(ks.load_scenario("kursk-2024"), replications=50, seed=7)
    >>> ens.replications, ens.kept
    (50, 50)
    >>> bool((ens.trajectory("strength").values >= 0).all())
    True
    >>> lever = ks.simulate(ks.load_scenario("kursk-2024"), 4, seed=7,
    ...                     values={"kpa.second_wave.probability": [0.0, 0.0, 1.0, 1.0]})
    >>> lever.values["kpa.second_wave.probability"].tolist()
    [0.0, 0.0, 1.0, 1.0]
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(f"scenario: got {type(scenario).__name__}, expected a Scenario (see ks.load_scenario)")
    replications = _whole("replications", replications, 1)
    if replications > MAX_COUNT:
        raise ValueError(f"replications: got {replications}, expected at most {MAX_COUNT:,} in one run")
    chunk_size = _whole("chunk_size", chunk_size, 1)
    if workers is not None:
        workers = _whole("workers", workers, 1)
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise TypeError(
            f"executor: got {type(executor).__name__}, expected an object with submit(fn, *args) "
            "(a concurrent.futures executor or a dask.distributed.Client)"
        )
    if progress is not None and not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress: got {progress!r}, expected True, False or None")
    extra_processes = _processes(extra_processes)
    checked = check_values(scenario, values, replications, "replication") if values is not None else {}
    recorded = recorded_outputs(outputs)
    keep = _kept(scenario, replications, trajectories, recorded)
    if keep < replications:
        _check_sketch_memory(scenario, replications, recorded)
    root = root_sequence(seed)
    plan = ChunkPlan(
        replications,
        chunk_size,
        root.entropy,
        tuple(root.spawn_key),
        keep=keep,
        sketch=keep < replications,
        outputs=recorded,
    )
    bar = Progress(replications, scenario.horizon_days, progress)
    try:
        merged = execute(
            scenario,
            plan,
            extra_processes,
            workers=workers,
            executor=executor,
            progress=bar,
            inputs=Inputs(replications=checked),
        )
    finally:
        bar.close()
    ens = None
    if merged.chunks:
        # one chunk's kept arrays are taken as they are (no copy); several are joined in chunk order
        ens = Ensemble(
            scenario,
            root,
            replications=merged.replications,
            chunk_size=chunk_size,
            sums=merged.sums,
            event_counts=merged.events,
            sketch=merged.sketch,
            kept={name: parts[0] if len(parts) == 1 else np.concatenate(parts) for name, parts in merged.kept.items()},
            values=checked,
            outputs=recorded,
        )
    if merged.failures or ens is None:
        raise SimulationError(sorted(merged.failures, key=lambda f: f.chunk), ens, plan)
    return ens


def _processes(extra: Any) -> list[Process]:
    """``extra_processes`` as a list, each a callable (a process function taking the model)."""
    if isinstance(extra, (str, bytes)) or not isinstance(extra, Iterable):
        raise TypeError(f"extra_processes: got {extra!r}, expected an iterable of process functions")
    processes = list(extra)
    for i, process in enumerate(processes):
        if not callable(process):
            raise TypeError(f"extra_processes[{i}]: got {process!r}, expected a function of the model")
    return processes


def _kept(
    scenario: Scenario, replications: int, trajectories: bool | int | None, outputs: tuple[str, ...] = ALL_OUTPUTS
) -> int:
    if trajectories is None:
        return replications if replications * trajectory_bytes(scenario, outputs) <= TRAJECTORY_BUDGET_BYTES else 0
    if isinstance(trajectories, bool):
        return replications if trajectories else 0
    keep = _whole("trajectories", trajectories, 0)
    if keep > replications:
        raise ValueError(f"trajectories: got {keep}, expected at most the {replications} replications run")
    return keep
