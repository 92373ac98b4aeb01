"""Mergeable summaries of many replications: quantile sketches and exact histograms.

When a run is too large to keep every daily trajectory, each chunk of
replications is reduced as it finishes into a :class:`QuantileSketch` (one
histogram per output row, on fixed logarithmic bins) and, for event days,
an exact integer histogram. Both are merged by adding integer counts, so the
merged result does not depend on the order in which chunks finish or on
which worker ran them.

The sketch's bins are those of the float32 number line with
:data:`MANTISSA_BITS` mantissa bits kept (the mapping of HDR histograms): a
value ``x`` in ``[2**e, 2**(e+1))`` falls in a bin of width
``2**(e - MANTISSA_BITS)``. A quantile is read from the bin midpoints of the
two order statistics that the exact (NumPy ``"linear"``) quantile
interpolates between, so for every value at or above :data:`SMALLEST`::

    |sketch quantile - exact quantile| <= RELATIVE_ERROR * exact quantile

with ``RELATIVE_ERROR = 2**-(MANTISSA_BITS + 1)`` (0.2 %). Values below
``SMALLEST`` (including 0) share one bin reported as 0, an absolute error
below ``SMALLEST``. Values of ``2**MAX_EXPONENT`` or more, negative values
and NaN are refused.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "QuantileSketch",
    "histogram_quantiles",
    "MANTISSA_BITS",
    "RELATIVE_ERROR",
    "SMALLEST",
]

#: Mantissa bits kept by the sketch's bins.
MANTISSA_BITS = 8
#: Bound on the relative error of a sketch quantile (values >= SMALLEST).
RELATIVE_ERROR = 2.0 ** -(MANTISSA_BITS + 1)
MIN_EXPONENT = -6
MAX_EXPONENT = 40  # 1.1e12: above any count a scenario can reach (schema.MAX_TROOPS and MAX_TROOPS_PER_DAY)
#: Values below this share the zero bin.
SMALLEST = 2.0**MIN_EXPONENT
_SHIFT = 52 - MANTISSA_BITS  # float64 bits: 11 exponent bits and the top mantissa bits remain
_BASE = int(np.float64(SMALLEST).view(np.int64)) >> _SHIFT
#: Bins per row: one zero bin, then 2**MANTISSA_BITS per octave.
N_BINS = 1 + (MAX_EXPONENT - MIN_EXPONENT) * 2**MANTISSA_BITS
#: Counts are uint32: a sketch holds fewer than 2**32 replications.
COUNT_DTYPE = np.uint32
MAX_COUNT = 2**32 - 1
#: Rows read at once by :meth:`QuantileSketch.quantile` (bounds its temporaries to a few MB).
ROWS_AT_ONCE = 64


def _bin_lower_edges() -> NDArray[np.float64]:
    keys = np.arange(N_BINS - 1, dtype=np.int64) + _BASE
    return (keys << _SHIFT).view(np.float64)


_LOWER = _bin_lower_edges()
_UPPER = np.append(_LOWER[1:], 2.0**MAX_EXPONENT)
#: Value reported for each bin: 0 for the zero bin, else the bin's midpoint.
BIN_VALUES = np.concatenate([[0.0], (_LOWER + _UPPER) / 2.0])


class QuantileSketch:
    """Histograms of many rows of values on fixed relative-width bins.

    Parameters
    ----------
    rows : int
        Number of independent rows (e.g. ``days * series``).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.lognormal(8.0, 1.0, size=(2, 10_000))
    >>> s = QuantileSketch(2)
    >>> s.add(0, x[:, :6_000].T)          # rows 0..1, values as (replication, row)
    >>> s.add(0, x[:, 6_000:].T)
    >>> exact = np.quantile(x, [0.05, 0.5, 0.95], axis=1)
    >>> bool((np.abs(s.quantile([0.05, 0.5, 0.95]) - exact) <= RELATIVE_ERROR * exact).all())
    True
    """

    def __init__(self, rows: int) -> None:
        self.rows = int(rows)
        self.counts = np.zeros((self.rows, N_BINS), dtype=COUNT_DTYPE)

    @staticmethod
    def keys_into(out: NDArray[np.int64], values: NDArray[np.float64]) -> None:
        """Write the raw bin keys of float64 ``values`` into ``out`` (same shape); see :meth:`add_keys`."""
        # as unsigned bits, negative values, infinities and NaN all give keys above the highest bin
        np.right_shift(values.view(np.uint64), _SHIFT, out=out.view(np.uint64))

    @staticmethod
    def count_keys(
        first_row: int, keys: NDArray[np.int64]
    ) -> tuple[NDArray[np.unsignedinteger], NDArray[np.unsignedinteger]]:
        """Count raw keys of shape ``(k, replications)`` (from :meth:`keys_into`) for rows ``first_row ..``.

        Returns the counts sparse, as :meth:`to_sparse` does: flat bin
        indices (row-major over ``(rows, N_BINS)``, each at most once) and
        their counts. Needs no dense sketch, so a worker can reduce a chunk
        without holding one. ``keys`` is overwritten.

        The indices are uint32 while they fit (uint64 beyond) and the counts
        uint16 when there are fewer than 2**16 replications (uint32 else):
        six bytes per non-empty bin instead of sixteen, which is what a
        worker holds and sends.
        """
        k = keys.shape[0]
        offsets = (np.arange(k, dtype=np.int64) * N_BINS - (_BASE - 1))[:, None]
        highest = int(keys.max())
        if highest >= _BASE - 1 + N_BINS:  # too large, negative, infinite or NaN (see keys_into)
            bad = (keys.ravel()[np.argmax(keys)] << _SHIFT).astype(np.uint64).view(np.float64)
            raise ValueError(f"sketch: got {bad}, expected finite values in [0, 2**{MAX_EXPONENT})")
        np.maximum(keys, _BASE - 1, out=keys)  # values below SMALLEST: the zero bin
        keys += offsets
        counts = np.bincount(keys.ravel(), minlength=k * N_BINS)
        index = np.flatnonzero(counts != 0)  # a boolean mask is scanned faster than int64 counts
        index_dtype = np.uint32 if (first_row + k) * N_BINS < 2**32 else np.uint64
        count_dtype = np.uint16 if keys.shape[1] < 2**16 else np.uint32
        nonzero = counts[index].astype(count_dtype)
        index += first_row * N_BINS
        return index.astype(index_dtype), nonzero

    def add_keys(self, first_row: int, keys: NDArray[np.int64]) -> None:
        """Count raw keys of shape ``(k, replications)`` (from :meth:`keys_into`) into rows ``first_row ..``.

        ``keys`` is overwritten.
        """
        self.add_sparse(*self.count_keys(first_row, keys))

    def add(self, first_row: int, values: ArrayLike) -> None:
        """Count ``values`` of shape ``(replications, k)`` into rows ``first_row .. first_row + k``."""
        v = np.ascontiguousarray(np.asarray(values, dtype=np.float64).T)
        keys = np.empty(v.shape, dtype=np.int64)
        self.keys_into(keys, v)
        self.add_keys(first_row, keys)

    def merge(self, other: QuantileSketch) -> None:
        """Add another sketch's counts (same rows) to this one."""
        if other.rows != self.rows:
            raise ValueError(f"sketch: cannot merge {other.rows} rows into {self.rows}")
        self.counts += other.counts

    def to_sparse(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """``(flat indices, counts)`` of the non-empty bins: compact for sending between processes."""
        flat = self.counts.ravel()
        index = np.flatnonzero(flat)
        return index, flat[index]

    def add_sparse(self, index: NDArray[np.integer], counts: NDArray[np.integer]) -> None:
        """Add counts given as :meth:`to_sparse` returns them (each index at most once)."""
        flat = self.counts.reshape(-1)
        flat[index] += np.asarray(counts, dtype=COUNT_DTYPE)

    @property
    def n(self) -> NDArray[np.int64]:
        """Number of values counted in each row."""
        return self.counts.sum(axis=1)

    def quantile(self, q: ArrayLike, rows: ArrayLike | None = None) -> NDArray[np.float64]:
        """Quantiles of every row (or the chosen ``rows``), ``(len(q), rows)``.

        Within :data:`RELATIVE_ERROR` of the exact quantiles of the values counted.
        """
        rows = np.arange(self.rows) if rows is None else np.asarray(rows).ravel()
        qs = np.atleast_1d(np.asarray(q, dtype=float))
        out = np.empty((qs.size, rows.size))
        for lo in range(0, rows.size, ROWS_AT_ONCE):  # bounded temporaries, whatever the number of rows
            part = rows[lo : lo + ROWS_AT_ONCE]
            out[:, lo : lo + part.size] = histogram_quantiles(self.counts[part], BIN_VALUES, qs)
        return out


def histogram_quantiles(counts: NDArray[np.integer], values: NDArray[np.floating], q: ArrayLike) -> NDArray[np.float64]:
    """Quantiles of rows of a histogram, NumPy's ``"linear"`` method.

    Parameters
    ----------
    counts : ndarray, shape (rows, bins)
        How many observations fall in each bin.
    values : ndarray, shape (bins,)
        The value of each bin, increasing. When every observation equals its
        bin's value (integer days, say), the result is the exact quantile.
    q : float or sequence of float
        Probabilities in [0, 1].

    Returns
    -------
    ndarray, shape (len(q), rows)
        NaN for rows without observations.

    Examples
    --------
    >>> import numpy as np
    >>> days = np.array([3, 3, 5, 9, 9, 9])
    >>> counts = np.bincount(days, minlength=10)[None, :]
    >>> histogram_quantiles(counts, np.arange(10.0), [0.25, 0.5]).ravel().tolist() == np.quantile(days, [0.25, 0.5]).tolist()
    True
    """
    qs = np.atleast_1d(np.asarray(q, dtype=float))
    counts = np.asarray(counts)
    cum = np.cumsum(counts, axis=1, dtype=np.int64)
    n = cum[:, -1]
    out = np.full((qs.size, counts.shape[0]), np.nan)
    has = n > 0
    if not has.any():
        return out
    cum, n = cum[has], n[has]
    for i, qv in enumerate(qs):
        h = qv * (n - 1)
        lo = np.floor(h)
        hi = np.minimum(lo + 1, n - 1)
        v_lo = values[_order_statistic_bin(cum, lo)]
        v_hi = values[_order_statistic_bin(cum, hi)]
        out[i, has] = v_lo + (h - lo) * (v_hi - v_lo)
    return out


def _order_statistic_bin(cum: NDArray[np.integer], k: NDArray[np.floating]) -> NDArray[np.intp]:
    """Bin holding the ``k``-th smallest observation (0-based) of each row."""
    return np.argmax(cum > k[:, None], axis=1)
