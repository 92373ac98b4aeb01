"""The README's commands: kursk-sim run / show / list, and one-line errors."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kursk_sim.cli import main


def test_run_default_prints_table_and_writes_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results"
    assert main(["run", "--replications", "300", "--seed", "3", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "kursk-2024: median [5%-95%] of 300 replications" in text
    assert "2025-05-31" in text and "P(ua_withdrawal)" in text
    png = out / "projection.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with (out / "summary.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    strength = [r for r in rows if r["output"] == "strength"]
    assert [r["contingent"] for r in strength] == ["ru", "kpa", "ua"]
    assert all(float(r["q5"]) <= float(r["q50"]) <= float(r["q95"]) for r in strength)
    with (out / "events.csv").open() as fh:
        assert len(list(csv.reader(fh))) == 301


def test_run_is_reproducible_and_set_changes_it(tmp_path: Path) -> None:
    def summary(*extra: str) -> str:
        out = tmp_path / "-".join(extra or ("base",))
        assert main(["run", "-n", "200", "--seed", "5", "--out", str(out), "--no-figure", *extra]) == 0
        return (out / "summary.csv").read_text() + (out / "event_summary.csv").read_text()

    assert summary() == summary()
    changed = summary("--set", "kpa.second_wave.probability=1.0")
    assert changed != summary()
    assert "\nkpa_second_wave,1.0,200,0,200," in changed  # event, probability, happened, never, replications


def test_run_a_file_written_by_the_library(tmp_path: Path, kursk, capsys: pytest.CaptureFixture[str]) -> None:
    path = kursk.replace({"ru.replenishment.per_day": 900}).save(tmp_path / "my.toml")
    assert main(["run", str(path), "-n", "100", "--out", str(tmp_path / "o"), "--no-figure"]) == 0
    written = (tmp_path / "o" / "scenario.toml").read_text()
    assert written.count('per_day = { value = 900.0, note = "set with Scenario.replace" }') == 1


def test_run_on_workers_gives_the_same_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def run(*extra: str) -> Path:
        out = tmp_path / "-".join(extra or ("one",))
        args = ["run", "-n", "2500", "--seed", "4", "--trajectories", "0", "--no-progress", "--no-figure"]
        assert main([*args, "--out", str(out), *extra]) == 0
        return out

    one, two = run(), run("--workers", "2")
    assert "2 processes" in capsys.readouterr().out
    for name in ("summary.csv", "event_summary.csv", "projection.csv", "quantiles.csv", "event_days.csv"):
        assert (one / name).read_text() == (two / name).read_text(), name
    assert not (two / "events.csv").exists()  # no trajectories kept: no per-replication events


def test_run_trajectories_beyond_replications_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "-n", "10", "--trajectories", "11", "--out", str(tmp_path)]) == 2
    assert "trajectories: got 11, expected at most the 10" in capsys.readouterr().err


def test_run_workers_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["run", "--workers", "0"])
    assert info.value.code == 2
    assert "--workers: got '0', expected a whole number >= 1" in capsys.readouterr().err


def test_show_lists_every_parameter_with_unit_and_source(capsys: pytest.CaptureFixture[str], kursk) -> None:
    assert main(["show", "kursk-2024"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0] == f"{kursk.name}: {kursk.title}"
    for path, _, _unit, _ in kursk.parameters():
        assert path in ("name", "title") or f"\n{path} " in text
    line = next(ln for ln in text.splitlines() if ln.startswith("ru.replenishment.per_day "))
    assert "troops/day" in line and "article" in line and "1200" in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "nosuch.toml"], "no scenario 'nosuch.toml'"),
        (["run", "--set", "ru.strength=-5", "-n", "5"], "ru.strength: got -5"),
        (["run", "--set", "ru.replenishmnet.per_day=5", "-n", "5"], "ru.replenishmnet"),
        (["run", "--set", "kpa.second_wave.probability=1.5", "-n", "5"], "kpa.second_wave.probability: got 1.5"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main([*args, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_bad_toml_file_exits_2(tmp_path: Path, kursk, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    text = kursk.to_toml()
    bad.write_text(text.replace("end_date = { value = 2025-05-31", "end_date = { value = 2024-01-01"))
    assert main(["show", str(bad)]) == 2
    assert "end_date: got 2024-01-01, expected a date after start_date" in capsys.readouterr().err
    bad.write_text(text.replace("[ru]", "[ru]\nstrenght = 5"))
    assert main(["show", str(bad)]) == 2
    assert "(did you mean 'strength'?)" in capsys.readouterr().err


def test_console_script_installed() -> None:
    """The entry point from pyproject works as a separate process."""
    exe = shutil.which("kursk-sim") or str(Path(sys.executable).with_name("kursk-sim"))
    proc = subprocess.run([exe, "list"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "kursk-2024" in proc.stdout
    proc = subprocess.run([exe, "show", "nosuch"], capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and proc.stderr.startswith("kursk-sim: error:")
