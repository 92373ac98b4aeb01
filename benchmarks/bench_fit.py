"""Benchmark: a least-squares fit of 4 parameters to a 100-day daily series (not a test; nothing asserts a time).

Run ``python benchmarks/bench_fit.py``. The series: daily cumulative
casualties of the three contingents of ``kursk-2024`` over its first 100
days (300 figures, 2 % Gaussian errors), made by the deterministic model
with known values; the fit starts 30 % away from them.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import kursk_sim as ks
from kursk_sim.observations import Observations

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_simulate import _cpu  # noqa: E402

TRUTH = {
    "defender.lethality": 0.0145,
    "attacker.lethality": 1.16e-7,
    "modifiers.offensive.multiply.ru.effectiveness": 1.4,
    "kpa.exposure": 3.8,
}
BOUNDS = {
    "defender.lethality": (0.005, 0.05),
    "attacker.lethality": (3e-8, 5e-7),
    "modifiers.offensive.multiply.ru.effectiveness": (1.0, 2.5),
    "kpa.exposure": (1.0, 8.0),
}


def series(sc: ks.Scenario, seed: int) -> Observations:
    run = ks.deterministic(sc, values={k: [v] for k, v in TRUTH.items()})
    cas = run.trajectory("casualties").values[0]
    rng = np.random.default_rng(seed)
    rows = []
    for day in range(1, sc.horizon_days + 1):
        for c, cid in enumerate(run.contingents):
            sd = 0.02 * cas[day, c]
            rows.append(
                {
                    "date": sc.start_date + dt.timedelta(days=day - 1),
                    "output": "casualties",
                    "contingents": cid,
                    "kind": "state",
                    "value": cas[day, c] + sd * rng.standard_normal(),
                    "sd": sd,
                    "source": "synthetic",
                }
            )
    return Observations.from_rows(rows, "synthetic")


def main() -> int:
    sc = ks.load_scenario("kursk-2024").replace(
        {"end_date": "2025-03-05", "modifiers.offensive.start": "2025-01-15", "kpa.second_wave.probability": 0.0}
    )
    times, results = [], []
    for seed in range(3):
        obs = series(sc, seed)
        t0 = time.perf_counter()
        res = ks.fit(sc, obs, BOUNDS, start={k: v * 1.3 for k, v in TRUTH.items()})
        times.append(time.perf_counter() - t0)
        results.append(res)
    print(f"kursk_sim {ks.__version__} fit benchmark: {len(TRUTH)} parameters, {sc.horizon_days}-day daily series")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {_cpu()}, Python {platform.python_version()}\n")
    print("| figure | target | measured |")
    print("| --- | --- | --- |")
    res = results[0]
    print(
        f"| least-squares fit, {len(TRUTH)} parameters, {len(res.residuals.rows)} daily figures "
        f"({sc.horizon_days} days x 3 contingents), median of 3 seeds | < 5 s | {statistics.median(times):.2f} s "
        f"({res.calls} model calls, {res.rows} rows; range {min(times):.2f}-{max(times):.2f} s) |"
    )
    print()
    print(res.table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
