"""The projection notebook and the example scripts run, and say what they should.

The notebook is executed once per session (:mod:`executed_notebooks`); the test reads what it printed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from executed_notebooks import code_source, errors, executed, images, printed

import kursk_sim as ks
from kursk_sim.design import ranged_parameters
from kursk_sim.distributions import Distribution

ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"


def test_projection_notebook() -> None:
    """The Kursk projection notebook: provenance counted right, the article's figures checked, events coherent."""
    path = executed("kursk_projection.ipynb")
    assert not errors(path)
    text = printed(path)

    # 1. what comes from the article and what is assumed, counted as the scenario says
    sc = ks.load_scenario("kursk-2024")
    rows = sc.parameters()
    kinds = [source.split(":")[0] for *_, source in rows]
    drawn = sum(isinstance(value, Distribution) for _, value, _, _ in rows)
    assert (
        f"kursk-2024: {kinds.count('article')} values from the article, {kinds.count('assumption')} assumptions "
        f"({len(ranged_parameters(sc))} with a range or a distribution), {drawn} drawn per replication, "
        f"{kinds.count('library default')} library defaults"
    ) in text
    assert "ru.strength" in text and "triangular(low=12000, mode=20000, high=30000)" in text

    # 2-3. the run, and the share of replications agreeing with each of the article's three figures
    assert "kursk-2024: median [5%-95%] of 5000 replications" in text
    agree = [float(v) for v in re.findall(r"^article figure: .+: (\d\.\d{3}) of replications agree$", text, re.M)]
    assert len(agree) == 3 and all(0.5 <= v <= 1.0 for v in agree)  # set by hand to meet them: most agree

    # 4. event probabilities: in [0, 1], never falling with the date, a withdrawal complete only once begun
    table = dict(re.findall(r"^(\w+)((?:\s+\d\.\d{3}){5})$", text, re.M))
    assert set(table) == set(ks.simulate(sc, 1, seed=0).event_names)
    p = {event: [float(v) for v in values.split()] for event, values in table.items()}
    for event, values in p.items():
        assert all(0.0 <= v <= 1.0 for v in values) and values == sorted(values), event
    assert all(done <= begun for done, begun in zip(p["ua_withdrawn"], p["ua_withdrawal"], strict=True))
    assert abs(p["kpa_second_wave"][-1] - 0.3) < 0.03  # its probability; every drawn date is inside the run
    when = re.search(r"^ua_withdrawal, where it happens: 5% (\S+), median (\S+), 95% (\S+)$", text, re.M).groups()
    assert list(when) == sorted(when)

    # 5. the what-if: both variants, probabilities
    found = re.findall(r"second wave probability (\d\.\d): P\(ua_withdrawal by 2025-03-31\) = ([\d.]+)", text)
    assert [q for q, _ in found] == ["0.0", "1.0"]
    assert all(0.0 <= float(v) <= 1.0 for _, v in found)

    # figures: one per plt.show() (the three fans with the article's figures, event dates, the two area fans)
    assert len(images(path)) == code_source("kursk_projection.ipynb").count("plt.show()") == 3


def test_whatif_script_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import second_wave_whatif
    finally:
        sys.path.pop(0)
    assert second_wave_whatif.main(["--replications", "300", "--seed", "2", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    rows = {line.split("  ")[0]: line.split() for line in out.splitlines() if line.startswith(("no second", "second"))}
    assert rows["no second wave"][3] == "0"  # P(second wave) with probability 0
    assert (tmp_path / "whatif_area.png").read_bytes()[:8] == PNG
    assert (tmp_path / "whatif.csv").read_text().count("\n") == 5


def test_whatif_script_from_the_shell(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "second_wave_whatif.py"),
            "--replications",
            "200",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "kursk-2024 variants, 200 replications each" in proc.stdout
    assert (tmp_path / "whatif_area.png").read_bytes()[:8] == PNG


def test_second_wave_probability_is_honoured(kursk: ks.Scenario) -> None:
    never = ks.simulate(kursk.replace({"kpa.second_wave.probability": 0.0}), 500, seed=1)
    always = ks.simulate(kursk.replace({"kpa.second_wave.probability": 1.0}), 500, seed=1)
    assert never.probability("kpa_second_wave") == 0.0
    assert always.probability("kpa_second_wave") == 1.0  # every drawn date (Feb-Apr) is inside the run


def test_custom_scenario_file_runs_with_invariants() -> None:
    sc = ks.load_scenario(ROOT / "examples" / "my_scenario.toml")
    assert sc.contingent_ids == ("bde", "bg") and sc.noise.kind == "negative_binomial"
    ens = ks.simulate(sc, replications=200, seed=3)
    assert ens.trajectory("strength").values.min() >= 0
    f = ens.final
    np.testing.assert_array_equal(
        f["initial"] + f["arrived"] + f["returned"] - (f["killed"] + f["wounded"] + f["missing"]) - f["departed"],
        f["strength"],
    )
    assert 0 < ens.probability("bde_reserve_battalion") < 1


def test_shrinking_salient_script(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The shrinking-front example: a staged withdrawal leaves ground held at the end far more often."""
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import shrinking_salient
    finally:
        sys.path.pop(0)
    assert shrinking_salient.main(["--replications", "400", "--seed", "2", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    rows = {line.split("  ")[0]: line.split() for line in out.splitlines() if line.startswith(("staged", "immediate"))}
    staged, immediate = rows["staged, rearguard"], rows["immediate"]
    assert float(immediate[2]) == 0.0  # an immediate withdrawal leaves no pocket to cut off
    assert float(staged[4]) > float(immediate[3]) + 0.3  # a foothold held to the end
    assert (tmp_path / "salient_area.png").read_bytes()[:8] == PNG


def test_salient_scenario_reads_its_schedule_file_and_conserves_troops() -> None:
    sc = ks.load_scenario(ROOT / "examples" / "salient.toml")
    assert sc.schedules["rotation"].values == (-40.0, 0.0, 40.0, 0.0)
    assert sc.get("drones.against.inf.effectiveness") == 3.0
    ens = ks.simulate(sc, replications=200, seed=3)
    f = ens.final
    np.testing.assert_array_equal(
        f["initial"] + f["arrived"] + f["returned"] - (f["killed"] + f["wounded"] + f["missing"]) - f["departed"],
        f["strength"],
    )
    assert (f["departed"][:, 2] >= 400).all()  # the rotated battalion left (and the main body withdrew)
