"""The results of a sweep: every output and event, grouped by point of the design.

A :class:`SweepResult` holds, for each point of the design and each
recorded date, the mean of every output over the point's replications with
its Monte Carlo standard error, event probabilities by date with confidence
intervals, event-date quantiles, quantiles of the outputs (when kept), and
paired differences against a reference point. Every array has a ``point``
dimension whose labels are the point's index, with each parameter path of
the design as a coordinate along it.

Standard errors are those of a mean of independent replications: the
sample standard deviation over ``sqrt(n)``. Paired differences use each
replication's own difference from the reference point's same replication
(they share parameter draws, waves, hazards and, within a chunk, noise
streams; see :mod:`kursk_sim.streams`), so their standard error is that of
the differences, usually far below the unpaired one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .chunks import ChunkFailure, series_columns
from .point_reduction import PointReduction, PointTotals
from .results import (
    OUTPUT_NAMES,
    UNITS,
    LabelledArray,
    Table,
    _attrs,
    _command,
    _concat,
    _formats,
    _frame,
    _manifest_base,
    _need,
    _probabilities,
    _readonly,
    _write_manifest,
    _write_scenario,
    _write_tables,
)
from .rules import per_contingent
from .scenario import Scenario
from .sketch import BIN_VALUES, histogram_quantiles

__all__ = ["SweepResult"]


class SweepResult:
    """A sweep's reductions, by point.

    Attributes
    ----------
    scenario : Scenario
        The scenario every point changes.
    points : Design
        The design: one row per point.
    replications : int
        Replications run of each point (``completed`` says how many finished).
    seed : numpy.random.SeedSequence
    chunk_size : int
    dates : ndarray of datetime64[D]
        The recorded dates (every date of the run unless the sweep was told
        otherwise).
    quantile_dates : ndarray of datetime64[D]
        The dates with quantiles (see :meth:`quantiles`).
    reference : int or None
        The point differences are paired against (``None``: no pairing).
    completed : ndarray of int
        Replications that finished, per point.
    failures : list of ChunkFailure
        Chunks or points that raised, with their seeds.
    rerun_alone : ndarray of bool
        Points whose chunk raised and that were run again on their own
        (valid results, not paired with the reference).

    Every array handed out (means, quantiles, probabilities, the
    attributes above) is new or a read-only view: writing into one raises
    instead of changing later results.
    """

    def __init__(
        self,
        scenario: Scenario,
        points: Any,
        *,
        replications: int,
        seed: np.random.SeedSequence,
        chunk_size: int,
        reduction: PointReduction,
        totals: PointTotals,
        failures: Sequence[ChunkFailure] = (),
    ) -> None:
        self.scenario = scenario
        self.points = points
        self.replications = int(replications)
        self.seed = seed
        self.chunk_size = int(chunk_size)
        self.reduction = reduction
        self.reference = reduction.reference
        self._totals = totals
        self._completed = _readonly(totals.count.copy())
        self._rerun_alone = _readonly(totals.alone.copy())
        self.failures = list(failures)
        self.contingents = scenario.contingent_ids
        self._days = _readonly(np.asarray(reduction.days))
        start = np.datetime64(scenario.start_date, "D")
        self._dates = _readonly(start + self._days)
        self._quantile_dates = _readonly(start + np.asarray(reduction.quantile_days, dtype=int))
        self.every_date = self._days.size == scenario.horizon_days + 1

    # read-only views: what a SweepResult hands out cannot change later results
    @property
    def completed(self) -> NDArray[np.int64]:
        """Replications that finished, per point (read-only)."""
        return _readonly(self._completed)

    @property
    def rerun_alone(self) -> NDArray[np.bool_]:
        """Points run again on their own after their chunk raised (read-only)."""
        return _readonly(self._rerun_alone)

    @property
    def dates(self) -> NDArray[np.datetime64]:
        """The recorded dates (read-only)."""
        return _readonly(self._dates)

    @property
    def quantile_dates(self) -> NDArray[np.datetime64]:
        """The dates with quantiles (read-only)."""
        return _readonly(self._quantile_dates)

    # ------------------------------------------------------------ labels
    @property
    def n_points(self) -> int:
        """Number of points."""
        return len(self.points)

    @property
    def event_names(self) -> tuple[str, ...]:
        """Events tracked."""
        return tuple(self._totals.events)

    def _aux(self) -> dict[str, tuple[str, NDArray[Any]]]:
        return {path: ("point", np.asarray(self.points[path])) for path in self.points.paths}

    def _labelled(
        self, name: str, units: str, values: NDArray[Any], dims: tuple[str, ...], **coords: Any
    ) -> LabelledArray:
        all_coords = {"point": np.arange(self.n_points), "date": self.dates, "contingent": np.array(self.contingents)}
        all_coords |= coords
        return LabelledArray(name, units, values, dims, {d: all_coords[d] for d in dims}, self._aux())

    def _output(self, name: str, stat: NDArray[np.float64], label: str) -> LabelledArray:
        """``(point, date[, contingent])`` of a ``(point, date, series)`` statistic."""
        if name not in OUTPUT_NAMES:
            raise KeyError(f"no output '{name}'; outputs are {OUTPUT_NAMES}")
        values = stat[:, :, series_columns(name, len(self.contingents))]
        if not per_contingent(name):
            return self._labelled(f"{name} {label}", UNITS[name], values[:, :, 0], ("point", "date"))
        return self._labelled(f"{name} {label}", UNITS[name], values, ("point", "date", "contingent"))

    def _day(self, by: Any) -> int:
        """Index among the recorded dates of ``by`` (default: the last)."""
        if by is None:
            return self._days.size - 1
        key = np.datetime64(by, "D")
        hits = np.flatnonzero(self.dates == key)
        if hits.size == 0:
            shown = f"{self.dates[0]} .. {self.dates[-1]}" if self.every_date else ", ".join(map(str, self.dates))
            raise ValueError(f"by: got {by}, expected one of the recorded dates ({shown})")
        return int(hits[0])

    def _event(self, event: str) -> None:
        if event not in self._totals.events:
            raise KeyError(f"no event '{event}'; events are {self.event_names}")

    # -------------------------------------------------------------- means
    def mean(self, name: str) -> LabelledArray:
        """Mean over each point's replications, ``(point, date[, contingent])``.

        Examples
        --------
        >>> import kursk_sim as ks
        >>> res = ks.sweep(ks.load_scenario("kursk-2024"), ks.grid({"ua.replenishment.per_day": [0, 150]}), 50, seed=1)
        >>> m = res.mean("strength").sel(contingent="ua", date="2025-03-01")
        >>> bool(m.values[1] > m.values[0])  # more replacements, more troops
        True
        """
        with np.errstate(invalid="ignore"):
            mean = np.where(self.completed[:, None, None] > 0, self._totals.mean, np.nan)
        return self._output(name, mean, "mean")

    def standard_error(self, name: str) -> LabelledArray:
        """Monte Carlo standard error of :meth:`mean`: sample standard deviation / sqrt(replications)."""
        n = self.completed[:, None, None].astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            se = np.sqrt(self._totals.m2 / (n * (n - 1.0)))
        return self._output(name, np.where(n > 1, se, np.nan), "standard error")

    def quantiles(self, name: str, q: Sequence[float] = (0.05, 0.5, 0.95)) -> LabelledArray:
        """Quantiles over each point's replications, ``(quantile, point, date[, contingent])``.

        Within 0.2 % of the exact quantiles (the sketch of :mod:`kursk_sim.sketch`), on
        the dates the sweep kept quantiles for (:attr:`quantile_dates`; by
        default the start, the first of each month and the end).
        """
        if self._totals.sketch is None:
            raise ValueError("this sweep kept no quantiles: run ks.sweep(..., quantiles=True or a list of dates)")
        if name not in OUTPUT_NAMES:
            raise KeyError(f"no output '{name}'; outputs are {OUTPUT_NAMES}")
        qs = _probabilities(q)
        p, _, s = self.reduction.shape
        d = len(self.reduction.quantile_days)
        cols = np.arange(s)[series_columns(name, len(self.contingents))]
        rows = ((np.arange(d)[:, None, None] * p + np.arange(p)[None, :, None]) * s + cols[None, None, :]).ravel()
        flat = np.empty((qs.size, rows.size))
        for lo in range(0, rows.size, 256):  # bounded temporaries: 256 dense rows at a time
            part = rows[lo : lo + 256]
            flat[:, lo : lo + part.size] = histogram_quantiles(self._totals.sketch.rows(part), BIN_VALUES, qs)
        out = flat.reshape(qs.size, d, p, cols.size).transpose(0, 2, 1, 3)
        dates = self.quantile_dates
        if not per_contingent(name):
            return self._labelled(
                name, UNITS[name], out[..., 0], ("quantile", "point", "date"), quantile=qs, date=dates
            )
        dims = ("quantile", "point", "date", "contingent")
        return self._labelled(name, UNITS[name], out, dims, quantile=qs, date=dates)

    # ------------------------------------------------------------- events
    def _cumulative(self, hist: NDArray[np.int64]) -> NDArray[np.int64]:
        return np.cumsum(hist[:, :-1], axis=1)

    def probability(self, event: str, by: Any = None) -> LabelledArray:
        """Share of each point's replications in which ``event`` happened on or before ``by``, ``(point,)``.

        ``by`` is one of the recorded dates (default: the last).
        """
        self._event(event)
        k = self._day(by)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = self._cumulative(self._totals.events[event])[:, k] / self.completed
        return self._labelled(f"P({event})", "share", p, ("point",))

    def probability_interval(self, event: str, by: Any = None, level: float = 0.95) -> LabelledArray:
        """Wilson score interval of :meth:`probability`, ``(bound, point)`` with bounds ``low``, ``high``."""
        from scipy import stats

        if not 0.0 < level < 1.0:
            raise ValueError(f"level: got {level!r}, expected a confidence level in (0, 1)")
        p = self.probability(event, by).values
        n = self.completed.astype(float)
        z = float(stats.norm.ppf(0.5 + level / 2.0))
        with np.errstate(invalid="ignore", divide="ignore"):
            centre = (p + z * z / (2 * n)) / (1 + z * z / n)
            half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        values = np.stack([centre - half, centre + half])
        return self._labelled(
            f"P({event}) {level:.0%} interval", "share", values, ("bound", "point"), bound=np.array(["low", "high"])
        )

    def event_quantiles(self, event: str, q: Sequence[float] = (0.05, 0.5, 0.95)) -> LabelledArray:
        """Quantiles of the event's date among the replications where it happened, ``(quantile, point)``; NaT if none.

        Exact; needs every date recorded (the default).
        """
        self._event(event)
        if not self.every_date:
            raise ValueError("event-date quantiles need every date recorded: run ks.sweep(..., dates=None)")
        qs = _probabilities(q)
        hist = self._totals.events[event][:, :-1]
        days = histogram_quantiles(hist, self._days.astype(float), qs)
        out = np.full(days.shape, np.datetime64("NaT"), dtype="datetime64[D]")
        ok = ~np.isnan(days)
        out[ok] = self.dates[0] + np.rint(days[ok]).astype(int)
        return self._labelled(f"date of {event}", "date", out, ("quantile", "point"), quantile=qs)

    # --------------------------------------------------------- differences
    def _paired(self) -> int:
        if self.reference is None:
            raise ValueError(
                "this sweep has no paired reference: run ks.sweep(..., reference=i) with at most "
                f"chunk_size ({self.chunk_size:,}) points, so that every chunk holds every point"
            )
        return self.reference

    def difference(self, name: str, by: Any = None) -> LabelledArray:
        """Paired difference from the reference point, with its standard error.

        Parameters
        ----------
        name : str
            An output (``strength``, ``area``, ...) or an event name.
        by : date, optional
            For an event: the date its probability is taken by (default: the last).

        Returns
        -------
        LabelledArray
            ``(statistic, point, date[, contingent])`` for an output,
            ``(statistic, point)`` for an event; ``statistic`` is
            ``difference`` (point minus reference) and ``standard_error``
            (of the mean of the replications' paired differences). NaN for
            points not paired (run alone after a failure).

        Examples
        --------
        >>> import kursk_sim as ks
        >>> design = ks.grid({"defender.lethality": [0.0145, 0.012]})
        >>> res = ks.sweep(ks.load_scenario("kursk-2024"), design, 100, seed=1, reference=0)
        >>> d = res.difference("casualties").sel(point=1, date="2025-05-31", contingent="kpa")
        >>> bool(d.sel(statistic="difference") < -3 * d.sel(statistic="standard_error"))  # fewer casualties
        True
        """
        ref = self._paired()
        t = self._totals
        n = t.diff_count.astype(float)
        statistic = np.array(["difference", "standard_error"])
        if name in self._totals.events:
            k = self._day(by)
            p = self._cumulative(t.events[name])[:, k] / self.completed
            p_ref = p[ref]
            both = self._cumulative(t.both[name])[:, k] / np.where(n > 0, n, np.nan)
            diff = p - p_ref
            second = p + p_ref - 2.0 * both  # mean of the squared paired differences (each -1, 0 or 1)
            with np.errstate(invalid="ignore", divide="ignore"):
                se = np.sqrt(np.maximum(second - diff * diff, 0.0) / (n - 1.0))
            values = np.stack([np.where(n > 0, diff, np.nan), np.where(n > 1, se, np.nan)])
            return self._labelled(f"P({name}) difference", "share", values, ("statistic", "point"), statistic=statistic)
        nn = n[:, None, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            diff = np.where(nn > 0, t.diff_mean, np.nan)
            se = np.where(nn > 1, np.sqrt(t.diff_m2 / (nn * (nn - 1.0))), np.nan)
        d, e = self._output(name, diff, "difference"), self._output(name, se, "standard error")
        return self._labelled(
            f"{name} difference", d.units, np.stack([d.values, e.values]), ("statistic", *d.dims), statistic=statistic
        )

    # -------------------------------------------------------------- tables
    def table(self, by: Any = None, contingent: str | None = None) -> Table:
        """One row per point: its parameter values, mean strengths and area, and event probabilities on ``by``.

        ``contingent`` limits the strengths shown to one contingent.
        """
        k = self._day(by)
        date = self.dates[k]
        chosen = self.contingents if contingent is None else (contingent,)
        unknown = [c for c in chosen if c not in self.contingents]
        if unknown:
            raise KeyError(f"contingents {unknown} not in {self.contingents}")
        strength, se = self.mean("strength"), self.standard_error("strength")
        area, area_se = self.mean("area"), self.standard_error("area")
        cols = ["point", *self.points.paths]
        cols += [f"{c} strength" for c in chosen] + ["area km²"] + [f"P({e})" for e in self.event_names]
        probabilities = [self.probability(e, by=date).values for e in self.event_names]
        rows = []
        for j in range(self.n_points):
            point = self.points.point(j)
            cells: list[Any] = [j, *(point[p] for p in self.points.paths)]
            for c in chosen:
                ci = self.contingents.index(c)
                cells.append(_pm(strength.values[j, k, ci], se.values[j, k, ci]))
            cells.append(_pm(area.values[j, k], area_se.values[j, k]))
            cells += [float(p[j]) for p in probabilities]
            rows.append(tuple(cells))
        title = (
            f"{self.scenario.name}: {self.n_points} points x {self.replications:,} replications, "
            f"means ± standard error on {date}, event probabilities by then"
        )
        return Table(title, tuple(cols), rows)

    # ------------------------------------------------------------- exports
    def to_xarray(self) -> Any:
        """Everything as an :class:`xarray.Dataset` over point x date x contingent (x quantile); needs xarray.

        Variables: ``<output>_mean``, ``<output>_se``, ``<output>_quantiles``
        (if kept), ``<output>_difference`` and ``_difference_se`` (if
        paired), ``<event>_probability`` (by each date) and its ``_se``.
        Each design path is a coordinate along ``point``; the attributes are those of ``run.json``.
        """
        xr = _need("xarray", "xarray")
        data: dict[str, Any] = {}
        for name in OUTPUT_NAMES:
            data[f"{name}_mean"] = self.mean(name).to_xarray()
            data[f"{name}_se"] = self.standard_error(name).to_xarray()
            if self._totals.sketch is not None:
                data[f"{name}_quantiles"] = self.quantiles(name).to_xarray()
            if self.reference is not None:
                d = self.difference(name)
                data[f"{name}_difference"] = d.sel(statistic="difference").to_xarray()
                data[f"{name}_difference_se"] = d.sel(statistic="standard_error").to_xarray()
        for event in self.event_names:
            p = self._event_by_date(event)
            data[f"{event}_probability"] = p.to_xarray()
            n = self.completed[:, None].astype(float)
            with np.errstate(invalid="ignore", divide="ignore"):
                se = np.sqrt(p.values * (1 - p.values) / n)
            data[f"{event}_probability_se"] = self._labelled(p.name, "share", se, ("point", "date")).to_xarray()
        ds = xr.Dataset(data)
        ds.attrs.update(_attrs(self._manifest(None, [])))  # as run.json, nested values as JSON text
        ds.attrs.update(
            scenario=self.scenario.name,
            replications=self.replications,
            seed_entropy=str(self.seed.entropy),
            reference=-1 if self.reference is None else self.reference,
        )
        return ds

    def _event_by_date(self, event: str) -> LabelledArray:
        with np.errstate(invalid="ignore", divide="ignore"):
            p = self._cumulative(self._totals.events[event]) / self.completed[:, None]
        return self._labelled(f"P({event})", "share", p, ("point", "date"))

    def to_pandas(self) -> Any:
        """A tidy :class:`pandas.DataFrame`: one row per point, date, output and contingent (needs pandas).

        Columns: ``point``, each design path, ``date``, ``output``,
        ``contingent`` (``-`` for area and events), ``unit``, ``mean``,
        ``standard_error``; events appear as outputs ``P(<event>)`` (the
        probability by each date). ``means.csv`` holds the same table.
        """
        return _frame(self._means_table())

    def _means_table(self) -> dict[str, NDArray[Any]]:
        parts = []
        for name in OUTPUT_NAMES:
            m, e = self.mean(name), self.standard_error(name)
            cont = m.coords.get("contingent", np.array(["-"]))
            values = m.values if per_contingent(name) else m.values[..., None]
            errors = e.values if per_contingent(name) else e.values[..., None]
            parts.append(self._tidy(name, UNITS[name], cont, values, errors))
        for event in self.event_names:
            p = self._event_by_date(event).values[..., None]
            with np.errstate(invalid="ignore", divide="ignore"):
                se = np.sqrt(p * (1 - p) / self._completed[:, None, None])
            parts.append(self._tidy(f"P({event})", "share", np.array(["-"]), p, se))
        return _concat(parts)

    def _tidy(
        self, name: str, unit: str, cont: NDArray[Any], mean: NDArray[Any], se: NDArray[Any]
    ) -> dict[str, NDArray[Any]]:
        p, d, c = mean.shape
        point = np.repeat(np.arange(p), d * c)
        frame: dict[str, NDArray[Any]] = {"point": point}
        for path in self.points.paths:
            frame[path] = np.asarray(self.points[path])[point]
        frame |= {
            "date": np.tile(np.repeat(self._dates, c), p),
            "output": np.full(point.size, name),
            "contingent": np.tile(np.asarray(cont), p * d),
            "unit": np.full(point.size, unit),
            "mean": np.asarray(mean, dtype=float).ravel(),
            "standard_error": np.asarray(se, dtype=float).ravel(),
        }
        return frame

    def _points_table(self) -> dict[str, NDArray[Any]]:
        table: dict[str, NDArray[Any]] = {"point": np.arange(self.n_points)}
        table |= {path: np.asarray(self.points[path]) for path in self.points.paths}
        return table | {"replications": self._completed.astype(np.int64), "rerun_alone": self._rerun_alone.astype(bool)}

    def _table_table(self) -> dict[str, NDArray[Any]]:
        """:meth:`table` on the last date, as numbers: means and standard errors in their own columns."""
        k = self._days.size - 1
        table = self._points_table()
        del table["replications"], table["rerun_alone"]
        table["date"] = np.full(self.n_points, self._dates[k])
        strength, se = self.mean("strength"), self.standard_error("strength")
        for ci, c in enumerate(self.contingents):
            table[f"{c} strength"] = np.asarray(strength.values[:, k, ci], dtype=float)
            table[f"{c} strength se"] = np.asarray(se.values[:, k, ci], dtype=float)
        table["area"] = np.asarray(self.mean("area").values[:, k], dtype=float)
        table["area se"] = np.asarray(self.standard_error("area").values[:, k], dtype=float)
        for e in self.event_names:
            table[f"P({e})"] = np.asarray(self.probability(e).values, dtype=float)
        return table

    def export(
        self, directory: str | Path, formats: str | Sequence[str] = ("csv",), *, command: Sequence[str] | None = None
    ) -> list[Path]:
        """Write the sweep's tables, a ``run.json`` manifest and the scenario to ``directory``; returns the paths.

        Every table is machine-readable: one type per column, numbers
        unformatted, dates ISO ``YYYY-MM-DD``, empty cells where there is no
        value (a point with no finished replication). With
        ``formats=("csv",)``:

        ``points.csv``
            ``point``, each design path, ``replications`` (finished) and ``rerun_alone``.
        ``means.csv``
            as :meth:`to_pandas`: ``point``, each design path, ``date, output, contingent, unit,
            mean, standard_error`` (events as outputs ``P(<event>)``).
        ``table.csv``
            :meth:`table` on the last date as numbers: ``point``, each design path, ``date``,
            ``<contingent> strength`` and ``<contingent> strength se`` per contingent, ``area``,
            ``area se`` and ``P(<event>)`` per event.

        ``"parquet"`` writes the same tables as ``.parquet`` (needs pandas
        and pyarrow or fastparquet), ``"netcdf"`` writes :meth:`to_xarray`
        as ``sweep.nc`` (SciPy's NetCDF 3 writer). Then ``scenario.toml``
        and ``run.json`` (seed, replications, chunk size, points, design
        paths and fingerprint, reference, the scenario's name and sha256,
        versions, UTC creation time, ``command``, the files written).
        """
        chosen = _formats(formats)
        cmd = _command(command)
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        tables = {"points": self._points_table(), "means": self._means_table(), "table": self._table_table()}
        paths = _write_tables(out, tables, chosen)
        if "netcdf" in chosen:
            path = out / "sweep.nc"
            self.to_xarray().to_netcdf(path, engine="scipy")
            paths.append(path)
        paths.append(_write_scenario(self.scenario, out / "scenario.toml"))
        manifest = self._manifest(cmd, paths)
        paths.append(_write_manifest(out / "run.json", manifest))
        return paths

    def _manifest(self, command: list[str] | None, paths: Sequence[Path]) -> dict[str, Any]:
        return _manifest_base(
            "sweep",
            self.scenario,
            self.seed,
            command,
            paths,
            replications=self.replications,
            chunk_size=self.chunk_size,
            points=self.n_points,
            design_paths=list(self.points.paths),
            design_fingerprint=self.points.fingerprint(),
            reference=None if self.reference is None else int(self.reference),
            completed=[int(n) for n in self._completed],
            failures=len(self.failures),
            dates=[str(self._dates[0]), str(self._dates[-1]), int(self._dates.size)],
            quantile_dates=[str(d) for d in self._quantile_dates] if self._totals.sketch is not None else [],
        )

    def __repr__(self) -> str:
        return (
            f"<SweepResult {self.scenario.name}: {self.n_points} points x {self.replications:,} replications, "
            f"parameters {self.points.paths}, {self.dates.size} dates>"
        )


def _pm(mean: float, se: float) -> str:
    """``mean ± se`` for a table; ``-`` for what is undefined (no replication; a standard error of one)."""
    if math.isnan(mean):
        return "-"
    if abs(mean) >= 100:
        return f"{mean:,.0f} ± " + ("-" if math.isnan(se) else f"{se:,.0f}")
    return f"{mean:.3g} ± " + ("-" if math.isnan(se) else f"{se:.2g}")
