"""Experiment designs: grids, space-filling samples, their checks and round trips."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import sys

import numpy as np
import pytest
from scipy import stats

import kursk_sim as ks
from kursk_sim.design import Design, grid, ranged_parameters, sample
from kursk_sim.distributions import Distribution

DISTRIBUTED = ("modifiers.offensive.start", "ru.replenishment.share", "kpa.second_wave.date", "ua.strength")  # in order
#: Parameters of kursk_2024.toml with a `range = [...]` (counted by reading the file): 2 sides' lethality,
#: 4 territory, 5 withdrawal, 5 encirclement, 4 mobilisation, 8 modifiers, ru 5, kpa 7, ua 5.
N_DECLARED_RANGES = 45


def day(text: str) -> np.datetime64:
    return np.datetime64(text, "D")


def ordinal(x: np.ndarray) -> np.ndarray:
    """datetime64[D] values as proleptic ordinals."""
    return (x - day("1970-01-01")).astype(np.int64) + dt.date(1970, 1, 1).toordinal()


def declared(kursk: ks.Scenario) -> dict[str, tuple[float, float]]:
    return {p: v for p, v in ranged_parameters(kursk).items() if not isinstance(v, Distribution)}


# --------------------------------------------------------------------------- Design itself


def test_columns_are_stored_as_read_only_copies() -> None:
    x = np.array([1.0, 2.0, 3.0])
    d = Design({"a": x, "b": ["2025-01-01", dt.date(2025, 1, 2), np.datetime64("2025-01-03")]})
    x[0] = 99.0
    assert d["a"].tolist() == [1.0, 2.0, 3.0]
    assert d["b"].dtype == np.dtype("datetime64[D]")
    assert d["b"].tolist() == [dt.date(2025, 1, 1), dt.date(2025, 1, 2), dt.date(2025, 1, 3)]
    with pytest.raises(ValueError, match="read-only"):
        d["a"][0] = 5.0
    cols = d.columns
    cols["c"] = np.zeros(3)
    assert d.paths == ("a", "b")
    assert len(d) == d.n_points == 3
    assert Design(d) == d


def test_point_repr_and_equality() -> None:
    d = Design({"ru.replenishment.per_day": [600, 900], "kpa.second_wave.date": ["2025-02-01", "2025-03-01"]})
    assert d.point(1) == {"ru.replenishment.per_day": 900.0, "kpa.second_wave.date": day("2025-03-01")}
    assert d.point(-2)["ru.replenishment.per_day"] == 600.0
    with pytest.raises(IndexError):
        d.point(2)
    assert repr(d) == "<Design: 2 points x 2 parameters (ru.replenishment.per_day, kpa.second_wave.date)>"
    assert d == Design({"ru.replenishment.per_day": [600.0, 900.0], "kpa.second_wave.date": d["kpa.second_wave.date"]})
    reordered = Design({"kpa.second_wave.date": d["kpa.second_wave.date"], "ru.replenishment.per_day": [600, 900]})
    assert d != reordered  # same values, other column order
    assert d != Design({"ru.replenishment.per_day": [600, 901], "kpa.second_wave.date": d["kpa.second_wave.date"]})
    assert Design({"x": [0.0]}) == Design({"x": [-0.0]})
    assert Design({"x": [0.0]}).fingerprint() == Design({"x": [-0.0]}).fingerprint()


@pytest.mark.parametrize(
    ("columns", "words"),
    [
        ({"x": [1.0, "2025-01-01"]}, "'x': got '2025-01-01' (point 1)"),
        ({"x": ["2025-01-01", 3]}, "'x': got 3 (point 1)"),
        ({"x": [1.0, "abc"]}, "'x': got 'abc' (point 1)"),
        ({"x": ["2025-02-30"]}, "'x': got '2025-02-30' (point 0)"),
        ({"x": [1.0, float("nan")]}, "'x': got nan (point 1), expected a finite number"),
        ({"x": [np.inf]}, "'x': got inf (point 0)"),
        ({"x": [True, False]}, "'x': got"),
        ({"x": [None]}, "'x': got None (point 0)"),
        ({"x": [np.datetime64("2025-01-01T12:00")]}, "a whole day"),
        ({"x": [1.0, 2.0], "y": [1.0]}, "'y': got 1 values, expected one per point: 2"),
        ({"x": []}, "'x': got no values"),
        ({"x": [[1.0, 2.0]]}, "'x': got an array of shape (1, 2)"),
        ({"": [1.0]}, "non-empty parameter path"),
        ({}, "at least one column"),
    ],
)
def test_bad_columns_name_the_column_and_value(columns: dict, words: str) -> None:
    with pytest.raises(ValueError) as err:
        Design(columns)
    assert words in str(err.value)


def test_fingerprint_changes_with_any_value_path_or_kind() -> None:
    base = Design({"a": np.linspace(0.0, 1.0, 50), "b": ["2025-01-01"] * 50})
    same = Design({"a": np.linspace(0.0, 1.0, 50).tolist(), "b": [dt.date(2025, 1, 1)] * 50})
    assert base.fingerprint() == same.fingerprint() and hash(base) == hash(same)
    assert len(base.fingerprint()) == 64 and int(base.fingerprint(), 16) >= 0
    a = base["a"].copy()
    a[17] = np.nextafter(a[17], 2.0)  # one ulp
    assert Design({"a": a, "b": base["b"]}).fingerprint() != base.fingerprint()
    b = base["b"].copy()
    b[49] += 1
    assert Design({"a": base["a"], "b": b}).fingerprint() != base.fingerprint()
    assert Design({"c": base["a"], "b": base["b"]}).fingerprint() != base.fingerprint()
    assert Design({"b": base["b"], "a": base["a"]}).fingerprint() != base.fingerprint()


def test_check_converts_to_scenario_units(kursk: ks.Scenario) -> None:
    d = Design({"kpa.second_wave.date": ["2025-02-01", "2025-03-01"], "kpa.second_wave.probability": [0, 1]})
    v = d.check(kursk)
    assert v["kpa.second_wave.date"].tolist() == [dt.date(2025, 2, 1).toordinal(), dt.date(2025, 3, 1).toordinal()]
    assert v["kpa.second_wave.probability"].tolist() == [0.0, 1.0]
    with pytest.raises(ks.ScenarioError) as err:
        Design({"kpa.second_wave.probability": [0.5, 1.5]}).check(kursk)
    assert err.value.path == "kpa.second_wave.probability" and "(point 1)" in str(err.value)


# --------------------------------------------------------------------------- grid


def test_grid_is_the_full_factorial_first_path_slowest() -> None:
    levels = {
        "ru.replenishment.per_day": [600, 900, 1200],
        "kpa.second_wave.probability": [0.0, 1.0],
        "kpa.second_wave.date": ["2025-02-01", "2025-03-01"],
    }
    d = grid(levels)
    assert len(d) == 3 * 2 * 2
    assert d.paths == tuple(levels)
    rows = list(zip(*(d[p].tolist() for p in d.paths), strict=True))
    expected = list(itertools.product([600.0, 900.0, 1200.0], [0.0, 1.0], [dt.date(2025, 2, 1), dt.date(2025, 3, 1)]))
    assert rows == expected  # every combination once, in itertools.product order
    assert len(set(rows)) == len(rows)
    assert d["kpa.second_wave.date"].dtype == np.dtype("datetime64[D]")


def test_grid_of_one_path_keeps_the_levels_order() -> None:
    d = grid({"x": [3.0, 1.0, 2.0]})
    assert d["x"].tolist() == [3.0, 1.0, 2.0]


@pytest.mark.parametrize(
    ("levels", "words"),
    [
        ({"a": [1, 2], "b": [0.5, 0.5]}, "'b': 0.5 appears more than once"),
        ({"a": [1, 1.0]}, "'a': 1 appears more than once"),
        ({"d": ["2025-01-01", dt.date(2025, 1, 1)]}, "'d': 2025-01-01 appears more than once"),
        ({"a": [1, 2], "b": []}, "levels of 'b': got none"),
        ({"a": [1, "2025-01-01"]}, "'a': got '2025-01-01' (point 1)"),
        ({"a": "2025-01-01"}, "levels of 'a'"),
        ({}, "at least one parameter path"),
    ],
)
def test_grid_refuses_bad_levels(levels: dict, words: str) -> None:
    with pytest.raises(ValueError) as err:
        grid(levels)
    assert words in str(err.value)


def test_labels_of_a_small_grid() -> None:
    d = grid({"ru.replenishment.per_day": [600, 1200.5], "kpa.second_wave.date": ["2025-02-01", "2025-04-30"]})
    assert d.labels() == [
        "ru.replenishment.per_day=600, kpa.second_wave.date=2025-02-01",
        "ru.replenishment.per_day=600, kpa.second_wave.date=2025-04-30",
        "ru.replenishment.per_day=1200.5, kpa.second_wave.date=2025-02-01",
        "ru.replenishment.per_day=1200.5, kpa.second_wave.date=2025-04-30",
    ]
    assert grid({"kpa.second_wave.probability": [1, 0.25]}).labels() == [
        "kpa.second_wave.probability=1",
        "kpa.second_wave.probability=0.25",
    ]


# --------------------------------------------------------------------------- ranged_parameters


def test_ranged_parameters_of_the_default_scenario(kursk: ks.Scenario) -> None:
    r = ranged_parameters(kursk)
    assert len(r) == N_DECLARED_RANGES + len(DISTRIBUTED)
    dists = [p for p, v in r.items() if isinstance(v, Distribution)]
    assert dists == list(DISTRIBUTED)
    assert r["kpa.second_wave.probability"] == (0.1, 0.6)
    assert r["attacker.lethality"] == (0.6e-7, 2.4e-7)
    assert "ru.strength" not in r and "ru.return_to_duty.stages" not in r  # no range; an int cannot vary
    order = [p for p, *_ in kursk.parameters()]
    assert list(r) == [p for p in order if p in r]  # scenario order


def test_a_distribution_wins_over_a_declared_range(kursk: ks.Scenario) -> None:
    data = copy.deepcopy(kursk.to_dict())
    data["kpa"]["second_wave"]["probability"] = {"dist": "uniform", "low": 0.2, "high": 0.3, "range": [0.1, 0.6]}
    sc = ks.Scenario.from_dict(data)
    assert sc.provenance["kpa.second_wave.probability"].range == (0.1, 0.6)
    assert ranged_parameters(sc)["kpa.second_wave.probability"] == ks.Uniform(0.2, 0.3)
    x = sample(sc, 200, "lhs", paths=["kpa.second_wave.probability"], seed=1)["kpa.second_wave.probability"]
    assert x.min() >= 0.2 and x.max() <= 0.3
    assert x.max() - x.min() > 0.09  # spread over the distribution, not one value


# --------------------------------------------------------------------------- sample


def test_lhs_puts_one_point_in_each_stratum(kursk: ks.Scenario) -> None:
    n = 57
    d = sample(kursk, n, "lhs", seed=11)
    ranges = declared(kursk)
    assert len(ranges) == N_DECLARED_RANGES
    for path, (lo, hi) in ranges.items():
        strata = np.floor((d[path] - lo) / (hi - lo) * n).astype(int)
        assert sorted(strata.tolist()) == list(range(n)), path
    # a distribution is stratified in probability: one point per n-quantile of the triangular
    tri = stats.triang(c=(20_000 - 12_000) / 18_000, loc=12_000, scale=18_000)
    strata = np.floor(tri.cdf(d["ua.strength"]) * n).astype(int)
    assert sorted(strata.tolist()) == list(range(n))


def test_scrambled_sobol_is_balanced(kursk: ks.Scenario) -> None:
    n = 2**10
    d = sample(kursk, n, "sobol", seed=5)
    assert len(d) == n
    for path, (lo, hi) in declared(kursk).items():
        # plain random points miss the midpoint by ~0.009 (hi - lo) here (one standard error)
        assert abs(d[path].mean() - (lo + hi) / 2) <= 1e-3 * (hi - lo), path
        assert lo <= d[path].min() and d[path].max() <= hi


@pytest.mark.parametrize(("n", "nearest"), [(100, 128), (70, 64), (3, 4), (1000, 1024)])
def test_sobol_refuses_n_not_a_power_of_two(kursk: ks.Scenario, n: int, nearest: int) -> None:
    with pytest.raises(ValueError, match=rf"^n: got {n}, expected a power of two .* try n={nearest}$"):
        sample(kursk, n, "sobol", seed=1)


def test_triangular_strength_follows_its_distribution(kursk: ks.Scenario) -> None:
    x = sample(kursk, 4096, "random", paths=["ua.strength"], seed=2024)["ua.strength"]
    assert x.min() >= 12_000 and x.max() <= 30_000
    tri = stats.triang(c=(20_000 - 12_000) / (30_000 - 12_000), loc=12_000, scale=30_000 - 12_000)
    assert stats.kstest(x, tri.cdf).pvalue > 0.001
    assert stats.kstest(x, stats.uniform(12_000, 18_000).cdf).pvalue < 1e-6  # the test can tell


def test_date_distributions_give_days_inside_their_support(kursk: ks.Scenario) -> None:
    d = sample(kursk, 4096, "random", paths=["kpa.second_wave.date", "modifiers.offensive.start"], seed=3)
    wave, start = d["kpa.second_wave.date"], d["modifiers.offensive.start"]
    assert wave.dtype == start.dtype == np.dtype("datetime64[D]")
    assert wave.min() >= day("2025-02-01") and wave.max() <= day("2025-04-30")
    assert start.min() >= day("2025-01-02") and start.max() <= day("2025-02-15")
    # uniform over 88 days: mean at the midpoint (standard error 0.4 day)
    mid = (dt.date(2025, 2, 1).toordinal() + dt.date(2025, 4, 30).toordinal()) / 2
    assert abs(ordinal(wave).mean() - mid) < 2.0
    # triangular (2 Jan, 15 Jan, 15 Feb): mean (a + c + b) / 3, standard error 0.14 day
    ords = [dt.date(2025, 1, 2).toordinal(), dt.date(2025, 1, 15).toordinal(), dt.date(2025, 2, 15).toordinal()]
    assert abs(ordinal(start).mean() - sum(ords) / 3) < 1.0
    assert len(np.unique(wave)) > 80  # whole days, spread over the support


def test_bounds_override_the_declared_range(kursk: ks.Scenario) -> None:
    n = 40
    bounds = {"kpa.second_wave.probability": (0.40, 0.45), "kpa.second_wave.date": ("2025-03-01", dt.date(2025, 3, 10))}
    d = sample(kursk, n, "lhs", paths=list(bounds), bounds=bounds, seed=8)
    p = d["kpa.second_wave.probability"]
    assert p.min() >= 0.40 and p.max() <= 0.45  # declared range is (0.1, 0.6)
    assert sorted(np.floor((p - 0.40) / 0.05 * n).astype(int).tolist()) == list(range(n))
    w = d["kpa.second_wave.date"]  # was uniform February to April
    assert w.min() >= day("2025-03-01") and w.max() <= day("2025-03-10")
    assert set(w.tolist()) == {dt.date(2025, 3, k) for k in range(1, 11)}


def test_bounds_also_give_a_range_to_a_parameter_without_one(kursk: ks.Scenario) -> None:
    d = sample(kursk, 64, "halton", paths=["ru.strength"], bounds={"ru.strength": [40_000, 60_000]}, seed=4)
    assert d["ru.strength"].min() >= 40_000 and d["ru.strength"].max() <= 60_000
    assert d["ru.strength"].max() - d["ru.strength"].min() > 18_000


def test_default_paths_sample_every_ranged_parameter(kursk: ks.Scenario) -> None:
    d = sample(kursk, 128, "lhs", seed=12)
    assert len(d.paths) == N_DECLARED_RANGES + 4 == 49
    assert d.paths == tuple(ranged_parameters(kursk))
    assert set(DISTRIBUTED) <= set(d.paths)
    for path, marginal in ranged_parameters(kursk).items():
        x = d[path]
        if isinstance(marginal, Distribution):
            lo, hi = marginal.support()
            if x.dtype.kind == "M":
                x = ordinal(x)
        else:
            lo, hi = marginal
        assert lo <= x.min() and x.max() <= hi, path
        assert len(np.unique(x)) > 10, path  # varied, not a constant
    assert d["kpa.second_wave.date"].dtype == d["modifiers.offensive.start"].dtype == np.dtype("datetime64[D]")
    assert d["ua.strength"].dtype == np.float64


@pytest.mark.parametrize("method", ["lhs", "sobol", "halton", "random"])
def test_same_seed_same_design(kursk: ks.Scenario, method: str) -> None:
    a = sample(kursk, 32, method, seed=99)
    b = sample(kursk, 32, method, seed=99)
    c = sample(kursk, 32, method, seed=100)
    assert a == b and a.fingerprint() == b.fingerprint()
    assert a != c and a.fingerprint() != c.fingerprint()


def test_unscrambled_sobol_ignores_the_seed(kursk: ks.Scenario) -> None:
    paths = ["kpa.second_wave.probability", "ua.replenishment.per_day"]
    a = sample(kursk, 8, "sobol", paths=paths, seed=1, scramble=False)
    assert a == sample(kursk, 8, "sobol", paths=paths, seed=2, scramble=False)
    # the plain Sobol sequence: 0, 1/2, 3/4, 1/4, ... (moved a hair into the open interval)
    u = (a["kpa.second_wave.probability"] - 0.1) / 0.5
    np.testing.assert_allclose(u, [0, 0.5, 0.75, 0.25, 0.375, 0.875, 0.625, 0.125], atol=1e-12)


# --------------------------------------------------------------------------- sample: errors


def test_unknown_path_suggests_the_right_one(kursk: ks.Scenario) -> None:
    with pytest.raises(ks.ScenarioError, match="did you mean 'ua.strength'") as err:
        sample(kursk, 8, paths=["ua.strenght"])
    assert err.value.path == "ua.strenght"
    with pytest.raises(ks.ScenarioError, match="did you mean 'ru.strength'") as err:
        sample(kursk, 8, paths=["ru.strength"], bounds={"ru.strenth": (1, 2)})
    assert err.value.path == "bounds.ru.strenth"


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("law.preset", "this choice is fixed for a run"),
        ("ru.return_to_duty.stages", "this int is fixed for a run"),
        ("ru.replenishment.start", "a parameter the scenario sets"),
    ],
)
def test_paths_that_cannot_vary_are_refused(kursk: ks.Scenario, path: str, words: str) -> None:
    with pytest.raises(ks.ScenarioError, match=words) as err:
        sample(kursk, 8, paths=[path])
    assert err.value.path == path


def test_a_path_without_range_or_distribution_is_refused(kursk: ks.Scenario) -> None:
    with pytest.raises(ks.ScenarioError) as err:
        sample(kursk, 8, paths=["ua.strength", "ru.strength"])
    assert err.value.path == "ru.strength"
    assert err.value.value == 50_000
    assert "declare one in the scenario (range = [low, high]) or pass bounds={path: (low, high)}" in str(err.value)


@pytest.mark.parametrize(
    ("path", "bounds"),
    [
        ("kpa.second_wave.probability", (0.5, 0.2)),
        ("kpa.second_wave.probability", (0.3, 0.3)),
        ("kpa.second_wave.probability", (0.1, float("inf"))),
        ("kpa.second_wave.probability", (float("nan"), 0.5)),
        ("kpa.second_wave.probability", (0.1,)),
        ("kpa.second_wave.probability", "0.1, 0.5"),
        ("kpa.second_wave.probability", ("2025-01-01", "2025-02-01")),
        ("kpa.second_wave.date", (1.0, 5.0)),
        ("kpa.second_wave.date", ("2025-03-01", "2025-02-01")),
        ("kpa.second_wave.date", ("2025-03-01", "spring")),
    ],
)
def test_bad_bounds_name_the_bounds(kursk: ks.Scenario, path: str, bounds: object) -> None:
    with pytest.raises(ks.ScenarioError) as err:
        sample(kursk, 8, paths=[path], bounds={path: bounds})
    assert err.value.path == f"bounds.{path}"


def test_bounds_of_a_path_not_sampled_are_refused(kursk: ks.Scenario) -> None:
    with pytest.raises(ks.ScenarioError, match="add it to paths") as err:
        sample(kursk, 8, paths=["ua.strength"], bounds={"ru.strength": (40_000, 60_000)})
    assert err.value.path == "bounds.ru.strength"


def test_bounds_outside_the_allowed_values_fail_the_check(kursk: ks.Scenario) -> None:
    with pytest.raises(ks.ScenarioError) as err:
        sample(kursk, 16, paths=["kpa.second_wave.probability"], bounds={"kpa.second_wave.probability": (0.5, 1.5)})
    # refused as given, before any point is drawn (it was found in a drawn point, a value nobody typed)
    assert err.value.path == "bounds.kpa.second_wave.probability"
    assert err.value.value == (0.5, 1.5)
    assert "allows (>= 0 and <= 1)" in str(err.value)


@pytest.mark.parametrize("method", ["LHS", "lhc", "montecarlo", None])
def test_bad_method(kursk: ks.Scenario, method: object) -> None:
    with pytest.raises(ValueError, match="^method: got .*'lhs', 'sobol', 'halton', 'random'"):
        sample(kursk, 8, method)  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [0, -4, 2.5, True, "8", None, float("nan")])
def test_bad_n(kursk: ks.Scenario, n: object) -> None:
    with pytest.raises(ValueError, match=r"^n: got .*, expected a whole number of points >= 1$"):
        sample(kursk, n)  # type: ignore[arg-type]


def test_n_as_whole_float_or_numpy_integer(kursk: ks.Scenario) -> None:
    assert len(sample(kursk, 8.0, "sobol", seed=1)) == 8  # type: ignore[arg-type]
    assert len(sample(kursk, np.int64(5), "lhs", seed=1)) == 5


# --------------------------------------------------------------------------- concat


def test_concat_appends_rows_and_normalises_column_order() -> None:
    a = Design({"x": [1.0, 2.0], "d": ["2025-01-01", "2025-01-02"]})
    b = Design({"d": ["2025-02-01"], "x": [3.0]})
    c = Design.concat([a, b, a])
    assert len(c) == len(a) + len(b) + len(a) == 5
    assert c.paths == ("x", "d")
    assert c["x"].tolist() == [1.0, 2.0, 3.0, 1.0, 2.0]
    assert c["d"][2] == day("2025-02-01")
    assert a + b == Design.concat([a, b])
    assert (a + b).paths == ("x", "d") and (b + a).paths == ("d", "x")


def test_concat_refuses_other_paths_or_kinds() -> None:
    a = Design({"x": [1.0], "y": [2.0]})
    with pytest.raises(ValueError, match=r"missing \['y'\], extra \['z'\]"):
        Design.concat([a, Design({"x": [1.0], "z": [2.0]})])
    with pytest.raises(ValueError, match="missing"):
        _ = a + Design({"x": [1.0]})
    with pytest.raises(ValueError, match="'y': design 1 holds dates, design 0 numbers"):
        _ = a + Design({"y": ["2025-01-01"], "x": [1.0]})
    with pytest.raises(ValueError, match="at least one design"):
        Design.concat([])
    with pytest.raises(TypeError):
        _ = a + {"x": [1.0], "y": [2.0]}


# --------------------------------------------------------------------------- round trips


def test_pandas_round_trip_is_exact(kursk: ks.Scenario) -> None:
    pd = pytest.importorskip("pandas")
    d = sample(kursk, 64, "lhs", seed=21)
    df = d.to_pandas()
    assert list(df.columns) == list(d.paths) and len(df) == 64
    assert pd.api.types.is_datetime64_any_dtype(df["kpa.second_wave.date"])
    assert df["kpa.second_wave.date"].iloc[0] == pd.Timestamp(d["kpa.second_wave.date"][0])
    assert Design.from_pandas(df) == d
    assert Design(df) == d
    assert Design(df).fingerprint() == d.fingerprint()


def test_from_pandas_refuses_times_of_day() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"kpa.second_wave.date": pd.to_datetime(["2025-02-01 00:00", "2025-02-01 06:00"])})
    with pytest.raises(ValueError, match="'kpa.second_wave.date'.*point 1.*a whole day"):
        Design(df)


def test_to_pandas_without_pandas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    with pytest.raises(
        ImportError, match=r"^this needs the optional dependency 'pandas': pip install 'kursk-sim\[pandas\]'$"
    ):
        Design({"x": [1.0]}).to_pandas()


def test_csv_round_trip_is_exact(kursk: ks.Scenario, tmp_path) -> None:
    d = sample(kursk, 50, "halton", seed=6)
    assert Design.read_csv(d.to_csv(tmp_path / "design.csv")) == d
    awkward = Design({"x": [0.1 + 0.2, 1 / 3, 1e-300, -2.5e17, 5e-324], "when": ["2025-01-01"] * 5})
    path = awkward.to_csv(tmp_path / "awkward.csv")
    back = Design.read_csv(path)
    assert back == awkward and back.fingerprint() == awkward.fingerprint()
    assert back["when"].dtype == np.dtype("datetime64[D]")
    assert path.read_text(encoding="utf-8").splitlines()[0] == "x,when"


def test_read_csv_errors_name_the_column_and_point(tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1.0,2025-01-01\n2.0,soon\n", encoding="utf-8")
    with pytest.raises(ValueError, match="'b': got 'soon' \\(point 1\\)"):
        Design.read_csv(bad)
    bad.write_text("a,b\n1.0,2.0\n3.0\n", encoding="utf-8")
    with pytest.raises(ValueError, match="point 1 has 1 values, expected 2"):
        Design.read_csv(bad)
    bad.write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="empty file"):
        Design.read_csv(bad)
    bad.write_text("a\n", encoding="utf-8")
    with pytest.raises(ValueError, match="'a': got no values"):
        Design.read_csv(bad)
