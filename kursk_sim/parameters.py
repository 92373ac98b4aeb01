"""Per-batch parameter arrays: a scenario sampled, then assembled for a batch of rows.

A batch (a chunk of a run) is rows of replications, possibly of several
points of a design (:class:`ChunkRows`). Two separate steps turn a
:class:`~kursk_sim.scenario.Scenario` into the arrays the model reads:

1. :func:`sample_values` draws every uncertain parameter once per
   replication, through its inverse CDF, from the parameter's own
   replication stream (:mod:`kursk_sim.streams`): replication ``r`` gets the
   same value in every chunk, point and variant.
2. :func:`assemble` lays those values, the values set per point of a design
   and per replication (:class:`Inputs`) and the fixed values out over the
   rows, converts dates to day numbers counted from the scenario's start
   date and builds the structured parameters (waves, modifiers, the law).

:func:`draw_parameters` does both for replications ``0 .. n - 1`` of a seed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import schema
from .distributions import Distribution, open_unit
from .rules import event_names
from .rules.combat import LAW_PRESETS, Law
from .rules.modifiers import ModifierParameters, modifier_parameters
from .rules.schedules import schedule_values
from .rules.waves import WaveParameters, wave_parameters
from .scenario import Scenario
from .streams import ChunkStreams, root_sequence

__all__ = [
    "BatchParameters",
    "ChunkRows",
    "Inputs",
    "ModifierParameters",
    "WaveParameters",
    "assemble",
    "draw_parameters",
    "sample_values",
]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class ChunkRows:
    """Which point and replication each row of a batch is.

    The rows are points ``points[0] .. points[1] - 1``, each with
    replications ``replications[0] .. replications[1] - 1``, point by point
    (point-major). A run of one scenario has one point.

    Examples
    --------
    >>> rows = ChunkRows(points=(2, 4), replications=(10, 13))
    >>> rows.n, rows.replication_of_row.tolist(), rows.per_replication(np.arange(3.0)).tolist()
    (6, [0, 1, 2, 0, 1, 2], [0.0, 1.0, 2.0, 0.0, 1.0, 2.0])
    """

    points: tuple[int, int]
    replications: tuple[int, int]

    @property
    def n_points(self) -> int:
        return self.points[1] - self.points[0]

    @property
    def n_replications(self) -> int:
        return self.replications[1] - self.replications[0]

    @property
    def n(self) -> int:
        """Number of rows."""
        return self.n_points * self.n_replications

    @cached_property
    def replication_of_row(self) -> NDArray[np.intp]:
        """Each row's replication, counted from ``replications[0]``."""
        return np.tile(np.arange(self.n_replications), self.n_points)

    def per_replication(self, values: NDArray[Any]) -> NDArray[Any]:
        """Rows' values of an array over the batch's replications (``n_replications`` long)."""
        return values if self.n_points == 1 else np.tile(values, self.n_points)


@dataclass(frozen=True)
class Inputs:
    """Values set per point of a design and per replication, validated (see :func:`~kursk_sim.inputs.check_values`).

    Attributes
    ----------
    points : dict of str to ndarray
        Path to one value per point (scenario units: dates as ordinals),
        starting at point ``first_point``.
    replications : dict of str to ndarray
        Path to one value per replication, starting at ``first_replication``.
    first_point, first_replication : int
        The global index of each array's first element (a worker is sent
        only the part of a long array its chunks need, see :meth:`window`).
    """

    points: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    replications: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    first_point: int = 0
    first_replication: int = 0

    def window(self, points: tuple[int, int], replications: tuple[int, int]) -> Inputs:
        """Only the values of global points ``points[0] .. points[1] - 1`` and of those replications."""
        (j0, j1), (r0, r1) = points, replications
        pj, pr = j0 - self.first_point, r0 - self.first_replication
        return Inputs(
            {k: v[pj : pj + j1 - j0] for k, v in self.points.items()},
            {k: v[pr : pr + r1 - r0] for k, v in self.replications.items()},
            j0,
            r0,
        )

    def on_rows(self, path: str, rows: ChunkRows) -> NDArray[np.float64] | None:
        """The rows' values of ``path`` if it is set per point or per replication, else None."""
        if path in self.points:
            j0 = rows.points[0] - self.first_point
            return np.repeat(self.points[path][j0 : j0 + rows.n_points], rows.n_replications)
        if path in self.replications:
            r0 = rows.replications[0] - self.first_replication
            return rows.per_replication(self.replications[path][r0 : r0 + rows.n_replications])
        return None


@dataclass(frozen=True)
class BatchParameters:
    """Every parameter of a scenario as arrays over ``n`` replications."""

    n: int
    rows: ChunkRows
    horizon: int
    integer_counts: bool
    contingent_ids: tuple[str, ...]
    attacker: NDArray[np.bool_]  # (C,) contingent is on the attacker's side
    values: dict[str, Any]
    waves: tuple[WaveParameters, ...]
    modifiers: tuple[ModifierParameters, ...]
    rtd_stages: NDArray[np.int64]  # (C,)
    noise: str
    normal_above: float  # binomial draws of at least this variance are normal; inf: all exact
    law: tuple[tuple[Any, Any], tuple[Any, Any]]  # (p, q) of the attacker's losses, of the defender's
    steps_per_day: int  # Euler steps of the law within a day
    attacker_id: str
    defender_id: str
    mobilisation_contingent: int
    event_names: tuple[str, ...]  # every event the run records
    schedules: dict[str, Array]  # each scheduled target's value per day, NaN before its first date

    def __getitem__(self, path: str) -> Any:
        return self.values[path]

    @cached_property
    def side_of_contingent(self) -> NDArray[np.intp]:
        """``(C,)`` each contingent's side: 0 attacker, 1 defender (its column in ``(n, 2)`` side arrays)."""
        return np.where(self.attacker, 0, 1)

    @cached_property
    def contingents_of_side(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The contingents (column indices) of the attacker's side, then of the defender's."""
        attacker, defender = np.flatnonzero(self.attacker).tolist(), np.flatnonzero(~self.attacker).tolist()
        return tuple(attacker), tuple(defender)

    def per_contingent(self, suffix: str, default: float | None = None) -> Array:
        """``(n, C)`` array of the contingent parameter ``<id>.<suffix>``, column-major like the model's state.

        A contingent without the parameter (absent or ``None``) takes
        ``default``; without a default the parameter is required
        (``KeyError`` otherwise).
        """
        cols = []
        for cid in self.contingent_ids:
            value = self.values.get(f"{cid}.{suffix}")
            if value is None:
                if default is None:
                    raise KeyError(f"{cid}.{suffix}")
                value = default
            cols.append(np.broadcast_to(value, (self.n,)))
        return np.stack(cols, axis=1).astype(float, order="F")


def _law(law: Law, values: dict[str, Any]) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    if law.preset == "custom":
        return tuple((values[f"law.{role}.p"], values[f"law.{role}.q"]) for role in ("attacker", "defender"))
    return LAW_PRESETS[law.preset]


def sample_values(scenario: Scenario, streams: ChunkStreams, skip: Any = ()) -> dict[str, NDArray[np.float64]]:
    """Draw every uncertain parameter once per replication of a chunk.

    Parameter ``path`` is drawn through its distribution's inverse CDF from
    the replication stream ``parameter:<path>``, so a replication's value
    depends only on the run's seed, the path and the replication's index
    (not on the other parameters, the chunk or the point). The columns of a
    joint sample (:class:`~kursk_sim.distributions.Empirical` with a
    ``group``) share the stream ``joint:<group>``, so they draw the same
    row.

    Parameters
    ----------
    scenario : Scenario
    streams : ChunkStreams
        The chunk's streams (they know its replications).
    skip : collection of str
        Paths not to draw (set per point or per replication instead).

    Returns
    -------
    dict of str to ndarray
        One value per replication of the chunk, in scenario units (dates as
        proleptic ordinals, not rounded).
    """
    out = {}
    for path, value, _ in schema.iter_leaves(scenario):
        if isinstance(value, Distribution) and path not in skip:
            group = getattr(value, "group", "")
            if group:  # a joint sample's columns draw the same row: one stream for the whole group
                out[path] = value.at(open_unit(streams.uniforms(f"joint:{group}")))
            else:
                out[path] = value.ppf(open_unit(streams.uniforms(f"parameter:{path}")))
    return out


def assemble(
    scenario: Scenario,
    rows: ChunkRows,
    streams: ChunkStreams,
    sampled: dict[str, NDArray[np.float64]],
    inputs: Inputs | None = None,
) -> BatchParameters:
    """Lay every parameter out over a batch's rows.

    Parameters
    ----------
    scenario : Scenario
    rows : ChunkRows
        The batch's points and replications.
    streams : ChunkStreams
        The chunk's streams (whether each wave happens is drawn from the
        replication stream ``wave:<event>``).
    sampled : dict of str to ndarray
        Per replication, from :func:`sample_values`.
    inputs : Inputs, optional
        Values set per point or per replication; they take precedence over
        the scenario's values and distributions.

    Returns
    -------
    BatchParameters
    """
    inputs = inputs or Inputs()
    n = rows.n
    start = scenario.start_date.toordinal()
    values: dict[str, Any] = {}
    for path, value, spec in schema.iter_leaves(scenario):
        given = inputs.on_rows(path, rows)
        if given is None and path in sampled:
            given = rows.per_replication(sampled[path])
        if given is not None:
            values[path] = np.rint(given - start) if spec.kind == "date" else given
        elif isinstance(value, dt.date):
            values[path] = float(value.toordinal() - start)
        else:
            values[path] = value
    integer = scenario.noise.kind != "none"
    ids = scenario.contingent_ids
    index = {cid: i for i, cid in enumerate(ids)}

    if integer:  # whole troops when losses are drawn as counts
        for cid in ids:
            values[f"{cid}.strength"] = np.rint(values[f"{cid}.strength"])

    return BatchParameters(
        n=n,
        rows=rows,
        horizon=scenario.horizon_days,
        integer_counts=integer,
        contingent_ids=ids,
        attacker=np.array([c.side == "attacker" for c in scenario.contingents.values()]),
        values=values,
        waves=wave_parameters(scenario, rows, streams, values, integer),
        modifiers=modifier_parameters(scenario, n, values),
        event_names=tuple(event_names(scenario)),
        schedules=schedule_values(scenario),
        rtd_stages=np.array([c.return_to_duty.stages for c in scenario.contingents.values()], dtype=np.int64),
        noise=scenario.noise.kind,
        normal_above=scenario.noise.normal_above if scenario.noise.approximation == "normal" else np.inf,
        law=_law(scenario.law, values),
        steps_per_day=int(scenario.law.steps_per_day),
        attacker_id=scenario.attacker.id,
        defender_id=scenario.defender.id,
        mobilisation_contingent=index.get(scenario.mobilisation.contingent, -1),
    )


def draw_parameters(scenario: Scenario, n: int, seed: int | np.random.SeedSequence | None = 0) -> BatchParameters:
    """Sample and assemble replications ``0 .. n - 1`` of a scenario, as chunk 0 of a run seeded ``seed``.

    Examples
    --------
    >>> import kursk_sim as ks
    >>> bp = draw_parameters(ks.load_scenario("kursk-2024"), 4, seed=0)
    >>> bp.per_contingent("strength").shape
    (4, 3)
    """
    root = root_sequence(seed)
    rows = ChunkRows((0, 1), (0, n))
    streams = ChunkStreams(root, 0, rows.replications)
    return assemble(scenario, rows, streams, sample_values(scenario, streams))
