"""The deterministic mode: the one model with nothing drawn, for fitting and analysis.

:func:`deterministic` runs a scenario in which:

* every loss, split and return to duty is its expectation (the mean-field
  difference equations, ``noise.kind = "none"``);
* every uncertain parameter sits at a stated point: its median (default) or
  its mean, or the values given for each row;
* a reinforcement wave that may not come brings its expected size
  (``size * probability``) on its (median) date;
* the encirclement hazard acts by its expected effect (a share of the front
  still held is encircled each day at risk; see
  :func:`kursk_sim.rules.encirclement.encirclement`);
* trajectories are float64, straight from the model's state.

Outputs are then smooth in every continuous parameter, except where a rule
switches (withdrawal and mobilisation fire on thresholds, an advance stops at
zero area) and in dates, which are whole days. Several parameter sets run
as the rows of one batch (``values=``), which is how a fit evaluates a
Jacobian in one call.

Examples
--------
>>> import kursk_sim as ks
>>> run = ks.deterministic(ks.load_scenario("kursk-2024"), values={"defender.lethality": [0.012, 0.0145]})
>>> cas = run.trajectory("casualties").sel(contingent="kpa", date="2024-12-24").values
>>> bool(cas[1] > cas[0])  # more Ukrainian fire, more North Korean casualties
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import schema
from .chunks import ChunkPlan, chunk_model, record_series, series_columns, series_count
from .distributions import Distribution
from .inputs import check_values
from .model import Model, Process
from .parameters import Inputs
from .results import UNITS, LabelledArray
from .rules import per_contingent
from .scenario import Scenario

__all__ = ["DeterministicRun", "deterministic", "fixed_scenario"]

POINTS = ("median", "mean")


def fixed_scenario(scenario: Scenario, at: str = "median") -> Scenario:
    """The scenario with every distribution at its ``median`` or ``mean``, and mean-field noise.

    Dates are rounded to whole days. Waves keep their probability here (see
    :func:`deterministic`, which gives them their expected size).
    """
    if at not in POINTS:
        raise ValueError(f"at: got {at!r}, expected one of {POINTS}")
    changes: dict[str, Any] = {"noise.kind": "none"}
    for path, value, spec in schema.iter_leaves(scenario):
        if isinstance(value, Distribution):
            x = float(value.ppf(0.5)) if at == "median" else value.expected_value()
            changes[path] = dt.date.fromordinal(int(round(x))) if spec.kind == "date" else x
    return scenario.replace(changes)


@dataclass(frozen=True)
class DeterministicRun:
    """Float64 trajectories of one or more rows of the deterministic model.

    Attributes
    ----------
    scenario : Scenario
        The scenario as run (distributions at their point, mean-field noise).
    values : dict of str to ndarray
        The values set per row (scenario units), besides the waves' expected sizes.
    dates : ndarray of datetime64[D]
    contingents : tuple of str
    series : ndarray
        ``(rows, days + 1, series)`` in the layout of
        :func:`~kursk_sim.chunks.series_columns`.
    events : dict of str to ndarray
        Each row's event day (-1: never).
    """

    scenario: Scenario
    values: dict[str, NDArray[np.float64]]
    dates: NDArray[np.datetime64]
    contingents: tuple[str, ...]
    series: NDArray[np.float64] = field(repr=False)
    events: dict[str, NDArray[np.int64]] = field(repr=False)

    @property
    def rows(self) -> int:
        return self.series.shape[0]

    def trajectory(self, name: str) -> LabelledArray:
        """Daily values of every row, ``(row, date[, contingent])``, float64."""
        if name not in UNITS:
            raise KeyError(f"no output '{name}'; outputs are {tuple(UNITS)}")
        values = self.series[:, :, series_columns(name, len(self.contingents))]
        coords = {"row": np.arange(self.rows), "date": self.dates}
        if not per_contingent(name):
            return LabelledArray(name, UNITS[name], values[:, :, 0], ("row", "date"), coords)
        coords["contingent"] = np.array(self.contingents)
        return LabelledArray(name, UNITS[name], values, ("row", "date", "contingent"), coords)

    def trajectories(self) -> dict[str, NDArray[np.float64]]:
        """``{output: array}`` and ``{"event.<name>": days}``, as :meth:`~kursk_sim.observations.Observation.model_value` reads them."""
        out: dict[str, NDArray[np.float64]] = {name: self.trajectory(name).values for name in UNITS}
        out |= {f"event.{name}": days for name, days in self.events.items()}
        return out


class _Keep:
    """A recorder keeping every series of every row, every day, in float64."""

    def __init__(self, n: int, rows: int, n_c: int) -> None:
        self.n_c = n_c
        self.series = np.empty((n, rows, series_count(n_c)))
        self._day = np.empty((series_count(n_c), n))

    def __call__(self, model: Model, row: int) -> None:
        record_series(self._day, model.state, self.n_c)
        self.series[:, row] = self._day.T


def deterministic(
    scenario: Scenario,
    values: Mapping[str, ArrayLike] | None = None,
    at: str = "median",
    *,
    extra_processes: Iterable[Process] = (),
) -> DeterministicRun:
    """Run the scenario with nothing drawn (see the module's docstring).

    Parameters
    ----------
    scenario : Scenario
    values : mapping of str to array_like, optional
        Parameter path to one value per row (all arrays the same length);
        each row is one run. Default: one row.
    at : {"median", "mean"}
        Where the uncertain parameters the values do not set sit.
    extra_processes : iterable of callables, optional
        Processes of your own, as for :func:`~kursk_sim.run.simulate`.

    Returns
    -------
    DeterministicRun

    Raises
    ------
    ScenarioError
        For a bad path or value (as :func:`~kursk_sim.run.simulate`'s ``values``).
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(f"scenario: got {type(scenario).__name__}, expected a Scenario (see ks.load_scenario)")
    fixed = fixed_scenario(scenario, at)
    raw = dict(values or {})
    lengths = {np.size(v) for v in raw.values()}
    n = lengths.pop() if len(lengths) == 1 else (1 if not raw else None)
    if n is None:
        raise ValueError(
            f"values: got arrays of lengths {sorted({np.size(v) for v in raw.values()})}, expected one length"
        )
    checked = check_values(fixed, raw, n, "row") if raw else {}
    checked = _expected_waves(fixed, checked, n)
    plan = ChunkPlan(n, max(n, 1), entropy=0)
    keep = _Keep(n, fixed.horizon_days + 1, len(fixed.contingent_ids))
    model = chunk_model(fixed, plan, 0, list(extra_processes), Inputs(replications=checked), [keep])
    model.run()
    start = np.datetime64(fixed.start_date, "D")
    return DeterministicRun(
        fixed,
        {k: v for k, v in checked.items() if k in raw},
        start + np.arange(fixed.horizon_days + 1),
        fixed.contingent_ids,
        keep.series,
        {name: days.copy() for name, days in model.state.events.items()},
    )


def _expected_waves(
    scenario: Scenario, values: dict[str, NDArray[np.float64]], n: int
) -> dict[str, NDArray[np.float64]]:
    """Each wave's expected size (size x probability) with probability 1, per row."""
    out = dict(values)
    for cid, c in scenario.contingents.items():
        for wname, wave in c.waves.items():
            size, prob = f"{cid}.{wname}.size", f"{cid}.{wname}.probability"
            s = out.get(size, np.full(n, float(wave.size)))
            p = out.get(prob, np.full(n, float(wave.probability)))
            out[size], out[prob] = s * p, np.ones(n)
    return out
