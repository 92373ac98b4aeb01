"""Exact quantiles along the last axis by sorting: the values of ``np.quantile``, several times faster.

``np.quantile(x, q, axis=-1)`` finds the order statistics it interpolates
between with a partition at every index it needs (two per probability, plus
the first and last); NumPy's partition is vectorised for one index at a
time only, so three probabilities cost about five times a full sort of the
same rows (measured in ``docs/performance.md``). :func:`exact_quantiles`
sorts the rows instead, a block of rows at a time (so its extra memory is
bounded whatever the input's size), reads the order statistics and
interpolates them as NumPy's ``"linear"`` method does, with the same
arithmetic: the results are NumPy's, value for value (checked by
``tests/test_quantiles.py``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["exact_quantiles"]

#: Bytes of rows sorted at once (the extra memory of a call, beside its result).
BLOCK_BYTES = 32 * 2**20


def exact_quantiles(x: ArrayLike, q: ArrayLike, block_bytes: int = BLOCK_BYTES) -> NDArray[np.float64]:
    """``np.quantile(x, q, axis=-1)`` (the ``"linear"`` method) for an array ``q``, by sorting rows in blocks.

    Parameters
    ----------
    x : array_like of float, shape (..., n)
        Values; each quantile is taken along the last axis (``n >= 1``).
    q : array_like of float, shape (k,)
        Probabilities in [0, 1].
    block_bytes : int, optional
        About how many bytes of ``x`` are copied and sorted at once.

    Returns
    -------
    ndarray of float64, shape (k, ...)
        The same values as ``np.quantile(x, q, axis=-1)``, NaN for rows
        holding a NaN.

    Raises
    ------
    ValueError
        If ``x`` has no values along its last axis, ``q`` is not
        one-dimensional or a probability is outside [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(3, 101)).astype(np.float32)
    >>> q = np.array([0.05, 0.5, 0.95])
    >>> bool(np.array_equal(exact_quantiles(x, q), np.quantile(x, q, axis=-1)))
    True
    """
    x = np.asarray(x)
    qs = np.asarray(q, dtype=np.float64)
    if qs.ndim != 1:
        raise ValueError(f"exact_quantiles: q must be one-dimensional, got shape {qs.shape}")
    if not ((qs >= 0.0) & (qs <= 1.0)).all():
        raise ValueError(f"exact_quantiles: probabilities must be in [0, 1], got {qs.tolist()}")
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ValueError(f"exact_quantiles: x needs values along its last axis, got shape {x.shape}")
    n = x.shape[-1]
    lead = x.shape[:-1]
    rows = x.reshape(-1, n) if x.flags.c_contiguous or x.ndim <= 2 else None  # (a view, or None: blocks of x)
    out = np.empty((qs.size, int(np.prod(lead, dtype=np.int64))))
    # the order statistics each probability interpolates between, and its weight (NumPy's "linear" method)
    virtual = (n - 1) * qs
    previous = np.floor(virtual)
    last = virtual >= n - 1  # q = 1 (or rounding up to n - 1): the largest value, with NumPy's weight
    previous[last] = -1.0
    gamma = virtual - previous
    previous = np.where(last, n - 1, previous).astype(np.intp)
    following = np.where(last, n - 1, previous + 1)
    upper = gamma >= 0.5
    per_block = max(1, block_bytes // max(1, n * x.itemsize))
    flat_lead = out.shape[1]
    for start in range(0, flat_lead, per_block):
        stop = min(start + per_block, flat_lead)
        if rows is not None:
            block = np.sort(rows[start:stop], axis=-1)
        else:  # rows of a strided array: unravel the block's leading indices
            index = np.unravel_index(np.arange(start, stop), lead)
            block = np.sort(x[index], axis=-1)
        a, b = block[:, previous].T, block[:, following].T  # (k, rows of the block)
        diff = b - a
        value = np.add(a, diff * gamma[:, None], out=out[:, start:stop])
        np.subtract(b, diff * (1.0 - gamma[:, None]), out=value, where=upper[:, None], casting="unsafe")
        nan = np.isnan(block[:, -1])  # NaN sorts last: a row holding one
        if nan.any():
            value[:, nan] = np.nan
    return out.reshape(qs.shape + lead)
