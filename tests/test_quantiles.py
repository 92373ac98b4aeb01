"""Exact quantiles by sorting (kursk_sim.quantiles): NumPy's values, bit for bit, in bounded blocks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import kursk_sim as ks
from kursk_sim.quantiles import exact_quantiles

FLOATS = st.floats(allow_nan=False, allow_infinity=False, width=32)
PROBABILITIES = st.lists(
    st.one_of(st.sampled_from([0.0, 0.05, 0.5, 0.95, 1.0, 1 / 3]), st.floats(0.0, 1.0)), min_size=1, max_size=6
)


@settings(max_examples=300, deadline=None)
@given(
    x=hnp.arrays(
        dtype=st.sampled_from([np.float32, np.float64]),
        shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=9),
        elements=FLOATS,
    ),
    q=PROBABILITIES,
    block_bytes=st.integers(1, 400),
)
def test_the_values_of_numpy_quantile_bit_for_bit(x: np.ndarray, q: list[float], block_bytes: int) -> None:
    """Any rows (ties, zeros, huge and tiny values), any probabilities, any block size: NumPy's own values."""
    qs = np.array(q)
    got = exact_quantiles(x, qs, block_bytes=block_bytes)
    want = np.quantile(x, qs, axis=-1)
    assert got.dtype == want.dtype == np.float64
    np.testing.assert_array_equal(got, want)


def test_a_strided_view_and_rows_holding_nan() -> None:
    """Rows read from a transposed view; a row with a NaN gives NaN (as NumPy's), the others their values."""
    x = np.random.default_rng(3).normal(size=(50, 4, 6)).transpose(2, 1, 0)  # not contiguous
    x[1, 2, 7] = np.nan
    q = np.array([0.1, 0.5, 0.9])
    got = exact_quantiles(x, q, block_bytes=50 * 8 * 3)
    np.testing.assert_array_equal(got, np.quantile(x, q, axis=-1))
    assert np.isnan(got[:, 1, 2]).all() and np.isfinite(np.delete(got.reshape(3, -1), 1 * 4 + 2, axis=1)).all()


@pytest.mark.parametrize(
    ("x", "q", "message"),
    [
        (np.zeros((3, 0)), [0.5], "values along its last axis"),
        (np.float64(1.0), [0.5], "values along its last axis"),
        (np.zeros(4), [[0.5]], "one-dimensional"),
        (np.zeros(4), [1.5], r"in \[0, 1\]"),
        (np.zeros(4), [np.nan], r"in \[0, 1\]"),
    ],
)
def test_bad_input_refused(x: np.ndarray, q: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        exact_quantiles(x, q)


def test_ensemble_bands_are_numpy_quantiles_of_the_kept_trajectories() -> None:
    """The bands of an ensemble that kept every replication equal np.quantile of its trajectories."""
    ens = ks.simulate(ks.load_scenario("kursk-2024"), 300, seed=5, trajectories=True, progress=False)
    q = (0.05, 0.5, 0.95)
    for name in ("strength", "area", "killed"):
        raw = ens.trajectory(name).values  # (replication, date[, contingent])
        np.testing.assert_array_equal(ens.quantiles(name, q=q).values, np.quantile(raw, q, axis=0))
