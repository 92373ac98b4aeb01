"""Mobilisation: the attacker mobilises once replenishment fails and losses mount.

The mobilised troops arrive through :mod:`kursk_sim.rules.supply`.
Scenario table: ``[mobilisation]``. Event: ``<attacker>_mobilisation``.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..batch import NOT_YET, side_total
from ..errors import ScenarioError
from ..phase import Phase
from ..schema import MAX_TROOPS, MAX_TROOPS_PER_DAY, Value, param
from .base import Rule, Section

if TYPE_CHECKING:
    import simpy

    from ..model import Model
    from ..scenario import Scenario

__all__ = ["Mobilisation", "RULE", "mobilisation"]


@dataclass(frozen=True, kw_only=True)
class Mobilisation:
    """The attacker mobilises when replenishment fails and losses mount."""

    enabled: bool = param("", "switch the rule on or off", kind="bool", default=True)
    contingent: str = param("", "attacker contingent that receives the mobilised troops", kind="str", default="")
    replenishment_below: Value = param(
        "troops/day",
        "fires once that contingent's quota (of its replenishment.per_day, before the share reaching this front) "
        "is below this",
        ge=0.0,
        default=0.0,
    )
    losses_above: Value = param(
        "troops", "and the attacker's cumulative casualties exceed this", ge=0.0, le=MAX_TROOPS, default=0.0
    )
    delay_days: Value = param("days", "days from decision to first arrivals", ge=0.0, default=60.0)
    per_day: Value = param(
        "troops/day",
        "extra daily inflow once mobilised (not limited by the cap)",
        ge=0.0,
        le=MAX_TROOPS_PER_DAY,
        default=0.0,
    )


def mobilisation(model: Model) -> Generator[simpy.events.Event, Any, None]:
    """The attacker mobilises once its quota has failed and its losses are high."""
    p, s = model.params, model.state
    if not p["mobilisation.enabled"]:
        return
    event = s.events[f"{p.attacker_id}_mobilisation"]
    c = p.mobilisation_contingent
    # the quota reaching the front is the share of per_day; the threshold is of per_day itself
    below = p["mobilisation.replenishment_below"]
    share = p.per_contingent("replenishment.share", 1.0)[:, c]
    if not np.all(share == 1.0):
        below = below * share
    yield model.wait_for(Phase.MOBILISE)
    while True:
        failing = s.quota_today[:, c] < below
        heavy = side_total(p, 0, s.killed, s.wounded, s.missing) > p["mobilisation.losses_above"]
        fire = failing & heavy & (event == NOT_YET)
        if fire.any():
            event[fire] = model.day
        yield model.env.timeout(1.0)


def validate(scenario: Scenario) -> None:
    """The mobilised troops join an attacker contingent."""
    mob = scenario.mobilisation
    if mob.enabled:
        target = scenario.contingents.get(mob.contingent)
        if target is None or target.side != "attacker":
            attackers = [k for k, c in scenario.contingents.items() if c.side == "attacker"]
            raise ScenarioError(
                "mobilisation.contingent", mob.contingent, f"an attacker contingent, one of {attackers}"
            )


RULE = Rule(
    name="mobilisation",
    doc="the attacker mobilises when replenishment fails and losses mount",
    processes=lambda params: [mobilisation],
    sections=(
        Section("mobilisation", Mobilisation, "attacker's mobilisation", default=lambda: Mobilisation(enabled=False)),
    ),
    events=lambda sc: [f"{sc.attacker.id}_mobilisation"],
    validate=validate,
)
