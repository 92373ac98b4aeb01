"""Experiment designs: tables of scenario points for a sweep.

A :class:`Design` is a table with one column per parameter path
(``ru.replenishment.per_day``, ``kpa.second_wave.date``) and one row per
*point*. A sweep runs every point with the same number of replications, in
one batch; each point sets its parameters as ``simulate(values=...)`` sets
them per replication, with the same checks (:meth:`Design.check`, through
:func:`~kursk_sim.inputs.check_values`).

Numbers are stored as float64 and dates as ``datetime64[D]``; a design needs
no scenario to be built, compared, written or read back. Three ways to make
one:

- :class:`Design` itself, from a mapping of columns or a pandas DataFrame
  (or :meth:`Design.read_csv`);
- :func:`grid`, a full factorial of given levels;
- :func:`sample`, a space-filling sample (Latin hypercube, Sobol, Halton or
  plain random) of the scenario's ranged and uncertain parameters
  (:func:`ranged_parameters`), each through its distribution's inverse CDF
  or uniform over its range.

Examples
--------
>>> import kursk_sim as ks
>>> from kursk_sim.design import grid, sample
>>> sc = ks.load_scenario("kursk-2024")
>>> d = grid({"ru.replenishment.per_day": [600, 900, 1200], "kpa.second_wave.probability": [0.0, 1.0]})
>>> d
<Design: 6 points x 2 parameters (ru.replenishment.per_day, kpa.second_wave.probability)>
>>> d.point(1)
{'ru.replenishment.per_day': 600.0, 'kpa.second_wave.probability': 1.0}
>>> _ = d.check(sc)  # every point is a valid set of values for the scenario
>>> s = sample(sc, 8, "sobol", paths=["ua.strength", "kpa.second_wave.date"], seed=1)
>>> len(s), s["kpa.second_wave.date"].dtype
(8, dtype('<M8[D]'))
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import inspect
import math
import numbers
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import schema
from .distributions import Distribution, open_unit
from .errors import ScenarioError
from .inputs import ORDINAL_OF_EPOCH, check_values, varying_parameters

__all__ = ["Design", "Marginals", "grid", "sample", "ranged_parameters"]

#: Sampling methods of :func:`sample`.
METHODS = ("lhs", "sobol", "halton", "random")

_DAY = np.dtype("datetime64[D]")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_EPOCH = np.datetime64("1970-01-01", "D")


# ---------------------------------------------------------------------------
# columns


def _bad(path: str, value: Any, i: int | None, expected: str) -> ValueError:
    where = f" (point {i})" if i is not None else ""
    return ValueError(f"design column {path!r}: got {value!r}{where}, expected {expected}")


def _element_kind(x: Any) -> tuple[str, Any]:
    """``("number", float)``, ``("date", datetime64[D])`` or ``("bad", reason)`` for one element."""
    if isinstance(x, (bool, np.bool_)):
        return "bad", "a number or a date, not a boolean"
    if isinstance(x, numbers.Real):
        return "number", float(x)
    if isinstance(x, np.datetime64):
        if np.isnat(x):
            return "bad", "a date, not NaT"
        day = x.astype(_DAY)
        if day != x:
            return "bad", "a whole day (a date without a time of day)"
        return "date", day
    if isinstance(x, dt.datetime):
        if x.tzinfo is not None or x.time() != dt.time():
            return "bad", "a date without a time of day or time zone"
        return "date", np.datetime64(x.date(), "D")
    if isinstance(x, dt.date):
        return "date", np.datetime64(x, "D")
    if isinstance(x, str):
        if _ISO_DATE.fullmatch(x):
            try:
                return "date", np.datetime64(dt.date.fromisoformat(x), "D")
            except ValueError:
                pass
        return "bad", "a number or a date (YYYY-MM-DD)"
    return "bad", "a number or a date (YYYY-MM-DD string, datetime.date or datetime64)"


def _column(path: Any, raw: Any) -> NDArray[Any]:
    """One design column as a read-only float64 or ``datetime64[D]`` array."""
    if not isinstance(path, str) or not path:
        raise ValueError(f"design column name: got {path!r}, expected a non-empty parameter path (a string)")
    if isinstance(raw, (str, bytes)) or np.ndim(raw) != 1:
        shape = "a string" if isinstance(raw, (str, bytes)) else f"an array of shape {np.shape(raw)}"
        raise ValueError(f"design column {path!r}: got {shape}, expected one value per point (a 1-D array)")
    arr = np.asarray(raw)
    if arr.dtype.kind in "US" and not isinstance(raw, np.ndarray):
        arr = np.array(raw, dtype=object)  # keep numbers mixed with strings as they were given
    if arr.size == 0:
        raise ValueError(f"design column {path!r}: got no values, expected at least one point")
    if arr.dtype.kind in "iuf":
        out = arr.astype(np.float64)
        bad = ~np.isfinite(out)
        if bad.any():
            i = int(np.argmax(bad))
            raise _bad(path, float(out[i]), i, "a finite number")
        out = out + 0.0  # -0.0 becomes 0.0: equal designs have equal bytes
    elif arr.dtype.kind == "M":
        bad = np.isnat(arr)
        if bad.any():
            i = int(np.argmax(bad))
            raise _bad(path, arr[i], i, "a date, not NaT")
        out = arr.astype(_DAY)
        bad = out != arr
        if bad.any():
            i = int(np.argmax(bad))
            raise _bad(path, arr[i], i, "a whole day (a date without a time of day)")
    elif arr.dtype.kind in "OUS":
        items = arr.tolist()
        kinds = [_element_kind(x) for x in items]
        kind = kinds[0][0]
        for i, (k, value) in enumerate(kinds):
            if k == "bad":
                raise _bad(path, items[i], i, value)
            if k != kind:
                raise _bad(path, items[i], i, f"{'a number' if kind == 'number' else 'a date'} like point 0")
        if kind == "number":
            return _column(path, np.array([v for _, v in kinds], dtype=np.float64))
        out = np.array([v for _, v in kinds], dtype=_DAY)
    else:
        raise _bad(path, arr[0], 0, "numbers or dates, not booleans" if arr.dtype.kind == "b" else "numbers or dates")
    out = np.array(out, copy=True)
    out.flags.writeable = False
    return out


def _is_date(arr: NDArray[Any]) -> bool:
    return arr.dtype == _DAY


def _kind_name(arr: NDArray[Any]) -> str:
    return "dates" if _is_date(arr) else "numbers"


def _from_ordinals(x: ArrayLike) -> NDArray[Any]:
    """Proleptic ordinals (any real) rounded to whole days, as ``datetime64[D]``."""
    days = np.rint(np.asarray(x, dtype=float)).astype(np.int64) - ORDINAL_OF_EPOCH
    return _EPOCH + days.astype("timedelta64[D]")


def _is_dataframe(obj: Any) -> bool:
    return hasattr(obj, "to_dict") and hasattr(obj, "columns") and not isinstance(obj, Mapping)


class Design:
    """A table of scenario points: one column per parameter path, one row per point.

    Columns are stored read-only, as float64 (numbers, all finite) or
    ``datetime64[D]`` (dates). Use :func:`grid` or :func:`sample` to build
    one from levels or ranges, :meth:`check` to validate it against a
    scenario.

    Parameters
    ----------
    columns : mapping of str to array_like, or pandas.DataFrame
        Parameter path to one value per point. Each column is 1-D, all of
        the same length (at least 1), and holds numbers or dates (ISO
        ``YYYY-MM-DD`` strings, ``datetime.date``, ``datetime64`` whole
        days, a pandas datetime column), not a mixture.

    Raises
    ------
    ValueError
        Naming the column and the bad value: an empty or non-string path,
        a column that is not 1-D, of another length, with a non-finite
        number, a value that is neither number nor date, or numbers mixed
        with dates.

    Examples
    --------
    >>> d = Design({"ru.replenishment.per_day": [600, 1200], "kpa.second_wave.date": ["2025-02-01", "2025-03-01"]})
    >>> d
    <Design: 2 points x 2 parameters (ru.replenishment.per_day, kpa.second_wave.date)>
    >>> d["kpa.second_wave.date"]
    array(['2025-02-01', '2025-03-01'], dtype='datetime64[D]')
    >>> d.labels()
    ['ru.replenishment.per_day=600, kpa.second_wave.date=2025-02-01', 'ru.replenishment.per_day=1200, kpa.second_wave.date=2025-03-01']
    >>> Design({"ru.strength": [1.0, "2025-01-01"]})
    Traceback (most recent call last):
    ...
    ValueError: design column 'ru.strength': got '2025-01-01' (point 1), expected a number like point 0
    """

    __slots__ = ("_columns", "_n", "_fingerprint")

    def __init__(self, columns: Mapping[str, ArrayLike] | Any) -> None:
        if isinstance(columns, Design):
            columns = columns._columns
        elif _is_dataframe(columns):
            columns = _dataframe_columns(columns)
        if not isinstance(columns, Mapping):
            raise TypeError(f"Design needs a mapping of parameter paths to arrays or a DataFrame, got {columns!r}")
        if not columns:
            raise ValueError("a design needs at least one column (parameter path)")
        stored: dict[str, NDArray[Any]] = {}
        n: int | None = None
        for path, raw in columns.items():
            arr = _column(path, raw)
            if n is None:
                n = arr.size
            elif arr.size != n:
                first = next(iter(stored))
                raise ValueError(
                    f"design column {path!r}: got {arr.size} values, expected one per point: {n} (as {first!r})"
                )
            stored[path] = arr
        self._columns = stored
        self._n = int(n or 0)
        self._fingerprint: str | None = None

    # ------------------------------------------------------------ build
    @classmethod
    def from_pandas(cls, df: Any) -> Design:
        """A design from a pandas DataFrame: one column per parameter path (the index is ignored).

        Examples
        --------
        >>> import pandas as pd
        >>> Design.from_pandas(pd.DataFrame({"kpa.second_wave.probability": [0.1, 0.6]})).n_points
        2
        """
        if not _is_dataframe(df):
            raise TypeError(f"from_pandas needs a DataFrame, got {type(df).__name__}")
        return cls(_dataframe_columns(df))

    @classmethod
    def read_csv(cls, path: str | Path) -> Design:
        """Read a design written by :meth:`to_csv` (header: the paths; one row per point).

        A column is read as dates when every one of its values is a
        ``YYYY-MM-DD`` date, else as numbers (written with ``repr``, so the
        round trip is exact).

        Raises
        ------
        ValueError
            For an empty file, a row of another length or a value that is
            neither a number nor a date, naming the column and the point.
        """
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        if not rows:
            raise ValueError(f"{path}: an empty file, expected a header of parameter paths and one row per point")
        header, body = rows[0], rows[1:]
        for i, row in enumerate(body):
            if len(row) != len(header):
                raise ValueError(f"{path}: point {i} has {len(row)} values, expected {len(header)} (one per column)")
        if len(set(header)) != len(header):
            dup = next(h for h in header if header.count(h) > 1)
            raise ValueError(f"{path}: column {dup!r} appears twice")
        columns: dict[str, Any] = {}
        for j, name in enumerate(header):
            texts = [row[j] for row in body]
            if texts and _ISO_DATE.fullmatch(texts[0]):  # dates, if every value is one
                for i, t in enumerate(texts):
                    if not _ISO_DATE.fullmatch(t):
                        raise _bad(name, t, i, "a date (YYYY-MM-DD) like point 0")
                columns[name] = texts  # parsed (and checked) as dates by the constructor
                continue
            values = []
            for i, t in enumerate(texts):
                try:
                    values.append(float(t))
                except ValueError:
                    raise _bad(name, t, i, "a number or a date (YYYY-MM-DD)") from None
            columns[name] = np.array(values, dtype=np.float64)
        return cls(columns)

    @classmethod
    def concat(cls, designs: Iterable[Design]) -> Design:
        """Append the points of several designs, in order.

        Every design must have the same set of paths, each column of the
        same kind (numbers or dates); columns follow the first design's
        order.

        Examples
        --------
        >>> a = Design({"x": [1.0], "y": [2.0]})
        >>> b = Design({"y": [4.0], "x": [3.0]})
        >>> Design.concat([a, b]).columns
        {'x': array([1., 3.]), 'y': array([2., 4.])}
        """
        items = list(designs)
        if not items:
            raise ValueError("concat needs at least one design")
        for i, d in enumerate(items):
            if not isinstance(d, Design):
                raise TypeError(f"concat: item {i} is a {type(d).__name__}, expected a Design")
        first = items[0]
        for i, d in enumerate(items[1:], start=1):
            if set(d.paths) != set(first.paths):
                missing = [p for p in first.paths if p not in d._columns]
                extra = [p for p in d.paths if p not in first._columns]
                raise ValueError(
                    f"concat: design {i} has other parameters than design 0 (missing {missing}, extra {extra})"
                )
            for p in first.paths:
                if _is_date(d._columns[p]) != _is_date(first._columns[p]):
                    raise ValueError(
                        f"design column {p!r}: design {i} holds {_kind_name(d._columns[p])}, "
                        f"design 0 {_kind_name(first._columns[p])}; they cannot be concatenated"
                    )
        return cls({p: np.concatenate([d._columns[p] for d in items]) for p in first.paths})

    def __add__(self, other: object) -> Design:
        if not isinstance(other, Design):
            return NotImplemented
        return Design.concat([self, other])

    # ------------------------------------------------------------ access
    def __len__(self) -> int:
        return self._n

    @property
    def n_points(self) -> int:
        """Number of points (rows)."""
        return self._n

    @property
    def paths(self) -> tuple[str, ...]:
        """Parameter paths, in column order."""
        return tuple(self._columns)

    @property
    def columns(self) -> dict[str, NDArray[Any]]:
        """A new dict of the (read-only) columns, in order."""
        return dict(self._columns)

    def __getitem__(self, path: str) -> NDArray[Any]:
        try:
            return self._columns[path]
        except KeyError:
            raise KeyError(
                f"{path!r} is not a column of this design{schema.suggest(str(path), list(self._columns))}"
            ) from None

    def __contains__(self, path: object) -> bool:
        return path in self._columns

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def point(self, i: int) -> dict[str, float | np.datetime64]:
        """The values of point ``i`` (negative counts from the end): floats and ``datetime64[D]``.

        Examples
        --------
        >>> Design({"x": [1.0, 2.0], "d": ["2025-01-01", "2025-01-02"]}).point(-1)
        {'x': 2.0, 'd': np.datetime64('2025-01-02')}
        """
        k = int(i)
        if not -self._n <= k < self._n:
            raise IndexError(f"point {i} of a design of {self._n} points")
        return {p: (a[k] if _is_date(a) else float(a[k])) for p, a in self._columns.items()}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Design):
            return NotImplemented
        if self.paths != other.paths or self._n != other._n:
            return False
        return all(
            a.dtype == b.dtype and np.array_equal(a, b)
            for a, b in zip(self._columns.values(), other._columns.values(), strict=True)
        )

    def __hash__(self) -> int:
        return hash(self.fingerprint())

    def __repr__(self) -> str:
        paths = list(self._columns)
        shown = ", ".join(paths[:4]) + (f", ... (+{len(paths) - 4} more)" if len(paths) > 4 else "")
        pts = "point" if self._n == 1 else "points"
        pars = "parameter" if len(paths) == 1 else "parameters"
        return f"<Design: {self._n} {pts} x {len(paths)} {pars} ({shown})>"

    def labels(self) -> list[str]:
        """One short label per point: ``path=value`` pairs, numbers with ``:g``, dates ISO.

        Examples
        --------
        >>> Design({"x": [0.5, 1200.0]}).labels()
        ['x=0.5', 'x=1200']
        """
        texts = [
            [f"{p}={x}" for x in a.astype(str)] if _is_date(a) else [f"{p}={x:g}" for x in a.tolist()]
            for p, a in self._columns.items()
        ]
        return [", ".join(parts) for parts in zip(*texts, strict=True)]

    def fingerprint(self) -> str:
        """SHA-256 (hex) of the paths, kinds and values: equal designs share it, any change alters it.

        Examples
        --------
        >>> a, b = Design({"x": [1.0, 2.0]}), Design({"x": [1.0, 2.5]})
        >>> a.fingerprint() == Design({"x": [1, 2]}).fingerprint(), a.fingerprint() == b.fingerprint()
        (True, False)
        """
        if self._fingerprint is None:
            h = hashlib.sha256(b"kursk_sim.design/1\n")
            h.update(f"{self._n} {len(self._columns)}\n".encode())
            for p, a in self._columns.items():
                name = p.encode("utf-8")
                h.update(f"{len(name)}:".encode() + name)
                if _is_date(a):
                    h.update(b" datetime64[D]\n" + a.astype(np.int64).astype("<i8").tobytes())
                else:
                    h.update(b" float64\n" + a.astype("<f8").tobytes())
            self._fingerprint = h.hexdigest()
        return self._fingerprint

    # ------------------------------------------------------------ use
    def check(self, scenario: Any) -> dict[str, NDArray[np.float64]]:
        """Validate every point against ``scenario``; the values in scenario units.

        Returns
        -------
        dict of str to ndarray
            Float64 arrays, dates as proleptic ordinals
            (:func:`~kursk_sim.inputs.check_values`).

        Raises
        ------
        ScenarioError
            For a path the scenario cannot vary, a value outside a
            parameter's range or points that break a constraint, naming
            the path, the value and the point.

        Examples
        --------
        >>> import kursk_sim as ks
        >>> Design({"kpa.second_wave.probability": [0.5, 1.5]}).check(ks.load_scenario("kursk-2024"))
        Traceback (most recent call last):
        ...
        kursk_sim.errors.ScenarioError: kpa.second_wave.probability: got 1.5, expected a number >= 0 and <= 1 (probability) (point 1)
        """
        return check_values(scenario, self.columns, len(self), "point")

    # ------------------------------------------------------------ export
    def to_pandas(self) -> Any:
        """A pandas DataFrame, one column per path (needs the ``pandas`` extra).

        Dates become a pandas datetime column; :meth:`from_pandas` (or the
        constructor) reads it back to an equal design.

        Examples
        --------
        >>> d = Design({"x": [1.0, 2.0], "d": ["2025-01-01", "2025-01-02"]})
        >>> Design(d.to_pandas()) == d
        True
        """
        from .results import _need

        pd = _need("pandas", "pandas")
        return pd.DataFrame(
            {p: np.array(a) for p, a in self._columns.items()}, index=pd.RangeIndex(self._n, name="point")
        )

    def to_csv(self, path: str | Path) -> Path:
        """Write the design as CSV (header: the paths); :meth:`read_csv` reads back an equal design.

        Numbers are written with ``repr`` (exact round trip), dates as
        ``YYYY-MM-DD``. Returns the path written.
        """
        path = Path(path)
        cols = [
            a.astype(str).tolist() if _is_date(a) else [repr(x) for x in a.tolist()] for a in self._columns.values()
        ]
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(self.paths)
            writer.writerows(zip(*cols, strict=True))
        return path


def _dataframe_columns(df: Any) -> dict[str, Any]:
    names = list(df.columns)
    out: dict[str, Any] = {}
    for name in names:
        if name in out:
            raise ValueError(f"design column {name!r}: appears twice in the DataFrame")
        col = df[name]
        out[name] = col.to_numpy() if hasattr(col, "to_numpy") else np.asarray(col)
    return out


# ---------------------------------------------------------------------------
# grid


def grid(levels: Mapping[str, Sequence[Any]]) -> Design:
    """Full factorial design: every combination of the given levels.

    Points are in the order of :func:`itertools.product`: the first path
    varies slowest, the last fastest.

    Parameters
    ----------
    levels : mapping of str to sequence
        Parameter path to its levels: numbers or dates, at least one, none
        repeated.

    Returns
    -------
    Design
        With ``prod(len(levels[p]))`` points.

    Raises
    ------
    ValueError
        For no paths, or a path with no levels, repeated levels or levels
        that are neither numbers nor dates (naming the path).

    Examples
    --------
    >>> d = grid({"kpa.second_wave.date": ["2025-02-01", "2025-04-01"], "kpa.second_wave.probability": [0, 0.5, 1]})
    >>> len(d)
    6
    >>> d.labels()[:2]
    ['kpa.second_wave.date=2025-02-01, kpa.second_wave.probability=0', 'kpa.second_wave.date=2025-02-01, kpa.second_wave.probability=0.5']
    """
    if not isinstance(levels, Mapping):
        raise TypeError(f"grid needs a mapping of parameter paths to levels, got {levels!r}")
    if not levels:
        raise ValueError("grid needs at least one parameter path with its levels")
    cols: dict[str, NDArray[Any]] = {}
    for path, raw in levels.items():
        if isinstance(raw, (str, bytes)) or np.ndim(raw) != 1:
            raise ValueError(f"grid: levels of {path!r}: got {raw!r}, expected a sequence of levels")
        if len(raw) == 0:
            raise ValueError(f"grid: levels of {path!r}: got none, expected at least one level")
        arr = _column(path, raw)
        uniq, counts = np.unique(arr, return_counts=True)
        if (counts > 1).any():
            dup = uniq[np.argmax(counts > 1)]
            shown = str(dup) if _is_date(arr) else f"{float(dup):g}"
            raise ValueError(f"grid: levels of {path!r}: {shown} appears more than once, expected distinct levels")
        cols[path] = arr
    index = np.meshgrid(*[np.arange(a.size) for a in cols.values()], indexing="ij")
    return Design({p: a[i.ravel()] for (p, a), i in zip(cols.items(), index, strict=True)})


# ---------------------------------------------------------------------------
# sample


def ranged_parameters(scenario: Any) -> dict[str, tuple[float, float] | Distribution]:
    """Every parameter that :func:`sample` varies by default, in scenario order.

    Those that may be set per point (:func:`~kursk_sim.inputs.varying_parameters`)
    and whose value is a distribution, or that declare a ``range`` in their
    provenance. A distribution wins over a declared range of the same path.

    Returns
    -------
    dict of str to (float, float) or Distribution
        The distribution, or the declared ``(low, high)`` (dates as
        proleptic ordinals).

    Examples
    --------
    >>> import kursk_sim as ks
    >>> r = ranged_parameters(ks.load_scenario("kursk-2024"))
    >>> r["kpa.second_wave.probability"], r["ua.strength"]
    ((0.1, 0.6), Triangular(low=12000, mode=20000, high=30000))
    """
    out: dict[str, tuple[float, float] | Distribution] = {}
    for path, (value, spec) in varying_parameters(scenario).items():
        if isinstance(value, Distribution):
            out[path] = value
            continue
        prov = scenario.provenance.get(path)
        if prov is not None and prov.range is not None:
            out[path] = _range_numbers(prov.range, f"{path}.range", spec.kind == "date")
    return out


class Marginals:
    """Each sampled parameter's marginal: uniform bounds, its distribution, or its declared range.

    Maps points of the unit cube to a :class:`Design` (used by :func:`sample`
    and by :func:`~kursk_sim.sensitivity.sensitivity`). The arguments are
    those of :func:`sample`.

    Examples
    --------
    >>> import numpy as np, kursk_sim as ks
    >>> m = Marginals(ks.load_scenario("kursk-2024"), ["kpa.second_wave.probability", "ua.strength"])
    >>> d = m.design(np.array([[0.5, 0.5]]))
    >>> d.point(0)["kpa.second_wave.probability"], round(d.point(0)["ua.strength"])
    (0.35, 20513)
    """

    def __init__(
        self, scenario: Any, paths: Sequence[str] | str | None = None, bounds: Mapping[str, Sequence[Any]] | None = None
    ) -> None:
        self.scenario = scenario
        varying = varying_parameters(scenario)
        ranged = ranged_parameters(scenario)
        if paths is None:
            chosen = list(ranged)
            if not chosen:
                raise ScenarioError(
                    "paths",
                    None,
                    "parameters to sample: this scenario has no range or distribution; pass paths= and bounds=",
                )
        else:
            chosen = [paths] if isinstance(paths, str) else list(paths)
            if not chosen:
                raise ScenarioError("paths", paths, "at least one parameter path")
        seen: set[str] = set()
        for path in chosen:
            if path not in varying:
                raise _unknown_path(scenario, path, varying, str(path))
            if path in seen:
                raise ScenarioError("paths", path, "each parameter path once")
            seen.add(path)
        bounds = dict(bounds or {})
        for key in bounds:
            if key not in seen:
                if key in varying:
                    raise ScenarioError(f"bounds.{key}", bounds[key], "bounds of a sampled path: add it to paths=[...]")
                raise _unknown_path(scenario, key, varying, f"bounds.{key}")

        marginals: list[tuple[float, float] | Distribution] = []
        for path in chosen:
            value, spec = varying[path]
            if path in bounds:
                lo, hi = _bounds_of(path, bounds[path], spec.kind == "date")
                if spec.kind != "date":
                    spec.check_span(lo, hi, f"bounds.{path}", bounds[path], "bounds")
                marginals.append((lo, hi))
            elif path in ranged:
                marginal = ranged[path]
                if not isinstance(marginal, Distribution) and not marginal[0] < marginal[1]:
                    raise ScenarioError(f"{path}.range", list(marginal), "a range [low, high] with low < high")
                marginals.append(marginal)
            else:
                raise ScenarioError(
                    path,
                    value,
                    "a range: declare one in the scenario (range = [low, high]) or pass bounds={path: (low, high)}",
                )

        self.paths: tuple[str, ...] = tuple(chosen)
        self.marginals = tuple(marginals)
        self._dates = tuple(varying[path][1].kind == "date" for path in chosen)

    def design(self, unit: ArrayLike) -> Design:
        """The design at points ``unit`` of shape ``(n, len(paths))`` in [0, 1) (moved into the open interval)."""
        u = _open(np.array(unit, dtype=float, ndmin=2))
        if u.shape[1] != len(self.paths):
            raise ValueError(f"unit: got {u.shape[1]} columns, expected one per path ({len(self.paths)})")
        columns: dict[str, NDArray[Any]] = {}
        for j, (path, marginal) in enumerate(zip(self.paths, self.marginals, strict=True)):
            if isinstance(marginal, Distribution):
                x = marginal.ppf(u[:, j])
            else:
                lo, hi = marginal
                x = lo + u[:, j] * (hi - lo)
            columns[path] = _from_ordinals(x) if self._dates[j] else x
        design = Design(columns)
        design.check(self.scenario)
        return design


def _range_numbers(rng: Any, where: str, date: bool) -> tuple[float, float]:
    """A declared range as two numbers (dates as proleptic ordinals)."""
    return _pair(rng, where, "a range [low, high] of two dates" if date else "a range [low, high] of two numbers", date)


def _bounds_of(path: str, raw: Any, date: bool) -> tuple[float, float]:
    """Caller's ``bounds[path]`` as two numbers (ordinals for a date parameter), with low < high."""
    what = "(low, high) dates (YYYY-MM-DD or datetime.date)" if date else "(low, high) finite numbers"
    lo, hi = _pair(raw, f"bounds.{path}", what, date)
    if not lo < hi:
        raise ScenarioError(f"bounds.{path}", raw, f"{what} with low < high")
    return lo, hi


def _pair(raw: Any, where: str, what: str, date: bool) -> tuple[float, float]:
    """Two finite numbers, or two dates as proleptic ordinals; else ScenarioError(where, raw, what)."""
    if isinstance(raw, (str, bytes)) or not isinstance(raw, (Sequence, np.ndarray)) or len(raw) != 2:
        raise ScenarioError(where, raw, what)
    out = []
    for x in raw:
        if isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_)):
            if date or not math.isfinite(float(x)):
                raise ScenarioError(where, raw, what)
            out.append(float(x))
            continue
        kind, value = _element_kind(x)
        if kind != "date" or not date:
            raise ScenarioError(where, raw, what)
        out.append(float((value - _EPOCH).astype(np.int64) + ORDINAL_OF_EPOCH))
    return out[0], out[1]


def _unknown_path(scenario: Any, path: Any, varying: Mapping[str, Any], where: str) -> ScenarioError:
    names = list(varying)
    for p, value, spec in schema.iter_leaves(scenario):
        if p == path:
            if value is None:
                return ScenarioError(
                    where, value, "a parameter the scenario sets (give it a value with Scenario.replace first)"
                )
            return ScenarioError(where, value, f"a number or a date parameter (this {spec.kind} is fixed for a run)")
    return ScenarioError(where, path, f"a parameter path that can vary{schema.suggest(str(path), names)}")


def _whole_number(n: Any) -> int:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Real) or not float(n).is_integer() or n < 1:
        raise ValueError(f"n: got {n!r}, expected a whole number of points >= 1")
    return int(n)


def _engine(cls: type, d: int, seed: Any, **kwargs: Any) -> Any:
    """A scipy QMC engine, seeded through ``rng=`` (SciPy >= 1.15) or ``seed=`` (older)."""
    key = "rng" if "rng" in inspect.signature(cls).parameters else "seed"
    return cls(d, **kwargs, **{key: seed})


def _unit_cube(method: str, n: int, d: int, seed: Any, scramble: bool) -> NDArray[np.float64]:
    """``(n, d)`` points in [0, 1)."""
    if method == "random":
        return np.random.default_rng(seed).random((n, d))
    from scipy.stats import qmc

    if method == "lhs":
        return _engine(qmc.LatinHypercube, d, seed).random(n)
    if method == "sobol":
        return _engine(qmc.Sobol, d, seed, scramble=scramble).random_base2(n.bit_length() - 1)
    return _engine(qmc.Halton, d, seed, scramble=scramble).random(n)


def _open(u: NDArray[np.float64]) -> NDArray[np.float64]:
    """Unit-cube values moved into the open interval (0, 1) as the sampler does (:func:`open_unit`)."""
    return np.clip(open_unit(u), 2.0**-54, np.nextafter(1.0, 0.0))


def sample(
    scenario: Any,
    n: int,
    method: str = "lhs",
    paths: Sequence[str] | str | None = None,
    bounds: Mapping[str, Sequence[Any]] | None = None,
    seed: int | np.random.Generator | None = None,
    scramble: bool = True,
) -> Design:
    """A space-filling design over the scenario's uncertain and ranged parameters.

    Points of the unit cube (Latin hypercube, Sobol, Halton or plain
    random) are mapped to each parameter through its marginal: uniform over
    ``bounds[path]`` when given; else the parameter's distribution in the
    scenario, through its inverse CDF; else uniform over its declared
    ``range``. Dates are rounded to whole days.

    Parameters
    ----------
    scenario : Scenario
    n : int
        Number of points, at least 1; a power of two for ``"sobol"``.
    method : {"lhs", "sobol", "halton", "random"}
        ``lhs``: one point in each of ``n`` equal-probability strata of every
        parameter (:class:`scipy.stats.qmc.LatinHypercube`); ``sobol`` and
        ``halton``: low-discrepancy sequences (:mod:`scipy.stats.qmc`);
        ``random``: independent uniforms (``numpy.random.default_rng``).
    paths : sequence of str, optional
        Parameters to vary, in column order; default
        :func:`ranged_parameters` (every parameter with a distribution or a
        declared range), in scenario order.
    bounds : mapping of str to (low, high), optional
        Uniform bounds for some of ``paths``, overriding their distribution
        or range: numbers, or dates (ISO strings, ``datetime.date``) for a
        date parameter.
    seed : int or numpy.random.Generator, optional
        The same seed gives the same design.
    scramble : bool
        Randomise the Sobol or Halton sequence (Owen scrambling); ignored by
        ``lhs`` and ``random``.

    Returns
    -------
    Design
        Checked against ``scenario`` (:meth:`Design.check`).

    Raises
    ------
    ValueError
        For a bad ``n`` (or one that is not a power of two for Sobol) or
        an unknown ``method``.
    ScenarioError
        For an unknown path or one that cannot vary (with a suggestion), a
        path with neither range nor distribution nor bounds, bad bounds
        (``bounds.<path>``), or a sampled point the scenario refuses.

    Examples
    --------
    >>> import kursk_sim as ks
    >>> sc = ks.load_scenario("kursk-2024")
    >>> d = sample(sc, 16, "lhs", paths=["ru.replenishment.per_day"], bounds={"ru.replenishment.per_day": (600, 1200)}, seed=3)
    >>> bool(((d["ru.replenishment.per_day"] >= 600) & (d["ru.replenishment.per_day"] <= 1200)).all())
    True
    >>> sample(sc, 100, "sobol", seed=3)
    Traceback (most recent call last):
    ...
    ValueError: n: got 100, expected a power of two for method 'sobol' (its balance properties need one): try n=128
    >>> sample(sc, 8, paths=["ru.strength"])
    Traceback (most recent call last):
    ...
    kursk_sim.errors.ScenarioError: ru.strength: got 50000.0, expected a range: declare one in the scenario (range = [low, high]) or pass bounds={path: (low, high)}
    """
    n = _whole_number(n)
    if method not in METHODS:
        raise ValueError(
            f"method: got {method!r}, expected one of {', '.join(map(repr, METHODS))}{schema.suggest(str(method), list(METHODS))}"
        )
    if method == "sobol" and n & (n - 1):
        lower = 1 << (n.bit_length() - 1)
        nearest = lower if n - lower < 2 * lower - n else 2 * lower
        raise ValueError(
            f"n: got {n}, expected a power of two for method 'sobol' (its balance properties need one): try n={nearest}"
        )
    marginals = Marginals(scenario, paths, bounds)
    return marginals.design(_unit_cube(method, n, len(marginals.paths), seed, scramble))
