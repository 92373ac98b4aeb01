"""LabelledArray behaves as an array to NumPy: protocol, arithmetic, ufuncs, positional selection, read-only values."""

from __future__ import annotations

import numpy as np
import pytest

import kursk_sim as ks
from kursk_sim.results import LabelledArray


@pytest.fixture(scope="module")
def ens(kursk: ks.Scenario) -> ks.Ensemble:
    return ks.simulate(kursk.replace({"end_date": "2025-01-31"}), replications=60, seed=5)


@pytest.fixture
def a() -> LabelledArray:
    coords = {"q": np.array([0.1, 0.5, 0.9]), "d": np.arange(4), "c": np.array(["x", "y"])}
    return LabelledArray("strength", "troops", np.arange(24.0).reshape(3, 4, 2), ("q", "d", "c"), coords)


# ------------------------------------------------------------------ the array protocol
def test_asarray_gives_the_float_values_not_an_object(ens: ks.Ensemble) -> None:
    band = ens.quantiles("area")
    arr = np.asarray(band)
    assert arr.dtype == np.float64 and arr.shape == (3, len(ens.dates))
    np.testing.assert_array_equal(arr, band.values)
    assert band.shape == arr.shape and band.ndim == 2 and band.dtype == np.float64 and band.size == arr.size
    assert len(band) == 3


def test_array_honours_dtype_and_copy(a: LabelledArray) -> None:
    view = np.asarray(a)
    assert np.shares_memory(view, a.values) and not view.flags.writeable
    assert np.shares_memory(np.asarray(a, copy=False), a.values)
    copied = np.array(a)  # NumPy 2 asks for a copy: a writable one
    assert not np.shares_memory(copied, a.values) and copied.flags.writeable
    copied[0, 0, 0] = -1.0
    assert a.values[0, 0, 0] == 0.0
    assert np.asarray(a, dtype=np.float32).dtype == np.float32
    with pytest.raises(ValueError, match="without a copy"):
        np.asarray(a, dtype=np.float32, copy=False)


def test_len_iter_and_truth(a: LabelledArray) -> None:
    rows = list(a)
    assert len(rows) == len(a) == 3
    assert all(isinstance(r, LabelledArray) and r.dims == ("d", "c") for r in rows)
    np.testing.assert_array_equal(rows[2].values, a.values[2])
    assert [float(x) for x in a[0, 0]] == [0.0, 1.0]  # a 1-d array iterates over scalars
    with pytest.raises(ValueError, match="ambiguous"):
        bool(a > 3)
    assert bool(a[0, 0, 1] > 0)


# ------------------------------------------------------------------ arithmetic and ufuncs
def test_arithmetic_keeps_labels(a: LabelledArray) -> None:
    d = a - a
    assert isinstance(d, LabelledArray) and d.name == "strength - strength" and d.units == "troops"
    assert d.dims == a.dims and all(np.array_equal(d.coords[k], a.coords[k]) for k in a.dims)
    assert (np.asarray(d) == 0).all()
    for got, want in [
        (a + 1, a.values + 1),
        (2 * a, 2 * a.values),
        (a / 4, a.values / 4),
        (a**2, a.values**2),
        (-a, -a.values),
        (np.ones(a.shape) + a, a.values + 1),  # an ndarray on the left
        (a * np.arange(2), a.values * np.arange(2)),  # broadcast into the same shape
    ]:
        assert isinstance(got, LabelledArray) and got.dims == a.dims
        np.testing.assert_array_equal(got.values, want)
    assert (2 * a).name == "2 * strength" and (-a).name == "-strength"
    assert ((a - a) / 2).name == "(strength - strength) / 2"
    assert (a / (a + 1)).units == "" and (a * a).units == "troops·troops" and (a * 3).units == "troops"
    big = a + np.zeros((5, 3, 4, 2))  # a new shape: no labels fit it
    assert type(big) is np.ndarray and big.shape == (5, 3, 4, 2)


def test_comparisons_give_labelled_booleans(a: LabelledArray) -> None:
    above = a > 10
    assert isinstance(above, LabelledArray) and above.dtype == bool and above.units == ""
    assert above.name == "strength > 10"
    assert int(np.sum(above)) == 13
    assert ((a == a).values).all() and not (a != a).values.any()
    assert (a <= a.values).values.all() and (a >= 0).values.all() and not (a < 0).values.any()


def test_ufuncs_and_reductions(a: LabelledArray) -> None:
    logged = np.log1p(a)
    assert isinstance(logged, LabelledArray) and logged.name == "log1p(strength)" and logged.units == ""
    np.testing.assert_allclose(logged.values, np.log1p(a.values))
    clipped = np.maximum(a, 5.0)
    assert isinstance(clipped, LabelledArray) and clipped.units == "troops"
    mean = np.mean(a)
    assert not isinstance(mean, LabelledArray) and mean == pytest.approx(11.5)
    by_q = np.mean(a, axis=(1, 2))
    assert type(by_q) is np.ndarray and by_q.shape == (3,)
    assert type(np.sum(a, axis=0)) is np.ndarray and type(np.add.reduce(a)) is np.ndarray
    assert type(np.cumsum(a)) is np.ndarray
    with pytest.raises(TypeError, match="read-only"):
        np.add(a, 1, out=a)


def test_mismatched_operands_are_refused(a: LabelledArray) -> None:
    other_dims = LabelledArray("s", "troops", a.values, ("q", "date", "c"), {})
    with pytest.raises(ValueError, match="different dimensions"):
        a + other_dims
    other_labels = LabelledArray("s", "troops", a.values, a.dims, dict(a.coords) | {"c": np.array(["x", "z"])})
    with pytest.raises(ValueError, match="different c labels"):
        a - other_labels


def test_xarray_and_pandas_operands_take_over(a: LabelledArray) -> None:
    xr = pytest.importorskip("xarray")
    pd = pytest.importorskip("pandas")
    assert isinstance(a + a.to_xarray(), xr.DataArray)
    assert isinstance(a[0, 0] + pd.Series([1.0, 2.0]), pd.Series)


def test_quantile_bands_subtract(ens: ks.Ensemble) -> None:
    band = ens.quantiles("strength")
    width = band.sel(quantile=0.95) - band.sel(quantile=0.05)
    assert width.dims == ("date", "contingent") and width.units == "troops"
    assert (width.values >= 0).all()
    relative = ens.mean("strength") / ens.mean("strength").isel(date=0).values  # broadcast over dates
    assert relative.dims == ("date", "contingent")
    np.testing.assert_allclose(relative.values[0], 1.0)


# ------------------------------------------------------------------ positional selection
def test_isel_and_getitem(a: LabelledArray) -> None:
    one = a.isel(q=1)
    assert one.dims == ("d", "c") and "q" not in one.coords
    np.testing.assert_array_equal(one.values, a.values[1])
    assert a.isel(q=-1, d=3, c=1) == a.values[-1, 3, 1] == a[-1, 3, 1]
    part = a[1:, ::2]
    assert part.dims == a.dims and part.shape == (2, 2, 2)
    np.testing.assert_array_equal(part.coords["q"], [0.5, 0.9])
    np.testing.assert_array_equal(part.coords["d"], [0, 2])
    np.testing.assert_array_equal(part.values, a.values[1:, ::2])
    assert a[..., 0].dims == ("q", "d") and a[..., 0].shape == (3, 4)
    assert a[0, ..., 1].dims == ("d",)
    picked = a.isel(d=[3, 0], c=np.array([False, True]))
    np.testing.assert_array_equal(picked.coords["d"], [3, 0])
    np.testing.assert_array_equal(picked.coords["c"], ["y"])
    np.testing.assert_array_equal(picked.values, a.values[:, [3, 0]][:, :, [1]])
    assert a.sel(q=0.5, c="y").dims == ("d",)
    masked = a[a > 20]
    assert type(masked) is np.ndarray and masked.tolist() == [21.0, 22.0, 23.0]


def test_positional_errors(a: LabelledArray) -> None:
    with pytest.raises(IndexError, match="out of range"):
        a.isel(q=3)
    with pytest.raises(KeyError, match="no dimension"):
        a.isel(date=0)
    with pytest.raises(TypeError, match="expected an integer, a slice"):
        a.isel(q=0.5)
    with pytest.raises(IndexError, match="too many indices"):
        a[0, 0, 0, 0]
    with pytest.raises(TypeError, match="cannot add dimensions"):
        a[None]
    with pytest.raises(ValueError, match="dims"):
        LabelledArray("x", "", np.zeros((2, 3)), ("a",), {})
    with pytest.raises(ValueError, match="labels, expected 3"):
        LabelledArray("x", "", np.zeros((2, 3)), ("a", "b"), {"b": np.arange(4)})


def test_aux_labels_follow_the_selection() -> None:
    pts = LabelledArray(
        "m", "", np.arange(8.0).reshape(4, 2), ("point", "c"), {}, {"p.x": ("point", np.arange(4) * 10)}
    )
    sub = pts[1:3]
    np.testing.assert_array_equal(sub.aux["p.x"][1], [10, 20])
    assert "p.x" not in pts.isel(point=0).aux
    assert (pts + 1).aux["p.x"][0] == "point"


def test_sweep_arrays_select_by_position(kursk: ks.Scenario) -> None:
    sc = kursk.replace({"end_date": "2024-12-31"})
    res = ks.sweep(sc, ks.grid({"ua.replenishment.per_day": [0.0, 150.0]}), 20, seed=2, progress=False)
    m = res.mean("strength")
    last = m[:, -1]
    assert last.dims == ("point", "contingent")
    np.testing.assert_array_equal(last.aux["ua.replenishment.per_day"][1], [0.0, 150.0])
    gain = m.isel(point=1) - m.isel(point=0)
    assert gain.dims == ("date", "contingent") and gain.name == "(strength mean) - (strength mean)"


# ------------------------------------------------------------------ read-only
def test_values_are_read_only(a: LabelledArray) -> None:
    assert not a.values.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        a.values[0, 0, 0] = 1.0
    mine = np.zeros(3)
    wrapped = LabelledArray("x", "", mine, ("i",), {})
    mine[0] = 1.0  # the caller's own array stays writable; the LabelledArray holds a read-only view of it
    assert wrapped.values[0] == 1.0 and not wrapped.values.flags.writeable and mine.flags.writeable


def test_pickled_values_stay_read_only(a: LabelledArray) -> None:
    import copy
    import pickle

    for again in (pickle.loads(pickle.dumps(a)), copy.deepcopy(a)):
        assert not again.values.flags.writeable and not again.coords["c"].flags.writeable
        np.testing.assert_array_equal(again.values, a.values)
