"""Benchmark: what the library costs over a hand-written NumPy loop, on a plain duel.

Two forces, Lanchester's square law, binomial losses, every loss killed,
nothing arriving, 10,000 replications for 100 days; the daily trajectories
kept and the 5 / 50 / 95 % bands of strength computed from them. The
library records strength alone (``outputs="strength"``), as the loop does;
a second line records every output. The same
run is written beside it as a plain NumPy loop (the floor: the draws, the
kept trajectories as float32 and ``np.quantile``). Prints both times
(median of 5, the two run in turns), the median of the pairs' ratios (target: within 1.25x) and the time of
``import kursk_sim`` in fresh processes (median of 5; target: under 0.3 s),
alone and with loading the default scenario (the package loads its parts
on first use, so that is where NumPy and the rules are paid for).
Not a test: nothing here asserts a time. Run::

    python benchmarks/bench_duel.py                 # about half a minute
    python benchmarks/bench_duel.py --profile       # and where simulate's time goes (cProfile)

The model runs twice: with its default noise (``noise.approximation =
"normal"``: a draw whose variance n p (1 - p) is at least 10 is a rounded
normal; here every loss's variance starts below 10 and falls, so every loss
is drawn exactly, as by hand) and with every draw exact
(``noise.approximation = "none"``), which also draws the model's split of
losses into killed, missing and wounded and the wounded returning to duty
(three more binomial draws per contingent and day, with probability 1 or of
0 troops here: the default skips those, exact draws make them).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import platform
import pstats
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np
from bench_simulate import _cpu  # the same machine description as the main benchmark
from bench_simulate import _time as median_time  # median wall-clock seconds of repeated calls

A0, D0 = 1000, 800  # initial strengths
K_ATT, K_DEF = 0.01, 0.012  # square-law lethality: each side's losses are k_enemy * enemy strength a day
DAYS = 100
REPLICATIONS = 10_000
Q = (0.05, 0.5, 0.95)


def duel_scenario(approximation: str = "normal") -> Any:
    """The duel as a scenario (the form of tests/test_lanchester.py)."""
    import kursk_sim as ks

    start = dt.date(2000, 1, 1)
    return ks.Scenario.from_dict(
        {
            "name": "duel",
            "start_date": start,
            "end_date": start + dt.timedelta(days=DAYS),
            "law": {"preset": "square"},
            "noise": {"kind": "binomial", "approximation": approximation},
            "attacker": {"id": "a", "name": "A", "lethality": K_ATT},
            "defender": {"id": "d", "name": "D", "lethality": K_DEF},
            "territory": {"initial_area_km2": 1.0},
            "blue": {"side": "attacker", "name": "Blue", "strength": A0, "casualties": {"killed": 1.0, "missing": 0.0}},
            "red": {"side": "defender", "name": "Red", "strength": D0, "casualties": {"killed": 1.0, "missing": 0.0}},
        }
    )


def with_library(scenario: Any, replications: int, seed: int, outputs: Any = "strength") -> np.ndarray:
    """``ks.simulate`` keeping every trajectory of ``outputs``, then the bands of strength ``(quantile, day, side)``.

    By default it records strength alone, the outputs the loop by hand keeps; ``outputs=None`` records all.
    """
    import kursk_sim as ks

    ens = ks.simulate(scenario, replications, seed=seed, trajectories=True, progress=False, outputs=outputs)
    return ens.quantiles("strength", q=Q).values


def by_hand(replications: int, seed: int) -> np.ndarray:
    """The same duel as a plain NumPy loop: bands of strength ``(quantile, day, side)``."""
    rng = np.random.default_rng(seed)
    a = np.full(replications, A0, dtype=np.int64)
    d = np.full(replications, D0, dtype=np.int64)
    traj = np.empty((DAYS + 1, 2, replications), dtype=np.float32)
    traj[0, 0], traj[0, 1] = a, d
    for day in range(1, DAYS + 1):
        # each troop is lost with probability (expected losses) / strength, clipped at 1
        p_a = np.minimum(np.divide(K_DEF * d, a, out=np.zeros(replications), where=a > 0), 1.0)
        p_d = np.minimum(np.divide(K_ATT * a, d, out=np.zeros(replications), where=d > 0), 1.0)
        lost_a, lost_d = rng.binomial(a, p_a), rng.binomial(d, p_d)
        a -= lost_a
        d -= lost_d
        traj[day, 0], traj[day, 1] = a, d
    return np.quantile(traj, Q, axis=-1)


def interleaved(first: Any, second: Any, repeat: int) -> tuple[float, float, float]:
    """Median wall-clock seconds of ``first()`` and ``second()`` run in turn ``repeat`` times, and the median ratio.

    Taking them in turns, and the ratio pair by pair, keeps a machine whose
    speed drifts (a shared VM) from favouring whichever ran first.
    """
    a, b = [], []
    for _ in range(repeat):
        for fn, times in ((first, a), (second, b)):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    return statistics.median(a), statistics.median(b), statistics.median(x / y for x, y in zip(a, b, strict=True))


def import_time(repeat: int, then: str = "") -> float:
    """Median seconds ``import kursk_sim`` (then ``then``) takes in a fresh interpreter (its own start excluded)."""
    after = f"{then}; " if then else ""
    code = f"import time; t = time.perf_counter(); import kursk_sim as ks; {after}print(time.perf_counter() - t)"
    times = [
        float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)
        for _ in range(repeat)
    ]
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=REPLICATIONS)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="profile one simulate call with cProfile")
    args = parser.parse_args(argv)

    imported = import_time(args.repeat)  # before this process imports kursk_sim
    loaded = import_time(args.repeat, "ks.load_scenario('kursk-2024')")
    import kursk_sim as ks

    scenario, exact = duel_scenario("normal"), duel_scenario("none")
    n = args.replications
    # warm up (first-call costs: caches, page faults of the first large arrays)
    with_library(scenario, 100, seed=0)
    by_hand(100, seed=0)
    lib, hand, ratio = interleaved(lambda: with_library(scenario, n, seed=1), lambda: by_hand(n, seed=1), args.repeat)
    lib_exact = median_time(lambda: with_library(exact, n, seed=1), args.repeat)
    lib_all = median_time(lambda: with_library(scenario, n, seed=1, outputs=None), args.repeat)
    # the two draw different random numbers; their bands agree to Monte Carlo error
    gap = np.max(np.abs(with_library(scenario, n, seed=1) - by_hand(n, seed=1)))

    print(f"kursk_sim {ks.__version__} duel benchmark: square law, binomial losses, {n:,} replications x {DAYS} days")
    print(
        f"machine: {platform.machine()}, {_cpu()}, Python {platform.python_version()}, NumPy {np.__version__}; "
        f"median of {args.repeat}"
    )
    print()
    print("| figure | target | measured |")
    print("| --- | --- | --- |")
    print(f"| ks.simulate(outputs='strength') + bands of strength | | {lib:.3f} s |")
    print(f"| hand-written NumPy loop + bands | | {hand:.3f} s |")
    print(f"| ratio (equal outputs; median of the {args.repeat} pairs' ratios) | within 1.25x | {ratio:.2f}x |")
    print(f"| ks.simulate recording every output | | {lib_all:.3f} s ({lib_all / hand:.2f}x) |")
    print(
        f"| ks.simulate, every draw exact (noise.approximation = none) | | {lib_exact:.3f} s ({lib_exact / hand:.2f}x) |"
    )
    print(f"| import kursk_sim (fresh process) | < 0.3 s | {imported:.3f} s |")
    print(f"| import kursk_sim and load the default scenario (NumPy, the rules) | | {loaded:.3f} s |")
    print()
    print(f"largest gap between the two bands: {gap:.1f} troops (different random numbers)")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        with_library(scenario, n, seed=1)
        profiler.disable()
        print()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
