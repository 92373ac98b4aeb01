"""The quantile sketch: its error bound, its range, and what it refuses."""

from __future__ import annotations

import numpy as np
import pytest

from kursk_sim.sketch import MAX_EXPONENT, RELATIVE_ERROR, SMALLEST, QuantileSketch


@pytest.mark.parametrize("bad", [-1.0, -0.0, np.nan, np.inf, -np.inf, 2.0**MAX_EXPONENT, 1e300])
def test_refuses_values_out_of_range(bad: float) -> None:
    values = np.full((5, 2), 7.0)
    values[3, 1] = bad
    with pytest.raises(ValueError, match="expected finite values"):
        QuantileSketch(2).add(0, values)


def test_range_edges_and_the_zero_bin() -> None:
    top = np.nextafter(2.0**MAX_EXPONENT, 0.0)
    values = np.array([[0.0], [SMALLEST / 2], [1e-300], [SMALLEST], [top]])
    s = QuantileSketch(1)
    s.add(0, values)
    q = s.quantile([0.0, 0.5, 1.0])[:, 0]
    assert q[0] == 0.0 and q[1] == 0.0  # three of five values below SMALLEST share the zero bin, read as 0
    assert abs(q[2] - top) <= RELATIVE_ERROR * top


def test_error_bound_and_order_free_merge() -> None:
    rng = np.random.default_rng(4)
    x = np.rint(rng.lognormal(7.0, 2.0, size=(20_001, 3)))  # whole counts over many octaves, zeros included
    q = np.linspace(0.0, 1.0, 41)
    exact = np.quantile(x, q, axis=0)
    one, two = QuantileSketch(3), QuantileSketch(3)
    one.add(0, x[:7_000])
    one.add(0, x[7_000:])
    two.add(0, x[12_000:])
    two.add(0, x[:12_000])
    np.testing.assert_array_equal(one.counts, two.counts)
    got = one.quantile(q)
    big = exact >= SMALLEST
    assert (np.abs(got - exact)[big] <= RELATIVE_ERROR * exact[big]).all()
    assert (np.abs(got - exact)[~big] < SMALLEST).all()
