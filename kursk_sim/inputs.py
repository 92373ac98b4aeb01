"""Values set per replication or per point of a design: validated, in scenario units.

``simulate(..., values={path: array})`` sets a parameter for each
replication, and a :class:`~kursk_sim.design.Design` for each point of a
sweep. Both go through :func:`check_values`, which applies the scenario
file's rules to every element: the path must name a parameter the scenario
sets and that may vary (a number or a date), each value must lie in the
parameter's range, and the constraints between parameters
(:mod:`kursk_sim.constraints`) must hold element by element. Errors name the
path, the value, what was expected and the element's index.

Numbers are kept as float64; dates (``datetime.date``, ISO strings or
``datetime64``) as proleptic ordinals, like the scenario's own dates.

Examples
--------
>>> import kursk_sim as ks
>>> sc = ks.load_scenario("kursk-2024")
>>> v = check_values(sc, {"ru.replenishment.per_day": [600, 1200], "kpa.second_wave.date": ["2025-02-01", "2025-03-01"]}, 2)
>>> v["ru.replenishment.per_day"].tolist(), float(v["kpa.second_wave.date"][1] - v["kpa.second_wave.date"][0])
([600.0, 1200.0], 28.0)
>>> check_values(sc, {"kpa.second_wave.probability": [0.5, 1.5]}, 2)
Traceback (most recent call last):
...
kursk_sim.errors.ScenarioError: kpa.second_wave.probability: got 1.5, expected a number >= 0 and <= 1 (probability) (replication 1)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import schema
from .constraints import Intervals, check_constraints
from .errors import ScenarioError

__all__ = ["check_values", "varying_parameters", "ORDINAL_OF_EPOCH"]

#: Proleptic ordinal of 1970-01-01, the epoch of ``datetime64``.
ORDINAL_OF_EPOCH = dt.date(1970, 1, 1).toordinal()


def varying_parameters(scenario: Any) -> dict[str, tuple[Any, schema.Spec]]:
    """Every parameter that values per element may set: ``{path: (value, spec)}``.

    Those the scenario sets whose kind is a number or a date (the ones a
    distribution may also describe).
    """
    return {
        path: (value, spec)
        for path, value, spec in schema.iter_leaves(scenario)
        if spec.uncertain and value is not None
    }


def check_values(
    scenario: Any, values: Mapping[str, ArrayLike], length: int | None, element: str = "replication"
) -> dict[str, NDArray[np.float64]]:
    """Validate values given per element and convert them to scenario units.

    Parameters
    ----------
    scenario : Scenario
    values : mapping of str to array_like
        Parameter path to one value per element.
    length : int or None
        Number of elements each array must have (``None``: any, the same for all).
    element : str
        What an element is (``replication``, ``point``), for messages.

    Returns
    -------
    dict of str to ndarray
        Float64 arrays; dates as proleptic ordinals.

    Raises
    ------
    ScenarioError
        Naming the path, the value and what was expected.
    """
    if not isinstance(values, Mapping):
        raise ScenarioError("values", values, "a mapping of parameter paths to arrays")
    known = varying_parameters(scenario)
    out: dict[str, NDArray[np.float64]] = {}
    for path, raw in values.items():
        if path not in known:
            raise _unknown(scenario, path, raw)
        value, spec = known[path]
        arr = _as_array(raw, spec, path, element)
        if arr.ndim != 1:
            raise ScenarioError(path, f"an array of shape {arr.shape}", f"one value per {element} (a 1-D array)")
        if length is None:
            length = arr.size
        if arr.size != length:
            raise ScenarioError(path, f"{arr.size} values", f"one value per {element}: {length}")
        if spec.kind == "number":
            bad = ~np.isfinite(arr)
            if bad.any():
                i = int(np.argmax(bad))
                raise ScenarioError(path, float(arr[i]), f"a finite number{_unit(spec)} ({element} {i})")
            bad = _out_of_bounds(arr, spec)
            if bad.any():
                i = int(np.argmax(bad))
                raise ScenarioError(path, float(arr[i]), f"a number {spec.bounds_text()}{_unit(spec)} ({element} {i})")
        out[path] = arr
    check_constraints(scenario, Intervals(scenario, out, element))
    return out


def _unknown(scenario: Any, path: Any, raw: Any) -> ScenarioError:
    leaves = {p: (v, spec) for p, v, spec in schema.iter_leaves(scenario)}
    if path in leaves:
        value, spec = leaves[path]
        if value is None:
            return ScenarioError(
                path,
                _shown(raw),
                "a parameter the scenario sets (give it a value with Scenario.replace first)",
            )
        return ScenarioError(path, _shown(raw), f"a number or a date parameter (this {spec.kind} is fixed for a run)")
    names = sorted(p for p, (v, spec) in leaves.items() if spec.uncertain and v is not None)
    return ScenarioError(str(path), _shown(raw), f"a parameter path that can vary{schema.suggest(str(path), names)}")


def _unit(spec: schema.Spec) -> str:
    return f" ({spec.unit})" if spec.unit else ""


def _out_of_bounds(arr: NDArray[np.float64], spec: schema.Spec) -> NDArray[np.bool_]:
    bad = np.zeros(arr.shape, dtype=bool)
    if spec.ge is not None:
        bad |= arr < spec.ge
    if spec.gt is not None:
        bad |= arr <= spec.gt
    if spec.le is not None:
        bad |= arr > spec.le
    if spec.lt is not None:
        bad |= arr >= spec.lt
    return bad


def _as_array(raw: Any, spec: schema.Spec, path: str, element: str) -> NDArray[np.float64]:
    """Float64 values of a number parameter, or proleptic ordinals of a date parameter."""
    arr = np.asarray(raw)
    if spec.kind == "date":
        if np.issubdtype(arr.dtype, np.number) or arr.dtype == bool:
            raise ScenarioError(
                path, _first(arr), f"dates (YYYY-MM-DD strings, datetime.date or datetime64), one per {element}"
            )
        try:
            days = arr.astype("datetime64[D]")
        except (ValueError, TypeError):
            raise ScenarioError(path, _first(arr), f"dates (YYYY-MM-DD), one per {element}") from None
        if np.isnat(days).any():
            i = int(np.argmax(np.isnat(days)))
            raise ScenarioError(path, "NaT", f"a date ({element} {i})")
        return days.astype(np.int64).astype(float) + ORDINAL_OF_EPOCH
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == object):
        raise ScenarioError(path, _first(arr), f"numbers{_unit(spec)}, one per {element}")
    try:
        return arr.astype(np.float64)
    except (ValueError, TypeError):
        raise ScenarioError(path, _first(arr), f"numbers{_unit(spec)}, one per {element}") from None


def _first(arr: NDArray[Any]) -> Any:
    return arr.ravel()[0] if arr.size else arr


def _shown(raw: Any) -> Any:
    """Values as a short list for a message."""
    try:
        return np.asarray(raw).ravel()[:6].tolist()
    except (TypeError, ValueError):
        return raw
