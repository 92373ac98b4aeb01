"""Territory: the ground the defender holds and how the force ratio takes it.

Scenario table: ``[territory]``. Output: ``area``, the area held (km²).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from ..batch import side_fire
from ..phase import Phase
from ..schema import Value, param
from .base import Output, Rule, Section

if TYPE_CHECKING:
    from ..model import Model

__all__ = ["Territory", "RULE", "territory"]


@dataclass(frozen=True, kw_only=True)
class Territory:
    """Area held by the defender and how the force ratio moves it.

    Each day the defender loses
    ``advance_km2_per_day * max(ratio - threshold_ratio, 0)`` km², where
    ``ratio`` is the attacker's effective strength over the defender's.
    """

    initial_area_km2: Value = param("km²", "area held by the defender at the start", ge=0.0)
    reference_area_km2: Value = param("km²", "area at stake, for shares (default: initial)", gt=0.0, default=None)
    threshold_ratio: Value = param("1", "force ratio below which the attacker gains no ground", ge=0.0, default=1.0)
    advance_km2_per_day: Value = param(
        "km²/day", "ground taken per day per unit of ratio above threshold", ge=0.0, default=0.0
    )


def territory(model: Model) -> Generator[simpy.events.Event, Any, None]:
    """Ground: the defender loses ``rate * (ratio - threshold)`` km² a day above threshold."""
    p, s = model.params, model.state
    rate = p["territory.advance_km2_per_day"]
    threshold = p["territory.threshold_ratio"]
    yield model.wait_for(Phase.MANOEUVRE)
    while True:
        if not s.engaged.any():  # no front: the ground stays as it is
            yield model.env.timeout(1.0)
            continue
        f_att, f_def = side_fire(model)
        ratio = np.divide(f_att, f_def, out=np.full_like(f_att, np.inf), where=f_def > 0)
        excess = np.maximum(ratio - threshold, 0.0)
        with np.errstate(invalid="ignore"):
            advance = np.where(np.isinf(excess), s.area, rate * excess * s.advance)
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
