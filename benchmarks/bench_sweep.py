"""Benchmark: experiments on the default scenario, as a table (not a test; nothing here asserts a time).

Run::

    python benchmarks/bench_sweep.py                     # about 10 minutes on a 2-core machine
    python benchmarks/bench_sweep.py --skip-sensitivity  # the sweep figures alone

Figures:

* a sweep of P points x R replications against one ``simulate()`` of
  P x R replications of the default scenario, both on 2 workers, run
  alternately (median of ``--repeat``): a 5 x 5 grid of two levers, and a
  Latin hypercube over every ranged assumption (whose points set 43
  parameters per row: per-row parameters cost the model a little, which
  ``simulate(values=...)`` of the same values would pay too, shown beside);
* Sobol first- and total-order indices of every ranged assumption of
  ``kursk-2024`` on three outputs, on 2 workers: the number of parameters,
  N, the points, the time and the widest 95 % interval;
* the paired and unpaired standard errors of two levers' differences
  (``defender.lethality`` 0.0145 -> 0.012, ``kpa.second_wave.probability``
  0.3 -> 1.0), two variants run with the same seed.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import kursk_sim as ks

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_simulate import _cpu  # noqa: E402

OUTPUTS = ("ua_withdrawal@2025-03-31", "area@2025-02-01", "strength.ua@2025-03-01")


def _seconds(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def sweep_against_simulate(
    sc: ks.Scenario, design: ks.Design, replications: int, repeat: int
) -> tuple[float, float, float]:
    """Replication-days/s of the sweep, of simulate() of as many replications, and of simulate(values=) of the same values."""
    rows = len(design) * replications
    days = sc.horizon_days
    values = {p: np.repeat(np.asarray(design[p]), replications) for p in design.paths}
    sweep, plain, valued = [], [], []
    for _ in range(repeat):  # alternately, so that a machine whose speed drifts slows all alike
        sweep.append(_seconds(lambda: ks.sweep(sc, design, replications, seed=1, workers=2, progress=False)))
        plain.append(_seconds(lambda: ks.simulate(sc, rows, seed=1, workers=2, trajectories=False, progress=False)))
        valued.append(
            _seconds(
                lambda: ks.simulate(sc, rows, seed=1, workers=2, trajectories=False, progress=False, values=values)
            )
        )
    per = lambda times: rows * days / statistics.median(times)  # noqa: E731
    return per(sweep), per(plain), per(valued)


def paired_errors(sc: ks.Scenario, replications: int) -> list[tuple[str, str, float, float]]:
    """(lever, output, paired SE, unpaired SE) of two variants with the same seed."""
    base = ks.simulate(sc, replications, seed=3, trajectories=True, progress=False)
    ua = base.contingents.index("ua")
    out = []
    for change in ({"defender.lethality": 0.012}, {"kpa.second_wave.probability": 1.0}):
        variant = ks.simulate(sc.replace(change), replications, seed=3, trajectories=True, progress=False)
        lever = ", ".join(f"{k} -> {v}" for k, v in change.items())
        pairs = {
            "Ukrainian strength on 2025-05-31": (base.final["strength"][:, ua], variant.final["strength"][:, ua]),
            "area held on 2025-03-01": (
                base.trajectory("area").values[:, 96],
                variant.trajectory("area").values[:, 96],
            ),
            "P(ua_withdrawal by 2025-03-31)": (
                base.event_day("ua_withdrawal") <= 125,
                variant.event_day("ua_withdrawal") <= 125,
            ),
        }
        for name, (a, b) in pairs.items():
            a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
            paired = np.std(b - a, ddof=1) / np.sqrt(replications)
            unpaired = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / replications)
            out.append((lever, name, paired, unpaired))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=4096, help="replications of each point of the sweeps")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sobol-n", type=int, default=2048)
    parser.add_argument("--sobol-replications", type=int, default=8)
    parser.add_argument("--skip-sensitivity", action="store_true")
    args = parser.parse_args(argv)

    sc = ks.load_scenario("kursk-2024")
    grid = ks.grid(
        {
            "ua.replenishment.per_day": np.linspace(0.0, 150.0, 5),
            "modifiers.offensive.multiply.ru.effectiveness": np.linspace(1.1, 2.0, 5),
        }
    )
    lhs = ks.sample(sc, 25, "lhs", seed=1)
    r = args.replications
    grid_rates = sweep_against_simulate(sc, grid, r, args.repeat)
    lhs_rates = sweep_against_simulate(sc, lhs, r, args.repeat)
    paired = paired_errors(sc, 4000)
    sens = None
    if not args.skip_sensitivity:
        t0 = time.perf_counter()
        res = ks.sensitivity(
            sc, OUTPUTS, n=args.sobol_n, replications=args.sobol_replications, seed=1, workers=2, progress=False
        )
        sens = (res, time.perf_counter() - t0)

    print(f"kursk_sim {ks.__version__} experiments benchmark: default scenario kursk-2024, {sc.horizon_days} days")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {_cpu()}, "
        f"Python {platform.python_version()}, NumPy {np.__version__}\n"
    )
    print("| figure | target | measured |")
    print("| --- | --- | --- |")
    for name, design, (sweep, plain, valued) in (
        ("5 x 5 grid of two levers", grid, grid_rates),
        ("Latin hypercube, 25 points x 43 parameters", lhs, lhs_rates),
    ):
        print(
            f"| sweep of {len(design)} points x {r:,} replications ({name}), 2 workers, over simulate() of "
            f"{len(design) * r:,} | ≥ 90 % | {100 * sweep / plain:.0f} % ({sweep:,.0f} against {plain:,.0f} "
            f"replication-days/s; simulate(values=) of the same values {valued:,.0f}, the sweep "
            f"{100 * sweep / valued:.0f} % of it) |"
        )
    if sens is not None:
        res, seconds = sens
        print(
            f"| Sobol indices of all {len(res.paths)} ranged assumptions on {len(res.outputs)} outputs, 2 workers "
            f"(N = {res.n}, {res.points:,} points x {res.replications} replications) | every 95 % half-width ≤ 0.05 "
            f"in < 5 min | widest ±{res.widest_interval:.3f}, {seconds / 60:.1f} min |"
        )
    print("\npaired and unpaired standard errors of a difference, 4,000 replications, same seed:")
    for lever, name, p, u in paired:
        print(f"  {lever:<36} {name:<34} paired {p:8.4g}  unpaired {u:8.4g}  ratio {p / u:.2f}")
    if sens is not None:
        res, _ = sens
        for k, o in enumerate(res.outputs):
            print(f"\nmost influential on {o.text}: " + ", ".join(res.ranking(k)[:5]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
