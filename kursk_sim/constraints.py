"""Constraints between parameters, checked on intervals.

One set of rules serves a scenario file (where an uncertain parameter's
interval is its distribution's support) and values set per replication or
per point of a design (where each element is its own interval): killed and
missing shares that add up to more than one, a mean return-to-duty delay
shorter than its stages, a replenishment stopping before it starts, dates
before the scenario's start, a modifier ending before it begins.

Examples
--------
>>> import kursk_sim as ks
>>> sc = ks.load_scenario("kursk-2024")
>>> check_constraints(sc, Intervals(sc))  # the default scenario holds
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import schema
from .distributions import Distribution
from .errors import ScenarioError

__all__ = ["Intervals", "check_constraints", "as_number"]


def as_number(value: Any) -> float:
    """A fixed parameter value as a number: dates become proleptic ordinals."""
    return float(value.toordinal()) if isinstance(value, dt.date) else float(value)


class Intervals:
    """The smallest and largest value of each parameter, per element.

    Parameters
    ----------
    scenario : Scenario
    values : mapping of str to ndarray, optional
        Values set per element (replication or point), in scenario units
        (dates as proleptic ordinals); they replace the scenario's.
    element : str
        What one element is, for error messages (``replication``, ``point``).
    """

    def __init__(
        self, scenario: Any, values: Mapping[str, NDArray[np.float64]] | None = None, element: str = ""
    ) -> None:
        self.scenario = scenario
        self.values = dict(values or {})
        self.element = element
        self._leaves = {path: value for path, value, _ in schema.iter_leaves(scenario)}

    def has(self, path: str) -> bool:
        """Whether the parameter is set."""
        return path in self.values or self._leaves.get(path) is not None

    def bounds(self, path: str) -> tuple[Any, Any]:
        """``(lowest, highest)``: scalars, or arrays over the elements."""
        if path in self.values:
            return self.values[path], self.values[path]
        value = self._leaves[path]
        if isinstance(value, Distribution):
            return value.support()
        x = as_number(value)
        return x, x

    def lo(self, path: str) -> Any:
        return self.bounds(path)[0]

    def hi(self, path: str) -> Any:
        return self.bounds(path)[1]

    def error(self, path: str, bad: Any, expected: str) -> ScenarioError:
        """The error for the first element where ``bad`` holds, naming it when values vary."""
        bad = np.asarray(bad)
        if bad.ndim == 0:
            value = self._leaves.get(path)
            shown = value.to_dict() if isinstance(value, Distribution) else value
            return ScenarioError(path, shown, expected)
        i = int(np.argmax(bad))
        if path in self.values:
            shown: Any = _element_value(self.values[path][i], self._leaves.get(path))
        else:
            value = self._leaves.get(path)
            shown = value.to_dict() if isinstance(value, Distribution) else value
        return ScenarioError(path, shown, f"{expected} ({self.element} {i})")


def _element_value(x: float, like: Any) -> Any:
    is_date = isinstance(like, dt.date) or (isinstance(like, Distribution) and like.is_date)
    return dt.date.fromordinal(int(round(x))) if is_date else float(x)


def _fails(condition: Any) -> Any:
    """Where a constraint fails: ``not condition``, elementwise (NaN-safe: NaN fails)."""
    return ~np.asarray(condition, dtype=bool)


def check_constraints(scenario: Any, iv: Intervals) -> None:
    """Raise :class:`~kursk_sim.errors.ScenarioError` for the first constraint that fails.

    Parameters
    ----------
    scenario : Scenario
    iv : Intervals
        The parameters' intervals (the scenario's, or per element).
    """
    start = float(scenario.start_date.toordinal())
    for cid, c in scenario.contingents.items():
        killed, missing = f"{cid}.casualties.killed", f"{cid}.casualties.missing"
        k_hi = iv.hi(killed)
        bad = _fails(k_hi + iv.hi(missing) <= 1.0 + 1e-12)
        if bad.any():
            k_shown = float(np.max(k_hi)) if np.ndim(k_hi) == 0 else float(np.asarray(k_hi)[np.argmax(bad)])
            raise iv.error(missing, bad, f"a share with killed + missing <= 1 (killed up to {k_shown:g})")
        delay = f"{cid}.return_to_duty.mean_delay_days"
        stages = c.return_to_duty.stages
        bad = _fails(iv.lo(delay) >= stages)
        if bad.any():
            raise iv.error(delay, bad, f"a mean delay >= stages={stages} days (each stage lasts at least a day)")
        rep_start, rep_stop = f"{cid}.replenishment.start", f"{cid}.replenishment.stop"
        if iv.has(rep_start) and iv.has(rep_stop):
            bad = _fails(iv.hi(rep_start) <= iv.lo(rep_stop))
            if bad.any():
                raise iv.error(rep_stop, bad, f"a date after start={c.replenishment.start}")
        for wname in c.waves:
            date = f"{cid}.{wname}.date"
            bad = _fails(iv.lo(date) >= start)
            if bad.any():
                raise iv.error(date, bad, f"a date on or after start_date={scenario.start_date}")
    for name, mod in scenario.modifiers.items():
        end = f"modifiers.{name}.end"
        if iv.has(end):
            bad = _fails(iv.lo(end) > iv.hi(f"modifiers.{name}.start"))
            if bad.any():
                raise iv.error(end, bad, f"a date after start={mod.start}")
    on_date = "withdrawal.on_date"
    if iv.has(on_date):
        bad = _fails(iv.lo(on_date) >= start)
        if bad.any():
            raise iv.error(on_date, bad, f"a date on or after start_date={scenario.start_date}")
