"""Results of a run: labelled trajectories, quantiles, event probabilities, tables.

Output names (stable; see the README):

============  ======  ==================================================
name          unit    meaning
============  ======  ==================================================
strength      troops  strength of each contingent
killed        troops  cumulative killed
wounded       troops  cumulative wounded (including those who return)
missing       troops  cumulative missing or captured
casualties    troops  killed + wounded + missing
area          km²     area held by the defender
============  ======  ==================================================

Rows are instants: the row for a date is the state at 00:00 of that date,
i.e. after every day before it. The first row is the start state; the last
is ``end_date``. Events are reported as the day index (0 = the start date)
or calendar date during which they happened.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .scenario import Scenario

__all__ = ["Ensemble", "LabelledArray", "Table", "TRAJECTORY_NAMES", "OUTPUT_NAMES", "UNITS"]

TRAJECTORY_NAMES = ("strength", "killed", "wounded", "missing")
OUTPUT_NAMES = (*TRAJECTORY_NAMES, "casualties", "area")
UNITS = {name: "troops" for name in (*TRAJECTORY_NAMES, "casualties")} | {"area": "km²"}


def _need(module: str, extra: str) -> Any:
    try:
        return __import__(module)
    except ImportError:
        raise ImportError(f"this needs the optional dependency '{module}': pip install 'kursk-sim[{extra}]'") from None


@dataclass(frozen=True)
class LabelledArray:
    """A NumPy array with named dimensions and coordinate labels.

    A light stand-in for :class:`xarray.DataArray` that needs no extra
    dependency; :meth:`to_xarray` and :meth:`to_pandas` convert when those
    libraries are installed.

    Attributes
    ----------
    name, units : str
    values : ndarray
    dims : tuple of str
        e.g. ``("quantile", "date", "contingent")``.
    coords : dict of str to ndarray
        Labels along each dimension (dates as ``datetime64[D]``).

    Examples
    --------
    >>> import numpy as np
    >>> a = LabelledArray("x", "km²", np.arange(6.0).reshape(2, 3), ("q", "c"),
    ...                   {"q": np.array([0.1, 0.9]), "c": np.array(["a", "b", "c"])})
    >>> float(a.sel(q=0.9, c="b"))
    4.0
    """

    name: str
    units: str
    values: NDArray[Any]
    dims: tuple[str, ...]
    coords: dict[str, NDArray[Any]]

    def sel(self, **labels: Any) -> Any:
        """Select by label: ``sel(date="2025-03-01", contingent="ua", quantile=0.5)``.

        Returns a smaller LabelledArray, or a scalar when every dimension is
        selected. Unknown labels raise ``KeyError`` naming the choices.
        """
        values = self.values
        dims = list(self.dims)
        coords = dict(self.coords)
        for dim, label in labels.items():
            if dim not in dims:
                raise KeyError(f"no dimension '{dim}'; dimensions are {tuple(dims)}")
            axis = dims.index(dim)
            idx = self._index(dim, label)
            values = np.take(values, idx, axis=axis)
            dims.pop(axis)
            coords.pop(dim)
        if not dims:
            return values[()]
        return LabelledArray(self.name, self.units, values, tuple(dims), coords)

    def _index(self, dim: str, label: Any) -> int:
        coord = self.coords[dim]
        if np.issubdtype(coord.dtype, np.datetime64):
            key = np.datetime64(label, "D")
            hits = np.nonzero(coord == key)[0]
        elif np.issubdtype(coord.dtype, np.floating):
            hits = np.nonzero(np.isclose(coord, float(label)))[0]
        else:
            hits = np.nonzero(coord == label)[0]
        if hits.size == 0:
            shown = coord if coord.size <= 8 else f"{coord[0]} .. {coord[-1]}"
            raise KeyError(f"{dim}={label!r} not found; labels are {shown}")
        return int(hits[0])

    def to_xarray(self) -> Any:
        """As an :class:`xarray.DataArray` (needs the ``xarray`` extra)."""
        xr = _need("xarray", "xarray")
        return xr.DataArray(
            self.values, dims=self.dims, coords=self.coords, name=self.name, attrs={"units": self.units}
        )

    def to_pandas(self) -> Any:
        """As a pandas DataFrame indexed by date (needs the ``pandas`` extra).

        A ``(date, contingent)`` array becomes one column per contingent; a
        ``(quantile, date[, contingent])`` array gets one column per
        quantile (and contingent).
        """
        pd = _need("pandas", "pandas")
        if "date" not in self.dims:
            raise ValueError("to_pandas needs a 'date' dimension")
        moved = np.moveaxis(self.values, self.dims.index("date"), 0)
        others = [d for d in self.dims if d != "date"]
        flat = moved.reshape(moved.shape[0], -1)
        columns = pd.MultiIndex.from_product([self.coords[d] for d in others], names=others) if others else [self.name]
        return pd.DataFrame(flat, index=pd.DatetimeIndex(self.coords["date"], name="date"), columns=columns)

    def __repr__(self) -> str:
        shape = ", ".join(f"{d}: {n}" for d, n in zip(self.dims, self.values.shape, strict=True))
        return f"<LabelledArray '{self.name}' ({shape}) [{self.units}]>"


@dataclass(frozen=True)
class Table:
    """A small text table that also exports to CSV and pandas.

    Examples
    --------
    >>> print(Table("t", ("a", "b"), [(1, "x")]))
    t
    a  b
    -  -
    1  x
    """

    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def __str__(self) -> str:
        text = [[_cell(v) for v in row] for row in self.rows]
        widths = [max([len(c)] + [len(r[i]) for r in text]) for i, c in enumerate(self.columns)]
        lines = [self.title] if self.title else []
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(self.columns, widths, strict=True))
            ).rstrip()
        )
        lines.append("  ".join("-" * w for w in widths))
        for r in text:
            lines.append(
                "  ".join(
                    v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths, strict=True))
                ).rstrip()
            )
        return "\n".join(lines)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython
        p.text(str(self))

    def to_csv(self, path: str | Path) -> Path:
        """Write the table (raw values, not formatted) to a CSV file."""
        path = Path(path)
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(self.columns)
            writer.writerows(self.rows)
        return path

    def to_pandas(self) -> Any:
        """As a pandas DataFrame (needs the ``pandas`` extra)."""
        pd = _need("pandas", "pandas")
        return pd.DataFrame(self.rows, columns=list(self.columns))


def _cell(v: Any) -> str:
    if isinstance(v, float):
        if np.isnan(v):
            return "-"
        if abs(v) >= 100:
            return f"{v:,.0f}"
        return f"{v:.3g}" if abs(v) >= 1e-3 or v == 0 else f"{v:.2e}"
    if isinstance(v, (np.datetime64, dt.date)):
        return str(v) if not (isinstance(v, np.datetime64) and np.isnat(v)) else "-"
    return str(v)


class Ensemble:
    """Every replication of one run.

    Attributes
    ----------
    scenario : Scenario
        The scenario that was run.
    seed : numpy.random.SeedSequence
        The run's seed (its ``entropy`` repeats the run).
    replications : int
    contingents : tuple of str
        Contingent ids, the ``contingent`` labels of every output.
    dates : ndarray of datetime64[D]
        ``start_date .. end_date``, one per row.
    final : dict of str to ndarray
        Exact (float64) end state per replication and contingent:
        ``initial``, ``strength``, ``killed``, ``wounded``, ``missing``,
        ``arrived``, ``returned`` and ``recovering`` (wounded still on their way back).
    """

    def __init__(
        self,
        scenario: Scenario,
        seed: np.random.SeedSequence,
        trajectories: dict[str, NDArray[np.float32]],
        final: dict[str, NDArray[np.float64]],
        events: dict[str, NDArray[np.int64]],
    ) -> None:
        self.scenario = scenario
        self.seed = seed
        self._traj = trajectories
        self.final = final
        self._events = events
        self.replications = next(iter(trajectories.values())).shape[0]
        self.contingents = scenario.contingent_ids
        start = np.datetime64(scenario.start_date, "D")
        self.dates = start + np.arange(scenario.horizon_days + 1)

    # -------------------------------------------------------------- access
    @property
    def event_names(self) -> tuple[str, ...]:
        """Names of the events this run tracks."""
        return tuple(self._events)

    def _raw(self, name: str) -> NDArray[Any]:
        if name == "casualties":
            return self._traj["killed"] + self._traj["wounded"] + self._traj["missing"]
        if name not in self._traj:
            raise KeyError(f"no output '{name}'; outputs are {OUTPUT_NAMES}")
        return self._traj[name]

    def _coords(self, name: str, lead: tuple[str, NDArray[Any]]) -> tuple[tuple[str, ...], dict[str, NDArray[Any]]]:
        dims = (lead[0], "date") + (() if name == "area" else ("contingent",))
        coords = {lead[0]: lead[1], "date": self.dates}
        if name != "area":
            coords["contingent"] = np.array(self.contingents)
        return dims, coords

    def trajectory(self, name: str) -> LabelledArray:
        """Daily values of every replication, ``(replication, date[, contingent])``.

        Examples
        --------
        >>> import kursk_sim as ks
        >>> ens = ks.simulate(ks.load_scenario("kursk-2024"), 10, seed=1)
        >>> ens.trajectory("area").dims
        ('replication', 'date')
        """
        values = self._raw(name)
        dims, coords = self._coords(name, ("replication", np.arange(self.replications)))
        return LabelledArray(name, UNITS[name], values, dims, coords)

    def quantiles(self, name: str, q: Sequence[float] = (0.05, 0.5, 0.95)) -> LabelledArray:
        """Quantiles across replications for each date, ``(quantile, date[, contingent])``.

        Parameters
        ----------
        name : str
            One of :data:`OUTPUT_NAMES`.
        q : float or sequence of float
            Probabilities in [0, 1].

        Examples
        --------
        >>> import kursk_sim as ks
        >>> ens = ks.simulate(ks.load_scenario("kursk-2024"), 200, seed=1)
        >>> band = ens.quantiles("area", q=(0.05, 0.5, 0.95))
        >>> float(band.sel(quantile=0.05, date="2025-01-01")) <= float(band.sel(quantile=0.95, date="2025-01-01"))
        True
        """
        qs = np.atleast_1d(np.asarray(q, dtype=float))
        if qs.ndim != 1 or qs.size == 0 or np.isnan(qs).any() or (qs < 0).any() or (qs > 1).any():
            raise ValueError(f"q: got {q!r}, expected probabilities in [0, 1]")
        values = np.quantile(self._raw(name), qs, axis=0)
        dims, coords = self._coords(name, ("quantile", qs))
        return LabelledArray(name, UNITS[name], values, dims, coords)

    def mean(self, name: str) -> LabelledArray:
        """Mean across replications for each date, ``(date[, contingent])``."""
        values = self._raw(name).mean(axis=0, dtype=np.float64)
        dims, coords = self._coords(name, ("replication", np.arange(1)))
        coords.pop("replication")
        return LabelledArray(name, UNITS[name], values, dims[1:], coords)

    def event_day(self, event: str) -> NDArray[np.float64]:
        """Day index (0 = start date) of ``event`` per replication; NaN where it did not happen."""
        days = self._event(event)
        return np.where(days >= 0, days, np.nan)

    def event_date(self, event: str) -> NDArray[np.datetime64]:
        """Date of ``event`` per replication; NaT where it did not happen."""
        days = self._event(event)
        out = self.dates[0] + np.maximum(days, 0)
        return np.where(days >= 0, out, np.datetime64("NaT"))

    def _event(self, event: str) -> NDArray[np.int64]:
        if event not in self._events:
            raise KeyError(f"no event '{event}'; events are {self.event_names}")
        return self._events[event]

    def probability(self, event: str, by: str | dt.date | np.datetime64 | None = None) -> float:
        """Share of replications in which ``event`` happened on or before ``by``.

        Parameters
        ----------
        event : str
            One of :attr:`event_names`.
        by : date, optional
            Last date counted (default: the last day of the run). A date
            after the end of the run is refused: the run cannot tell.

        Examples
        --------
        >>> import kursk_sim as ks
        >>> ens = ks.simulate(ks.load_scenario("kursk-2024"), 100, seed=1)
        >>> 0.0 <= ens.probability("ua_withdrawal", by="2025-03-31") <= 1.0
        True
        """
        days = self._event(event)
        if by is None:
            last = len(self.dates) - 1
        else:
            last = int((np.datetime64(by, "D") - self.dates[0]).astype(int))
            if last > len(self.dates) - 1:
                raise ValueError(f"by: got {by}, expected a date on or before the run's end {self.dates[-1]}")
        return float(np.mean((days >= 0) & (days <= last)))

    # -------------------------------------------------------------- tables
    def summary(self, q: Sequence[float] = (0.05, 0.5, 0.95)) -> Table:
        """Quantiles of the key outputs at the end of the run, and event odds.

        Examples
        --------
        >>> import kursk_sim as ks
        >>> print(ks.simulate(ks.load_scenario("kursk-2024"), 50, seed=1).summary())  # doctest: +ELLIPSIS
        kursk-2024: state on 2025-05-31 (50 replications)
        ...
        """
        qs = tuple(float(x) for x in q)
        cols = ("output", "contingent", "unit", "mean", *(f"q{100 * x:g}" for x in qs))
        rows: list[tuple[Any, ...]] = []
        for name in ("strength", "killed", "wounded", "missing", "casualties"):
            end = self._raw(name)[:, -1, :].astype(np.float64)
            qv = np.quantile(end, qs, axis=0)
            for i, cid in enumerate(self.contingents):
                rows.append((name, cid, UNITS[name], float(end[:, i].mean()), *(float(v) for v in qv[:, i])))
        area = self._raw("area")[:, -1].astype(np.float64)
        rows.append(("area", "-", "km²", float(area.mean()), *(float(v) for v in np.quantile(area, qs))))
        for event in self.event_names:
            days = self.event_day(event)
            happened = days[~np.isnan(days)]
            dates = (
                [self.dates[0] + int(round(v)) for v in np.quantile(happened, qs)]
                if happened.size
                else [np.datetime64("NaT")] * len(qs)
            )
            rows.append((f"P({event})", "-", "share; dates if any", float(np.mean(~np.isnan(days))), *dates))
        title = f"{self.scenario.name}: state on {self.dates[-1]} ({self.replications} replications)"
        return Table(title, cols, rows)

    def projection(
        self, dates: Sequence[Any] | None = None, q: tuple[float, float, float] = (0.05, 0.5, 0.95)
    ) -> Table:
        """Median and band of strength per contingent and area held, by date.

        Parameters
        ----------
        dates : sequence of dates, optional
            Default: the start, the first of each month, and the end.
        q : (low, mid, high)
            The quantiles shown as ``mid [low-high]``.
        """
        if dates is None:
            firsts = [d for d in self.dates if str(d).endswith("-01")]
            idx = sorted({0, *[int((d - self.dates[0]).astype(int)) for d in firsts], len(self.dates) - 1})
        else:
            idx = [int((np.datetime64(d, "D") - self.dates[0]).astype(int)) for d in dates]
            bad = [d for d, i in zip(dates, idx, strict=True) if not 0 <= i < len(self.dates)]
            if bad:
                raise ValueError(f"dates: {bad} fall outside the run {self.dates[0]}..{self.dates[-1]}")
        strength = np.quantile(self._raw("strength")[:, idx, :], q, axis=0)
        area = np.quantile(self._raw("area")[:, idx], q, axis=0)
        cols = ("date", *(f"{c} strength" for c in self.contingents), "area km²")
        rows = []
        for j, i in enumerate(idx):
            cells = [_band(strength[:, j, c]) for c in range(len(self.contingents))]
            rows.append((str(self.dates[i]), *cells, _band(area[:, j])))
        lo, mid, hi = (f"{100 * x:g}" for x in q)
        title = f"{self.scenario.name}: median [{lo}%-{hi}%] of {self.replications} replications"
        return Table(title, cols, rows)

    # -------------------------------------------------------------- export
    def export(self, directory: str | Path) -> list[Path]:
        """Write summary, projection, daily quantiles, event days and the scenario.

        Returns the paths written: ``summary.csv``, ``projection.csv``,
        ``quantiles.csv`` (long form: date, output, contingent, quantile,
        value), ``events.csv`` (one row per replication) and
        ``scenario.toml``.
        """
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        paths = [self.summary().to_csv(out / "summary.csv"), self.projection().to_csv(out / "projection.csv")]
        qpath = out / "quantiles.csv"
        with qpath.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(("date", "output", "contingent", "quantile", "value", "unit"))
            for name in OUTPUT_NAMES:
                band = self.quantiles(name)
                for qi, qv in enumerate(band.coords["quantile"]):
                    for di, d in enumerate(self.dates):
                        if name == "area":
                            w.writerow((d, name, "-", qv, f"{band.values[qi, di]:.6g}", UNITS[name]))
                        else:
                            for ci, cid in enumerate(self.contingents):
                                w.writerow((d, name, cid, qv, f"{band.values[qi, di, ci]:.6g}", UNITS[name]))
        paths.append(qpath)
        epath = out / "events.csv"
        with epath.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(("replication", *self.event_names))
            dates = {e: self.event_date(e) for e in self.event_names}
            for r in range(self.replications):
                w.writerow((r, *("" if np.isnat(dates[e][r]) else str(dates[e][r]) for e in self.event_names)))
        paths.append(epath)
        paths.append(self.scenario.save(out / "scenario.toml"))
        return paths

    def __repr__(self) -> str:
        return (
            f"<Ensemble {self.scenario.name}: {self.replications} replications, "
            f"{self.dates[0]}..{self.dates[-1]}, contingents {self.contingents}, events {self.event_names}>"
        )


def _band(v: ArrayLike) -> str:
    lo, mid, hi = (float(x) for x in np.asarray(v))
    return f"{mid:,.0f} [{lo:,.0f}-{hi:,.0f}]"
