"""Benchmark: ABC-SMC of 8 parameters against the article's figures (not a test; nothing asserts a time).

Run ``python benchmarks/bench_abc.py``: 20,000 particles per population,
5 populations, 2 workers, the observations ``kursk-2024-article``; prints
the time, the diagnostics and the posterior.
"""

from __future__ import annotations

import os
import platform
import runpy
import sys
import time
from pathlib import Path

import kursk_sim as ks

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_simulate import _cpu  # noqa: E402

#: The assumptions calibrated: those of kursk-2024-calibrated (docs/make_calibrated.py), not a copy of them.
PARAMS = runpy.run_path(str(Path(__file__).resolve().parents[1] / "docs" / "make_calibrated.py"))["PARAMS"]


def main(particles: int = 20_000, populations: int = 5) -> int:
    sc = ks.load_scenario("kursk-2024")
    t0 = time.perf_counter()
    res = ks.abc(
        sc, "kursk-2024-article", list(PARAMS), particles=particles, populations=populations, seed=1, workers=2
    )
    seconds = time.perf_counter() - t0
    simulated = sum(p["simulated"] for p in res.populations)
    print(f"kursk_sim {ks.__version__} ABC benchmark: {len(PARAMS)} parameters, kursk-2024-article")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {_cpu()}, Python {platform.python_version()}\n")
    print("| figure | target | measured |")
    print("| --- | --- | --- |")
    print(
        f"| ABC-SMC, {len(PARAMS)} parameters, {particles:,} particles per population, {populations} populations, "
        f"2 workers | < 5 min | {seconds / 60:.1f} min ({simulated:,} particles simulated) |"
    )
    print()
    print(res.diagnostics())
    print()
    print(res.table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
