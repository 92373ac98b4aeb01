"""Territory: the ground the defender holds and how the force ratio takes it.

Scenario table: ``[territory]``. Output: ``area``, the area held (km²).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..batch import side_fire
from ..phase import Phase
from ..schema import Value, param
from .base import Output, Rule, Section

if TYPE_CHECKING:
    import simpy

    from ..model import Model

__all__ = ["Territory", "RULE", "territory"]


@dataclass(frozen=True, kw_only=True)
class Territory:
    """Area held by the defender and how the force ratio moves it.

    Each day the defender loses
    ``advance_km2_per_day * max(ratio - threshold_ratio, 0) * (area / initial_area_km2) ** frontage_exponent``
    km², where ``ratio`` is the attacker's effective strength over the
    defender's. The last factor is the frontage still in contact: a salient
    that shrinks keeping its shape has a frontage proportional to the square
    root of its area (exponent 0.5), so its loss slows as it shrinks; 0
    keeps the advance independent of the ground held.

    On days a schedule sets ``territory.direction = -1`` the defender
    attacks: it regains ``advance_km2_per_day * max(1 / ratio - threshold_ratio, 0)``
    km² a day, up to the initial area.
    """

    initial_area_km2: Value = param("km²", "area held by the defender at the start", ge=0.0)
    reference_area_km2: Value = param("km²", "area at stake, for shares (default: initial)", gt=0.0, default=None)
    threshold_ratio: Value = param("1", "force ratio below which the attacker gains no ground", ge=0.0, default=1.0)
    advance_km2_per_day: Value = param(
        "km²/day", "ground taken per day per unit of ratio above threshold", ge=0.0, default=0.0
    )
    frontage_exponent: Value = param(
        "1",
        "the advance scales with (area / initial area) to this power: 0.5 for a salient whose frontage "
        "shrinks with it, 0 for none",
        ge=0.0,
        le=2.0,
        default=0.0,
    )


def territory(model: Model) -> Generator[simpy.events.Event, Any, None]:
    """Ground: the defender loses ``rate * (ratio - threshold) * (area / initial) ** e`` km² a day above threshold."""
    p, s = model.params, model.state
    rate = p["territory.advance_km2_per_day"]
    threshold = p["territory.threshold_ratio"]
    exponent = p["territory.frontage_exponent"]
    initial = np.broadcast_to(p["territory.initial_area_km2"], (p.n,)).astype(float)
    shrinks = bool(np.any(exponent != 0.0))
    still = np.ndim(rate) == 0 and rate == 0.0  # (an infinite ratio still takes the ground; threshold is finite)
    direction = p.schedules.get("territory.direction")  # -1 on days the defender attacks (kursk_sim.rules.schedules)
    yield model.wait_for(Phase.MANOEUVRE)
    while True:
        if not s.engaged.any():  # no front: the ground stays as it is
            yield model.env.timeout(1.0)
            continue
        f_att, f_def = side_fire(model)
        day = model.day
        if still and direction is None:
            lowest = float(f_def.min())  # (Python floats: an overflowing ratio is inf, with no warning)
            if lowest > 0.0 and math.isfinite(
                float(f_att.max()) / lowest
            ):  # no ratio anywhere is infinite (each is at most this one): nothing moves
                yield model.env.timeout(1.0)
                continue
        if direction is not None and day < direction.size and direction[day] < 0:  # the defender regains ground
            ratio = np.divide(f_def, f_att, out=np.full_like(f_def, np.inf), where=f_att > 0)
            excess = np.maximum(ratio - threshold, 0.0)
            room = np.maximum(initial - s.area, 0.0)
            with np.errstate(invalid="ignore"):
                gain = np.where(np.isinf(excess), room, rate * excess * s.advance)
            s.area += np.where(s.engaged, np.minimum(gain, room), 0.0)
            yield model.env.timeout(1.0)
            continue
        with np.errstate(over="ignore"):  # a defender's fire near the smallest float: an infinite ratio
            ratio = np.divide(f_att, f_def, out=np.full_like(f_att, np.inf), where=f_def > 0)
        if still:  # no advance but where the ratio is infinite, which takes all the ground
            s.area[s.engaged & np.isinf(ratio)] = 0.0
            yield model.env.timeout(1.0)
            continue
        excess = np.maximum(ratio - threshold, 0.0)
        with np.errstate(invalid="ignore"):  # an infinite ratio takes all the ground (inf * 0 is not used)
            speed = rate * excess * s.advance
            if shrinks:  # the frontage still in contact
                share = np.divide(s.area, initial, out=np.zeros_like(s.area), where=initial > 0)
                speed = speed * share**exponent
            advance = np.where(np.isinf(excess), s.area, speed)
        advance = np.where(s.engaged, np.minimum(advance, s.area), 0.0)
        s.area -= advance
        yield model.env.timeout(1.0)


RULE = Rule(
    name="territory",
    doc="the attacker takes ground at a rate driven by the force ratio",
    processes=lambda params: [territory],
    sections=(Section("territory", Territory, "ground held by the defender"),),
    outputs=(Output("area", "km²", "area held by the defender", False, lambda s: s.area * s.holding),),
)
