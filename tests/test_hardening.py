"""Bad or extreme input through the three doors, class by class (issue 13): each a clear error, or accepted.

The cases are generated from the default scenario's own parameters (every
number path, every event name), not only the examples that found the class.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import kursk_sim as ks
from kursk_sim.model import Phase
from kursk_sim.rules import event_names

ROOT = Path(__file__).resolve().parents[1]
KURSK = ks.load_scenario("kursk-2024")
NUMBERS = [p for p, v, *_ in KURSK.parameters() if isinstance(v, float)]


# --------------------------------------------------- 1. names that would share a column


@pytest.mark.parametrize("taken", [e for e in event_names(KURSK) if not e.startswith("kpa_second")])
def test_a_wave_whose_event_name_is_taken_is_refused(taken: str) -> None:
    """A wave named so that its event is a decision's (a wave ``mobilisation`` on ``ru``) would share its column."""
    cid, _, wave = taken.partition("_")
    with pytest.raises(ks.ScenarioError, match=rf"{cid}\.{wave}.*another wave name"):
        KURSK.replace({f"{cid}.{wave}": {"size": 1, "date": "2025-01-01"}})


# ---------------------------------------------- 7. tracebacks from validation: one ScenarioError


@pytest.mark.parametrize("path", NUMBERS)
@pytest.mark.parametrize(
    "bad",
    [
        10**400,
        -(10**400),
        {"dist": [1]},
        {"dist": None},
        {"dist": {"a": 1}},
        {"dist": "uniform", "low": 1, "high": 10**400},
    ],
    ids=["huge", "-huge", "dist-list", "dist-none", "dist-table", "dist-huge"],
)
def test_every_number_refuses_unrepresentable_input_with_a_scenario_error(path: str, bad: Any) -> None:
    with pytest.raises(ks.ScenarioError, match=path.replace(".", r"\.")):
        KURSK.replace({path: bad})


# ------------------------------------------------------------- 8. valid input accepted


@pytest.mark.parametrize(
    ("path", "kind"),
    [(p, k) for p in NUMBERS for k in (np.float64, np.float32)]
    + [(p, np.int64) for p in NUMBERS if float(KURSK.get(p)).is_integer()],
)
def test_numpy_scalars_are_numbers(path: str, kind: type) -> None:
    value = KURSK.get(path)
    try:
        changed = KURSK.replace({path: kind(value)})
    except ks.ScenarioError as err:  # refused only for a reason of its own (e.g. an int field), never its type
        assert "a number" not in err.expected, err
        return
    assert changed.get(path) == pytest.approx(float(kind(value)))


def test_a_normal_date_distribution_truncated_on_one_side() -> None:
    start = {"dist": "normal", "mean": "2025-01-15", "sd": 10, "low": "2025-01-02"}
    sc = KURSK.replace({"modifiers.offensive.start": start})
    dist = sc.get("modifiers.offensive.start")
    assert dist.high is None
    draws = dist.ppf(np.linspace(0.001, 0.999, 99))  # proleptic ordinals
    assert draws.min() >= dt.date(2025, 1, 2).toordinal() and np.isfinite(draws).all()
    assert np.isfinite(ks.simulate(sc, 200, seed=1).trajectory("area").values).all()


# ------------------------------------------------------------------ 9. messages


@pytest.mark.parametrize("path", [p for p in NUMBERS if p.split(".")[0] in KURSK.contingents])
def test_errors_inside_a_contingent_do_not_blame_the_contingent(path: str) -> None:
    with pytest.raises(ks.ScenarioError) as err:
        KURSK.replace({path: "many"})
    assert "not a Scenario key" not in str(err.value) and "Contingent key" not in str(err.value)
    assert "{'value'" not in str(err.value)


def test_a_typo_of_a_section_is_still_suggested() -> None:
    data = KURSK.to_dict()
    data["terrritory"] = data.pop("territory")
    with pytest.raises(ks.ScenarioError, match="did you mean 'territory'"):
        ks.Scenario.from_dict(data)


@pytest.mark.parametrize("seed", [-1, 1.5, "1", [1, 2], True])
def test_a_bad_seed_is_named(seed: Any) -> None:
    with pytest.raises(ValueError, match="^seed: got"):
        ks.simulate(KURSK, 10, seed=seed)


def test_a_directory_or_a_binary_file_is_not_a_scenario(tmp_path: Path) -> None:
    with pytest.raises(ks.ScenarioError, match="not a directory"):
        ks.load_scenario(tmp_path)
    binary = tmp_path / "b.toml"
    binary.write_bytes(bytes(range(256)))
    with pytest.raises(ks.ScenarioError, match="binary"):
        ks.load_scenario(binary)


# ------------------------------------------------------- 6. a user's own executor


def _dies_in_chunk_two(model: ks.model.Model) -> Any:
    yield model.wait_for(Phase.COMBAT)
    if model.chunk == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    while True:
        yield model.env.timeout(1.0)


def test_a_killed_worker_of_a_users_pool_keeps_the_finished_chunks() -> None:
    with ProcessPoolExecutor(2) as pool, pytest.raises(ks.SimulationError) as err:
        ks.simulate(KURSK, 4096, seed=1, chunk_size=1024, executor=pool, extra_processes=[_dies_in_chunk_two])
    assert err.value.partial is not None and err.value.partial.replications in (1024, 2048, 3072)
    assert 2 in {f.chunk for f in err.value.failures}
    assert "are in .partial" in str(err.value)


def test_a_simulation_error_without_a_partial_says_so() -> None:
    from kursk_sim.chunks import ChunkFailure, ChunkPlan

    plan = ChunkPlan(10, 10, entropy=1)
    err = ks.SimulationError([ChunkFailure.of(plan, 0, RuntimeError("x"))], None, plan)
    assert ".partial is None" in str(err)


# --------------------------------------------------------- the command line: one line


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kursk_sim.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


@pytest.mark.parametrize(
    "setting",
    ["ua.strength=1e400", "ua.strength=" + "9" * 400, "kpa.mobilisation.size=1", "ru.mobilisation.size=5"],
)
def test_bad_settings_on_the_command_line_are_one_line_and_exit_2(tmp_path: Path, setting: str) -> None:
    proc = _cli("run", "--replications", "10", "--set", setting, "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("kursk-sim: error:")
    assert not (tmp_path / "o").exists()  # nothing run, nothing written


# ------------------------------------------------ 3. output that cannot be written: refused before the run


@pytest.mark.parametrize("command", [["run"], ["sweep", "--grid", "defender.lethality=0.01,0.02"]])
def test_an_output_folder_that_is_a_file_is_refused_before_the_run(tmp_path: Path, command: list[str]) -> None:
    out = tmp_path / "results"
    out.write_text("not a folder")
    proc = _cli(*command, "--replications", "10", "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "is not a folder" in proc.stderr and proc.stdout == ""  # refused before simulating: nothing printed


def test_a_folder_where_an_output_file_goes_is_refused_before_the_run(tmp_path: Path) -> None:
    (tmp_path / "results" / "summary.csv").mkdir(parents=True)
    proc = _cli("run", "--replications", "10", "--out", str(tmp_path / "results"), cwd=tmp_path)
    assert proc.returncode == 2 and "summary.csv is a folder" in proc.stderr and proc.stdout == ""


def test_a_model_error_on_the_command_line_is_one_line(tmp_path: Path) -> None:
    """A SimulationError (here a model that cannot run a scenario written by hand) is one line, exit 2."""
    from kursk_sim import cli
    from kursk_sim.chunks import ChunkFailure, ChunkPlan

    plan = ChunkPlan(10, 10, entropy=1)

    def fails(args: Any) -> None:
        raise ks.SimulationError([ChunkFailure.of(plan, 0, RuntimeError("boom"))], None, plan)

    original = cli._run
    cli._run = fails
    try:
        code = cli.main(["run", "--out", str(tmp_path / "o")])
    finally:
        cli._run = original
    assert code == 2


def test_ctrl_c_stops_the_workers_at_once_with_one_line(tmp_path: Path) -> None:
    """Ctrl-C during a run on worker processes: one line, exit 130, nothing written, no traceback from any worker."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kursk_sim.cli",
            "run",
            "--replications",
            "2000000",
            "--workers",
            "2",
            "--progress",
            "--out",
            str(tmp_path / "o"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        start_new_session=True,
    )
    try:
        seen = ""
        while "replications" not in seen:  # blocking reads up to the first progress report: the workers are running
            char = proc.stderr.read(1)
            assert char, f"the run ended before reporting progress: {seen}"
            seen += char
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group, as from a terminal
        _, err = proc.communicate(timeout=60)
    finally:  # whatever failed above, leave no run behind
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    assert err.rstrip().endswith("kursk-sim: interrupted") and "Traceback" not in err, err
    assert not (tmp_path / "o").exists()


# ------------------------------------- 2. accepted input must not give NaN: refused up front, or a named error


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        ("ua.strength", {"dist": "lognormal", "median": 20000, "sigma": 5.0}),  # its largest draw is about 5e22
        ("ua.strength", 1e300),
        ("kpa.second_wave.size", {"dist": "normal", "mean": 8000, "sd": 1e9, "low": 0}),
        ("ru.replenishment.per_day", 1e12),
        ("ru.replenishment.cap", 1e15),
    ],
)
def test_counts_beyond_what_the_model_can_hold_are_refused(path: str, bad: Any) -> None:
    with pytest.raises(ks.ScenarioError, match=path.replace(".", r"\.")):
        KURSK.replace({path: bad})


def test_a_huge_exponent_is_refused() -> None:
    law = {"preset": "custom", "attacker": {"p": 1000.0, "q": 0.0}, "defender": {"p": 1.0, "q": 0.0}}
    with pytest.raises(ks.ScenarioError, match=r"law\.attacker\.p"):
        KURSK.replace({"law": law})


def _infinite_fire(model: ks.model.Model) -> Any:
    """A process of a user's that makes the Russian fire NaN from day 3 (a state no scenario reaches).

    It acts after the modifiers set the day's effectiveness (0.125) and before combat (0.25).
    """
    while True:
        yield model.wait_for(0.1875)
        if model.day >= 3:
            model.state.effectiveness[:, 0] = np.nan
        yield model.env.timeout(0.5)


def test_a_run_that_would_give_nan_stops_with_a_named_error() -> None:
    """Whatever makes a loss rate NaN, the run stops naming the rule and the day; it never reports NaN.

    (An infinite rate is a certain loss: the probability is capped at 1.)
    """
    with pytest.raises(
        ks.SimulationError, match="combat, day 3: a loss probability, effectiveness or exposure is not finite"
    ):
        ks.simulate(KURSK, 20, seed=1, extra_processes=[_infinite_fire])


# ------------------------------------- 4, 5. memory that does not depend on replications; the sketch's range


@pytest.mark.parametrize("years", [12, 30])
def test_a_sketch_too_large_is_refused_up_front_with_the_figure_and_the_knob(years: int) -> None:
    long = KURSK.replace({"end_date": dt.date(2024 + years, 11, 25)})
    with pytest.raises(ValueError, match=r"GiB .*trajectories=True"):
        ks.simulate(long, 200, seed=1, trajectories=False)


def test_large_counts_run_the_same_with_and_without_the_sketch() -> None:
    """Strengths above 2**26 (the sketch's old range) run whatever the replication count."""
    big = KURSK.replace({"ru.strength": 5e8, "ru.replenishment.cap": 5e8, "ru.replenishment.per_day": 1e6})
    sketched = ks.simulate(big, 40, seed=3, trajectories=False)
    kept = ks.simulate(big, 40, seed=3, trajectories=True)
    np.testing.assert_array_equal(sketched.mean("strength").values, kept.mean("strength").values)
    exact = kept.quantiles("strength", q=(0.5,)).values
    approx = sketched.quantiles("strength", q=(0.5,)).values
    assert (np.abs(approx - exact) <= 2**-9 * exact + 2**-6).all()
