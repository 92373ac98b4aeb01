"""Schedules: flows and intensities that follow dated values.

A schedule sets one target day by day from a list of dated values,
piecewise constant (``interpolation = "step"``) or linear between them;
before its first date the target is as the rest of the scenario makes it,
after its last date the last value holds. Written in the scenario file::

    [schedules.kpa_rotation]
    target = "kpa.flow"                      # troops/day: > 0 arrive, < 0 leave the line
    dates = [2025-01-20, 2025-02-10]
    values = [-150.0, 0.0]
    source = "assumption: units rotate out to reform"

or read from a CSV file with columns ``date`` and ``value``
(``file = "rotation.csv"``, relative to the scenario file).

Targets:

==========================  ===========  =========================================================
target                      unit         what it does
==========================  ===========  =========================================================
``<contingent>.flow``       troops/day   troops arriving (> 0) or leaving the line alive (< 0,
                                         counted as ``departed``; at most the strength there is)
``<contingent>.replenishment``  1        multiplies the contingent's replenishment quota
``<contingent>.effectiveness``  1        multiplies its effectiveness (after the modifiers)
``<contingent>.exposure``   1            multiplies its exposure (after the modifiers)
``attacker.lethality``      1            multiplies the attacker's lethality ``k`` (the defender's
``defender.lethality``                   likewise)
``territory.advance``       1            multiplies the advance
``territory.direction``     1            +1: the attacker advances; -1: the defender attacks and
                                         regains ground (up to the initial area) at the same law
                                         with the ratios reversed
``law.<side>.p``,           1            the law's exponents of that side's losses from that date
``law.<side>.q``                         (phases of a campaign fought differently)
==========================  ===========  =========================================================

Flows are whole troops in counting runs (fractions carried over to the next
day); a defender's flows stop once it has left the front. The values are
fixed (not uncertain); to vary a schedule, scale it with a modifier or give
the multiplier a distribution elsewhere.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ..batch import held
from ..errors import ScenarioError
from ..phase import Phase
from ..schema import MAX_TROOPS_PER_DAY, param
from .base import Rule, Section
from .combat import MAX_EXPONENT

if TYPE_CHECKING:
    import simpy

    from ..model import Model
    from ..parameters import BatchParameters
    from ..scenario import Scenario

__all__ = ["Schedule", "RULE", "flows", "schedule_values", "read_schedule_files"]

Array = NDArray[np.float64]

#: Targets of a contingent (``<id>.<target>``) and of the scenario, with the value that means "no change".
CONTINGENT_TARGETS = {"flow": 0.0, "replenishment": 1.0, "effectiveness": 1.0, "exposure": 1.0}
SCENARIO_TARGETS = {
    "attacker.lethality": 1.0,
    "defender.lethality": 1.0,
    "territory.advance": 1.0,
    "territory.direction": 1.0,
    "law.attacker.p": None,
    "law.attacker.q": None,
    "law.defender.p": None,
    "law.defender.q": None,
}


@dataclass(frozen=True, kw_only=True)
class Schedule:
    """Dated values of one flow or intensity (see :mod:`kursk_sim.rules.schedules`)."""

    target: str = param("", "what it drives: <contingent>.flow, ru.replenishment, defender.lethality, ...", kind="str")
    interpolation: str = param(
        "", "step (piecewise constant) | linear", kind="choice", choices=("step", "linear"), default="step"
    )
    dates: tuple[dt.date, ...] = param("date", "dates of the values, increasing", kind="dates")
    values: tuple[float, ...] = param("", "the target's value from each date", kind="numbers")


def read_schedule_files(data: Mapping[str, Any], base: Path | None) -> dict[str, Any]:
    """The dict form with each schedule's ``file`` read into its ``dates`` and ``values``.

    ``file`` is a CSV with columns ``date`` and ``value``, relative to
    ``base`` (the scenario file's folder); its name is kept as the note of
    the schedule's ``values``.
    """
    schedules = data.get("schedules")
    if not isinstance(schedules, Mapping) or not any(
        isinstance(v, Mapping) and "file" in v for v in schedules.values()
    ):
        return dict(data)
    out = dict(data)
    out["schedules"] = {}
    for name, table in schedules.items():
        if not (isinstance(table, Mapping) and "file" in table):
            out["schedules"][name] = table
            continue
        table = dict(table)
        where = f"schedules.{name}.file"
        if not isinstance(table["file"], (str, Path)) or not str(table["file"]).strip():
            raise ScenarioError(where, table["file"], "the path of a CSV file (a string)")
        path = Path(table.pop("file"))
        if base is not None and not path.is_absolute():
            path = base / path
        if "dates" in table or "values" in table:
            raise ScenarioError(where, str(path), "either a file or dates and values, not both")
        rows = _read_csv(path, where)
        values = []
        for i, r in enumerate(rows):
            try:
                values.append(float(r["value"]))
            except ValueError:
                raise ScenarioError(
                    where, str(path), f"a number in the value column of row {i + 1}, not {r['value']!r}"
                ) from None
        table["values"] = {"value": values, "note": f"read from {path.name}"}
        table["dates"] = [r["date"] for r in rows]
        out["schedules"][name] = table
    return out


def _read_csv(path: Path, where: str) -> list[dict[str, str]]:
    """The rows of a schedule's CSV file (columns ``date`` and ``value``), each with both cells and no others."""
    if path.is_dir():
        raise ScenarioError(where, str(path), "a CSV file, not a directory")
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:  # -sig: a byte-order mark (Excel) is not a column
            lines = list(csv.reader(f))
    except OSError as err:
        raise ScenarioError(where, str(path), f"a readable CSV file ({err.strerror})") from None
    except UnicodeDecodeError:
        raise ScenarioError(
            where, str(path), "a UTF-8 text CSV file (this one is binary or in another encoding)"
        ) from None
    except csv.Error as err:
        raise ScenarioError(where, str(path), f"a valid CSV file ({err})") from None
    if any("\x00" in cell for line in lines for cell in line):
        raise ScenarioError(where, str(path), "a UTF-8 text CSV file (this one is binary)")
    lines = [line for line in lines if any(cell.strip() for cell in line)]  # blank lines are not rows
    header = [cell.strip() for cell in lines[0]] if lines else []
    if not {"date", "value"} <= set(header) or len(set(header)) < len(header) or len(lines) < 2:
        raise ScenarioError(
            where,
            str(path),
            f"a CSV with columns date and value, each once, and at least one row (its header is {header})",
        )
    rows = []
    for i, line in enumerate(lines[1:]):
        if len(line) != len(header):
            raise ScenarioError(
                where,
                str(path),
                f"{len(header)} cells in row {i + 1}, one per column of the header (it has {len(line)})",
            )
        rows.append({key: cell.strip() for key, cell in zip(header, line, strict=True)})
    return rows


def validate(scenario: Scenario) -> None:
    """Each schedule names a known target once, with increasing dates and one value per date."""
    seen: dict[str, str] = {}
    ids = scenario.contingent_ids
    for name, sch in scenario.schedules.items():
        path = f"schedules.{name}"
        cid, _, what = sch.target.partition(".")
        if sch.target in SCENARIO_TARGETS or cid in ids and what in CONTINGENT_TARGETS:
            pass
        else:
            known = [f"<contingent>.{t}" for t in CONTINGENT_TARGETS] + list(SCENARIO_TARGETS)
            raise ScenarioError(f"{path}.target", sch.target, f"one of {known}, contingents being {list(ids)}")
        if sch.target.startswith("law.") and scenario.law.preset != "custom":
            raise ScenarioError(
                f"{path}.target", sch.target, "a target other than the law's exponents, or law.preset = 'custom'"
            )
        if sch.target in seen:
            raise ScenarioError(
                f"{path}.target", sch.target, f"a target no other schedule drives (schedules.{seen[sch.target]} does)"
            )
        seen[sch.target] = name
        if len(sch.dates) != len(sch.values):
            raise ScenarioError(f"{path}.values", list(sch.values), f"one value per date ({len(sch.dates)} dates)")
        if any(b <= a for a, b in zip(sch.dates, sch.dates[1:], strict=False)):
            raise ScenarioError(f"{path}.dates", [str(d) for d in sch.dates], "increasing dates")
        low = None if what == "flow" or sch.target == "territory.direction" else 0.0
        if low is not None and min(sch.values) < low:
            raise ScenarioError(f"{path}.values", list(sch.values), "values >= 0 (multipliers and exponents)")
        if sch.target.startswith("law.") and max(sch.values) > MAX_EXPONENT:
            raise ScenarioError(f"{path}.values", list(sch.values), f"exponents <= {MAX_EXPONENT:g}")
        if what == "flow" and max(abs(v) for v in sch.values) > MAX_TROOPS_PER_DAY:
            raise ScenarioError(f"{path}.values", list(sch.values), f"flows within ±{MAX_TROOPS_PER_DAY:g} troops/day")
        if sch.target == "territory.direction" and not set(sch.values) <= {1.0, -1.0}:
            raise ScenarioError(f"{path}.values", list(sch.values), "+1 (the attacker attacks) or -1 (the defender)")


def schedule_values(scenario: Scenario) -> dict[str, Array]:
    """Each scheduled target's value on each day of the run, ``(horizon,)`` (NaN before its first date).

    Examples
    --------
    >>> import kursk_sim as ks
    >>> sc = ks.load_scenario("kursk-2024").replace(
    ...     {"schedules": {"surge": {"target": "defender.lethality", "dates": ["2024-11-27", "2024-11-29"],
    ...                              "values": [2.0, 1.0], "interpolation": "linear"}}})
    >>> schedule_values(sc)["defender.lethality"][:6].tolist()
    [nan, nan, 2.0, 1.5, 1.0, 1.0]
    """
    out = {}
    days = np.arange(scenario.horizon_days, dtype=float)
    for sch in scenario.schedules.values():
        x = np.array([(d - scenario.start_date).days for d in sch.dates], dtype=float)
        y = np.array(sch.values, dtype=float)
        if sch.interpolation == "linear":
            v = np.interp(days, x, y)
        else:
            v = y[np.maximum(np.searchsorted(x, days, side="right") - 1, 0)]
        out[sch.target] = np.where(days < x[0], np.nan, v)
    return out


def flows(model: Model) -> Generator[simpy.events.Event, Any, None]:
    """Troops arriving or leaving the line on their schedules (``<contingent>.flow``)."""
    p, s = model.params, model.state
    scheduled = [
        (c, p.schedules[f"{cid}.flow"]) for c, cid in enumerate(p.contingent_ids) if f"{cid}.flow" in p.schedules
    ]
    if not scheduled:
        return
    attacker = p.attacker
    expected = np.zeros((p.n, len(scheduled)))  # flow due so far, and issued (whole troops), per scheduled column
    issued = np.zeros_like(expected)
    yield model.wait_for(Phase.ARRIVALS)
    while True:
        day = model.day
        for j, (c, values) in enumerate(scheduled):
            rate = values[day] if day < values.size else np.nan
            if np.isnan(rate) or rate == 0.0:
                continue
            due = np.full(p.n, rate) if attacker[c] else rate * held(s)  # a defender's flows stop off the front
            expected[:, j] += due
            # whole troops in counting runs: rounded towards zero both ways, the rest carried over
            today = np.trunc(expected[:, j]) - issued[:, j] if p.integer_counts else np.copy(due)
            issued[:, j] += today
            arriving = np.maximum(today, 0.0)
            leaving = np.minimum(np.maximum(-today, 0.0), s.strength[:, c])
            s.strength[:, c] += arriving - leaving
            s.arrived[:, c] += arriving
            s.departed[:, c] += leaving
        yield model.env.timeout(1.0)


RULE = Rule(
    name="schedules",
    doc="flows and intensities that follow dated values (rotation, replenishment, surges of fire, phases)",
    processes=lambda params: [flows],
    sections=(Section("schedules", Schedule, "dated values of a flow or an intensity", default=dict, named=True),),
    validate=validate,
    read_files=read_schedule_files,
)


def scheduled_today(params: BatchParameters, target: str, day: int) -> float | None:
    """The value of ``target`` on ``day`` if a schedule sets it then, else None."""
    values = params.schedules.get(target)
    if values is None or day >= values.size or np.isnan(values[day]):
        return None
    return float(values[day])
