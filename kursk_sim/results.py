"""Results of a run: labelled trajectories, quantiles, event probabilities, tables.

The outputs (``strength``, ``killed``, ..., ``area``) are those the rules
declare (:data:`kursk_sim.rules.OUTPUTS`, listed with units in
docs/scenario_reference.md): each contingent's, then the front's.

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

from .chunks import KEPT_SERIES, series_columns
from .rules import OUTPUTS, per_contingent
from .scenario import Scenario
from .sketch import QuantileSketch, histogram_quantiles

__all__ = ["Ensemble", "LabelledArray", "Table", "TRAJECTORY_NAMES", "OUTPUT_NAMES", "UNITS"]

#: Outputs kept per contingent in trajectories (not sums of others).
TRAJECTORY_NAMES = tuple(name for name in KEPT_SERIES if OUTPUTS[name].per_contingent)
#: Every output, in the order of the recorded series.
OUTPUT_NAMES = tuple(OUTPUTS)
#: Unit of each output.
UNITS = {name: o.unit for name, o in OUTPUTS.items()}


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
    aux : dict of str to (str, ndarray)
        More labels along a dimension, by name: a sweep's parameter values
        along ``point`` (``{"ru.replenishment.per_day": ("point", values)}``).

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
    aux: dict[str, tuple[str, NDArray[Any]]] = field(default_factory=dict)

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
        aux = {k: (d, v) for k, (d, v) in self.aux.items() if d in dims}
        return LabelledArray(self.name, self.units, values, tuple(dims), coords, aux)

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
        coords: dict[str, Any] = dict(self.coords)
        coords |= {name: (dim, values) for name, (dim, values) in self.aux.items()}
        return xr.DataArray(self.values, dims=self.dims, coords=coords, name=self.name, attrs={"units": self.units})

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
    """Every replication of one run, reduced.

    Summaries (daily quantiles and means of every output, event-day
    distributions) cover every replication, whatever their number. The
    per-replication views (:meth:`trajectory`, :meth:`event_day`,
    :meth:`event_date`, :attr:`final`) cover the first :attr:`kept`
    replications: all of them unless the run was too large to keep (see
    :func:`~kursk_sim.run.simulate`'s ``trajectories``).

    Quantiles are exact (NumPy's ``"linear"`` method) when every
    replication was kept (:attr:`exact_quantiles`); otherwise they come
    from a mergeable sketch and are within
    :data:`~kursk_sim.sketch.RELATIVE_ERROR` (0.2 %) of the exact value
    (see :mod:`kursk_sim.sketch`). Means, event probabilities and event-date
    quantiles are always exact.

    Attributes
    ----------
    scenario : Scenario
        The scenario that was run.
    seed : numpy.random.SeedSequence
        The run's seed (its ``entropy`` repeats the run).
    replications : int
    kept : int
        Replications whose daily trajectories were kept (the first ones).
    exact_quantiles : bool
        Whether quantiles are computed from every replication's values.
    chunk_size : int
        Replications per chunk (see :mod:`kursk_sim.chunks`).
    contingents : tuple of str
        Contingent ids, the ``contingent`` labels of every output.
    dates : ndarray of datetime64[D]
        ``start_date .. end_date``, one per row.
    final : dict of str to ndarray
        Exact (float64) end state per kept replication and contingent:
        ``initial``, ``strength``, ``killed``, ``wounded``, ``missing``,
        ``arrived``, ``returned`` and ``recovering`` (wounded still on their way back).
    values : dict of str to ndarray
        Parameters set per replication (``simulate(..., values=)``), in
        scenario units (dates as proleptic ordinals); empty if none.
    """

    def __init__(
        self,
        scenario: Scenario,
        seed: np.random.SeedSequence,
        *,
        replications: int,
        chunk_size: int,
        sums: NDArray[np.float64],
        event_counts: dict[str, NDArray[np.int64]],
        sketch: QuantileSketch | None = None,
        kept: dict[str, NDArray[Any]] | None = None,
        values: dict[str, NDArray[np.float64]] | None = None,
    ) -> None:
        self.scenario = scenario
        self.values = dict(values or {})
        self.seed = seed
        self.replications = int(replications)
        self.chunk_size = int(chunk_size)
        self.contingents = scenario.contingent_ids
        start = np.datetime64(scenario.start_date, "D")
        self.dates = start + np.arange(scenario.horizon_days + 1)
        self._sums = sums
        self._event_counts = event_counts
        self._sketch = sketch
        kept = kept or {}
        self._traj = {k: v for k, v in kept.items() if "." not in k}
        self.final = {k.split(".", 1)[1]: v for k, v in kept.items() if k.startswith("final.")}
        self._event_days = {k.split(".", 1)[1]: v for k, v in kept.items() if k.startswith("event.")}
        self.kept = int(next(iter(self._traj.values())).shape[0]) if self._traj else 0
        self.exact_quantiles = self.kept == self.replications
        if not self.exact_quantiles and sketch is None:
            raise ValueError("an Ensemble that did not keep every replication needs a sketch")

    # -------------------------------------------------------------- access
    @property
    def event_names(self) -> tuple[str, ...]:
        """Names of the events this run tracks."""
        return tuple(self._event_counts)

    def _check_output(self, name: str) -> None:
        if name not in OUTPUT_NAMES:
            raise KeyError(f"no output '{name}'; outputs are {OUTPUT_NAMES}")

    def _raw(self, name: str) -> NDArray[Any]:
        self._check_output(name)
        if not self.kept:
            raise ValueError(
                f"no trajectories were kept of these {self.replications:,} replications; "
                "run simulate(..., trajectories=N) to keep the first N"
            )
        parts = OUTPUTS[name].sum_of
        if parts:
            total = self._traj[parts[0]] + self._traj[parts[1]]
            for part in parts[2:]:
                total += self._traj[part]
            return total
        return self._traj[name]

    def _columns(self, name: str) -> slice:
        """Columns of ``name`` among the recorded series (see :data:`kursk_sim.chunks.SERIES`)."""
        self._check_output(name)
        return series_columns(name, len(self.contingents))

    def _coords(self, name: str, lead: tuple[str, NDArray[Any]]) -> tuple[tuple[str, ...], dict[str, NDArray[Any]]]:
        dims = (lead[0], "date") + (() if not per_contingent(name) else ("contingent",))
        coords = {lead[0]: lead[1], "date": self.dates}
        if per_contingent(name):
            coords["contingent"] = np.array(self.contingents)
        return dims, coords

    def trajectory(self, name: str) -> LabelledArray:
        """Daily values of every kept replication, ``(replication, date[, contingent])``.

        Examples
        --------
        >>> import kursk_sim as ks
        >>> ens = ks.simulate(ks.load_scenario("kursk-2024"), 10, seed=1)
        >>> ens.trajectory("area").dims
        ('replication', 'date')
        """
        values = self._raw(name)
        dims, coords = self._coords(name, ("replication", np.arange(self.kept)))
        return LabelledArray(name, UNITS[name], values, dims, coords)

    def quantiles(self, name: str, q: Sequence[float] = (0.05, 0.5, 0.95)) -> LabelledArray:
        """Quantiles across replications for each date, ``(quantile, date[, contingent])``.

        Exact when every replication was kept, otherwise within
        :data:`~kursk_sim.sketch.RELATIVE_ERROR` of the exact value.

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
        qs = _probabilities(q)
        values = self._quantile_values(name, qs, rows=slice(None))
        dims, coords = self._coords(name, ("quantile", qs))
        return LabelledArray(name, UNITS[name], values, dims, coords)

    def _quantile_values(self, name: str, qs: NDArray[np.float64], rows: Any) -> NDArray[np.float64]:
        """Quantiles ``(q, rows[, contingent])`` of ``name`` on the chosen day rows."""
        if self.exact_quantiles:
            return np.quantile(self._raw(name)[:, rows], qs, axis=0)
        assert self._sketch is not None
        n_series = self._sums.shape[1]
        days = np.arange(len(self.dates))[rows]
        cols = np.arange(n_series)[self._columns(name)]
        sketch_rows = (np.atleast_1d(days)[:, None] * n_series + cols[None, :]).ravel()
        values = self._sketch.quantile(qs, rows=sketch_rows).reshape(len(qs), np.size(days), cols.size)
        if np.ndim(days) == 0:
            values = values[:, 0]
        return values[..., 0] if not per_contingent(name) else values

    def mean(self, name: str) -> LabelledArray:
        """Mean across all replications for each date, ``(date[, contingent])``."""
        values = self._sums[:, self._columns(name)] / self.replications
        if not per_contingent(name):
            values = values[:, 0]
        dims, coords = self._coords(name, ("replication", np.arange(1)))
        coords.pop("replication")
        return LabelledArray(name, UNITS[name], values, dims[1:], coords)

    def event_counts(self, event: str) -> LabelledArray:
        """How many replications had ``event`` on each date (all replications, exact).

        The event did not happen in the remaining ``replications - counts.sum()``.
        """
        counts = self._counts(event)
        return LabelledArray(event, "replications", counts, ("date",), {"date": self.dates})

    def _counts(self, event: str) -> NDArray[np.int64]:
        if event not in self._event_counts:
            raise KeyError(f"no event '{event}'; events are {self.event_names}")
        hist = np.asarray(self._event_counts[event])
        out = np.zeros(len(self.dates), dtype=np.int64)
        out[:-1] = hist[:-1]  # the last bin counts replications without the event
        return out

    def event_quantiles(self, event: str, q: Sequence[float] = (0.05, 0.5, 0.95)) -> NDArray[np.datetime64]:
        """Exact quantiles of the event's date among replications where it happened (NaT if none)."""
        qs = _probabilities(q)
        days = histogram_quantiles(self._counts(event)[None, :], np.arange(len(self.dates), dtype=float), qs)[:, 0]
        return np.array(
            [np.datetime64("NaT") if np.isnan(d) else self.dates[0] + int(round(d)) for d in days],
            dtype="datetime64[D]",
        )

    def event_day(self, event: str) -> NDArray[np.float64]:
        """Day index (0 = start date) of ``event`` per kept replication; NaN where it did not happen."""
        days = self._event(event)
        return np.where(days >= 0, days, np.nan)

    def event_date(self, event: str) -> NDArray[np.datetime64]:
        """Date of ``event`` per kept replication; NaT where it did not happen."""
        days = self._event(event)
        out = self.dates[0] + np.maximum(days, 0)
        return np.where(days >= 0, out, np.datetime64("NaT"))

    def _event(self, event: str) -> NDArray[np.int64]:
        self._counts(event)
        if not self.kept:
            raise ValueError("no replications were kept; event_counts() covers them all")
        return self._event_days[event]

    def probability(self, event: str, by: str | dt.date | np.datetime64 | None = None) -> float:
        """Share of all replications in which ``event`` happened on or before ``by``.

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
        counts = self._counts(event)
        if by is None:
            last = len(self.dates) - 1
        else:
            last = int((np.datetime64(by, "D") - self.dates[0]).astype(int))
            if last > len(self.dates) - 1:
                raise ValueError(f"by: got {by}, expected a date on or before the run's end {self.dates[-1]}")
        return float(counts[: max(last + 1, 0)].sum() / self.replications)

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
        last = len(self.dates) - 1
        for name in OUTPUT_NAMES:
            mean = np.atleast_1d(self.mean(name).values[-1])
            qv = self._quantile_values(name, np.asarray(qs), rows=last).reshape(len(qs), -1)
            labels = ("-",) if not per_contingent(name) else self.contingents
            for i, cid in enumerate(labels):
                rows.append((name, cid, UNITS[name], float(mean[i]), *(float(v) for v in qv[:, i])))
        for event in self.event_names:
            rows.append(
                (f"P({event})", "-", "share; dates if any", self.probability(event), *self.event_quantiles(event, qs))
            )
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
        qs = _probabilities(q)
        strength = self._quantile_values("strength", qs, rows=idx)
        area = self._quantile_values("area", qs, rows=idx)
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
        value), ``event_days.csv`` (per date, how many replications had
        each event), ``events.csv`` (one row per kept replication; only if
        some were kept), ``values.csv`` (the values set per replication with
        ``simulate(values=)``, if any) and ``scenario.toml``.
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
                        if not per_contingent(name):
                            w.writerow((d, name, "-", qv, f"{band.values[qi, di]:.6g}", UNITS[name]))
                        else:
                            for ci, cid in enumerate(self.contingents):
                                w.writerow((d, name, cid, qv, f"{band.values[qi, di, ci]:.6g}", UNITS[name]))
        paths.append(qpath)
        dpath = out / "event_days.csv"
        with dpath.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(("date", *self.event_names))
            counts = [self._counts(e) for e in self.event_names]
            for di, d in enumerate(self.dates):
                w.writerow((d, *(int(c[di]) for c in counts)))
            w.writerow(("never", *(self.replications - int(c.sum()) for c in counts)))
        paths.append(dpath)
        if self.kept:
            epath = out / "events.csv"
            with epath.open("w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                w.writerow(("replication", *self.event_names))
                dates = {e: self.event_date(e) for e in self.event_names}
                for r in range(self.kept):
                    w.writerow((r, *("" if np.isnat(dates[e][r]) else str(dates[e][r]) for e in self.event_names)))
            paths.append(epath)
        if self.values:
            paths.append(self._export_values(out / "values.csv"))
        paths.append(self.scenario.save(out / "scenario.toml"))
        return paths

    def _export_values(self, path: Path) -> Path:
        """The values set per replication, one row per replication (dates as ISO dates)."""
        from .schema import iter_leaves

        kinds = {p: spec.kind for p, _, spec in iter_leaves(self.scenario)}
        names = list(self.values)
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(("replication", *names))
            for r in range(self.replications):
                cells = []
                for name in names:
                    v = float(self.values[name][r])
                    cells.append(dt.date.fromordinal(int(v)).isoformat() if kinds.get(name) == "date" else repr(v))
                w.writerow((r, *cells))
        return path

    def __repr__(self) -> str:
        return (
            f"<Ensemble {self.scenario.name}: {self.replications} replications ({self.kept} kept), "
            f"{self.dates[0]}..{self.dates[-1]}, contingents {self.contingents}, events {self.event_names}>"
        )


def _probabilities(q: Any) -> NDArray[np.float64]:
    qs = np.atleast_1d(np.asarray(q, dtype=float))
    if qs.ndim != 1 or qs.size == 0 or np.isnan(qs).any() or (qs < 0).any() or (qs > 1).any():
        raise ValueError(f"q: got {q!r}, expected probabilities in [0, 1]")
    return qs


def _band(v: ArrayLike) -> str:
    lo, mid, hi = (float(x) for x in np.asarray(v))
    return f"{mid:,.0f} [{lo:,.0f}-{hi:,.0f}]"
