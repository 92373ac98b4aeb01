"""Benchmark: the default scenario's speed with binomial and with negative-binomial noise.

Prints replication-days per second of summaries-only runs in this process
(the same seed for both noises), each the median of a few repeats run
alternately (so a machine whose speed drifts slows both alike), and their
ratio: the over-dispersed noise's cost relative to binomial noise (not a
test; nothing here asserts a time). Run::

    python benchmarks/bench_noise.py                       # about a minute on 2 cores
    python benchmarks/bench_noise.py --replications 100000 --repeat 5
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
from bench_simulate import _cpu  # the same machine description as the main benchmark

import kursk_sim as ks


def rate(scenario: ks.Scenario, replications: int, seed: int) -> float:
    """Replication-days per second of one summaries-only run in this process."""
    t0 = time.perf_counter()
    ks.simulate(scenario, replications, seed=seed, trajectories=False, progress=False)
    return replications * scenario.horizon_days / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=20_000, help="replications of each timed run")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each noise (median)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dispersion", type=float, default=None, help="noise.dispersion (default: the scenario's)")
    args = parser.parse_args(argv)

    binomial = ks.load_scenario("kursk-2024").replace({"noise.kind": "binomial"})
    negative_binomial = binomial.replace({"noise.kind": "negative_binomial"})
    if args.dispersion is not None:
        negative_binomial = negative_binomial.replace({"noise.dispersion": args.dispersion})
    n, seed = args.replications, args.seed
    rate(binomial, min(n, 2_000), seed)  # warm-up: imports, caches
    rates: dict[str, list[float]] = {"binomial": [], "negative binomial": []}
    for _ in range(args.repeat):
        rates["binomial"].append(rate(binomial, n, seed))
        rates["negative binomial"].append(rate(negative_binomial, n, seed))
    median = {name: statistics.median(values) for name, values in rates.items()}

    print(f"kursk_sim {ks.__version__} noise benchmark: default scenario kursk-2024, {binomial.horizon_days} days")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {_cpu()}, "
        f"Python {platform.python_version()}, NumPy {np.__version__}"
    )
    print(
        f"{n:,} replications, seed {seed}, summaries only, 1 process, median of {args.repeat} "
        f"(noises alternately); negative binomial with dispersion {negative_binomial.noise.dispersion:g}\n"
    )
    for name, value in median.items():
        spread = ", ".join(f"{v:,.0f}" for v in rates[name])
        print(f"  {name:<18} {value:>12,.0f} replication-days/s   ({spread})")
    ratio = median["negative binomial"] / median["binomial"]
    print(
        f"\nnegative binomial / binomial: {ratio:.3f} "
        f"(negative binomial {abs(1 - ratio) * 100:.1f} % {'slower' if ratio < 1 else 'faster'})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
