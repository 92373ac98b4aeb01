"""The code base is ruff-clean (lint and format), as the README promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TARGETS = [name for name in ("kursk_sim", "tests", "examples", "benchmarks", "docs") if (ROOT / name).is_dir()]


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]])
def test_ruff(command: list[str]) -> None:
    pytest.importorskip("ruff", reason="ruff comes with the [test] extra")
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", *command, *TARGETS], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
