"""What a rule declares: its scenario sections, processes, outputs and events.

A rule of the model is one module under :mod:`kursk_sim.rules` holding a
:class:`Rule`: the scenario sections it reads (their dataclasses live in the
same module, with their validation), the SimPy processes that act on the
batch state, the daily outputs it adds and the events it records. The
registry (:data:`kursk_sim.rules.RULES`) is the one place the rest of the
library reads them from: the scenario's tables, the recorded series and
their reductions, results, exports and the generated reference.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    import simpy

    from ..batch import BatchState
    from ..model import Model
    from ..parameters import BatchParameters
    from ..scenario import Scenario

__all__ = ["Rule", "Output", "Section", "Process"]

Process = Callable[["Model"], Generator["simpy.events.Event", Any, None]]


@dataclass(frozen=True)
class Output:
    """A daily output of the model, recorded at the end of each day.

    Parameters
    ----------
    name : str
        Its name in results, exports and observations (``strength``).
    unit : str
        Unit shown in tables and axis labels (``troops``, ``km²``).
    doc : str
        One line: what it is.
    per_contingent : bool
        One value per contingent (``True``) or one for the front.
    value : callable
        ``value(state)``: today's values, ``(n, C)`` or ``(n,)`` float.
    sum_of : tuple of str
        For an output that is the sum of others (``casualties``): their
        names, declared before it. Such an output is not stored with the
        kept trajectories but added up when asked for.
    losses : bool
        A cumulative count of losses: maximum-likelihood fits model its
        daily increments as counts drawn by the noise model.
    """

    name: str
    unit: str
    doc: str
    per_contingent: bool
    value: Callable[[BatchState], NDArray[np.float64]]
    sum_of: tuple[str, ...] = ()
    losses: bool = False


@dataclass(frozen=True)
class Section:
    """A scenario table a rule owns.

    Parameters
    ----------
    key : str
        Its key: a top-level table of the scenario (``territory``) or, with
        ``contingent=True``, a sub-table of every contingent
        (``replenishment``).
    cls : type
        The frozen dataclass of its parameters (see :mod:`kursk_sim.schema`).
    doc : str
        One line for the reference.
    default : callable, optional
        Makes the section when the file has none; without one it is required.
    contingent : bool
        A contingent's sub-table rather than a top-level one.
    named : bool
        A table of named sections of ``cls`` (``[modifiers.<name>]``).
    """

    key: str
    cls: type
    doc: str
    default: Callable[[], Any] | None = None
    contingent: bool = False
    named: bool = False


@dataclass(frozen=True)
class Rule:
    """One rule of the model: everything it adds, declared in one place.

    Parameters
    ----------
    name : str
        The rule's name (its module's).
    doc : str
        One line: what it does.
    processes : callable
        ``processes(params)``: the SimPy processes the rule runs in a batch
        (usually one; one per wave for the waves).
    sections : tuple of Section
        Scenario tables it reads.
    outputs : tuple of Output
        Daily outputs it adds.
    events : callable
        ``events(scenario)``: names of the events it records
        (``ua_withdrawal``), each a day index per replication in
        ``state.events``.
    validate : callable, optional
        ``validate(scenario)``: checks across tables that the schema cannot
        make (raises :class:`~kursk_sim.errors.ScenarioError`).
    read_files : callable, optional
        ``read_files(data, base)``: the dict form with the files its tables
        name (relative to the folder ``base``, or the working directory)
        read in, before validation.
    """

    name: str
    doc: str
    processes: Callable[[BatchParameters], list[Process]]
    sections: tuple[Section, ...] = ()
    outputs: tuple[Output, ...] = ()
    events: Callable[[Scenario], list[str]] = field(default=lambda scenario: [])
    validate: Callable[[Scenario], None] | None = None
    read_files: Callable[[Mapping[str, Any], Path | None], dict[str, Any]] | None = None
