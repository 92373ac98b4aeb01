"""The README and the documentation's pages stay true: the set-up commands, the defaults table, and every
code block a page presents as runnable, run as written (with fewer replications)."""

from __future__ import annotations

import re
from pathlib import Path

import kursk_sim as ks
from kursk_sim.scenario import _fmt_value

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _page(relative: str) -> str:
    return (DOCS / relative).read_text(encoding="utf-8")


def _code_blocks(text: str, language: str | None = None) -> list[str]:
    """The fenced code blocks of a Markdown text (of one language when given)."""
    found = re.findall(r"```(\w*)\n(.*?)```", text, flags=re.S)
    return [body for lang, body in found if language is None or lang == language]


def _block(text: str, start: str) -> str:
    return next(b for b in _code_blocks(text) if b.startswith(start))


def _run(code: str, name: str, namespace: dict | None = None) -> dict:
    namespace = {} if namespace is None else namespace
    exec(compile(code, name, "exec"), namespace)  # noqa: S102
    return namespace


KURSK = "import numpy as np\nimport kursk_sim as ks\nsc = ks.load_scenario('kursk-2024')\n"


def test_ci_runs_exactly_the_readme_test_command() -> None:
    blocks = [b.strip() for b in _code_blocks(README)]
    test_cmd = next(b for b in blocks if "pytest" in b and b.startswith("python3 -m venv"))
    run_cmd = next(b for b in blocks if "kursk-sim run" in b and b.startswith("python3 -m venv"))
    assert run_cmd.endswith(".venv/bin/kursk-sim run")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_cmd in ci.splitlines()


def test_the_readme_documents_a_third_command_that_builds_the_site() -> None:
    blocks = [b.strip() for b in _code_blocks(README)]
    docs_cmd = next(b for b in blocks if "mkdocs" in b and b.startswith("python3 -m venv"))
    assert ".[docs]" in docs_cmd and (ROOT / "mkdocs.yml").is_file()


def test_defaults_table_matches_the_scenario(kursk: ks.Scenario) -> None:
    page = _page("reference/default-scenario.md")
    rows = dict(re.findall(r"^\| `([^`]+)` \| (.*?) \|", page, flags=re.M))
    params = kursk.parameters()
    assert len(rows) == len(params)
    for path, value, _unit, _source in params:
        assert rows[path] == _fmt_value(value), path


def test_tour_runs_as_written(tmp_path: Path, monkeypatch) -> None:
    """Execute the README's Python tour (with fewer replications) and check its claims."""
    monkeypatch.chdir(tmp_path)
    tour = _block(README, "import kursk_sim as ks")
    assert len(tour.strip().splitlines()) <= 12
    namespace = _run(tour.replace("20_000", "500"), "README tour")
    ens = namespace["ens"]
    assert ens.replications == 500
    assert ens.scenario.get("kpa.second_wave.probability") == 1.0
    assert (tmp_path / "results" / "summary.csv").is_file()
    assert namespace["band"].dims == ("quantile", "date")
    assert 0.0 <= namespace["p"] <= 1.0


def test_the_home_page_and_the_tutorial_run_as_written(tmp_path: Path, monkeypatch) -> None:
    """Every Python block of docs/index.md, then of docs/tutorial.md, in order (500 replications, not 5,000)."""
    monkeypatch.chdir(tmp_path)
    for page in ("index.md", "tutorial.md"):
        namespace = _run("\n".join(_code_blocks(_page(page), "python")).replace("5000", "500"), page)
        assert namespace["ens"].replications == 500
    assert len(namespace["assumed"]) > 50 and "ua.strength" in namespace["uncertain"]
    assert (tmp_path / "results" / "scenario.toml").is_file()


def test_scenario_reference_is_current() -> None:
    import runpy

    module = runpy.run_path(str(ROOT / "docs" / "make_reference.py"))
    assert (ROOT / "docs" / "scenario_reference.md").read_text(encoding="utf-8") == module["reference"]()


def test_the_scenario_for_another_front_runs_as_written(tmp_path: Path, monkeypatch) -> None:
    """The how-to's scenario file loads, and its Python blocks run against it."""
    monkeypatch.chdir(tmp_path)
    page = _page("how-to/scenario-file.md")
    (tmp_path / "town.toml").write_text(_block(page, "name = "), encoding="utf-8")
    namespace = _run("import kursk_sim as ks\n", "setup")
    for block in _code_blocks(page, "python"):
        _run(block.replace("5000", "200"), "how-to/scenario-file.md", namespace)
    assert list(namespace["ens"].contingents) == ["div", "bdes"]
    assert isinstance(namespace["sc"].get("bdes.strength"), ks.Uniform)


def test_experiments_and_sensitivity_blocks_run_as_written(tmp_path: Path, monkeypatch) -> None:
    """The how-to's sweep block and the sensitivity block (fewer replications and samples)."""
    monkeypatch.chdir(tmp_path)
    block = _block(_page("how-to/experiments.md"), "# values per replication")
    block += _block(_page("how-to/sensitivity.md"), "# which assumptions decide the outcome")
    for big, small in (("replications=2000", "replications=60"), ("n=2048", "n=8"), ("workers=2", "workers=None")):
        assert big in block
        block = block.replace(big, small)
    namespace = _run(KURSK + block, "how-to experiments")
    res, sens = namespace["res"], namespace["sens"]
    assert res.n_points == 4 and (res.completed == 60).all()
    assert len(namespace["lhs"]) == 64
    assert (tmp_path / "runs" / "levers" / "manifest.json").is_file()
    assert len(sens.paths) == 49 and sens.points == 8 * 51
    assert namespace["ens"].values["defender.lethality"].shape == (1000,)


def test_the_paired_what_if_runs_as_written() -> None:
    block = _block(_page("how-to/experiments.md"), "import kursk_sim as ks")
    namespace = _run(block.replace("4000", "300"), "how-to what-if")
    assert namespace["certain"].replications == 300


def test_calibration_block_runs_as_written() -> None:
    block = _block(_page("how-to/calibration.md"), "obs = ks.load_observations")
    namespace = _run(KURSK + block, "how-to calibration")
    fitted = namespace["fitted"]
    assert fitted.status["territory.advance_km2_per_day"] == "estimated" and fitted.converged
    assert namespace["run"].rows == 2


def test_the_observations_file_of_the_calibration_guide_reads(tmp_path: Path) -> None:
    page = _page("how-to/calibration.md")
    csv = tmp_path / "observed.csv"
    csv.write_text(_block(page, "date,start,output"), encoding="utf-8")
    obs = ks.load_observations(csv)
    assert len(obs) == 3


def test_abc_block_runs_as_written() -> None:
    block = _block(_page("how-to/calibration.md"), "post = ks.abc(")
    block = block.replace("particles=4000", "particles=300").replace("workers=2", "workers=None")
    block = block.replace("post.predictive(2000)", "post.predictive(200)")
    setup = KURSK + "obs = ks.load_observations('kursk-2024-article')\n"
    namespace = _run(setup + block, "how-to abc")
    post = namespace["post"]
    assert len(post.populations) == 5 and post.paths == (
        "defender.lethality",
        "kpa.exposure",
        "territory.advance_km2_per_day",
    )
    assert namespace["ens"].replications == 200


def test_the_rules_snippet_is_the_example_scenario_s() -> None:
    """The TOML tables the how-to shows are those of examples/salient.toml (which the example tests run)."""
    import tomllib

    block = _block(_page("how-to/scenario-file.md"), "[withdrawal]")
    shown = tomllib.loads(block)
    example = tomllib.loads((ROOT / "examples" / "salient.toml").read_text(encoding="utf-8"))
    unwrap = {k: v["value"] if isinstance(v, dict) else v for k, v in example["withdrawal"].items()}
    assert shown["withdrawal"] == {k: unwrap[k] for k in shown["withdrawal"]}
    assert shown["schedules"]["rotation"] == example["schedules"]["rotation"]
    assert shown["drones"]["against"] == {"inf": example["drones"]["against"]["inf"]}


def test_the_process_of_ones_own_runs_as_written() -> None:
    block = _block(_page("how-to/extend.md"), "import numpy as np")
    namespace = _run(block.replace("replications=2000", "replications=200"), "how-to extend")
    ens = namespace["ens"]
    assert ens.replications == 200
    area = ens.trajectory("area").values
    day = namespace["ceasefire_day"]
    assert (area[::2, -1] == area[::2, day]).all()  # the even replications froze on the ceasefire's day


def test_the_export_guide_runs_as_written(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    page = _page("how-to/export.md")
    namespace = _run(KURSK + "ens = ks.simulate(sc, 200, seed=1)\n", "setup")
    for block in _code_blocks(page, "python"):
        _run(block, "how-to/export.md", namespace)
    assert (tmp_path / "results" / "ensemble.nc").is_file()
    assert list(namespace["ua"].columns) == [0.05, 0.5, 0.95]
    assert namespace["traj"].dims[0] == "replication"
