"""Samplers of the model's counts: binomial and negative binomial draws, exact or normal by variance.

The model draws every count (losses, their split, returns to duty) through
these functions, via :meth:`kursk_sim.model.Model.draw_losses`,
:meth:`~kursk_sim.model.Model.thin` and
:meth:`~kursk_sim.model.Model.binomial`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["binomial_counts", "negative_binomial_counts"]

Array = NDArray[np.float64]

#: Probabilities of at most this many elements (one per column, say) are checked for being all 0 or 1.
_FEW = 64


def binomial_counts(
    rng: np.random.Generator,
    n: Array,
    p: ArrayLike,
    normal_above: float,
    work: Array | None = None,
    *,
    normal_rng: np.random.Generator | None = None,
    replication: NDArray[np.intp] | None = None,
    replications: int | None = None,
) -> Array:
    """Binomial draws, exact where the variance is small, normal where it is large.

    Draws whose variance ``n p (1 - p)`` is at least ``normal_above`` are
    rounded normal variates with the same mean and variance, kept within
    ``[0, n]``; the others (and all of them when ``normal_above`` is
    infinite) are exact. Normal variates are drawn only for the elements
    that need them, in column-major order. Exact draws are made column by
    column (a column is every index but the first), each column's in order
    of ``n``, which lets NumPy reuse a draw's set-up for the next one (about
    twice as fast where ``p`` is the same down a column); the order is fixed
    by the inputs, so a seed still gives the same draws.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : ndarray of float
        Numbers of trials, whole. Column-major (Fortran) arrays are read in
        place; others are copied to that order first.
    p : array_like
        Probabilities in [0, 1], broadcastable to ``n``. Where ``p`` is the
        same down every column (shape ``(1, ...)`` or fewer dimensions than
        ``n``), each column's exact draws use one scalar probability.
    normal_above : float
        Variance from which a draw is approximated (at least 1).
    work : ndarray, optional
        Column-major float64 array of ``n``'s shape for intermediate values
        (its contents are overwritten); a caller drawing every day passes
        the same one to avoid fresh memory each time.
    normal_rng : numpy.random.Generator, optional
        Where the normal variates come from (default ``rng``): a stream of
        their own keeps them in step between variants whatever the exact
        draws take.
    replication : ndarray of int, optional
        Each row's replication, ``0 .. k - 1`` (rows of several points of a
        sweep in one batch). The normal variates are then drawn once per
        replication and column, ``k`` times the columns of them whether
        needed or not, and shared by every row of that replication: the
        same replication of different points gets the same noise where its
        draws are approximated.
    replications : int, optional
        ``k`` (default ``replication.max() + 1``); a caller drawing for some
        rows only passes the batch's, so the variates stay in step.

    Returns
    -------
    ndarray of float, shape of ``n``, column-major

    Raises
    ------
    ValueError
        If ``work`` is not a column-major float64 array of ``n``'s shape.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = binomial_counts(rng, np.array([0.0, 10.0, 50_000.0]), np.array([0.5, 1.0, 0.1]), 10.0)
    >>> x[:2].tolist(), bool(abs(x[2] - 5_000) < 5 * 67)
    ([0.0, 10.0], True)
    """
    if normal_above == np.inf:
        return rng.binomial(n.astype(np.int64), p).astype(float)
    p = np.asarray(p, dtype=float)
    # p of 0 or 1 only (thinning by a share of 0 or 1, say): no draw anywhere, the product as the general path
    # gives it (not with shared variates: those are drawn whether needed or not, and the stream must advance)
    if replication is None and p.size <= _FEW and not ((p > 0.0) & (p < 1.0)).any():
        return np.asfortranarray(n * p)
    out = n * p  # the draw where the variance is zero (n = 0, p = 0 or p = 1)
    if not out.flags.f_contiguous:  # (column-major inputs give a column-major product)
        out = np.asfortranarray(out)
    if work is None:
        var = np.empty(out.shape, order="F")
    elif work.shape != out.shape or work.dtype != np.float64 or not work.flags.f_contiguous:
        raise ValueError(f"binomial_counts: work must be a column-major float64 array of shape {out.shape}")
    else:
        var = work
    np.subtract(1.0, p, out=var)
    var *= out
    # flat views in column-major order (memory order of column-major arrays; a copy of n if it is not one)
    flat, var_flat = out.ravel(order="K"), var.ravel(order="K")
    n_flat = n.ravel(order="K") if n.flags.f_contiguous else n.reshape(-1, order="F")
    if replication is None and var_flat.min() > 0.0 and var_flat.max() < normal_above:  # (NaN fails both)
        _draw_exact(rng, flat, n_flat, p, out.shape, None, var_flat.view(np.intp))  # every draw exact
        return out
    normal_mask = var_flat >= normal_above
    exact_mask = var_flat > 0.0  # 0 < var < normal_above once the normal ones are out (normal_above >= 1)
    if replication is not None or normal_mask.any():  # (shared variates are drawn whether needed or not)
        normal = normal_mask.nonzero()[0]  # drawn only where needed: a third are degenerate
        exact_mask ^= normal_mask
        _draw_normal(normal_rng or rng, flat, var_flat, n_flat, normal, out.shape, replication, replications)
    if exact_mask.all():  # every element drawn exactly: no indices (see _draw_exact)
        _draw_exact(rng, flat, n_flat, p, out.shape, None, var_flat.view(np.intp))
    elif exact_mask.any():
        _draw_exact(rng, flat, n_flat, p, out.shape, exact_mask.nonzero()[0], var_flat.view(np.intp))
    return out


def _draw_normal(
    rng: np.random.Generator,
    flat: Array,
    var_flat: Array,
    n_flat: Array,
    normal: NDArray[np.intp],
    shape: tuple[int, ...],
    replication: NDArray[np.intp] | None,
    replications: int | None,
) -> None:
    """Rounded normal draws into ``flat[normal]`` (column-major flat indices), kept within ``[0, n]``.

    Their means are ``flat``'s values and their variances ``var_flat``'s.
    With ``replication`` (each row's replication) the variates are drawn
    once per replication and column, ``k`` times the columns of them
    whether needed or not (``k = replications``, default
    ``replication.max() + 1``), and shared by every row of a replication;
    otherwise one variate per element of ``normal``, in its order.
    """
    if replication is not None:  # one variate per replication and column, shared by its rows
        rows = shape[0] if shape else 1
        k = replications if replications is not None else int(replication.max()) + 1 if replication.size else 0
        shared = rng.standard_normal(k * (flat.size // max(rows, 1)))
        column = normal // rows
        z = shared.take(column * k + replication.take(normal - column * rows))
    elif normal.size:
        z = rng.standard_normal(normal.size)
    if normal.size:
        sd = var_flat.take(normal)  # take gathers faster than fancy indexing
        z *= np.sqrt(sd, out=sd)
        z += flat.take(normal)
        np.rint(z, out=z)
        np.maximum(z, 0.0, out=z)  # two passes are faster than np.clip's one
        np.minimum(z, n_flat.take(normal), out=z)
        flat[normal] = z


def negative_binomial_counts(
    rng: np.random.Generator,
    n: Array,
    p: ArrayLike,
    dispersion: ArrayLike,
    normal_above: float,
    work: Array | None = None,
    *,
    normal_rng: np.random.Generator | None = None,
    replication: NDArray[np.intp] | None = None,
    replications: int | None = None,
) -> Array:
    """Over-dispersed counts: negative binomial draws, exact where the variance is small, normal where it is large.

    Each count has mean ``m = n p`` and variance ``v = m + m**2 / r``
    (``r = dispersion``, the negative binomial's size; smaller is more
    scatter, and ``r -> inf`` is Poisson). Draws whose variance ``v`` is at
    least ``normal_above`` are rounded normal variates with that mean and
    variance; the others (and all of them when ``normal_above`` is
    infinite) are exact gamma-Poisson mixtures: a Poisson count whose rate
    is gamma distributed with shape ``r`` and mean ``m`` (the same
    distribution as :meth:`numpy.random.Generator.negative_binomial`, and
    faster). Every draw is kept within ``[0, n]``: a soldier cannot be lost
    twice. The clip at ``n`` lowers the mean slightly where ``p`` is near 1
    (the variance does not vanish there as a binomial's does); the clip at 0
    of a normal draw raises it and lowers the variance where ``m`` is
    within two or three standard deviations of 0, which for ``r`` of a few
    or less is every normal draw (``sqrt(v) > m / sqrt(r)``): by under
    0.1 % and 0.5 % at ``r = 20``, 0.2-0.7 % and 2-6 % at ``r = 5``, 8-10 %
    and a quarter at ``r = 1``. The normal draws have no skewness either
    (the negative binomial's tends to ``2 / sqrt(r)``), so for a small
    ``r`` an infinite ``normal_above`` (every draw exact) is the faithful
    choice.

    Only elements with ``m > 0`` use random numbers, except the shared
    normal variates drawn with ``replication`` (a fixed number whatever the
    means): elements of zero mean are 0 and leave the streams untouched,
    so drawing for a subset of rows that holds every row of positive mean
    gives the same draws as drawing for all of them. The normal variates
    are drawn only for the elements that need them, in column-major
    order, then the exact draws, in column-major order.

    Parameters
    ----------
    rng : numpy.random.Generator
        The exact draws' generator.
    n : ndarray of float
        Numbers at risk, whole (the upper bound of each draw). Column-major
        (Fortran) arrays are read in place; others are copied to that order.
    p : array_like
        Probabilities in [0, 1] (each count's mean over ``n``), broadcastable
        to ``n``.
    dispersion : array_like
        The size ``r > 0``: a scalar, or one per row (shape ``(rows, 1)``),
        broadcastable to ``n``.
    normal_above : float
        Variance from which a draw is approximated (at least 1; ``inf``:
        every draw exact).
    work : ndarray, optional
        Column-major float64 array of ``n``'s shape for intermediate values
        (its contents are overwritten), as in :func:`binomial_counts`.
    normal_rng : numpy.random.Generator, optional
        Where the normal variates come from (default ``rng``).
    replication : ndarray of int, optional
        Each row's replication, ``0 .. k - 1``: the normal variates are
        then drawn once per replication and column and shared by every row
        of a replication, exactly as in :func:`binomial_counts`.
    replications : int, optional
        ``k`` (default ``replication.max() + 1``).

    Returns
    -------
    ndarray of float, shape of ``n * p``, column-major

    Raises
    ------
    ValueError
        If ``work`` is not a column-major float64 array of ``n``'s shape.

    See Also
    --------
    binomial_counts : the same scheme for binomial counts.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> n = np.full(100_000, 1_000.0)
    >>> x = negative_binomial_counts(rng, n, 0.005, 20.0, 10.0)  # m = 5, v = 6.25: exact
    >>> bool((x == np.rint(x)).all()), bool(abs(x.mean() - 5.0) < 0.05), bool(abs(x.var() - 6.25) < 0.15)
    (True, True, True)
    >>> y = negative_binomial_counts(rng, n, 0.2, 20.0, 10.0)  # m = 200, v = 2,200: normal
    >>> bool(abs(y.mean() - 200.0) < 1.0), bool(abs(y.var() / 2_200.0 - 1.0) < 0.03), bool(y.max() <= 1_000)
    (True, True, True)
    >>> negative_binomial_counts(rng, np.array([0.0, 50.0]), np.array([0.5, 0.0]), 20.0, 10.0).tolist()
    [0.0, 0.0]
    """
    p = np.asarray(p, dtype=float)
    r = np.asarray(dispersion, dtype=float)
    out = n * p  # the means; zero where nothing can be lost (and so the draw)
    if not out.flags.f_contiguous:
        out = np.asfortranarray(out)
    if work is None:
        var = np.empty(out.shape, order="F")
    elif work.shape != out.shape or work.dtype != np.float64 or not work.flags.f_contiguous:
        raise ValueError(f"negative_binomial_counts: work must be a column-major float64 array of shape {out.shape}")
    else:
        var = work
    np.divide(out, r, out=var)
    var += 1.0
    var *= out  # m (1 + m / r)
    flat, var_flat = out.ravel(order="K"), var.ravel(order="K")
    n_flat = n.ravel(order="K") if n.flags.f_contiguous else n.reshape(-1, order="F")
    if normal_above == np.inf:
        exact = (flat > 0.0).nonzero()[0]
    else:
        normal_mask = var_flat >= normal_above
        normal = normal_mask.nonzero()[0]
        exact = ((flat > 0.0) ^ normal_mask).nonzero()[0]  # 0 < m and v < normal_above (v >= 1 implies m > 0)
        _draw_normal(normal_rng or rng, flat, var_flat, n_flat, normal, out.shape, replication, replications)
    if exact.size:
        mean = flat.take(exact)
        rows = out.shape[0] if out.ndim else 1
        if r.size == 1:  # one shape: a scalar, so NumPy need not broadcast it
            size = float(r.reshape(()))
            rate = rng.standard_gamma(size, exact.size)
            mean /= size
        else:
            if r.ndim == out.ndim and r.shape[0] == r.size == rows:  # one per row, (rows, 1, ...)
                sizes = r.reshape(-1).take(exact % rows)
            else:
                sizes = np.broadcast_to(r, out.shape).reshape(-1, order="F").take(exact)
            rate = rng.standard_gamma(sizes)
            mean /= sizes
        rate *= mean  # gamma of shape r and mean m
        draws = rng.poisson(rate).astype(float)
        np.minimum(draws, n_flat.take(exact), out=draws)
        flat[exact] = draws
    return out


#: Fewer exact draws than this in a column are made in their own order: sorting them costs more than it saves.
SORT_FROM = 256
_UINT16_KEYS = 2**16  # (np.iinfo costs 15 us a call)


def _draw_exact(
    rng: np.random.Generator,
    flat: Array,
    n_flat: Array,
    p: Array,
    shape: tuple[int, ...],
    exact: NDArray[np.intp] | None,
    scratch: NDArray[np.intp],
) -> None:
    """Exact draws into ``flat[exact]`` (column-major flat indices; ``None``: every element).

    NumPy's binomial sampler keeps its set-up (a logarithm, an exponential and
    a square root) while consecutive draws have the same ``n`` and ``p``, and
    recomputes it otherwise. Where ``p`` is the same down every column of a
    ``(replications, contingents)`` array (a share, say), the draws are made
    column by column in order of ``n`` (a stable radix sort of 16-bit keys),
    which roughly halves the cost of a draw, with one scalar ``p`` per
    column. Where ``p`` differs by row (a loss probability, which depends on
    each replication's strengths) there is little set-up to reuse, so the
    draws are made in one call in their own order, without sorting or
    gathering (the whole array when every element is drawn). Any order gives
    the same distribution (the draws are independent); these are fixed by
    the inputs, so results stay reproducible. ``scratch`` (as long as
    ``flat``) is overwritten.
    """
    rows = shape[0] if shape else 1
    columns = flat.size // rows
    if not (p.ndim < len(shape) or (p.ndim and p.shape[0] == 1)):  # a probability per element
        p_flat = p.reshape(-1, order="F") if p.shape == shape else np.broadcast_to(p, shape).reshape(-1, order="F")
        if exact is None:  # every element drawn: no gather, no scatter
            flat[:] = rng.binomial(n_flat.astype(np.int64), p_flat)
        else:
            flat[exact] = rng.binomial(n_flat.take(exact).astype(np.int64), p_flat.take(exact))
        return
    if exact is None:
        exact = np.arange(flat.size)
    trials = n_flat.take(exact).astype(np.int64)
    # the same down every column: a scalar per column
    one_row = (1, *shape[1:])
    p_of_column = (p if p.shape == one_row else np.broadcast_to(p, one_row)).reshape(-1, order="F")
    if exact.size < SORT_FROM:  # too few to gain from sorting: one call, in their own order
        prob = p_of_column[0] if columns == 1 else p_of_column.take(exact // rows)
        flat[exact] = rng.binomial(trials, prob)
        return
    ends = np.searchsorted(exact, np.arange(1, columns + 1) * rows).tolist() if columns > 1 else [exact.size]
    lo = 0
    for column, hi in enumerate(ends):
        if hi == lo:
            continue
        index, n_of = exact[lo:hi], trials[lo:hi]
        if hi - lo >= SORT_FROM and int(n_of.max()) < _UINT16_KEYS:
            order = np.argsort(n_of.astype(np.uint16), kind="stable")  # a radix sort for 16-bit keys
            index = index.take(order, out=scratch[lo:hi], mode="clip")  # "clip": unbuffered; order is in range
            n_of = n_of.take(order, mode="clip")
        flat[index] = rng.binomial(n_of, p_of_column[column])
        lo = hi
