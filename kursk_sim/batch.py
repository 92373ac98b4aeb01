"""The batch state the rules act on, and helpers for its arrays.

Every array has the replication (a row of the batch) as its leading axis;
counts of contingents are ``(n, C)`` column-major. The helpers here are
shared by several rules: totals per side, the share of the front still
held, taking some rows of an array.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from .model import Model
    from .parameters import BatchParameters

__all__ = [
    "NOT_YET",
    "BatchState",
    "RowsOf",
    "end_front",
    "held",
    "one_row_if_all_same",
    "side_fire",
    "side_total",
    "side_totals",
    "take_rows",
]

Array = NDArray[np.float64]
#: Day index of an event that has not happened.
NOT_YET = -1


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

        strength == initial + arrived + returned - (killed + wounded + missing) - departed
    """

    initial: Array
    strength: Array
    killed: Array
    wounded: Array
    missing: Array
    arrived: Array
    returned: Array
    departed: Array  # (n, C) left the front alive (a withdrawing main body; units rotating out)
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
    lethality: Array  # (n, 2) current multiplier on the attacker's and the defender's lethality k
    supplied: Array  # (n,) 1 while the defender's replacements reach the front, 0 once cut off or withdrawing
    withdrawing: NDArray[np.bool_]  # (n,) a staged withdrawal is under way
    encircled: NDArray[np.bool_]  # (n,) the defender holds out in a pocket
    pocket_area: Array  # (n,) area held when encircled (km²)
    extra: dict[str, Any] = field(default_factory=dict)  # free space for processes users add

    @property
    def casualties(self) -> Array:
        """Killed + wounded + missing, cumulative, ``(n, C)``."""
        return self.killed + self.wounded + self.missing


def side_fire(model: Model) -> tuple[Array, Array]:
    """Effectiveness-weighted strength ``F`` of attacker and defender, ``(n,)`` each."""
    s = model.state
    fire = side_totals(model.params, s.effectiveness * s.strength)
    return fire[:, 0], fire[:, 1]


def side_totals(p: BatchParameters, values: Array) -> Array:
    """Per-side totals of ``(n, C)`` values: ``(n, 2)`` column-major, attacker then defender.

    With one contingent a side, the attacker's first, the totals are the
    values themselves, returned as they are (to be read, not written).
    """
    attacker, defender = p.contingents_of_side
    if attacker == (0,) and defender == (1,) and values.ndim == 2 and values.flags.f_contiguous:
        return values
    if len(attacker) == 1 and len(defender) == 1 and values.ndim == 2 and values.flags.f_contiguous:
        # one contingent a side: its column is the total, both taken in one pass (the same values)
        return values.T.take((attacker[0], defender[0]), axis=0).T
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


@dataclass(frozen=True)
class RowsOf:
    """Takes the chosen replications (rows) of per-replication parameters; scalars and single rows pass through."""

    rows: slice | NDArray[np.intp]

    def __call__(self, x: Any) -> Any:
        return x if np.ndim(x) == 0 or np.shape(x)[0] == 1 else take_rows(x, self.rows)


def take_rows(x: Array, rows: slice | NDArray[np.intp]) -> Array:
    """``x[rows]``, column-major for a column-major 2-D ``x`` (plain indexing would return row-major)."""
    if isinstance(rows, slice) or x.ndim != 2:
        return x[rows]
    return x.T.take(rows, axis=1).T


def one_row_if_all_same(x: Array) -> Array:
    """``x[:1]`` when every replication (row) of ``x`` has the same values, else ``x``.

    One row broadcasts for free (an ``(n, C)`` probability the same down
    its columns is drawn with one scalar per column, see
    :func:`~kursk_sim.sampling.binomial_counts`), and arithmetic on it is done once, not ``n``
    times.
    """
    return x[:1] if x.ndim and x.shape[0] > 1 and bool((x == x[:1]).all()) else x


def held(s: BatchState) -> Array:
    """The share of each replication's front that fights: ``holding`` where ``engaged``, else 0.

    1 or 0 in counting runs; below 1 in mean-field runs once the
    encirclement hazard has acted. A process of the user's own that sets
    ``engaged`` to False stops the fighting whatever ``holding`` says.
    """
    return np.where(s.engaged, s.holding, 0.0)


def end_front(model: Model, mask: NDArray[np.bool_], event: NDArray[np.int64] | None = None) -> None:
    """The defender's hold ends where ``mask``: record ``event`` today (if given), stop combat, lose the ground."""
    s = model.state
    if event is not None:
        event[mask] = model.day
    s.engaged &= ~mask
    s.holding[mask] = 0.0
    s.area[mask] = 0.0
