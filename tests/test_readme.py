"""The README stays true: its set-up commands, its defaults table, its tour."""

from __future__ import annotations

import re
from pathlib import Path

import kursk_sim as ks
from kursk_sim.scenario import _fmt_value

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _code_blocks(text: str) -> list[str]:
    return re.findall(r"```(?:\w*)\n(.*?)```", text, flags=re.S)


def test_ci_runs_exactly_the_readme_test_command() -> None:
    blocks = [b.strip() for b in _code_blocks(README)]
    test_cmd = next(b for b in blocks if "pytest" in b and b.startswith("python3 -m venv"))
    run_cmd = next(b for b in blocks if "kursk-sim run" in b and b.startswith("python3 -m venv"))
    assert run_cmd.endswith(".venv/bin/kursk-sim run")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_cmd in ci.splitlines()


def test_defaults_table_matches_the_scenario(kursk: ks.Scenario) -> None:
    section = README.split("## The default scenario", 1)[1]
    rows = dict(re.findall(r"^\| `([^`]+)` \| (.*?) \|", section, flags=re.M))
    params = kursk.parameters()
    assert len(rows) == len(params)
    for path, value, _unit, _source in params:
        assert rows[path] == _fmt_value(value), path


def test_tour_runs_as_written(tmp_path: Path, monkeypatch) -> None:
    """Execute the README's Python tour (with fewer replications) and check its claims."""
    monkeypatch.chdir(tmp_path)
    tour = next(b for b in _code_blocks(README) if b.startswith("import kursk_sim as ks"))
    tour = tour.replace("20_000", "500")
    namespace: dict = {}
    exec(compile(tour, "README tour", "exec"), namespace)  # noqa: S102
    ens = namespace["ens"]
    assert ens.replications == 500 and namespace["one"].replications == 1
    assert ens.scenario.get("kpa.second_wave.probability") == 1.0
    assert (tmp_path / "results" / "summary.csv").is_file()
    assert namespace["band"].dims == ("quantile", "date")


def test_scenario_reference_is_current() -> None:
    import runpy

    module = runpy.run_path(str(ROOT / "docs" / "make_reference.py"))
    assert (ROOT / "docs" / "scenario_reference.md").read_text(encoding="utf-8") == module["reference"]()


def test_experiments_tour_runs_as_written(tmp_path: Path, monkeypatch) -> None:
    """Execute the README's experiments block (fewer replications and samples) and check its claims."""
    monkeypatch.chdir(tmp_path)
    block = next(b for b in _code_blocks(README) if b.startswith("# values per replication"))
    for big, small in (("replications=2000", "replications=60"), ("n=2048", "n=8"), ("workers=2", "workers=None")):
        assert big in block
        block = block.replace(big, small)
    namespace: dict = {}
    setup = "import numpy as np\nimport kursk_sim as ks\nsc = ks.load_scenario('kursk-2024')\n"
    exec(compile(setup + block, "README experiments", "exec"), namespace)  # noqa: S102
    res, sens = namespace["res"], namespace["sens"]
    assert res.n_points == 4 and (res.completed == 60).all()
    assert len(namespace["lhs"]) == 64
    assert (tmp_path / "runs" / "levers" / "manifest.json").is_file()
    assert len(sens.paths) == 49 and sens.points == 8 * 51
    assert namespace["ens"].values["defender.lethality"].shape == (1000,)


def test_calibration_block_runs_as_written() -> None:
    block = next(b for b in _code_blocks(README) if b.startswith("obs = ks.load_observations"))
    namespace: dict = {}
    setup = "import kursk_sim as ks\nsc = ks.load_scenario('kursk-2024')\n"
    exec(compile(setup + block, "README calibration", "exec"), namespace)  # noqa: S102
    fitted = namespace["fitted"]
    assert fitted.status["territory.advance_km2_per_day"] == "estimated" and fitted.converged
    assert namespace["run"].rows == 2


def test_abc_block_runs_as_written() -> None:
    block = next(b for b in _code_blocks(README) if b.startswith("post = ks.abc("))
    block = block.replace("particles=4000", "particles=300").replace("workers=2", "workers=None")
    block = block.replace("post.predictive(2000)", "post.predictive(200)")
    namespace: dict = {}
    setup = "import kursk_sim as ks\nsc = ks.load_scenario('kursk-2024')\nobs = ks.load_observations('kursk-2024-article')\n"
    exec(compile(setup + block, "README abc", "exec"), namespace)  # noqa: S102
    post = namespace["post"]
    assert len(post.populations) == 5 and post.paths == (
        "defender.lethality",
        "kpa.exposure",
        "territory.advance_km2_per_day",
    )
    assert namespace["ens"].replications == 200


def test_the_rules_snippet_is_the_example_scenario_s() -> None:
    """The TOML tables the README shows are those of examples/salient.toml (which the example tests run)."""
    import tomllib

    block = next(b for b in _code_blocks(README) if b.startswith("[withdrawal]"))
    shown = tomllib.loads(block)
    example = tomllib.loads((ROOT / "examples" / "salient.toml").read_text(encoding="utf-8"))
    unwrap = {k: v["value"] if isinstance(v, dict) else v for k, v in example["withdrawal"].items()}
    assert shown["withdrawal"] == {k: unwrap[k] for k in shown["withdrawal"]}
    assert shown["schedules"]["rotation"] == example["schedules"]["rotation"]
    assert shown["drones"]["against"] == {"inf": example["drones"]["against"]["inf"]}
