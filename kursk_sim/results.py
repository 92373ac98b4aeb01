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
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .chunks import KEPT_SERIES, series_columns
from .quantiles import exact_quantiles
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


@dataclass(frozen=True, eq=False, repr=False)
class LabelledArray(np.lib.mixins.NDArrayOperatorsMixin):
    """A NumPy array with named dimensions and coordinate labels.

    A light stand-in for :class:`xarray.DataArray` that needs no extra
    dependency; :meth:`to_xarray` and :meth:`to_pandas` convert when those
    libraries are installed.

    It behaves as an array to NumPy: ``np.asarray(a)`` gives its values,
    it has :attr:`shape`, :attr:`ndim`, :attr:`dtype` and :attr:`size`,
    ``len()`` and iteration run over the first dimension, and arithmetic,
    comparisons and ufuncs (``a - b``, ``a > 0``, ``np.log(a)``) return
    LabelledArrays with the same labels when the shape is unchanged (plain
    arrays otherwise; reductions such as ``np.mean(a)`` give plain arrays).
    Two LabelledArrays combine only if they have the same dimensions and
    labels. ``a[i, j]`` and :meth:`isel` select by position, :meth:`sel`
    by label.

    The values are a **read-only** view: the arrays of an
    :class:`Ensemble` are shared, not copied, and cannot be changed through
    it. ``np.array(a)`` (or ``a.values.copy()``) gives a writable copy.

    Attributes
    ----------
    name, units : str
        ``units`` is kept by ``+``, ``-``, ``abs``, ``minimum``...,
        combined by ``*`` and ``/``, and empty after comparisons and other
        ufuncs.
    values : ndarray
        Read-only.
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
    >>> a.shape, a.ndim, len(a)
    ((2, 3), 2, 2)
    >>> a - a
    <LabelledArray 'x - x' (q: 2, c: 3) [km²]>
    >>> (2 * a)[1, 1:]
    <LabelledArray '2 * x' (c: 2) [km²]>
    >>> np.asarray(a[0]).tolist()
    [0.0, 1.0, 2.0]
    >>> a.values.flags.writeable
    False
    """

    name: str
    units: str
    values: NDArray[Any]
    dims: tuple[str, ...]
    coords: dict[str, NDArray[Any]]
    aux: dict[str, tuple[str, NDArray[Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        values = _readonly(self.values)
        dims = tuple(self.dims)
        if len(dims) != values.ndim:
            raise ValueError(f"dims: got {dims}, expected {values.ndim} names for values of shape {values.shape}")
        coords = {}
        for dim, n in zip(dims, values.shape, strict=True):
            coord = _readonly(self.coords[dim]) if dim in self.coords else _readonly(np.arange(n))
            if coord.shape != (n,):
                raise ValueError(f"coords[{dim!r}]: got {coord.shape[0] if coord.ndim else 0} labels, expected {n}")
            coords[dim] = coord
        aux = {k: (d, _readonly(v)) for k, (d, v) in self.aux.items()}
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "dims", dims)
        object.__setattr__(self, "coords", coords)
        object.__setattr__(self, "aux", aux)

    def __setstate__(self, state: dict[str, Any]) -> None:  # unpickled arrays are writable: make them views again
        self.__dict__.update(state)
        self.__post_init__()

    # ------------------------------------------------------------ as an array
    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of :attr:`values`, one length per dimension."""
        return self.values.shape

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return self.values.ndim

    @property
    def dtype(self) -> np.dtype[Any]:
        """Data type of :attr:`values`."""
        return self.values.dtype

    @property
    def size(self) -> int:
        """Number of values."""
        return self.values.size

    def __len__(self) -> int:
        if not self.dims:
            raise TypeError("len() of a 0-d LabelledArray")
        return self.values.shape[0]

    def __iter__(self) -> Iterator[Any]:
        """Along the first dimension: LabelledArrays of the other dimensions (scalars if none)."""
        for i in range(len(self)):
            yield self.isel(**{self.dims[0]: i})

    def __bool__(self) -> bool:
        return bool(self.values)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> NDArray[Any]:
        """The values (read-only unless copied), as NumPy 2's ``__array__`` protocol asks."""
        if copy is False:
            if dtype is not None and np.dtype(dtype) != self.values.dtype:
                raise ValueError(f"cannot convert {self.values.dtype} values to {np.dtype(dtype)} without a copy")
            return self.values
        values = self.values if dtype is None else self.values.astype(dtype, copy=False)
        return np.array(values, copy=True) if copy else values

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        outs = kwargs.get("out", ())
        if any(isinstance(x, LabelledArray) for x in outs):
            raise TypeError("a LabelledArray is read-only: it cannot be a ufunc's out=; use np.array(a) for a copy")
        if any(not isinstance(x, LabelledArray) and _defers(x) for x in inputs + tuple(outs)):
            # an xarray or pandas operand: it handles our plain values, with its own labels
            return getattr(ufunc, method)(*(x.values if isinstance(x, LabelledArray) else x for x in inputs), **kwargs)
        labelled = [x for x in inputs if isinstance(x, LabelledArray)]
        first = labelled[0]
        for other in labelled[1:]:
            first._check_aligned(other, ufunc.__name__)
        result = getattr(ufunc, method)(*(x.values if isinstance(x, LabelledArray) else x for x in inputs), **kwargs)
        if method != "__call__" or outs:
            return result
        name = _ufunc_name(ufunc, inputs)
        units = _ufunc_units(ufunc, inputs)
        aux: dict[str, tuple[str, NDArray[Any]]] = {}
        for x in reversed(labelled):
            aux |= x.aux

        def wrap(r: Any) -> Any:
            if np.shape(r) != first.shape:
                return r
            return LabelledArray(name, units, np.asarray(r), first.dims, dict(first.coords), aux)

        return tuple(wrap(r) for r in result) if isinstance(result, tuple) else wrap(result)

    def _check_aligned(self, other: LabelledArray, what: str) -> None:
        if other.dims != self.dims or other.shape != self.shape:
            raise ValueError(
                f"{what}: '{self.name}' {dict(zip(self.dims, self.shape, strict=True))} and '{other.name}' "
                f"{dict(zip(other.dims, other.shape, strict=True))} have different dimensions; "
                "select or transpose one first (or combine their .values)"
            )
        for dim in self.dims:
            if not np.array_equal(self.coords[dim], other.coords[dim]):
                raise ValueError(f"{what}: '{self.name}' and '{other.name}' have different {dim} labels")

    # ------------------------------------------------------------ selection
    def sel(self, **labels: Any) -> Any:
        """Select by label: ``sel(date="2025-03-01", contingent="ua", quantile=0.5)``.

        Returns a smaller LabelledArray, or a scalar when every dimension is
        selected. Unknown labels raise ``KeyError`` naming the choices.
        """
        for dim in labels:
            if dim not in self.dims:
                raise KeyError(f"no dimension '{dim}'; dimensions are {self.dims}")
        return self.isel(**{dim: self._index(dim, label) for dim, label in labels.items()})

    def isel(self, **indexers: Any) -> Any:
        """Select by position along named dimensions: ``isel(date=-1, quantile=slice(0, 2))``.

        Each indexer is an integer (the dimension is dropped), a slice, or a
        one-dimensional array of integers or booleans (the dimension is kept,
        with the chosen labels); each applies to its own dimension.
        Returns a LabelledArray, or a scalar when every dimension is dropped.

        Examples
        --------
        >>> a = LabelledArray("x", "", np.arange(6.0).reshape(2, 3), ("q", "c"), {})
        >>> a.isel(c=[0, 2])
        <LabelledArray 'x' (q: 2, c: 2) []>
        >>> float(a.isel(q=-1, c=0))
        3.0
        """
        values = self.values
        dims = list(self.dims)
        coords = dict(self.coords)
        aux = dict(self.aux)
        for dim, idx in indexers.items():
            if dim not in dims:
                raise KeyError(f"no dimension '{dim}'; dimensions are {tuple(dims)}")
            axis = dims.index(dim)
            n = values.shape[axis]
            if isinstance(idx, (int, np.integer)) and not isinstance(idx, (bool, np.bool_)):
                i = int(idx)
                if not -n <= i < n:
                    raise IndexError(f"{dim}: index {i} is out of range for {n} labels")
                values = np.take(values, i, axis=axis)
                dims.pop(axis)
                coords.pop(dim)
                aux = {k: (d, v) for k, (d, v) in aux.items() if d != dim}
                continue
            if isinstance(idx, slice):
                chosen: Any = idx
            else:
                arr = np.asarray(idx)
                if arr.dtype == bool and arr.shape == (n,):
                    chosen = np.flatnonzero(arr)
                elif arr.ndim == 1 and (arr.size == 0 or np.issubdtype(arr.dtype, np.integer)):
                    chosen = arr.astype(np.intp)
                    if chosen.size and not ((chosen >= -n) & (chosen < n)).all():
                        raise IndexError(f"{dim}: indices {idx!r} out of range for {n} labels")
                else:
                    raise TypeError(
                        f"{dim}: got {idx!r}, expected an integer, a slice or a 1-d array of integers "
                        f"or of {n} booleans"
                    )
            where: list[Any] = [slice(None)] * values.ndim
            where[axis] = chosen
            values = values[tuple(where)]
            coords[dim] = coords[dim][chosen]
            aux = {k: (d, v[chosen] if d == dim else v) for k, (d, v) in aux.items()}
        if not dims:
            return values[()]
        return LabelledArray(self.name, self.units, values, tuple(dims), coords, aux)

    def __getitem__(self, key: Any) -> Any:
        """Select by position, ``a[0, 10:20]``: integers, slices, ``...`` and 1-d integer or boolean arrays.

        Each index applies to its own dimension (as :meth:`isel`). A
        boolean array of the full shape (``a[a > 0]``) gives a plain 1-d
        array of the chosen values.
        """
        if isinstance(key, LabelledArray):
            key = key.values
        if isinstance(key, np.ndarray) and key.dtype == bool and key.ndim > 1:
            if key.shape != self.shape:
                raise IndexError(f"boolean index of shape {key.shape} for values of shape {self.shape}")
            return self.values[key]
        parts = key if isinstance(key, tuple) else (key,)
        ellipses = [i for i, p in enumerate(parts) if p is Ellipsis]
        if len(ellipses) > 1:
            raise IndexError("an index can only have a single ellipsis ('...')")
        if ellipses:
            at = ellipses[0]
            fill = (slice(None),) * (self.ndim - len(parts) + 1)
            parts = parts[:at] + fill + parts[at + 1 :]
        if len(parts) > self.ndim:
            raise IndexError(f"too many indices: {len(parts)} for dimensions {self.dims}")
        if any(p is None for p in parts):
            raise TypeError("a LabelledArray cannot add dimensions (None / np.newaxis); use np.asarray(a) first")
        return self.isel(**dict(zip(self.dims, parts, strict=False)))

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

    # ------------------------------------------------------------ conversion
    def to_xarray(self) -> Any:
        """As an :class:`xarray.DataArray` (needs the ``xarray`` extra); shares the read-only values."""
        xr = _need("xarray", "xarray")
        coords: dict[str, Any] = dict(self.coords)
        coords |= {name: (dim, values) for name, (dim, values) in self.aux.items()}
        return xr.DataArray(self.values, dims=self.dims, coords=coords, name=self.name, attrs={"units": self.units})

    def to_pandas(self) -> Any:
        """As a pandas DataFrame indexed by date (needs the ``pandas`` extra); a writable copy.

        A ``(date, contingent)`` array becomes one column per contingent; a
        ``(quantile, date)`` array one column per quantile (a plain index:
        ``df[0.5]`` is the median's Series); a ``(quantile, date,
        contingent)`` array one column per quantile and contingent (a
        two-level index).

        Examples
        --------
        >>> import kursk_sim as ks
        >>> ens = ks.simulate(ks.load_scenario("kursk-2024"), 20, seed=1)
        >>> ens.quantiles("area").to_pandas()[0.5].shape
        (188,)
        """
        pd = _need("pandas", "pandas")
        if "date" not in self.dims:
            raise ValueError("to_pandas needs a 'date' dimension")
        moved = np.moveaxis(self.values, self.dims.index("date"), 0)
        others = [d for d in self.dims if d != "date"]
        flat = np.array(moved.reshape(moved.shape[0], -1))
        if len(others) > 1:
            columns = pd.MultiIndex.from_product([self.coords[d] for d in others], names=others)
        elif others:
            columns = pd.Index(self.coords[others[0]], name=others[0])
        else:
            columns = [self.name]
        return pd.DataFrame(flat, index=pd.DatetimeIndex(self.coords["date"], name="date"), columns=columns)

    def __repr__(self) -> str:
        shape = ", ".join(f"{d}: {n}" for d, n in zip(self.dims, self.values.shape, strict=True))
        return f"<LabelledArray '{self.name}' ({shape}) [{self.units}]>"


def _readonly(a: Any) -> NDArray[Any]:
    """A read-only view of ``a`` (the array itself is left writable for its owner)."""
    view = np.asarray(a).view()
    view.flags.writeable = False
    return view


def _defers(x: Any) -> bool:
    """Whether ``x`` has its own ``__array_ufunc__`` (xarray, pandas): let it handle the operation."""
    own = getattr(type(x), "__array_ufunc__", None)
    return own is not None and own is not np.ndarray.__array_ufunc__


_SYMBOLS = {
    np.add: "+",
    np.subtract: "-",
    np.multiply: "*",
    np.true_divide: "/",
    np.floor_divide: "//",
    np.remainder: "%",
    np.power: "**",
    np.less: "<",
    np.less_equal: "<=",
    np.equal: "==",
    np.not_equal: "!=",
    np.greater: ">",
    np.greater_equal: ">=",
    np.bitwise_and: "&",
    np.bitwise_or: "|",
    np.bitwise_xor: "^",
}
_UNARY = {np.negative: "-", np.positive: "+", np.invert: "~"}
_KEEP_UNITS = {
    np.add, np.subtract, np.negative, np.positive, np.absolute, np.fabs, np.maximum, np.minimum, np.fmax, np.fmin,
    np.rint, np.floor, np.ceil, np.trunc, np.remainder, np.fmod, np.copysign,
}  # fmt: skip


def _term(x: Any) -> str:
    if isinstance(x, LabelledArray):
        return f"({x.name})" if " " in x.name else x.name
    if np.ndim(x) == 0:
        try:
            return f"{x:g}"
        except (TypeError, ValueError):
            return str(x)
    return "array"


def _ufunc_name(ufunc: np.ufunc, inputs: tuple[Any, ...]) -> str:
    if len(inputs) == 1 and ufunc in _UNARY:
        return f"{_UNARY[ufunc]}{_term(inputs[0])}"
    if len(inputs) == 2 and ufunc in _SYMBOLS:
        return f"{_term(inputs[0])} {_SYMBOLS[ufunc]} {_term(inputs[1])}"
    return f"{ufunc.__name__}({', '.join(_term(x) for x in inputs)})"


def _ufunc_units(ufunc: np.ufunc, inputs: tuple[Any, ...]) -> str:
    units = [x.units if isinstance(x, LabelledArray) else None for x in inputs]
    known = {u for u in units if u is not None}
    if ufunc in _KEEP_UNITS:
        return known.pop() if len(known) == 1 else ""
    if ufunc is np.multiply:
        return "·".join(u for u in units if u)
    if ufunc in (np.true_divide, np.floor_divide) and len(units) == 2:
        top, bottom = units
        if top is not None and bottom is not None:
            return "" if top == bottom else f"{top}/{bottom}"
        return top if top is not None else (f"1/{bottom}" if bottom else "")
    if ufunc is np.power and units[0] and units[1] is None and np.ndim(inputs[1]) == 0:
        return units[0] if inputs[1] == 1 else f"{units[0]}^{_term(inputs[1])}"
    return ""


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

    Every array an Ensemble hands out (trajectories, quantiles, means,
    :attr:`final`, :attr:`values`, :attr:`dates`, ...) is either new or a
    **read-only** view of its own buffers: writing into one raises
    ``ValueError: assignment destination is read-only`` instead of changing
    later results. ``np.array(x)`` gives a writable copy.

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
    outputs : tuple of str
        The outputs recorded (``simulate(..., outputs=)``; by default every
        one of :data:`OUTPUT_NAMES`); asking for another is a ``ValueError``.
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
        outputs: tuple[str, ...] = OUTPUT_NAMES,
    ) -> None:
        self.scenario = scenario
        self.outputs = tuple(outputs)
        self._values = {k: _readonly(v) for k, v in (values or {}).items()}
        self.seed = seed
        self.replications = int(replications)
        self.chunk_size = int(chunk_size)
        self.contingents = scenario.contingent_ids
        start = np.datetime64(scenario.start_date, "D")
        self._dates = _readonly(start + np.arange(scenario.horizon_days + 1))
        # read-only views: what the accessors hand out cannot change later results
        self._sums = _readonly(sums)
        self._event_counts = {k: _readonly(v) for k, v in event_counts.items()}
        self._sketch = sketch
        kept = kept or {}
        self._traj = {k: _readonly(v) for k, v in kept.items() if "." not in k}
        self._final = {k.split(".", 1)[1]: _readonly(v) for k, v in kept.items() if k.startswith("final.")}
        self._event_days = {k.split(".", 1)[1]: _readonly(v) for k, v in kept.items() if k.startswith("event.")}
        self.kept = int(next(iter(self._traj.values())).shape[0]) if self._traj else 0
        self.exact_quantiles = self.kept == self.replications
        if not self.exact_quantiles and sketch is None:
            raise ValueError("an Ensemble that did not keep every replication needs a sketch")

    # -------------------------------------------------------------- access
    @property
    def dates(self) -> NDArray[np.datetime64]:
        """``start_date .. end_date``, one per row (read-only)."""
        return _readonly(self._dates)

    @property
    def final(self) -> dict[str, NDArray[np.float64]]:
        """Exact (float64) end state per kept replication and contingent: a new dict of read-only arrays."""
        return {k: _readonly(v) for k, v in self._final.items()}

    @property
    def values(self) -> dict[str, NDArray[np.float64]]:
        """Parameters set per replication (``simulate(..., values=)``): a new dict of read-only arrays."""
        return {k: _readonly(v) for k, v in self._values.items()}

    @property
    def event_names(self) -> tuple[str, ...]:
        """Names of the events this run tracks."""
        return tuple(self._event_counts)

    def _check_output(self, name: str) -> None:
        if name not in OUTPUT_NAMES:
            raise KeyError(f"no output '{name}'; outputs are {OUTPUT_NAMES}")
        if name not in self.outputs:
            raise ValueError(
                f"output '{name}' was not recorded: this run recorded {', '.join(self.outputs)} "
                f"(simulate(..., outputs=...) records only those asked for; leave it out to record every output)"
            )

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
        return series_columns(name, len(self.contingents), self.outputs)

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
        if self.exact_quantiles:  # along the last axis of the kept trajectories' memory order (day-major): no
            return exact_quantiles(np.moveaxis(self._raw(name)[:, rows], 0, -1), qs)  # transposing copy
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
            last = int((_date_arg("by", by) - self.dates[0]).astype(int))
            if not 0 <= last <= len(self.dates) - 1:
                raise ValueError(f"by: got {by}, expected a date of the run, {self.dates[0]} to {self.dates[-1]}")
        return float(counts[: last + 1].sum() / self.replications)

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
        qs = tuple(float(x) for x in _probabilities(q))
        cols = ("output", "contingent", "unit", "mean", *(f"q{100 * x:g}" for x in qs))
        rows: list[tuple[Any, ...]] = []
        last = len(self.dates) - 1
        for name in self.outputs:
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
        idx = self._projection_days(dates)
        qs = _probabilities(q)
        if qs.size != 3:
            raise ValueError(f"q: got {q!r}, expected three probabilities (low, mid, high)")
        shown = self._projected()
        strength = self._quantile_values("strength", qs, rows=idx) if "strength" in shown else None
        area = self._quantile_values("area", qs, rows=idx) if "area" in shown else None
        cols = ("date", *(f"{c} strength" for c in self.contingents if strength is not None))
        cols += ("area km²",) if area is not None else ()
        rows = []
        for j, i in enumerate(idx):
            cells = [_band(strength[:, j, c]) for c in range(len(self.contingents))] if strength is not None else []
            cells += [_band(area[:, j])] if area is not None else []
            rows.append((str(self.dates[i]), *cells))
        lo, mid, hi = (f"{100 * x:g}" for x in q)
        title = f"{self.scenario.name}: median [{lo}%-{hi}%] of {self.replications} replications"
        return Table(title, cols, rows)

    # -------------------------------------------------------------- export
    def to_dataframe(self, q: Sequence[float] = (0.05, 0.5, 0.95)) -> Any:
        """Daily quantiles of every output in long format, as ``quantiles.csv`` (needs the ``pandas`` extra).

        One row per output, quantile, date and contingent; columns ``date``
        (datetime64), ``output``, ``contingent`` (``-`` for the front's
        outputs), ``q`` (the probability), ``value`` and ``unit``.

        Examples
        --------
        >>> import kursk_sim as ks
        >>> ens = ks.simulate(ks.load_scenario("kursk-2024"), 20, seed=1)
        >>> df = ens.to_dataframe()
        >>> list(df.columns)
        ['date', 'output', 'contingent', 'q', 'value', 'unit']
        >>> row = df[(df.output == "area") & (df.q == 0.5)].iloc[-1]
        >>> bool(row.value == ens.quantiles("area").sel(quantile=0.5)[-1])
        True
        """
        return _frame(self._quantile_table(q))

    def to_dataset(self, q: Sequence[float] = (0.05, 0.5, 0.95)) -> Any:
        """Daily quantiles and means of every output and the event counts, as an :class:`xarray.Dataset`.

        Needs the ``xarray`` extra. Variables: ``<output>_quantiles``
        ``(quantile, date[, contingent])``, ``<output>_mean``
        ``(date[, contingent])``, and if the run tracks events
        ``event_count`` ``(event, date)`` (replications with the event on
        each date), ``event_never`` ``(event,)`` (replications without it)
        and ``event_date_quantiles`` ``(quantile, event)`` (NaT if it never
        happened). The attributes are those of ``run.json`` (nested values
        as JSON text). ``to_dataset().to_netcdf(path, engine="scipy")``
        writes NetCDF without the netCDF4 library, as :meth:`export` does.

        Examples
        --------
        >>> import kursk_sim as ks
        >>> ds = ks.simulate(ks.load_scenario("kursk-2024"), 20, seed=1).to_dataset()
        >>> ds["strength_quantiles"].dims
        ('quantile', 'date', 'contingent')
        >>> ds.attrs["scenario"]
        'kursk-2024'
        """
        xr = _need("xarray", "xarray")
        qs = _probabilities(q)
        data: dict[str, Any] = {}
        for name in self.outputs:
            data[f"{name}_quantiles"] = self.quantiles(name, qs).to_xarray()
            data[f"{name}_mean"] = self.mean(name).to_xarray()
        events = list(self.event_names)
        if events:
            counts = np.stack([self._counts(e) for e in events])
            coords = {"event": np.array(events), "date": self._dates}
            units = {"units": "replications"}
            data["event_count"] = xr.DataArray(counts, dims=("event", "date"), coords=coords, attrs=units)
            never = self.replications - counts.sum(axis=1)
            data["event_never"] = xr.DataArray(never, dims=("event",), coords={"event": coords["event"]}, attrs=units)
            when = np.stack([self.event_quantiles(e, qs) for e in events], axis=1)
            data["event_date_quantiles"] = xr.DataArray(
                when, dims=("quantile", "event"), coords={"quantile": qs, "event": coords["event"]}
            )
        ds = xr.Dataset(data)
        ds.attrs.update(_attrs(self._manifest(None, [])))
        return ds

    def export(
        self, directory: str | Path, formats: str | Sequence[str] = ("csv",), *, command: Sequence[str] | None = None
    ) -> list[Path]:
        """Write the run's tables, a ``run.json`` manifest and the scenario to ``directory``.

        Every table is machine-readable: one type per column, numbers
        unformatted (exact round trip), dates as ISO ``YYYY-MM-DD``, an
        empty cell where there is no value (an event that did not happen).
        ``contingent`` is a contingent id, or ``-`` for the front's outputs
        (``area``). With ``formats=("csv",)`` the files are:

        ``summary.csv``
            state on the last date: ``output, contingent, unit, date, mean, q5, q50, q95``.
        ``event_summary.csv``
            ``event, probability, happened, never, replications, date_q5, date_q50, date_q95``
            (``happened`` + ``never`` = ``replications``; dates among the
            replications where the event happened, empty if none did).
        ``projection.csv``
            strength of each contingent and area on the start, the first of
            each month and the end: ``date, output, contingent, unit, q5, q50, q95``.
        ``quantiles.csv``
            every date, as :meth:`to_dataframe`: ``date, output, contingent, q, value, unit``.
        ``event_days.csv``
            ``date`` and, per event, how many replications had it on that date.
        ``events.csv``
            only if replications were kept: ``replication`` and, per event,
            its date (empty if it did not happen).
        ``values.csv``
            only with ``simulate(values=)``: ``replication`` and each value set.

        ``"parquet"`` writes the same tables as ``.parquet`` files (needs
        pandas and pyarrow or fastparquet), ``"netcdf"`` writes
        :meth:`to_dataset` as ``ensemble.nc`` (needs xarray; SciPy's
        NetCDF 3 writer, no netCDF4 library). Then ``scenario.toml``
        (exactly what was run) and ``run.json``: the seed (``entropy``,
        ``spawn_key``), replications, chunk size, kept replications, the
        scenario's name and the sha256 of ``scenario.toml``, the versions of
        kursk_sim, Python, NumPy, SciPy and SimPy, the UTC creation time,
        ``command`` and the files written.

        Parameters
        ----------
        directory : path
            Created if missing; files in it are overwritten.
        formats : str or sequence of {"csv", "parquet", "netcdf"}
        command : sequence of str, optional
            The command line that made the run (e.g. ``sys.argv``), recorded in ``run.json``.

        Returns
        -------
        list of Path
            The files written, ``run.json`` last.

        Examples
        --------
        >>> import json, tempfile
        >>> import kursk_sim as ks
        >>> ens = ks.simulate(ks.load_scenario("kursk-2024"), 20, seed=1)
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     paths = ens.export(tmp, command=["kursk-sim", "run"])
        ...     manifest = json.loads(paths[-1].read_text())
        >>> [p.name for p in paths][:3]
        ['summary.csv', 'event_summary.csv', 'projection.csv']
        >>> manifest["seed"]["entropy"], manifest["replications"], manifest["command"]
        (1, 20, ['kursk-sim', 'run'])
        """
        chosen = _formats(formats)
        cmd = _command(command)
        out = _directory(directory)
        paths = _write_tables(out, self._tables(), chosen)
        if "netcdf" in chosen:
            path = out / "ensemble.nc"
            self.to_dataset().to_netcdf(path, engine="scipy")
            paths.append(path)
        paths.append(_write_scenario(self.scenario, out / "scenario.toml"))
        paths.append(_write_manifest(out / "run.json", self._manifest(cmd, paths)))
        return paths

    def _manifest(self, command: list[str] | None, paths: Sequence[Path]) -> dict[str, Any]:
        return _manifest_base(
            "ensemble",
            self.scenario,
            self.seed,
            command,
            paths,
            replications=self.replications,
            chunk_size=self.chunk_size,
            kept=self.kept,
            exact_quantiles=self.exact_quantiles,
            contingents=list(self.contingents),
            outputs=list(self.outputs),
            events=list(self.event_names),
        )

    def _tables(self) -> dict[str, dict[str, NDArray[Any]]]:
        """The exported tables, name -> column -> values (one type per column)."""
        tables = {"summary": self._summary_table(), "event_summary": self._event_summary_table()}
        if "strength" in self.outputs or "area" in self.outputs:  # what a projection shows
            tables["projection"] = self._projection_table()
        tables |= {
            "quantiles": self._quantile_table(),
            "event_days": {"date": self._dates} | {e: self._counts(e) for e in self.event_names},
        }
        if self.kept:
            tables["events"] = {"replication": np.arange(self.kept)} | {e: self.event_date(e) for e in self.event_names}
        if self._values:
            tables["values"] = self._values_table()
        return tables

    def _rows_of(self, name: str) -> tuple[NDArray[Any], int]:
        labels = np.array(self.contingents) if per_contingent(name) else np.array(["-"])
        return labels, labels.size

    def _summary_table(self, q: Sequence[float] = (0.05, 0.5, 0.95)) -> dict[str, NDArray[Any]]:
        qs = _probabilities(q)
        last = len(self._dates) - 1
        parts: list[dict[str, NDArray[Any]]] = []
        for name in self.outputs:
            labels, n = self._rows_of(name)
            qv = self._quantile_values(name, qs, rows=last).reshape(qs.size, n)
            part = {
                "output": np.full(n, name),
                "contingent": labels,
                "unit": np.full(n, UNITS[name]),
                "date": np.full(n, self._dates[last]),
                "mean": np.atleast_1d(self.mean(name).values[-1]).astype(float),
            }
            parts.append(part | {_qname(x): qv[i].astype(float) for i, x in enumerate(qs)})
        return _concat(parts)

    def _event_summary_table(self, q: Sequence[float] = (0.05, 0.5, 0.95)) -> dict[str, NDArray[Any]]:
        qs = _probabilities(q)
        events = list(self.event_names)
        happened = np.array([int(self._counts(e).sum()) for e in events], dtype=np.int64)
        when = np.array([self.event_quantiles(e, qs) for e in events], dtype="datetime64[D]").reshape(
            len(events), qs.size
        )
        table = {
            "event": np.array(events, dtype=str),
            "probability": happened / self.replications,
            "happened": happened,
            "never": self.replications - happened,
            "replications": np.full(len(events), self.replications, dtype=np.int64),
        }
        return table | {f"date_{_qname(x)}": when[:, i] for i, x in enumerate(qs)}

    def _projection_days(self, dates: Sequence[Any] | None) -> list[int]:
        if dates is None:
            firsts = [d for d in self._dates if str(d).endswith("-01")]
            return sorted({0, *[int((d - self._dates[0]).astype(int)) for d in firsts], len(self._dates) - 1})
        if isinstance(dates, (str, dt.date, np.datetime64)) or not isinstance(dates, (Sequence, np.ndarray)):
            raise TypeError(f"dates: got {dates!r}, expected a sequence of dates, e.g. ['2025-01-01', '2025-03-01']")
        if len(dates) == 0:
            raise ValueError("dates: got an empty sequence, expected at least one date (or None for the default)")
        idx = [int((_date_arg("dates", d) - self._dates[0]).astype(int)) for d in dates]
        bad = [d for d, i in zip(dates, idx, strict=True) if not 0 <= i < len(self._dates)]
        if bad:
            raise ValueError(f"dates: {bad} fall outside the run {self._dates[0]}..{self._dates[-1]}")
        return idx

    def _projected(self) -> tuple[str, ...]:
        """The outputs a projection shows (strength and area), those of them recorded; none: a clear error."""
        shown = tuple(name for name in ("strength", "area") if name in self.outputs)
        if not shown:
            raise ValueError(
                f"a projection shows strength and area, and this run recorded neither ({', '.join(self.outputs)}): "
                "record them with simulate(..., outputs=[..., 'strength', 'area'])"
            )
        return shown

    def _projection_table(self, q: Sequence[float] = (0.05, 0.5, 0.95)) -> dict[str, NDArray[Any]]:
        qs = _probabilities(q)
        idx = self._projection_days(None)
        parts = []  # (q, date, columns) per output shown: strength per contingent, area
        names: list[str] = []
        labels: list[str] = []
        for name in self._projected():
            v = self._quantile_values(name, qs, rows=idx)
            parts.append(v if v.ndim == 3 else v[:, :, None])
            own = list(self.contingents) if per_contingent(name) else ["-"]
            names += [name] * len(own)
            labels += own
        values = np.concatenate(parts, axis=2).astype(float)
        per_date = len(names)
        table = {
            "date": np.repeat(self._dates[idx], per_date),
            "output": np.tile(np.array(names), len(idx)),
            "contingent": np.tile(np.array(labels), len(idx)),
            "unit": np.tile(np.array([UNITS[n] for n in names]), len(idx)),
        }
        return table | {_qname(x): values[i].ravel() for i, x in enumerate(qs)}

    def _quantile_table(self, q: Sequence[float] = (0.05, 0.5, 0.95)) -> dict[str, NDArray[Any]]:
        qs = _probabilities(q)
        parts = []
        for name in self.outputs:
            labels, n = self._rows_of(name)
            values = np.asarray(self.quantiles(name, qs).values, dtype=float).reshape(qs.size, len(self._dates), n)
            rows = values.size
            parts.append(
                {
                    "date": np.tile(np.repeat(self._dates, n), qs.size),
                    "output": np.full(rows, name),
                    "contingent": np.tile(labels, qs.size * len(self._dates)),
                    "q": np.repeat(qs, len(self._dates) * n),
                    "value": values.ravel(),
                    "unit": np.full(rows, UNITS[name]),
                }
            )
        return _concat(parts)

    def _values_table(self) -> dict[str, NDArray[Any]]:
        """The values set per replication (dates as dates)."""
        from .schema import iter_leaves

        kinds = {p: spec.kind for p, _, spec in iter_leaves(self.scenario)}
        table: dict[str, NDArray[Any]] = {"replication": np.arange(self.replications)}
        for name, v in self._values.items():
            v = np.asarray(v, dtype=float)
            if kinds.get(name) == "date":
                table[name] = np.array([dt.date.fromordinal(int(x)) for x in v], dtype="datetime64[D]")
            else:
                table[name] = v
        return table

    def __repr__(self) -> str:
        return (
            f"<Ensemble {self.scenario.name}: {self.replications} replications ({self.kept} kept), "
            f"{self.dates[0]}..{self.dates[-1]}, contingents {self.contingents}, events {self.event_names}>"
        )


def _date_arg(name: str, value: Any) -> np.datetime64:
    """A date argument (``datetime.date``, ``numpy.datetime64`` or an ISO ``YYYY-MM-DD`` string) as a day."""
    if isinstance(value, (dt.date, np.datetime64)) and not (isinstance(value, np.datetime64) and np.isnat(value)):
        return np.datetime64(value, "D")
    if isinstance(value, str):
        try:
            return np.datetime64(dt.date.fromisoformat(value.strip()), "D")
        except ValueError:
            pass
    raise ValueError(f"{name}: got {value!r}, expected a date (datetime.date, numpy.datetime64 or 'YYYY-MM-DD')")


def _directory(directory: Any) -> Path:
    """The folder an export writes to, created if missing; a clear error if it cannot be."""
    if isinstance(directory, bool) or not isinstance(directory, (str, Path)) or not str(directory).strip():
        raise TypeError(f"directory: got {directory!r}, expected the path of a folder (str or pathlib.Path)")
    out = Path(directory)
    if out.exists() and not out.is_dir():
        raise ValueError(f"directory: got {str(out)!r}, expected a folder (it exists and is not one)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ValueError(f"directory: cannot create {str(out)!r} ({err.strerror or err})") from None
    return out


def _probabilities(q: Any) -> NDArray[np.float64]:
    items = np.atleast_1d(np.asarray(q, dtype=object))
    if isinstance(q, (str, bytes)) or any(isinstance(x, (str, bytes, bool, np.bool_)) for x in items.ravel()):
        raise ValueError(f"q: got {q!r}, expected probabilities in [0, 1] (numbers)")
    try:
        qs = np.atleast_1d(np.asarray(q, dtype=float))
    except (TypeError, ValueError):
        raise ValueError(f"q: got {q!r}, expected probabilities in [0, 1] (numbers)") from None
    if qs.ndim != 1 or qs.size == 0 or np.isnan(qs).any() or (qs < 0).any() or (qs > 1).any():
        raise ValueError(f"q: got {q!r}, expected probabilities in [0, 1]")
    if np.unique(qs).size != qs.size:  # a labelled axis with a repeated label: sel() would find only one
        raise ValueError(f"q: got {q!r}, expected distinct probabilities")
    return qs


def _band(v: ArrayLike) -> str:
    lo, mid, hi = (float(x) for x in np.asarray(v))
    return f"{mid:,.0f} [{lo:,.0f}-{hi:,.0f}]"


# ------------------------------------------------------------------ export helpers
FORMATS = ("csv", "parquet", "netcdf")


def _qname(x: float) -> str:
    return f"q{100 * float(x):g}"


def _concat(parts: Sequence[dict[str, NDArray[Any]]]) -> dict[str, NDArray[Any]]:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _frame(table: dict[str, NDArray[Any]]) -> Any:
    """A pandas DataFrame of a table's columns (dates as datetime64)."""
    pd = _need("pandas", "pandas")
    return pd.DataFrame({k: np.array(v) for k, v in table.items()})


def _formats(formats: str | Sequence[str]) -> tuple[str, ...]:
    chosen = (formats,) if isinstance(formats, str) else tuple(formats)
    bad = [f for f in chosen if f not in FORMATS]
    if bad or not chosen:
        raise ValueError(f"formats: got {formats!r}, expected one or more of {FORMATS}")
    if "parquet" in chosen:
        _parquet_engine()
    if "netcdf" in chosen:
        _need("xarray", "xarray")
    return chosen


def _parquet_engine() -> str:
    """The installed Parquet engine, or an ImportError saying what to install."""
    _need("pandas", "pandas")
    for engine in ("pyarrow", "fastparquet"):
        try:
            __import__(engine)
        except ImportError:
            continue
        return engine
    raise ImportError(
        "writing Parquet needs pyarrow or fastparquet: pip install 'kursk-sim[parquet]' (or pip install pyarrow)"
    )


def _command(command: Sequence[str] | None) -> list[str] | None:
    if command is None:
        return None
    if isinstance(command, str) or not all(isinstance(c, str) for c in command):
        raise TypeError(f"command: got {command!r}, expected a sequence of str such as sys.argv")
    return list(command)


def _csv_cells(values: NDArray[Any]) -> list[str]:
    """One column as CSV cells: ISO dates, exact numbers (``repr``), empty where missing (NaN, NaT)."""
    a = np.asarray(values)
    if np.issubdtype(a.dtype, np.datetime64):
        return ["" if np.isnat(d) else str(d) for d in a.astype("datetime64[D]")]
    if a.dtype.kind == "f":
        return ["" if v != v else repr(v) for v in a.astype(float).tolist()]
    return [str(v) for v in a.tolist()]


def _write_csv(path: Path, table: dict[str, NDArray[Any]]) -> Path:
    cells = [_csv_cells(v) for v in table.values()]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(table)
        w.writerows(zip(*cells, strict=True))
    return path


def _write_tables(out: Path, tables: dict[str, dict[str, NDArray[Any]]], formats: Sequence[str]) -> list[Path]:
    paths = []
    if "csv" in formats:
        paths += [_write_csv(out / f"{name}.csv", table) for name, table in tables.items()]
    if "parquet" in formats:
        engine = _parquet_engine()
        for name, table in tables.items():
            path = out / f"{name}.parquet"
            _frame(table).to_parquet(path, engine=engine, index=False)
            paths.append(path)
    return paths


def _write_scenario(scenario: Scenario, path: Path) -> Path:
    """The scenario's TOML, byte for byte the text ``run.json`` hashes (no newline translation)."""
    path.write_bytes(scenario.to_toml().encode("utf-8"))
    return path


def _versions() -> dict[str, str]:
    import platform
    from importlib import metadata

    from . import __version__

    out = {"kursk_sim": __version__, "python": platform.python_version()}
    for name in ("numpy", "scipy", "simpy"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:  # pragma: no cover - vendored or renamed
            out[name] = str(getattr(__import__(name), "__version__", "unknown"))
    return out


def _manifest_base(
    kind: str,
    scenario: Scenario,
    seed: np.random.SeedSequence,
    command: list[str] | None,
    paths: Sequence[Path],
    **fields: Any,
) -> dict[str, Any]:
    """What ``run.json`` records: enough to repeat the run and to check the files are its own."""
    import hashlib
    import platform

    entropy = seed.entropy
    text = scenario.to_toml()
    return {
        "kind": kind,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": command,
        "scenario": {
            "name": scenario.name,
            "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "start_date": scenario.start_date.isoformat(),
            "end_date": scenario.end_date.isoformat(),
        },
        "seed": {
            "entropy": int(entropy) if np.ndim(entropy) == 0 else [int(x) for x in entropy],
            "spawn_key": [int(x) for x in seed.spawn_key],
        },
        **fields,
        "versions": _versions(),
        "platform": platform.platform(),
        "files": [p.name for p in paths],
    }


def _write_manifest(path: Path, manifest: dict[str, Any]) -> Path:
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path


def _attrs(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest as NetCDF 3 attributes: numbers that fit in 32 bits, text otherwise (nested values as JSON)."""
    out: dict[str, Any] = {}
    for key, value in manifest.items():
        if key == "files":
            continue
        if key == "scenario":
            out["scenario"] = value["name"]
            out["scenario_sha256"] = value["sha256"]
        elif isinstance(value, bool):
            out[key] = int(value)
        elif isinstance(value, (float, str)) or (isinstance(value, int) and -(2**31) <= value < 2**31):
            out[key] = value
        else:
            out[key] = json.dumps(value)
    return out
