"""Withdrawal: the defender leaves the front the day a criterion holds.

Scenario table: ``[withdrawal]``. Event: ``<defender>_withdrawal``.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..batch import NOT_YET, end_front, side_total
from ..errors import ScenarioError
from ..phase import Phase
from ..schema import DateValue, Value, param
from .base import Rule, Section

if TYPE_CHECKING:
    import simpy

    from ..model import Model
    from ..scenario import Scenario

__all__ = ["Withdrawal", "RULE", "withdrawal", "withdrawal_event"]


@dataclass(frozen=True, kw_only=True)
class Withdrawal:
    """The defender withdraws the day the first enabled criterion holds.

    Without ``pace_km2_per_day`` the withdrawal is immediate: the front and
    the remaining ground are given up that day. With it, the withdrawal is
    a fighting withdrawal over days: from the day it starts the defender's
    replacements stop (they go to the new line), combat goes on, and the
    defender gives up ``pace_km2_per_day`` km² a day (on top of what the
    attacker's advance takes) until it holds ``remnant_km2``. Then the
    withdrawal is complete (event ``<defender>_withdrawn``): with no remnant
    the front ends; with one, a rearguard of ``rearguard_share`` of each
    defender contingent's strength stays to hold it and fights on, and the
    rest leave the front alive (counted as ``departed``).
    """

    enabled: bool = param("", "switch the rule on or off", kind="bool", default=True)
    strength_below: Value | None = param(
        "share", "withdraw when side strength < this share of its start", ge=0.0, le=1.0, default=None
    )
    area_below_km2: Value | None = param("km²", "withdraw when area held < this", ge=0.0, default=None)
    on_date: DateValue | None = param("date", "withdraw on this date at the latest", kind="date", default=None)
    pace_km2_per_day: Value | None = param(
        "km²/day", "ground given up per day of a staged withdrawal (default: all at once)", gt=0.0, default=None
    )
    remnant_km2: Value = param("km²", "ground a rearguard keeps once the withdrawal is complete", ge=0.0, default=0.0)
    rearguard_share: Value = param(
        "share", "share of each defender contingent left to hold the remnant", ge=0.0, le=1.0, default=0.0
    )


def withdrawal(model: Model) -> Generator[simpy.events.Event, Any, None]:
    """The defender withdraws the first day any enabled criterion holds, at once or in stages."""
    p, s = model.params, model.state
    if not p["withdrawal.enabled"]:
        return
    event = s.events[f"{p.defender_id}_withdrawal"]  # withdrawal_event's name
    initial = side_total(p, 1, s.initial)
    share = p.values.get("withdrawal.strength_below")
    area_below = p.values.get("withdrawal.area_below_km2")
    on_day = p.values.get("withdrawal.on_date")
    pace = p.values.get("withdrawal.pace_km2_per_day")
    if pace is not None:
        done_event = s.events[f"{p.defender_id}_withdrawn"]
        remnant = np.broadcast_to(p["withdrawal.remnant_km2"], (p.n,))
        rearguard = np.broadcast_to(p["withdrawal.rearguard_share"], (p.n,))
        defenders = np.flatnonzero(~p.attacker)
    yield model.wait_for(Phase.WITHDRAW)
    while True:
        fire = np.zeros(p.n, dtype=bool)
        if share is not None:
            fire |= side_total(p, 1, s.strength) < share * initial
        if area_below is not None:
            fire |= s.area < area_below
        if on_day is not None:
            fire |= model.day >= on_day
        fire &= s.engaged & (event == NOT_YET) & ~s.encircled
        if pace is None:
            if fire.any():
                end_front(model, fire, event)
            yield model.env.timeout(1.0)
            continue
        if fire.any():  # a staged withdrawal begins: replacements go to the new line
            event[fire] = model.day
            s.withdrawing |= fire
            s.supplied[fire] = 0.0
        active = s.withdrawing & s.engaged & ~s.encircled
        if active.any():
            give = np.where(active, np.minimum(pace, np.maximum(s.area - remnant, 0.0)), 0.0)
            s.area -= give
            done = active & (s.area <= remnant)
            if done.any():
                done_event[done] = model.day
                s.withdrawing &= ~done
                end_front(model, done & (remnant <= 0.0))
                stay = done & (remnant > 0.0)
                if stay.any():  # the main body leaves; a rearguard holds the remnant
                    keep = np.where(stay, rearguard, 1.0)
                    for c in defenders:
                        kept = s.strength[:, c] * keep
                        if p.integer_counts:
                            kept = np.rint(kept)
                        s.departed[:, c] += s.strength[:, c] - kept
                        s.strength[:, c] = kept
        yield model.env.timeout(1.0)


def validate(scenario: Scenario) -> None:
    """A remnant needs a rearguard and a staged withdrawal, and the other way round."""
    w = scenario.withdrawal
    if not w.enabled:
        return
    has_remnant = not (isinstance(w.remnant_km2, float) and w.remnant_km2 == 0.0)
    has_rearguard = not (isinstance(w.rearguard_share, float) and w.rearguard_share == 0.0)
    if (has_remnant or has_rearguard) and w.pace_km2_per_day is None:
        key = "remnant_km2" if has_remnant else "rearguard_share"
        raise ScenarioError(
            "withdrawal.pace_km2_per_day", None, f"a pace: withdrawal.{key} is set, which only a staged withdrawal uses"
        )
    if has_remnant != has_rearguard:
        missing = "rearguard_share" if has_remnant else "remnant_km2"
        raise ScenarioError(f"withdrawal.{missing}", 0.0, "a value above 0: a remnant and a rearguard go together")


def withdrawal_event(scenario: Scenario) -> str:
    """The name of the event of the defender's withdrawal (``ua_withdrawal``), the headline of a projection."""
    return f"{scenario.defender.id}_withdrawal"


def _events(scenario: Scenario) -> list[str]:
    names = [withdrawal_event(scenario)]
    if scenario.withdrawal.enabled and scenario.withdrawal.pace_km2_per_day is not None:
        names.append(f"{scenario.defender.id}_withdrawn")
    return names


RULE = Rule(
    name="withdrawal",
    doc="the defender withdraws the first day an enabled criterion holds, at once or as a staged fighting withdrawal",
    processes=lambda params: [withdrawal],
    sections=(
        Section("withdrawal", Withdrawal, "defender's withdrawal rule", default=lambda: Withdrawal(enabled=False)),
    ),
    events=_events,
    validate=validate,
)
