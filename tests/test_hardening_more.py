"""More bad or extreme input through the three doors (issue 13, hidden cases): each one clear error, or accepted.

Each test generates several instances of one class of defect found by a
review after the first hardening pass (tests/test_hardening.py).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import kursk_sim as ks
from kursk_sim import cli
from kursk_sim.observations import load_observations

ROOT = Path(__file__).resolve().parents[1]
KURSK = ks.load_scenario("kursk-2024")
EXAMPLE = ROOT / "examples" / "my_scenario.toml"


# ------------------------------------------- the Scenario.replace wrapper never shows; bad paths and changes


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        ("ua.strenght", 5, "ua.strenght"),
        ("territory.initial_area", 600, "territory.initial_area"),
        ("modifiers", 5, "modifiers"),
        ("schedules", [1], "schedules"),
        ("modifiers.x", 5, "modifiers.x"),
        ("kpa.second_wave", 3, "kpa.second_wave"),
        ("law", "square", "law"),
        ("noise.foo", True, "noise.foo"),
    ],
)
def test_a_replaced_value_is_shown_as_given(path: str, value: Any, where: str) -> None:
    with pytest.raises(ks.ScenarioError) as err:
        KURSK.replace({path: value})
    assert err.value.path == where and err.value.value == value, err.value
    assert "'note'" not in str(err.value) and "set with Scenario.replace" not in str(err.value)


@pytest.mark.parametrize("path", ["", ".", "ua.", ".ua.strength", "ua..strength"])
def test_a_path_with_an_empty_part_is_refused(path: str) -> None:
    with pytest.raises(ks.ScenarioError, match="without empty parts"):
        KURSK.replace({path: 5})


@pytest.mark.parametrize("changes", [None, [("ua.strength", 5)], "ua.strength=5", 5])
def test_changes_that_are_not_a_mapping_are_a_type_error(changes: Any) -> None:
    with pytest.raises(TypeError, match="^changes: got"):
        KURSK.replace(changes)


@pytest.mark.parametrize("value", [np.array(15000.0), np.array(15000), np.array(15000, dtype=np.float32)])
def test_a_zero_dimensional_array_is_a_number(value: Any) -> None:
    assert KURSK.replace({"ua.strength": value}).get("ua.strength") == 15000.0


@pytest.mark.parametrize("value", [np.array([15000.0]), np.array([[1.0]]), np.array("15000")])
def test_an_array_of_more_is_not_a_number(value: Any) -> None:
    with pytest.raises(ks.ScenarioError, match=r"^ua\.strength: .*a number"):
        KURSK.replace({"ua.strength": value})


# ------------------------------------------------------------------ declared ranges


@pytest.mark.parametrize(
    "rng",
    [["a", "b"], [9000, 1000], [5, 5], [math.nan, 1], [0, math.inf], [True, 2], ["2025-01-01", 5], [{}, 1]],
)
def test_a_declared_range_is_two_ordered_numbers_or_dates(rng: list[Any]) -> None:
    with pytest.raises(ks.ScenarioError, match=r"^ua\.strength\.range: "):
        KURSK.replace({"ua.strength": {"value": 20000, "range": rng}})


@pytest.mark.parametrize(
    ("path", "rng"),
    [("ua.strength", [1000, 30000]), ("ua.strength", [0, 1]), ("kpa.second_wave.size", [0.5, 1e4])],
)
def test_a_good_range_is_kept(path: str, rng: list[Any]) -> None:
    sc = KURSK.replace({path: {"value": KURSK.get(path), "range": rng}})
    assert sc.provenance[path].range == tuple(rng)


def test_a_range_on_a_choice_is_refused() -> None:
    with pytest.raises(ks.ScenarioError, match=r"^noise\.kind\.range: .*no range"):
        KURSK.replace({"noise.kind": {"value": "binomial", "range": [0, 1]}})


# ------------------------------------------ distributions that would draw nonsense without a word


@pytest.mark.parametrize(
    "dist",
    [
        {"dist": "normal", "mean": 0, "sd": 1, "low": 100, "high": 200},
        {"dist": "normal", "mean": 1, "sd": 1, "low": 40},
        {"dist": "normal", "mean": 0, "sd": 1, "low": 8.5, "high": 9},
        {"dist": "normal", "mean": 10, "sd": 0.01, "low": 5000, "high": 6000},
        {"dist": "normal", "mean": 30000, "sd": 1, "low": 100, "high": 200},
    ],
)
def test_a_truncation_too_far_in_a_tail_is_refused(dist: dict[str, Any]) -> None:
    """Far in the upper tail every draw would be the bound itself (the inverse CDF cannot resolve it)."""
    with pytest.raises(ks.ScenarioError, match=r"^ua\.strength: .*that can be drawn: it lies too far in a tail"):
        KURSK.replace({"ua.strength": dist})


@pytest.mark.parametrize(
    "dist",
    [
        {"dist": "normal", "mean": 0, "sd": 1, "low": 0, "high": 5},
        {"dist": "normal", "mean": 20000, "sd": 5000, "low": 12000, "high": 13000},
        {"dist": "normal", "mean": 0, "sd": 1, "low": 6, "high": 7},
    ],
)
def test_a_truncation_in_the_tail_that_can_be_drawn_is_accepted(dist: dict[str, Any]) -> None:
    d = KURSK.replace({"ua.strength": dist}).get("ua.strength")
    x = d.sample(np.random.default_rng(1), 1000)
    assert np.unique(x).size > 900 and (x >= dist["low"]).all()


@pytest.mark.parametrize("weights", [[1e308, 1e308], [1e308, 1e308, 1.0], [9e307] * 3])
def test_weights_whose_sum_overflows_are_refused(weights: list[float]) -> None:
    dist = {"dist": "empirical", "values": [1000.0 * (i + 1) for i in range(len(weights))], "weights": weights}
    with pytest.raises(ks.ScenarioError, match=r"^ua\.strength\.weights: .*finite sum"):
        KURSK.replace({"ua.strength": dist})


# ----------------------------------------- areas: runs the same with and without the sketch, or refused


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("territory.initial_area_km2", 1e13),
        ("territory.initial_area_km2", 1e300),
        ("territory.initial_area_km2", {"dist": "lognormal", "median": 600, "sigma": 4.0}),
        ("territory.reference_area_km2", 1e20),
        ("withdrawal.area_below_km2", 1e12),
        ("encirclement.area_below_km2", 1e15),
    ],
)
def test_areas_beyond_the_earth_are_refused(path: str, value: Any) -> None:
    with pytest.raises(ks.ScenarioError, match=path.replace(".", r"\.") + ".*<= 1e\\+09"):
        KURSK.replace({path: value})


def test_the_largest_area_runs_with_and_without_the_sketch() -> None:
    big = KURSK.replace({"territory.initial_area_km2": 1e9, "territory.reference_area_km2": 1e9})
    sketched = ks.simulate(big, 20, seed=2, trajectories=False)
    kept = ks.simulate(big, 20, seed=2)
    np.testing.assert_array_equal(sketched.mean("area").values, kept.mean("area").values)
    assert np.isfinite(sketched.quantiles("area").values).all()


# ---------------------------------------------------------------- side ids name events


@pytest.mark.parametrize(
    ("role", "bad"), [(r, b) for r in ("attacker", "defender") for b in ("", "r u", "1ru", "ru-x")]
)
def test_a_side_id_that_cannot_name_an_event_is_refused(role: str, bad: str) -> None:
    with pytest.raises(ks.ScenarioError, match=rf"^{role}\.id: "):
        KURSK.replace({f"{role}.id": bad})


# ---------------------------------------------------------------- a modifier target without a multiplier


@pytest.mark.parametrize("target", ["ua", "ru", "territory", "attacker", "defender"])
def test_a_modifier_target_without_a_multiplier_is_refused(target: str) -> None:
    mod = {"profile": "step", "start": "2025-01-10", "multiply": {target: {}}}
    with pytest.raises(ks.ScenarioError, match=rf"^modifiers\.x\.multiply\.{target}: .*a multiplier"):
        KURSK.replace({"modifiers.x": mod})


# ------------------------------------------------------------------ schedule files


def _with_schedule(tmp_path: Path, content: bytes | None, file: str = '"rot.csv"') -> Path:
    if content is not None:
        (tmp_path / "rot.csv").write_bytes(content)
    scenario = tmp_path / "s.toml"
    text = EXAMPLE.read_text(encoding="utf-8") + f'\n[schedules.r]\ntarget = "bde.flow"\nfile = {file}\n'
    scenario.write_text(text, encoding="utf-8")
    return scenario


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"date,value\n2030-04-10\n", "2 cells in row 1"),
        (b"date,value\n2030-04-10,5,6,7\n", "2 cells in row 1"),
        (b"date,value\n2030-04-10,\xff\xfe\n", "binary or in another encoding"),
        (b"\x00\x01\x02date,value\n", "binary"),
        (b"date,value,date\n2030-04-10,5,2030-04-11\n", "each once"),
        (b"Date,Value\n2030-04-10,5\n", "its header is \\['Date', 'Value'\\]"),
        (b"date,value\n2030-04-10,many\n", "a number in the value column of row 1, not 'many'"),
    ],
)
def test_a_malformed_schedule_file_is_one_scenario_error(tmp_path: Path, content: bytes, expected: str) -> None:
    with pytest.raises(ks.ScenarioError, match=rf"^schedules\.r\.file: .*{expected}"):
        ks.load_scenario(_with_schedule(tmp_path, content))


@pytest.mark.parametrize("file", ["5", '["rot.csv"]', '""', "true"])
def test_a_schedule_file_that_is_not_a_path_is_refused(tmp_path: Path, file: str) -> None:
    with pytest.raises(ks.ScenarioError, match=r"^schedules\.r\.file: .*the path of a CSV file"):
        ks.load_scenario(_with_schedule(tmp_path, b"date,value\n2030-04-10,5\n", file))


def test_a_schedule_file_that_is_a_directory_says_so(tmp_path: Path) -> None:
    (tmp_path / "rot.csv").mkdir()
    with pytest.raises(ks.ScenarioError, match="not a directory"):
        ks.load_scenario(_with_schedule(tmp_path, None))


@pytest.mark.parametrize(
    "content",
    [
        b"\xef\xbb\xbfdate,value\n2030-04-10,5\n",  # a byte-order mark, as Excel writes
        b"date,value,note\n2030-04-10,5,surge\n",
        b" date , value \n2030-04-10 , 5\n",
        b"date,value\n\n2030-04-10,5\n\n",
        b"value,date\r\n5,2030-04-10\r\n",
    ],
)
def test_a_schedule_file_as_spreadsheets_write_it_is_read(tmp_path: Path, content: bytes) -> None:
    sc = ks.load_scenario(_with_schedule(tmp_path, content))
    assert sc.schedules["r"].dates == (dt.date(2030, 4, 10),) and sc.schedules["r"].values == (5.0,)


# ---------------------------------------------------------------------- observation files

HEADER = "date,start,output,contingents,kind,value,sd,low,high,source,note\n"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("o.csv", HEADER + "2025-01-01,,area,,state,  ,,,,src,\n", r"row 1\.value: .*required"),
        ("o.csv", HEADER + "2025-01-01,,ua_withdrawal,,event_by, ,,,,src,\n", r"row 1\.value: .*required"),
        ("o.csv", HEADER + "2025-01-01,,area,,state,5,,,,src,,extra\n", "row 1: .*no more cells than the header"),
        ("o.csv", HEADER + "2025-01-01,,area,,state,\xff,,,,src,\n", "binary or in another encoding"),
        ("o.toml", "observation = [1, 2]\n", r"row 1: got 1, expected a table"),
        ("o.toml", 'observation = ["a"]\n', r"row 1: got 'a', expected a table"),
    ],
)
def test_a_malformed_observation_file_is_one_scenario_error(
    tmp_path: Path, name: str, content: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content.encode("latin-1"))  # \xff: not UTF-8
    with pytest.raises(ks.ScenarioError, match=expected):
        load_observations(path)


@pytest.mark.parametrize("date", ["2024-11-23", "2024-01-01", "2000-06-30"])
@pytest.mark.parametrize("output", ["area,", "casualties,kpa"])
def test_a_figure_before_the_run_is_refused_not_read_from_its_end(tmp_path: Path, date: str, output: str) -> None:
    path = tmp_path / "o.csv"
    path.write_text(HEADER + f"{date},,{output},state,500,,,,src,\n", encoding="utf-8")
    with pytest.raises(ks.ScenarioError, match=r"row 1\.date: .*inside the run"):
        load_observations(path).check(KURSK)


def test_observations_with_a_byte_order_mark_are_read(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + "2025-01-01,,area,,state,500,,,,src,\n").encode())
    load_observations(path).check(KURSK)


def test_observations_in_a_directory_say_so(tmp_path: Path) -> None:
    with pytest.raises(ks.ScenarioError, match="not a directory"):
        load_observations(tmp_path)


# --------------------------------------------------------------- results: arguments named and checked

ENS = ks.simulate(KURSK, 20, seed=1)


@pytest.mark.parametrize("q", ["0.5", [True], [0.5, "x"], b"1", [None]])
@pytest.mark.parametrize("method", ["quantiles", "summary", "event_quantiles", "to_dataframe"])
def test_probabilities_that_are_not_numbers_are_refused(method: str, q: Any) -> None:
    args = {"quantiles": ("area",), "event_quantiles": ("ua_withdrawal",)}.get(method, ())
    with pytest.raises(ValueError, match="^q: got"):
        getattr(ENS, method)(*args, q=q)


@pytest.mark.parametrize("q", [(1.5,), (-0.1, 0.5), (math.nan,), ()])
def test_summary_probabilities_are_checked(q: Any) -> None:
    with pytest.raises(ValueError, match="^q: got"):
        ENS.summary(q=q)


@pytest.mark.parametrize("q", [(0.1, 0.5), (0.5,), (0.1, 0.2, 0.5, 0.9)])
def test_a_projection_band_is_three_probabilities(q: Any) -> None:
    with pytest.raises(ValueError, match="^q: got .*three probabilities"):
        ENS.projection(q=q)


@pytest.mark.parametrize(
    ("dates", "error"),
    [
        ("2025-01-01", TypeError),
        (dt.date(2025, 1, 1), TypeError),
        ([], ValueError),
        (["tomorrow"], ValueError),
        ([5], ValueError),
        ([2025.0], ValueError),
        ([None], ValueError),
    ],
)
def test_projection_dates_are_checked(dates: Any, error: type) -> None:
    with pytest.raises(error, match="^dates: got"):
        ENS.projection(dates=dates)


@pytest.mark.parametrize("by", [5, 5.5, "soon", ["2025-01-01"], np.datetime64("NaT"), True])
def test_a_probability_by_what_is_not_a_date_is_refused(by: Any) -> None:
    with pytest.raises(ValueError, match="^by: got"):
        ENS.probability("ua_withdrawal", by=by)


@pytest.mark.parametrize(
    "by", ["2025-03-01", dt.date(2025, 3, 1), dt.datetime(2025, 3, 1, 12), np.datetime64("2025-03-01")]
)
def test_a_probability_by_a_date_in_any_form(by: Any) -> None:
    assert ENS.probability("ua_withdrawal", by=by) == ENS.probability("ua_withdrawal", by="2025-03-01")


def test_an_export_to_a_bad_destination_is_one_clear_error(tmp_path: Path) -> None:
    afile = tmp_path / "f.txt"
    afile.write_text("x")
    with pytest.raises(ValueError, match="^directory: .*exists and is not one"):
        ENS.export(afile)
    with pytest.raises(ValueError, match="^directory: cannot create"):
        ENS.export(afile / "sub")
    for bad in (None, 5, "", True):
        with pytest.raises(TypeError, match="^directory: got"):
            ENS.export(bad)  # type: ignore[arg-type]


# ------------------------------------------------------------- the command line: one line, exit 2


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--set", "=5"],
        ["run", "--set", " = 5"],
        ["sweep", "--grid", "ua.strength=1000,2000", "--grid", "ua.strength=3000"],
        ["sweep", "--grid", "ua.strength=1000", "--grid", "ru.strength=1", "--grid", "ua.strength=3000"],
        ["fit", "kursk-2024", "kursk-2024-article", "--param", "ua.strength=1:2", "--start", "ua.strength=abc"],
        ["fit", "kursk-2024", "kursk-2024-article", "--param", "ua.strength=1:2", "--start", "ua.strength=true"],
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    try:
        code = cli.main([*argv, "--out", str(tmp_path / "o")])
    except SystemExit as stop:  # argparse's own errors
        code = stop.code
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and err.strip().splitlines()[-1].startswith("kursk-sim"), err
    assert "'note'" not in err and not (tmp_path / "o").exists()


# ---------------------------------------------------------------- simulate's own arguments, a sweep's store
@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"executor": 5}, "executor"),
        ({"executor": "dask"}, "executor"),
        ({"progress": "yes"}, "progress"),
        ({"progress": 1}, "progress"),
        ({"extra_processes": 5}, "extra_processes"),
        ({"extra_processes": "f"}, "extra_processes"),
        ({"extra_processes": [5]}, r"extra_processes\[0\]"),
    ],
)
def test_simulate_arguments_of_the_wrong_type_are_named(kwargs: dict, named: str) -> None:
    sc = ks.load_scenario("kursk-2024")
    with pytest.raises(TypeError, match=f"^{named}: got"):
        ks.simulate(sc, 4, seed=1, **kwargs)


def test_a_store_that_cannot_be_created_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    from kursk_sim.store import SweepStore

    with pytest.raises(ValueError, match="^store: got .* could not create the folder"):
        SweepStore(blocker / "inside", {"a": 1})


# ---------------------------------------------------------------- a pocket that holds out a subnormal time
@pytest.mark.parametrize("noise", ["binomial", "none"])
def test_a_subnormal_collapse_time_runs_without_a_warning(noise: str) -> None:
    """``collapse_days = 1e-310`` (found by the property suite): 1 / days overflows to inf, which is meant
    (the pocket is lost the day it is cut off); no RuntimeWarning may escape, and every encircled front ends."""
    sc = ks.load_scenario("kursk-2024").replace(
        {"encirclement.collapse_days": 1e-310, "encirclement.daily_hazard": 0.5, "noise.kind": noise}
    )
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ens = ks.simulate(sc, 64, seed=3, progress=False)
    assert np.isfinite(ens.final["strength"]).all() and (ens.final["strength"] >= 0).all()
    if noise == "binomial":
        cut = ens.event_day("ua_encirclement")
        assert np.isfinite(cut).any()  # the rule acted
        area = ens.trajectory("area").values[:, -1]
        assert (area[np.isfinite(cut)] == 0.0).all()  # and each pocket was lost


# ---------------------------------------------------------------- a third round of hidden cases
def _main(argv: list[str]) -> int:
    try:
        return cli.main(argv)
    except SystemExit as stop:  # argparse's own errors
        return int(stop.code or 0)


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "-n", "0"],
        ["run", "--set", "="],
        ["run", "--outputs="],
        ["run", "--out", ""],
        ["run", "--out", "   "],
        ["sweep", "--grid", "ua.strength=1000,,2000"],
        ["sweep", "--grid", "ua.strength=1000,"],
        ["run", "--set", "end_date=2025-05-31T12:00:00"],
        ["run", "--set", "end_date=2025-05-31T00:00:00+05:00"],
    ],
)
def test_argument_errors_are_exactly_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """Parser errors too are one line, exit 2 (no usage block); an empty --out is not the current folder."""
    monkeypatch.chdir(tmp_path)
    code = _main(argv)
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and err.startswith("kursk-sim"), err
    assert list(tmp_path.iterdir()) == []  # nothing written, here or anywhere below


def test_a_sweep_of_one_replication_shows_no_nan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With one replication a standard error is undefined: '-' in the tables, never 'nan' with exit 0."""
    argv = ["sweep", "--grid", "ua.strength=15000,20000", "-n", "1", "--out", str(tmp_path / "o")]
    assert _main(argv) == 0
    out = capsys.readouterr().out
    assert "nan" not in out.lower() and "± -" in out


def test_a_date_distribution_takes_a_spread_in_days_and_no_empirical_values() -> None:
    sc = ks.load_scenario("kursk-2024")
    date_sd = {"dist": "normal", "mean": dt.date(2025, 3, 1), "sd": dt.date(2025, 1, 1)}
    with pytest.raises(ks.ScenarioError, match=r"^kpa\.second_wave\.date\.sd: got 2025-01-01, expected a number"):
        sc.replace({"kpa.second_wave.date": date_sd})
    with pytest.raises(ks.ScenarioError, match=r"^kpa\.second_wave\.date\.sd: got '2025-01-01', expected a number"):
        sc.replace({"kpa.second_wave.date": {"dist": "normal", "mean": "2025-03-01", "sd": "2025-01-01"}})
    for values in ([dt.date(2025, 3, 1), dt.date(2025, 3, 5)], [5, 6]):
        with pytest.raises(ks.ScenarioError, match="empirical") as err:
            sc.replace({"kpa.second_wave.date": {"dist": "empirical", "values": values}})
        assert err.value.path.startswith("kpa.second_wave.date")
    ok = sc.replace({"kpa.second_wave.date": {"dist": "normal", "mean": "2025-03-01", "sd": 5, "low": "2025-02-01"}})
    assert ok.to_dict()["kpa"]["second_wave"]["date"]["sd"] == 5


@pytest.mark.parametrize(
    "when", [dt.datetime(2025, 5, 31, 12, 0), np.datetime64("2025-05-31T12"), "2025-05-31T12:00:00"]
)
def test_a_time_of_day_is_refused_not_dropped(when: Any) -> None:
    sc = ks.load_scenario("kursk-2024")
    with pytest.raises(ks.ScenarioError, match="^end_date: got .*without a time of day|^end_date: got .*a date"):
        sc.replace({"end_date": when})
    assert sc.replace({"end_date": dt.datetime(2025, 5, 31)}).end_date == dt.date(2025, 5, 31)  # midnight: a date


# ---------------------------------------------------------------- plots given the wrong things
@pytest.fixture(scope="module")
def small_run() -> ks.Ensemble:
    return ks.simulate(ks.load_scenario("kursk-2024"), 20, seed=1, progress=False)


@pytest.mark.parametrize(
    ("call", "error", "named"),
    [
        (lambda e, ax: ks.plot.tornado(e), TypeError, "^result: got Ensemble, expected a SensitivityResult"),
        (lambda e, ax: ks.plot.posterior_pairs(e), TypeError, "^result: got Ensemble, expected an ABCResult"),
        (lambda e, ax: ks.plot.sweep_heatmap(e, "ua_withdrawal", x="a", y="b"), TypeError, "^result: got Ensemble"),
        (lambda e, ax: ks.plot.fan(e.scenario), TypeError, "^ensemble: got Scenario, expected an Ensemble"),
        (lambda e, ax: ks.plot.territory(5), TypeError, "^ensemble: got int"),
        (lambda e, ax: ks.plot.fan(e, ax=5), TypeError, "^ax: got 5, expected a matplotlib Axes"),
        (lambda e, ax: ks.plot.projection_figure(e, fig=3), TypeError, "^fig: got 3, expected a matplotlib Figure"),
        (lambda e, ax: ks.plot.fan(e, bands=(0.05, 0.95)), ValueError, r"^bands: got \(0.05, 0.95\)"),
        (lambda e, ax: ks.plot.fan(e, bands=[(0.05, 0.5, 0.95)]), ValueError, "^bands: got"),
        (lambda e, ax: ks.plot.style(ax, grid="diag"), ValueError, "^grid: got 'diag'"),
    ],
)
def test_plots_name_the_argument_they_cannot_use(small_run: ks.Ensemble, call: Any, error: type, named: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    try:
        with pytest.raises(error, match=named):
            call(small_run, ax)
    finally:
        plt.close("all")


# ---------------------------------------------------------------- fit, abc and sensitivity arguments
FIT = ["fit", "kursk-2024", "kursk-2024-article"]
ABC = ["abc", "kursk-2024", "kursk-2024-article", "--particles", "20", "--populations", "1"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            [*FIT, "--param", "defender.lethality=0.005:0.05", "--start", "ru.strength=1"],
            "start.ru.strength: got 1.0, expected a starting value of a fitted parameter",
        ),
        (
            [*FIT, "--param", "defender.lethality=0.005:0.05", "--param", "defender.lethality=0.01:0.02"],
            "--param: got defender.lethality more than once",
        ),
        (
            [
                *FIT,
                "--param",
                "defender.lethality=0.005:0.05",
                "--start",
                "defender.lethality=0.01",
                "--start",
                "defender.lethality=0.02",
            ],
            "--start: got defender.lethality more than once",
        ),
        ([*FIT, "--param", "kpa.second_wave.probability=0:2"], r"allows \(>= 0 and <= 1\)"),
        ([*FIT, "--param", "defender.lethality=-1:0.05"], r"params.defender.lethality: got \(-1.0, 0.05\)"),
        ([*FIT, "--param", "ua.strength=1000:2000"], r"\[1000, 2000\] \(the scenario's value"),
        ([*ABC, "--param", "defender.lethality=-1:0.05"], r"bounds.defender.lethality: got \(-1.0, 0.05\)"),
        ([*ABC, "--param", "defender.lethality=0:0.1", "--param", "defender.lethality=0:0.2"], "more than once"),
        (["sensitivity", "--output", "area@2025-03-01", "-N", "1", "-n", "2"], "^kursk-sim: error: -N: got 1"),
        (["sweep", "--sample", "lhs:2", "--path", "ua.strength", "--path", "ua.strength"], "--path: got ua.strength"),
    ],
)
def test_experiment_arguments_are_checked_before_any_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """Given but unused (a start of a parameter not fitted), given twice, bounds the parameter cannot take, or
    an error naming the function's argument rather than the option: each one line naming what was given."""
    code = _main([*argv, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert re.search(message, err), err
    assert not (tmp_path / "o").exists()


# ---------------------------------------------------------------- messages that pointed the wrong way
@pytest.mark.parametrize(
    ("changes", "path", "words"),
    [
        ({"ua.against": {"kpa": 5}}, "ua.against.kpa", "expected a FireOn table"),  # was "known keys []"
        ({"kpa.second_wave": 5}, "kpa.second_wave", "or a Wave table"),  # an existing wave set to a number
        ({"ua.return_to_duty.stages": {"dist": "uniform", "low": 1, "high": 3}}, "ua.return_to_duty.stages", "fixed"),
    ],
)
def test_messages_name_what_the_key_is(changes: dict, path: str, words: str) -> None:
    with pytest.raises(ks.ScenarioError) as err:
        ks.load_scenario("kursk-2024").replace(changes)
    assert err.value.path == path and words in str(err.value), str(err.value)
    assert "'note'" not in str(err.value)  # the provenance Scenario.replace adds is not the user's text


@pytest.mark.parametrize(("key", "path"), [("b.de", "b.de"), ("", "''")])
def test_a_bad_contingent_name_has_no_leading_dot(key: str, path: str) -> None:
    data = ks.load_scenario("kursk-2024").to_dict()
    data[key] = data["kpa"]
    with pytest.raises(ks.ScenarioError, match="letters, digits and _") as err:
        ks.Scenario.from_dict(data)
    assert err.value.path == path


def test_repeated_probabilities_are_refused() -> None:
    ens = ks.simulate(ks.load_scenario("kursk-2024"), 10, seed=1, progress=False)
    for call in (lambda: ens.quantiles("area", q=[0.5, 0.5]), lambda: ens.summary(q=[0.05, 0.5, 0.5])):
        with pytest.raises(ValueError, match=r"^q: got .*, expected distinct probabilities"):
            call()
