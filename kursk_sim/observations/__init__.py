"""Observed figures: what a run is compared with, fitted to or calibrated against.

An :class:`Observations` is a table of dated figures, read from CSV or TOML
(:func:`load_observations`), one row per figure:

==============  ============================================================
column          meaning
==============  ============================================================
``date``        the day the figure refers to, counted to its end (YYYY-MM-DD)
``start``       for a figure over a range: its first day, counted from its
                start (optional; ``rate`` needs it)
``output``      ``strength``, ``killed``, ``wounded``, ``missing``,
                ``casualties``, ``area``, or an event (``ua_withdrawal``)
``contingents`` the contingent, or a sum such as ``ru+kpa`` (empty for area
                and events)
``kind``        ``state``: the output at the end of ``date``;
                ``cumulative``: its increase from the start of ``start``
                (default: the run's start) to the end of ``date``;
                ``rate``: that increase per day;
                ``at_least`` / ``at_most``: the state (with ``start``: the
                increase) is at least / at most ``value``;
                ``event_by``: whether the event happened by the end of
                ``date`` (``value`` 1 or 0; a probability for an ensemble)
``value``       the figure
``sd``          its standard deviation (optional), or
``low, high``   a range read as mean ± 2 sd (sd = (high - low) / 4)
``source``      where the figure comes from
``note``        anything else (optional)
==============  ============================================================

A figure's date is counted to the end of the day, so "over 3,000 by 23
December" is ``date = 2024-12-23``; in a run's outputs, whose row for a
date is the state at 00:00 of that date, it is the row of 24 December.

Examples
--------
>>> obs = load_observations("kursk-2024-article")
>>> len(obs), obs[1].kind, obs[1].contingents
(3, 'at_least', ('kpa',))
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import ScenarioError
from ..rules import OUTPUTS as RULE_OUTPUTS
from ..rules import per_contingent

__all__ = ["KINDS", "Observation", "Observations", "builtin_observations", "load_observations"]

KINDS = ("state", "cumulative", "rate", "at_least", "at_most", "event_by")
OUTPUTS = tuple(RULE_OUTPUTS)
COLUMNS = ("date", "start", "output", "contingents", "kind", "value", "sd", "low", "high", "source", "note")
REQUIRED = ("date", "output", "kind", "value", "source")


@dataclass(frozen=True)
class Observation:
    """One observed figure (see the module's table of columns).

    Attributes
    ----------
    date, start : datetime.date
        ``start`` is None for a figure on one date.
    output : str
    contingents : tuple of str
    kind : str
    value : float
    sd : float or None
        The figure's standard deviation, from ``sd`` or ``(high - low) / 4``.
    source, note : str
    """

    date: dt.date
    start: dt.date | None
    output: str
    contingents: tuple[str, ...]
    kind: str
    value: float
    sd: float | None
    source: str
    note: str = ""

    @property
    def scale(self) -> float:
        """The figure's scale for residuals and distances: its sd, else 10 % of its value (1 for an event).

        A figure stated without an uncertainty ("over 3,000") is taken to be
        known to about a tenth.
        """
        if self.sd is not None:
            return self.sd
        return 1.0 if self.event else max(0.1 * abs(self.value), 1e-12)

    @property
    def event(self) -> bool:
        """Whether the figure is about an event (``event_by``)."""
        return self.kind == "event_by"

    @property
    def bound(self) -> str | None:
        """``"low"`` for at_least (the value is a lower bound), ``"high"`` for at_most, else None."""
        return {"at_least": "low", "at_most": "high"}.get(self.kind)

    def label(self) -> str:
        """A short name: ``casualties.kpa 2024-11-25..2024-12-04 at_least 1000``."""
        what = self.output + (f".{'+'.join(self.contingents)}" if self.contingents else "")
        when = f"{self.start}..{self.date}" if self.start else f"{self.date}"
        return f"{what} {when} {self.kind} {self.value:g}"

    def rows(self, start_date: dt.date) -> tuple[int | None, int]:
        """The output rows the figure compares: ``(first or None, last)`` (row d = state at 00:00 of start + d)."""
        last = (self.date - start_date).days + 1  # counted to the end of the date
        if self.kind == "cumulative" and self.start is None:
            return 0, last
        first = None if self.start is None else (self.start - start_date).days
        return first, last

    def model_value(
        self, trajectories: Mapping[str, NDArray[np.float64]], contingents: Sequence[str], start_date: dt.date
    ) -> NDArray[np.float64]:
        """The model's counterpart of the figure, per replication.

        Parameters
        ----------
        trajectories : mapping
            ``{output: (replications, days + 1, contingents)}``, ``area``
            ``(replications, days + 1)``, and ``event.<name>``: each
            replication's event day (-1: never).
        contingents : sequence of str
            The contingent of each column.
        start_date : datetime.date
            The run's start.
        """
        if self.event:
            days = np.asarray(trajectories[f"event.{self.output}"])
            return ((days >= 0) & (days <= (self.date - start_date).days)).astype(float)
        series = np.asarray(trajectories[self.output], dtype=float)
        if per_contingent(self.output):
            cols = [list(contingents).index(c) for c in self.contingents]
            series = series[:, :, cols].sum(axis=2)
        first, last = self.rows(start_date)
        value = series[:, last] - (series[:, first] if first is not None else 0.0)
        if self.kind == "rate":
            value = value / (last - first)
        return value


class Observations(Sequence[Observation]):
    """A table of observed figures.

    Build one with :func:`load_observations` (a CSV or TOML file, or a
    built-in name) or from rows (:meth:`from_rows`). :meth:`check` makes
    sure every figure can be compared with a scenario's run.

    Examples
    --------
    >>> import kursk_sim as ks
    >>> obs = Observations.from_rows([
    ...     {"date": "2024-12-23", "output": "casualties", "contingents": "kpa", "kind": "at_least",
    ...      "value": 3000, "source": "article"}])
    >>> obs.check(ks.load_scenario("kursk-2024"))
    >>> obs[0].label()
    'casualties.kpa 2024-12-23 at_least 3000'
    """

    def __init__(self, rows: Sequence[Observation], name: str = "") -> None:
        self._rows = tuple(rows)
        self.name = name
        if not self._rows:
            raise ScenarioError(name or "observations", [], "at least one observation")

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]], name: str = "observations") -> Observations:
        """Observations from dicts with the columns of the module's table; errors name the row."""
        return cls([_parse_row(row, f"{name} row {i + 1}") for i, row in enumerate(rows)], name)

    def __getitem__(self, i: Any) -> Any:
        return self._rows[i]

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[Observation]:
        return iter(self._rows)

    def __repr__(self) -> str:
        return f"<Observations {self.name}: {len(self)} figures>"

    def check(self, scenario: Any, events: Sequence[str] | None = None) -> None:
        """Raise :class:`~kursk_sim.errors.ScenarioError` for a figure the scenario's run cannot give.

        Dates must fall in the run; contingents must be the scenario's; an
        event must be one of its events (default: those of the scenario).
        """
        if events is None:
            from ..rules import event_names

            events = event_names(scenario)
        ids = scenario.contingent_ids
        for i, o in enumerate(self._rows):
            where = f"{self.name} row {i + 1}"
            first, last = o.rows(scenario.start_date)
            if not (first is None or first >= 0) or o.date < scenario.start_date or last > scenario.horizon_days:
                raise ScenarioError(
                    f"{where}.date",
                    o.date,
                    f"a figure inside the run {scenario.start_date}..{scenario.end_date} (counted to the end of the date)",
                )
            if o.event and o.output not in events:
                raise ScenarioError(f"{where}.output", o.output, f"one of the scenario's events {list(events)}")
            bad = [c for c in o.contingents if c not in ids]
            if bad:
                raise ScenarioError(f"{where}.contingents", "+".join(o.contingents), f"contingents of {list(ids)}")

    def table(self) -> Any:
        """The figures as a :class:`~kursk_sim.results.Table`."""
        from ..results import Table

        cols = ("figure", "sd", "source")
        return Table(self.name, cols, [(o.label(), o.sd if o.sd is not None else math.nan, o.source) for o in self])

    def to_csv(self, path: str | Path) -> Path:
        """Write the figures in the CSV format :func:`load_observations` reads."""
        path = Path(path)
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(COLUMNS)
            for o in self:
                w.writerow(
                    (
                        o.date,
                        o.start or "",
                        o.output,
                        "+".join(o.contingents),
                        o.kind,
                        repr(o.value),
                        "" if o.sd is None else repr(o.sd),
                        "",
                        "",
                        o.source,
                        o.note,
                    )
                )
        return path


def _date(raw: Any, where: str) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        raise ScenarioError(where, raw, "a date (YYYY-MM-DD)") from None


def _number(raw: Any, where: str, positive: bool = False) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise ScenarioError(where, raw, "a number")
    try:
        x = float(raw)
    except (TypeError, ValueError):
        raise ScenarioError(where, raw, "a number") from None
    if not math.isfinite(x):
        raise ScenarioError(where, raw, "a finite number")
    if positive and x <= 0:
        raise ScenarioError(where, raw, "a number > 0")
    return x


def _parse_row(row: Mapping[str, Any], where: str) -> Observation:
    if not isinstance(row, Mapping):
        raise ScenarioError(where, row, f"a table (a row) with the columns {list(REQUIRED)}")
    if None in row:  # csv.DictReader: cells beyond the header
        raise ScenarioError(where, row[None], f"no more cells than the header's columns {list(COLUMNS)}")
    unknown = sorted(set(row) - set(COLUMNS), key=str)
    if unknown:
        raise ScenarioError(f"{where}.{unknown[0]}", row[unknown[0]], f"one of the columns {list(COLUMNS)}")
    for key in REQUIRED:
        if row.get(key) is None or isinstance(row[key], str) and not row[key].strip():
            raise ScenarioError(f"{where}.{key}", row.get(key), "a value: this column is required")
    date = _date(row["date"], f"{where}.date")
    start = None if row.get("start") in (None, "") else _date(row["start"], f"{where}.start")
    if start is not None and start > date:
        raise ScenarioError(f"{where}.start", start, f"a date on or before date={date}")
    kind = str(row["kind"]).strip()
    if kind not in KINDS:
        raise ScenarioError(f"{where}.kind", kind, f"one of {list(KINDS)}")
    output = str(row["output"]).strip()
    contingents = tuple(c.strip() for c in str(row.get("contingents") or "").split("+") if c.strip())
    if kind == "event_by":
        if output in OUTPUTS:
            raise ScenarioError(f"{where}.output", output, "an event name for kind 'event_by'")
        if contingents:
            raise ScenarioError(f"{where}.contingents", row.get("contingents"), "none for an event")
    else:
        if output not in OUTPUTS:
            raise ScenarioError(f"{where}.output", output, f"one of {list(OUTPUTS)} (or kind 'event_by' for an event)")
        if not per_contingent(output) and contingents:
            raise ScenarioError(f"{where}.contingents", row.get("contingents"), "none for area")
        if per_contingent(output) and not contingents:
            raise ScenarioError(
                f"{where}.contingents", row.get("contingents"), f"the contingent(s) of {output}, e.g. ru or ru+kpa"
            )
    if kind == "rate" and start is None:
        raise ScenarioError(f"{where}.start", None, "a first day: kind 'rate' is a daily rate over a range")
    value = _number(row["value"], f"{where}.value")
    if kind == "event_by" and value not in (0.0, 1.0) and not 0.0 <= value <= 1.0:
        raise ScenarioError(f"{where}.value", row["value"], "1 (it happened), 0 (it did not) or a probability")
    sd = _number(row.get("sd"), f"{where}.sd", positive=True)
    low, high = _number(row.get("low"), f"{where}.low"), _number(row.get("high"), f"{where}.high")
    if (low is None) != (high is None):
        raise ScenarioError(f"{where}.{'high' if high is None else 'low'}", None, "both low and high, or neither")
    if low is not None:
        if sd is not None:
            raise ScenarioError(f"{where}.sd", sd, "sd or low/high, not both")
        if not low < high:
            raise ScenarioError(f"{where}.high", high, f"a value above low={low:g}")
        if not low <= value <= high:
            raise ScenarioError(f"{where}.value", value, f"a value in [low, high] = [{low:g}, {high:g}]")
        sd = (high - low) / 4.0
    return Observation(
        date, start, output, contingents, kind, float(value), sd, str(row["source"]), str(row.get("note") or "")
    )


def builtin_observations() -> list[str]:
    """Names of the observation files shipped with the package.

    Examples
    --------
    >>> builtin_observations()
    ['kursk-2024-article']
    """
    folder = resources.files("kursk_sim") / "observations"
    return sorted(p.name[:-4] for p in folder.iterdir() if p.name.endswith(".csv"))


def load_observations(name_or_path: str | Path) -> Observations:
    """Read observations: a built-in name (:func:`builtin_observations`), or a ``.csv`` or ``.toml`` file.

    A TOML file holds ``[[observation]]`` tables with the CSV's columns as
    keys. Errors name the file, the row and the column.
    """
    key = str(name_or_path)
    if key in builtin_observations():
        text = (resources.files("kursk_sim") / "observations" / f"{key}.csv").read_text(encoding="utf-8")
        return _from_csv(text, key)
    path = Path(name_or_path)
    if path.is_dir():
        raise ScenarioError("observations", key, "a CSV or TOML file, not a directory")
    if not path.is_file():
        raise FileNotFoundError(
            f"no observations '{key}': not a built-in ({', '.join(builtin_observations())}) and no such file"
        )
    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig: a byte-order mark (Excel) is not part of a column name
    except UnicodeDecodeError:
        raise ScenarioError(
            "observations", key, "a UTF-8 text file, CSV or TOML (this one is binary or in another encoding)"
        ) from None
    if path.suffix.lower() == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise ScenarioError(path.name, "", f"valid TOML ({err})") from None
        unknown = sorted(set(data) - {"observation"})
        if unknown or not isinstance(data.get("observation"), list):
            raise ScenarioError(path.name, unknown or data, "[[observation]] tables only")
        return Observations.from_rows(data["observation"], path.name)
    return _from_csv(text, path.name)


def _from_csv(text: str, name: str) -> Observations:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise ScenarioError(f"{name}.{missing[0]}", reader.fieldnames, f"a header with the columns {list(REQUIRED)}")
    return Observations.from_rows(list(reader), name)
