"""Benchmark: replication-days per second of the default scenario.

Prints a table (not a test; nothing here asserts a time). Run::

    python benchmarks/bench_simulate.py [--replications 10000] [--repeat 3]

Figures: the batch run as ``kursk-sim run`` does it, the same model run one
replication at a time (the speed-up is what the batch state buys), and the
machine they came from.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np

import kursk_sim as ks


def _time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown cpu"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=10_000)
    parser.add_argument("--singles", type=int, default=100, help="one-replication runs timed")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    sc = ks.load_scenario("kursk-2024")
    days = sc.horizon_days
    rows = []
    batch = _time(lambda: ks.simulate(sc, args.replications, seed=1), args.repeat)
    rows.append((f"batch of {args.replications:,} (kursk-sim run)", batch, args.replications * days / batch))
    seeds = np.random.SeedSequence(1).spawn(args.singles)
    single = _time(lambda: [ks.simulate(sc, 1, seed=s) for s in seeds], 1)
    rows.append((f"{args.singles} runs of 1 replication", single, args.singles * days / single))
    for noise in ("none", "negative_binomial"):
        sc_n = sc.replace({"noise.kind": noise})
        t = _time(lambda sc_n=sc_n: ks.simulate(sc_n, args.replications, seed=1), args.repeat)
        rows.append((f"batch of {args.replications:,}, noise={noise}", t, args.replications * days / t))

    print(f"kursk_sim {ks.__version__} benchmark: default scenario kursk-2024, {days} days")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {_cpu()}, "
        f"Python {platform.python_version()}, NumPy {np.__version__}"
    )
    print(f"{'run':<44} {'seconds':>9} {'replication-days/s':>20}")
    for name, secs, rate in rows:
        print(f"{name:<44} {secs:>9.2f} {rate:>20,.0f}")
    print(f"speed-up of the batch over one replication at a time: {rows[0][2] / rows[1][2]:,.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
