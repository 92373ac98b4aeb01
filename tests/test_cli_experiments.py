"""kursk-sim sweep and kursk-sim sensitivity: the tables printed, the files written, the same numbers as the
Python API, resuming from a store, and one-line errors."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

import kursk_sim as ks
from kursk_sim.cli import main

SHORT = ["--set", "end_date=2025-01-31"]  # a shorter horizon keeps the tests quick


def rows(path: Path) -> list[dict[str, str]]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


def test_sweep_grid_prints_tables_and_writes_what_the_api_gives(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kursk: ks.Scenario
) -> None:
    out = tmp_path / "sweep"
    args = ["sweep", "--grid", "kpa.second_wave.probability=0.3,1", "--grid", "ua.replenishment.per_day=30,120"]
    assert main([*args, "-n", "200", "--seed", "4", "--out", str(out), *SHORT]) == 0
    text = capsys.readouterr().out
    assert "4 points x 200 replications" in text and "paired differences from point 0" in text
    assert (out / "heatmap.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    design = ks.grid({"kpa.second_wave.probability": [0.3, 1.0], "ua.replenishment.per_day": [30.0, 120.0]})
    res = ks.sweep(kursk.replace({"end_date": dt.date(2025, 1, 31)}), design, 200, seed=4)
    table = rows(out / "table.csv")
    assert [float(r["P(ua_withdrawal)"]) for r in table] == res.probability("ua_withdrawal").values.tolist()
    means = [r for r in rows(out / "means.csv") if r["output"] == "strength" and r["contingent"] == "ua"]
    last = [float(r["mean"]) for r in means if r["date"] == "2025-01-31"]
    np.testing.assert_allclose(last, res.mean("strength").sel(contingent="ua").values[:, -1], rtol=1e-5)
    assert ks.Design.read_csv(out / "design.csv") == design
    points = rows(out / "points.csv")
    assert [int(p["replications"]) for p in points] == [200] * 4


def test_sweep_sample_and_resume_from_a_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "store"
    args = ["sweep", "--sample", "lhs:6", "--path", "defender.lethality", "--path", "ua.strength", "-n", "50"]
    args += ["--store", str(store), *SHORT]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    first = capsys.readouterr().out
    assert not (tmp_path / "a" / "heatmap.png").exists()  # a sample is not a grid
    chunks = sorted(store.glob("chunk-*.npz"))
    stamps = [p.stat().st_mtime_ns for p in chunks]
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    second = capsys.readouterr().out
    assert [p.stat().st_mtime_ns for p in sorted(store.glob("chunk-*.npz"))] == stamps  # nothing run again
    assert first.split("\n\n")[0] == second.split("\n\n")[0]  # the same table
    assert main([*args, "--seed", "2", "--out", str(tmp_path / "c")]) == 2
    assert "holds a different sweep" in capsys.readouterr().err


def test_sensitivity_prints_rankings_and_writes_indices(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sens"
    args = ["sensitivity", "--output", "strength.ua@2025-01-15", "--output", "ua_withdrawal@2025-01-31", "-N", "16"]
    args += ["-n", "2", "--path", "defender.lethality", "--path", "ua.replenishment.per_day", "--path", "kpa.exposure"]
    assert main([*args, "--seed", "3", "--out", str(out), *SHORT]) == 0
    text = capsys.readouterr().out
    assert "sobol sensitivity of strength.ua@2025-01-15 (troops): 3 parameters, n=16" in text
    assert (out / "tornado.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    indices = rows(out / "indices.csv")
    assert len(indices) == 6 and {"first", "total", "total_ci_low", "total_ci_high"} <= set(indices[0])
    ranking = [r["parameter"] for r in rows(out / "ranking_1.csv")]
    assert sorted(ranking) == ["defender.lethality", "kpa.exposure", "ua.replenishment.per_day"]
    assert main([*args, "--method", "morris", "-N", "4", "--out", str(tmp_path / "m"), *SHORT]) == 0
    assert "morris sensitivity" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sweep", "--grid", "kpa.second_wave.probabilty=0.3,1"], "did you mean 'kpa.second_wave.probability'"),
        (["sweep", "--grid", "kpa.second_wave.probability"], "expected PATH=V1,V2"),
        (["sweep", "--sample", "lhs"], "expected METHOD:N"),
        (["sweep", "--sample", "sobol:10"], "power of two"),
        (["sweep", "--grid", "kpa.second_wave.probability=0.3,1.5"], "(point 1)"),
        (["sweep", "--sample", "lhs:4", "--heatmap", "area@2025-01-01"], "needs a grid of two parameters"),
        (["sensitivity", "--output", "aera@2025-01-01"], "expected one of the outputs"),
        (["sensitivity", "--output", "area@2025-01-01", "-N", "12"], "power of two"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = None
    try:
        code = main([*args, "--out", str(tmp_path), "-n", "2", *SHORT])
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_fit_prints_tables_and_writes_the_fitted_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "fit"
    args = [
        "fit",
        "kursk-2024",
        "kursk-2024-article",
        "--param",
        "territory.advance_km2_per_day=1:6",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "territory.advance_km2_per_day" in text and "estimated" in text and "residuals" in text
    fitted = ks.load_scenario(out / "fitted.toml")
    estimate = float(rows(out / "parameters.csv")[0]["estimate"])
    assert fitted.get("territory.advance_km2_per_day") == pytest.approx(estimate)
    assert len(rows(out / "residuals.csv")) == 3
    assert (out / "fit.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["fit", "kursk-2024", "kursk-2024-article", "--param", "territory.advnce=1:6"]) == 2
    assert "did you mean 'territory.advance_km2_per_day'" in capsys.readouterr().err


def test_abc_prints_the_posterior_and_writes_the_calibrated_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "abc"
    args = ["abc", "kursk-2024", "kursk-2024-article", "--param", "territory.advance_km2_per_day"]
    args += ["--param", "kpa.exposure=2:5", "--particles", "400", "--populations", "3", "--out", str(out)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "ABC-SMC populations" in text and "uniform(1.5, 6)" in text and "uniform(2, 5)" in text
    posterior = rows(out / "posterior.csv")
    assert abs(sum(float(r["weight"]) for r in posterior) - 1.0) < 1e-9
    calibrated = ks.load_scenario(out / "calibrated.toml")
    value = calibrated.get("kpa.exposure")
    assert isinstance(value, ks.Empirical) and len(value.values) == len(posterior)
    assert [float(r["kpa.exposure"]) for r in posterior] == list(value.values)
    for png in ("pairs.png", "predictive.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(rows(out / "populations.csv")) == 3
