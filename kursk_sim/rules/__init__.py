"""The rules of the model, one module each, and their registry.

Each module under :mod:`kursk_sim.rules` holds one rule whole: the
dataclasses of the scenario tables it reads (with their validation), the
SimPy processes that act on the batch state, and the outputs and events it
adds, declared in its :class:`~kursk_sim.rules.base.Rule`. :data:`RULES`
lists them; the scenario's tables, the recorded series, results, exports
and the generated reference are all read from it. Adding a rule is adding a
module and listing its ``RULE`` here (docs/model.md, "Adding a rule").

The order of :data:`RULES` is the order of their tables in a scenario file
and of their outputs and events in results; the order in which the rules
act within a day is set by their phases (:class:`kursk_sim.phase.Phase`).

Examples
--------
>>> from kursk_sim.rules import OUTPUTS, RULES
>>> [rule.name for rule in RULES][:3]
['combat', 'territory', 'withdrawal']
>>> OUTPUTS["area"].unit, OUTPUTS["area"].per_contingent
('km²', False)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import (
    combat,
    encirclement,
    mobilisation,
    modifiers,
    return_to_duty,
    schedules,
    supply,
    territory,
    waves,
    withdrawal,
)
from .base import Output, Process, Rule, Section

if TYPE_CHECKING:
    from ..parameters import BatchParameters
    from ..scenario import Scenario

__all__ = [
    "RULES",
    "OUTPUTS",
    "Output",
    "Process",
    "Rule",
    "Section",
    "default_processes",
    "event_names",
    "output",
    "per_contingent",
    "sections",
]

#: Every rule of the model, in the order of their tables in a scenario file.
RULES: tuple[Rule, ...] = (
    combat.RULE,
    territory.RULE,
    withdrawal.RULE,
    encirclement.RULE,
    mobilisation.RULE,
    modifiers.RULE,
    return_to_duty.RULE,
    supply.RULE,
    waves.RULE,
    schedules.RULE,
)

#: Every daily output by name: each contingent's first, then the front's (the recorded series' order).
OUTPUTS: dict[str, Output] = {
    o.name: o for o in sorted((o for rule in RULES for o in rule.outputs), key=lambda o: not o.per_contingent)
}


def output(name: str) -> Output:
    """The output called ``name`` (``KeyError`` naming the outputs otherwise)."""
    try:
        return OUTPUTS[name]
    except KeyError:
        raise KeyError(f"no output '{name}'; outputs are {tuple(OUTPUTS)}") from None


def per_contingent(name: str) -> bool:
    """Whether output ``name`` has a value per contingent (``False``: one for the front)."""
    return output(name).per_contingent


def sections(contingent: bool = False) -> list[Section]:
    """The scenario's top-level tables the rules own (``contingent=True``: a contingent's sub-tables)."""
    return [s for rule in RULES for s in rule.sections if s.contingent == contingent]


def event_names(scenario: Scenario) -> list[str]:
    """Names of every event a run of ``scenario`` records, rule by rule."""
    return [name for rule in RULES for name in rule.events(scenario)]


def default_processes(params: BatchParameters) -> list[Process]:
    """The processes of every rule for a batch."""
    return [process for rule in RULES for process in rule.processes(params)]
