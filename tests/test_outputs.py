"""``simulate(..., outputs=)``: a run records only the outputs asked for, with the same values.

The model runs the same whatever is recorded, so every output a restricted
run records must equal, to the bit, the full run's (quantiles exact and from
the sketch, means, kept trajectories, events); the others must be refused by
name, and the memory a run plans for must shrink with the outputs.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import kursk_sim as ks
from kursk_sim.chunks import ALL_OUTPUTS, recorded_outputs
from kursk_sim.cli import main
from kursk_sim.run import sketch_bytes, trajectory_bytes

SUBSETS = [("strength",), ("area",), ("strength", "area"), ("casualties",), ("missing", "area")]


@pytest.fixture(scope="module")
def full(kursk: ks.Scenario) -> dict[str, ks.Ensemble]:
    return {
        "all kept": ks.simulate(kursk, 300, seed=5, trajectories=True, chunk_size=128),
        "sketch": ks.simulate(kursk, 300, seed=5, trajectories=40, chunk_size=128),
    }


@pytest.mark.parametrize("asked", SUBSETS)
@pytest.mark.parametrize("kept", ["all kept", "sketch"])
def test_recorded_outputs_equal_the_full_runs(kursk: ks.Scenario, full, asked: tuple[str, ...], kept: str) -> None:
    ref = full[kept]
    ens = ks.simulate(
        kursk, 300, seed=5, trajectories=True if kept == "all kept" else 40, chunk_size=128, outputs=list(asked)
    )
    assert ens.outputs == recorded_outputs(asked)
    for name in ens.outputs:
        assert np.array_equal(ens.quantiles(name).values, ref.quantiles(name).values), name
        assert np.array_equal(ens.mean(name).values, ref.mean(name).values), name
        assert np.array_equal(ens.trajectory(name).values, ref.trajectory(name).values), name
    for event in ref.event_names:
        assert ens.probability(event) == ref.probability(event)
        assert np.array_equal(ens.event_counts(event).values, ref.event_counts(event).values)
    for name in set(ALL_OUTPUTS) - set(ens.outputs):
        with pytest.raises(ValueError, match=f"output '{name}' was not recorded"):
            ens.quantiles(name)
        with pytest.raises(ValueError, match="was not recorded"):
            ens.mean(name)
    rows = {row[0] for row in ens.summary().rows}
    assert {r for r in rows if not r.startswith("P(")} == set(ens.outputs)


def test_a_sum_brings_its_parts_and_order_does_not_matter() -> None:
    assert recorded_outputs(["casualties"]) == ("killed", "wounded", "missing", "casualties")
    assert recorded_outputs(["area", "strength"]) == recorded_outputs(("strength", "area")) == ("strength", "area")
    assert recorded_outputs("area") == ("area",)
    assert recorded_outputs(None) == ALL_OUTPUTS


@pytest.mark.parametrize("bad", [[], "kills", ["strength", "kills"], [1], 5, ["Strength"]])
def test_unknown_outputs_are_refused_by_name(kursk: ks.Scenario, bad) -> None:
    with pytest.raises(ValueError, match="outputs: got .* expected one or more of strength"):
        ks.simulate(kursk, 10, seed=1, outputs=bad)


def test_fewer_outputs_plan_less_memory(kursk: ks.Scenario) -> None:
    c = len(kursk.contingent_ids)
    full_series = len([n for n in ALL_OUTPUTS if n != "area"]) * c + 1
    assert sketch_bytes(kursk, ("strength",)) * full_series == sketch_bytes(kursk) * c
    assert trajectory_bytes(kursk, ("area",)) < trajectory_bytes(kursk, ("strength",)) < trajectory_bytes(kursk)


def test_projection_and_exports_follow_the_outputs(kursk: ks.Scenario, tmp_path: Path) -> None:
    strength_only = ks.simulate(kursk, 50, seed=2, outputs="strength")
    table = strength_only.projection()
    assert table.columns == ("date", *(f"{c} strength" for c in kursk.contingent_ids))
    casualties = ks.simulate(kursk, 50, seed=2, outputs="casualties")
    with pytest.raises(ValueError, match="recorded neither"):
        casualties.projection()
    files = {p.name for p in casualties.export(tmp_path / "c")}
    assert "projection.csv" not in files and "summary.csv" in files
    manifest = json.loads((tmp_path / "c" / "run.json").read_text())
    assert manifest["outputs"] == ["killed", "wounded", "missing", "casualties"]
    quantiles = (tmp_path / "c" / "quantiles.csv").read_text().splitlines()
    names = {line.split(",")[1] for line in quantiles[1:]}
    assert names == {"killed", "wounded", "missing", "casualties"}


def test_workers_record_the_same(kursk: ks.Scenario) -> None:
    one = ks.simulate(kursk, 200, seed=9, chunk_size=64, trajectories=False, outputs=["area"])
    two = ks.simulate(kursk, 200, seed=9, chunk_size=64, trajectories=False, outputs=["area"], workers=2)
    assert np.array_equal(one.quantiles("area").values, two.quantiles("area").values)
    assert np.array_equal(one.mean("area").values, two.mean("area").values)


def test_cli_outputs(tmp_path: Path, capsys) -> None:
    # the figure needs strength and area: refused before anything runs or is written
    assert main(["run", "-n", "20", "--outputs", "casualties", "--out", str(tmp_path / "a")]) == 2
    assert "the figure needs strength and area" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()
    assert main(["run", "-n", "20", "--outputs", "killed", "--no-figure", "--out", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "killed" in out and "wounded" not in out and "strength" not in out
    with pytest.raises(SystemExit) as stop:
        main(["run", "-n", "20", "--outputs", "kills"])
    assert stop.value.code == 2
    assert "expected one or more of strength" in capsys.readouterr().err
