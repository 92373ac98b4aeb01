"""Waves: discrete reinforcements, each arriving on its (possibly uncertain) date with a probability.

Scenario tables: any sub-table of a contingent that is not one of its keys
(``[kpa.second_wave]``). Event: ``<contingent>_<wave>``, the day it arrived.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ..errors import ScenarioError
from ..phase import Phase
from ..schema import MAX_TROOPS, DateValue, Value, param
from .base import Process, Rule, Section

if TYPE_CHECKING:
    import simpy

    from ..model import Model
    from ..scenario import Scenario

__all__ = ["Wave", "WaveParameters", "RULE", "wave", "wave_parameters"]

Array = NDArray[np.float64]


@dataclass(frozen=True, kw_only=True)
class Wave:
    """A discrete reinforcement: ``size`` troops arrive on ``date`` with ``probability``."""

    size: Value = param("troops", "troops arriving", ge=0.0, le=MAX_TROOPS)
    date: DateValue = param("date", "arrival date", kind="date")
    probability: Value = param("probability", "chance the wave happens at all", ge=0.0, le=1.0, default=1.0)


@dataclass(frozen=True)
class WaveParameters:
    """One reinforcement wave for the batch."""

    event: str
    contingent: int
    size: Array  # (n,)
    day: NDArray[np.int64]  # (n,) arrival day index
    happens: NDArray[np.bool_]  # (n,)


def wave(index: int) -> Process:
    """Process factory: reinforcement wave ``index`` arrives on its drawn day."""

    def process(model: Model) -> Generator[simpy.events.Event, Any, None]:
        w = model.params.waves[index]
        s = model.state
        days = np.unique(w.day[w.happens & (w.day >= 0) & (w.day < model.params.horizon)])
        for d in days:
            yield model.env.timeout(float(d) + float(Phase.ARRIVALS) - model.env.now)
            now = w.happens & (w.day == d)
            add = np.where(now, w.size, 0.0)
            s.strength[:, w.contingent] += add
            s.arrived[:, w.contingent] += add
            s.events[w.event][now] = d

    process.__name__ = f"wave_{index}"
    return process


def wave_parameters(
    scenario: Scenario, rows: Any, streams: Any, values: dict[str, Any], integer: bool
) -> tuple[WaveParameters, ...]:
    """Each wave of the scenario laid out over a batch's rows (whether it happens drawn per replication)."""
    n = rows.n
    index = {cid: i for i, cid in enumerate(scenario.contingent_ids)}
    waves = []
    for cid, c in scenario.contingents.items():
        for wname in c.waves:
            event = f"{cid}_{wname}"
            size = np.broadcast_to(values[f"{cid}.{wname}.size"], (n,)).astype(float)
            if integer:
                size = np.rint(size)
            prob = np.broadcast_to(values[f"{cid}.{wname}.probability"], (n,))
            happens = rows.per_replication(streams.uniforms(f"wave:{event}")) < prob
            day = np.broadcast_to(values[f"{cid}.{wname}.date"], (n,)).astype(np.int64)
            waves.append(WaveParameters(event, index[cid], size, day, happens))
    return tuple(waves)


def _events(scenario: Scenario) -> list[str]:
    return [f"{cid}_{wname}" for cid, c in scenario.contingents.items() for wname in c.waves]


def validate(scenario: Scenario) -> None:
    """Each wave's event has a name of its own: not another rule's event, another wave's, or an output's.

    A wave ``mobilisation`` on the attacker ``ru`` would otherwise share the
    column of the event ``ru_mobilisation`` and corrupt both.
    """
    from . import OUTPUTS, RULES  # the registry imports this module

    taken = {name: rule.name for rule in RULES if rule.name != "waves" for name in rule.events(scenario)}
    taken |= {name: "outputs" for name in OUTPUTS}
    for cid, c in scenario.contingents.items():
        for wname in c.waves:
            event = f"{cid}_{wname}"
            if event in taken:
                raise ScenarioError(
                    f"{cid}.{wname}",
                    event,
                    f"another wave name: its event '{event}' is already the {taken[event]} rule's",
                )
            taken[event] = f"wave {cid}.{wname}"


RULE = Rule(
    name="waves",
    doc="discrete reinforcements arriving on a date with a probability",
    processes=lambda params: [wave(i) for i in range(len(params.waves))],
    sections=(
        Section("waves", Wave, "reinforcement waves (named tables of a contingent)", contingent=True, named=True),
    ),
    events=_events,
    validate=validate,
)
