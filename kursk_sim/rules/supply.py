"""Supply: replenishment by a daily quota up to a strength ceiling, and the mobilised inflow.

Scenario table: each contingent's ``replenishment``.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ..batch import NOT_YET, held
from ..phase import Phase
from ..schema import MAX_TROOPS, MAX_TROOPS_PER_DAY, DateValue, Value, param
from .base import Rule, Section

if TYPE_CHECKING:
    import simpy

    from ..model import Model

__all__ = ["Replenishment", "RULE", "supply"]

Array = NDArray[np.float64]


@dataclass(frozen=True, kw_only=True)
class Replenishment:
    """A steady inflow of replacements.

    The daily quota is ``share * per_day * (1 - decline_per_day) ** days_since_start``
    between ``start`` and ``stop``; while the contingent is at or above
    ``cap`` (a strength ceiling), no replacements arrive. ``share`` is the
    part of a wider inflow that reaches this front (``per_day`` can then be
    a figure for a whole army, as a source gives it).
    """

    per_day: Value = param("troops/day", "daily inflow at its start", ge=0.0, le=MAX_TROOPS_PER_DAY, default=0.0)
    start: DateValue | None = param("date", "first day of inflow (default: scenario start)", kind="date", default=None)
    stop: DateValue | None = param("date", "day the inflow stops (default: never)", kind="date", default=None)
    cap: Value | None = param(
        "troops", "strength ceiling the inflow fills up to (default: none)", ge=0.0, le=MAX_TROOPS, default=None
    )
    decline_per_day: Value = param("1/day", "fractional daily decline of the quota", ge=0.0, lt=1.0, default=0.0)
    share: Value = param("share", "share of per_day that reaches this front", ge=0.0, le=1.0, default=1.0)


def supply(model: Model) -> Generator[simpy.events.Event, Any, None]:
    """Replenishment: a daily quota per contingent, capped by a strength ceiling.

    The quota ``per_day * (1 - decline)**(day - start)`` (times a
    scheduled multiplier, ``<contingent>.replenishment``) flows between start
    and stop (plus the mobilised inflow once mobilisation has taken effect).
    In counting runs whole troops are issued by carrying the fraction over to
    the next day, so no random draw is needed. Troops arrive only while the
    contingent is below its cap; a quota not delivered is lost. Mobilised
    troops form new units and are not limited by the cap. Once the defender
    has left the front (withdrawal or encirclement) its replacements stop.
    """
    p, s = model.params, model.state
    per_day = p.per_contingent("replenishment.per_day")
    share = p.per_contingent("replenishment.share", 1.0)
    if not np.all(share == 1.0):
        per_day = per_day * share
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
    # quotas on a schedule (kursk_sim.rules.schedules): (column, multiplier per day, NaN before its first date)
    scheduled = [
        (c, p.schedules[f"{cid}.replenishment"])
        for c, cid in enumerate(p.contingent_ids)
        if f"{cid}.replenishment" in p.schedules
    ]
    if mob < 0 and not per_day.any():  # nothing ever flows (quota_today stays 0): pay nothing for this rule
        return
    yield model.wait_for(Phase.SUPPLY)
    while True:
        day = model.day
        if day > last_start:
            rate *= keep
        elif day > 0:
            rate = np.where(day > start, rate * keep, rate)
        quota = np.copy(rate)
        for c, factor in scheduled:
            if day < factor.size and not np.isnan(factor[day]):
                quota[:, c] *= factor[day]
        share_held = held(s) * s.supplied
        for c in defenders:  # the defender's replacements stop once it has left the front
            quota[:, c] *= share_held
        if not last_start <= day < first_stop:
            quota *= (day >= start) & (day < stop)
        s.quota_today = quota
        arrivals = _issue(s.quota_today, s.quota_expected, s.quota_issued, p.integer_counts)
        for c, ceiling in capped:  # the room under the ceiling, in whole troops in counting runs
            room = np.maximum(ceiling - s.strength[:, c], 0.0)
            np.minimum(arrivals[:, c], np.floor(room) if p.integer_counts else room, out=arrivals[:, c])
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


RULE = Rule(
    name="supply",
    doc="replacements by a daily quota up to a strength ceiling; the mobilised inflow",
    processes=lambda params: [supply],
    sections=(Section("replenishment", Replenishment, "steady inflow", default=Replenishment, contingent=True),),
)
