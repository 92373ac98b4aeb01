"""Withdrawal: the defender leaves the front the day a criterion holds.

Scenario table: ``[withdrawal]``. Event: ``<defender>_withdrawal``.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from ..batch import end_front, side_total
from ..phase import Phase
from ..schema import DateValue, Value, param
from .base import Rule, Section

if TYPE_CHECKING:
    from ..model import Model

__all__ = ["Withdrawal", "RULE", "withdrawal"]


@dataclass(frozen=True, kw_only=True)
class Withdrawal:
    """The defender withdraws the day the first enabled criterion holds."""

    enabled: bool = param("", "switch the rule on or off", kind="bool", default=True)
    strength_below: Value | None = param(
        "share", "withdraw when side strength < this share of its start", ge=0.0, le=1.0, default=None
    )
    area_below_km2: Value | None = param("km²", "withdraw when area held < this", ge=0.0, default=None)
    on_date: DateValue | None = param("date", "withdraw on this date at the latest", kind="date", default=None)


def withdrawal(model: Model) -> Generator[simpy.events.Event, Any, None]:
    """The defender withdraws the first day any enabled criterion holds."""
    p, s = model.params, model.state
    if not p["withdrawal.enabled"]:
        return
    event = s.events[f"{p.defender_id}_withdrawal"]
    initial = side_total(p, 1, s.initial)
    share = p.values.get("withdrawal.strength_below")
    area_below = p.values.get("withdrawal.area_below_km2")
    on_day = p.values.get("withdrawal.on_date")
    yield model.wait_for(Phase.WITHDRAW)
    while True:
        fire = np.zeros(p.n, dtype=bool)
        if share is not None:
            fire |= side_total(p, 1, s.strength) < share * initial
        if area_below is not None:
            fire |= s.area < area_below
        if on_day is not None:
            fire |= model.day >= on_day
        fire &= s.engaged
        if fire.any():
            end_front(model, fire, event)
        yield model.env.timeout(1.0)


RULE = Rule(
    name="withdrawal",
    doc="the defender withdraws the first day an enabled criterion holds",
    processes=lambda params: [withdrawal],
    sections=(
        Section("withdrawal", Withdrawal, "defender's withdrawal rule", default=lambda: Withdrawal(enabled=False)),
    ),
    events=lambda sc: [f"{sc.defender.id}_withdrawal"],
)
