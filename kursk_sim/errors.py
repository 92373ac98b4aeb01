"""Exceptions raised by kursk_sim."""

from __future__ import annotations

import datetime as dt
from typing import Any

__all__ = ["ScenarioError", "ModelError"]


class ScenarioError(ValueError):
    """A scenario parameter is missing, mistyped or out of range.

    The message always names the parameter path (``ru.replenishment.per_day``),
    the value given and what was expected, so a typo in a scenario file can be
    found without a traceback.

    Parameters
    ----------
    path : str
        Dotted path of the offending parameter (empty for the whole scenario).
    value : object
        The value that was given.
    expected : str
        What would have been accepted.

    Examples
    --------
    >>> err = ScenarioError("ru.strength", -5, "a number >= 0")
    >>> str(err)
    'ru.strength: got -5, expected a number >= 0'
    """

    def __init__(self, path: str, value: Any, expected: str) -> None:
        self.path = path
        self.value = value
        self.expected = expected
        where = path if path else "scenario"
        super().__init__(f"{where}: got {_show(value)}, expected {expected}")


def _show(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class ModelError(ArithmeticError):
    """The model reached a state it cannot go on from (a non-finite loss rate), naming the rule and the day.

    Validation refuses the inputs known to lead there; this guards the run
    against the rest, so a result never holds NaN. Raised inside a chunk, it
    reaches the caller as a :class:`~kursk_sim.execution.SimulationError`.
    """
